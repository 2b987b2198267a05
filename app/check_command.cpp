// `certfleet check` (a Nagios plugin for cron and monitoring) and `certfleet progress` (migration burn-down).
#include <unistd.h>

#include <iostream>

#include "app/commands.hpp"
#include "app/progress_line.hpp"
#include "core/encoding.hpp"
#include "inventory/analysis.hpp"
#include "pipeline/findings.hpp"
#include "report/check_report.hpp"
#include "report/text_escape.hpp"
#include "rules/check.hpp"

namespace certfleet::app {

rules::RuleSet load_rules(const std::string& path) {
    if (path.empty()) return rules::builtin_policy();
    try {
        return rules::read_rules_file(path);
    } catch (const rules::RulesError& e) {
        throw UsageError(e.what());
    }
}

namespace {

// A certificate must turn WARNING before it turns CRITICAL, or the warning never comes.
void require_ordered_thresholds(const CheckOptions& options) {
    const auto& days = options.perfdata_days;
    if (days.critical_days <= days.warning_days) return;
    throw UsageError("--critical-days " + std::to_string(days.critical_days) + " is more than --warning-days " +
                     std::to_string(days.warning_days) + (options.policy.days_left.warning_days ? "" : " (the default)") +
                     ": give --warning-days at least " + std::to_string(days.critical_days) +
                     ", or a smaller --critical-days");
}

}  // namespace

int run_check(const CheckOptions& options, const std::string& db_path) {
    // Anything that keeps the check from running is UNKNOWN (3) to a monitoring system, never OK or CRITICAL; the
    // reason stays on the status line whatever path it quotes.
    const auto unknown = [](const std::string& why) {
        std::cout << "CERTFLEET UNKNOWN - " << report::visible_text(why) << "\n";
        return static_cast<int>(rules::CheckStatus::unknown);
    };
    try {
        require_ordered_thresholds(options);
        const auto rules = load_rules(options.rules);
        require_inventory_file(db_path);
        auto inv = inventory::open_inventory(db_path);
        std::optional<inventory::RunSummary> run;
        if (!options.run.empty()) {
            run = chosen_run(inv->queries(), options.run, db_path);
            if (run->members.empty())
                return unknown("run " + options.run + ": no scan of it has ended yet (" + run->gaps() + ")");
        }
        const auto scan = run ? run->members.back() : chosen_scan(inv->queries(), options.scan, db_path);
        if (scan.status == inventory::ScanStatus::running)
            return unknown("scan " + std::to_string(scan.id) + " is still running: check it once it has finished");
        auto result = pipeline::check_and_store(*inv, rules, scan.id, options.policy);
        // A run with a shard or slot missing, running or cut short has places nobody looked at this time.
        if (run && !run->complete()) result.status = rules::more_urgent(result.status, rules::CheckStatus::unknown);
        result.run = std::move(run);

        if (options.format == "json")
            report::write_check_json(result, options.perfdata_days, std::cout);
        else if (!(options.quiet && result.status == rules::CheckStatus::ok))
            report::write_check_text(result, options.perfdata_days, std::cout);
        std::cout.flush();
        return static_cast<int>(result.status);
    } catch (const std::exception& e) {
        return unknown(e.what());
    }
}

int run_progress(const ProgressOptions& options, const std::string& db_path) {
    const auto rules = load_rules(options.rules);
    require_inventory_file(db_path);
    auto queries = inventory::open_queries(db_path);
    std::optional<inventory::ScanId> up_to;
    if (!options.run.empty()) up_to = scan_ending_run(*queries, options.run, db_path);
    ProgressLine progress(::isatty(STDERR_FILENO));
    const auto history = rules::migration_history(*queries, rules, options.rule, up_to, [&](std::size_t done, std::size_t total) {
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
