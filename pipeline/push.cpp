#include "pipeline/push.hpp"

namespace certfleet::pipeline {

namespace {

// As many files or probes as the scanner stores in one transaction.
constexpr std::size_t kBatch = 256;

}  // namespace

PushResult push_scans(inventory::InventoryQueries& from, inventory::Inventory& to, const rules::RuleSet& rules,
                      const std::function<void(const PushedScan&)>& on_scan) {
    PushResult result;
    for (const auto& origin : from.scans()) {
        if (origin.status == inventory::ScanStatus::running) {
            result.still_running.push_back(origin);
            continue;
        }
        // Only a scan the other inventory lacks is read whole; one it holds costs a look-up.
        PushedScan pushed{origin, to.begin_copied_scan(origin, from.scan_labels(origin.id)), {}};
        if (pushed.copy) {
            const inventory::ScanId copy = *pushed.copy;
            from.scan_observations(
                origin.id, kBatch,
                {[&](const std::vector<FileObservations>& batch) { to.record(copy, batch); },
                 [&](const std::vector<EndpointObservationRecord>& batch) { to.record_endpoints(copy, batch); }});
            const bool judged = origin.status != inventory::ScanStatus::failed;
            to.finish_scan(copy, origin.status, origin.counts,
                           judged ? findings_evaluator(rules, pushed.rules) : inventory::FindingsEvaluator{},
                           origin.finished_at);
        }
        if (on_scan) on_scan(pushed);
        result.scans.push_back(std::move(pushed));
    }
    return result;
}

}  // namespace certfleet::pipeline
