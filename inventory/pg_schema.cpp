#include "inventory/pg_schema.hpp"

#include <string>

#include "inventory/schema_version.hpp"
#include "inventory/sql_queries.hpp"

namespace certfleet::inventory {

extern const char* const kPgSchemaSql;

namespace pg {

namespace {

// The advisory lock every certfleet takes to migrate: a fixed key ("cfschema" in ASCII), so all agree on it.
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(7162823398758632801)";

void refuse_newer(const Connection& db, std::int64_t version) {
    throw InventoryError("the PostgreSQL inventory at " + db.description() + " has schema version " +
                         std::to_string(version) + ", newer than this certfleet understands (" +
                         std::to_string(kSchemaVersion) + "): upgrade certfleet");
}

}  // namespace

std::int64_t schema_version(Connection& db) {
    // A query of the catalog, not to_regclass: its name cache may still miss a table another scanner has just
    // created, until this session next takes a lock on a table.
    if (db.value("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND "
                 "tablename = 'certfleet_schema')") != "t")
        return 0;
    return std::stoll(db.value("SELECT coalesce(max(version), 0) FROM certfleet_schema").value_or("0"));
}

namespace {

void migrate_once(Connection& db) {
    const std::int64_t seen = schema_version(db);
    if (seen > kSchemaVersion) refuse_newer(db, seen);
    if (seen == kSchemaVersion) return;
    db.exec("BEGIN");
    try {
        db.exec(kMigrationLock);
        const std::int64_t current = schema_version(db);  // another scanner may have migrated while this one waited
        if (current > kSchemaVersion) refuse_newer(db, current);
        if (current < kSchemaVersion) {
            const auto tables = db.value("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()");
            if (current == 0 && tables != "0")
                throw InventoryError("the PostgreSQL database at " + db.description() +
                                     " holds other tables: give certfleet a database (or a schema, with "
                                     "options=-csearch_path=NAME) of its own");
            db.exec(kPgSchemaSql);
            db.exec("INSERT INTO certfleet_schema (version) VALUES (" + std::to_string(kSchemaVersion) + ")");
        }
        db.exec("COMMIT");
    } catch (...) {
        try {
            db.exec("ROLLBACK");
        } catch (const InventoryError&) {
            // The connection is gone: the server rolled the transaction back itself.
        }
        throw;
    }
}

// How often a connection lost while migrating is opened again: a blip, not a server that is gone (the scan's
// reconnect window is for work already under way).
constexpr int kMigrationAttempts = 3;

}  // namespace

void migrate_schema(Connection& db) {
    for (int attempt = 1;; ++attempt) {
        try {
            migrate_once(db);
            return;
        } catch (const Error& e) {
            // The migration takes its lock and looks at the version again, so running it twice is harmless,
            // also when the lost COMMIT went through.
            if (!e.connection_lost() || attempt == kMigrationAttempts) throw;
            db.reconnect();
        }
    }
}

std::unique_ptr<InventoryQueries> open_queries(const std::string& conninfo) {
    auto db = std::make_unique<Connection>(conninfo, kConnectTimeout);
    migrate_schema(*db);
    const std::string where = "the PostgreSQL inventory at " + db->description();
    return std::make_unique<SqlQueries>(std::move(db), where);
}

}  // namespace pg

}  // namespace certfleet::inventory
