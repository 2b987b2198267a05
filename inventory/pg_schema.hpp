#pragma once
// The PostgreSQL store's schema (pg_schema.sql), created and migrated like SQLite's. Internal to inventory/.
#include <cstdint>

#include "inventory/pg_connection.hpp"

namespace certfleet::inventory::pg {

// The version of the inventory's model the database holds; 0 for a database certfleet has not set up.
std::int64_t schema_version(Connection& db);
// Creates the schema in an empty database or brings an older one up to kSchemaVersion, in one transaction under
// an advisory lock: of any number of scanners starting at once, one migrates and the others find it done. Throws
// InventoryError for a newer version or a database that already holds other tables.
void migrate_schema(Connection& db);

}  // namespace certfleet::inventory::pg
