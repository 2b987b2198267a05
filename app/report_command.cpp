#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "app/commands.hpp"
#include "app/report_model.hpp"
#include "core/encoding.hpp"
#include "inventory/analysis.hpp"
#include "inventory/inventory.hpp"
#include "report/report.hpp"
#include "rules/check.hpp"

namespace certfleet::app {

std::unique_ptr<LoadedReport> load_report(const std::string& db_path, std::int64_t scan_id,
                                          const std::string& rules_path, UnixTime now) {
    require_inventory_file(db_path);
    auto inv = inventory::open_sqlite_inventory(db_path);
    const auto scan = scan_id > 0 ? inv->find_scan(scan_id) : inv->latest_scan();
    if (!scan) {
        throw UsageError(scan_id > 0 ? "no scan " + std::to_string(scan_id) + " in " + db_path
                                     : "no scans in " + db_path + " yet: run 'certfleet scan' first");
    }
    auto loaded = std::make_unique<LoadedReport>(inv->scan_contents(scan->id));
    const auto queries = inventory::open_sqlite_queries(db_path);
    inventory::Filter this_scan;
    this_scan.scan = scan->id;
    this_scan.now = now;
    auto& model = loaded->model;
    model.reused_keys = queries->reused_keys(this_scan);
    model.anchors = queries->anchors(this_scan);
    model.shared = queries->shared(this_scan, 2);
    model.stores = queries->stores(this_scan);
    model.scans = queries->scans();
    model.rules = load_rules(rules_path);
    model.migrations = rules::migration_history(*queries, model.rules, "");
    return loaded;
}

int run_report(const ReportOptions& options, const std::string& db_path) {
    auto writer = report::make_report_writer(options.format);
    const report::ReportContext context{now_utc()};
    const auto loaded = load_report(db_path, options.scan, options.rules, context.now);
    const auto& model = loaded->model;
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
