#include "inventory/wal_checkpointer.hpp"

#include <system_error>

namespace certfleet::inventory {

WalCheckpointer::WalCheckpointer(sqlite3* writer, const std::string& path) : writer_(writer) {
    // The writer's durability: checkpoints sync the log and the file, commits do not. Setting it reads the
    // schema, which opens the log: a connection that has not yet read the database has nothing to checkpoint.
    if (sqlite3_open_v2(path.c_str(), &own_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK ||
        sqlite3_exec(own_, "PRAGMA synchronous = NORMAL", nullptr, nullptr, nullptr) != SQLITE_OK) {
        sqlite3_close(own_);
        own_ = nullptr;
        return;
    }
    try {
        thread_ = std::thread([this] { run(); });
    } catch (const std::system_error&) {  // no thread to be had: the writer checkpoints as SQLite does
        sqlite3_close(own_);
        own_ = nullptr;
        return;
    }
    sqlite3_wal_hook(writer_, &WalCheckpointer::committed, this);
}

WalCheckpointer::~WalCheckpointer() {
    if (!own_) return;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
    sqlite3_wal_autocheckpoint(writer_, kSqliteDefaultCheckpointPages);
    sqlite3_close(own_);
}

// Runs on the writer's thread, inside its COMMIT.
int WalCheckpointer::committed(void* self, sqlite3* writer, const char* schema, int log_pages) {
    auto& checkpointer = *static_cast<WalCheckpointer*>(self);
    if (log_pages >= kWriterCheckpointPages)
        sqlite3_wal_checkpoint_v2(writer, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    {
        std::lock_guard lock(checkpointer.mutex_);
        ++checkpointer.commits_;
    }
    checkpointer.wake_.notify_one();
    return SQLITE_OK;
}

void WalCheckpointer::run() {
    std::uint64_t checkpointed = 0;
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [&] { return stopping_ || commits_ != checkpointed; });
        if (stopping_) return;
        checkpointed = commits_;
        lock.unlock();
        // PASSIVE: copies what no reader still needs and never blocks the writer. What it cannot copy now (BUSY,
        // a reader's snapshot) the next commit's checkpoint copies, and the scan's end checkpoints everything.
        sqlite3_wal_checkpoint_v2(own_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
        lock.lock();
    }
}

}  // namespace certfleet::inventory
