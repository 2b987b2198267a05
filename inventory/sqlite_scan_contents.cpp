// A scan's contents as the reports read them: its certificates with their sightings and history, keys, events,
// endpoints and findings. Every statement here is meant to run inside one read transaction (ReadSnapshot), so the
// answers agree with each other even while a scan is being written.
#include <unordered_map>

#include "inventory/sqlite_support.hpp"

namespace certfleet::inventory {

namespace {

void load_certificates(sqlite3* db, ScanId scan, ScanContents& contents) {
    Statement select(db,
                     (std::string("SELECT ") + kCertificateColumns +
                      " FROM certificates WHERE id IN (SELECT certificate_id FROM sightings WHERE "
                      "scan_id = ?1 UNION SELECT certificate_id FROM endpoint_sightings WHERE scan_id = ?1) "
                      "ORDER BY not_after, sha256")
                         .c_str());
    select.bind(1, scan);
    std::unordered_map<std::string, std::size_t> index_of;
    while (select.step()) {
        CertInfo c = read_certificate(select, 0);
        index_of.emplace(c.sha256, contents.certificates.size());
        contents.certificates.push_back(StoredCertificate{std::move(c), {}, {}});
    }

    Statement history(db,
                      "SELECT c.sha256, f.started_at, l.started_at FROM certificate_seen cs JOIN certificates c ON "
                      "c.id = cs.certificate_id JOIN scans f ON f.id = cs.first_scan JOIN scans l ON "
                      "l.id = cs.last_scan WHERE cs.certificate_id IN (SELECT certificate_id FROM sightings WHERE "
                      "scan_id = ?1 UNION SELECT certificate_id FROM endpoint_sightings WHERE scan_id = ?1)");
    history.bind(1, scan);
    while (history.step()) {
        auto& stored = contents.certificates[index_of.at(history.text(0))];
        stored.first_seen = history.integer(1);
        stored.last_seen = history.integer(2);
    }

    Statement files(db, ("SELECT c.sha256, l.path, l.format, s.position, " +
                         sighting_has("system_anchor_sightings", "s.scan_id", "s.location_id", "s.position") + ", " +
                         sighting_has("key_certificate_sightings", "s.scan_id", "s.location_id", "s.position") +
                         " FROM sightings s JOIN certificates c ON c.id = s.certificate_id JOIN locations l ON "
                         "l.id = s.location_id WHERE s.scan_id = ? ORDER BY l.path, s.position")
                            .c_str());
    files.bind(1, scan);
    while (files.step()) {
        const auto format = named_value(files.text(2), SourceFormat::pem);
        contents.certificates[index_of.at(files.text(0))].sightings.push_back(
            StoredSighting{FileLocation{files.text(1), format, static_cast<int>(files.integer(3))},
                           files.integer(4) != 0, files.integer(5) != 0});
    }

    Statement endpoints(db,
                        "SELECT c.sha256, e.host, e.address, e.port, e.server_name, es.position FROM "
                        "endpoint_sightings es JOIN certificates c ON c.id = es.certificate_id JOIN endpoints e "
                        "ON e.id = es.endpoint_id WHERE es.scan_id = ? ORDER BY e.host, e.port, e.server_name, "
                        "e.address, es.position");
    endpoints.bind(1, scan);
    while (endpoints.step()) {
        contents.certificates[index_of.at(endpoints.text(0))].endpoint_sightings.push_back(
            StoredEndpointSighting{endpoints.text(1), endpoints.text(2), static_cast<std::uint16_t>(endpoints.integer(3)),
                                   endpoints.text(4), static_cast<int>(endpoints.integer(5))});
    }
}

void load_endpoints(sqlite3* db, ScanId scan, ScanContents& contents) {
    Statement select(db,
                     (std::string("SELECT e.id, ") + kEndpointFactsColumns +
                      " FROM endpoint_observations o JOIN endpoints e ON e.id = o.endpoint_id "
                      "WHERE o.scan_id = ? ORDER BY e.host, e.port, e.server_name, e.address")
                         .c_str());
    select.bind(1, scan);
    std::unordered_map<std::int64_t, std::size_t> index_of;
    while (select.step()) {
        EndpointFacts f = read_endpoint_facts(select, 1);
        index_of.emplace(select.integer(0), contents.endpoints.size());
        contents.endpoints.push_back(StoredEndpoint{std::move(f), {}});
    }
    Statement chains(db,
                     "SELECT es.endpoint_id, c.sha256 FROM endpoint_sightings es JOIN certificates c ON "
                     "c.id = es.certificate_id WHERE es.scan_id = ? ORDER BY es.endpoint_id, es.position");
    chains.bind(1, scan);
    while (chains.step()) {
        auto it = index_of.find(chains.integer(0));
        if (it != index_of.end()) contents.endpoints[it->second].chain.push_back(chains.text(1));
    }
}

void load_keys(sqlite3* db, ScanId scan, ScanContents& contents) {
    Statement select(db,
                     "SELECT k.spki_sha256, k.state, l.path, l.format FROM key_sightings k "
                     "JOIN locations l ON l.id = k.location_id WHERE k.scan_id = ? "
                     "ORDER BY k.spki_sha256 IS NULL, k.spki_sha256, l.path, k.id");
    select.bind(1, scan);
    while (select.step()) {
        std::optional<std::string> spki;
        if (!select.is_null(0)) spki = select.text(0);
        const FileLocation location{select.text(2),
                                    named_value(select.text(3), SourceFormat::pem), 0};
        if (spki && !contents.keys.empty() && contents.keys.back().spki_sha256 == spki) {
            contents.keys.back().locations.push_back(location);
            continue;
        }
        contents.keys.push_back(StoredKey{spki, named_value(select.text(1), KeyState::readable), {location}});
    }
}

void load_findings(sqlite3* db, ScanId scan, ScanContents& contents) {
    Statement select(db,
                     "SELECT rule_id, severity, sha256, location, message, days_left, deadline, overdue FROM findings "
                     "WHERE scan_id = ? ORDER BY id");
    select.bind(1, scan);
    while (select.step()) {
        Finding f;
        f.rule_id = select.text(0);
        f.severity = named_value(select.text(1), Severity::info);
        f.sha256 = select.text(2);
        f.location = select.text(3);
        f.message = select.text(4);
        f.days_left = select.integer(5);
        if (!select.is_null(6)) f.deadline = select.integer(6);
        f.overdue = select.integer(7) != 0;
        contents.findings.push_back(std::move(f));
    }
}

void load_events(sqlite3* db, ScanId scan, ScanContents& contents) {
    Statement select(db, "SELECT level, location, reason, detail FROM scan_events WHERE scan_id = ? ORDER BY id");
    select.bind(1, scan);
    while (select.step()) {
        contents.events.push_back(ScanEvent{select.text(1), select.text(2), select.text(3),
                                            named_value(select.text(0), EventLevel::note)});
    }
}

}  // namespace

std::optional<ScanRecord> load_scan_record(sqlite3* db, std::optional<ScanId> scan, bool finished_only) {
    std::string sql = std::string("SELECT ") + kScanColumns + " FROM scans";
    if (scan) sql += " WHERE id = ?1";
    else if (finished_only) sql += " WHERE status != 'running'";
    sql += " ORDER BY id DESC LIMIT 1";
    Statement select(db, sql.c_str());
    if (scan) select.bind(1, *scan);
    if (!select.step()) return std::nullopt;
    ScanRecord record = read_scan_record(select);
    select.reset();
    return record;
}

ScanContents load_scan_contents(sqlite3* db, ScanId scan, const std::string& path) {
    ScanContents contents;
    auto record = load_scan_record(db, scan, false);
    if (!record) throw InventoryError("no scan " + std::to_string(scan) + " in " + path);
    contents.scan = *record;
    load_certificates(db, scan, contents);
    load_keys(db, scan, contents);
    load_events(db, scan, contents);
    load_endpoints(db, scan, contents);
    load_findings(db, scan, contents);
    return contents;
}

}  // namespace certfleet::inventory
