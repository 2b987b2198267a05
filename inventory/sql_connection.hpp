#pragma once
// A connection to either store and its statements, so the inventory's questions are written once for SQLite and
// PostgreSQL. SQL is written in SQLite's dialect (?, ?NNN and :name parameters); the PostgreSQL connection
// numbers parameters its way and its schema supplies the few SQLite functions the questions use. Internal to
// inventory/.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/cert_info.hpp"

namespace certfleet::inventory {

enum class SqlDialect { sqlite, postgresql };

// A value of a row the writer stores: an integer, text, or NULL.
using SqlValue = std::variant<std::int64_t, std::string, std::nullopt_t>;

// Appends rows to a table in one bulk operation, where a store has one faster than INSERT (PostgreSQL's COPY).
class RowCopier {
public:
    virtual ~RowCopier() = default;
    // `values` row after row, `columns` to a row, in the order of `column_list` ("(a, b, c)"). False when a row
    // is there already (a unique key's violation): none was added, and the open transaction failed.
    virtual bool copy_rows(const std::string& table, const std::string& column_list, const std::vector<SqlValue>& values,
                           std::size_t columns) = 0;
};

// One prepared statement of a store. Parameters are numbered from 1, columns from 0.
class SqlCursor {
public:
    virtual ~SqlCursor() = default;
    virtual void bind_integer(int i, std::int64_t v) = 0;
    // `copy` false: the store may keep a pointer to `v` until the statement is stepped to its end or reset.
    virtual void bind_text(int i, const std::string& v, bool copy) = 0;
    virtual void bind_null(int i) = 0;
    // The store may keep a pointer to `v` until the statement is stepped to its end or reset.
    virtual void bind_blob(int i, const Bytes& v) = 0;
    // The number of a named parameter (":scan"), 0 when the statement has none of that name.
    virtual int parameter_index(const char* name) const = 0;
    // True while rows come; at the end it resets itself and clears its bindings, ready to run again.
    virtual bool step() = 0;
    virtual void reset() = 0;
    virtual std::int64_t integer(int column) const = 0;
    virtual bool is_null(int column) const = 0;
    virtual Bytes blob(int column) const = 0;
    virtual std::string text(int column) const = 0;
    // Rows the last run changed (INSERT, UPDATE, DELETE).
    virtual std::int64_t changes() const = 0;
};

class SqlConnection {
public:
    virtual ~SqlConnection() = default;
    virtual SqlDialect dialect() const = 0;
    virtual std::unique_ptr<SqlCursor> prepare(const std::string& sql) = 0;
    // One or more statements without parameters.
    virtual void exec(const std::string& sql) = 0;
    // Whether a transaction is open on the connection.
    virtual bool in_transaction() const = 0;
    // Whether the open transaction failed and takes no statement but its end (PostgreSQL, after any error;
    // SQLite fails only the statement).
    virtual bool transaction_failed() const = 0;
    // The store's bulk append, or nullptr where statements are as fast (SQLite, in process).
    virtual RowCopier* row_copier() { return nullptr; }
};

// What the stores' code uses: a statement of either store, with typed binds.
class Statement {
public:
    Statement(SqlConnection& db, const std::string& sql) : cursor_(db.prepare(sql)) {}

    Statement& bind(int i, std::int64_t v) {
        cursor_->bind_integer(i, v);
        return *this;
    }
    Statement& bind(int i, const std::string& v) {
        cursor_->bind_text(i, v, true);
        return *this;
    }
    Statement& bind(int i, const std::optional<std::string>& v) {
        if (v) return bind(i, *v);
        cursor_->bind_null(i);
        return *this;
    }
    Statement& bind(int i, std::optional<std::int64_t> v) {
        if (v) return bind(i, *v);
        cursor_->bind_null(i);
        return *this;
    }
    // Binds `v` without the store's copy of it: `v` must outlive the statement's run, i.e. the caller steps it to
    // its end or resets it before `v` goes away.
    Statement& bind_unowned(int i, const std::string& v) {
        cursor_->bind_text(i, v, false);
        return *this;
    }
    Statement& bind_blob(int i, const Bytes& v) {
        cursor_->bind_blob(i, v);
        return *this;
    }
    // Named parameters (":scan"), for queries assembled from optional filters; a name not in the statement is
    // ignored.
    template <typename Value>
    Statement& bind(const char* name, const Value& v) {
        const int i = cursor_->parameter_index(name);
        return i == 0 ? *this : bind(i, v);
    }

    bool step() { return cursor_->step(); }
    void run() {
        while (step()) {
        }
    }
    void reset() { cursor_->reset(); }
    std::int64_t changes() const { return cursor_->changes(); }

    std::int64_t integer(int column) const { return cursor_->integer(column); }
    bool is_null(int column) const { return cursor_->is_null(column); }
    Bytes blob(int column) const { return cursor_->blob(column); }
    std::string text(int column) const { return cursor_->text(column); }

private:
    std::unique_ptr<SqlCursor> cursor_;
};

}  // namespace certfleet::inventory
