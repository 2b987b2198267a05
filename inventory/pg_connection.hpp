#pragma once
// PostgreSQL plumbing for the central inventory: a libpq connection and its cursors behind sql_connection.hpp's
// interfaces, so the same questions can be asked of either store. Internal to inventory/.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/cert_info.hpp"
#include "inventory/inventory.hpp"
#include "inventory/sql_connection.hpp"

struct pg_conn;
struct pg_result;

namespace certfleet::inventory::pg {

// A failure the server reported, with its SQLSTATE: the store retries a transaction that lost a serialisation
// race or a deadlock, and reconnects when the connection went away.
class Error : public InventoryError {
public:
    Error(const std::string& message, std::string sqlstate) : InventoryError(message), sqlstate_(std::move(sqlstate)) {}
    const std::string& sqlstate() const { return sqlstate_; }
    // 40001 serialization_failure, 40P01 deadlock_detected: the same transaction may succeed when run again.
    bool retryable() const { return sqlstate_ == "40001" || sqlstate_ == "40P01"; }
    // Class 08 (connection exception), 57P01-57P03 (the server shutting down or not yet up), or no SQLSTATE at all
    // (libpq lost the connection before the server could say).
    bool connection_lost() const;

private:
    std::string sqlstate_;
};

// Whether `--db` names a PostgreSQL server: a postgresql:// or postgres:// URI, or a libpq keyword string
// ("host=... dbname=...", "service=NAME"). Anything else is an SQLite file.
bool is_connection_string(const std::string& db);
// The connection string with any password in it replaced by "***", fit for messages and logs.
std::string redacted(const std::string& conninfo);
// SQL written for SQLite's parameters (?, ?NNN, :name, @name, $name) with PostgreSQL's ($1, $2 ...), numbered as
// SQLite numbers them, and its CROSS JOIN ... ON (a join order for SQLite's planner) as JOIN; string literals,
// quoted identifiers, comments and `::` casts are left alone.
struct NumberedSql {
    std::string sql;
    std::vector<std::string> names;  // by number - 1: the named parameter's name with its prefix (":scan"), or ""
};
NumberedSql with_numbered_parameters(const std::string& sql);

// Text as the server stores it, and back. A PostgreSQL database in UTF-8 refuses bytes that are not (a Latin-1
// file name from an old system); SQLite keeps them. Each byte of text that is not well-formed UTF-8 is sent as
// the private-use code point U+10FF00 + byte, as is each byte of one of those code points, so every name is
// stored, compared and read back exactly.
std::string to_server_text(std::string_view text);
std::string from_server_text(std::string_view text);

class Connection final : public SqlConnection, public RowCopier {
public:
    // Connects, waiting at most `timeout` (libpq's connect_timeout). Throws Error naming the server (password
    // redacted) and libpq's reason.
    Connection(const std::string& conninfo, std::chrono::seconds timeout);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    SqlDialect dialect() const override { return SqlDialect::postgresql; }
    std::unique_ptr<SqlCursor> prepare(const std::string& sql) override;
    // Runs one or more statements without parameters (schema, BEGIN/COMMIT ...).
    void exec(const std::string& sql) override;
    bool in_transaction() const override;
    bool transaction_failed() const override;
    RowCopier* row_copier() override { return this; }
    // COPY ... FROM STDIN in its text format: one statement for any number of rows, which the server appends
    // without planning or binding each.
    bool copy_rows(const std::string& table, const std::string& column_list, const std::vector<SqlValue>& values,
                   std::size_t columns) override;
    // The first column of the first row of a query without parameters, or nullopt when it returns no row or NULL.
    std::optional<std::string> value(const std::string& sql);
    // The server's version as libpq reports it, e.g. 150018.
    int server_version() const;
    const std::string& description() const { return description_; }  // the connection string, redacted
    pg_conn* get() const { return conn_; }
    // A name for a new prepared statement, unique on this connection.
    std::string next_statement_name() { return "s" + std::to_string(++statements_); }
    // Connects again with the same parameters, waiting at most the connect timeout, after the server went away
    // (a restart, a failover). Throws Error when it cannot. The new session has none of the old one's prepared
    // statements, locks or transaction: cursors prepare themselves again, the caller takes its locks again.
    void reconnect();
    // Counts sessions: a cursor prepared in an earlier one prepares again before it runs.
    std::uint64_t session() const { return session_; }

private:
    void configure_session();

    pg_conn* conn_ = nullptr;
    std::string description_;
    std::uint64_t statements_ = 0;
    std::uint64_t session_ = 1;
};

// Throws Error when `result` is not a success; takes ownership of it either way.
struct ResultDeleter {
    void operator()(pg_result* result) const;
};
using Result = std::unique_ptr<pg_result, ResultDeleter>;
Result checked(Connection& connection, pg_result* result, const std::string& what);

// A prepared statement (sql_connection.hpp's SqlCursor). Parameters are sent as text (blobs as binary) and their
// types inferred by the server; rows come back as text. step() runs it on first call and walks the rows; at the
// end it resets, so the statement can be bound and run again, as SQLite's is.
class Cursor final : public SqlCursor {
public:
    Cursor(Connection& connection, const std::string& sql);
    ~Cursor() override;
    Cursor(const Cursor&) = delete;
    Cursor& operator=(const Cursor&) = delete;

    void bind_integer(int i, std::int64_t v) override;
    void bind_text(int i, const std::string& v, bool copy) override;
    void bind_null(int i) override;
    void bind_blob(int i, const Bytes& v) override;
    int parameter_index(const char* name) const override;

    bool step() override;
    void reset() override;

    std::int64_t integer(int column) const override;
    bool is_null(int column) const override;
    Bytes blob(int column) const override;
    std::string text(int column) const override;
    std::int64_t changes() const override { return changes_; }

private:
    struct Parameter {
        std::optional<std::string> value;
        bool binary = false;
    };
    Parameter& slot(int i);
    void prepare();

    Connection& connection_;
    std::string name_;
    std::string sql_;  // numbered for PostgreSQL
    std::uint64_t prepared_in_ = 0;  // the connection's session it was prepared in
    std::vector<std::string> names_;  // of the named parameters, by number - 1
    std::vector<Parameter> parameters_;
    Result result_;
    int row_ = -1;
    std::int64_t changes_ = 0;
};

}  // namespace certfleet::inventory::pg
