#pragma once
// The rules' findings on a scan, evaluated over the inventory and stored with the scan.
#include <optional>
#include <string>

#include "inventory/inventory.hpp"
#include "rules/check.hpp"

namespace certfleet::pipeline {

// `rules` evaluated over the view after `scan`, as one snapshot of the inventory, with the day thresholds' hits.
rules::CheckResult check_scan(inventory::InventoryQueries& queries, const rules::RuleSet& rules, inventory::ScanId scan,
                              const rules::CheckPolicy& policy = {});

// Evaluates and stores the findings: a later evaluation replaces a scan's findings, so what `report` shows is
// what the latest check said. The thresholds' hits are this check's alone and are not stored.
rules::CheckResult check_and_store(inventory::Inventory& inventory, const rules::RuleSet& rules, inventory::ScanId scan,
                                   const rules::CheckPolicy& policy);

// How the rules fared at a scan's end.
struct RulesOutcome {
    std::optional<std::size_t> findings;  // how many they found; empty when they were not evaluated
    std::string error;                    // why they failed
};

// What a completing scan stores as its findings: `rules` evaluated over the view after it. Rules that fail leave
// the scan to end without findings, the failure in `outcome`: `certfleet check` can evaluate them again, and what
// the scan recorded is not lost to a rule.
inventory::FindingsEvaluator findings_evaluator(const rules::RuleSet& rules, RulesOutcome& outcome);

}  // namespace certfleet::pipeline
