// Trust anchors and the issuer links up to them: anchors, trust stores, a certificate's path to an anchor, and
// the ancestors of certificates.
#include <algorithm>
#include <unordered_set>

#include "inventory/query_logic.hpp"
#include "inventory/sql_queries.hpp"

namespace certfleet::inventory {

namespace {

// The recursive CTE `up(start, certificate_id, depth)`: from each row of `start_sql` (start, id, 0) up the issuer
// links, kMaxChainDepth deep at most.
std::string issuer_walk_cte(const std::string& start_sql) {
    return "up(start, certificate_id, depth) AS (" + start_sql +
           " UNION SELECT up.start, ci.issuer_id, up.depth + 1 FROM up JOIN certificate_issuers ci ON "
           "ci.certificate_id = up.certificate_id WHERE up.depth < " + std::to_string(kMaxChainDepth) + ")";
}

}  // namespace

std::vector<AnchorSummary> SqlQueries::anchors(const Filter& filter) {
    // Stores and their anchors, then how many live certificates in the view chain up to each anchor.
    const Filter unconditioned = without_certificate_conditions(filter);
    const auto all_stores = stores(unconditioned);
    std::unordered_set<std::string> anchor_shas;
    for (const auto& store : all_stores)
        for (const auto& anchor : store.anchors) anchor_shas.insert(anchor.cert.sha256);
    Statement live(db_, ("WITH RECURSIVE " + view_cte(unconditioned) +
                         ", live(certificate_id) AS (SELECT DISTINCT v.certificate_id FROM view v JOIN certificates c "
                         "ON c.id = v.certificate_id WHERE v.anchor = 0 AND c.not_after > :now), " +
                         issuer_walk_cte("SELECT certificate_id, certificate_id, 0 FROM live") +
                         " SELECT c.sha256, count(DISTINCT up.start) FROM up JOIN certificates c ON "
                         "c.id = up.certificate_id GROUP BY c.id")
                            .c_str());
    bind_view(live, unconditioned);
    std::unordered_map<std::string, std::int64_t> issues_live;
    while (live.step()) {
        const std::string sha = live.text(0);
        if (anchor_shas.contains(sha)) issues_live[sha] = live.integer(1);
    }
    std::vector<std::int64_t> anchor_ids;
    for (const auto& sha : anchor_shas) anchor_ids.push_back(summary_ids_.at(sha));
    std::unordered_set<std::string> leaves;
    if (!anchor_ids.empty())
        for (const auto id : used_as_leaf(unconditioned, "IN (" + id_list(anchor_ids) + ")")) leaves.insert(sha256_of(id));
    return summarize_anchors(all_stores, issues_live, leaves, filter);
}

std::vector<TrustStore> SqlQueries::stores(const Filter& filter) {
    Statement select(db_, ("WITH " + view_cte(filter) +
                           " SELECT v.place_id, max(v.scan_id), v.certificate_id, max(" +
                           sighting_flag("system_anchor_sightings", "v.scan_id", "v.place_id", "v.position") +
                           ") FROM view v JOIN certificates c ON c.id = v.certificate_id WHERE v.anchor = 1 AND "
                           "v.kind = 0" + certificate_conditions(filter) +
                           " GROUP BY v.place_id, v.certificate_id ORDER BY v.place_id")
                              .c_str());
    bind_view(select, filter);
    std::vector<std::tuple<std::int64_t, ScanId, std::int64_t>> rows;
    std::unordered_set<std::int64_t> system_stores;
    while (select.step()) {
        rows.emplace_back(select.integer(0), select.integer(1), select.integer(2));
        if (select.integer(3) != 0) system_stores.insert(select.integer(0));
    }
    std::vector<std::int64_t> certificate_ids;
    for (const auto& row : rows) certificate_ids.push_back(std::get<2>(row));
    std::unordered_map<std::int64_t, CertificateSummary> summary_by_id;
    for (auto& summary : summaries_of(certificate_ids, filter)) {
        const auto id = summary_ids_.at(summary.cert.sha256);
        summary_by_id.emplace(id, std::move(summary));
    }
    std::vector<TrustStore> out;
    std::int64_t current = -1;
    for (const auto& [place, scan, certificate] : rows) {
        if (place != current) {
            TrustStore store;
            store.place = place_of({kFileKind, place});
            store.last_seen = scan_started(scan);
            store.system_store = system_stores.contains(place);
            out.push_back(std::move(store));
            current = place;
        }
        if (auto it = summary_by_id.find(certificate); it != summary_by_id.end())
            out.back().anchors.push_back(it->second);
    }
    for (auto& store : out)
        std::sort(store.anchors.begin(), store.anchors.end(), [](const auto& a, const auto& b) {
            return a.cert.subject != b.cert.subject ? a.cert.subject < b.cert.subject : a.cert.sha256 < b.cert.sha256;
        });
    std::sort(out.begin(), out.end(), [](const TrustStore& a, const TrustStore& b) { return a.place.path < b.place.path; });
    return out;
}

AnchorPath SqlQueries::path_to_anchor(const std::string& sha256, const Filter& filter) {
    AnchorPath path;
    const auto start = certificate_id(sha256);
    if (!start) return path;
    Filter whole = without_certificate_conditions(filter);
    whole.labels.clear();
    std::unordered_map<std::int64_t, std::vector<std::string>> stores_by_anchor;
    for (const auto& store : stores(whole))
        for (const auto& anchor : store.anchors)
            stores_by_anchor[summary_ids_.at(anchor.cert.sha256)].push_back(store.place.display());

    const auto walk = walk_to_anchor(
        *start, [&](std::int64_t id) { return stores_by_anchor.contains(id); },
        [&](std::int64_t id) { return issuers_of(id); });
    for (auto id : walk.chain) path.chain.push_back(sha256_of(id));
    if (walk.anchored) {
        path.anchor = path.chain.back();
        path.stores = stores_by_anchor[walk.chain.back()];
    }
    return path;
}

// For each of these certificates that chains up (through the issuer links) to an anchor some trust store in
// the filter's view holds, the nearest such anchor's sha256.
std::unordered_map<std::int64_t, std::string> SqlQueries::anchors_reached(const std::vector<std::int64_t>& ids,
                                                                             const Filter& filter) {
    std::unordered_map<std::int64_t, std::string> out;
    const std::string list = id_list(ids);
    if (list.empty()) return out;
    Filter stores_only;
    stores_only.scans = filter.scans;
    stores_only.as_of = filter.as_of;
    Statement select(db_, ("WITH RECURSIVE " + view_cte(stores_only) +
                           ", anchors AS (SELECT DISTINCT certificate_id FROM view WHERE anchor = 1), " +
                           issuer_walk_cte("SELECT id, id, 0 FROM certificates WHERE id IN (" + list + ")") +
                           " SELECT start, sha256 FROM (SELECT up.start AS start, c.sha256 AS sha256, row_number() "
                           "OVER (PARTITION BY up.start ORDER BY up.depth, c.sha256) AS nearness FROM up JOIN "
                           "anchors USING (certificate_id) JOIN certificates c ON c.id = up.certificate_id) ranked "
                           "WHERE nearness = 1")
                              .c_str());
    bind_view(select, stores_only);
    while (select.step()) out.emplace(select.integer(0), select.text(1));
    return out;
}

std::map<std::string, std::vector<Ancestor>> SqlQueries::ancestors(const std::vector<std::string>& sha256s) {
    std::map<std::string, std::vector<Ancestor>> out;
    if (sha256s.empty()) return out;
    std::vector<std::string> wanted;
    for (const auto& sha : sha256s) wanted.push_back(normalized_fingerprint(sha));
    Statement select(db_, ("WITH RECURSIVE " +
                           issuer_walk_cte("SELECT c.id, c.id, 0 FROM json_each(:wanted) w JOIN certificates c ON "
                                           "c.sha256 = w.value") +
                           " SELECT s.sha256, a.sha256, a.subject, a.spki_sha256, min(up.depth) FROM up JOIN "
                           "certificates s ON s.id = up.start JOIN certificates a ON a.id = up.certificate_id WHERE "
                           "up.depth > 0 AND up.certificate_id != up.start GROUP BY s.id, a.id ORDER BY s.id, "
                           "min(up.depth), a.sha256")
                              .c_str());
    select.bind(":wanted", json_list(wanted));
    while (select.step())
        out[select.text(0)].push_back(
            Ancestor{select.text(1), select.text(2), select.text(3), static_cast<int>(select.integer(4))});
    return out;
}

}  // namespace certfleet::inventory
