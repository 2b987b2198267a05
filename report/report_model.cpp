#include "report/report.hpp"

namespace certfleet::report {

namespace {

// What every report adds to its contents, asked of the same view (`filter`) in the caller's snapshot; coverage
// and migrations are drawn up to `scan`: the HTML of scan 8 does not show scan 9.
void add_view_parts(ReportModel& model, inventory::InventoryQueries& queries, const inventory::Filter& filter,
                    inventory::ScanId scan, ModelParts parts) {
    model.reused_keys = queries.reused_keys(filter);
    model.anchors = queries.anchors(filter);
    model.stores = queries.stores(filter);
    if (parts.shared) model.shared = queries.shared(filter, 2);
    if (parts.scans) model.scans = queries.scans();
    model.coverage = queries.coverage(scan);
    if (parts.migrations) model.migrations = rules::migration_history(queries, model.rules, "", scan);
}

}  // namespace

ReportModel build_report_model(inventory::InventoryQueries& queries, inventory::ScanId scan,
                               inventory::ContentsScope scope, rules::RuleSet rules, UnixTime now, ModelParts parts) {
    const auto snapshot = queries.snapshot();
    ReportModel model;
    model.rules = std::move(rules);
    inventory::Filter filter;
    filter.now = now;
    if (scope == inventory::ContentsScope::one_scan) {
        model.contents = queries.scan_contents(scan);
        filter.scans = {scan};
    } else {
        model.contents = queries.view_contents(scan);
        const auto latest = queries.latest_finished_scan();
        if (!latest || scan < latest->id) filter.as_of = scan;
    }
    add_view_parts(model, queries, filter, scan, parts);
    return model;
}

ReportModel build_run_report_model(inventory::InventoryQueries& queries, const inventory::RunSummary& run,
                                   rules::RuleSet rules, UnixTime now, ModelParts parts) {
    const auto snapshot = queries.snapshot();
    ReportModel model;
    model.rules = std::move(rules);
    model.contents = queries.run_contents(run);
    inventory::Filter filter;
    filter.now = now;
    for (const auto& member : run.members) filter.scans.push_back(member.id);
    add_view_parts(model, queries, filter, run.members.back().id, parts);
    return model;
}

}  // namespace certfleet::report
