// What the reports show: the certificates of a view or of one scan with their sightings and history, keys,
// endpoints, and the scan's events and findings. Every statement here is meant to run inside one read transaction
// (ReadSnapshot), so the answers agree with each other even while a scan is being written.
#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "inventory/query_logic.hpp"
#include "inventory/sql_queries.hpp"

namespace certfleet::inventory {

namespace {

void load_findings(SqlConnection& db, ScanId scan, ScanContents& contents) {
    Statement select(db,
                     "SELECT rule_id, severity, sha256, location, message, days_left, deadline, overdue, labels FROM "
                     "findings "
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
        f.labels = labels_from_json_text(select.text(8));
        contents.findings.push_back(std::move(f));
    }
}

void load_events(SqlConnection& db, ScanId scan, ScanContents& contents) {
    Statement select(db, "SELECT level, location, reason, detail FROM scan_events WHERE scan_id = ? ORDER BY id");
    select.bind(1, scan);
    while (select.step()) {
        contents.events.push_back(ScanEvent{select.text(1), select.text(2), select.text(3),
                                            named_value(select.text(0), EventLevel::note)});
    }
}

}  // namespace

std::string labels_json_text(const Labels& labels) {
    nlohmann::json object = nlohmann::json::object();
    for (const auto& label : labels) object[label.key] = label.value;
    return object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Labels labels_from_json_text(const std::string& text) {
    const auto object = nlohmann::json::parse(text, nullptr, false);
    Labels labels;
    if (!object.is_object()) return labels;
    for (const auto& [key, value] : object.items())
        if (value.is_string()) labels.push_back(Label{key, value.get<std::string>()});
    return labels;
}

std::optional<ScanRecord> load_scan_record(SqlConnection& db, std::optional<ScanId> scan, bool finished_only) {
    std::string sql = std::string("SELECT ") + kScanColumns + " FROM " + kScanRows;
    if (scan) sql += " WHERE id = ?1";
    else if (finished_only) sql += " WHERE status IN ('complete', 'interrupted')";
    sql += " ORDER BY id DESC LIMIT 1";
    Statement select(db, sql.c_str());
    if (scan) select.bind(1, *scan);
    if (!select.step()) return std::nullopt;
    ScanRecord record = read_scan_record(select);
    select.reset();
    return record;
}

ScanContents SqlQueries::scan_contents(ScanId scan) {
    Filter one_scan;
    one_scan.scans = {scan};
    return contents(one_scan, scan);
}

ScanContents SqlQueries::view_contents(ScanId scan) {
    Filter view;
    const auto latest = latest_finished_scan();
    if (!latest || scan < latest->id) view.as_of = scan;
    ScanContents out = contents(view, scan);
    out.scope = ContentsScope::view;
    return out;
}

ScanContents SqlQueries::contents(const Filter& filter, ScanId scan) {
    ScanContents out;
    auto record = load_scan_record(db_, scan, false);
    if (!record) throw InventoryError("no scan " + std::to_string(scan) + " in " + path_);
    out.scan = *record;
    const std::string view = materialized_view(filter);
    load_certificates(filter, view, out);
    load_keys(filter, out);
    load_endpoints(filter, out);
    for (const ScanId each : filter.scans.empty() ? std::vector<ScanId>{scan} : filter.scans) {
        load_events(db_, each, out);
        load_findings(db_, each, out);
    }
    if (!filter.scans.empty()) {
        // The findings stored with a scan judge the view after it: of one scan alone, those about what it saw.
        std::unordered_set<std::string> seen;
        for (const auto& stored : out.certificates) seen.insert(stored.cert.sha256);
        std::erase_if(out.findings, [&](const Finding& f) { return !f.sha256.empty() && !seen.contains(f.sha256); });
    }
    if (filter.scans.size() > 1) {
        // Several scans (a run's) judged some places alike: each verdict once, the most severe first.
        std::set<std::tuple<std::string, std::string, std::string>> kept;
        std::erase_if(out.findings,
                      [&](const Finding& f) { return !kept.emplace(f.rule_id, f.sha256, f.location).second; });
        std::stable_sort(out.findings.begin(), out.findings.end(),
                         [](const Finding& a, const Finding& b) { return a.severity > b.severity; });
    }
    return out;
}

// The filter's view computed once into view_rows, for questions that read it many times (contents reads it six
// times, and on PostgreSQL each reading of the view's joins cost as much as all the rest); a CTE of view_cte's shape
// that reads the rows back.
std::string SqlQueries::materialized_view(const Filter& filter) {
    db_.exec("DELETE FROM view_rows");
    Statement fill(db_, ("INSERT INTO view_rows WITH " + view_cte(filter) + " SELECT * FROM view").c_str());
    bind_view(fill, filter);
    fill.run();
    // Its size, for the planner's choice of joins: a temporary table is never analysed by the server itself.
    if (db_.dialect() == SqlDialect::postgresql) db_.exec("ANALYZE view_rows");
    return "view(kind, scan_id, place_id, position, certificate_id, anchor) AS (SELECT kind, scan_id, place_id, "
           "position, certificate_id, anchor FROM view_rows)";
}

void SqlQueries::load_certificates(const Filter& filter, const std::string& view, ScanContents& contents) {
    const std::string with = "WITH " + view + " ";
    // Each certificate with when it was first and last seen, and its id, by which its sightings below find it.
    Statement select(db_, (with + "SELECT " + kCertificateColumnsOfC +
                           ", f.started_at, l.started_at, c.id FROM certificates c LEFT JOIN certificate_seen cs ON "
                           "cs.certificate_id = c.id LEFT JOIN scans f ON f.id = cs.first_scan LEFT JOIN scans l ON "
                           "l.id = cs.last_scan WHERE c.id IN (SELECT certificate_id FROM view) ORDER BY c.not_after, "
                           "c.sha256")
                              .c_str());
    bind_view(select, filter);
    std::unordered_map<std::int64_t, std::size_t> index_of;
    while (select.step()) {
        StoredCertificate stored{read_certificate(select, 0), {}, {}};
        stored.first_seen = select.integer(kCertificateColumnCount);
        stored.last_seen = select.integer(kCertificateColumnCount + 1);
        index_of.emplace(select.integer(kCertificateColumnCount + 2), contents.certificates.size());
        contents.certificates.push_back(std::move(stored));
    }

    const ViewLabels labels = place_labels(filter, view);
    Statement files(db_, (with + "SELECT v.certificate_id, l.path, l.format, v.position, l.host, " +
                          sighting_has("system_anchor_sightings", "v.scan_id", "v.place_id", "v.position") + ", " +
                          sighting_has("key_certificate_sightings", "v.scan_id", "v.place_id", "v.position") +
                          ", v.place_id, v.scan_id FROM view v JOIN locations l ON l.id = v.place_id WHERE v.kind = 0 "
                          "ORDER BY l.path, l.host, v.position")
                             .c_str());
    bind_view(files, filter);
    while (files.step()) {
        const auto format = named_value(files.text(2), SourceFormat::pem);
        contents.certificates[index_of.at(files.integer(0))].sightings.push_back(
            StoredSighting{FileLocation{files.text(1), format, static_cast<int>(files.integer(3))},
                           files.integer(5) != 0, files.integer(6) != 0, files.text(4),
                           labels.of({kFileKind, files.integer(7)}, files.integer(8))});
    }

    Statement endpoints(db_, (with + "SELECT v.certificate_id, e.host, e.address, e.port, e.server_name, "
                                     "v.position, v.place_id, e.site, v.scan_id FROM view v JOIN endpoints e ON e.id = "
                                     "v.place_id "
                                     "WHERE v.kind = 1 ORDER BY e.host, e.port, e.server_name, e.address, e.site, "
                                     "v.position")
                                 .c_str());
    bind_view(endpoints, filter);
    while (endpoints.step()) {
        contents.certificates[index_of.at(endpoints.integer(0))].endpoint_sightings.push_back(
            StoredEndpointSighting{endpoints.text(1), endpoints.text(2), static_cast<std::uint16_t>(endpoints.integer(3)),
                                   endpoints.text(4), static_cast<int>(endpoints.integer(5)),
                                   labels.of({kEndpointKind, endpoints.integer(6)}, endpoints.integer(8)),
                                   endpoints.text(7)});
    }
}

Labels ViewLabels::of(const PlaceKey& place, ScanId scan) const {
    const auto mine = own.find(place);
    const auto scans = of_scan.find(scan);
    return merged_labels(mine == own.end() ? Labels{} : mine->second,
                         scans == of_scan.end() ? Labels{} : scans->second);
}

// The labels of the places in the filter's view, in two statements: the places' own, and those of the few scans
// that put them there (one row per scan and label, not per place and label).
ViewLabels SqlQueries::place_labels(const Filter& filter, const std::string& view) {
    const std::string with = "WITH " + view + ", places AS (SELECT DISTINCT kind, place_id, scan_id FROM view) ";
    ViewLabels out;
    Statement own(db_, (with + "SELECT 0, p.place_id, x.key, x.value FROM places p JOIN location_labels x ON p.kind = 0 "
                               "AND x.scan_id = p.scan_id AND x.location_id = p.place_id UNION ALL SELECT 1, "
                               "p.place_id, x.key, x.value FROM places p JOIN endpoint_labels x ON p.kind = 1 AND "
                               "x.scan_id = p.scan_id AND x.endpoint_id = p.place_id ORDER BY 1, 2, 3")
                            .c_str());
    bind_view(own, filter);
    while (own.step())
        out.own[{static_cast<int>(own.integer(0)), own.integer(1)}].push_back(Label{own.text(2), own.text(3)});
    Statement of_scan(db_, ("WITH " + view + " SELECT sl.scan_id, sl.key, sl.value FROM scan_labels sl WHERE "
                            "sl.scan_id IN (SELECT DISTINCT scan_id FROM view) ORDER BY 1, 2")
                               .c_str());
    bind_view(of_scan, filter);
    while (of_scan.step()) out.of_scan[of_scan.integer(0)].push_back(Label{of_scan.text(1), of_scan.text(2)});
    return out;
}

// One scan's probes; in a view, each endpoint's latest probe that presented certificates. Their chains in one
// statement, not one per probe: a round trip each on a server.
void SqlQueries::load_endpoints(const Filter& filter, ScanContents& contents) {
    const bool of_scans = !filter.scans.empty();
    const std::string probes =
        of_scans ? std::string("endpoint_observations o JOIN endpoints e ON e.id = o.endpoint_id")
                 : std::string(latest_scans(filter).endpoints) +
                       " el CROSS JOIN endpoint_observations o ON o.scan_id = el.scan_id AND o.endpoint_id = "
                       "el.endpoint_id JOIN endpoints e ON e.id = o.endpoint_id";
    const std::string which = of_scans ? " WHERE o.scan_id " + in_filter_scans(filter) : "";
    Statement select(db_, (std::string("SELECT e.id, o.scan_id, ") + kEndpointFactsColumns + " FROM " + probes + which +
                           " ORDER BY e.host, e.port, e.server_name, e.address, e.site")
                              .c_str());
    bind_view(select, filter);
    std::map<std::pair<std::int64_t, ScanId>, std::size_t> index_of;
    while (select.step()) {
        index_of.emplace(std::pair(select.integer(0), select.integer(1)), contents.endpoints.size());
        contents.endpoints.push_back(StoredEndpoint{read_endpoint_facts(select, 2), {}});
    }
    Statement chains(db_, ("SELECT o.endpoint_id, o.scan_id, c.sha256 FROM " + probes +
                           " JOIN endpoint_sightings es ON es.scan_id = o.scan_id AND es.endpoint_id = o.endpoint_id "
                           "JOIN certificates c ON c.id = es.certificate_id" + which +
                           " ORDER BY o.endpoint_id, o.scan_id, es.position")
                              .c_str());
    bind_view(chains, filter);
    while (chains.step()) {
        const auto probe = index_of.find({chains.integer(0), chains.integer(1)});
        if (probe != index_of.end()) contents.endpoints[probe->second].chain.push_back(chains.text(2));
    }
}

void SqlQueries::load_keys(const Filter& filter, ScanContents& contents) {
    const std::string source =
        !filter.scans.empty()
            ? "key_sightings k JOIN locations l ON l.id = k.location_id WHERE k.scan_id " + in_filter_scans(filter)
                    : std::string(latest_scans(filter).locations) +
                          " ll CROSS JOIN key_sightings k ON k.scan_id = ll.scan_id AND k.location_id = ll.location_id "
                          "JOIN locations l ON l.id = k.location_id";
    Statement select(db_, ("SELECT k.spki_sha256, k.state, l.path, l.format FROM " + source +
                           " ORDER BY k.spki_sha256 IS NULL, k.spki_sha256, l.path, k.id")
                              .c_str());
    bind_view(select, filter);
    while (select.step()) {
        std::optional<std::string> spki;
        if (!select.is_null(0)) spki = select.text(0);
        const FileLocation location{select.text(2), named_value(select.text(3), SourceFormat::pem), 0};
        if (spki && !contents.keys.empty() && contents.keys.back().spki_sha256 == spki) {
            contents.keys.back().locations.push_back(location);
            continue;
        }
        contents.keys.push_back(StoredKey{spki, named_value(select.text(1), KeyState::readable), {location}});
    }
}

}  // namespace certfleet::inventory
