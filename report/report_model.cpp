#include "report/report.hpp"

namespace certfleet::report {

ReportModel build_report_model(inventory::InventoryQueries& queries, inventory::ScanId scan,
                               inventory::ContentsScope scope, rules::RuleSet rules, UnixTime now, ModelParts parts) {
    const auto snapshot = queries.snapshot();
    ReportModel model;
    inventory::Filter filter;
    filter.now = now;
    if (scope == inventory::ContentsScope::one_scan) {
        model.contents = queries.scan_contents(scan);
        filter.scan = scan;
    } else {
        model.contents = queries.view_contents(scan);
        const auto latest = queries.latest_finished_scan();
        if (!latest || scan < latest->id) filter.as_of = scan;
    }
    model.reused_keys = queries.reused_keys(filter);
    model.anchors = queries.anchors(filter);
    model.stores = queries.stores(filter);
    if (parts.shared) model.shared = queries.shared(filter, 2);
    if (parts.scans) model.scans = queries.scans();
    model.coverage = queries.coverage(scan);
    model.rules = std::move(rules);
    // Drawn up to the scan asked about: the HTML of scan 8 does not show scan 9.
    if (parts.migrations) model.migrations = rules::migration_history(queries, model.rules, "", scan);
    return model;
}

}  // namespace certfleet::report
