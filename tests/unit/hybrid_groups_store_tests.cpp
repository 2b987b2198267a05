// Schema version 18 on both stores: an endpoint's hybrid post-quantum groups are stored and read back, and an
// inventory of version 17 gains the column, its endpoints with none.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "inventory/analysis.hpp"
#include "inventory/inventory.hpp"
#include "inventory/pg_connection.hpp"
#include "testkit/cert_factory.hpp"
#include "tests/unit/store_fixture.hpp"

using namespace certfleet;
using namespace certfleet::testing;

namespace {

// As version 17 left an inventory: endpoint observations without hybrid_groups.
void downgrade_to_version_17(Store store, const std::string& db) {
    constexpr const char* kDropColumn = "ALTER TABLE endpoint_observations DROP COLUMN hybrid_groups";
    if (store == Store::postgresql) {
        inventory::pg::Connection connection(db, std::chrono::seconds(10));
        connection.exec(std::string(kDropColumn) + "; DELETE FROM certfleet_schema; INSERT INTO certfleet_schema (version) VALUES (17)");
        return;
    }
    sqlite3* handle = nullptr;
    REQUIRE(sqlite3_open(db.c_str(), &handle) == SQLITE_OK);
    const int rc = sqlite3_exec(handle, (std::string(kDropColumn) + "; PRAGMA user_version = 17").c_str(), nullptr, nullptr, nullptr);
    sqlite3_close(handle);
    REQUIRE(rc == SQLITE_OK);
}

EndpointObservationRecord probe(const std::string& address, std::vector<std::string> hybrid_groups) {
    EndpointObservationRecord record;
    record.facts.host = record.facts.address = address;
    record.facts.port = 443;
    record.facts.status = EndpointStatus::tls;
    record.facts.tls_version = "TLSv1.3";
    record.facts.key_exchange = "X25519";
    record.facts.hybrid_groups = std::move(hybrid_groups);
    return record;
}

void store_scan(inventory::Inventory& inv, const EndpointObservationRecord& record) {
    const auto scan = inv.begin_scan("network", "{}", {});
    inv.record_endpoints(scan, {record});
    inv.finish_scan(scan, inventory::ScanStatus::complete, {});
}

}  // namespace

TEST_CASE("hybrid groups: stored per probe on both stores, and a version 17 inventory's probes have none",
          "[inventory][pg]") {
    TempDir dir;
    const Store store = GENERATE(Store::sqlite, Store::postgresql);
    const std::string db = new_inventory(store, dir);
    store_scan(*inventory::open_inventory(db), probe("10.0.0.8", {}));
    downgrade_to_version_17(store, db);

    auto inv = inventory::open_inventory(db);
    store_scan(*inv, probe("10.0.0.9", {"X25519MLKEM768"}));
    const auto endpoints = inv->queries().endpoints(inventory::Filter{});
    REQUIRE(endpoints.size() == 2);
    CHECK(endpoints[0].facts.address == "10.0.0.8");
    CHECK(endpoints[0].facts.hybrid_groups.empty());
    CHECK(endpoints[1].facts.hybrid_groups == std::vector<std::string>{"X25519MLKEM768"});
    CHECK(endpoints[1].facts.strongest_key_exchange() == "X25519MLKEM768");
}
