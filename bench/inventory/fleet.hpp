#pragma once
// bench/inventory: the fleet the benchmark stores, simulated from a fixed seed, and the helpers every part of the
// benchmark uses.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "inventory/inventory.hpp"

namespace certfleet::bench::inventory {

using namespace certfleet::inventory;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

[[noreturn]] inline void die(const std::string& message) { throw std::runtime_error(message); }

inline double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// The wall clock, which processes share (steady_clock's epoch is each process's own business).
inline double unix_seconds() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

struct Scale {
    std::uint32_t locations = 30'000;  // certificate files (trust stores apart)
    std::uint32_t endpoints = 3'000;   // TLS endpoints, one per host
    std::uint32_t scans = 30;
    std::uint32_t certificates = 100'000;  // distinct, roughly: the rotation rate is chosen to reach it

    Scale smaller() const { return Scale{locations / 10, endpoints / 10, scans, certificates / 10}; }
    std::string name() const {
        return std::to_string(locations) + "-" + std::to_string(endpoints) + "-" + std::to_string(scans) + "-" +
               std::to_string(certificates);
    }
};

// The fleet, simulated. Both the certificate generator and the measured runs step the same seeded simulation, so
// certificate number N is the same certificate in both: certificates are numbered in the order they first appear.
//
// Fixed certificates first: two roots of the fleet's own PKI (P-256 and Ed25519), three issuing CAs under them,
// twenty public roots that issue nothing in the fleet (as in any system bundle), and a pinned self-signed leaf.

enum class Issuer : std::uint8_t { ca1, ca2, ca3, self };
enum Fixed : std::uint32_t { kRoot1, kRoot2, kCa1, kCa2, kCa3, kPublicRoots };
constexpr std::uint32_t kPublicRootCount = 20;
constexpr std::uint32_t kPinned = kPublicRoots + kPublicRootCount;
constexpr std::uint32_t kFixedCount = kPinned + 1;
constexpr std::uint32_t kTeamKeys = 8;  // keys some teams put in every certificate they request

inline std::uint32_t issuer_cert(Issuer issuer) {
    return issuer == Issuer::ca1 ? kCa1 : issuer == Issuer::ca2 ? kCa2 : kCa3;
}

struct Deployment {
    Issuer issuer = Issuer::ca1;
    int team_key = -1;       // >= 0: every certificate of this deployment has that key
    bool pinned = false;     // holds the pinned leaf forever
    std::string cn;
    std::vector<std::string> dns;
};

struct Location {
    std::string path;
    SourceFormat format = SourceFormat::pem;
    std::uint32_t host = 0;
    std::uint32_t deployment = 0;
    bool chain = false;     // the issuing CA follows the leaf in the file
    bool key_file = false;  // a private key sits beside it (PEM) or inside it (PKCS#12, JKS, Kubernetes secret)
};

struct Store {
    std::string path;
    SourceFormat format = SourceFormat::pem;
    std::vector<std::uint32_t> anchors;  // fixed certificates
};

struct Endpoint {
    std::string host, address;
    std::uint16_t port = 443;
    std::uint32_t location = 0;  // the file the service presents
    std::uint32_t host_index = 0;
};

// What a certificate made for a deployment looks like; the generator turns it into DER.
struct CertPlan {
    std::uint32_t index = 0;
    std::uint32_t deployment = 0;
    Issuer issuer = Issuer::ca1;
    std::uint32_t key = 0;
    int not_before_days = 0;
    int not_after_days = 0;
};

inline bool staging_host(std::uint32_t host) { return host % 5 == 4; }
inline std::string owner_of(std::uint32_t host) {
    char owner[16];
    std::snprintf(owner, sizeof owner, "team-%02u", host % 25);
    return owner;
}

class Simulation {
public:
    explicit Simulation(const Scale& scale);

    // Steps to the next scan: certificates rotate, hosts and endpoints are up or down. The certificates first
    // seen in it are in new_certificates().
    void next_scan();

    const std::vector<Location>& locations() const { return locations_; }
    const std::vector<Deployment>& deployments() const { return deployments_; }
    const std::vector<Store>& stores() const { return stores_; }
    const std::vector<Endpoint>& endpoints() const { return endpoints_; }
    const std::vector<CertPlan>& new_certificates() const { return created_; }
    std::uint32_t current(std::uint32_t deployment) const { return current_[deployment]; }
    bool host_up(std::uint32_t host) const { return host_up_[host]; }
    bool endpoint_up(std::uint32_t endpoint) const { return endpoint_up_[endpoint]; }
    std::uint32_t keys() const { return next_key_; }
    std::uint32_t shared_deployments() const { return shared_; }
    std::uint32_t first_shared() const { return first_shared_; }
    double rotation_rate() const { return rotate_; }

private:
    bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
    std::uint32_t uniform(std::uint32_t low, std::uint32_t high) {
        return std::uniform_int_distribution<std::uint32_t>(low, high)(rng_);
    }

    void build();
    std::uint32_t add_deployment(Deployment dep);
    void issue(std::uint32_t d);

    Scale scale_;
    std::mt19937_64 rng_;
    std::vector<Location> locations_;
    std::vector<Deployment> deployments_;
    std::vector<Store> stores_;
    std::vector<Endpoint> endpoints_;
    std::vector<std::uint32_t> current_, key_of_;
    std::vector<char> host_up_, endpoint_up_;
    std::vector<CertPlan> created_;
    std::uint32_t next_cert_ = kFixedCount;
    std::uint32_t next_key_ = kTeamKeys;
    std::uint32_t shared_ = 0, first_shared_ = 0;
    int scan_ = -1;
    double rotate_ = 0;
};

}  // namespace certfleet::bench::inventory
