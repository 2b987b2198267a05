// What the scans could not look at: gone and unseen places, and roots and files they could not read.
#include <algorithm>
#include <array>
#include <limits>

#include "core/host_identity.hpp"
#include "inventory/sql_queries.hpp"

namespace certfleet::inventory {

namespace {

// The probe outcomes of an endpoint that could not be reached (closed and not-tls are answers).
constexpr std::array<const char*, 4> kUnreachableStatuses{"timeout", "unreachable", "unresolved", "handshake-failed"};

bool unreachable_status(const std::string& status) {
    return std::find(kUnreachableStatuses.begin(), kUnreachableStatuses.end(), status) != kUnreachableStatuses.end();
}

std::string unreachable_status_list() {
    std::string list;
    for (const char* status : kUnreachableStatuses) list += std::string(list.empty() ? "(" : ", ") + "'" + status + "'";
    return list + ")";
}

// Each files root (by host) and list file a scan named, as the latest scan up to ?1 (roots) or ?4 (lists) that
// named it left it, unless the user forgot it since (up to ?3). A scan that names no host was made on this one (?2).
// Lists count up to ?4 because a scan that could not read one never started, so never joined a view.
constexpr const char* kNamedInputs =
    "WITH named AS (SELECT 'root' AS kind, sc.id AS scan_id, coalesce(json_extract(sc.parameters, '$.host'), ?2) "
    "AS host, r.value AS path FROM scans sc, json_each(sc.parameters, '$.files') r WHERE sc.id <= ?1 AND "
    "sc.status != 'running' AND json_valid(sc.parameters) UNION ALL SELECT 'list', sc.id, "
    "coalesce(json_extract(sc.parameters, '$.host'), ?2), r.value FROM scans sc, json_each(sc.parameters, "
    "'$.lists') r WHERE sc.id <= ?4 AND sc.status != 'running' AND json_valid(sc.parameters)), latest AS (SELECT "
    "kind, host, path, max(scan_id) AS scan_id FROM named GROUP BY kind, host, path), kept AS (SELECT * FROM "
    "latest l WHERE NOT EXISTS (SELECT 1 FROM forgotten_inputs f WHERE f.kind = l.kind AND f.host = l.host AND "
    "f.path = l.path AND f.scan_id BETWEEN l.scan_id AND ?3)) ";

void bind_named_inputs(Statement& statement, ScanId scan, bool current_view) {
    const ScanId everything = std::numeric_limits<ScanId>::max();
    statement.bind(1, scan).bind(2, this_host().name).bind(3, current_view ? everything : scan);
    statement.bind(4, current_view ? everything : scan);
}

}  // namespace

std::vector<AbsentPlace> SqlQueries::absent_places(const Filter& filter) {
    if (!filter.scans.empty()) return {};
    // Now: place_states. As of a past scan: each place's latest transition up to it.
    const std::string sql =
        filter.as_of
            ? "SELECT t.kind, t.place_id, t.state, t.reason, t.scan_id, sc.started_at FROM place_transitions t JOIN "
              "scans sc ON sc.id = t.scan_id WHERE t.scan_id <= :as_of AND t.state IN ('gone', 'unseen') AND "
              "t.scan_id = (SELECT max(t2.scan_id) FROM place_transitions t2 WHERE t2.kind = t.kind AND "
              "t2.place_id = t.place_id AND t2.scan_id <= :as_of) ORDER BY t.state, t.kind, t.place_id"
            : "SELECT p.kind, p.place_id, p.state, p.reason, p.since_scan, sc.started_at FROM place_states p JOIN "
              "scans sc ON sc.id = p.since_scan ORDER BY p.state, p.kind, p.place_id";
    Statement select(db_, sql.c_str());
    if (filter.as_of) select.bind(":as_of", *filter.as_of);
    std::vector<std::pair<PlaceKey, AbsentPlace>> rows;
    while (select.step()) {
        AbsentPlace absent;
        absent.state = named_value(select.text(2), PlaceState::gone);
        absent.reason = select.text(3);
        absent.since_scan = select.integer(4);
        absent.since = select.integer(5);
        rows.emplace_back(PlaceKey{static_cast<int>(select.integer(0)), select.integer(1)}, std::move(absent));
    }
    std::vector<AbsentPlace> out;
    for (auto& [key, absent] : rows) {
        absent.place = place_of(key);
        out.push_back(std::move(absent));
    }
    return out;
}

// The places `scan` saw, and the previous scan of the same targets (same target set, --files roots and host),
// ended complete or interrupted, with the places it saw.
void SqlQueries::compare_with_previous_look(ScanId scan, Coverage& coverage) {
    static constexpr const char* kTargets =
        "coalesce(json_extract(parameters, '$.target_set'), '') || '|' || coalesce(json_extract(parameters, "
        "'$.host'), '') || '|' || coalesce(json_extract(parameters, '$.files'), '')";
    Statement previous(db_, (std::string("SELECT p.id FROM scans p, scans s WHERE s.id = ?1 AND p.id < ?1 AND "
                                         "p.status IN ('complete', 'interrupted') AND json_valid(p.parameters) AND "
                                         "json_valid(s.parameters) AND ") +
                                "(SELECT " + kTargets + " FROM scans WHERE id = p.id) = (SELECT " + kTargets +
                                " FROM scans WHERE id = s.id) ORDER BY p.id DESC LIMIT 1")
                                   .c_str());
    previous.bind(1, scan);
    if (previous.step()) coverage.previous_scan = previous.integer(0);
    previous.reset();
    Statement seen(db_,
                   "SELECT (SELECT count(*) FROM (SELECT location_id FROM sightings WHERE scan_id = ?1 UNION SELECT "
                   "location_id FROM key_sightings WHERE scan_id = ?1) files) + (SELECT count(*) FROM endpoint_observations "
                   "WHERE scan_id = ?1 AND status = 'tls')");
    const auto seen_in = [&](ScanId id) {
        seen.bind(1, id);
        seen.step();
        const std::int64_t count = seen.integer(0);
        seen.reset();
        return count;
    };
    coverage.seen_in_scan = seen_in(scan);
    if (coverage.previous_scan) coverage.seen_in_previous = seen_in(*coverage.previous_scan);
}

Coverage SqlQueries::coverage(ScanId scan) {
    Coverage coverage;
    const auto latest = latest_finished_scan();
    Filter view;
    if (!latest || scan < latest->id) view.as_of = scan;
    for (auto& absent : absent_places(view)) {
        if (absent.state == PlaceState::unseen) {
            coverage.unseen.push_back(std::move(absent));
            continue;
        }
        ++coverage.gone;
        if (absent.since_scan == scan) ++coverage.gone_in_scan;
    }
    for (const auto& input : unreadable_inputs(db_, scan, !view.as_of)) {
        const std::string where = input.place().display();
        if (input.kind == UnreadableInput::Kind::root)
            coverage.unreadable_roots.push_back(where);
        else
            coverage.unreadable_lists.push_back(where + ": " + input.detail + " (scan " + std::to_string(input.scan) +
                                                ")");
    }
    Statement errors(db_, (std::string(kNamedInputs) +
                           "SELECT count(*) FROM kept l JOIN scan_events e ON e.scan_id = l.scan_id AND e.level = "
                           "'error' AND (e.location = l.path OR substr(e.location, 1, length(rtrim(l.path, '/')) + 1) "
                           "= rtrim(l.path, '/') || '/') WHERE l.kind = 'root'")
                              .c_str());
    bind_named_inputs(errors, scan, !view.as_of);
    if (errors.step()) coverage.unreadable_files = errors.integer(0);
    errors.reset();
    // The view's endpoints whose latest probe could not reach them. An unseen one points at its last certificates
    // (and counts by its state's reason); any other at its latest probe.
    if (view.as_of) as_of_view(view);
    Statement unreachable(db_, (std::string("SELECT count(*) FROM ") + latest_scans(view).endpoints +
                                " v JOIN endpoint_observations o ON o.scan_id = v.scan_id AND o.endpoint_id = "
                                "v.endpoint_id WHERE o.status IN " + unreachable_status_list())
                                   .c_str());
    if (unreachable.step()) coverage.unreachable = unreachable.integer(0);
    unreachable.reset();
    for (const auto& absent : coverage.unseen)
        if (absent.place.kind == Place::Kind::endpoint && unreachable_status(absent.reason)) ++coverage.unreachable;
    compare_with_previous_look(scan, coverage);
    return coverage;
}

std::vector<UnreadableInput> unreadable_inputs(SqlConnection& db, ScanId scan, bool current_view) {
    Statement inputs(db, (std::string(kNamedInputs) +
                          "SELECT * FROM (SELECT l.kind, l.host, l.path, l.scan_id, (SELECT e.detail FROM "
                          "scan_events e WHERE e.scan_id = l.scan_id AND e.level = 'error' AND e.location = l.path "
                          "ORDER BY e.id LIMIT 1) AS detail FROM kept l) u WHERE u.detail IS NOT NULL ORDER BY "
                          "u.kind DESC, u.host, u.path")
                             .c_str());
    bind_named_inputs(inputs, scan, current_view);
    std::vector<UnreadableInput> out;
    while (inputs.step())
        out.push_back(UnreadableInput{inputs.text(0) == "root" ? UnreadableInput::Kind::root
                                                               : UnreadableInput::Kind::list,
                                      inputs.text(1), inputs.text(2), inputs.text(4), inputs.integer(3)});
    return out;
}

}  // namespace certfleet::inventory
