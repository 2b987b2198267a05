// The writer on an SQLite file: its connection, one writer at a time by SQLite's write lock, scans owned by
// processes of this machine, and the write-ahead log kept short.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "inventory/process_identity.hpp"
#include "inventory/sql_inventory.hpp"
#include "inventory/wal_checkpointer.hpp"

namespace certfleet::inventory {

namespace {

// Creates the inventory file, when there is none, so it is 0600 from the first byte; SQLite gives its -wal and
// -shm files the database file's permissions. An existing file is never opened here: closing any descriptor of a
// file drops every POSIX lock this process holds on it, those of its SQLite connections too, and another process
// would then checkpoint and delete the log under them (SQLite's "How To Corrupt Your Database Files", 2.2).
void create_private_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ::close(fd);
        return;
    }
    if (errno != EEXIST) throw InventoryError(path + ": cannot create inventory: " + std::strerror(errno));
}

// The inventory file at `path`, created if need be, set up for one writer and migrated.
std::unique_ptr<SqliteConnection> open_migrated(const std::string& path) {
    create_private_file(path);
    // One thread at a time uses an Inventory (its callers batch what they store), so the connection needs none of
    // SQLite's own locking, which takes a mutex in every call.
    auto db = std::make_unique<SqliteConnection>(open_connection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX),
                                                 true);
    try {
        db->exec("PRAGMA journal_mode = WAL");
        db->exec("PRAGMA synchronous = NORMAL");
        // A scan touches random pages of the fingerprint, name and place indexes; SQLite's default 2 MiB cache
        // would spill dirty pages mid-batch and read them back.
        db->exec("PRAGMA cache_size = -8192");
        // Foreign keys are declared but not enforced: every id the writer stores comes from a row it has just read
        // or written, and a check would cost a parent lookup per sighting. A unit test runs foreign_key_check.
        migrate_schema(db->handle());
    } catch (const InventoryError& e) {
        throw InventoryError(path + ": " + e.what());
    }
    return db;
}

class SqliteInventory final : public SqlInventory {
public:
    explicit SqliteInventory(const std::string& path) : SqliteInventory(open_migrated(path), path) {}
    ~SqliteInventory() override { checkpointer_.reset(); }

private:
    SqliteInventory(std::unique_ptr<SqliteConnection> db, const std::string& path)
        : SqlInventory(std::move(db), path),
          handle_(static_cast<SqliteConnection&>(db_).handle()),
          checkpointer_(std::make_unique<WalCheckpointer>(handle_, path)) {}

    // Immediate: the write lock now, so no other writer can add a row between this transaction's reads and writes.
    void begin_transaction() override { exec_sql(handle_, "BEGIN IMMEDIATE"); }
    // A busy database has waited kBusyTimeoutMs already; SQLite has no lost races to run again.
    bool retry_after(const std::exception&, int) override { return false; }
    void serialize_conclusions() override {}  // the write lock does

    // Its process is judged by pid, boot and start time, so a new process that reuses the pid does not keep a scan
    // alive.
    void claim_scan(ScanId scan) override {
        const ProcessIdentity self = current_process();
        Statement owner(db_, "INSERT INTO scan_owners (scan_id, boot_id, start_ticks) VALUES (?,?,?) ON CONFLICT "
                             "(scan_id) DO UPDATE SET boot_id = excluded.boot_id, start_ticks = excluded.start_ticks");
        owner.bind(1, scan).bind(2, self.boot_id).bind(3, static_cast<std::int64_t>(self.start_ticks)).run();
    }
    std::vector<ScanId> abandoned_scans() override {
        Statement running(db_,
                          "SELECT s.id, s.pid, o.boot_id, o.start_ticks FROM scans s LEFT JOIN scan_owners o ON "
                          "o.scan_id = s.id WHERE s.status = 'running'");
        std::vector<ScanId> abandoned;
        while (running.step()) {
            const ProcessIdentity owner{static_cast<pid_t>(running.integer(1)), running.text(2),
                                        static_cast<std::uint64_t>(running.integer(3))};
            if (!still_running(owner)) abandoned.push_back(running.integer(0));
        }
        return abandoned;
    }

    // A scan's end leaves the log empty when no reader holds it, so the file on disk is the inventory; with
    // readers it copies what it can and leaves the rest to the checkpointer, never waiting on them (a TRUNCATE
    // waits for every reader, through the busy timeout).
    void after_scan_end() override {
        sqlite3_busy_timeout(handle_, 0);
        if (sqlite3_wal_checkpoint_v2(handle_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr) == SQLITE_BUSY)
            sqlite3_wal_checkpoint_v2(handle_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
        sqlite3_busy_timeout(handle_, kBusyTimeoutMs);
    }

    sqlite3* handle_;
    std::unique_ptr<WalCheckpointer> checkpointer_;
};

}  // namespace

std::unique_ptr<Inventory> open_sqlite_inventory(const std::string& path) {
    return std::make_unique<SqliteInventory>(path);
}

}  // namespace certfleet::inventory
