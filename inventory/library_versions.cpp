#include "inventory/library_versions.hpp"

#include <libpq-fe.h>
#include <sqlite3.h>

namespace certfleet::inventory {

std::vector<std::string> library_versions() {
    const int pq = PQlibVersion();  // 150010 for 15.10: major * 10000 + minor from PostgreSQL 10 on
    return {std::string("SQLite ") + sqlite3_libversion(),
            "libpq " + std::to_string(pq / 10000) + "." + std::to_string(pq % 10000)};
}

}  // namespace certfleet::inventory
