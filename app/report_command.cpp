#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "app/commands.hpp"
#include "core/encoding.hpp"
#include "inventory/inventory.hpp"
#include "report/report.hpp"

namespace certfleet::app {

int run_report(const ReportOptions& options, const std::string& db_path) {
    if (!std::filesystem::exists(db_path))
        throw UsageError("no inventory at " + db_path + ": run 'certfleet scan' first (or give --db)");
    auto writer = report::make_report_writer(options.format);
    auto inv = inventory::open_sqlite_inventory(db_path);
    const auto scan = options.scan > 0 ? inv->find_scan(options.scan) : inv->latest_scan();
    if (!scan) {
        throw UsageError(options.scan > 0 ? "no scan " + std::to_string(options.scan) + " in " + db_path
                                          : "no scans in " + db_path + " yet: run 'certfleet scan' first");
    }
    const auto contents = inv->scan_contents(scan->id);
    const report::ReportContext context{now_utc()};
    if (options.output.empty()) {
        writer->write(contents, context, std::cout);
        std::cout.flush();
        return std::cout ? kExitOk : kExitFailure;
    }
    // Write beside the target and rename, so a reader never sees half a report.
    const std::string temporary = options.output + ".tmp";
    {
        std::ofstream out(temporary, std::ios::trunc);
        if (!out) throw std::runtime_error("-o " + options.output + ": cannot write: " + std::strerror(errno));
        writer->write(contents, context, out);
        if (!out.flush()) throw std::runtime_error("-o " + options.output + ": write failed");
    }
    std::filesystem::rename(temporary, options.output);
    return kExitOk;
}

}  // namespace certfleet::app
