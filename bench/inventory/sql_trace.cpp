// bench/inventory: the SQL trace, and how SQLite plans the statements it caught.
#include "bench/inventory/sql_trace.hpp"

#include <algorithm>
#include <utility>

namespace certfleet::bench::inventory {
namespace {

int on_trace(unsigned type, void*, void* statement, void* detail) {
    const char* sql = sqlite3_sql(static_cast<sqlite3_stmt*>(statement));
    std::lock_guard lock(g_trace_mutex);
    if (type == SQLITE_TRACE_STMT) {
        g_running = sql ? sql : "?";
    } else if (type == SQLITE_TRACE_PROFILE) {
        auto& stats = g_statements[sql ? sql : "?"];
        ++stats.count;
        stats.nanoseconds += *static_cast<sqlite3_int64*>(detail);
    }
    return 0;
}

}  // namespace

int trace_connection(sqlite3* db, const char**, const sqlite3_api_routines*) {
    g_traced_db = db;
    sqlite3_trace_v2(db, SQLITE_TRACE_STMT | SQLITE_TRACE_PROFILE, on_trace, nullptr);
    return SQLITE_OK;
}

std::vector<std::string> query_plan(sqlite3* db, const std::string& sql) {
    std::vector<std::string> lines;
    sqlite3_stmt* explain = nullptr;
    if (sqlite3_prepare_v2(db, ("EXPLAIN QUERY PLAN " + sql).c_str(), -1, &explain, nullptr) != SQLITE_OK) {
        lines.push_back(std::string("(cannot explain: ") + sqlite3_errmsg(db) + ")");
        return lines;
    }
    std::map<int, int> depth;  // plan node id -> indentation
    while (sqlite3_step(explain) == SQLITE_ROW) {
        const int id = sqlite3_column_int(explain, 0), parent = sqlite3_column_int(explain, 1);
        depth[id] = parent == 0 ? 0 : depth[parent] + 1;
        const auto* detail = reinterpret_cast<const char*>(sqlite3_column_text(explain, 3));
        lines.push_back(std::string(2 * static_cast<std::size_t>(depth[id]), ' ') + (detail ? detail : ""));
    }
    sqlite3_finalize(explain);
    return lines;
}

json slowest_statements(std::size_t how_many, sqlite3* db) {
    std::vector<std::pair<std::string, StatementStats>> all(g_statements.begin(), g_statements.end());
    std::sort(all.begin(), all.end(),
              [](const auto& a, const auto& b) { return a.second.nanoseconds > b.second.nanoseconds; });
    json out = json::array();
    for (std::size_t i = 0; i < all.size() && i < how_many; ++i) {
        out.push_back(json{{"sql", all[i].first},
                           {"runs", all[i].second.count},
                           {"seconds", static_cast<double>(all[i].second.nanoseconds) / 1e9},
                           {"plan", db ? query_plan(db, all[i].first) : std::vector<std::string>{}}});
    }
    return out;
}

}  // namespace certfleet::bench::inventory
