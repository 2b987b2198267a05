// The state of each place once a scan ends, from what the scan looked at: present again, gone (looked and not
// there), or unseen (could not look). Set-based, once per scan; see place_states in schema.sql.
#include <nlohmann/json.hpp>

#include "core/path_exclusion.hpp"
#include "inventory/analysis.hpp"
#include "inventory/sql_inventory.hpp"
#include "inventory/sql_queries.hpp"

namespace certfleet::inventory {

// Gone only when the scan looked everywhere it meant to: an interrupted scan says nothing of what it did not reach.
void SqlInventory::conclude_place_states(ScanId scan, ScanStatus status) {
    db_.exec(std::string("CREATE TEMP TABLE IF NOT EXISTS incoming_states (kind INTEGER NOT NULL, place_id BIGINT NOT "
                     "NULL, state TEXT NOT NULL, reason TEXT NOT NULL, PRIMARY KEY (kind, place_id))") +
         (db_.dialect() == SqlDialect::sqlite ? " WITHOUT ROWID" : "") + "; DELETE FROM incoming_states");
    mark_present_again(scan);
    stage_probe_outcomes(scan);
    if (status == ScanStatus::complete) {
        stage_missing_files(scan);
        stage_dropped_endpoints(scan);
    }
    // A transition for each place whose state changes; then the state, since the scan that first found it so.
    Statement transitions(db_,
                          "INSERT INTO place_transitions (scan_id, kind, place_id, state, reason) SELECT ?1, i.kind, "
                          "i.place_id, i.state, i.reason FROM incoming_states i WHERE NOT EXISTS (SELECT 1 FROM "
                          "place_states p WHERE p.kind = i.kind AND p.place_id = i.place_id AND p.state = i.state) "
                          "ON CONFLICT (scan_id, kind, place_id) DO UPDATE SET state = excluded.state, reason = "
                          "excluded.reason");
    transitions.bind(1, scan).run();
    Statement states(db_,
                     "INSERT INTO place_states (kind, place_id, state, reason, since_scan, last_scan) SELECT kind, "
                     "place_id, state, reason, ?1, ?1 FROM incoming_states WHERE true ON CONFLICT (kind, place_id) "
                     "DO UPDATE SET since_scan = CASE WHEN place_states.state = excluded.state THEN "
                     "place_states.since_scan ELSE excluded.since_scan END, state = excluded.state, reason = excluded.reason, last_scan = "
                     "excluded.last_scan");
    states.bind(1, scan).run();
    exec("DELETE FROM incoming_states");
}

// Places the scan saw (certificates or keys in a file, a TLS handshake at an endpoint) that were gone or unseen.
void SqlInventory::mark_present_again(ScanId scan) {
    Statement present(db_,
                      "INSERT INTO place_transitions (scan_id, kind, place_id, state, reason) SELECT ?1, "
                      "p.kind, p.place_id, 'present', '' FROM place_states p WHERE (p.kind = 0 AND (EXISTS (SELECT 1 "
                      "FROM sightings s WHERE s.scan_id = ?1 AND s.location_id = p.place_id) OR EXISTS (SELECT 1 "
                      "FROM key_sightings k WHERE k.scan_id = ?1 AND k.location_id = p.place_id))) OR (p.kind = 1 "
                      "AND EXISTS (SELECT 1 FROM endpoint_observations o WHERE o.scan_id = ?1 AND o.endpoint_id = "
                      "p.place_id AND o.status = 'tls')) ON CONFLICT (scan_id, kind, place_id) DO UPDATE SET state = "
                      "excluded.state, reason = excluded.reason");
    present.bind(1, scan).run();
    Statement clear(db_,
                    "DELETE FROM place_states WHERE EXISTS (SELECT 1 FROM place_transitions t WHERE t.scan_id = ?1 "
                    "AND t.kind = place_states.kind AND t.place_id = place_states.place_id AND t.state = 'present')");
    clear.bind(1, scan).run();
}

// An endpoint that presented certificates before and now did not: a closed port or a server that no longer
// speaks TLS is gone; one that timed out, failed its handshake or did not resolve is unseen. endpoint_latest
// still points at its last certificates (conclude leaves it there).
void SqlInventory::stage_probe_outcomes(ScanId scan) {
    Statement outcomes(db_,
                       "INSERT INTO incoming_states SELECT 1, o.endpoint_id, CASE WHEN o.status IN "
                       "('closed', 'not-tls') THEN 'gone' ELSE 'unseen' END, o.status FROM endpoint_observations o "
                       "JOIN endpoint_latest el ON el.endpoint_id = o.endpoint_id AND el.scan_id < ?1 WHERE "
                       "o.scan_id = ?1 AND o.status != 'tls' ON CONFLICT (kind, place_id) DO UPDATE SET state = "
                       "excluded.state, reason = excluded.reason");
    outcomes.bind(1, scan).run();
}

// File places under a root the scan walked where it found nothing: gone, unless it recorded an error at the
// path or at a directory above it (unreadable, locked, a root that is missing), which leaves them unseen. A path
// the scan's --exclude kept it from is left alone.
void SqlInventory::stage_missing_files(ScanId scan) {
    Statement parameters(db_, "SELECT parameters FROM scans WHERE id = ?");
    parameters.bind(1, scan);
    std::vector<std::string> exclude_globs;
    if (parameters.step()) {
        const auto json = nlohmann::json::parse(parameters.text(0), nullptr, false);
        if (json.is_object() && json.contains("exclude_paths") && json["exclude_paths"].is_array())
            for (const auto& glob : json["exclude_paths"])
                if (glob.is_string()) exclude_globs.push_back(glob.get<std::string>());
    }
    parameters.reset();
    Statement candidates(
        db_,
        "SELECT l.id, l.path, r.value, (SELECT e.reason FROM scan_events e WHERE e.scan_id = ?1 AND e.level = "
        "'error' AND (e.location = l.path OR (length(e.location) < length(l.path) AND substr(l.path, 1, "
        "length(e.location) + 1) = e.location || '/')) LIMIT 1) FROM json_each((SELECT parameters FROM scans WHERE "
        "id = ?1), '$.files') r JOIN locations l ON l.kind = 'file' AND l.path >= r.value AND l.path < "
        "rtrim(r.value, '/') || '0' AND l.host = ?2 JOIN location_latest ll ON ll.location_id = l.id AND "
        "ll.scan_id < ?1 WHERE "
        "(l.path = r.value OR substr(l.path, length(rtrim(r.value, '/')) + 1, 1) = '/') AND NOT EXISTS (SELECT 1 "
        "FROM place_states p WHERE p.kind = 0 AND p.place_id = l.id AND p.state = 'gone')");
    candidates.bind(1, scan).bind(2, file_host_);
    Statement stage(db_, "INSERT INTO incoming_states VALUES (0, ?, ?, ?) ON CONFLICT (kind, place_id) DO "
                         "UPDATE SET state = excluded.state, reason = excluded.reason");
    while (candidates.step()) {
        if (excluded_under_root(exclude_globs, candidates.text(2), candidates.text(1))) continue;
        const bool unreadable = !candidates.is_null(3);
        stage.bind(1, candidates.integer(0))
            .bind(2, std::string(unreadable ? "unseen" : "gone"))
            .bind(3, unreadable ? candidates.text(3) : std::string("not_found"))
            .run();
    }
}

// Endpoints that an earlier scan of the same targets saw presenting certificates and this one did not probe at
// all: a host, port or name dropped from those targets.
void SqlInventory::stage_dropped_endpoints(ScanId scan) {
    Statement target_set(db_, "SELECT json_extract(parameters, '$.target_set') FROM scans WHERE id = ?");
    target_set.bind(1, scan);
    if (!target_set.step() || target_set.is_null(0)) return;
    const std::string key = target_set.text(0);
    target_set.reset();
    Statement dropped(
        db_,
        "INSERT INTO incoming_states SELECT 1, el.endpoint_id, 'gone', 'not_in_targets' FROM "
        "endpoint_latest el LEFT JOIN place_states p ON p.kind = 1 AND p.place_id = el.endpoint_id WHERE "
        "coalesce(p.state, '') != 'gone' AND CASE WHEN el.scan_id > coalesce(p.last_scan, 0) THEN el.scan_id ELSE "
        "p.last_scan END IN (SELECT id FROM scans "
        "WHERE id < ?1 AND json_extract(parameters, '$.target_set') = ?2) AND EXISTS (SELECT 1 FROM "
        "endpoint_observations o WHERE o.scan_id = el.scan_id AND o.endpoint_id = el.endpoint_id AND o.status = "
        "'tls') AND NOT EXISTS (SELECT 1 FROM endpoint_observations o WHERE o.scan_id = ?1 AND o.endpoint_id = "
        "el.endpoint_id) ON CONFLICT DO NOTHING");
    dropped.bind(1, scan).bind(2, key).run();
}

Forgotten SqlInventory::forget(const std::function<bool(const Place&)>& matches, bool dry_run) {
    struct Chosen {
        std::int64_t kind, id;
        Place place;
    };
    std::vector<Chosen> chosen;
    Statement places(db_,
                     "SELECT 0, l.id, l.path, l.format, l.host, '', 0, '', '' FROM current_locations v JOIN locations l ON "
                     "l.id = v.location_id UNION ALL SELECT 1, e.id, '', '', e.host, e.address, e.port, e.server_name, "
                     "e.site FROM current_endpoints v JOIN endpoints e ON e.id = v.endpoint_id ORDER BY 1, 3, 5, 7, 8, 9");
    while (places.step()) {
        Place place;
        place.kind = places.integer(0) == 0 ? Place::Kind::file : Place::Kind::endpoint;
        place.path = places.text(2);
        place.format = named_value(places.text(3), SourceFormat::pem);
        place.host = places.text(4);
        place.address = places.text(5);
        place.port = static_cast<std::uint16_t>(places.integer(6));
        place.server_name = places.text(7);
        place.site = places.text(8);
        if (matches(place)) chosen.push_back({places.integer(0), places.integer(1), std::move(place)});
    }
    places.reset();
    std::vector<UnreadableInput> inputs;
    if (const auto latest = queries_->latest_finished_scan()) {
        for (auto& input : unreadable_inputs(db_, latest->id, true))
            if (matches(input.place())) inputs.push_back(std::move(input));
    }
    if (!dry_run && (!chosen.empty() || !inputs.empty())) {
        in_transaction([&] {
            serialize_conclusions();
            Statement latest(db_, "SELECT max(id) FROM scans");
            latest.step();
            const ScanId scan = latest.integer(0);
            Statement input_forgotten(db_, "INSERT INTO forgotten_inputs (kind, host, path, scan_id) VALUES "
                                           "(?, ?, ?, ?) ON CONFLICT (kind, host, path) DO UPDATE SET "
                                           "scan_id = excluded.scan_id");
            for (const auto& input : inputs)
                input_forgotten.bind(1, std::string(input.kind == UnreadableInput::Kind::root ? "root" : "list"))
                    .bind(2, input.host)
                    .bind(3, input.path)
                    .bind(4, scan)
                    .run();
            Statement transition(db_,
                                 "INSERT INTO place_transitions (scan_id, kind, place_id, state, reason) VALUES (?1, "
                                 "?2, ?3, 'forgotten', 'forgotten') ON CONFLICT (scan_id, kind, place_id) DO UPDATE "
                                 "SET state = excluded.state, reason = excluded.reason");
            Statement state(db_,
                            "INSERT INTO place_states (kind, place_id, state, reason, since_scan, last_scan) VALUES "
                            "(?2, ?3, 'gone', 'forgotten', ?1, ?1) ON CONFLICT (kind, place_id) DO UPDATE SET state "
                            "= 'gone', reason = 'forgotten', since_scan = ?1, last_scan = ?1");
            for (const auto& c : chosen) {
                transition.bind(1, scan).bind(2, c.kind).bind(3, c.id).run();
                state.bind(1, scan).bind(2, c.kind).bind(3, c.id).run();
            }
        });
    }
    Forgotten out;
    for (auto& c : chosen) out.places.push_back(std::move(c.place));
    for (const auto& input : inputs)
        (input.kind == UnreadableInput::Kind::root ? out.unreadable_roots : out.unreadable_lists)
            .push_back(input.place());
    return out;
}

}  // namespace certfleet::inventory
