// The writer on a PostgreSQL server, one of any number writing at once: transactions that lost a race to another
// writer run again, conclusions take turns, and a scan belongs to the session that holds its advisory lock.
#include <chrono>
#include <random>
#include <thread>
#include <unordered_set>

#include "inventory/pg_schema.hpp"
#include "inventory/sql_inventory.hpp"

namespace certfleet::inventory::pg {

namespace {

// Advisory lock keys every certfleet agrees on ("cfconcl" and "cfscan" in ASCII, the latter the class of a
// two-part key whose second part is the scan id).
constexpr const char* kConclusionsLock = "SELECT pg_advisory_xact_lock(28548151520535404)";
constexpr int kScanLockClass = 0x63667363;
// A writer that keeps losing races, or its connection, gives up after this many attempts of one transaction.
constexpr int kMaxAttempts = 12;
// How long a writer waits for a server that went away (a restart, a failover) to come back before the scan stops,
// what it stored kept and resumable; and the longest pause between two attempts to reconnect.
constexpr std::chrono::seconds kReconnectWindow{60};
constexpr std::chrono::milliseconds kLongestReconnectPause{5000};

class PgInventory final : public SqlInventory {
public:
    PgInventory(std::unique_ptr<Connection> db, const std::string& where) : PgInventory(db.get(), std::move(db), where) {}

private:
    PgInventory(Connection* server, std::unique_ptr<Connection>&& db, const std::string& where)
        : SqlInventory(std::move(db), where), server_(server) {}

    // Read committed: each statement sees what other writers have committed; rows both insert are settled by
    // the unique keys (ON CONFLICT), and a deadlock between two batches aborts one, which runs again.
    void begin_transaction() override { db_.exec("BEGIN"); }

    bool retry_after(const std::exception& error, int attempt) override {
        const auto* failure = dynamic_cast<const Error*>(&error);
        if (!failure || attempt >= kMaxAttempts) return false;
        if (failure->connection_lost()) return reconnect(failure->what());
        if (!failure->retryable()) return false;
        // Backing off a random while, growing, so two writers that collided do not collide again in step.
        thread_local std::minstd_rand jitter{std::random_device{}()};
        const auto ceiling = std::min(2000, 10 << std::min(attempt, 8));
        std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(1, ceiling)(jitter)));
        return true;
    }

    // Connects again with a growing pause between attempts, for at most kReconnectWindow, and takes back this
    // writer's scans (another writer may have judged one abandoned meanwhile: it is running again). Throws Error
    // saying what was lost when the server does not come back.
    bool reconnect(const std::string& lost) {
        const auto deadline = std::chrono::steady_clock::now() + kReconnectWindow;
        std::chrono::milliseconds pause{250};
        for (;;) {
            try {
                server_->reconnect();
                for (const ScanId scan : claimed_) {
                    Statement lock(db_, "SELECT pg_advisory_lock(?1, ?2)");
                    lock.bind(1, static_cast<std::int64_t>(kScanLockClass)).bind(2, scan).run();
                    Statement resume(db_, "UPDATE scans SET status = 'running', finished_at = NULL WHERE id = ? AND "
                                          "status = 'interrupted'");
                    resume.bind(1, scan).run();
                }
                return true;
            } catch (const InventoryError& e) {
                if (std::chrono::steady_clock::now() + pause >= deadline)
                    throw Error(std::string(lost) + "; no connection again within " +
                                    std::to_string(kReconnectWindow.count()) + " s (" + e.what() +
                                    "): what was stored before is kept", "08006");
            }
            std::this_thread::sleep_for(pause);
            pause = std::min(pause * 2, kLongestReconnectPause);
        }
    }

    // A new or fast-growing inventory outruns autovacuum, which looks once a minute: without statistics the
    // planner takes the tables a scan filled for nearly empty and the conclusions read them whole, again and
    // again, and the questions a cron job asks right after its scan plan for a fleet of an hour ago. A table a
    // tenth of which changed since it was last analysed (autovacuum's own threshold) is analysed now; one another
    // writer is analysing is left to it. From a fifth of the rows autovacuum samples: enough for the plans, at a
    // third of the cost (2.1 s instead of 7 s over the bench's 30 scans), until autovacuum takes its own. A role
    // that does not own the tables is only warned (and the warning not shown): autovacuum still does it later.
    void before_scan_end() override {
        try {
            Statement stale(db_, "SELECT relname FROM pg_stat_user_tables WHERE schemaname = current_schema() AND "
                                 "n_mod_since_analyze > 1000 AND (n_mod_since_analyze > n_live_tup / 10 OR "
                                 "coalesce(last_analyze, last_autoanalyze) IS NULL) ORDER BY relname");
            std::vector<std::string> tables;
            while (stale.step()) tables.push_back(stale.text(0));
            if (tables.empty()) return;
            db_.exec("SET default_statistics_target = 20");
            for (const auto& table : tables) db_.exec("ANALYZE (SKIP_LOCKED) \"" + table + "\"");
            db_.exec("RESET default_statistics_target");
        } catch (const Error&) {
            // Statistics only speed the conclusions up; a lost connection is found by their transaction.
        }
    }

    // Conclusions read and rewrite the views every scan shares (latest places, their states, issuer links): one
    // transaction at a time does, so two scans ending together each see the other's whole conclusion or none.
    void serialize_conclusions() override { db_.exec(kConclusionsLock); }

    // A session-level advisory lock, held while this connection lives: when the process dies, or its server
    // connection does, the lock goes with it, wherever the scanner ran.
    void claim_scan(ScanId scan) override {
        Statement lock(db_, "SELECT pg_advisory_lock(?1, ?2)");
        lock.bind(1, static_cast<std::int64_t>(kScanLockClass)).bind(2, scan).run();
        claimed_.insert(scan);
    }

    std::vector<ScanId> abandoned_scans() override {
        Statement running(db_, "SELECT id FROM scans WHERE status = 'running' ORDER BY id");
        std::vector<ScanId> candidates;
        while (running.step()) {
            if (!claimed_.contains(running.integer(0))) candidates.push_back(running.integer(0));
        }
        std::vector<ScanId> abandoned;
        Statement try_lock(db_, "SELECT CASE WHEN pg_try_advisory_lock(?1, ?2) THEN 1 ELSE 0 END");
        Statement unlock(db_, "SELECT pg_advisory_unlock(?1, ?2)");
        for (const ScanId scan : candidates) {
            try_lock.bind(1, static_cast<std::int64_t>(kScanLockClass)).bind(2, scan);
            const bool owner_gone = try_lock.step() && try_lock.integer(0) == 1;
            try_lock.reset();
            if (!owner_gone) continue;
            unlock.bind(1, static_cast<std::int64_t>(kScanLockClass)).bind(2, scan).run();
            abandoned.push_back(scan);
        }
        return abandoned;
    }

    Connection* server_;  // the connection SqlInventory owns
    std::unordered_set<ScanId> claimed_;
};

}  // namespace

std::unique_ptr<certfleet::inventory::Inventory> open_inventory(const std::string& conninfo) {
    auto db = std::make_unique<Connection>(conninfo, kConnectTimeout);
    migrate_schema(*db);
    const std::string where = "the PostgreSQL inventory at " + db->description();
    return std::make_unique<PgInventory>(std::move(db), where);
}

}  // namespace certfleet::inventory::pg
