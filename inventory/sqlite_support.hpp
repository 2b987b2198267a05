#pragma once
// SQLite plumbing shared by the inventory's writer (sqlite_inventory.hpp) and its queries (sql_queries.hpp).
// Internal to inventory/: nothing outside this module includes it.
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/cert_info.hpp"
#include "core/observation.hpp"
#include "inventory/analysis.hpp"
#include "inventory/inventory.hpp"
#include "inventory/schema_version.hpp"
#include "inventory/sql_connection.hpp"

namespace certfleet::inventory {

// A prepared SQLite statement (sql_connection.hpp's SqlCursor).
class SqliteCursor final : public SqlCursor {
public:
    SqliteCursor(sqlite3* db, const std::string& sql) : db_(db) {
        if (sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &stmt_, nullptr) != SQLITE_OK)
            throw InventoryError(std::string("cannot prepare statement: ") + sqlite3_errmsg(db));
    }
    ~SqliteCursor() override { sqlite3_finalize(stmt_); }
    SqliteCursor(const SqliteCursor&) = delete;
    SqliteCursor& operator=(const SqliteCursor&) = delete;

    void bind_integer(int i, std::int64_t v) override { check(sqlite3_bind_int64(stmt_, i, v)); }
    void bind_text(int i, const std::string& v, bool copy) override {
        check(sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), copy ? SQLITE_TRANSIENT : SQLITE_STATIC));
    }
    void bind_null(int i) override { check(sqlite3_bind_null(stmt_, i)); }
    void bind_blob(int i, const Bytes& v) override {
        check(sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC));
    }
    int parameter_index(const char* name) const override { return sqlite3_bind_parameter_index(stmt_, name); }

    bool step() override {
        const int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW) return true;
        changes_ = sqlite3_changes(db_);
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
        if (rc != SQLITE_DONE) throw InventoryError(std::string("database error: ") + sqlite3_errmsg(db_));
        return false;
    }
    void reset() override {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }

    std::int64_t integer(int column) const override { return sqlite3_column_int64(stmt_, column); }
    bool is_null(int column) const override { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
    Bytes blob(int column) const override {
        const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, column));
        return p ? Bytes(p, p + sqlite3_column_bytes(stmt_, column)) : Bytes();
    }
    std::string text(int column) const override {
        const auto* p = sqlite3_column_text(stmt_, column);
        return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)))
                 : std::string();
    }
    std::int64_t changes() const override { return changes_; }

private:
    void check(int rc) {
        if (rc != SQLITE_OK) throw InventoryError(std::string("cannot bind value: ") + sqlite3_errmsg(db_));
    }
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
    std::int64_t changes_ = 0;
};

inline void exec_sql(sqlite3* db, const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
        std::string message = error ? error : "unknown error";
        sqlite3_free(error);
        throw InventoryError(message);
    }
}

// An SQLite connection as the stores' shared code sees it; it closes the handle when it `owns` it.
class SqliteConnection final : public SqlConnection {
public:
    explicit SqliteConnection(sqlite3* db = nullptr, bool owns = false) : db_(db), owns_(owns) {}
    ~SqliteConnection() override {
        if (owns_) sqlite3_close(db_);
    }
    SqliteConnection(const SqliteConnection&) = delete;
    SqliteConnection& operator=(const SqliteConnection&) = delete;
    SqliteConnection& operator=(SqliteConnection&& other) noexcept {
        std::swap(db_, other.db_);
        std::swap(owns_, other.owns_);
        return *this;
    }
    SqlDialect dialect() const override { return SqlDialect::sqlite; }
    bool in_transaction() const override { return !sqlite3_get_autocommit(db_); }
    bool transaction_failed() const override { return false; }
    std::unique_ptr<SqlCursor> prepare(const std::string& sql) override {
        return std::make_unique<SqliteCursor>(db_, sql);
    }
    void exec(const std::string& sql) override { exec_sql(db_, sql.c_str()); }
    sqlite3* handle() const { return db_; }

private:
    sqlite3* db_;
    bool owns_;
};

inline std::string json_list(const std::vector<std::string>& items) { return nlohmann::json(items).dump(); }
inline std::vector<std::string> parse_list(const std::string& text) {
    return nlohmann::json::parse(text, nullptr, false).get<std::vector<std::string>>();
}

// A scan's row, in the order read_scan_record reads it, from kScanRows.
inline constexpr const char* kScanColumns =
    "id, kind, status, started_at, finished_at, parameters, files_walked, files_skipped, certificates_seen, "
    "keys_seen, errors, notes, coalesce(r.run, ''), coalesce(r.slot, ''), coalesce(r.shard, 0), coalesce(r.shards, 0), "
    "coalesce(uuid, '')";
inline constexpr const char* kScanRows = "scans LEFT JOIN scan_runs r ON r.scan_id = scans.id";

// The SQL condition that the file sighting at (`scan`, `location`, `position`), three column expressions, has a row
// in `table`: one of the facts kept per sighting (anchor_sightings, system_anchor_sightings,
// key_certificate_sightings), each a lookup of that table's primary key.
inline std::string sighting_has(const char* table, const std::string& scan, const std::string& location,
                                const std::string& position) {
    return std::string("EXISTS (SELECT 1 FROM ") + table + " x WHERE x.scan_id = " + scan + " AND x.location_id = " +
           location + " AND x.position = " + position + ")";
}
// The same fact as a value, 1 or 0, in both stores (an EXISTS is a boolean in PostgreSQL, which neither sums nor
// compares with numbers).
inline std::string sighting_flag(const char* table, const std::string& scan, const std::string& location,
                                 const std::string& position) {
    return "CASE WHEN " + sighting_has(table, scan, location, position) + " THEN 1 ELSE 0 END";
}

// The value a column names, or `fallback` for a name this certfleet does not know.
template <NamedEnum Enum>
Enum named_value(const std::string& name, Enum fallback) {
    return parse_enum<Enum>(name).value_or(fallback);
}

inline ScanRecord read_scan_record(const Statement& row) {
    ScanRecord r;
    r.id = row.integer(0);
    r.kind = row.text(1);
    r.status = named_value(row.text(2), ScanStatus::running);
    r.started_at = row.integer(3);
    if (!row.is_null(4)) r.finished_at = row.integer(4);
    r.parameters_json = row.text(5);
    r.counts.files_walked = static_cast<std::uint64_t>(row.integer(6));
    r.counts.files_skipped = static_cast<std::uint64_t>(row.integer(7));
    r.counts.certificates_seen = static_cast<std::uint64_t>(row.integer(8));
    r.counts.keys_seen = static_cast<std::uint64_t>(row.integer(9));
    r.counts.errors = static_cast<std::uint64_t>(row.integer(10));
    r.counts.notes = static_cast<std::uint64_t>(row.integer(11));
    r.run = {row.text(12), row.text(13), static_cast<int>(row.integer(14)), static_cast<int>(row.integer(15))};
    r.uuid = row.text(16);
    return r;
}

// The certificate facts as stored, in the order read_certificate reads them; columns of `certificates`
// (qualify with an alias by prefixing each name where a join needs it, see kCertificateColumnsOfC).
inline constexpr const char* kCertificateColumns =
    "sha256, spki_sha256, subject, issuer, serial, not_before, not_after, key_type, key_curve, key_bits, "
    "signature_algorithm, is_ca, path_length, self_issued, self_signed, subject_key_id, authority_key_id, dns_names, "
    "ip_addresses, uris, emails, key_usage, ext_key_usage";
inline constexpr const char* kCertificateColumnsOfC =
    "c.sha256, c.spki_sha256, c.subject, c.issuer, c.serial, c.not_before, c.not_after, c.key_type, c.key_curve, "
    "c.key_bits, c.signature_algorithm, c.is_ca, c.path_length, c.self_issued, c.self_signed, c.subject_key_id, "
    "c.authority_key_id, c.dns_names, c.ip_addresses, c.uris, c.emails, c.key_usage, c.ext_key_usage";
inline constexpr int kCertificateColumnCount = 23;

inline CertInfo read_certificate(const Statement& row, int first) {
    const auto col = [first](int i) { return first + i; };
    CertInfo c;
    c.sha256 = row.text(col(0));
    c.spki_sha256 = row.text(col(1));
    c.subject = row.text(col(2));
    c.issuer = row.text(col(3));
    c.serial = row.text(col(4));
    c.not_before = row.integer(col(5));
    c.not_after = row.integer(col(6));
    c.key_type = row.text(col(7));
    c.key_curve = row.text(col(8));
    c.key_bits = static_cast<int>(row.integer(col(9)));
    c.signature_algorithm = row.text(col(10));
    c.is_ca = row.integer(col(11)) != 0;
    if (!row.is_null(col(12))) c.path_length = static_cast<int>(row.integer(col(12)));
    c.self_issued = row.integer(col(13)) != 0;
    c.self_signed = row.integer(col(14)) != 0;
    c.subject_key_id = row.text(col(15));
    c.authority_key_id = row.text(col(16));
    c.dns_names = parse_list(row.text(col(17)));
    c.ip_addresses = parse_list(row.text(col(18)));
    c.uris = parse_list(row.text(col(19)));
    c.emails = parse_list(row.text(col(20)));
    c.key_usage = parse_list(row.text(col(21)));
    c.ext_key_usage = parse_list(row.text(col(22)));
    return c;
}

// An endpoint and one observation of it: `e` is endpoints, `o` endpoint_observations.
inline constexpr const char* kEndpointFactsColumns =
    "e.host, e.address, e.port, e.server_name, o.status, o.detail, o.starttls, o.tls_version, o.cipher, "
    "o.ocsp_stapled, o.verified, o.verify_error, o.verify_detail, o.verify_errors, "
    "o.chain_trusted, o.order_correct, o.root_included, o.intermediates_missing, o.earliest_expiry, "
    "o.earliest_expiry_sha256, o.serves_default, o.elapsed_ms, "
    // Rows stored before schema version 8 have no name check of their own: hostname_match held its outcome.
    "coalesce(o.name_check, CASE o.hostname_match WHEN 1 THEN 'matched' ELSE 'mismatched' END), "
    "o.name_check_detail, e.site, o.key_exchange, o.public_root, o.client_auth, o.client_ca_names, o.hybrid_groups";
inline constexpr int kEndpointFactsColumnCount = 30;

inline EndpointFacts read_endpoint_facts(const Statement& row, int first) {
    const auto col = [first](int i) { return first + i; };
    EndpointFacts f;
    f.host = row.text(col(0));
    f.address = row.text(col(1));
    f.port = static_cast<std::uint16_t>(row.integer(col(2)));
    f.server_name = row.text(col(3));
    f.status = named_value(row.text(col(4)), EndpointStatus::closed);
    f.detail = row.text(col(5));
    if (!row.is_null(col(6))) f.starttls = parse_enum<StartTls>(row.text(col(6)));
    f.tls_version = row.text(col(7));
    f.cipher = row.text(col(8));
    f.ocsp_stapled = row.integer(col(9)) != 0;
    ChainVerdict& v = f.verdict;
    v.verified = row.integer(col(10)) != 0;
    v.verify_error = row.text(col(11));
    v.verify_detail = row.text(col(12));
    v.errors = parse_list(row.text(col(13)));
    v.chain_trusted = row.integer(col(14)) != 0;
    v.order_correct = row.integer(col(15)) != 0;
    v.root_included = row.integer(col(16)) != 0;
    v.intermediates_missing = static_cast<int>(row.integer(col(17)));
    if (!row.is_null(col(18))) v.earliest_expiry = row.integer(col(18));
    v.earliest_expiry_sha256 = row.text(col(19));
    f.serves_default = row.integer(col(20)) != 0;
    f.elapsed_ms = row.integer(col(21));
    v.name_check = named_value(row.text(col(22)), NameCheck::not_checked);
    v.name_check_detail = row.text(col(23));
    f.site = row.text(col(24));
    f.key_exchange = row.text(col(25));
    v.public_root = row.integer(col(26)) != 0;
    f.client_auth = named_value(row.text(col(27)), ClientAuth::none);
    f.client_ca_names = parse_list(row.text(col(28)));
    f.hybrid_groups = parse_list(row.text(col(29)));
    return f;
}

inline std::int64_t schema_version(SqlConnection& db) {
    Statement version(db, "PRAGMA user_version");
    version.step();
    const std::int64_t current = version.integer(0);
    version.reset();
    return current;
}

// How long a statement waits for another process's write to end before it fails with "database is locked".
inline constexpr int kBusyTimeoutMs = 10000;

// A connection to the existing file `path` with these sqlite3_open_v2 flags, waiting kBusyTimeoutMs on locks.
// Throws InventoryError naming the file when it cannot be opened.
sqlite3* open_connection(const std::string& path, int flags);
// Creates the schema in a new inventory or brings an older one up to kSchemaVersion, in one transaction. Throws
// InventoryError for a newer schema or a database that holds other tables.
void migrate_schema(sqlite3* db);
// Migrates the inventory at `path` on a read-write connection of its own, closed after.
void upgrade_sqlite_schema(const std::string& path);

// Labels as a JSON object in a TEXT column, and back (anything but an object of strings reads as no labels).
std::string labels_json_text(const Labels& labels);
Labels labels_from_json_text(const std::string& text);

// The scan `scan`, or with none the latest (only among those that ended complete or interrupted with
// `finished_only`).
std::optional<ScanRecord> load_scan_record(SqlConnection& db, std::optional<ScanId> scan, bool finished_only);
// Questions asked on a connection the caller owns and keeps open while the answerer lives: the writer's, so a
// scan's findings are evaluated in the transaction that concludes it.
std::unique_ptr<InventoryQueries> queries_on_connection(SqlConnection& db, const std::string& path);

}  // namespace certfleet::inventory
