// Which store `--db` names: a PostgreSQL server for a connection string, an SQLite file for anything else.
#include "inventory/pg_schema.hpp"

namespace certfleet::inventory {

bool is_server_inventory(const std::string& db) { return pg::is_connection_string(db); }

std::string display_name(const std::string& db) { return is_server_inventory(db) ? pg::redacted(db) : db; }

std::unique_ptr<Inventory> open_inventory(const std::string& db) {
    return pg::is_connection_string(db) ? pg::open_inventory(db) : open_sqlite_inventory(db);
}

std::unique_ptr<InventoryQueries> open_queries(const std::string& db) {
    return pg::is_connection_string(db) ? pg::open_queries(db) : open_sqlite_queries(db);
}

}  // namespace certfleet::inventory
