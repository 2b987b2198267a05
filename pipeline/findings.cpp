#include "pipeline/findings.hpp"

#include "core/encoding.hpp"
#include "inventory/analysis.hpp"

namespace certfleet::pipeline {

rules::CheckResult check_scan(inventory::InventoryQueries& queries, const rules::RuleSet& rules, inventory::ScanId scan,
                              const rules::CheckPolicy& policy) {
    const auto snapshot = queries.snapshot();
    const auto latest = queries.latest_finished_scan();
    return rules::check(queries, rules, scan, latest && latest->id == scan, now_utc(), policy);
}

rules::CheckResult check_and_store(inventory::Inventory& inventory, const rules::RuleSet& rules, inventory::ScanId scan,
                                   const rules::CheckPolicy& policy) {
    auto result = check_scan(inventory.queries(), rules, scan, policy);
    inventory.record_findings(scan, result.evaluation.findings);
    return result;
}

inventory::FindingsEvaluator findings_evaluator(const rules::RuleSet& rules, RulesOutcome& outcome) {
    return [&rules, &outcome](inventory::InventoryQueries& queries, inventory::ScanId scan) {
        try {
            auto found = check_scan(queries, rules, scan).evaluation.findings;
            outcome.findings = found.size();
            return found;
        } catch (const std::exception& e) {
            outcome.error = e.what();
            return std::vector<Finding>{};
        }
    };
}

}  // namespace certfleet::pipeline
