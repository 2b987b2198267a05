// Questions over time: one certificate's history and the changes between two scans.
#include <algorithm>
#include <set>
#include <tuple>

#include "inventory/query_logic.hpp"
#include "inventory/sql_queries.hpp"

namespace certfleet::inventory {

std::optional<CertificateHistory> SqlQueries::history(const std::string& sha256) {
    const auto id = certificate_id(sha256);
    if (!id) return std::nullopt;
    CertificateHistory history;
    history.summary = summary_of(*id, Filter{});
    Statement scans(db_,
                    "SELECT id, started_at, places FROM (SELECT sc.id, sc.started_at, (SELECT count(*) FROM "
                    "sightings s WHERE s.scan_id = sc.id AND s.certificate_id = ?1) + (SELECT count(*) FROM "
                    "endpoint_sightings es WHERE es.scan_id = sc.id AND es.certificate_id = ?1) AS places FROM scans "
                    "sc) counted WHERE places > 0 ORDER BY id");
    scans.bind(1, *id);
    while (scans.step()) history.scans.push_back(HistoryEntry{scans.integer(0), scans.integer(1), scans.integer(2)});
    std::set<PlaceKey> places;
    for (auto& row : place_rows({*id}, Filter{}, PlaceRows::all)) {
        if (row.seen.place.position == 0) places.insert(row.key);
        history.places.push_back(std::move(row.seen));
    }
    for (const auto& key : places)
        for (auto& rotation : rotations_at(key))
            if (rotation.old_sha256 == sha256 || rotation.new_sha256 == sha256)
                history.rotations.push_back(std::move(rotation));
    std::sort(history.rotations.begin(), history.rotations.end(),
              [](const Rotation& a, const Rotation& b) { return a.to_scan < b.to_scan; });
    return history;
}

// The views after the two scans compared: a files scan after a network scan changes nothing about endpoints,
// and a place gone between them is gone from the later view.
ScanDiff SqlQueries::diff(ScanId from, ScanId to) {
    ScanDiff diff;
    diff.from = scan_record(from);
    diff.to = scan_record(to);
    const auto latest = latest_finished_scan();
    const auto view_after = [&](ScanId scan) {
        Filter view;
        if (!latest || scan < latest->id) view.as_of = scan;
        return view;
    };
    const auto summaries_after = [&](ScanId scan) {
        std::map<std::string, CertificateSummary> by_sha;
        for (auto& summary : summaries(view_after(scan), "", [](Statement&) {}))
            by_sha.emplace(summary.cert.sha256, std::move(summary));
        return by_sha;
    };
    const auto certificates_before = summaries_after(from), certificates_after = summaries_after(to);
    for (const auto& [sha, summary] : certificates_after)
        if (!certificates_before.contains(sha)) diff.new_certificates.push_back(summary);
    for (const auto& [sha, summary] : certificates_before)
        if (!certificates_after.contains(sha)) diff.gone_certificates.push_back(summary);
    const auto by_expiry = [](const CertificateSummary& a, const CertificateSummary& b) {
        return std::tie(a.cert.not_after, a.cert.sha256) < std::tie(b.cert.not_after, b.cert.sha256);
    };
    std::sort(diff.new_certificates.begin(), diff.new_certificates.end(), by_expiry);
    std::sort(diff.gone_certificates.begin(), diff.gone_certificates.end(), by_expiry);

    // What each view holds at the head of every place: the first certificate of a file that is not a trust
    // store, an endpoint's leaf; with the scan that saw it there and its verdict then.
    struct Head {
        std::string sha256, spki, verdict;
        ScanId scan = 0;
    };
    const auto heads = [&](ScanId scan) {
        const Filter view = view_after(scan);
        Statement select(db_, ("WITH " + view_cte(view) +
                               " SELECT v.kind, v.place_id, c.sha256, c.spki_sha256, c.not_before, c.not_after, CASE "
                               "WHEN v.kind = 1 THEN (SELECT CASE WHEN o.verified != 0 THEN 'verified' ELSE o.verify_error "
                               "END FROM endpoint_observations o WHERE o.scan_id = v.scan_id AND o.endpoint_id = "
                               "v.place_id) ELSE '' END, v.scan_id FROM view v JOIN certificates c ON c.id = "
                               "v.certificate_id WHERE v.position = 0 AND v.anchor = 0")
                                  .c_str());
        bind_view(select, view);
        const UnixTime at = scan_started(scan);
        std::map<PlaceKey, Head> out;
        while (select.step()) {
            std::string verdict = select.text(6);
            if (select.integer(0) == kFileKind) verdict = validity_verdict(select.integer(4), select.integer(5), at);
            out[{static_cast<int>(select.integer(0)), select.integer(1)}] =
                Head{select.text(2), select.text(3), verdict, select.integer(7)};
        }
        return out;
    };
    const auto before = heads(from), after = heads(to);
    const auto seen_at = [&](const PlaceKey& key, ScanId scan) {
        PlaceSeen seen;
        seen.place = place_of(key);
        seen.first_seen = seen.last_seen = scan_started(scan);
        seen.last_scan = scan;
        seen.labels = labels_of(key, scan);
        return seen;
    };
    for (const auto& [key, head] : after) {
        auto it = before.find(key);
        if (it == before.end()) {
            diff.new_places.push_back(seen_at(key, head.scan));
            continue;
        }
        const Head& old = it->second;
        if (old.sha256 != head.sha256) {
            diff.rotated.push_back(Rotation{place_of(key), from, to, diff.to.started_at, old.sha256, head.sha256,
                                            old.spki != head.spki});
        } else if (old.verdict != head.verdict) {
            diff.changed_verdicts.push_back(ScanDiff::VerdictChange{place_of(key), head.sha256, old.verdict, head.verdict});
        }
    }
    for (const auto& [key, old] : before)
        if (!after.contains(key)) diff.gone_places.push_back(seen_at(key, old.scan));
    // By place, not by row id: ids follow the order in which probes happened to answer.
    const auto place_order = [](const Place& p) {
        return std::tie(p.kind, p.host, p.path, p.address, p.port, p.server_name, p.site, p.format);
    };
    const auto by_place = [&](const auto& a, const auto& b) { return place_order(a.place) < place_order(b.place); };
    std::sort(diff.new_places.begin(), diff.new_places.end(), by_place);
    std::sort(diff.gone_places.begin(), diff.gone_places.end(), by_place);
    std::sort(diff.rotated.begin(), diff.rotated.end(), by_place);
    std::sort(diff.changed_verdicts.begin(), diff.changed_verdicts.end(), by_place);
    return diff;
}

// Every change of the certificate at the head of a place, between consecutive scans that looked at it.
std::vector<Rotation> SqlQueries::rotations_at(const PlaceKey& key) {
    Statement select(db_, key.kind == kFileKind
                              ? "SELECT sc.id, sc.started_at, c.sha256, c.spki_sha256 FROM scans sc CROSS JOIN "
                                "sightings s ON s.scan_id = sc.id AND s.location_id = ?1 AND s.position = 0 JOIN "
                                "certificates c ON c.id = s.certificate_id ORDER BY sc.id"
                              : "SELECT sc.id, sc.started_at, c.sha256, c.spki_sha256 FROM scans sc CROSS JOIN "
                                "endpoint_sightings es ON es.scan_id = sc.id AND es.endpoint_id = ?1 AND "
                                "es.position = 0 JOIN certificates c ON c.id = es.certificate_id ORDER BY sc.id");
    select.bind(1, key.id);
    std::vector<PlaceHead> heads;
    while (select.step()) heads.push_back(PlaceHead{select.integer(0), select.integer(1), select.text(2), select.text(3)});
    return rotations_in(place_of(key), heads);
}

}  // namespace certfleet::inventory
