#pragma once
// The rules' findings on a scan, evaluated over the inventory and stored with the scan.
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

// What a completing scan stores as its findings: `rules` evaluated over the view after it.
inventory::FindingsEvaluator findings_evaluator(const rules::RuleSet& rules);

}  // namespace certfleet::pipeline
