#pragma once
// SQLite plumbing shared by the inventory's writer (sqlite_inventory.cpp) and its queries (sqlite_queries.cpp).
// Internal to inventory/: nothing outside this module includes it.
#include <sqlite3.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/cert_info.hpp"
#include "inventory/inventory.hpp"

namespace certfleet::inventory {

class Statement {
public:
    Statement(sqlite3* db, const char* sql) : db_(db) {
        if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK)
            throw InventoryError(std::string("cannot prepare statement: ") + sqlite3_errmsg(db));
    }
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    Statement& bind(int i, std::int64_t v) { return check(sqlite3_bind_int64(stmt_, i, v)); }
    Statement& bind(int i, const std::string& v) {
        return check(sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    }
    Statement& bind(int i, const std::optional<std::string>& v) {
        return v ? bind(i, *v) : check(sqlite3_bind_null(stmt_, i));
    }
    Statement& bind(int i, std::optional<std::int64_t> v) { return v ? bind(i, *v) : check(sqlite3_bind_null(stmt_, i)); }
    Statement& bind_blob(int i, const Bytes& v) {
        return check(sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC));
    }

    // Named parameters (":scan"), for queries assembled from optional filters.
    template <typename Value>
    Statement& bind(const char* name, const Value& v) {
        const int i = sqlite3_bind_parameter_index(stmt_, name);
        return i == 0 ? *this : bind(i, v);
    }

    // Returns true while rows come; resets itself when done so the statement can be reused.
    bool step() {
        const int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW) return true;
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
        if (rc != SQLITE_DONE) throw InventoryError(std::string("database write failed: ") + sqlite3_errmsg(db_));
        return false;
    }
    void run() {
        while (step()) {
        }
    }
    void reset() {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }

    std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }
    bool is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
    Bytes blob(int column) const {
        const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, column));
        return p ? Bytes(p, p + sqlite3_column_bytes(stmt_, column)) : Bytes();
    }
    std::string text(int column) const {
        const auto* p = sqlite3_column_text(stmt_, column);
        return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)))
                 : std::string();
    }

private:
    Statement& check(int rc) {
        if (rc != SQLITE_OK) throw InventoryError(std::string("cannot bind value: ") + sqlite3_errmsg(db_));
        return *this;
    }
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

inline std::string json_list(const std::vector<std::string>& items) { return nlohmann::json(items).dump(); }
inline std::vector<std::string> parse_list(const std::string& text) {
    return nlohmann::json::parse(text, nullptr, false).get<std::vector<std::string>>();
}

inline void exec_sql(sqlite3* db, const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
        std::string message = error ? error : "unknown error";
        sqlite3_free(error);
        throw InventoryError(message);
    }
}

}  // namespace certfleet::inventory
