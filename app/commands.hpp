#pragma once
// The CLI's commands: option structs filled from the flags, and the functions that run them.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "inventory/inventory.hpp"
#include "rules/rules.hpp"
#include "scanner/decode.hpp"

namespace certfleet::app {

constexpr int kExitOk = 0, kExitFailure = 1, kExitUsage = 2, kExitInterrupted = 130;

// Bad flags or inputs found before any work starts: exit code 2.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A network scan of more probes than this is large: it refuses to start without --yes (or a --max-targets it
// fits), so a typo in a target cannot start a sweep, and it is paced at kLargeScanRate unless --rate is given.
constexpr std::uint64_t kLargeScanProbes = std::uint64_t{1} << 20;
constexpr double kLargeScanRate = 1000;  // new connections per second

struct ScanOptions {
    // file trees
    std::vector<std::string> files;
    bool system_dirs = false;
    std::vector<std::string> exclude_paths;
    std::string password_file;
    std::uint64_t max_file_size = 10ull << 20;
    unsigned threads = 0;
    std::uint64_t max_kdf_iterations = scanner::kDefaultMaxKdfIterations;
    double file_timeout_seconds = scanner::kDefaultFileTimeLimit.count();  // 0: no limit
    // network targets
    std::vector<std::string> targets;
    std::string targets_file;
    bool localhost = false;
    std::string ports;  // empty: the default TLS and STARTTLS ports
    std::vector<std::string> excludes;
    std::string exclude_file;
    unsigned concurrency = 512;
    std::optional<double> rate;  // empty: kLargeScanRate for a large scan, else no limit; 0: no limit
    bool yes = false;            // go ahead with a large scan
    std::optional<std::uint64_t> max_targets;  // the most probes to go ahead with without --yes
    unsigned max_per_host = 0;
    unsigned timeout_ms = 5000;
    unsigned connect_timeout_ms = 0, starttls_timeout_ms = 0, handshake_timeout_ms = 0;  // 0: --timeout-ms
    unsigned retries = 0;
    std::vector<std::string> sni_names;
    std::string sni_file;
    std::string starttls;
    std::vector<std::string> trust;
    bool no_system_trust = false;
    std::string shard;
    std::optional<std::uint64_t> seed;
    bool dry_run = false;
    bool resume = false;
    // both
    std::vector<std::string> labels;  // key=value, for every sighting of the scan
    std::string owner_map;            // file of location pattern -> labels
    std::string rules;                // rules evaluated when the scan ends (empty: the built-in policy)
    bool no_progress = false;
};

struct ReportOptions {
    std::string format = "table";
    std::int64_t scan = 0;  // 0: the latest
    std::string output;
    std::string rules;  // whose migration rules the report charts (empty: the built-in policy, which has none)
};

// `certfleet inventory QUESTION`: what the inventory knows across scans.
struct InventoryOptions {
    std::string question;     // certs, cert, endpoints, shared, keys, anchors, stores, history, scans
    std::string fingerprint;  // cert and history: a sha256 or a prefix of one (hex, or colon-separated pairs)
    std::string format = "table";
    // filters
    std::int64_t scan = 0;  // 0: the current view (each place as the latest scan that looked at it left it)
    std::string expiring;   // "30d", "4w": expiring within, or expired
    bool self_signed = false;
    std::vector<std::string> labels;  // key=value
    std::string issuer;
    // shared
    std::int64_t min_places = 2;
    std::string across;  // a label key whose values must differ among the places
};

struct DiffOptions {
    std::int64_t from = 0, to = 0;  // 0: the two latest scans; FROM alone is compared with the latest
    std::string format = "table";
};

// `certfleet check`: a Nagios plugin (exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
struct CheckOptions {
    std::string rules;  // empty: the built-in policy
    std::int64_t scan = 0;  // 0: the latest
    std::string format = "table";
    bool quiet = false;  // print nothing when OK, so cron mails only on trouble
    std::int64_t warning_days = 30, critical_days = 14;  // min_days_left perfdata thresholds
};

// `certfleet serve`: the Prometheus report of the latest scan on http://LISTEN/metrics.
struct ServeOptions {
    std::string listen = "127.0.0.1:9793";  // ADDRESS:PORT, [IPv6]:PORT
};

// `certfleet progress`: each migration rule's burn-down over the scans.
struct ProgressOptions {
    std::string rules;
    std::string rule;  // only this rule's id
    std::string format = "table";
};

int run_scan(const ScanOptions& options, const std::string& db_path);
// Serves until SIGINT or SIGTERM, then returns kExitOk.
int run_serve(const ServeOptions& options, const std::string& db_path);
int run_check(const CheckOptions& options, const std::string& db_path);
int run_progress(const ProgressOptions& options, const std::string& db_path);
// A rules file, or the built-in policy when `path` is empty. A mistake in the file is a UsageError naming
// FILE:LINE:COLUMN.
rules::RuleSet load_rules(const std::string& path);
// What a scan stores as its findings when it finishes: `rules` evaluated over the view after it.
inventory::FindingsEvaluator findings_evaluator(rules::RuleSet rules);
// The scan a report or check is about: `scan_id` when given (running or not), else the latest finished scan.
// Throws UsageError naming the inventory when there is none.
inventory::ScanRecord chosen_scan(inventory::InventoryQueries& queries, std::int64_t scan_id, const std::string& db_path);
int run_report(const ReportOptions& options, const std::string& db_path);
int run_inventory(const InventoryOptions& options, const std::string& db_path);
int run_diff(const DiffOptions& options, const std::string& db_path);

// Throws UsageError when there is no inventory file at db_path: reading commands never create one.
void require_inventory_file(const std::string& db_path);

// Where certificates live on common Linux hosts; --system-dirs scans those that exist.
const std::vector<std::string>& system_certificate_dirs();

}  // namespace certfleet::app
