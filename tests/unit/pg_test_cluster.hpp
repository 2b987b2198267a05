#pragma once
// The private PostgreSQL cluster the unit tests of this process share. A machine that cannot run one fails the
// test rather than skipping it: scripts/install-deps installs the server.
#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "testkit/postgres_cluster.hpp"

namespace certfleet::testing {

inline PostgresCluster& test_cluster() {
    std::string why;
    PostgresCluster* shared = PostgresCluster::shared(&why);
    INFO(why);
    REQUIRE(shared != nullptr);
    return *shared;
}

// The references PostgreSQL does not check (pg_schema.sql, version 19: the per-scan tables have no foreign keys),
// checked here: "" when every row names a scan, certificate, place and endpoint the inventory holds, else each
// table.column with the number of rows that do not.
inline std::string unreferenced_rows(const PostgresCluster& cluster, const std::string& database) {
    struct Reference {
        const char* table;
        const char* column;
        const char* parent;
    };
    static const std::vector<Reference> references{
        {"sightings", "scan_id", "scans"}, {"sightings", "location_id", "locations"},
        {"sightings", "certificate_id", "certificates"}, {"key_sightings", "scan_id", "scans"},
        {"key_sightings", "location_id", "locations"}, {"location_labels", "scan_id", "scans"},
        {"location_labels", "location_id", "locations"}, {"endpoint_labels", "scan_id", "scans"},
        {"endpoint_labels", "endpoint_id", "endpoints"}, {"endpoint_observations", "scan_id", "scans"},
        {"endpoint_observations", "endpoint_id", "endpoints"}, {"endpoint_sightings", "scan_id", "scans"},
        {"endpoint_sightings", "endpoint_id", "endpoints"}, {"endpoint_sightings", "certificate_id", "certificates"},
        {"anchor_sightings", "scan_id", "scans"}, {"anchor_sightings", "location_id", "locations"},
        {"key_certificate_sightings", "scan_id", "scans"}, {"key_certificate_sightings", "location_id", "locations"},
        {"system_anchor_sightings", "scan_id", "scans"}, {"system_anchor_sightings", "location_id", "locations"},
        {"location_latest", "location_id", "locations"}, {"location_latest", "scan_id", "scans"},
        {"endpoint_latest", "endpoint_id", "endpoints"}, {"endpoint_latest", "scan_id", "scans"},
        {"certificate_seen", "certificate_id", "certificates"}, {"certificate_seen", "first_scan", "scans"},
        {"certificate_seen", "last_scan", "scans"}, {"place_states", "since_scan", "scans"},
        {"place_states", "last_scan", "scans"}, {"place_transitions", "scan_id", "scans"}};
    std::string counts;
    for (const auto& r : references)
        counts += std::string(counts.empty() ? "" : " UNION ALL ") + "SELECT '" + r.table + "." + r.column +
                  "' AS name, count(*) AS n FROM " + r.table + " t WHERE NOT EXISTS (SELECT 1 FROM " + r.parent +
                  " p WHERE p.id = t." + r.column + ")";
    const auto [code, output] = cluster.psql(
        database, "SELECT coalesce(string_agg(name || ': ' || n, ', '), '') FROM (" + counts + ") c WHERE n > 0");
    return code == 0 ? output.substr(0, output.find_last_not_of('\n') + 1) : "cannot check: " + output;
}

}  // namespace certfleet::testing
