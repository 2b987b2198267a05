#pragma once
// `certfleet push`: the scans of one inventory (a laptop's, an air-gapped segment's, a host agent's SQLite file)
// copied into another (the fleet's central one), each once, however often it is pushed.
#include <functional>
#include <optional>
#include <vector>

#include "inventory/analysis.hpp"
#include "inventory/inventory.hpp"
#include "pipeline/findings.hpp"
#include "rules/rules.hpp"

namespace certfleet::pipeline {

struct PushedScan {
    inventory::ScanRecord origin;
    std::optional<inventory::ScanId> copy;  // its id in the target; nullopt when it was there already
    RulesOutcome rules;                     // of the copy's end (a failed scan's copy is not judged)
};

struct PushResult {
    std::vector<PushedScan> scans;                  // every scan that has ended, oldest first
    std::vector<inventory::ScanRecord> still_running;  // left for a later push
};

// Copies every scan of `from` that has ended and is not in `to` yet (by its UUID), oldest first: its observations
// replayed in batches, ended with the status, counts and end time it had, its findings those `rules` find in the
// view after it in `to`. `on_scan` hears of each scan as it is done.
PushResult push_scans(inventory::InventoryQueries& from, inventory::Inventory& to, const rules::RuleSet& rules,
                      const std::function<void(const PushedScan&)>& on_scan = {});

}  // namespace certfleet::pipeline
