// Connections to the inventory's file, and its schema: created in a new file, an older one brought up to date.
#include <sys/stat.h>

#include "core/host_identity.hpp"
#include "inventory/sql_queries.hpp"
#include "inventory/sqlite_support.hpp"

namespace certfleet::inventory {

extern const char* const kSchemaSql;

namespace {

// Columns added to a table after it was first created. SQLite cannot add a column only where it is missing, as
// schema.sql's statements create only what is missing, so each is added here to a file whose table lacks it:
// an older file and a new one alike. schema.sql describes them beside their version.
struct AddedColumn {
    const char* table;
    const char* column;
    const char* declaration;
};
constexpr AddedColumn kAddedColumns[] = {
    // Version 8: the name each probe's certificate was checked against, and how that came out.
    {"endpoint_observations", "name_check", "TEXT CHECK (name_check IN ('matched', 'mismatched', 'not-checked'))"},
    {"endpoint_observations", "name_check_detail", "TEXT NOT NULL DEFAULT ''"},
    // Version 10: the labels of a finding's place.
    {"findings", "labels", "TEXT NOT NULL DEFAULT '{}'"},
    // Version 12: the scan's identity wherever it is copied.
    {"scans", "uuid", "TEXT"},
    // Version 15: how each probe's handshake agreed its keys.
    {"endpoint_observations", "key_exchange", "TEXT NOT NULL DEFAULT ''"},
    // Version 16: whether a trusted chain ended at a public root.
    {"endpoint_observations", "public_root", "INTEGER NOT NULL DEFAULT 0"},
    // Version 16: whether the server asked for a client certificate, and from which CAs.
    {"endpoint_observations", "client_auth", "TEXT NOT NULL DEFAULT 'none'"},
    {"endpoint_observations", "client_ca_names", "TEXT NOT NULL DEFAULT '[]'"},
    // Version 17: a key's place among its file's keys.
    {"key_sightings", "position", "INTEGER NOT NULL DEFAULT 0"},
    // Version 18: the hybrid post-quantum key exchanges the server would choose.
    {"endpoint_observations", "hybrid_groups", "TEXT NOT NULL DEFAULT '[]'"},
};

// Version 12: every scan has a UUID, scans stored before included, each one of its own (version 4, random).
constexpr const char* kScanUuids =
    "UPDATE scans SET uuid = lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || "
    "substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + abs(random()) % 4, 1) || substr(hex(randomblob(2)), 2) "
    "|| '-' || hex(randomblob(6))) WHERE uuid IS NULL; CREATE UNIQUE INDEX IF NOT EXISTS scans_by_uuid ON scans(uuid)";

// Version 17: an event once per scan (schema.sql). Older files may hold a batch's events twice: the first is kept.
constexpr const char* kEventsOnce =
    "DELETE FROM scan_events WHERE id NOT IN (SELECT min(id) FROM scan_events GROUP BY scan_id, level, location, "
    "reason, detail); CREATE UNIQUE INDEX IF NOT EXISTS scan_events_once ON scan_events(scan_id, level, location, "
    "reason, detail)";

// Version 17: a key once per place and position (schema.sql); an older file's keys numbered as they were stored.
constexpr const char* kKeysOnce =
    "UPDATE key_sightings SET position = r.n FROM (SELECT id, row_number() OVER (PARTITION BY scan_id, location_id "
    "ORDER BY id) - 1 AS n FROM key_sightings) r WHERE r.id = key_sightings.id AND key_sightings.position != r.n; "
    "CREATE UNIQUE INDEX IF NOT EXISTS key_sightings_once ON key_sightings(scan_id, location_id, position)";

// How many of `table`'s columns are named `column` (0 or 1), or all its columns when `column` is empty.
std::int64_t column_count(SqlConnection& db, const std::string& table, const std::string& column = "") {
    Statement count(db, "SELECT count(*) FROM pragma_table_info(?) WHERE ?2 = '' OR name = ?2");
    count.bind(1, table).bind(2, column);
    count.step();
    return count.integer(0);
}

// A table that exists without the column.
bool lacks_column(SqlConnection& db, const std::string& table, const std::string& column) {
    return column_count(db, table) > 0 && column_count(db, table, column) == 0;
}

void add_missing_columns(SqlConnection& db) {
    for (const auto& added : kAddedColumns)
        if (column_count(db, added.table, added.column) == 0)
            db.exec((std::string("ALTER TABLE ") + added.table + " ADD COLUMN " + added.column + " " +
                          added.declaration).c_str());
}

// Versions 10 and 14 widen a table's UNIQUE key, which SQLite cannot change in place: an older table is copied
// into the new shape, keeping ids.
// Version 10 keys file places by host as well as path: an older table's places are on this machine (where its
// scans were made).
void add_location_hosts(SqlConnection& db) {
    if (!lacks_column(db, "locations", "host")) return;
    db.exec("CREATE TABLE locations_by_host (id INTEGER PRIMARY KEY, host TEXT NOT NULL, kind TEXT NOT NULL CHECK "
             "(kind IN ('file')), path TEXT NOT NULL, format TEXT NOT NULL, UNIQUE (host, kind, path, format))");
    Statement copy(db, "INSERT INTO locations_by_host SELECT id, ?, kind, path, format FROM locations");
    copy.bind(1, this_host().name).run();
    db.exec("DROP TABLE locations; ALTER TABLE locations_by_host RENAME TO locations");
}

// Version 14 keys endpoints by site as well: an older table's endpoints are in no site.
void add_endpoint_sites(SqlConnection& db) {
    if (!lacks_column(db, "endpoints", "site")) return;
    db.exec("CREATE TABLE endpoints_by_site (id INTEGER PRIMARY KEY, host TEXT NOT NULL, address TEXT NOT NULL, port "
            "INTEGER NOT NULL, server_name TEXT NOT NULL, site TEXT NOT NULL DEFAULT '', UNIQUE (host, address, port, "
            "server_name, site)); INSERT INTO endpoints_by_site SELECT id, host, address, port, server_name, '' FROM "
            "endpoints; DROP TABLE endpoints; ALTER TABLE endpoints_by_site RENAME TO endpoints");
}

}  // namespace

void migrate_schema(sqlite3* handle) {
    SqliteConnection db(handle);
    const std::int64_t current = schema_version(db);
    if (current > kSchemaVersion)
        throw InventoryError("inventory schema version " + std::to_string(current) +
                             " is newer than this certfleet understands (" + std::to_string(kSchemaVersion) + ")");
    if (current == kSchemaVersion) return;
    Statement tables(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT IN "
                         "('scans','certificates','locations','sightings','key_sightings','scan_events',"
                         "'endpoints','endpoint_observations','endpoint_sightings','scan_progress',"
                         "'scan_labels','location_labels','endpoint_labels','anchor_sightings',"
                         "'certificate_issuers','location_latest','endpoint_latest','certificate_seen',"
                         "'findings','scan_owners','key_certificate_sightings','system_anchor_sightings',"
                         "'place_states','place_transitions','forgotten_inputs','scan_runs')");
    tables.step();
    const bool foreign = tables.integer(0) > 0;
    tables.reset();
    if (current == 0 && foreign) throw InventoryError("not a certfleet inventory (it holds other tables)");
    db.exec("BEGIN IMMEDIATE");
    try {
        add_location_hosts(db);
        add_endpoint_sites(db);
        db.exec(kSchemaSql);
        add_missing_columns(db);
        db.exec(kScanUuids);
        db.exec(kEventsOnce);
        db.exec(kKeysOnce);
        db.exec(("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str());
        db.exec("COMMIT");
    } catch (...) {
        sqlite3_exec(handle, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

sqlite3* open_connection(const std::string& path, int flags) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
        const std::string message = db ? sqlite3_errmsg(db) : "out of memory";
        sqlite3_close(db);
        throw InventoryError(path + ": cannot open inventory: " + message);
    }
    sqlite3_busy_timeout(db, kBusyTimeoutMs);
    return db;
}

void upgrade_sqlite_schema(const std::string& path) {
    sqlite3* db = open_connection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX);
    try {
        exec_sql(db, "PRAGMA journal_mode = WAL");
        migrate_schema(db);
    } catch (const InventoryError& e) {
        sqlite3_close(db);
        throw InventoryError(path + ": " + e.what());
    }
    sqlite3_close(db);
}

std::unique_ptr<InventoryQueries> open_sqlite_queries(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        throw InventoryError("no inventory at " + path + ": run 'certfleet scan' first (or give --db)");
    sqlite3* db = open_connection(path, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX);
    try {
        // Only the writer's connection may change the schema: an older inventory is brought up to this version
        // once, on a connection of its own. SQLite shares the file's locks between a process's connections.
        // A file with no schema yet is one a scan has only just created: its writer makes the schema, and a
        // reader that tried too would race it for the locks.
        auto connection = std::make_unique<SqliteConnection>(db, true);
        db = nullptr;  // the connection closes it from here on
        const auto version = schema_version(*connection);
        sqlite3_stmt* tables = nullptr;
        const bool empty = version == 0 &&
                     sqlite3_prepare_v2(connection->handle(), "SELECT count(*) FROM sqlite_master", -1, &tables,
                                        nullptr) == SQLITE_OK &&
                     sqlite3_step(tables) == SQLITE_ROW && sqlite3_column_int64(tables, 0) == 0;
        sqlite3_finalize(tables);
        if (empty) throw InventoryError("holds no scans yet: run 'certfleet scan' first");
        if (version != kSchemaVersion) upgrade_sqlite_schema(path);
        return std::make_unique<SqlQueries>(std::move(connection), path);
    } catch (const InventoryError& e) {
        sqlite3_close(db);
        throw InventoryError(std::string(e.what()).starts_with(path) ? e.what() : path + ": " + e.what());
    }
}

std::unique_ptr<InventoryQueries> queries_on_connection(SqlConnection& db, const std::string& path) {
    return std::make_unique<SqlQueries>(db, path);
}

}  // namespace certfleet::inventory
