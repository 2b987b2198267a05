#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "app/commands.hpp"
#include "core/encoding.hpp"
#include "inventory/analysis.hpp"
#include "inventory/inventory.hpp"
#include "report/report.hpp"
#include "rules/check.hpp"

namespace certfleet::app {

int run_report(const ReportOptions& options, const std::string& db_path) {
    require_inventory_file(db_path);
    auto writer = report::make_report_writer(options.format);
    auto inv = inventory::open_sqlite_inventory(db_path);
    const auto scan = options.scan > 0 ? inv->find_scan(options.scan) : inv->latest_scan();
    if (!scan) {
        throw UsageError(options.scan > 0 ? "no scan " + std::to_string(options.scan) + " in " + db_path
                                          : "no scans in " + db_path + " yet: run 'certfleet scan' first");
    }
    const auto contents = inv->scan_contents(scan->id);
    const report::ReportContext context{now_utc()};
    const auto queries = inventory::open_sqlite_queries(db_path);
    inventory::Filter this_scan;
    this_scan.scan = scan->id;
    this_scan.now = context.now;
    report::ReportModel model{contents, queries->reused_keys(this_scan), queries->anchors(this_scan),
                              queries->shared(this_scan, 2), queries->stores(this_scan), queries->scans(), {},
                              options.rules.empty() ? rules::builtin_policy() : rules::read_rules_file(options.rules)};
    model.migrations = rules::migration_history(*queries, model.rules, "");
    if (options.output.empty()) {
        writer->write(model, context, std::cout);
        std::cout.flush();
        return std::cout ? kExitOk : kExitFailure;
    }
    // Write beside the target and rename, so a reader never sees half a report.
    const std::string temporary = options.output + ".tmp";
    {
        std::ofstream out(temporary, std::ios::trunc);
        if (!out) throw std::runtime_error("-o " + options.output + ": cannot write: " + std::strerror(errno));
        writer->write(model, context, out);
        if (!out.flush()) throw std::runtime_error("-o " + options.output + ": write failed");
    }
    std::filesystem::rename(temporary, options.output);
    return kExitOk;
}

}  // namespace certfleet::app
