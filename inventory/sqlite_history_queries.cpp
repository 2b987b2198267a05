// Questions over time: one certificate's history and the changes between two scans.
#include <algorithm>
#include <set>
#include <tuple>

#include "inventory/query_logic.hpp"
#include "inventory/sqlite_queries.hpp"

namespace certfleet::inventory {

std::optional<CertificateHistory> SqliteQueries::history(const std::string& sha256) {
    const auto id = certificate_id(sha256);
    if (!id) return std::nullopt;
    CertificateHistory history;
    history.summary = summary_of(*id, Filter{});
    Statement scans(db_,
                    "SELECT sc.id, sc.started_at, (SELECT count(*) FROM sightings s WHERE s.scan_id = sc.id AND "
                    "s.certificate_id = ?1) + (SELECT count(*) FROM endpoint_sightings es WHERE es.scan_id = sc.id "
                    "AND es.certificate_id = ?1) AS places FROM scans sc WHERE places > 0 ORDER BY sc.id");
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

ScanDiff SqliteQueries::diff(ScanId from, ScanId to) {
    ScanDiff diff;
    diff.from = scan_record(from);
    diff.to = scan_record(to);
    const auto certificates_only_in = [&](ScanId in, ScanId not_in) {
        Filter filter;
        filter.scan = in;
        return summaries(filter,
                         " AND c.id NOT IN (SELECT certificate_id FROM sightings WHERE scan_id = :other UNION SELECT "
                         "certificate_id FROM endpoint_sightings WHERE scan_id = :other)",
                         [&](Statement& s) { s.bind(":other", not_in); });
    };
    diff.new_certificates = certificates_only_in(to, from);
    diff.gone_certificates = certificates_only_in(from, to);

    // What each scan saw at the head of every place: the first certificate of a file, an endpoint's leaf.
    const auto heads = [&](ScanId scan) {
        Statement select(db_,
                         "SELECT 0, s.location_id, c.sha256, c.spki_sha256, c.not_before, c.not_after, '' FROM "
                         "sightings s JOIN certificates c ON c.id = s.certificate_id WHERE s.scan_id = ?1 AND "
                         "s.position = 0 AND NOT EXISTS (SELECT 1 FROM anchor_sightings a WHERE a.scan_id = s.scan_id "
                         "AND a.location_id = s.location_id AND a.position = 0) UNION ALL SELECT 1, o.endpoint_id, "
                         "c.sha256, c.spki_sha256, c.not_before, c.not_after, CASE WHEN o.verified THEN 'verified' "
                         "ELSE o.verify_error END FROM endpoint_observations o JOIN endpoint_sightings es ON "
                         "es.scan_id = o.scan_id AND es.endpoint_id = o.endpoint_id AND es.position = 0 JOIN "
                         "certificates c ON c.id = es.certificate_id WHERE o.scan_id = ?1");
        select.bind(1, scan);
        const UnixTime at = scan_started(scan);
        std::map<PlaceKey, std::tuple<std::string, std::string, std::string>> out;  // sha, spki, verdict
        while (select.step()) {
            std::string verdict = select.text(6);
            if (select.integer(0) == kFileKind)
                verdict = validity_verdict(select.integer(4), select.integer(5), at);
            out[{static_cast<int>(select.integer(0)), select.integer(1)}] = {select.text(2), select.text(3), verdict};
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
            diff.new_places.push_back(seen_at(key, to));
            continue;
        }
        const auto& [old_sha, old_spki, old_verdict] = it->second;
        const auto& [new_sha, new_spki, new_verdict] = head;
        if (old_sha != new_sha) {
            diff.rotated.push_back(Rotation{place_of(key), from, to, diff.to.started_at, old_sha, new_sha,
                                            old_spki != new_spki});
        } else if (old_verdict != new_verdict) {
            diff.changed_verdicts.push_back(ScanDiff::VerdictChange{place_of(key), new_sha, old_verdict, new_verdict});
        }
    }
    for (const auto& [key, unused] : before)
        if (!after.contains(key)) diff.gone_places.push_back(seen_at(key, from));
    return diff;
}

// Every change of the certificate at the head of a place, between consecutive scans that looked at it.
std::vector<Rotation> SqliteQueries::rotations_at(const PlaceKey& key) {
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
