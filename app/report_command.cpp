#include <iostream>
#include <sstream>

#include "app/commands.hpp"
#include "core/encoding.hpp"
#include "core/replacing_file.hpp"
#include "inventory/analysis.hpp"
#include "inventory/inventory.hpp"
#include "report/report.hpp"
#include "report/text_escape.hpp"
#include "rules/check.hpp"

namespace certfleet::app {

inventory::ScanRecord chosen_scan(inventory::InventoryQueries& queries, std::int64_t scan_id, const std::string& db_path) {
    if (scan_id > 0) {
        auto scan = queries.find_scan(scan_id);
        if (!scan) throw UsageError("no scan " + std::to_string(scan_id) + " in " + inventory::display_name(db_path));
        return *scan;
    }
    // A running scan has neither findings nor its share of the views yet, and a failed one never will: the latest
    // that ended complete or interrupted is the answer.
    const auto latest = queries.latest_scan();
    if (!latest) throw UsageError("no scans in " + inventory::display_name(db_path) + " yet: run 'certfleet scan' first");
    if (latest->status == inventory::ScanStatus::complete || latest->status == inventory::ScanStatus::interrupted)
        return *latest;
    const auto finished = queries.latest_finished_scan();
    if (!finished && latest->status == inventory::ScanStatus::failed)
        throw UsageError("no scan in " + inventory::display_name(db_path) + " has ended yet: scan " + std::to_string(latest->id) +
                         " failed ('certfleet report --scan " + std::to_string(latest->id) + "' says why)");
    if (!finished)
        throw UsageError("scan " + std::to_string(latest->id) + " in " + inventory::display_name(db_path) +
                         " is still running and none has finished yet: wait for it, or give --scan " +
                         std::to_string(latest->id) + " to see it as it stands");
    return *finished;
}

inventory::RunSummary chosen_run(inventory::InventoryQueries& queries, const std::string& name, const std::string& db_path) {
    if (auto run = queries.find_run(name)) return *run;
    constexpr std::size_t kRunsNamed = 5;
    std::string known;
    const auto runs = queries.runs();
    // The latest few, as a reminder of how runs are named there.
    for (std::size_t i = runs.size(); i > 0 && runs.size() - i < kRunsNamed; --i)
        known += (known.empty() ? "" : ", ") + runs[i - 1].name;
    throw UsageError("no run '" + name + "' in " + inventory::display_name(db_path) +
                     (known.empty() ? ": a scan joins a run with 'certfleet scan --run NAME'" : " (latest runs: " + known + ")"));
}

inventory::ScanId scan_ending_run(inventory::InventoryQueries& queries, const std::string& name, const std::string& db_path) {
    const auto run = chosen_run(queries, name, db_path);
    if (run.members.empty())
        throw UsageError("no scan of run '" + name + "' in " + inventory::display_name(db_path) + " has ended yet (" +
                         run.gaps() + ")");
    if (!run.complete())
        std::cerr << "certfleet: run " << report::visible_text(name) << " is incomplete (" << run.gaps()
                  << "): the places it has not reached show their older state\n";
    return run.members.back().id;
}

report::ReportModel load_report(const std::string& db_path, std::int64_t scan_id, const std::string& run,
                                const std::string& rules_path, UnixTime now, report::ModelParts parts) {
    auto rules = load_rules(rules_path);
    require_inventory_file(db_path);
    const auto queries = inventory::open_queries(db_path);
    const auto snapshot = queries->snapshot();
    if (!run.empty()) {
        const auto summary = chosen_run(*queries, run, db_path);
        if (summary.members.empty())
            throw UsageError("no scan of run '" + run + "' in " + inventory::display_name(db_path) + " has ended yet (" +
                             summary.gaps() + ")");
        return report::build_run_report_model(*queries, summary, std::move(rules), now, parts);
    }
    const auto scan = chosen_scan(*queries, scan_id, db_path);
    // --scan N is that scan alone; by default the current view, each place as the latest scan of it left it.
    const auto scope = scan_id > 0 ? inventory::ContentsScope::one_scan : inventory::ContentsScope::view;
    return report::build_report_model(*queries, scan.id, scope, std::move(rules), now, parts);
}

int run_report(const ReportOptions& options, const std::string& db_path) {
    auto writer = report::make_report_writer(options.format);
    const report::ReportContext context{now_utc(), CERTFLEET_VERSION};
    const auto model = load_report(db_path, options.scan, options.run, options.rules, context.now, writer->parts());
    if (options.output.empty()) {
        writer->write(model, context, std::cout);
        std::cout.flush();
        return std::cout ? kExitOk : kExitFailure;
    }
    std::ostringstream body;
    writer->write(model, context, body);
    try {
        replace_file(options.output, body.str());
    } catch (const FileWriteError& e) {
        throw std::runtime_error(std::string("-o ") + e.what());
    }
    return kExitOk;
}

}  // namespace certfleet::app
