// bench/inventory: the simulated fleet's hosts, certificate files, trust stores and endpoints, and how its
// certificates rotate from scan to scan.
#include <cstdio>

#include "bench/inventory/fleet.hpp"

namespace certfleet::bench::inventory {
namespace {

constexpr std::uint64_t kSeed = 0xCE27F1EE71;

}  // namespace

Simulation::Simulation(const Scale& scale) : scale_(scale), rng_(kSeed) { build(); }

void Simulation::next_scan() {
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

void Simulation::build() {
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

std::uint32_t Simulation::add_deployment(Deployment dep) {
    deployments_.push_back(std::move(dep));
    return static_cast<std::uint32_t>(deployments_.size() - 1);
}

void Simulation::issue(std::uint32_t d) {
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

}  // namespace certfleet::bench::inventory
