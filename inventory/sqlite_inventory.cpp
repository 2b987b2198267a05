// The SQLite writer's connection and the life of a scan: opening, beginning, resuming and abandoning scans.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "core/encoding.hpp"
#include "core/host_identity.hpp"
#include "inventory/process_identity.hpp"
#include "inventory/sqlite_inventory.hpp"

namespace certfleet::inventory {

namespace {

// The writer's own thread does the SQL; other cores check issuer signatures meanwhile, and four keep up with any
// rate the writer reaches.
unsigned issuance_workers() {
    const unsigned cores = std::thread::hardware_concurrency();
    return std::clamp(cores > 1 ? cores - 1 : 1, 1u, 4u);
}

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

}  // namespace

SqliteInventory::SqliteInventory(const std::string& path) : path_(path), issuance_checks_(issuance_workers()) {
    create_private_file(path);
    // One thread at a time uses an Inventory (its callers batch what they store), so the connection needs none of
    // SQLite's own locking, which takes a mutex in every call.
    db_ = SqliteConnection(open_connection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX));
    try {
        exec("PRAGMA journal_mode = WAL");
        exec("PRAGMA synchronous = NORMAL");
        // A scan touches random pages of the fingerprint, name and place indexes; SQLite's default 2 MiB cache
        // would spill dirty pages mid-batch and read them back.
        exec("PRAGMA cache_size = -8192");
        // Foreign keys are declared but not enforced: every id the writer stores comes from a row it has just read
        // or written, and a check would cost a parent lookup per sighting. A unit test runs foreign_key_check.
        migrate_schema(db_.handle());
        rows_ = std::make_unique<SightingRows>(db_);
        queries_ = queries_on_connection(db_, path);
        checkpointer_ = std::make_unique<WalCheckpointer>(db_.handle(), path);
    } catch (const InventoryError& e) {
        sqlite3_close(db_.handle());
        throw InventoryError(path + ": " + e.what());
    }
}

SqliteInventory::~SqliteInventory() {
    checkpointer_.reset();
    queries_.reset();
    rows_.reset();
    statements_.clear();
    sqlite3_close(db_.handle());
}

ScanId SqliteInventory::begin_scan(const std::string& kind, const std::string& parameters_json, const Labels& labels) {
    mark_abandoned_scans();
    ScanId scan = 0;
    in_transaction([&] {
        Statement insert(db_,
                         "INSERT INTO scans (kind, status, started_at, pid, parameters) VALUES (?, 'running', ?, ?, ?)");
        insert.bind(1, kind).bind(2, now_utc()).bind(3, static_cast<std::int64_t>(::getpid())).bind(4, parameters_json).run();
        scan = sqlite3_last_insert_rowid(db_.handle());
        record_owner(scan);
        Statement label(db_, "INSERT INTO scan_labels (scan_id, key, value) VALUES (?,?,?) ON CONFLICT (scan_id, key) DO UPDATE SET "
                             "value = excluded.value");
        for (const auto& l : labels) label.bind(1, scan).bind(2, l.key).bind(3, l.value).run();
    });
    use_host_of(scan);
    return scan;
}

ScanId SqliteInventory::record_refused_scan(const std::string& kind, const std::string& parameters_json,
                                           const Labels& labels, const ScanEvent& error) {
    const ScanId scan = begin_scan(kind, parameters_json, labels);
    in_transaction([&] {
        Statement event(db_, "INSERT INTO scan_events (scan_id, level, location, reason, detail) VALUES (?,?,?,?,?)");
        event.bind(1, scan).bind(2, std::string(to_string(error.level))).bind(3, error.location).bind(4, error.reason)
            .bind(5, error.detail).run();
        Statement failed(db_, "UPDATE scans SET status = 'failed', finished_at = ?, errors = 1 WHERE id = ?");
        failed.bind(1, now_utc()).bind(2, scan).run();
    });
    return scan;
}

std::optional<std::pair<ScanId, std::uint64_t>> SqliteInventory::find_resumable(const std::string& resume_key) {
    mark_abandoned_scans();
    Statement select(db_,
                     "SELECT p.scan_id, p.position FROM scan_progress p JOIN scans s ON s.id = p.scan_id WHERE "
                     "p.resume_key = ? AND s.status = 'interrupted' ORDER BY p.scan_id DESC LIMIT 1");
    select.bind(1, resume_key);
    if (!select.step()) return std::nullopt;
    std::pair<ScanId, std::uint64_t> found{select.integer(0), static_cast<std::uint64_t>(select.integer(1))};
    select.reset();
    return found;
}

void SqliteInventory::reopen_scan(ScanId scan) {
    in_transaction([&] {
        Statement update(db_, "UPDATE scans SET status = 'running', finished_at = NULL, pid = ? WHERE id = ?");
        update.bind(1, static_cast<std::int64_t>(::getpid())).bind(2, scan).run();
        record_owner(scan);
    });
    use_host_of(scan);
}

void SqliteInventory::record_progress(ScanId scan, const std::string& resume_key, std::uint64_t position) {
    statement("INSERT INTO scan_progress (scan_id, resume_key, position) VALUES (?,?,?) ON CONFLICT (scan_id) DO "
              "UPDATE SET resume_key = excluded.resume_key, position = excluded.position")
        .bind(1, scan)
        .bind(2, resume_key)
        .bind(3, static_cast<std::int64_t>(position))
        .run();
}

std::vector<Bytes> SqliteInventory::intermediate_certificates() {
    Statement select(db_, "SELECT der FROM certificates WHERE is_ca = 1 AND self_signed = 0");
    std::vector<Bytes> out;
    while (select.step()) out.push_back(select.blob(0));
    return out;
}

// A scan's files are on the host its parameters name; a scan that names none (a caller other than the scan
// pipeline) is of this machine.
void SqliteInventory::use_host_of(ScanId scan) {
    Statement select(db_, "SELECT coalesce(json_extract(parameters, '$.host'), '') FROM scans WHERE id = ? AND "
                          "json_valid(parameters)");
    select.bind(1, scan);
    file_host_ = select.step() ? select.text(0) : std::string();
    if (file_host_.empty()) file_host_ = this_host().name;
    last_location_ = {};
}

void SqliteInventory::forget_cached_ids() {
    last_location_ = {};
    issuer_candidates_.clear();
    issuance_checks_.discard();
}

// A scan whose process was killed (kill -9, power loss) never finished; say so rather than leave it running.
// Its process is judged by pid, boot and start time, so a new process that reuses the pid does not keep it alive.
void SqliteInventory::mark_abandoned_scans() {
    Statement running(db_,
                      "SELECT s.id, s.pid, o.boot_id, o.start_ticks FROM scans s LEFT JOIN scan_owners o ON "
                      "o.scan_id = s.id WHERE s.status = 'running'");
    std::vector<ScanId> abandoned;
    while (running.step()) {
        const ProcessIdentity owner{static_cast<pid_t>(running.integer(1)), running.text(2),
                                    static_cast<std::uint64_t>(running.integer(3))};
        if (!still_running(owner)) abandoned.push_back(running.integer(0));
    }
    for (auto id : abandoned) {
        in_transaction([&] {
            Statement mark(db_, "UPDATE scans SET status = 'interrupted' WHERE id = ? AND status = 'running'");
            mark.bind(1, id).run();
            if (sqlite3_changes(db_.handle()) > 0) conclude(id, ScanStatus::interrupted);  // another process may have marked it meanwhile
        });
    }
}

void SqliteInventory::record_owner(ScanId scan) {
    const ProcessIdentity self = current_process();
    Statement owner(db_, "INSERT INTO scan_owners (scan_id, boot_id, start_ticks) VALUES (?,?,?) ON CONFLICT (scan_id) "
                         "DO UPDATE SET boot_id = excluded.boot_id, start_ticks = excluded.start_ticks");
    owner.bind(1, scan).bind(2, self.boot_id).bind(3, static_cast<std::int64_t>(self.start_ticks)).run();
}

// A scan's end leaves the log empty when no reader holds it, so the file on disk is the inventory; with readers
// it copies what it can and leaves the rest to the checkpointer, never waiting on them (a TRUNCATE waits for
// every reader, through the busy timeout).
void SqliteInventory::checkpoint_without_waiting() {
    sqlite3_busy_timeout(db_.handle(), 0);
    if (sqlite3_wal_checkpoint_v2(db_.handle(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr) == SQLITE_BUSY)
        sqlite3_wal_checkpoint_v2(db_.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    sqlite3_busy_timeout(db_.handle(), kBusyTimeoutMs);
}

// Prepared once per SQL text. Every caller passes a string literal, so its address names it: the writer looks
// statements up once per row, and hashing the text each time would cost more than the lookup.
Statement& SqliteInventory::statement(const char* sql) {
    auto it = statements_.find(sql);
    if (it == statements_.end()) it = statements_.emplace(sql, std::make_unique<Statement>(db_, sql)).first;
    return *it->second;
}

std::unique_ptr<Inventory> open_sqlite_inventory(const std::string& path) {
    return std::make_unique<SqliteInventory>(path);
}

}  // namespace certfleet::inventory
