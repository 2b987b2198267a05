#include "inventory/query_logic.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <set>

#include "core/host_identity.hpp"

namespace certfleet::inventory {

std::string Place::display() const {
    if (kind == Kind::file) return host.empty() || host == this_host().name ? path : host + ":" + path;
    const bool v6 = host.find(':') != std::string::npos;
    std::string text = (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
    if (!server_name.empty() && server_name != host) text += " sni=" + server_name;
    if (!site.empty()) text += " site=" + site;
    return text;
}

UnixTime filter_now(const Filter& filter) {
    if (filter.now) return filter.now;
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string normalized_fingerprint(const std::string& text) {
    std::string out;
    for (char ch : text) {
        if (ch == ':') continue;
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
    return out;
}

bool has_labels(const Labels& have, const Labels& wanted) {
    return std::all_of(wanted.begin(), wanted.end(),
                       [&](const Label& w) { return std::find(have.begin(), have.end(), w) != have.end(); });
}

Labels merged_labels(Labels own, const Labels& of_scan) {
    const std::size_t owned = own.size();
    for (const auto& label : of_scan)
        if (std::none_of(own.begin(), own.begin() + static_cast<std::ptrdiff_t>(owned),
                         [&](const Label& l) { return l.key == label.key; }))
            own.push_back(label);
    std::sort(own.begin(), own.end(), [](const Label& a, const Label& b) { return a.key < b.key; });
    return own;
}

bool meets_certificate_conditions(const CertInfo& cert, const Filter& filter) {
    if (filter.expiring_within && cert.not_after > filter_now(filter) + *filter.expiring_within) return false;
    if (filter.self_signed && !cert.self_signed) return false;
    if (!filter.issuer.empty()) {
        const auto lower = [](std::string s) {
            std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
            return s;
        };
        if (lower(cert.issuer).find(lower(filter.issuer)) == std::string::npos) return false;
    }
    return true;
}

Filter without_certificate_conditions(Filter filter) {
    filter.expiring_within.reset();
    filter.self_signed = false;
    filter.issuer.clear();
    return filter;
}

Place with_sighting_facts(Place shared, const Place& sighting) {
    shared.position = sighting.position;
    shared.trust_anchor = sighting.trust_anchor;
    shared.system_store = sighting.system_store;
    return shared;
}

std::map<std::string, std::vector<std::string>> label_split(const std::vector<PlaceSeen>& places) {
    std::map<std::string, std::vector<std::string>> split;
    for (const auto& seen : places)
        for (const auto& label : seen.labels) {
            auto& values = split[label.key];
            if (std::find(values.begin(), values.end(), label.value) == values.end()) values.push_back(label.value);
        }
    std::erase_if(split, [](const auto& kv) { return kv.second.size() < 2; });
    for (auto& [key, values] : split) std::sort(values.begin(), values.end());
    return split;
}

void order_reused_keys(std::vector<ReusedKey>& keys) {
    std::sort(keys.begin(), keys.end(), [](const ReusedKey& a, const ReusedKey& b) {
        const auto weight = [](const ReusedKey& k) { return k.certificates.size() + k.key_files.size(); };
        return weight(a) != weight(b) ? weight(a) > weight(b) : a.spki_sha256 < b.spki_sha256;
    });
}

std::vector<AnchorSummary> summarize_anchors(const std::vector<TrustStore>& stores,
                                             const std::unordered_map<std::string, std::int64_t>& issues_live,
                                             const std::unordered_set<std::string>& used_as_leaf, const Filter& filter) {
    std::map<std::string, std::vector<std::string>> stores_of;  // anchor sha256 -> store displays
    std::set<std::string> held_by_user_store;                   // anchors some store of the user's own holds
    std::vector<std::string> store_names;
    for (const auto& store : stores) {
        store_names.push_back(store.place.display());
        for (const auto& anchor : store.anchors) {
            stores_of[anchor.cert.sha256].push_back(store.place.display());
            if (!store.system_store) held_by_user_store.insert(anchor.cert.sha256);
        }
    }
    std::vector<AnchorSummary> out;
    std::set<std::string> done;
    for (const auto& store : stores) {
        for (const auto& anchor : store.anchors) {
            if (!done.insert(anchor.cert.sha256).second) continue;
            if (!meets_certificate_conditions(anchor.cert, filter)) continue;
            AnchorSummary summary;
            summary.summary = anchor;
            summary.stores = stores_of[anchor.cert.sha256];
            if (auto live = issues_live.find(anchor.cert.sha256); live != issues_live.end())
                summary.issues_live = live->second;
            summary.pinned_leaf = acts_as_leaf(anchor.cert, used_as_leaf.contains(anchor.cert.sha256));
            summary.system_store = !held_by_user_store.contains(anchor.cert.sha256);
            summary.stale = summary.issues_live == 0;
            if (!summary.stale)
                for (const auto& name : store_names)
                    if (std::find(summary.stores.begin(), summary.stores.end(), name) == summary.stores.end())
                        summary.missing_from.push_back(name);
            out.push_back(std::move(summary));
        }
    }
    std::sort(out.begin(), out.end(), [](const AnchorSummary& a, const AnchorSummary& b) {
        return a.summary.cert.not_after != b.summary.cert.not_after ? a.summary.cert.not_after < b.summary.cert.not_after
                                                                    : a.summary.cert.sha256 < b.summary.cert.sha256;
    });
    return out;
}

IssuerWalk walk_to_anchor(std::int64_t start, const std::function<bool(std::int64_t)>& is_anchor,
                          const std::function<std::vector<std::int64_t>(std::int64_t)>& issuers_of) {
    std::vector<std::int64_t> best, trail{start};
    std::function<bool(std::int64_t)> climb = [&](std::int64_t id) {
        if (is_anchor(id)) {
            best = trail;
            return true;
        }
        if (trail.size() > best.size()) best = trail;
        if (static_cast<int>(trail.size()) > kMaxChainDepth) return false;
        for (auto issuer : issuers_of(id)) {
            if (std::find(trail.begin(), trail.end(), issuer) != trail.end()) continue;
            trail.push_back(issuer);
            if (climb(issuer)) return true;
            trail.pop_back();
        }
        return false;
    };
    const bool anchored = climb(start);
    return IssuerWalk{std::move(best), anchored};
}

std::vector<Rotation> rotations_in(const Place& place, const std::vector<PlaceHead>& heads) {
    std::vector<Rotation> out;
    for (std::size_t i = 1; i < heads.size(); ++i) {
        const auto& before = heads[i - 1];
        const auto& after = heads[i];
        if (after.sha256 != before.sha256)
            out.push_back(Rotation{place, before.scan, after.scan, after.at, before.sha256, after.sha256,
                                   after.spki_sha256 != before.spki_sha256});
    }
    return out;
}

std::string validity_verdict(UnixTime not_before, UnixTime not_after, UnixTime at) {
    return not_after < at ? "expired" : not_before > at ? "not-yet-valid" : "valid";
}

std::optional<ScanRecord> scan_current_at(const std::vector<ScanRecord>& scans, UnixTime moment) {
    std::optional<ScanRecord> current;
    for (const auto& scan : scans) {
        const bool finished = scan.status == ScanStatus::complete || scan.status == ScanStatus::interrupted;
        if (finished && scan.finished_at && *scan.finished_at <= moment && (!current || scan.id > current->id))
            current = scan;
    }
    return current;
}

ClientTrust summarize_client_trust(const std::vector<EndpointSummary>& endpoints,
                                   const std::vector<CertificateSummary>& certificates) {
    ClientTrust trust;
    std::map<std::string, ClientCa> by_name;
    for (const auto& endpoint : endpoints) {
        if (endpoint.facts.client_auth == ClientAuth::none) continue;
        trust.services.push_back(endpoint);
        for (const auto& name : endpoint.facts.client_ca_names) {
            ClientCa& ca = by_name[name];
            ca.name = name;
            ca.services.push_back(endpoint);
        }
    }
    for (const auto& certificate : certificates)
        if (auto found = by_name.find(certificate.cert.subject); found != by_name.end())
            found->second.known.push_back(certificate);
    for (auto& [name, ca] : by_name) trust.cas.push_back(std::move(ca));
    return trust;
}

}  // namespace certfleet::inventory
