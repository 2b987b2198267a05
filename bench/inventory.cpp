// bench/inventory: how the inventory holds up at fleet scale. It stores 30 scans of a simulated fleet (~30,000
// certificate files and ~3,000 TLS endpoints, ~1,000,000 certificate sightings of ~100,000 distinct certificates)
// through the real writer API in batches as the scanner does, then asks every question of InventoryQueries of the
// result, and reports the ingest rate, the database size per sighting, each query's time and the peak memory,
// each against its target.
//
// The certificates are real and signed (issuer links are checked by signature when a scan finishes), made once
// with OpenSSL and cached under the temp dir with their parsed model, so the timed runs pay neither for making
// nor for parsing them, just as the timed writer does not pay for the scanner's decoding.
//
// Each measured run is a child process (this program with --child) on a fresh database, so its peak memory is
// its own; a run of a fleet ten times smaller shows whether memory grows with the inventory. Each query runs in a
// process of its own on a fresh connection (as each certfleet command opens the inventory anew) and is stopped
// after --query-timeout. While ingesting takes minutes, runs after the first time the queries again on the last
// database rather than ingest anew (--ingest-budget). --explain traces the SQL (an SQLite auto-extension hooks
// every connection, so inventory/ needs no change) and prints where the writer and each missed query spend
// their time, with EXPLAIN QUERY PLAN.
#include <fcntl.h>
#include <poll.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "bench/bench_support.hpp"
#include "core/certificate.hpp"
#include "inventory/inventory.hpp"
#include "testkit/cert_factory.hpp"
#include "inventory/analysis.hpp"

namespace {

using namespace certfleet;
using namespace certfleet::inventory;
using namespace certfleet::testing;
using namespace certfleet::bench;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

// Bump when the simulation or the certificates change, so caches left by an older build are regenerated.
constexpr std::uint64_t kCacheVersion = 1;
constexpr std::uint64_t kSeed = 0xCE27F1EE71;
constexpr double kTargetIngest = 100'000;   // sightings per second
constexpr double kTargetQuery = 1.0;        // seconds, every query
constexpr double kTargetRssRatio = 2.0;     // peak RSS of the full fleet over that of a 10x smaller one
constexpr std::size_t kBatch = 4096;        // as app/scan_command.cpp's Batcher

[[noreturn]] void die(const std::string& message) { throw std::runtime_error(message); }

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

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

// ---------------------------------------------------------------------------------------------------------------
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

std::uint32_t issuer_cert(Issuer issuer) {
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

bool staging_host(std::uint32_t host) { return host % 5 == 4; }
std::string owner_of(std::uint32_t host) {
    char owner[16];
    std::snprintf(owner, sizeof owner, "team-%02u", host % 25);
    return owner;
}

class Simulation {
public:
    explicit Simulation(const Scale& scale) : scale_(scale), rng_(kSeed) { build(); }

    // Steps to the next scan: certificates rotate, hosts and endpoints are up or down. The certificates first
    // seen in it are in new_certificates().
    void next_scan() {
        ++scan_;
        created_.clear();
        for (std::uint32_t d = 0; d < deployments_.size(); ++d) {
            const auto& dep = deployments_[d];
            if (dep.pinned) {
                current_[d] = kPinned;
                continue;
            }
            if (scan_ == 0 || chance(rotate_)) issue(d);
        }
        for (auto& up : host_up_) up = scan_ == 0 || chance(0.9);
        for (auto& up : endpoint_up_) up = scan_ == 0 || chance(0.95);
    }

    int scan() const { return scan_; }
    const Scale& scale() const { return scale_; }
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

    void build() {
        const std::uint32_t hosts = std::max<std::uint32_t>(1, scale_.locations / 10);
        // Ten certificate files per host, each at a slot with its usual path and container.
        struct Slot {
            const char* path;
            SourceFormat format;
        };
        static const Slot kSlots[10] = {
            {"etc/nginx/ssl/server.pem", SourceFormat::pem},      {"etc/haproxy/certs/site.pem", SourceFormat::pem},
            {"opt/app/conf/tls.crt", SourceFormat::pem},          {"etc/ssl/private/mail.pem", SourceFormat::pem},
            {"srv/api/certs/api.crt", SourceFormat::pem},         {"etc/pki/tls/certs/client.pem", SourceFormat::pem},
            {"opt/legacy/conf/server.der", SourceFormat::der},    {"opt/billing/keystore.p12", SourceFormat::pkcs12},
            {"opt/search/config/keystore.jks", SourceFormat::jks}, {"var/lib/k8s/secrets/ingress-tls.yaml", SourceFormat::k8s}};
        locations_.reserve(scale_.locations);
        for (std::uint32_t j = 0; j < scale_.locations; ++j) {
            Location l;
            l.host = std::min(j / 10, hosts - 1);
            const Slot& slot = kSlots[j % 10];
            char prefix[40];
            std::snprintf(prefix, sizeof prefix, "/fleet/h%05u/", l.host);
            l.path = std::string(prefix) + slot.path;
            l.format = slot.format;
            l.chain = l.format == SourceFormat::pem && chance(0.1);
            l.key_file = l.format == SourceFormat::pem ? chance(0.3) : l.format != SourceFormat::der;
            l.deployment = UINT32_MAX;
            locations_.push_back(std::move(l));
        }
        // The pinned leaf: one location holds it, and some trust stores trust it directly.
        if (scale_.locations > 1) {
            Deployment pinned;
            pinned.pinned = true;
            pinned.issuer = Issuer::self;
            locations_[1].deployment = add_deployment(std::move(pinned));
        }
        // Certificates copied to many paths (wildcards, a shared client certificate): sizes fall off as 1/k.
        shared_ = std::max<std::uint32_t>(1, scale_.locations / 300);
        first_shared_ = static_cast<std::uint32_t>(deployments_.size());
        for (std::uint32_t k = 0; k < shared_; ++k) {
            Deployment dep;
            dep.issuer = k % 2 ? Issuer::ca2 : Issuer::ca1;
            dep.cn = "*.wild" + std::to_string(k) + ".corp.example";
            dep.dns = {dep.cn, "wild" + std::to_string(k) + ".corp.example"};
            const std::uint32_t d = add_deployment(std::move(dep));
            const auto copies = std::max<std::uint32_t>(2, static_cast<std::uint32_t>(scale_.locations * 0.02 / (k + 1)));
            for (std::uint32_t c = 0, tries = 0; c < copies && tries < copies * 20; ++tries) {
                auto& l = locations_[uniform(0, scale_.locations - 1)];
                if (l.deployment != UINT32_MAX) continue;
                l.deployment = d;
                ++c;
            }
        }
        for (std::uint32_t j = 0; j < scale_.locations; ++j) {
            auto& l = locations_[j];
            if (l.deployment != UINT32_MAX) continue;
            Deployment dep;
            const double r = std::uniform_real_distribution<double>(0, 1)(rng_);
            dep.issuer = r < 0.45 ? Issuer::ca1 : r < 0.80 ? Issuer::ca2 : r < 0.95 ? Issuer::ca3 : Issuer::self;
            if (chance(0.01)) dep.team_key = static_cast<int>(uniform(0, kTeamKeys - 1));
            const char* domain = staging_host(l.host) ? "staging.example.org" : "prod.example.com";
            char name[96];
            std::snprintf(name, sizeof name, "svc%u.h%05u.%s", j % 10, l.host, domain);
            dep.cn = name;
            dep.dns = {dep.cn};
            if (chance(0.3)) dep.dns.push_back("alt-" + dep.cn);
            l.deployment = add_deployment(std::move(dep));
        }
        // A few trust stores: CA bundles and Java cacerts. Every third lacks the Ed25519 root; two hold the
        // pinned leaf.
        const std::uint32_t stores = std::max<std::uint32_t>(3, scale_.locations / 3000);
        for (std::uint32_t s = 0; s < stores; ++s) {
            Store store;
            char prefix[40];
            std::snprintf(prefix, sizeof prefix, "/fleet/h%05u/", s * hosts / stores);
            store.format = s % 2 ? SourceFormat::jks : SourceFormat::pem;
            store.path = std::string(prefix) + (s % 2 ? "opt/java/lib/security/cacerts" : "etc/ssl/certs/ca-certificates.crt");
            store.anchors.push_back(kRoot1);
            if (s % 3 != 2) store.anchors.push_back(kRoot2);
            for (std::uint32_t p = 0; p < kPublicRootCount; ++p) store.anchors.push_back(kPublicRoots + p);
            if (s < 2) store.anchors.push_back(kPinned);
            stores_.push_back(std::move(store));
        }
        // One TLS endpoint per host, presenting the host's first certificate file.
        const std::uint32_t endpoints = std::min(scale_.endpoints, hosts);
        for (std::uint32_t e = 0; e < endpoints; ++e) {
            Endpoint ep;
            ep.host_index = e * hosts / endpoints;
            char name[64], address[32];
            std::snprintf(name, sizeof name, "h%05u.%s", ep.host_index,
                          staging_host(ep.host_index) ? "staging.example.org" : "prod.example.com");
            std::snprintf(address, sizeof address, "10.%u.%u.%u", (ep.host_index >> 16) & 255,
                          (ep.host_index >> 8) & 255, ep.host_index & 255);
            ep.host = name;
            ep.address = address;
            ep.port = e % 5 == 4 ? 8443 : 443;
            ep.location = std::min(ep.host_index * 10, scale_.locations - 1);
            endpoints_.push_back(std::move(ep));
        }
        current_.assign(deployments_.size(), 0);
        key_of_.assign(deployments_.size(), UINT32_MAX);
        host_up_.assign(hosts, true);
        endpoint_up_.assign(endpoints_.size(), true);
        // Rotation: the first scan brings one certificate per deployment; rotations bring the rest.
        const double rotating = static_cast<double>(deployments_.size() - (scale_.locations > 1 ? 1 : 0));
        const double wanted = static_cast<double>(scale_.certificates) - kFixedCount - rotating;
        rotate_ = scale_.scans > 1 && rotating > 0 ? std::clamp(wanted / ((scale_.scans - 1) * rotating), 0.0, 1.0) : 0;
    }

    std::uint32_t add_deployment(Deployment dep) {
        deployments_.push_back(std::move(dep));
        return static_cast<std::uint32_t>(deployments_.size() - 1);
    }

    void issue(std::uint32_t d) {
        const auto& dep = deployments_[d];
        CertPlan plan;
        plan.index = next_cert_++;
        plan.deployment = d;
        plan.issuer = dep.issuer;
        // Keys: a team key, the previous key again (a renewal), or a new one.
        if (dep.team_key >= 0)
            plan.key = static_cast<std::uint32_t>(dep.team_key);
        else if (key_of_[d] != UINT32_MAX && chance(0.25))
            plan.key = key_of_[d];
        else
            plan.key = next_key_++;
        key_of_[d] = plan.key;
        // Lifetimes of 90 days, a year or two; anywhere in their life; 2% long expired and still deployed.
        const double r = std::uniform_real_distribution<double>(0, 1)(rng_);
        const int lifetime = r < 0.3 ? 90 : r < 0.8 ? 365 : 730;
        const int left = static_cast<int>(uniform(1, static_cast<std::uint32_t>(lifetime)));
        plan.not_after_days = chance(0.02) ? -static_cast<int>(uniform(1, 200)) : left;
        plan.not_before_days = plan.not_after_days - lifetime;
        current_[d] = plan.index;
        created_.push_back(plan);
    }

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

// ---------------------------------------------------------------------------------------------------------------
// The certificate cache: certs.bin holds each certificate's DER and its CertInfo, index.bin the offsets, and
// marker says what made them (written last, so a half-made cache is never used).

class Writer {
public:
    void u32(std::uint32_t v) { out_.append(reinterpret_cast<const char*>(&v), sizeof v); }
    void i64(std::int64_t v) { out_.append(reinterpret_cast<const char*>(&v), sizeof v); }
    void str(const std::string& s) {
        u32(static_cast<std::uint32_t>(s.size()));
        out_ += s;
    }
    void strs(const std::vector<std::string>& list) {
        u32(static_cast<std::uint32_t>(list.size()));
        for (const auto& s : list) str(s);
    }
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

class Reader {
public:
    explicit Reader(std::span<const char> in) : in_(in) {}
    std::uint32_t u32() { return pod<std::uint32_t>(); }
    std::int64_t i64() { return pod<std::int64_t>(); }
    std::string str() {
        const std::uint32_t n = u32();
        need(n);
        std::string s(in_.data() + at_, n);
        at_ += n;
        return s;
    }
    std::vector<std::string> strs() {
        std::vector<std::string> list(u32());
        for (auto& s : list) s = str();
        return list;
    }
    Bytes bytes() {
        const std::uint32_t n = u32();
        need(n);
        Bytes b(reinterpret_cast<const std::uint8_t*>(in_.data() + at_),
                reinterpret_cast<const std::uint8_t*>(in_.data() + at_ + n));
        at_ += n;
        return b;
    }

private:
    template <typename T>
    T pod() {
        need(sizeof(T));
        T v;
        std::memcpy(&v, in_.data() + at_, sizeof v);
        at_ += sizeof v;
        return v;
    }
    void need(std::size_t n) const {
        if (at_ + n > in_.size()) die("certificate cache: record truncated");
    }
    std::span<const char> in_;
    std::size_t at_ = 0;
};

std::string serialize(const Bytes& der, const CertInfo& c) {
    Writer w;
    w.str(std::string(der.begin(), der.end()));
    for (const auto* s : {&c.sha256, &c.spki_sha256, &c.subject, &c.issuer, &c.serial}) w.str(*s);
    w.i64(c.not_before);
    w.i64(c.not_after);
    w.str(c.key_type);
    w.str(c.key_curve);
    w.i64(c.key_bits);
    w.str(c.signature_algorithm);
    for (const auto* l : {&c.dns_names, &c.ip_addresses, &c.uris, &c.emails}) w.strs(*l);
    w.i64(c.is_ca);
    w.i64(c.path_length ? *c.path_length : -1);
    w.strs(c.key_usage);
    w.strs(c.ext_key_usage);
    w.str(c.subject_key_id);
    w.str(c.authority_key_id);
    w.i64(c.self_issued);
    w.i64(c.self_signed);
    return w.take();
}

struct LoadedCert {
    std::shared_ptr<const CertInfo> info;
    std::shared_ptr<const Bytes> der;
};

LoadedCert deserialize(std::span<const char> record) {
    Reader r(record);
    auto der = std::make_shared<Bytes>(r.bytes());
    auto c = std::make_shared<CertInfo>();
    for (auto* s : {&c->sha256, &c->spki_sha256, &c->subject, &c->issuer, &c->serial}) *s = r.str();
    c->not_before = r.i64();
    c->not_after = r.i64();
    c->key_type = r.str();
    c->key_curve = r.str();
    c->key_bits = static_cast<int>(r.i64());
    c->signature_algorithm = r.str();
    for (auto* l : {&c->dns_names, &c->ip_addresses, &c->uris, &c->emails}) *l = r.strs();
    c->is_ca = r.i64() != 0;
    if (const auto length = r.i64(); length >= 0) c->path_length = static_cast<int>(length);
    c->key_usage = r.strs();
    c->ext_key_usage = r.strs();
    c->subject_key_id = r.str();
    c->authority_key_id = r.str();
    c->self_issued = r.i64() != 0;
    c->self_signed = r.i64() != 0;
    return LoadedCert{std::move(c), std::move(der)};
}

struct CacheInfo {
    fs::path dir;
    std::uint64_t count = 0;
    std::int64_t created_at = 0;  // when the certificates were made: their validity is relative to it
    double seconds = 0;           // how long making them took (0: reused)
};

std::map<std::string, std::string> read_marker(const fs::path& dir) {
    std::map<std::string, std::string> values;
    std::ifstream in(dir / "marker");
    std::string line;
    while (std::getline(in, line))
        if (const auto eq = line.find('='); eq != std::string::npos) values[line.substr(0, eq)] = line.substr(eq + 1);
    return values;
}

// Reads certificates by number, one pread each: nothing is kept, so the measured process holds no more than
// the scanner would (the file sits in the page cache, which is not the process's memory).
class CertCache {
public:
    explicit CertCache(const CacheInfo& info) {
        const std::string index = read_text(info.dir / "index.bin");
        offsets_.resize(index.size() / sizeof(std::uint64_t));
        std::memcpy(offsets_.data(), index.data(), offsets_.size() * sizeof(std::uint64_t));
        if (offsets_.size() != info.count + 1) die("certificate cache: index does not match the marker");
        fd_ = ::open((info.dir / "certs.bin").c_str(), O_RDONLY | O_CLOEXEC);
        if (fd_ < 0) die("certificate cache: cannot open certs.bin: " + std::string(std::strerror(errno)));
    }
    ~CertCache() { ::close(fd_); }
    CertCache(const CertCache&) = delete;
    CertCache& operator=(const CertCache&) = delete;

    std::size_t size() const { return offsets_.size() - 1; }
    LoadedCert load(std::uint32_t index) {
        if (index >= size()) die("certificate cache: no certificate " + std::to_string(index));
        const std::size_t length = offsets_[index + 1] - offsets_[index];
        buffer_.resize(length);
        if (::pread(fd_, buffer_.data(), length, static_cast<off_t>(offsets_[index])) != static_cast<ssize_t>(length))
            die("certificate cache: short read");
        return deserialize(buffer_);
    }

private:
    std::vector<std::uint64_t> offsets_;
    std::vector<char> buffer_;
    int fd_ = -1;
};

TestCert make_ca(const std::string& cn, const TestKey& key, const TestCert* issuer, const TestKey* issuer_key,
                 std::uint32_t serial, std::optional<int> path_length) {
    CertSpec spec;
    spec.subject_cn = cn;
    spec.subject_o = issuer ? "Example Corp" : (cn.starts_with("Public") ? "Public Trust Services" : "Example Corp");
    spec.not_before_days = -400;
    spec.not_after_days = issuer ? 1825 : 3650;
    spec.is_ca = true;
    spec.path_length = path_length;
    spec.key_usage = "critical,keyCertSign,cRLSign";
    spec.serial = serial;
    return TestCert::make(spec, key, issuer, issuer_key);
}

CacheInfo make_cache(const Scale& scale, const fs::path& dir) {
    const auto started = Clock::now();
    // Step the simulation through every scan to learn every certificate it will need.
    Simulation sim(scale);
    std::vector<CertPlan> plans;
    for (std::uint32_t s = 0; s < scale.scans; ++s) {
        sim.next_scan();
        plans.insert(plans.end(), sim.new_certificates().begin(), sim.new_certificates().end());
    }
    const std::uint64_t count = kFixedCount + plans.size();
    const auto created_at = static_cast<std::int64_t>(std::time(nullptr));

    std::vector<TestKey> keys(sim.keys());
    KeySpec p256;
    parallel_for(keys.size(), [&](std::size_t i) { keys[i] = TestKey::generate(p256); });

    std::vector<std::string> records(count);
    const auto keep = [&](std::uint32_t index, const TestCert& cert) {
        records[index] = serialize(cert.der, describe_certificate(cert.der));
    };
    KeySpec ed25519;
    ed25519.kind = KeyKind::ed25519;
    const TestKey root1_key = TestKey::generate(p256), root2_key = TestKey::generate(ed25519);
    const TestKey ca1_key = TestKey::generate(p256), ca2_key = TestKey::generate(p256),
                  ca3_key = TestKey::generate(ed25519);
    const TestCert root1 = make_ca("Example Corp Root CA 1", root1_key, nullptr, nullptr, 1, std::nullopt);
    const TestCert root2 = make_ca("Example Corp Root CA 2", root2_key, nullptr, nullptr, 2, std::nullopt);
    const TestCert ca1 = make_ca("Example Corp Issuing CA 1", ca1_key, &root1, &root1_key, 3, 0);
    const TestCert ca2 = make_ca("Example Corp Issuing CA 2", ca2_key, &root1, &root1_key, 4, 0);
    const TestCert ca3 = make_ca("Example Corp Issuing CA 3", ca3_key, &root2, &root2_key, 5, 0);
    keep(kRoot1, root1);
    keep(kRoot2, root2);
    keep(kCa1, ca1);
    keep(kCa2, ca2);
    keep(kCa3, ca3);
    parallel_for(kPublicRootCount, [&](std::size_t p) {
        char cn[64];
        std::snprintf(cn, sizeof cn, "Public Root CA %02zu", p + 1);
        const TestKey key = TestKey::generate(p256);
        keep(static_cast<std::uint32_t>(kPublicRoots + p),
             make_ca(cn, key, nullptr, nullptr, static_cast<std::uint32_t>(100 + p), std::nullopt));
    });
    {
        CertSpec spec;
        spec.subject_cn = "legacy-pinned.h00000.prod.example.com";
        spec.dns_names = {spec.subject_cn};
        spec.not_before_days = -200;
        spec.not_after_days = 3000;
        spec.key_usage = "critical,digitalSignature";
        spec.ext_key_usage = "serverAuth";
        spec.serial = 200;
        keep(kPinned, TestCert::make(spec, TestKey::generate(p256)));
    }
    const TestCert* issuers[] = {&ca1, &ca2, &ca3};
    const TestKey* issuer_keys[] = {&ca1_key, &ca2_key, &ca3_key};
    parallel_for(plans.size(), [&](std::size_t i) {
        const CertPlan& plan = plans[i];
        const Deployment& dep = sim.deployments()[plan.deployment];
        CertSpec spec;
        spec.subject_cn = dep.cn;
        spec.subject_o = "Example Corp";
        spec.dns_names = dep.dns;
        spec.not_before_days = plan.not_before_days;
        spec.not_after_days = plan.not_after_days;
        spec.key_usage = "critical,digitalSignature";
        spec.ext_key_usage = "serverAuth,clientAuth";
        spec.serial = static_cast<long>(0x10000 + plan.index);
        const auto which = static_cast<std::size_t>(plan.issuer);
        const TestCert cert = plan.issuer == Issuer::self
                                  ? TestCert::make(spec, keys[plan.key])
                                  : TestCert::make(spec, keys[plan.key], issuers[which], issuer_keys[which]);
        keep(plan.index, cert);
    });

    fs::remove_all(dir);
    fs::create_directories(dir);
    {
        std::ofstream certs(dir / "certs.bin", std::ios::binary), index(dir / "index.bin", std::ios::binary);
        std::uint64_t offset = 0;
        for (const auto& r : records) {
            index.write(reinterpret_cast<const char*>(&offset), sizeof offset);
            certs.write(r.data(), static_cast<std::streamsize>(r.size()));
            offset += r.size();
        }
        index.write(reinterpret_cast<const char*>(&offset), sizeof offset);
        if (!certs.flush() || !index.flush()) die("cannot write the certificate cache in " + dir.string());
    }
    std::ofstream marker(dir / "marker.tmp");
    marker << "certfleet bench/inventory certificates\nversion=" << kCacheVersion << "\nscale=" << scale.name()
           << "\ncount=" << count << "\ncreated_at=" << created_at << "\n";
    marker.close();
    fs::rename(dir / "marker.tmp", dir / "marker");
    return CacheInfo{dir, count, created_at, seconds_since(started)};
}

CacheInfo prepare_cache(const Scale& scale, const fs::path& root) {
    const fs::path dir = root / ("certfleet-bench-inventory-" + scale.name());
    const auto marker = read_marker(dir);
    const auto get = [&](const char* key) {
        const auto it = marker.find(key);
        return it == marker.end() ? std::string() : it->second;
    };
    if (get("version") == std::to_string(kCacheVersion) && get("scale") == scale.name())
        return CacheInfo{dir, std::stoull(get("count")), std::stoll(get("created_at")), 0};
    if (fs::exists(dir) && !fs::exists(dir / "certs.bin") && !fs::exists(dir / "marker") && !fs::is_empty(dir))
        die(dir.string() + " exists and is not a bench certificate cache: refusing to write into it");
    return make_cache(scale, dir);
}

// ---------------------------------------------------------------------------------------------------------------
// One measured run (the child): ingest every scan, then every query.

struct IngestCounts {
    std::uint64_t file_sightings = 0, endpoint_sightings = 0, anchor_sightings = 0, key_sightings = 0;
    std::uint64_t sightings() const { return file_sightings + endpoint_sightings; }
};

// Which SQL statements a query (or the writer) spent its time in, seen through SQLite's profile trace on every connection this
// process opens (an auto-extension hooks each one as it opens, so inventory/ needs no change), and how SQLite
// plans the slowest of them: what a miss needs for its indexes to be fixed.
struct StatementStats {
    std::int64_t count = 0;
    std::int64_t nanoseconds = 0;
};
std::mutex g_trace_mutex;
std::map<std::string, StatementStats> g_statements;
std::string g_running;  // the statement started last
sqlite3* g_traced_db = nullptr;

int on_trace(unsigned type, void*, void* statement, void* detail) {
    const char* sql = sqlite3_sql(static_cast<sqlite3_stmt*>(statement));
    std::lock_guard lock(g_trace_mutex);
    if (type == SQLITE_TRACE_STMT) {
        g_running = sql ? sql : "?";
    } else if (type == SQLITE_TRACE_PROFILE) {
        auto& stats = g_statements[sql ? sql : "?"];
        ++stats.count;
        stats.nanoseconds += *static_cast<sqlite3_int64*>(detail);
    }
    return 0;
}

int trace_connection(sqlite3* db, const char**, const sqlite3_api_routines*) {
    g_traced_db = db;
    sqlite3_trace_v2(db, SQLITE_TRACE_STMT | SQLITE_TRACE_PROFILE, on_trace, nullptr);
    return SQLITE_OK;
}

std::vector<std::string> query_plan(sqlite3* db, const std::string& sql) {
    std::vector<std::string> lines;
    sqlite3_stmt* explain = nullptr;
    if (sqlite3_prepare_v2(db, ("EXPLAIN QUERY PLAN " + sql).c_str(), -1, &explain, nullptr) != SQLITE_OK) {
        lines.push_back(std::string("(cannot explain: ") + sqlite3_errmsg(db) + ")");
        return lines;
    }
    std::map<int, int> depth;  // plan node id -> indentation
    while (sqlite3_step(explain) == SQLITE_ROW) {
        const int id = sqlite3_column_int(explain, 0), parent = sqlite3_column_int(explain, 1);
        depth[id] = parent == 0 ? 0 : depth[parent] + 1;
        const auto* detail = reinterpret_cast<const char*>(sqlite3_column_text(explain, 3));
        lines.push_back(std::string(2 * static_cast<std::size_t>(depth[id]), ' ') + (detail ? detail : ""));
    }
    sqlite3_finalize(explain);
    return lines;
}

// Called with g_trace_mutex held. `db` plans the statements: the traced connection once the query is done, or a
// connection of its own while the query still runs on the traced one.
json slowest_statements(std::size_t how_many, sqlite3* db) {
    std::vector<std::pair<std::string, StatementStats>> all(g_statements.begin(), g_statements.end());
    std::sort(all.begin(), all.end(),
              [](const auto& a, const auto& b) { return a.second.nanoseconds > b.second.nanoseconds; });
    json out = json::array();
    for (std::size_t i = 0; i < all.size() && i < how_many; ++i) {
        out.push_back(json{{"sql", all[i].first},
                           {"runs", all[i].second.count},
                           {"seconds", static_cast<double>(all[i].second.nanoseconds) / 1e9},
                           {"plan", db ? query_plan(db, all[i].first) : std::vector<std::string>{}}});
    }
    return out;
}

// Runs one query in a child of its own on a fresh connection, as each `certfleet` command opens the inventory
// anew: its peak memory is its own, and one that runs away is stopped after `timeout` seconds rather than
// holding up the rest. The child's figures come back as JSON through a pipe.
json run_query_isolated(const fs::path& db, const std::function<std::size_t(InventoryQueries&)>& query, double timeout) {
    int fds[2];
    if (::pipe(fds) != 0) die(std::string("pipe: ") + std::strerror(errno));
    std::cout.flush();
    const pid_t pid = ::fork();
    if (pid < 0) die(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        ::close(fds[0]);
        json r;
        const auto write_result = [&](const json& result) {
            const std::string text = result.dump();
            std::size_t done = 0;
            while (done < text.size()) {
                const ssize_t n = ::write(fds[1], text.data() + done, text.size() - done);
                if (n <= 0 && errno != EINTR) break;
                if (n > 0) done += static_cast<std::size_t>(n);
            }
        };
        // Shortly before the parent would stop it, a query still running reports what it is running and how
        // SQLite plans that, through a connection of its own (the traced one is busy), then ends the process.
        std::thread([&, timeout] {
            std::this_thread::sleep_for(std::chrono::duration<double>(std::max(0.5, timeout - 1.0)));
            std::lock_guard lock(g_trace_mutex);
            sqlite3_reset_auto_extension();  // the planning connection is not traced
            sqlite3* own = nullptr;
            sqlite3_open_v2(db.c_str(), &own, SQLITE_OPEN_READONLY, nullptr);
            json late{{"timed_out", true}, {"seconds", timeout}, {"running", g_running},
                      {"running_plan", own ? query_plan(own, g_running) : std::vector<std::string>{}},
                      {"statements", slowest_statements(3, own)}, {"rss_kib", proc_status_kib("VmHWM")}};
            sqlite3_close(own);
            write_result(late);
            ::_exit(0);
        }).detach();
        try {
            sqlite3_auto_extension(reinterpret_cast<void (*)()>(trace_connection));
            r["rss_base_kib"] = proc_status_kib("VmRSS");
            auto q = open_sqlite_queries(db.string());
            reset_peak_rss();
            {
                std::lock_guard lock(g_trace_mutex);
                g_statements.clear();
            }
            const auto t = Clock::now();
            r["rows"] = query(*q);
            r["seconds"] = seconds_since(t);
            r["rss_kib"] = proc_status_kib("VmHWM");
            sqlite3_trace_v2(g_traced_db, 0, nullptr, nullptr);  // planning is not part of the query
            std::lock_guard lock(g_trace_mutex);
            r["statements"] = slowest_statements(3, g_traced_db);
        } catch (const std::exception& e) {
            r["error"] = e.what();
            r["seconds"] = 0.0;
        }
        if (!r.contains("rss_kib")) r["rss_kib"] = proc_status_kib("VmHWM");
        std::lock_guard lock(g_trace_mutex);  // not while the watchdog writes
        write_result(r);
        ::_exit(0);
    }
    ::close(fds[1]);
    const auto started = Clock::now();
    std::string text;
    bool timed_out = false;
    for (;;) {
        const double left = timeout + 10 - seconds_since(started);  // the child reports itself at `timeout`
        if (left <= 0) {
            timed_out = true;
            break;
        }
        pollfd p{fds[0], POLLIN, 0};
        const int ready = ::poll(&p, 1, static_cast<int>(left * 1000) + 1);
        if (ready < 0 && errno == EINTR) continue;
        if (ready == 0) continue;
        char buffer[4096];
        const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    if (timed_out) ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (timed_out) return json{{"timed_out", true}, {"seconds", timeout}};
    if (text.empty()) return json{{"error", "the query's process died (status " + std::to_string(status) + ")"}, {"seconds", 0.0}};
    return json::parse(text);
}

// Ingests every scan into a fresh database at `db_path` and then runs every query; with `ingest` false, only
// steps the simulation (to know which certificates to ask about) and queries the database a previous run made.
json run_measured(const Scale& scale, const CacheInfo& cache_info, const fs::path& db_path, bool ingest,
                  bool queries_too, double timeout, const std::vector<std::size_t>& skip, bool trace_writer) {
    CertCache cache(cache_info);
    // The fleet's CA certificates are in every batch: kept, as the scanner's per-scan cache would.
    std::vector<LoadedCert> fixed;
    for (std::uint32_t i = 0; i < kFixedCount; ++i) fixed.push_back(cache.load(i));

    Simulation sim(scale);
    const double rss_base = proc_status_kib("VmRSS");  // the bench's own: libraries, the fleet model
    std::unique_ptr<Inventory> inv;
    if (ingest && fs::exists(db_path)) die(db_path.string() + " exists: a measured ingest starts from nothing");
    if (ingest && trace_writer) sqlite3_auto_extension(reinterpret_cast<void (*)()>(trace_connection));
    IngestCounts counts;
    double api_seconds = 0, finish_seconds = 0;
    const auto ingest_started = Clock::now();
    const Labels scan_labels{{"env", "prod"}, {"source", "nightly"}};
    std::uint32_t rotated_sample = 0;  // the certificate at the first location half-way through

    for (std::uint32_t s = 0; s < scale.scans; ++s) {
        sim.next_scan();
        if (s == scale.scans / 2) rotated_sample = sim.current(sim.locations()[0].deployment);
        if (!ingest) continue;
        auto timed = [&](auto&& call) {
            const auto t = Clock::now();
            call();
            api_seconds += seconds_since(t);
        };
        ScanId scan = 0;
        // Each scan opens the inventory anew, as each `certfleet scan` does: the writer's caches start empty.
        timed([&] {
            inv = open_sqlite_inventory(db_path.string());
            scan = inv->begin_scan("files+network", R"({"bench":"inventory"})", scan_labels);
        });

        // Certificates loaded for the current batch only, each once however many places hold it.
        std::unordered_map<std::uint32_t, LoadedCert> loaded;
        const auto cert = [&](std::uint32_t index) -> const LoadedCert& {
            if (index < kFixedCount) return fixed[index];
            auto it = loaded.find(index);
            if (it == loaded.end()) it = loaded.emplace(index, cache.load(index)).first;
            return it->second;
        };
        ScanCounts scan_counts;
        std::vector<FileObservations> files;
        const auto flush_files = [&] {
            if (files.empty()) return;
            timed([&] { inv->record(scan, files); });
            files.clear();
            loaded.clear();
        };
        const auto sighting = [&](const LoadedCert& c, const std::string& path, SourceFormat format, int position,
                                  bool anchor) {
            return CertificateSighting{c.info, c.der, FileLocation{path, format, position}, anchor};
        };
        for (const auto& l : sim.locations()) {
            if (!sim.host_up(l.host)) continue;
            FileObservations obs;
            const auto& leaf = cert(sim.current(l.deployment));
            obs.certificates.push_back(sighting(leaf, l.path, l.format, 0, false));
            const Issuer issuer = sim.deployments()[l.deployment].issuer;
            if (l.chain && issuer != Issuer::self)
                obs.certificates.push_back(sighting(cert(issuer_cert(issuer)), l.path, l.format, 1, false));
            if (l.key_file) {
                const bool beside = l.format == SourceFormat::pem;
                obs.keys.push_back(KeySighting{beside ? l.path + ".key" : l.path, l.format, leaf.info->spki_sha256,
                                               l.format == SourceFormat::pkcs12 || l.format == SourceFormat::jks
                                                   ? KeyState::in_keystore
                                                   : KeyState::readable});
            }
            obs.labels = {{"owner", owner_of(l.host)}};
            if (staging_host(l.host)) obs.labels.push_back({"env", "staging"});
            counts.file_sightings += obs.certificates.size();
            counts.key_sightings += obs.keys.size();
            scan_counts.certificates_seen += obs.certificates.size();
            scan_counts.keys_seen += obs.keys.size();
            ++scan_counts.files_walked;
            files.push_back(std::move(obs));
            if (files.size() >= kBatch) flush_files();
        }
        for (const auto& store : sim.stores()) {
            FileObservations obs;
            for (std::size_t p = 0; p < store.anchors.size(); ++p)
                obs.certificates.push_back(
                    sighting(cert(store.anchors[p]), store.path, store.format, static_cast<int>(p), true));
            counts.file_sightings += obs.certificates.size();
            counts.anchor_sightings += obs.certificates.size();
            scan_counts.certificates_seen += obs.certificates.size();
            ++scan_counts.files_walked;
            files.push_back(std::move(obs));
        }
        flush_files();

        std::vector<EndpointObservationRecord> probes;
        std::uint64_t position = 0;
        const auto flush_probes = [&] {
            if (probes.empty()) return;
            timed([&] {
                inv->record_endpoints(scan, probes);
                inv->record_progress(scan, "bench", position);
            });
            probes.clear();
            loaded.clear();
        };
        for (std::uint32_t e = 0; e < sim.endpoints().size(); ++e, ++position) {
            const auto& ep = sim.endpoints()[e];
            EndpointObservationRecord record;
            auto& f = record.facts;
            f.host = ep.host;
            f.address = ep.address;
            f.port = ep.port;
            f.server_name = ep.host;
            record.labels = {{"owner", owner_of(ep.host_index)}};
            if (staging_host(ep.host_index)) record.labels.push_back({"env", "staging"});
            if (!sim.endpoint_up(e)) {
                f.status = EndpointStatus::timeout;
                f.detail = "no answer within 3000 ms";
                f.elapsed_ms = 3000;
            } else {
                const auto& l = sim.locations()[ep.location];
                const Issuer issuer = sim.deployments()[l.deployment].issuer;
                const auto& leaf = cert(sim.current(l.deployment));
                record.chain.push_back(ChainCertificate{leaf.info, leaf.der});
                if (issuer != Issuer::self) {
                    const auto& ca = cert(issuer_cert(issuer));
                    record.chain.push_back(ChainCertificate{ca.info, ca.der});
                }
                f.status = EndpointStatus::tls;
                f.tls_version = "TLSv1.3";
                f.cipher = "TLS_AES_128_GCM_SHA256";
                // A few endpoints answer for the wrong name now and then: verdicts change between scans.
                const bool mismatch = (e * 2654435761u + s * 40503u) % 100 == 0;
                const bool expired = leaf.info->not_after < cache_info.created_at;
                ChainVerdict& v = f.verdict;
                v.name_check = mismatch ? NameCheck::mismatched : NameCheck::matched;
                v.chain_trusted = issuer != Issuer::self;
                v.order_correct = true;
                v.verified = !mismatch && v.chain_trusted && !expired;
                if (!v.chain_trusted) {
                    v.verify_error = "untrusted-issuer";
                    v.errors.push_back("untrusted-issuer");
                }
                if (expired) v.errors.push_back("expired");
                if (mismatch) v.errors.push_back("hostname-mismatch");
                if (v.verify_error.empty() && !v.errors.empty()) v.verify_error = v.errors.front();
                v.earliest_expiry = leaf.info->not_after;
                v.earliest_expiry_sha256 = leaf.info->sha256;
                for (const auto& link : record.chain)
                    if (link.cert->not_after < *v.earliest_expiry) {
                        v.earliest_expiry = link.cert->not_after;
                        v.earliest_expiry_sha256 = link.cert->sha256;
                    }
                f.elapsed_ms = 20 + e % 30;
                counts.endpoint_sightings += record.chain.size();
            }
            probes.push_back(std::move(record));
            if (probes.size() >= kBatch) flush_probes();
        }
        flush_probes();

        const auto t = Clock::now();
        inv->finish_scan(scan, ScanStatus::complete, scan_counts);
        inv.reset();
        const double finish = seconds_since(t);
        finish_seconds += finish;
        api_seconds += finish;
    }
    const double ingest_wall = seconds_since(ingest_started);
    if (ingest && trace_writer) sqlite3_reset_auto_extension();

    json out;
    out["ingested"] = ingest;
    out["rss_base_kib"] = rss_base;
    out["file_sightings"] = counts.file_sightings;
    out["endpoint_sightings"] = counts.endpoint_sightings;
    out["anchor_sightings"] = counts.anchor_sightings;
    out["key_sightings"] = counts.key_sightings;
    out["sightings"] = counts.sightings();
    out["certificates"] = cache.size();
    out["locations"] = scale.locations;
    out["endpoints"] = sim.endpoints().size();
    out["stores"] = sim.stores().size();
    out["shared_deployments"] = sim.shared_deployments();
    out["rotation_rate"] = sim.rotation_rate();
    out["ingest_api_seconds"] = api_seconds;
    out["ingest_finish_seconds"] = finish_seconds;
    out["ingest_wall_seconds"] = ingest_wall;
    std::uintmax_t db_bytes = fs::file_size(db_path);
    for (const char* suffix : {"-wal", "-shm"}) {
        std::error_code ec;
        const auto extra = fs::file_size(db_path.string() + suffix, ec);
        if (!ec) db_bytes += extra;
    }
    out["db_bytes"] = db_bytes;
    if (ingest && trace_writer) {
        std::lock_guard lock(g_trace_mutex);
        out["writer_statements"] = slowest_statements(16, nullptr);
        g_statements.clear();
    }
    out["rss_ingest_kib"] = proc_status_kib("VmHWM");
    out["rss_reset"] = reset_peak_rss();

    json queries = json::array();
    if (!queries_too) {
        out["queries"] = std::move(queries);
        out["queries_available"] = false;
        out["rss_queries_kib"] = proc_status_kib("VmHWM");
        return out;
    }
    auto scans_connection = open_sqlite_queries(db_path.string());
    const auto scan_records = scans_connection->scans();
    scans_connection.reset();  // closed before the queries fork
    const auto sha_of = [&](std::uint32_t index) { return cache.load(index).info->sha256; };
    const std::string shared_leaf = sha_of(sim.current(sim.first_shared()));  // the most copied certificate
    const std::string sample_leaf = sha_of(sim.current(sim.locations()[0].deployment));
    const std::string rotated_leaf = sha_of(rotated_sample);
    const std::string issuing_ca = sha_of(kCa1);
    const auto now = cache_info.created_at;
    const auto filter = [&](auto&& adjust) {
        Filter f;
        f.now = now;
        adjust(f);
        return f;
    };
    const Filter view = filter([](Filter&) {});
    std::vector<ScanId> scan_ids;
    for (const auto& r : scan_records) scan_ids.push_back(r.id);
    std::sort(scan_ids.begin(), scan_ids.end());
    const ScanId latest = scan_ids.empty() ? 0 : scan_ids.back();
    const ScanId previous = scan_ids.size() < 2 ? latest : scan_ids[scan_ids.size() - 2];
    const ScanId middle = scan_ids.empty() ? 0 : scan_ids[scan_ids.size() / 2];  // burn-downs ask "as of" a past scan

    using Query = std::pair<std::string, std::function<std::size_t(InventoryQueries&)>>;
    const std::vector<Query> list{
        {"scans()", [&](InventoryQueries& q) { return q.scans().size(); }},
        {"certificates (view, no filter)", [&](InventoryQueries& q) { return q.certificates(view).size(); }},
        {"certificates expiring 30 d",
         [&](InventoryQueries& q) { return q.certificates(filter([](Filter& f) { f.expiring_days = 30; })).size(); }},
        {"certificates self_signed",
         [&](InventoryQueries& q) { return q.certificates(filter([](Filter& f) { f.self_signed = true; })).size(); }},
        {"certificates label owner=team-07",
         [&](InventoryQueries& q) { return q.certificates(filter([](Filter& f) { f.labels = {{"owner", "team-07"}}; })).size(); }},
        {"certificates label env=staging",
         [&](InventoryQueries& q) { return q.certificates(filter([](Filter& f) { f.labels = {{"env", "staging"}}; })).size(); }},
        {"certificates issuer 'issuing ca 2'",
         [&](InventoryQueries& q) { return q.certificates(filter([](Filter& f) { f.issuer = "issuing ca 2"; })).size(); }},
        {"certificates of the latest scan",
         [&](InventoryQueries& q) { return q.certificates(filter([&](Filter& f) { f.scan = latest; })).size(); }},
        {"certificates as of the middle scan",
         [&](InventoryQueries& q) { return q.certificates(filter([&](Filter& f) { f.as_of = middle; })).size(); }},
        {"shared as of the middle scan",
         [&](InventoryQueries& q) { return q.shared(filter([&](Filter& f) { f.as_of = middle; }), 2).size(); }},
        {"certificates all filters",
         [&](InventoryQueries& q) {
             return q.certificates(filter([](Filter& f) {
                         f.expiring_days = 30;
                         f.issuer = "issuing ca";
                         f.labels = {{"owner", "team-07"}, {"env", "prod"}};
                     }))
                 .size();
         }},
        {"fingerprints_starting_with(\"ab\", 20)", [&](InventoryQueries& q) { return q.fingerprints_starting_with("ab", 20).size(); }},
        {"certificate(shared leaf)", [&](InventoryQueries& q) { return q.certificate(shared_leaf, view) ? 1ul : 0ul; }},
        {"certificate(issuing CA)", [&](InventoryQueries& q) { return q.certificate(issuing_ca, view) ? 1ul : 0ul; }},
        {"endpoints (view)", [&](InventoryQueries& q) { return q.endpoints(view).size(); }},
        {"endpoints label owner=team-07",
         [&](InventoryQueries& q) { return q.endpoints(filter([](Filter& f) { f.labels = {{"owner", "team-07"}}; })).size(); }},
        {"shared (min 2 places)", [&](InventoryQueries& q) { return q.shared(view, 2).size(); }},
        {"reused_keys", [&](InventoryQueries& q) { return q.reused_keys(view).size(); }},
        {"anchors", [&](InventoryQueries& q) { return q.anchors(view).size(); }},
        {"stores", [&](InventoryQueries& q) { return q.stores(view).size(); }},
        {"path_to_anchor(leaf)", [&](InventoryQueries& q) { return q.path_to_anchor(sample_leaf, view).chain.size(); }},
        {"history(rotated leaf)",
         [&](InventoryQueries& q) {
             const auto h = q.history(rotated_leaf);
             return h ? h->scans.size() : 0;
         }},
        {"history(issuing CA)",
         [&](InventoryQueries& q) {
             const auto h = q.history(issuing_ca);
             return h ? h->places.size() : 0;
         }},
        {"diff(latest two scans)",
         [&](InventoryQueries& q) {
             const auto d = q.diff(previous, latest);
             return d.new_certificates.size() + d.gone_certificates.size() + d.new_places.size() +
                    d.gone_places.size() + d.rotated.size() + d.changed_verdicts.size();
         }},
    };
    for (std::size_t i = 0; i < list.size(); ++i) {
        json entry;
        if (std::find(skip.begin(), skip.end(), i) != skip.end()) {
            entry = json{{"timed_out", true}, {"skipped", true}, {"seconds", timeout}};
        } else {
            entry = run_query_isolated(db_path, list[i].second, timeout);
        }
        entry["name"] = list[i].first;
        queries.push_back(std::move(entry));
    }
    out["queries_available"] = true;
    double rss_queries = 0;
    for (const auto& q : queries) rss_queries = std::max(rss_queries, q.value("rss_kib", 0.0));
    out["queries"] = std::move(queries);
    out["rss_queries_kib"] = rss_queries;
    return out;
}

// ---------------------------------------------------------------------------------------------------------------
// The parent: prepares the caches, runs the children, prints the table.

struct Options {
    unsigned runs = 3;
    Scale scale;
    std::string cache_root;
    std::string keep_db;  // copy the last full database here, for EXPLAIN QUERY PLAN
    bool explain = false;
    std::string sqlite_pragma;  // applied to every connection the children open
    bool quick = false;
    // Child mode.
    bool child = false;
    std::string child_cache, child_db, child_out;
    bool child_ingest_only = false;  // profiling the writer alone
    bool child_queries_only = false;  // on the database an earlier run made
    double ingest_budget = 150;       // seconds of ingest after which further runs reuse the database
    std::vector<std::size_t> child_skip;  // queries that ran out of time in an earlier run
    double query_timeout = 60;
};

struct ChildResult {
    json figures;
    double wall = 0, cpu = 0, rss_mib = 0;
    double others = 0;  // cores the rest of the machine kept busy meanwhile
};

ChildResult run_child(const Options& o, const Scale& scale, const fs::path& cache_dir, const fs::path& db,
                      const fs::path& out, const std::vector<std::size_t>& skip, bool ingest = true) {
    const std::string self = fs::read_symlink("/proc/self/exe").string();
    std::vector<std::string> args{self,
                                  "--child",
                                  "--locations",
                                  std::to_string(scale.locations),
                                  "--endpoints",
                                  std::to_string(scale.endpoints),
                                  "--scans",
                                  std::to_string(scale.scans),
                                  "--certificates",
                                  std::to_string(scale.certificates),
                                  "--child-cache",
                                  cache_dir.string(),
                                  "--child-db",
                                  db.string(),
                                  "--child-out",
                                  out.string(),
                                  "--query-timeout",
                                  std::to_string(o.query_timeout)};
    if (!ingest) args.push_back("--child-queries-only");
    if (!o.sqlite_pragma.empty()) args.insert(args.end(), {"--sqlite-pragma", o.sqlite_pragma});
    if (o.explain) args.push_back("--explain");
    if (!skip.empty()) {
        std::string list;
        for (const auto i : skip) list += (list.empty() ? "" : ",") + std::to_string(i);
        args.insert(args.end(), {"--child-skip", list});
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const double busy_before = machine_busy_seconds();
    const auto started = Clock::now();
    const pid_t pid = ::fork();
    if (pid < 0) die(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    int status = 0;
    struct rusage usage {};
    while (::wait4(pid, &status, 0, &usage) < 0)
        if (errno != EINTR) die(std::string("wait4: ") + std::strerror(errno));
    ChildResult r;
    r.wall = seconds_since(started);
    r.cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
            static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    r.rss_mib = static_cast<double>(usage.ru_maxrss) / 1024.0;
    r.others = std::max(0.0, (machine_busy_seconds() - busy_before - r.cpu) / r.wall);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die("a measured run failed (status " + std::to_string(status) + ")");
    r.figures = json::parse(read_text(out));
    return r;
}

std::string thousands(double value) {
    const auto n = static_cast<long long>(value + 0.5);
    std::string digits = std::to_string(n < 0 ? -n : n), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return n < 0 ? "-" + out : out;
}

const char* verdict(bool ok) { return ok ? "PASS" : "MISS"; }

int run(const Options& o) {
    const fs::path cache_root = o.cache_root.empty() ? fs::temp_directory_path() : fs::path(o.cache_root);
    const Scale full = o.scale, small = o.scale.smaller();
    for (const Scale* scale : {&small, &full}) {
        const CacheInfo info = prepare_cache(*scale, cache_root);
        char line[256];
        std::snprintf(line, sizeof line, "certificates     %s for %s: %s\n", thousands(static_cast<double>(info.count)).c_str(),
                      scale == &full ? "the fleet" : "the 10x smaller fleet",
                      info.seconds > 0 ? ("made in " + std::to_string(static_cast<int>(info.seconds + 0.5)) + " s, " +
                                          info.dir.string())
                                             .c_str()
                                       : ("cached, " + info.dir.string()).c_str());
        std::cout << line << std::flush;
    }
    const fs::path full_cache = cache_root / ("certfleet-bench-inventory-" + full.name());
    const fs::path small_cache = cache_root / ("certfleet-bench-inventory-" + small.name());

    TempDir scratch;
    std::cout << "\nrun  fleet   sightings  ingest s  finish_scan s  sightings/s    DB MiB  RSS ingest  queries s  wall s  "
                 "others\n";
    const auto print_run = [&](const std::string& label, const ChildResult& r) {
        const auto& f = r.figures;
        double query_total = 0;
        for (const auto& q : f["queries"]) query_total += q["seconds"].get<double>();
        char line[256];
        if (!f["ingested"].get<bool>()) {
            std::snprintf(line, sizeof line, "%-4s %-6s %11s %9s %14s %12s %9s %10s %10.2f %7.1f %7.2f\n", label.c_str(),
                          "full", "(queries", "only,", "same", "database)", "", "", query_total, r.wall, r.others);
        } else {
            std::snprintf(line, sizeof line, "%-4s %-6s %11s %9.2f %14.2f %12s %9.1f %8.1f M %10.2f %7.1f %7.2f\n",
                          label.c_str(), f["locations"].get<std::uint64_t>() == full.locations ? "full" : "1/10",
                          thousands(f["sightings"].get<double>()).c_str(), f["ingest_api_seconds"].get<double>(),
                          f["ingest_finish_seconds"].get<double>(),
                          thousands(f["sightings"].get<double>() / f["ingest_api_seconds"].get<double>()).c_str(),
                          f["db_bytes"].get<double>() / 1048576.0, f["rss_ingest_kib"].get<double>() / 1024.0,
                          query_total, r.wall, r.others);
        }
        std::cout << line << std::flush;
    };

    const ChildResult small_run =
        run_child(o, small, small_cache, scratch.path() / "small.db", scratch.path() / "small.json", {});
    print_run("s", small_run);
    fs::remove(scratch.path() / "small.db");
    // Each run ingests the fleet anew while that fits the budget; the rest time the queries on the last database.
    std::vector<ChildResult> runs;
    std::vector<std::size_t> skip;
    fs::path last_db;
    double ingest_spent = 0;
    unsigned ingests = 0;
    for (unsigned i = 1; i <= o.runs; ++i) {
        const bool ingest = ingests == 0 || ingest_spent + ingest_spent / ingests <= o.ingest_budget;
        const fs::path db = ingest ? scratch.path() / ("run-" + std::to_string(i) + ".db") : last_db;
        runs.push_back(
            run_child(o, full, full_cache, db, scratch.path() / ("run-" + std::to_string(i) + ".json"), skip, ingest));
        if (ingest) {
            ++ingests;
            ingest_spent += runs.back().figures["ingest_wall_seconds"].get<double>();
            if (!last_db.empty()) fs::remove(last_db);
            last_db = db;
        }
        const auto& queries = runs.back().figures["queries"];
        for (std::size_t q = 0; q < queries.size(); ++q)
            if (queries[q].value("timed_out", false) && std::find(skip.begin(), skip.end(), q) == skip.end())
                skip.push_back(q);
        print_run(std::to_string(i), runs.back());
    }
    if (!o.keep_db.empty()) {
        fs::copy_file(last_db, o.keep_db, fs::copy_options::overwrite_existing);
        std::cout << "database kept    " << o.keep_db << "\n";
    }
    fs::remove(last_db);

    const auto median_of = [&](auto&& get, bool ingested_only) {
        std::vector<double> values;
        for (const auto& r : runs)
            if (!ingested_only || r.figures["ingested"].get<bool>()) values.push_back(get(r));
        return median(values);
    };
    const auto ingest_median = [&](const char* key) {
        return median_of([&](const ChildResult& r) { return r.figures[key].get<double>(); }, true);
    };
    const auto& first = runs.front().figures;
    const double sightings = first["sightings"].get<double>();
    const double ingest_seconds = ingest_median("ingest_api_seconds");
    const double finish_seconds = ingest_median("ingest_finish_seconds");
    const double ingest_wall = ingest_median("ingest_wall_seconds");
    const double rate = sightings / ingest_seconds;
    const double db_bytes = ingest_median("db_bytes");
    // Memory: the peak of the ingesting process, and what the writer added to the bench's own (libraries and the
    // fleet model, measured before the inventory opened); for queries, the most any one query's process grew.
    const double rss_ingest = ingest_median("rss_ingest_kib") / 1024.0;
    const double writer = (ingest_median("rss_ingest_kib") - ingest_median("rss_base_kib")) / 1024.0;
    // A query's memory: what its process added to the connection's. A query returning every certificate of the
    // view holds its answer, which grows with the fleet as it should; what must not grow is the rest. So each
    // query is judged by the smaller of two growths from the 1/10 fleet to the full one: of what it added, and of
    // what it added per row of its answer.
    struct QueryMemory {
        std::string name;
        double full_mib = 0, small_mib = 0, full_rows = 0, small_rows = 0, growth = 0;
    };
    const auto added_mib = [](const json& q) { return (q.value("rss_kib", 0.0) - q.value("rss_base_kib", 0.0)) / 1024.0; };
    QueryMemory most_grown, most_added;
    const auto& small_queries = small_run.figures["queries"];
    for (std::size_t i = 0; i < first["queries"].size() && i < small_queries.size(); ++i) {
        const auto &big = first["queries"][i], &small = small_queries[i];
        if (!big.contains("rss_base_kib") || !small.contains("rss_base_kib")) continue;
        QueryMemory m{big["name"], added_mib(big), added_mib(small), big.value("rows", 0.0), small.value("rows", 0.0)};
        const double whole = m.full_mib / std::max(m.small_mib, 0.1);  // 0.1 MiB: below what RSS resolves here
        m.growth = std::min(whole, whole * std::max(m.small_rows, 1.0) / std::max(m.full_rows, 1.0));
        if (m.growth > most_grown.growth) most_grown = m;
        if (m.full_mib > most_added.full_mib) most_added = m;
    }
    const double small_writer =
        (small_run.figures["rss_ingest_kib"].get<double>() - small_run.figures["rss_base_kib"].get<double>()) / 1024.0;
    const double small_rate = small_run.figures["sightings"].get<double>() / small_run.figures["ingest_api_seconds"].get<double>();

    const auto mib = [](double value) {
        const int tenths = static_cast<int>(value * 10 + 0.5);
        return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " MiB";
    };
    char line[512];
    std::cout << "\nfleet            " << thousands(first["locations"].get<double>()) << " certificate files + "
              << first["stores"].get<int>() << " trust stores, " << thousands(first["endpoints"].get<double>())
              << " endpoints, " << full.scans << " scans; " << thousands(first["certificates"].get<double>())
              << " distinct certificates\n";
    std::snprintf(line, sizeof line,
                  "sightings        %s (%s in files, %s of them trust-store anchors; %s at endpoints), plus %s key "
                  "sightings; %.1f%% of deployments rotate per scan\n",
                  thousands(sightings).c_str(), thousands(first["file_sightings"].get<double>()).c_str(),
                  thousands(first["anchor_sightings"].get<double>()).c_str(),
                  thousands(first["endpoint_sightings"].get<double>()).c_str(),
                  thousands(first["key_sightings"].get<double>()).c_str(), 100 * first["rotation_rate"].get<double>());
    std::cout << line;
    std::snprintf(line, sizeof line,
                  "runs             %u: %u ingesting the fleet anew (--ingest-budget %.0f s), %u timing the queries on "
                  "the last database\n",
                  o.runs, ingests, o.ingest_budget, o.runs - ingests);
    std::cout << line << "\nfigure (ingest: median of " << ingests << ")          value                 target\n";
    std::snprintf(line, sizeof line,
                  "ingest rate                          %-21s >= %s/s  %s   (%.2f s in the API, of which finish_scan "
                  "%.2f s; %.2f s with batch building)\n",
                  (thousands(rate) + " sightings/s").c_str(), thousands(kTargetIngest).c_str(),
                  verdict(rate >= kTargetIngest), ingest_seconds, finish_seconds, ingest_wall);
    std::cout << line;
    std::snprintf(line, sizeof line, "database size                        %-21s (%.1f MiB)\n",
                  (std::to_string(static_cast<int>(db_bytes / sightings + 0.5)) + " B/sighting").c_str(),
                  db_bytes / 1048576.0);
    std::cout << line;
    std::snprintf(line, sizeof line,
                  "peak RSS, ingest                     %-21s (the bench's own fleet model and libraries: %.1f MiB)\n",
                  mib(rss_ingest).c_str(),
                  rss_ingest - writer);
    std::cout << line;
    const double ratio_writer = writer / small_writer;
    std::snprintf(line, sizeof line,
                  "RSS the writer added                 %-21s <= %.1fx the 1/10 fleet's (%.1f MiB): %.2fx  %s\n",
                  mib(writer).c_str(),
                  kTargetRssRatio, small_writer, ratio_writer, verdict(ratio_writer <= kTargetRssRatio));
    std::cout << line;
    std::snprintf(line, sizeof line,
                  "RSS a query added, at most           %-21s (%s: %s rows; 1/10 fleet: %s for %s rows)\n",
                  mib(most_added.full_mib).c_str(), most_added.name.c_str(), thousands(most_added.full_rows).c_str(),
                  mib(most_added.small_mib).c_str(), thousands(most_added.small_rows).c_str());
    std::cout << line;
    char growth[32];
    std::snprintf(growth, sizeof growth, "%.2fx", most_grown.growth);
    std::snprintf(line, sizeof line,
                  "RSS a query added, growth            %-21s <= %.1fx the 1/10 fleet's, in all or per row of the answer  "
                  "%s   (%s: %s for %s rows; 1/10 fleet: %s for %s rows)\n",
                  growth, kTargetRssRatio,
                  verdict(most_grown.growth <= kTargetRssRatio), most_grown.name.c_str(), mib(most_grown.full_mib).c_str(),
                  thousands(most_grown.full_rows).c_str(), mib(most_grown.small_mib).c_str(),
                  thousands(most_grown.small_rows).c_str());
    std::cout << line;
    std::snprintf(line, sizeof line, "ingest rate of the 1/10 fleet        %s sightings/s\n", thousands(small_rate).c_str());
    std::cout << line;
    if (o.explain && first.contains("writer_statements")) {
        std::cout << "\nwriter statements (first run, by total time):\n";
        for (const auto& st : first["writer_statements"]) {
            std::snprintf(line, sizeof line, "  %8.2f s %10s runs  %6.1f us each  ", st["seconds"].get<double>(),
                          thousands(st["runs"].get<double>()).c_str(),
                          1e6 * st["seconds"].get<double>() / std::max(1.0, st["runs"].get<double>()));
            std::cout << line << st["sql"].get<std::string>().substr(0, 160) << "\n";
        }
        std::cout << "\n";
    }
    if (const double busy = median_of([](const ChildResult& r) { return r.others; }, false); busy > 0.25) {
        std::snprintf(line, sizeof line,
                      "note             other processes kept %.2f of %u cores busy during the runs (median): the "
                      "figures are pessimistic\n",
                      busy, std::thread::hardware_concurrency());
        std::cout << line;
    }

    std::cout << "\nquery (median of " << o.runs << ", fresh connection each)    seconds      rows   target     +RSS MiB   1/10 fleet s\n";
    std::vector<std::string> misses;
    const auto& names = first["queries"];
    for (std::size_t i = 0; i < names.size(); ++i) {
        const std::string name = names[i]["name"];
        std::string error;
        bool timed_out = false;
        const double seconds = median_of(
            [&](const ChildResult& r) {
                const auto& entry = r.figures["queries"][i];
                if (entry.contains("error")) error = entry["error"];
                if (entry.value("timed_out", false)) timed_out = true;
                return entry["seconds"].get<double>();
            },
            false);
        const auto& last = runs.front().figures["queries"][i];
        const std::string rows = last.contains("rows") ? thousands(last["rows"].get<double>()) : "-";
        const auto& small_entry = small_run.figures["queries"][i];
        const bool ok = error.empty() && !timed_out && seconds <= kTargetQuery;
        if (!ok) misses.push_back(name);
        char time_text[32];
        if (timed_out)
            std::snprintf(time_text, sizeof time_text, "> %.0f", o.query_timeout);
        else
            std::snprintf(time_text, sizeof time_text, "%.3f", seconds);
        std::snprintf(line, sizeof line, "%-44s %8s %9s   <= %.0f s %s %9.1f %13.3f%s%s\n", name.c_str(), time_text,
                      rows.c_str(), kTargetQuery, verdict(ok),
                      (last.value("rss_kib", 0.0) - last.value("rss_base_kib", last.value("rss_kib", 0.0))) / 1024.0,
                      small_entry["seconds"].get<double>(), timed_out ? "   stopped: over the time limit" : "",
                      error.empty() ? "" : ("   error: " + error).c_str());
        std::cout << line;
    }
    std::cout << "\n"
              << (misses.empty() ? std::string("every query within ") + std::to_string(static_cast<int>(kTargetQuery)) + " s\n"
                                 : std::to_string(misses.size()) + " queries over target\n");
    if (misses.empty()) return 0;
    if (!o.explain) {
        std::cout << "(--explain shows the slowest SQL statements of each miss and how SQLite plans them)\n";
        return 0;
    }
    // From the first run: the statement a stopped query was running, and the slowest ones of each miss.
    const auto print_statement = [](const std::string& heading, const std::string& sql,
                                    const std::vector<std::string>& plan) {
        std::cout << "  " << heading << "\n    " << sql << "\n";
        for (const auto& step : plan) std::cout << "      " << step << "\n";
    };
    for (std::size_t i = 0; i < names.size(); ++i) {
        const std::string name = names[i]["name"];
        if (std::find(misses.begin(), misses.end(), name) == misses.end()) continue;
        const json* entry = nullptr;
        for (const auto& r : runs)
            if (!r.figures["queries"][i].value("skipped", false)) {
                entry = &r.figures["queries"][i];
                break;
            }
        std::cout << "\n" << name << "\n";
        if (!entry) continue;
        if (entry->contains("running") && !(*entry)["running"].get<std::string>().empty())
            print_statement("running when stopped:", (*entry)["running"], (*entry)["running_plan"]);
        for (const auto& st : entry->value("statements", json::array())) {
            char heading[128];
            std::snprintf(heading, sizeof heading, "%.3f s in %lld run%s:", st["seconds"].get<double>(),
                          static_cast<long long>(st["runs"].get<std::int64_t>()), st["runs"] == 1 ? "" : "s");
            print_statement(heading, st["sql"], st["plan"]);
        }
    }
    return 0;
}

// --sqlite-pragma: an experiment on the inventory's connections without changing inventory/.
std::string g_pragma;
int apply_pragma(sqlite3* db, const char**, const sqlite3_api_routines*) {
    sqlite3_exec(db, ("PRAGMA " + g_pragma).c_str(), nullptr, nullptr, nullptr);
    return SQLITE_OK;
}

int child_main(const Options& o) {
    if (!o.sqlite_pragma.empty()) {
        g_pragma = o.sqlite_pragma;
        sqlite3_auto_extension(reinterpret_cast<void (*)()>(apply_pragma));
    }
    const auto marker = read_marker(o.child_cache);
    CacheInfo info{o.child_cache, std::stoull(marker.at("count")), std::stoll(marker.at("created_at")), 0};
    const json out = run_measured(o.scale, info, o.child_db, !o.child_queries_only, !o.child_ingest_only, o.query_timeout,
                                  o.child_skip, o.explain);
    std::ofstream file(o.child_out);
    file << out.dump(1) << "\n";
    return file ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app{"bench/inventory: the inventory at fleet scale. Stores 30 scans of a simulated fleet through the "
                 "writer API, then times every query;\nprints the ingest rate, database size, each query's time and "
                 "peak memory against their targets. Exits 0 whether or not the targets are met."};
    app.add_option("--runs", o.runs, "Measured runs of the full fleet; medians are reported")
        ->capture_default_str()
        ->check(CLI::Range(1u, 100u));
    auto* locations = app.add_option("--locations", o.scale.locations, "Certificate files in the fleet")
                          ->capture_default_str()
                          ->check(CLI::Range(20u, 10'000'000u));
    app.add_option("--endpoints", o.scale.endpoints, "TLS endpoints (at most one per 10 files)")
        ->capture_default_str()
        ->check(CLI::Range(1u, 1'000'000u));
    app.add_option("--scans", o.scale.scans, "Scans")->capture_default_str()->check(CLI::Range(2u, 10'000u));
    auto* certificates = app.add_option("--certificates", o.scale.certificates,
                                        "Distinct certificates to reach (sets the rotation rate)")
                             ->capture_default_str()
                             ->check(CLI::Range(100u, 100'000'000u));
    app.add_option("--cache", o.cache_root,
                   "Where the generated certificates are kept between runs (default: the temp dir)");
    app.add_option("--keep-db", o.keep_db, "Copy the last full run's database here (for EXPLAIN QUERY PLAN)");
    app.add_flag("--quick", o.quick, "3,000 files, 300 endpoints, 10,000 certificates, 1 run (unless given)");
    app.add_flag("--child", o.child)->group("");
    app.add_option("--child-cache", o.child_cache)->group("");
    app.add_option("--child-db", o.child_db)->group("");
    app.add_option("--child-out", o.child_out)->group("");
    app.add_flag("--child-ingest-only", o.child_ingest_only)->group("");
    app.add_option("--child-skip", o.child_skip)->group("")->delimiter(',');
    app.add_flag("--child-queries-only", o.child_queries_only)->group("");
    app.add_option("--ingest-budget", o.ingest_budget,
                   "Seconds: a run ingests the fleet anew only while the ingests so far, plus one more like them, fit "
                   "in this; later runs time the queries on the last database")
        ->capture_default_str();
    app.add_option("--sqlite-pragma", o.sqlite_pragma,
                   "An experiment: PRAGMA applied to every SQLite connection the measured runs open, e.g. "
                   "'cache_size=-65536' (not for the reported figures)");
    app.add_flag("--explain", o.explain,
                 "After the table, the SQL statements the writer spent its time in (traced, so the ingest figures "
                 "carry the tracing's cost) and the slowest statements of each missed query with their EXPLAIN QUERY "
                 "PLAN");
    app.add_option("--query-timeout", o.query_timeout,
                   "Seconds after which a query is stopped and reported as a miss (and not tried again in later runs)")
        ->capture_default_str()
        ->check(CLI::Range(1.0, 3600.0));
    CLI::Option* runs = app.get_option("--runs");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    if (o.quick) {
        if (!locations->count()) o.scale.locations = 3'000;
        if (!app.get_option("--endpoints")->count()) o.scale.endpoints = 300;
        if (!certificates->count()) o.scale.certificates = 10'000;
        if (!runs->count()) o.runs = 1;
    }
    ::signal(SIGPIPE, SIG_IGN);
    try {
        return o.child ? child_main(o) : run(o);
    } catch (const std::exception& e) {
        std::cerr << "bench_inventory: " << e.what() << "\n";
        return 1;
    }
}
