// The SQLite reader: its connection, read snapshots and lookups by key, and how it is opened. The questions
// themselves are in sqlite_view_queries.cpp, sqlite_certificate_queries.cpp, sqlite_place_queries.cpp,
// sqlite_anchor_queries.cpp and sqlite_history_queries.cpp.
#include <sys/stat.h>

#include "inventory/query_logic.hpp"
#include "inventory/sqlite_queries.hpp"

namespace certfleet::inventory {

namespace {

// One read transaction, begun at once so the moment is the snapshot's making (SQLite would otherwise take it at
// the first read); a read transaction's end commits nothing.
class SqliteReadSnapshot final : public ReadSnapshot {
public:
    explicit SqliteReadSnapshot(sqlite3* db) : db_(db) {
        db_.exec("BEGIN");
        try {
            db_.exec("SELECT count(*) FROM scans WHERE id = 0");
        } catch (...) {
            sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
            throw;
        }
    }
    ~SqliteReadSnapshot() override { sqlite3_exec(db_.handle(), "COMMIT", nullptr, nullptr, nullptr); }
    SqliteReadSnapshot(const SqliteReadSnapshot&) = delete;
    SqliteReadSnapshot& operator=(const SqliteReadSnapshot&) = delete;

private:
    SqliteConnection db_;
};

}  // namespace

SqliteQueries::SqliteQueries(sqlite3* db, std::string path, bool owns_connection)
    : path_(std::move(path)), db_(db), owns_connection_(owns_connection) {
    db_.exec(
             "PRAGMA temp_store = MEMORY; CREATE TEMP TABLE IF NOT EXISTS as_of_location (location_id INTEGER "
             "PRIMARY KEY, scan_id INTEGER); CREATE TEMP TABLE IF NOT EXISTS as_of_endpoint (endpoint_id INTEGER "
             "PRIMARY KEY, scan_id INTEGER)");
}

SqliteQueries::~SqliteQueries() {
    statements_.clear();
    if (owns_connection_) sqlite3_close(db_.handle());
}

std::unique_ptr<ReadSnapshot> SqliteQueries::snapshot() {
    if (!sqlite3_get_autocommit(db_.handle())) return std::make_unique<ReadSnapshot>();
    return std::make_unique<SqliteReadSnapshot>(db_.handle());
}

std::vector<ScanRecord> SqliteQueries::scans() {
    Statement select(db_, (std::string("SELECT ") + kScanColumns + " FROM scans ORDER BY id").c_str());
    std::vector<ScanRecord> out;
    while (select.step()) out.push_back(read_scan_record(select));
    return out;
}

std::optional<ScanRecord> SqliteQueries::find_scan(ScanId scan) { return load_scan_record(db_, scan, false); }

std::optional<ScanRecord> SqliteQueries::latest_scan() { return load_scan_record(db_, std::nullopt, false); }

std::optional<ScanRecord> SqliteQueries::latest_finished_scan() { return load_scan_record(db_, std::nullopt, true); }

Statement& SqliteQueries::statement(const std::string& sql) {
    auto it = statements_.find(sql);
    if (it == statements_.end()) it = statements_.emplace(sql, std::make_unique<Statement>(db_, sql.c_str())).first;
    return *it->second;
}

std::optional<std::int64_t> SqliteQueries::certificate_id(const std::string& sha256) {
    auto& select = statement("SELECT id FROM certificates WHERE sha256 = ?");
    select.bind(1, normalized_fingerprint(sha256));
    if (!select.step()) return std::nullopt;
    const auto id = select.integer(0);
    select.reset();
    return id;
}

std::string SqliteQueries::sha256_of(std::int64_t id) {
    auto& select = statement("SELECT sha256 FROM certificates WHERE id = ?");
    select.bind(1, id);
    std::string sha;
    if (select.step()) sha = select.text(0);
    select.reset();
    return sha;
}

std::vector<std::int64_t> SqliteQueries::issuers_of(std::int64_t id) {
    auto& select = statement("SELECT issuer_id FROM certificate_issuers WHERE certificate_id = ? ORDER BY issuer_id");
    select.bind(1, id);
    std::vector<std::int64_t> out;
    while (select.step()) out.push_back(select.integer(0));
    return out;
}

UnixTime SqliteQueries::scan_started(ScanId scan) {
    auto& select = statement("SELECT started_at FROM scans WHERE id = ?");
    select.bind(1, scan);
    UnixTime at = 0;
    if (select.step()) at = select.integer(0);
    select.reset();
    return at;
}

ScanRecord SqliteQueries::scan_record(ScanId scan) {
    for (auto& record : scans())
        if (record.id == scan) return record;
    throw InventoryError("no scan " + std::to_string(scan) + " in " + path_);
}

std::string id_list(const std::vector<std::int64_t>& ids) {
    std::string list;
    for (auto id : ids)
        if (id != 0) list += (list.empty() ? "" : ",") + std::to_string(id);
    return list;
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
        SqliteConnection connection(db);
        const auto version = schema_version(connection);
        sqlite3_stmt* tables = nullptr;
        const bool empty = version == 0 &&
                     sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &tables, nullptr) == SQLITE_OK &&
                     sqlite3_step(tables) == SQLITE_ROW && sqlite3_column_int64(tables, 0) == 0;
        sqlite3_finalize(tables);
        if (empty) throw InventoryError("holds no scans yet: run 'certfleet scan' first");
        if (version != kSchemaVersion) upgrade_sqlite_schema(path);
        return std::make_unique<SqliteQueries>(db, path, true);
    } catch (const InventoryError& e) {
        sqlite3_close(db);
        throw InventoryError(std::string(e.what()).starts_with(path) ? e.what() : path + ": " + e.what());
    }
}

std::unique_ptr<InventoryQueries> queries_on_connection(sqlite3* db, const std::string& path) {
    return std::make_unique<SqliteQueries>(db, path, false);
}

}  // namespace certfleet::inventory
