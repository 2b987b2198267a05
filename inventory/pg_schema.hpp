#pragma once
// The PostgreSQL store's schema (pg_schema.sql), created and migrated like SQLite's. Internal to inventory/.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "inventory/analysis.hpp"
#include "inventory/pg_connection.hpp"

namespace certfleet::inventory::pg {

// The version of the inventory's model the database holds; 0 for a database certfleet has not set up.
std::int64_t schema_version(Connection& db);
// Creates the schema in an empty database or brings an older one up to kSchemaVersion, in one transaction under
// an advisory lock: of any number of scanners starting at once, one migrates and the others find it done. Throws
// InventoryError for a newer version or a database that already holds other tables.
void migrate_schema(Connection& db);

// How long certfleet waits for a PostgreSQL server to accept a connection.
inline constexpr std::chrono::seconds kConnectTimeout{15};
// The inventory's questions on a connection of their own to the server `conninfo` names, its schema brought up
// to date first. Throws Error (or InventoryError) naming the server, without its password.
std::unique_ptr<InventoryQueries> open_queries(const std::string& conninfo);
// The writer on the server `conninfo` names (pg_inventory.cpp), its schema brought up to date first.
std::unique_ptr<certfleet::inventory::Inventory> open_inventory(const std::string& conninfo);

}  // namespace certfleet::inventory::pg
