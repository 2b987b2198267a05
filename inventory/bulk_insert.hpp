#pragma once
// Rows for one table, inserted many to a statement. A scan writes a few rows per sighting; one INSERT statement
// per row spends most of its time starting and resetting the statement, one per kRowsPerStatement rows does not.
// Internal to inventory/.
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "inventory/sqlite_support.hpp"

namespace certfleet::inventory {

class BulkInsert {
public:
    using Value = std::variant<std::int64_t, std::string, std::nullopt_t>;
    static constexpr std::size_t kRowsPerStatement = 64;

    // `head` is the statement up to VALUES, e.g. "INSERT INTO t (a, b) VALUES", `tail` what follows the rows,
    // e.g. " ON CONFLICT DO NOTHING".
    BulkInsert(SqlConnection& db, const std::string& head, std::size_t columns, const std::string& tail = "")
        : columns_(columns),
          one_row_(db, head + placeholders(columns, 1) + tail),
          full_(db, head + placeholders(columns, kRowsPerStatement) + tail) {
        pending_.reserve(columns * kRowsPerStatement);
    }

    // One row, its values in the order of the head's columns. Inserted by the next flush at the latest.
    template <typename... Values>
    void add(const Values&... values) {
        (pending_.push_back(to_value(values)), ...);
        if (pending_.size() == columns_ * kRowsPerStatement) flush();
    }

    void flush() {
        const std::size_t rows = pending_.size() / columns_;
        Statement& statement = rows == kRowsPerStatement ? full_ : one_row_;
        const std::size_t per_statement = rows == kRowsPerStatement ? kRowsPerStatement : 1;
        for (std::size_t first = 0; first < pending_.size(); first += per_statement * columns_) {
            for (std::size_t i = 0; i < per_statement * columns_; ++i) bind(statement, static_cast<int>(i + 1), pending_[first + i]);
            statement.run();
        }
        pending_.clear();
    }

    // Forgets the rows not yet inserted (their transaction is being rolled back).
    void discard() { pending_.clear(); }

private:
    static std::string placeholders(std::size_t columns, std::size_t rows) {
        std::string row = "(";
        for (std::size_t c = 0; c < columns; ++c) row += c == 0 ? "?" : ",?";
        row += ")";
        std::string out = " ";
        for (std::size_t r = 0; r < rows; ++r) out += (r == 0 ? "" : ",") + row;
        return out;
    }

    static Value to_value(std::int64_t number) { return number; }
    static Value to_value(const std::string& text) { return text; }
    static Value to_value(const std::optional<std::string>& text) { return text ? Value(*text) : Value(std::nullopt); }
    static Value to_value(const std::optional<std::int64_t>& number) {
        return number ? Value(*number) : Value(std::nullopt);
    }

    static void bind(Statement& statement, int index, const Value& value) {
        if (const auto* number = std::get_if<std::int64_t>(&value))
            statement.bind(index, *number);
        else if (const auto* text = std::get_if<std::string>(&value))
            statement.bind_unowned(index, *text);  // pending_ holds it until the statement has run
        else
            statement.bind(index, std::optional<std::string>());
    }

    std::size_t columns_;
    Statement one_row_;
    Statement full_;
    std::vector<Value> pending_;
};

}  // namespace certfleet::inventory
