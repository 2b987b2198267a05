// Questions about certificates and endpoints in a view: the list, one certificate's detail, endpoints, shared
// certificates, reused keys and every placement.
#include <algorithm>
#include <cctype>
#include <set>

#include "inventory/query_logic.hpp"
#include "inventory/sql_queries.hpp"

namespace certfleet::inventory {

std::vector<CertificateSummary> SqlQueries::certificates(const Filter& filter) {
    return summaries(filter, "", [](Statement&) {});
}

std::vector<std::string> SqlQueries::fingerprints_starting_with(const std::string& prefix, std::size_t limit) {
    const std::string hex = normalized_fingerprint(prefix);
    if (hex.empty() || !std::all_of(hex.begin(), hex.end(), ::isxdigit)) return {};
    // A range on the unique index: every sha256 >= prefix and < prefix followed by the highest digit.
    Statement select(db_, "SELECT sha256 FROM certificates WHERE sha256 >= ?1 AND sha256 < ?2 ORDER BY sha256 LIMIT ?3");
    select.bind(1, hex).bind(2, hex + "g").bind(3, static_cast<std::int64_t>(limit));
    std::vector<std::string> out;
    while (select.step()) out.push_back(select.text(0));
    return out;
}

std::optional<CertificateDetail> SqlQueries::certificate(const std::string& sha256, const Filter& filter) {
    const auto id = certificate_id(sha256);
    if (!id) return std::nullopt;
    CertificateDetail detail;
    detail.summary = summary_of(*id, filter);
    for (auto& row : place_rows({*id}, filter, PlaceRows::in_view))
        if (has_labels(row.seen.labels, filter.labels)) detail.places.push_back(std::move(row.seen));
    Statement issuers(db_,
                      "SELECT i.sha256 FROM certificate_issuers ci JOIN certificates i ON i.id = ci.issuer_id "
                      "WHERE ci.certificate_id = ? ORDER BY i.sha256");
    issuers.bind(1, *id);
    while (issuers.step()) detail.issuers.push_back(issuers.text(0));
    Statement issued(db_, "SELECT count(*) FROM certificate_issuers WHERE issuer_id = ?");
    issued.bind(1, *id);
    if (issued.step()) detail.issued = issued.integer(0);
    issued.reset();
    detail.path = path_to_anchor(sha256, filter);
    Statement same_key(db_,
                       "SELECT o.sha256 FROM scans sc CROSS JOIN certificates o ON o.first_seen_scan = sc.id AND "
                       "o.spki_sha256 = ?2 WHERE o.id != ?1 ORDER BY o.not_after DESC");
    same_key.bind(1, *id).bind(2, detail.summary.cert.spki_sha256);
    while (same_key.step()) detail.same_key.push_back(same_key.text(0));
    for (auto& [spki, place] : key_files(filter, "= :spki", [&](Statement& s) {
             s.bind(":spki", detail.summary.cert.spki_sha256);
         }))
        detail.key_files.push_back(std::move(place));
    return detail;
}

std::vector<EndpointSummary> SqlQueries::endpoints(const Filter& filter) {
    const std::string from = !filter.scans.empty() ? "endpoint_observations o"
                                         : std::string(latest_scans(filter).endpoints) +
                                               " el CROSS JOIN endpoint_observations o ON o.scan_id = el.scan_id AND "
                                               "o.endpoint_id = el.endpoint_id";
    std::string where = !filter.scans.empty() ? "o.scan_id " + in_filter_scans(filter) : "true";
    where += " AND o.status != 'closed'";
    for (std::size_t i = 0; i < filter.labels.size(); ++i)
        where += label_condition("endpoint_labels", "endpoint_id", "o", i);
    if (const std::string leaf = certificate_conditions(filter); !leaf.empty())
        where += " AND EXISTS (SELECT 1 FROM endpoint_sightings es JOIN certificates c ON c.id = es.certificate_id "
                 "WHERE es.scan_id = o.scan_id AND es.endpoint_id = o.endpoint_id AND es.position = 0" + leaf + ")";
    // The current view knows which endpoints could not be seen again (place_states); a past view or one scan
    // shows each as that scan found it.
    const bool current = filter.scans.empty() && !filter.as_of;
    const std::string state = current ? "p.state, p.reason, (SELECT started_at FROM scans WHERE id = p.since_scan)"
                                      : "NULL, NULL, NULL";
    const std::string state_join =
        current ? " LEFT JOIN place_states p ON p.kind = 1 AND p.place_id = o.endpoint_id AND p.state = 'unseen'" : "";
    Statement select(db_, (std::string("SELECT o.scan_id, o.endpoint_id, sc.started_at, ") + kEndpointFactsColumns +
                           ", " + state + " FROM " + from + " JOIN endpoints e ON e.id = o.endpoint_id JOIN scans sc ON "
                           "sc.id = o.scan_id" + state_join + " WHERE " + where +
                           " ORDER BY o.earliest_expiry IS NULL, o.earliest_expiry, e.host, e.port, e.server_name, e.site")
                              .c_str());
    bind_view(select, filter);
    std::vector<EndpointSummary> out;
    std::vector<std::int64_t> ids;
    while (select.step()) {
        EndpointSummary endpoint;
        endpoint.scan = select.integer(0);
        ids.push_back(select.integer(1));
        endpoint.observed_at = select.integer(2);
        endpoint.facts = read_endpoint_facts(select, 3);
        if (const int state = 3 + kEndpointFactsColumnCount; !select.is_null(state)) {
            endpoint.state = PlaceState::unseen;
            endpoint.state_reason = select.text(state + 1);
            endpoint.unseen_since = select.integer(state + 2);
        }
        out.push_back(std::move(endpoint));
    }
    Statement chain(db_,
                    "SELECT c.sha256, c.id FROM endpoint_sightings es JOIN certificates c ON c.id = es.certificate_id "
                    "WHERE es.scan_id = ? AND es.endpoint_id = ? ORDER BY es.position");
    std::vector<std::int64_t> leaves(out.size(), 0);
    std::vector<std::pair<PlaceKey, ScanId>> labelled;
    for (std::size_t i = 0; i < out.size(); ++i) labelled.emplace_back(PlaceKey{kEndpointKind, ids[i]}, out[i].scan);
    const auto labels = labels_of_places(labelled);
    for (std::size_t i = 0; i < out.size(); ++i) {
        chain.bind(1, out[i].scan).bind(2, ids[i]);
        while (chain.step()) {
            if (out[i].chain.empty()) leaves[i] = chain.integer(1);
            out[i].chain.push_back(chain.text(0));
        }
        out[i].labels = labels.at(labelled[i]);
    }
    const auto reached = anchors_reached(leaves, filter);
    for (std::size_t i = 0; i < out.size(); ++i)
        if (auto it = reached.find(leaves[i]); it != reached.end()) out[i].anchor = it->second;
    return out;
}

ClientTrust SqlQueries::client_trust(const Filter& filter) {
    Filter view;
    view.scans = filter.scans;
    view.as_of = filter.as_of;
    return summarize_client_trust(endpoints(filter), certificates(view));
}

std::vector<SharedCertificate> SqlQueries::shared(const Filter& filter, std::int64_t min_places) {
    // Trust-store entries are where a certificate is trusted, not where it is used: a CA in every bundle is
    // not "shared" the way one server certificate on forty hosts is.
    Statement select(db_, ("WITH " + view_cte(filter) +
                           " SELECT v.certificate_id FROM view v JOIN certificates c ON c.id = v.certificate_id WHERE "
                           "v.anchor = 0" + certificate_conditions(filter) +
                           " GROUP BY v.certificate_id HAVING count(DISTINCT v.place_id * 2 + v.kind) >= :min ORDER BY "
                           "count(DISTINCT v.place_id * 2 + v.kind) DESC, v.certificate_id")
                              .c_str());
    bind_view(select, filter);
    select.bind(":min", min_places);
    std::vector<std::int64_t> ids;
    while (select.step()) ids.push_back(select.integer(0));

    std::unordered_map<std::int64_t, SharedCertificate> by_id;
    for (auto& summary : summaries_of(ids, filter)) {
        const auto id = summary_ids_.at(summary.cert.sha256);
        by_id[id].summary = std::move(summary);
    }
    for (auto& row : place_rows(ids, filter, PlaceRows::in_view)) {
        if (row.seen.place.trust_anchor || !has_labels(row.seen.labels, filter.labels)) continue;
        by_id[row.certificate_id].places.push_back(std::move(row.seen));
    }
    std::vector<SharedCertificate> out;
    for (auto id : ids) {
        auto& entry = by_id[id];
        entry.split = label_split(entry.places);
        out.push_back(std::move(entry));
    }
    return out;
}

std::vector<ReusedKey> SqlQueries::reused_keys(const Filter& filter) {
    // One public key behind two or more certificates in the view, or one private key file at two or more paths.
    Statement select(db_, ("WITH " + view_cte(filter) +
                           " SELECT c.spki_sha256 FROM view v JOIN certificates c ON c.id = v.certificate_id "
                           "GROUP BY c.spki_sha256 HAVING count(DISTINCT c.id) >= 2")
                              .c_str());
    bind_view(select, filter);
    std::set<std::string> spkis;
    while (select.step()) spkis.insert(select.text(0));
    std::map<std::string, std::vector<Place>> files_by_spki;
    for (auto& [spki, place] : key_files(filter, "IS NOT NULL", [](Statement&) {})) files_by_spki[spki].push_back(place);
    for (const auto& [spki, files] : files_by_spki)
        if (files.size() >= 2) spkis.insert(spki);

    // One pass over the view for every reused key's certificates, not one per key.
    std::map<std::string, std::vector<CertificateSummary>> certificates_by_spki;
    const std::vector<std::string> wanted(spkis.begin(), spkis.end());
    for (auto& summary : summaries(filter, " AND c.spki_sha256 IN (SELECT value FROM json_each(:spkis))",
                                   [&](Statement& s) { s.bind(":spkis", json_list(wanted)); }))
        certificates_by_spki[summary.cert.spki_sha256].push_back(std::move(summary));
    std::vector<ReusedKey> out;
    for (const auto& spki : spkis) {
        ReusedKey key;
        key.spki_sha256 = spki;
        key.certificates = std::move(certificates_by_spki[spki]);
        if (auto it = files_by_spki.find(spki); it != files_by_spki.end()) key.key_files = it->second;
        out.push_back(std::move(key));
    }
    order_reused_keys(out);
    return out;
}

std::vector<Placement> SqlQueries::placements(const Filter& filter) {
    Statement select(db_, ("WITH " + view_cte(filter) +
                           " SELECT v.kind, v.place_id, v.position, v.anchor, v.scan_id, sc.started_at, c.sha256, "
                           "CASE WHEN v.anchor = 1 AND " +
                           sighting_has("system_anchor_sightings", "v.scan_id", "v.place_id", "v.position") +
                           " THEN 1 ELSE 0 END" +
                           ", c.id FROM view v JOIN certificates c ON c.id = v.certificate_id JOIN scans sc ON sc.id = "
                           "v.scan_id WHERE true" + certificate_conditions(filter) + " ORDER BY v.kind, v.place_id, v.position")
                              .c_str());
    bind_view(select, filter);
    const auto leaves = used_as_leaf(filter);
    std::vector<Placement> out;
    std::vector<PlaceKey> keys;
    while (select.step()) {
        Placement placement;
        keys.push_back({static_cast<int>(select.integer(0)), select.integer(1)});
        placement.seen.place.position = static_cast<int>(select.integer(2));
        placement.seen.place.trust_anchor = select.integer(3) != 0;
        placement.seen.last_scan = select.integer(4);
        placement.seen.first_seen = placement.seen.last_seen = select.integer(5);
        placement.sha256 = select.text(6);
        placement.seen.place.system_store = select.integer(7) != 0;
        placement.used_as_leaf = leaves.contains(select.integer(8));
        out.push_back(std::move(placement));
    }
    std::vector<std::pair<PlaceKey, ScanId>> labelled;
    for (std::size_t i = 0; i < out.size(); ++i) labelled.emplace_back(keys[i], out[i].seen.last_scan);
    const auto places = places_of(keys);
    const auto labels = labels_of_places(labelled);
    for (std::size_t i = 0; i < out.size(); ++i) {
        out[i].seen.place = with_sighting_facts(places.at(keys[i]), out[i].seen.place);
        out[i].seen.labels = labels.at(labelled[i]);
    }
    return out;
}

}  // namespace certfleet::inventory
