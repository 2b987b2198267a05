#pragma once
// Copies what the writer commits from the write-ahead log into the database file on a thread of its own.
// A checkpoint writes pages all over the file and waits for the disk; SQLite's own would make the writer wait
// several times a batch. Committed data is durable either way: it is in the log until checkpointed.
// Internal to inventory/.
#include <sqlite3.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace certfleet::inventory {

class WalCheckpointer {
public:
    // Takes over `writer`'s checkpoints; `path` is its database, opened again for the thread. If that fails,
    // `writer` keeps SQLite's automatic checkpoints.
    WalCheckpointer(sqlite3* writer, const std::string& path);
    // Stops the thread (after the checkpoint under way, if any); call before closing `writer`.
    ~WalCheckpointer();
    WalCheckpointer(const WalCheckpointer&) = delete;
    WalCheckpointer& operator=(const WalCheckpointer&) = delete;

    // False when the database could not be opened again or no thread was to be had: the writer then checkpoints
    // as SQLite does, inside its own commits, and nothing happens behind its back.
    bool has_thread() const { return own_ != nullptr; }

    // Past this many pages in the log (64 MiB of 4 KiB pages) the writer checkpoints too, as SQLite would have:
    // the thread is behind (or a reader holds an old snapshot) and the log would otherwise keep growing.
    static constexpr int kWriterCheckpointPages = 16'384;

private:
    static constexpr int kSqliteDefaultCheckpointPages = 1'000;  // SQLITE_DEFAULT_WAL_AUTOCHECKPOINT
    static int committed(void* self, sqlite3* writer, const char* schema, int log_pages);
    void run();

    sqlite3* writer_;
    sqlite3* own_ = nullptr;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::uint64_t commits_ = 0;  // the writer's commits so far
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace certfleet::inventory
