#pragma once
// A scan's report as `report` prints it and `serve` serves it: the scan's contents and the inventory's answers
// about that scan, read anew from the inventory each time.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "inventory/inventory.hpp"
#include "report/report.hpp"

namespace certfleet::app {

struct LoadedReport {
    explicit LoadedReport(inventory::ScanContents scan_contents)
        : contents(std::move(scan_contents)), model{contents, {}, {}, {}, {}, {}, {}, {}} {}  // answers: load_report
    LoadedReport(const LoadedReport&) = delete;  // model refers to contents, and migrations into model.rules
    LoadedReport& operator=(const LoadedReport&) = delete;

    inventory::ScanContents contents;
    report::ReportModel model;
};

// Scan `scan` (0: the latest), with the migration rules of `rules_path` (empty: the built-in policy). Throws
// UsageError when there is no inventory file, no such scan, or no scan yet.
std::unique_ptr<LoadedReport> load_report(const std::string& db_path, std::int64_t scan, const std::string& rules_path,
                                          UnixTime now);

}  // namespace certfleet::app
