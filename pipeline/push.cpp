#include "pipeline/push.hpp"

#include "pipeline/findings.hpp"

namespace certfleet::pipeline {

namespace {

// As many files or probes as the scanner stores in one transaction.
constexpr std::size_t kBatch = 256;

template <typename Item, typename Store>
void in_batches(const std::vector<Item>& items, Store&& store) {
    for (std::size_t start = 0; start < items.size(); start += kBatch) {
        const auto end = std::min(items.size(), start + kBatch);
        store(std::vector<Item>(items.begin() + static_cast<std::ptrdiff_t>(start),
                                items.begin() + static_cast<std::ptrdiff_t>(end)));
    }
}

}  // namespace

PushResult push_scans(inventory::InventoryQueries& from, inventory::Inventory& to, const rules::RuleSet& rules,
                      const std::function<void(const PushedScan&)>& on_scan) {
    PushResult result;
    const auto evaluate = findings_evaluator(rules);
    for (const auto& origin : from.scans()) {
        if (origin.status == inventory::ScanStatus::running) {
            result.still_running.push_back(origin);
            continue;
        }
        const auto observed = from.scan_observations(origin.id);
        PushedScan pushed{origin, to.begin_copied_scan(origin, observed.labels)};
        if (pushed.copy) {
            const inventory::ScanId copy = *pushed.copy;
            in_batches(observed.files, [&](const std::vector<FileObservations>& batch) { to.record(copy, batch); });
            in_batches(observed.endpoints,
                       [&](const std::vector<EndpointObservationRecord>& batch) { to.record_endpoints(copy, batch); });
            const bool judged = origin.status != inventory::ScanStatus::failed;
            to.finish_scan(copy, origin.status, origin.counts, judged ? evaluate : inventory::FindingsEvaluator{},
                           origin.finished_at);
        }
        if (on_scan) on_scan(pushed);
        result.scans.push_back(std::move(pushed));
    }
    return result;
}

}  // namespace certfleet::pipeline
