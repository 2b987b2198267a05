#include "report/report.hpp"

namespace certfleet::report {

ReportModel build_report_model(inventory::InventoryQueries& queries, inventory::ScanId scan, rules::RuleSet rules,
                               UnixTime now, ModelParts parts) {
    const auto snapshot = queries.snapshot();
    ReportModel model;
    model.contents = queries.scan_contents(scan);
    inventory::Filter this_scan;
    this_scan.scan = scan;
    this_scan.now = now;
    model.reused_keys = queries.reused_keys(this_scan);
    model.anchors = queries.anchors(this_scan);
    model.stores = queries.stores(this_scan);
    if (parts.shared) model.shared = queries.shared(this_scan, 2);
    if (parts.scans) model.scans = queries.scans();
    model.coverage = queries.coverage(scan);
    model.rules = std::move(rules);
    if (parts.migrations) model.migrations = rules::migration_history(queries, model.rules, "");
    return model;
}

}  // namespace certfleet::report
