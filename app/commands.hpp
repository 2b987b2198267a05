#pragma once
// The CLI's commands: option structs filled from the flags, and the functions that run them.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "inventory/inventory.hpp"
#include "report/check_report.hpp"
#include "report/report.hpp"
#include "rules/rules.hpp"
#include "pipeline/scan_request.hpp"

namespace certfleet::app {

constexpr int kExitOk = 0, kExitFailure = 1, kExitUsage = 2, kExitInterrupted = 130;

// Bad flags or inputs found before any work starts: exit code 2.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// `certfleet scan`: what to scan (the pipeline's request), and how to show it.
struct ScanOptions {
    pipeline::ScanRequest request;
    bool dry_run = false;      // print the plan, send nothing
    bool no_progress = false;  // no progress line on stderr
    bool quiet = false;        // for cron: print only what went wrong (errors, an interrupted scan), never notes,
                               // progress or the summary of a clean scan
};

struct ReportOptions {
    std::string format = "table";
    std::int64_t scan = 0;  // 0: the latest
    std::string run;        // --run NAME: that run's scans as one
    std::string output;
    std::string rules;  // whose migration rules the report charts (empty: the built-in policy, which has none)
};

// `certfleet inventory QUESTION`: what the inventory knows across scans.
struct InventoryOptions {
    std::string question;     // certs, cert, endpoints, shared, keys, anchors, stores, history, scans, bom
    std::string fingerprint;  // cert and history: a sha256 or a prefix of one (hex, or colon-separated pairs)
    std::string format = "table";
    // filters
    std::int64_t scan = 0;  // 0: the current view (each place as the latest scan that looked at it left it)
    std::string run;        // --run NAME: that run's scans as one
    std::string expiring;   // "30d", "4w": expiring within, or expired
    bool self_signed = false;
    std::vector<std::string> labels;  // key=value
    std::string issuer;
    // shared
    std::int64_t min_places = 2;
    std::string across;  // a label key whose values must differ among the places
};

struct DiffOptions {
    std::string from, to;  // scan ids, dates or ages; none: the two latest scans; FROM alone: against the latest
    // --run NAME: the view before the run against the view after it; --run OLD --run NEW: after each.
    std::vector<std::string> runs;
    std::string format = "table";
};

// `certfleet check`: a Nagios plugin (exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
struct CheckOptions {
    std::string rules;  // empty: the built-in policy
    std::int64_t scan = 0;  // 0: the latest
    std::string run;        // --run NAME: the view after that run, UNKNOWN while it is incomplete
    std::string format = "table";
    bool quiet = false;  // print nothing when OK, so cron mails only on trouble
    report::ExpiryThresholds perfdata_days;  // --warning-days, --critical-days or their defaults, for the perfdata
    // The same day flags when given on the command line (they set the status too), and --on-unseen.
    rules::CheckPolicy policy;
};

// `certfleet serve`: the Prometheus report of the latest scan on http://LISTEN/metrics.
struct ServeOptions {
    std::string listen = "127.0.0.1:9793";  // ADDRESS:PORT, [IPv6]:PORT
    std::string run;                        // --run NAME: that run's scans as one, not the current view
};

// `certfleet progress`: each migration rule's burn-down over the scans.
struct ProgressOptions {
    std::string rules;
    std::string rule;  // only this rule's id
    std::string run;   // the burn-down up to the view after this run
    std::string format = "table";
};

// `certfleet forget`: places no scan will revisit leave the current view.
struct ForgetOptions {
    std::vector<std::string> selectors;  // see pipeline/place_selector.hpp
    std::string site;                    // only endpoints of this site (scan --site); empty: any
    bool dry_run = false;
};

// `certfleet push LOCAL [--to DB]`: a local inventory's scans copied into another, each once.
struct PushOptions {
    std::string from;   // the inventory whose scans are copied
    std::string to;     // where to (empty: --db)
    std::string rules;  // evaluated over each copied scan (empty: the built-in policy)
};

int run_scan(const ScanOptions& options, const std::string& db_path);
int run_push(const PushOptions& options, const std::string& db_path);
// Exit 0 when every selector matched a place of the current view, 1 when one matched none.
int run_forget(const ForgetOptions& options, const std::string& db_path);
// Serves until SIGINT or SIGTERM, then returns kExitOk.
int run_serve(const ServeOptions& options, const std::string& db_path);
int run_check(const CheckOptions& options, const std::string& db_path);
int run_progress(const ProgressOptions& options, const std::string& db_path);
// A rules file, or the built-in policy when `path` is empty. A mistake in the file is a UsageError naming
// FILE:LINE:COLUMN.
rules::RuleSet load_rules(const std::string& path);
// The scan a report or check is about: `scan_id` when given (running or not), else the latest finished scan.
// Throws UsageError naming the inventory when there is none.
inventory::ScanRecord chosen_scan(inventory::InventoryQueries& queries, std::int64_t scan_id, const std::string& db_path);
// The run `name` names (--run). Throws UsageError naming the inventory and the runs it has when there is none.
inventory::RunSummary chosen_run(inventory::InventoryQueries& queries, const std::string& name, const std::string& db_path);
// The scan after which the view is run `name`'s: its latest member. A run with a shard or slot missing, running
// or cut short is named on stderr with what it lacks (its places not reached show their older state). Throws
// UsageError when no scan of the run has ended.
inventory::ScanId scan_ending_run(inventory::InventoryQueries& queries, const std::string& name, const std::string& db_path);
int run_report(const ReportOptions& options, const std::string& db_path);
// The report model of run `run` when it names one, else of scan `scan_id` alone, or with 0 of the current view
// (after the latest finished scan), with the migration rules of `rules_path` (empty: the built-in policy) and the
// parts a writer asks for. Throws UsageError when there is no inventory file, no such run or scan, or no scan yet.
report::ReportModel load_report(const std::string& db_path, std::int64_t scan_id, const std::string& run,
                                const std::string& rules_path, UnixTime now, report::ModelParts parts);
int run_inventory(const InventoryOptions& options, const std::string& db_path);
int run_diff(const DiffOptions& options, const std::string& db_path);

// Throws UsageError when there is no inventory file at db_path: reading commands never create one.
void require_inventory_file(const std::string& db_path);

}  // namespace certfleet::app
