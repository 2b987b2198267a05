#pragma once
// bench/inventory: which SQL statements a query (or the writer) spent its time in, seen through SQLite's profile
// trace on every connection this process opens (an auto-extension hooks each one as it opens, so inventory/ needs no
// change), and how SQLite plans the slowest of them: what a miss needs for its indexes to be fixed.
#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "bench/inventory/fleet.hpp"

namespace certfleet::bench::inventory {

struct StatementStats {
    std::int64_t count = 0;
    std::int64_t nanoseconds = 0;
};

// What the trace caught, guarded by g_trace_mutex; whoever starts a measurement clears g_statements.
inline std::mutex g_trace_mutex;
inline std::map<std::string, StatementStats> g_statements;
inline std::string g_running;  // the statement started last
inline sqlite3* g_traced_db = nullptr;

// An SQLite auto-extension: traces the connection it is called for, which becomes g_traced_db.
int trace_connection(sqlite3* db, const char**, const sqlite3_api_routines*);

// EXPLAIN QUERY PLAN of `sql` on `db`, a line a step, indented by depth.
std::vector<std::string> query_plan(sqlite3* db, const std::string& sql);

// Called with g_trace_mutex held. `db` plans the statements: the traced connection once the query is done, or a
// connection of its own while the query still runs on the traced one.
json slowest_statements(std::size_t how_many, sqlite3* db);

}  // namespace certfleet::bench::inventory
