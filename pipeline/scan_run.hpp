#pragma once
// Runs a planned scan into an inventory: walks and decodes the files, probes and verifies the endpoints, stores
// what they yield in batches, and completes the scan with its conclusions and findings in one transaction.
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "inventory/analysis.hpp"
#include "inventory/inventory.hpp"
#include "pipeline/findings.hpp"
#include "pipeline/scan_plan.hpp"

namespace certfleet::pipeline {

// What a running scan tells its caller, on the calling thread.
struct ScanProgress {
    std::function<void(const std::string& note)> note;  // resuming, nothing to resume
    std::function<void(const scanner::WalkStats&)> files;
    std::function<void(const scanner::NetworkScanStats&)> network;
    std::function<void(const ScanEvent& error)> file_error;  // an input it could not read (stored with the scan too)
    // What the user must hear even when notes are not wanted: a name that did not resolve.
    std::function<void(const std::string& problem)> problem;
};

struct ScanOutcome {
    inventory::ScanId scan = 0;
    inventory::ScanStatus status = inventory::ScanStatus::running;  // complete, interrupted or failed
    std::optional<scanner::WalkStats> files;  // empty: no file was walked
    std::optional<scanner::NetworkScanStats> network;  // empty: the network scan did not start
    RulesOutcome rules;  // findings empty: the rules were not evaluated (see rules.error)
    std::string failure;  // why a failed scan failed
    std::optional<inventory::Coverage> coverage;  // of the view after the scan, once it has ended

    // Nothing was looked at because no host name resolved: the scan's targets were all host names, none resolved,
    // and it read no files.
    bool no_target_resolved() const;
};

// Runs `plan` into `inventory` until done or `stop` is set (the scan is then stored as interrupted). Throws
// PlanError before anything is stored when the trust anchors cannot be read. A failure while scanning (the
// database went away) ends the scan as failed, keeping what was stored.
ScanOutcome run_scan(const ScanPlan& plan, inventory::Inventory& inventory, const ScanProgress& progress,
                     const std::atomic<bool>& stop);

}  // namespace certfleet::pipeline
