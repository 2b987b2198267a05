// The view a filter looks at (the current view, the view as of a past scan, or one scan) as SQL, and the
// certificate summaries in it.
#include "inventory/query_logic.hpp"
#include "inventory/sql_queries.hpp"

namespace certfleet::inventory {

namespace {

std::string like_pattern(const std::string& text) {
    std::string pattern = "%";
    for (char ch : text) {
        if (ch == '%' || ch == '_' || ch == '\\') pattern += '\\';
        pattern += ch;
    }
    return pattern + "%";
}

// Binds the filter's parameters. A view as of a past scan needs its tables filled first (see as_of_view).
void bind_filter(Statement& statement, const Filter& filter) {
    if (filter.as_of) statement.bind(":as_of", *filter.as_of);
    for (std::size_t i = 0; i < filter.labels.size(); ++i) {
        const std::string n = std::to_string(i);
        statement.bind((":lk" + n).c_str(), filter.labels[i].key);
        statement.bind((":lv" + n).c_str(), filter.labels[i].value);
    }
    const UnixTime now = filter_now(filter);
    if (filter.expiring_within) statement.bind(":deadline", now + *filter.expiring_within);
    if (!filter.issuer.empty()) statement.bind(":issuer", like_pattern(filter.issuer));
    statement.bind(":now", now);
}

// Summary columns of certificate `c`: its facts, then first and last seen. The caller adds the place count.
const std::string kSummaryColumns = std::string(kCertificateColumnsOfC) + ", f.started_at, l.started_at";
const char* const kSummaryJoins =
    " JOIN certificate_seen cs ON cs.certificate_id = c.id JOIN scans f ON f.id = cs.first_scan "
    "JOIN scans l ON l.id = cs.last_scan";

CertificateSummary read_summary(const Statement& row, int first) {
    CertificateSummary summary;
    summary.cert = read_certificate(row, first);
    summary.first_seen = row.integer(first + kCertificateColumnCount);
    summary.last_seen = row.integer(first + kCertificateColumnCount + 1);
    summary.places = row.integer(first + kCertificateColumnCount + 2);
    return summary;
}

}  // namespace

// A place carries a label in a scan when its own labels (owner map) or else the scan's have it.
std::string label_condition(const char* own_table, const char* place_column, const char* alias, std::size_t i) {
    const std::string n = std::to_string(i);
    return std::string(" AND :lv") + n + " = coalesce((SELECT value FROM " + own_table + " WHERE scan_id = " + alias +
           ".scan_id AND " + place_column + " = " + alias + "." + place_column + " AND key = :lk" + n +
           "), (SELECT value FROM scan_labels WHERE scan_id = " + alias + ".scan_id AND key = :lk" + n + "))";
}

LatestScans latest_scans(const Filter& filter) {
    if (filter.as_of) return {"as_of_location", "as_of_endpoint"};
    return {"current_locations", "current_endpoints"};
}

// A view starts from its latest-scan tables (one row per place) and looks each place's sightings up; CROSS JOIN
// keeps SQLite from planning it the other way round, through every sighting ever recorded.
std::string view_cte(const Filter& filter, const std::string& certificate_condition) {
    std::string file_source, endpoint_source;
    if (!filter.scans.empty()) {
        file_source = "sightings s WHERE s.scan_id " + in_filter_scans(filter);
        endpoint_source = "endpoint_sightings es WHERE es.scan_id " + in_filter_scans(filter);
    } else {
        const auto latest = latest_scans(filter);
        file_source = std::string(latest.locations) +
                      " ll CROSS JOIN sightings s ON s.scan_id = ll.scan_id AND s.location_id = ll.location_id WHERE true";
        endpoint_source = std::string(latest.endpoints) +
                          " el CROSS JOIN endpoint_sightings es ON es.scan_id = el.scan_id AND es.endpoint_id = "
                          "el.endpoint_id WHERE true";
    }
    if (!certificate_condition.empty()) {
        file_source += " AND s.certificate_id " + certificate_condition;
        endpoint_source += " AND es.certificate_id " + certificate_condition;
    }
    for (std::size_t i = 0; i < filter.labels.size(); ++i) {
        file_source += label_condition("location_labels", "location_id", "s", i);
        endpoint_source += label_condition("endpoint_labels", "endpoint_id", "es", i);
    }
    return "view(kind, scan_id, place_id, position, certificate_id, anchor) AS ("
           "SELECT 0, s.scan_id, s.location_id, s.position, s.certificate_id, " +
           sighting_flag("anchor_sightings", "s.scan_id", "s.location_id", "s.position") + " FROM " + file_source +
           " UNION ALL SELECT 1, es.scan_id, es.endpoint_id, es.position, es.certificate_id, 0 FROM " +
           endpoint_source + ")";
}

std::string certificate_conditions(const Filter& filter) {
    std::string sql;
    if (filter.expiring_within) sql += " AND c.not_after <= :deadline";
    if (filter.self_signed) sql += " AND c.self_signed = 1";
    // Case-insensitive in ASCII on both stores (PostgreSQL's LIKE is case-sensitive, SQLite's is not).
    if (!filter.issuer.empty()) sql += " AND lower(c.issuer) LIKE lower(:issuer) ESCAPE '\\'";
    return sql;
}

// Binds the filter's parameters to a statement over its view, filling the as-of tables first when it asks
// about a past scan.
void SqlQueries::bind_view(Statement& statement, const Filter& filter) {
    as_of_view(filter);
    bind_filter(statement, filter);
}

// Fills as_of_location and as_of_endpoint with each place's latest scan up to the filter's as_of,
// as location_latest and endpoint_latest hold it for now. Kept while the same scan is asked about.
void SqlQueries::as_of_view(const Filter& filter) {
    if (!filter.as_of || !filter.scans.empty() || as_of_filled_ == filter.as_of) return;
    as_of_filled_.reset();
    db_.exec("DELETE FROM as_of_location; DELETE FROM as_of_endpoint");
    // From each place's latest scan now, back scan by scan: in a fleet scanned regularly a probe or two of the
    // primary keys, where grouping every sighting by place would sort them all. Places first seen after that
    // scan get NULL and are deleted after (a WHERE on the probe would run it twice).
    Statement locations(db_,
                        "INSERT INTO as_of_location SELECT ll.location_id, CASE WHEN ll.scan_id <= ?1 THEN "
                        "ll.scan_id ELSE (SELECT x.id FROM scans x WHERE x.id <= ?1 AND (EXISTS (SELECT 1 FROM "
                        "sightings s WHERE s.scan_id = x.id AND s.location_id = ll.location_id) OR EXISTS (SELECT 1 "
                        "FROM key_sightings k WHERE k.scan_id = x.id AND k.location_id = ll.location_id)) ORDER BY "
                        "x.id DESC LIMIT 1) END FROM location_latest ll");
    locations.bind(1, *filter.as_of).run();
    // An endpoint's certificates are those of its latest probe that presented any, as endpoint_latest keeps them.
    Statement endpoints(db_,
                        "INSERT INTO as_of_endpoint SELECT el.endpoint_id, CASE WHEN el.scan_id <= ?1 THEN "
                        "el.scan_id ELSE coalesce((SELECT x.id FROM scans x WHERE x.id <= ?1 AND EXISTS (SELECT 1 "
                        "FROM endpoint_observations o WHERE o.scan_id = x.id AND o.endpoint_id = el.endpoint_id AND "
                        "o.status = 'tls') ORDER BY x.id DESC LIMIT 1), (SELECT x.id FROM scans x WHERE x.id <= ?1 "
                        "AND EXISTS (SELECT 1 FROM endpoint_observations o WHERE o.scan_id = x.id AND o.endpoint_id = "
                        "el.endpoint_id) ORDER BY x.id DESC LIMIT 1)) END FROM endpoint_latest el");
    endpoints.bind(1, *filter.as_of).run();
    db_.exec(
             "DELETE FROM as_of_location WHERE scan_id IS NULL; DELETE FROM as_of_endpoint WHERE scan_id "
             "IS NULL");
    // Places gone (or forgotten) by then leave that view as they leave the current one: those whose latest change
    // of state up to the scan was that, found from the changes of state (few) rather than place by place.
    static constexpr const char* kGoneByThen =
        " IN (SELECT t.place_id FROM place_transitions t WHERE t.kind = ?2 AND t.scan_id <= ?1 AND t.state IN "
        "('gone', 'forgotten') AND NOT EXISTS (SELECT 1 FROM place_transitions u WHERE u.kind = t.kind AND u.place_id "
        "= t.place_id AND u.scan_id > t.scan_id AND u.scan_id <= ?1))";
    for (const auto& [delete_where, kind] : {std::pair{"DELETE FROM as_of_location WHERE location_id", kFileKind},
                                             std::pair{"DELETE FROM as_of_endpoint WHERE endpoint_id", kEndpointKind}})
        Statement(db_, (std::string(delete_where) + kGoneByThen).c_str())
            .bind(1, *filter.as_of)
            .bind(2, static_cast<std::int64_t>(kind))
            .run();
    as_of_filled_ = filter.as_of;
}

std::unordered_set<std::int64_t> SqlQueries::used_as_leaf(const Filter& filter,
                                                            const std::string& certificate_condition) {
    Statement select(db_, ("WITH " + view_cte(filter, certificate_condition) +
                           " SELECT DISTINCT v.certificate_id FROM view v WHERE (v.kind = 1 AND v.position = 0) OR "
                           "(v.kind = 0 AND " +
                           sighting_has("key_certificate_sightings", "v.scan_id", "v.place_id", "v.position") + ")")
                              .c_str());
    bind_view(select, filter);
    std::unordered_set<std::int64_t> out;
    while (select.step()) out.insert(select.integer(0));
    return out;
}

// Certificates in the filter's view that meet its conditions and `extra` (SQL on `c`), soonest expiry first,
// each with the number of distinct places it is at in the view.
std::vector<CertificateSummary> SqlQueries::summaries(const Filter& filter, const std::string& extra,
                                                      const std::function<void(Statement&)>& bind_extra,
                                                      const std::string& view_condition) {
    Statement select(db_, ("WITH " + view_cte(filter, view_condition) +
                           ", counted AS (SELECT certificate_id, count(DISTINCT place_id * 2 + kind) AS places FROM "
                           "view GROUP BY certificate_id) SELECT " +
                           kSummaryColumns + ", counted.places, c.id FROM counted JOIN certificates c ON c.id = "
                           "counted.certificate_id" + kSummaryJoins + " WHERE true" + certificate_conditions(filter) +
                           extra + " ORDER BY c.not_after, c.sha256")
                              .c_str());
    bind_view(select, filter);
    bind_extra(select);
    std::vector<CertificateSummary> out;
    while (select.step()) {
        out.push_back(read_summary(select, 0));
        summary_ids_[out.back().cert.sha256] = select.integer(kCertificateColumnCount + 3);
    }
    return out;
}

// The summaries of these certificates in the filter's view (places counted there), filter conditions applied.
std::vector<CertificateSummary> SqlQueries::summaries_of(const std::vector<std::int64_t>& ids, const Filter& filter) {
    if (ids.empty()) return {};
    // On PostgreSQL the view of these certificates alone: their places are counted the same, and fewer rows reach
    // the count. Not on SQLite, whose planner would then probe its (scan, certificate) index once per place and id.
    const std::string in_ids = "IN (" + id_list(ids) + ")";
    return summaries(filter, " AND c.id " + in_ids, [](Statement&) {},
                     db_.dialect() == SqlDialect::postgresql ? in_ids : "");
}

CertificateSummary SqlQueries::summary_of(std::int64_t id, const Filter& filter) {
    Statement select(db_, ("WITH " + view_cte(filter, "= :cert") + " SELECT " + kSummaryColumns +
                           ", (SELECT count(DISTINCT place_id * 2 + kind) FROM view) FROM certificates c" +
                           kSummaryJoins + " WHERE c.id = :cert")
                              .c_str());
    bind_view(select, filter);
    select.bind(":cert", id);
    CertificateSummary summary;
    if (select.step()) summary = read_summary(select, 0);
    select.reset();
    summary_ids_[summary.cert.sha256] = id;
    return summary;
}

}  // namespace certfleet::inventory
