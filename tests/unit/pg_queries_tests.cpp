// The inventory's questions, written once for both stores, asked of a PostgreSQL inventory: every one parses,
// plans and answers there as it does on SQLite. Questions over stored scans come with the PostgreSQL writer.
#include <catch2/catch.hpp>

#include "inventory/pg_schema.hpp"
#include "tests/unit/pg_test_cluster.hpp"

using namespace certfleet;
using namespace certfleet::inventory;
using certfleet::testing::test_cluster;

TEST_CASE("pg queries: every question answers on an empty PostgreSQL inventory", "[pg][server]") {
    auto& server = test_cluster();
    const auto queries = pg::open_queries(server.create_database("questions"));
    Filter view;
    Filter as_of = view;
    as_of.as_of = 1;
    Filter one_scan = view;
    one_scan.scans = {1};
    Filter narrowed = view;
    narrowed.expiring_within = 30 * 86400;
    narrowed.self_signed = true;
    narrowed.issuer = "issuing ca";
    narrowed.labels = {{"owner", "team-07"}};
    const std::string sha = std::string(64, 'a');
    for (const Filter& filter : {view, as_of, one_scan, narrowed}) {
        CHECK(queries->certificates(filter).empty());
        CHECK(queries->endpoints(filter).empty());
        CHECK(queries->shared(filter, 2).empty());
        CHECK(queries->reused_keys(filter).empty());
        CHECK(queries->anchors(filter).empty());
        CHECK(queries->stores(filter).empty());
        CHECK(queries->absent_places(filter).empty());
        CHECK(queries->placements(filter).empty());
        CHECK_FALSE(queries->certificate(sha, filter));
        CHECK(queries->path_to_anchor(sha, filter).chain.empty());
    }
    CHECK(queries->scans().empty());
    CHECK_FALSE(queries->find_scan(1));
    CHECK_FALSE(queries->latest_scan());
    CHECK_FALSE(queries->latest_finished_scan());
    CHECK(queries->fingerprints_starting_with("ab", 20).empty());
    CHECK_FALSE(queries->history(sha));
    CHECK(queries->ancestors({sha}).empty());
    CHECK(queries->coverage(1).unseen.empty());
    CHECK_THROWS_AS(queries->scan_contents(1), InventoryError);
}
