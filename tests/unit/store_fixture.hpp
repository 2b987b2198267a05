#pragma once
// The store an inventory test runs on. A test that takes `GENERATE(Store::sqlite, Store::postgresql)` runs once on
// an SQLite file and once on a database of this process's private PostgreSQL cluster: both stores are held to the
// same answers.
#include <catch2/catch.hpp>
#include <string>

#include "testkit/cert_factory.hpp"
#include "tests/unit/pg_test_cluster.hpp"

namespace certfleet::testing {

enum class Store { sqlite, postgresql };

// A new, empty inventory of that store: a file in `dir`, or a database of its own.
inline std::string new_inventory(Store store, const TempDir& dir) {
    if (store == Store::sqlite) return (dir / "inventory.db").string();
    static int databases = 0;
    return test_cluster().create_database("store_" + std::to_string(++databases));
}

}  // namespace certfleet::testing
