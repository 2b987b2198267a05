// The inventory's reader on either store: its connection, read snapshots and lookups by key. The questions
// themselves are in sql_view_queries.cpp, sql_certificate_queries.cpp, sql_place_queries.cpp,
// sql_anchor_queries.cpp and sql_history_queries.cpp; each store opens it (sqlite_schema.cpp, pg_schema.cpp).
#include "inventory/query_logic.hpp"
#include "inventory/sql_queries.hpp"

namespace certfleet::inventory {

namespace {

// One read transaction, begun at once so the moment is the snapshot's making (both stores would otherwise take it
// at the first read); a read transaction's end commits nothing.
class TransactionSnapshot final : public ReadSnapshot {
public:
    explicit TransactionSnapshot(SqlConnection& db) : db_(db) {
        db_.exec(db_.dialect() == SqlDialect::postgresql ? "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"
                                                         : "BEGIN");
        try {
            db_.exec("SELECT count(*) FROM scans WHERE id = 0");
        } catch (...) {
            end("ROLLBACK");
            throw;
        }
    }
    ~TransactionSnapshot() override { end("COMMIT"); }
    TransactionSnapshot(const TransactionSnapshot&) = delete;
    TransactionSnapshot& operator=(const TransactionSnapshot&) = delete;

private:
    void end(const char* sql) noexcept {
        try {
            db_.exec(sql);
        } catch (const InventoryError&) {
            // A lost connection ended the transaction already.
        }
    }
    SqlConnection& db_;
};

// The tables of a view as of a past scan (as_of_view) and of a view read many times (view_rows), private to the
// connection and made before any read transaction, in which PostgreSQL allows filling them but not making them.
const char* session_tables(SqlDialect dialect) {
    return dialect == SqlDialect::postgresql
               ? "CREATE TEMP TABLE IF NOT EXISTS as_of_location (location_id BIGINT PRIMARY KEY, scan_id BIGINT); "
                 "CREATE TEMP TABLE IF NOT EXISTS as_of_endpoint (endpoint_id BIGINT PRIMARY KEY, scan_id BIGINT); "
                 "CREATE TEMP TABLE IF NOT EXISTS view_rows (kind BIGINT, scan_id BIGINT, place_id BIGINT, position "
                 "BIGINT, certificate_id BIGINT, anchor BIGINT)"
               : "PRAGMA temp_store = MEMORY; CREATE TEMP TABLE IF NOT EXISTS as_of_location (location_id INTEGER "
                 "PRIMARY KEY, scan_id INTEGER); CREATE TEMP TABLE IF NOT EXISTS as_of_endpoint (endpoint_id "
                 "INTEGER PRIMARY KEY, scan_id INTEGER); CREATE TEMP TABLE IF NOT EXISTS view_rows (kind INTEGER, "
                 "scan_id INTEGER, place_id INTEGER, position INTEGER, certificate_id INTEGER, anchor INTEGER)";
}

}  // namespace

SqlQueries::SqlQueries(SqlConnection& db, std::string where) : path_(std::move(where)), db_(db) {
    db_.exec(session_tables(db_.dialect()));
}

SqlQueries::SqlQueries(std::unique_ptr<SqlConnection> db, std::string where)
    : path_(std::move(where)), owned_(std::move(db)), db_(*owned_) {
    db_.exec(session_tables(db_.dialect()));
}

SqlQueries::~SqlQueries() { statements_.clear(); }

std::unique_ptr<ReadSnapshot> SqlQueries::snapshot() {
    if (db_.in_transaction()) return std::make_unique<ReadSnapshot>();
    return std::make_unique<TransactionSnapshot>(db_);
}

std::vector<ScanRecord> SqlQueries::scans() {
    Statement select(db_, (std::string("SELECT ") + kScanColumns + " FROM " + kScanRows + " ORDER BY id").c_str());
    std::vector<ScanRecord> out;
    while (select.step()) out.push_back(read_scan_record(select));
    return out;
}

std::optional<ScanRecord> SqlQueries::find_scan(ScanId scan) { return load_scan_record(db_, scan, false); }

std::optional<ScanRecord> SqlQueries::latest_scan() { return load_scan_record(db_, std::nullopt, false); }

std::optional<ScanRecord> SqlQueries::latest_finished_scan() { return load_scan_record(db_, std::nullopt, true); }

Statement& SqlQueries::statement(const std::string& sql) {
    auto it = statements_.find(sql);
    if (it == statements_.end()) it = statements_.emplace(sql, std::make_unique<Statement>(db_, sql.c_str())).first;
    return *it->second;
}

std::optional<std::int64_t> SqlQueries::certificate_id(const std::string& sha256) {
    auto& select = statement("SELECT id FROM certificates WHERE sha256 = ?");
    select.bind(1, normalized_fingerprint(sha256));
    if (!select.step()) return std::nullopt;
    const auto id = select.integer(0);
    select.reset();
    return id;
}

std::string SqlQueries::sha256_of(std::int64_t id) {
    auto& select = statement("SELECT sha256 FROM certificates WHERE id = ?");
    select.bind(1, id);
    std::string sha;
    if (select.step()) sha = select.text(0);
    select.reset();
    return sha;
}

std::vector<std::int64_t> SqlQueries::issuers_of(std::int64_t id) {
    auto& select = statement("SELECT issuer_id FROM certificate_issuers WHERE certificate_id = ? ORDER BY issuer_id");
    select.bind(1, id);
    std::vector<std::int64_t> out;
    while (select.step()) out.push_back(select.integer(0));
    return out;
}

UnixTime SqlQueries::scan_started(ScanId scan) {
    auto& select = statement("SELECT started_at FROM scans WHERE id = ?");
    select.bind(1, scan);
    UnixTime at = 0;
    if (select.step()) at = select.integer(0);
    select.reset();
    return at;
}

ScanRecord SqlQueries::scan_record(ScanId scan) {
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

}  // namespace certfleet::inventory
