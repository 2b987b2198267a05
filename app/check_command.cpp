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

inventory::StoredFinding stored(const rules::Finding& f) {
    return inventory::StoredFinding{f.rule_id,   rules::to_string(f.severity), f.sha256,  f.location,
                                    f.message,   f.days_left,                  f.deadline, f.overdue};
}

// Evaluates the rules over the view after `scan` and stores the findings with that scan, replacing earlier ones.
rules::CheckResult check_and_store(const rules::RuleSet& rules, inventory::Inventory& inv, const std::string& db_path,
                                   inventory::ScanId scan) {
    auto queries = inventory::open_sqlite_queries(db_path);
    const auto latest = inv.latest_scan();
    auto result = rules::check(*queries, rules, scan, latest && latest->id == scan, now_utc());
    std::vector<inventory::StoredFinding> findings;
    for (const auto& f : result.evaluation.findings) findings.push_back(stored(f));
    inv.record_findings(scan, findings);
    return result;
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

std::size_t evaluate_findings(const std::string& rules_path, const std::string& db_path, std::int64_t scan) {
    auto inv = inventory::open_sqlite_inventory(db_path);
    return check_and_store(load_rules(rules_path), *inv, db_path, scan).evaluation.findings.size();
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
        const auto latest = inv->latest_scan();
        if (!latest) return unknown("no scans in " + db_path + " yet: run 'certfleet scan' first");
        const auto scan = options.scan > 0 ? inv->find_scan(options.scan) : latest;
        if (!scan) return unknown("no scan " + std::to_string(options.scan) + " in " + db_path);
        const auto result = check_and_store(rules, *inv, db_path, scan->id);

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
