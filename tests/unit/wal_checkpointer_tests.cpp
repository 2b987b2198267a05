#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "inventory/sqlite_support.hpp"
#include "inventory/wal_checkpointer.hpp"
#include "testkit/cert_factory.hpp"
#include "testkit/wait.hpp"

using namespace certfleet;
using namespace certfleet::inventory;
using namespace certfleet::testing;

namespace {

struct WalDatabase {
    explicit WalDatabase(const std::filesystem::path& file) : path(file) {
        REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
        exec_sql(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; CREATE TABLE t (v BLOB)");
    }
    ~WalDatabase() { sqlite3_close(db); }
    // About 1 MiB in one transaction: a quarter of what SQLite's automatic checkpoint waits for.
    void commit_a_mebibyte() {
        exec_sql(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1024) "
                     "INSERT INTO t SELECT randomblob(1024) FROM n");
    }
    std::uintmax_t file_size() const { return std::filesystem::file_size(path); }

    std::filesystem::path path;
    sqlite3* db = nullptr;
};

// Waits (at most 10 s) for the database file itself to hold what was committed.
bool checkpointed_within_10s(const WalDatabase& database, std::uintmax_t bytes) {
    return wait_until([&] { return database.file_size() >= bytes; }, std::chrono::seconds(10));
}

// SQLite's own checkpoints: none for a mebibyte, one once the log passes 1,000 pages. They run inside the
// writer's commit, so with no checkpointer thread the file's size right after each commit is final.
void check_sqlite_checkpoints(WalDatabase& database) {
    const auto size = database.file_size();
    database.commit_a_mebibyte();
    CHECK(database.file_size() == size);
    for (int i = 0; i < 4; ++i) database.commit_a_mebibyte();
    CHECK(database.file_size() > size);
}

}  // namespace

TEST_CASE("wal checkpointer: what the writer commits reaches the database file without the writer", "[inventory]") {
    TempDir dir;
    WalDatabase database(dir / "inventory.db");
    {
        WalCheckpointer checkpointer(database.db, database.path.string());
        REQUIRE(checkpointer.has_thread());
        database.commit_a_mebibyte();
        CHECK(checkpointed_within_10s(database, 1u << 20));
        database.commit_a_mebibyte();
        CHECK(checkpointed_within_10s(database, 2u << 20));
    }
    // Stopped (its thread joined), it leaves the writer as it found it.
    check_sqlite_checkpoints(database);
}

TEST_CASE("wal checkpointer: a database it cannot open leaves the writer's own checkpoints on", "[inventory]") {
    TempDir dir;
    WalDatabase database(dir / "inventory.db");
    WalCheckpointer checkpointer(database.db, (dir / "missing" / "inventory.db").string());
    REQUIRE_FALSE(checkpointer.has_thread());
    check_sqlite_checkpoints(database);
}
