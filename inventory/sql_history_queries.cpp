// Questions over time: one certificate's history and the changes between two scans.
#include <algorithm>
#include <set>
#include <tuple>

#include <nlohmann/json.hpp>

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
    // What each view holds at the head of every place: the first certificate of a file that is not a trust
    // store, an endpoint's leaf; with the scan that saw it there and its verdict then. And which certificates it
    // holds anywhere, from the same pass over it.
    struct Head {
        std::int64_t certificate = 0;
        ScanId scan = 0;
        std::string verdict;  // an endpoint's as probed; a file's from its certificate's dates (complete_heads)
        std::string sha256, spki;
    };
    struct View {
        std::map<PlaceKey, Head> heads;
        std::set<std::int64_t> certificates;
        UnixTime at = 0;
    };
    const auto view_of = [&](ScanId scan) {
        const Filter view = view_after(scan);
        Statement select(db_, ("WITH " + view_cte(view) +
                               " SELECT v.kind, v.place_id, v.certificate_id, CASE WHEN v.kind = 1 AND v.position = 0 "
                               "THEN (SELECT CASE WHEN o.verified != 0 THEN 'verified' ELSE o.verify_error END FROM "
                               "endpoint_observations o WHERE o.scan_id = v.scan_id AND o.endpoint_id = v.place_id) "
                               "ELSE '' END, v.scan_id, v.position = 0 AND v.anchor = 0 FROM view v")
                                  .c_str());
        bind_view(select, view);
        View out;
        out.at = scan_started(scan);
        while (select.step()) {
            out.certificates.insert(select.integer(2));
            if (select.integer(5) == 0) continue;
            out.heads[{static_cast<int>(select.integer(0)), select.integer(1)}] =
                Head{select.integer(2), select.integer(4), select.text(3), {}, {}};
        }
        return out;
    };
    View seen_before = view_of(from), seen_after = view_of(to);
    // The certificates at the heads, read once for both views (most are in both): the views' passes read only
    // ids, where joining the certificates looked each one up once per place and view.
    const auto complete_heads = [&](std::initializer_list<View*> views) {
        nlohmann::json ids = nlohmann::json::array();
        std::set<std::int64_t> wanted;
        for (const View* view : views)
            for (const auto& [key, head] : view->heads)
                if (wanted.insert(head.certificate).second) ids.push_back(head.certificate);
        Statement select(db_, "SELECT c.id, c.sha256, c.spki_sha256, c.not_before, c.not_after FROM json_each(?) w "
                              "JOIN certificates c ON c.id = CAST(w.value AS BIGINT)");
        select.bind(1, ids.dump());
        std::map<std::int64_t, std::tuple<std::string, std::string, UnixTime, UnixTime>> facts;
        while (select.step())
            facts.emplace(select.integer(0),
                          std::tuple{select.text(1), select.text(2), select.integer(3), select.integer(4)});
        for (View* view : views)
            for (auto& [key, head] : view->heads) {
                const auto found = facts.find(head.certificate);
                if (found == facts.end()) continue;  // not in the inventory: nothing to compare it by
                const auto& [sha256, spki, not_before, not_after] = found->second;
                head.sha256 = sha256;
                head.spki = spki;
                if (key.kind == kFileKind) head.verdict = validity_verdict(not_before, not_after, view->at);
            }
    };
    complete_heads({&seen_before, &seen_after});
    const auto only_in = [](const View& one, const View& other) {
        std::vector<std::int64_t> out;
        std::set_difference(one.certificates.begin(), one.certificates.end(), other.certificates.begin(),
                            other.certificates.end(), std::back_inserter(out));
        return out;
    };
    // Summaries only of the certificates that came or went, each counted in the view it is in.
    diff.new_certificates = summaries_of(only_in(seen_after, seen_before), view_after(to));
    diff.gone_certificates = summaries_of(only_in(seen_before, seen_after), view_after(from));
    const auto by_expiry = [](const CertificateSummary& a, const CertificateSummary& b) {
        return std::tie(a.cert.not_after, a.cert.sha256) < std::tie(b.cert.not_after, b.cert.sha256);
    };
    std::sort(diff.new_certificates.begin(), diff.new_certificates.end(), by_expiry);
    std::sort(diff.gone_certificates.begin(), diff.gone_certificates.end(), by_expiry);
    const auto& before = seen_before.heads;
    const auto& after = seen_after.heads;
    // Which places changed first, then their names and labels in a few statements for all of them: one or two
    // per place cost a round trip each on a server, most of the diff's time where thousands of places changed.
    std::vector<std::pair<PlaceKey, ScanId>> appeared, vanished;
    std::vector<std::pair<PlaceKey, const Head*>> rotated, reverdicted;  // the head after; before.at(key) before
    for (const auto& [key, head] : after) {
        const auto it = before.find(key);
        if (it == before.end()) appeared.emplace_back(key, head.scan);
        else if (it->second.certificate != head.certificate) rotated.emplace_back(key, &head);
        else if (it->second.verdict != head.verdict) reverdicted.emplace_back(key, &head);
    }
    for (const auto& [key, old] : before)
        if (!after.contains(key)) vanished.emplace_back(key, old.scan);
    std::vector<PlaceKey> keys;
    for (const auto* list : {&appeared, &vanished})
        for (const auto& entry : *list) keys.push_back(entry.first);
    for (const auto* list : {&rotated, &reverdicted})
        for (const auto& entry : *list) keys.push_back(entry.first);
    const auto places = places_of(keys);
    std::vector<std::pair<PlaceKey, ScanId>> labelled(appeared);
    labelled.insert(labelled.end(), vanished.begin(), vanished.end());
    const auto labels = labels_of_places(labelled);
    const auto place = [&](const PlaceKey& key) {
        const auto it = places.find(key);  // a place forgotten meanwhile reads as an empty one, as place_of's
        return it == places.end() ? place_of(key) : it->second;
    };
    std::map<ScanId, UnixTime> started;  // the few scans the places were last seen in
    const auto seen_at = [&](const PlaceKey& key, ScanId scan) {
        auto at = started.find(scan);
        if (at == started.end()) at = started.emplace(scan, scan_started(scan)).first;
        PlaceSeen seen;
        seen.place = place(key);
        seen.first_seen = seen.last_seen = at->second;
        seen.last_scan = scan;
        seen.labels = labels.at({key, scan});
        return seen;
    };
    for (const auto& [key, scan] : appeared) diff.new_places.push_back(seen_at(key, scan));
    for (const auto& [key, scan] : vanished) diff.gone_places.push_back(seen_at(key, scan));
    for (const auto& [key, head] : rotated) {
        const Head& old = before.at(key);
        diff.rotated.push_back(
            Rotation{place(key), from, to, diff.to.started_at, old.sha256, head->sha256, old.spki != head->spki});
    }
    for (const auto& [key, head] : reverdicted)
        diff.changed_verdicts.push_back(
            ScanDiff::VerdictChange{place(key), head->sha256, before.at(key).verdict, head->verdict});
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
