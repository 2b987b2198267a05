#pragma once
// Rows for one table, stored many at a time. A scan writes a few rows per sighting; one INSERT statement per row
// spends most of its time starting and resetting the statement, one per kRowsPerStatement rows does not, and
// PostgreSQL's COPY appends a batch's rows without planning or binding each. Internal to inventory/.
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "inventory/sql_connection.hpp"

namespace certfleet::inventory {

// `count` values as one string, a number in decimal (as a store gives it back as text): a row's key in a map.
inline std::string key_text(const SqlValue* values, std::size_t count) {
    std::string key;
    for (std::size_t i = 0; i < count; ++i) {
        if (const auto* number = std::get_if<std::int64_t>(&values[i])) key += std::to_string(*number);
        else if (const auto* text = std::get_if<std::string>(&values[i])) key += *text;
        key += '\0';  // never in a name, path or label
    }
    return key;
}

// Binds a value that outlives the statement's run (a text is not copied).
inline void bind_value(Statement& statement, int index, const SqlValue& value) {
    if (const auto* number = std::get_if<std::int64_t>(&value)) statement.bind(index, *number);
    else if (const auto* text = std::get_if<std::string>(&value)) statement.bind_unowned(index, *text);
    else statement.bind(index, std::optional<std::string>());
}

// A table the writer appends rows to.
struct BulkTable {
    // Which of two rows with the same key stays: the first (ON CONFLICT DO NOTHING) or the later (DO UPDATE).
    enum class Repeats { keep_first, keep_last };

    const char* name;
    const char* column_list;  // "(a, b, c)"
    std::size_t columns;
    std::size_t key_columns;  // the first ones, a unique key
    Repeats repeats;
    const char* conflict;  // what follows a statement's rows: its ON CONFLICT clause, as `repeats` says
    // Whether COPY may append to it: not a table other writers add the same rows to at the same time, where a
    // copy would wait for theirs and then fail.
    bool copied;
};

class BulkInsert {
public:
    using Value = SqlValue;
    static constexpr std::size_t kRowsPerStatement = 64;

    BulkInsert(SqlConnection& db, const BulkTable& table)
        : table_(table),
          copier_(table.copied ? db.row_copier() : nullptr),
          one_row_(db, head() + placeholders(1) + table.conflict),
          full_(db, head() + placeholders(kRowsPerStatement) + table.conflict) {
        pending_.reserve(table.columns * kRowsPerStatement);
    }

    // One row, its values in the order of the table's columns. Stored by the next flush or copy at the latest.
    template <typename... Values>
    void add(const Values&... values) {
        (pending_.push_back(to_value(values)), ...);
        // Rows to be copied wait for the batch's end: one COPY for all of them.
        if (!copier_ && pending_.size() == table_.columns * kRowsPerStatement) flush();
    }

    // Whether copy() may be used.
    bool copies() const { return copier_ != nullptr; }
    bool empty() const { return pending_.empty(); }

    // Appends the rows not yet stored in one COPY; they stay pending until the caller knows the copy is kept
    // (discard) or rolled back (flush). False when a row with the same key is stored already (a batch stored
    // again): the open transaction failed.
    bool copy() {
        drop_repeated_keys();
        return copier_->copy_rows(table_.name, table_.column_list, pending_, table_.columns);
    }

    // Inserts the rows not yet stored with statements, which resolve a key stored already as the table says.
    void flush() {
        // PostgreSQL's ON CONFLICT may not meet one key twice in a statement; SQLite's may.
        if (copier_) drop_repeated_keys();
        const std::size_t full_statement = kRowsPerStatement * table_.columns;
        std::size_t first = 0;
        for (; pending_.size() - first >= full_statement; first += full_statement) run(full_, first, kRowsPerStatement);
        for (; first < pending_.size(); first += table_.columns) run(one_row_, first, 1);
        pending_.clear();
    }

    // Forgets the rows not yet stored (their transaction is being rolled back).
    void discard() { pending_.clear(); }

private:
    std::string head() const { return std::string("INSERT INTO ") + table_.name + " " + table_.column_list + " VALUES"; }

    std::string placeholders(std::size_t rows) const {
        std::string row = "(";
        for (std::size_t c = 0; c < table_.columns; ++c) row += c == 0 ? "?" : ",?";
        row += ")";
        std::string out = " ";
        for (std::size_t r = 0; r < rows; ++r) out += (r == 0 ? "" : ",") + row;
        return out;
    }

    // pending_ holds the values until the statement has run.
    void run(Statement& statement, std::size_t first, std::size_t rows) {
        for (std::size_t i = 0; i < rows * table_.columns; ++i)
            bind_value(statement, static_cast<int>(i + 1), pending_[first + i]);
        statement.run();
    }

    // Keeps one row of each key, the one the table's conflict clause would leave.
    void drop_repeated_keys() {
        const std::size_t rows = pending_.size() / table_.columns;
        std::unordered_set<std::string> keys;
        std::vector<bool> repeated(rows, false);
        bool any = false;
        for (std::size_t i = 0; i < rows; ++i) {
            const std::size_t row = table_.repeats == BulkTable::Repeats::keep_last ? rows - 1 - i : i;
            if (!keys.insert(key_text(&pending_[row * table_.columns], table_.key_columns)).second) repeated[row] = any = true;
        }
        if (!any) return;
        std::vector<Value> kept;
        kept.reserve(pending_.size());
        for (std::size_t row = 0; row < rows; ++row)
            if (!repeated[row])
                for (std::size_t c = 0; c < table_.columns; ++c) kept.push_back(std::move(pending_[row * table_.columns + c]));
        pending_ = std::move(kept);
    }

    static Value to_value(std::int64_t number) { return number; }
    static Value to_value(const std::string& text) { return text; }
    static Value to_value(const std::optional<std::string>& text) { return text ? Value(*text) : Value(std::nullopt); }
    static Value to_value(const std::optional<std::int64_t>& number) {
        return number ? Value(*number) : Value(std::nullopt);
    }

    BulkTable table_;
    RowCopier* copier_;
    Statement one_row_;
    Statement full_;
    std::vector<Value> pending_;
};

}  // namespace certfleet::inventory
