// `certfleet check` (a Nagios plugin for cron and monitoring) and `certfleet progress` (migration burn-down).
#include <unistd.h>

#include <iostream>

#include "app/commands.hpp"
#include "app/progress_line.hpp"
#include "core/encoding.hpp"
#include "inventory/analysis.hpp"
#include "report/check_report.hpp"
#include "report/text_escape.hpp"
#include "rules/check.hpp"

namespace certfleet::app {

namespace {

// Evaluates the rules over the view after `scan`, as one snapshot of the inventory.
rules::CheckResult check_scan(inventory::InventoryQueries& queries, const rules::RuleSet& rules, inventory::ScanId scan) {
    const auto snapshot = queries.snapshot();
    const auto latest = queries.latest_finished_scan();
    return rules::check(queries, rules, scan, latest && latest->id == scan, now_utc());
}

}  // namespace

rules::RuleSet load_rules(const std::string& path) {
    if (path.empty()) return rules::builtin_policy();
    try {
        return rules::read_rules_file(path);
    } catch (const rules::RulesError& e) {
        throw UsageError(e.what());
    }
}

inventory::FindingsEvaluator findings_evaluator(rules::RuleSet rules) {
    return [rules = std::move(rules)](inventory::InventoryQueries& queries, inventory::ScanId scan) {
        return check_scan(queries, rules, scan).evaluation.findings;
    };
}

int run_check(const CheckOptions& options, const std::string& db_path) {
    // Anything that keeps the check from running is UNKNOWN (3) to a monitoring system, never OK or CRITICAL; the
    // reason stays on the status line whatever path it quotes.
    const auto unknown = [](const std::string& why) {
        std::cout << "CERTFLEET UNKNOWN - " << report::visible_text(why) << "\n";
        return static_cast<int>(rules::CheckStatus::unknown);
    };
    try {
        const auto rules = load_rules(options.rules);
        require_inventory_file(db_path);
        auto inv = inventory::open_sqlite_inventory(db_path);
        const auto scan = chosen_scan(inv->queries(), options.scan, db_path);
        if (scan.status == inventory::ScanStatus::running)
            return unknown("scan " + std::to_string(scan.id) + " is still running: check it once it has finished");
        const auto result = check_scan(inv->queries(), rules, scan.id);
        // A later evaluation replaces the scan's findings, so what `report` shows is what the latest check said.
        inv->record_findings(scan.id, result.evaluation.findings);

        const report::ExpiryThresholds thresholds{options.warning_days, options.critical_days};
        if (options.format == "json")
            report::write_check_json(result, thresholds, std::cout);
        else if (!(options.quiet && result.status == rules::CheckStatus::ok))
            report::write_check_text(result, thresholds, std::cout);
        std::cout.flush();
        return static_cast<int>(result.status);
    } catch (const std::exception& e) {
        return unknown(e.what());
    }
}

int run_progress(const ProgressOptions& options, const std::string& db_path) {
    const auto rules = load_rules(options.rules);
    require_inventory_file(db_path);
    auto queries = inventory::open_sqlite_queries(db_path);
    ProgressLine progress(::isatty(STDERR_FILENO));
    const auto history = rules::migration_history(*queries, rules, options.rule, [&](std::size_t done, std::size_t total) {
        progress.show([&] { return "burn-down: " + std::to_string(done) + " of " + std::to_string(total) + " scans"; });
    });
    progress.clear();
    if (options.format == "json")
        report::write_progress_json(history, std::cout);
    else
        report::write_progress_table(history, std::cout);
    return kExitOk;
}

}  // namespace certfleet::app
