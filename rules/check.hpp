#pragma once
// What `certfleet check` concludes from an evaluation (a Nagios status) and what `certfleet progress` tracks
// (each migration rule's state, scan after scan).
#include <array>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "inventory/analysis.hpp"
#include "rules/evaluate.hpp"
#include "rules/rules.hpp"

namespace certfleet::rules {

// Nagios plugin statuses; the value is the exit code.
enum class CheckStatus { ok = 0, warning = 1, critical = 2, unknown = 3 };
inline constexpr std::array<EnumName<CheckStatus>, 4> kCheckStatusNames{{
    {CheckStatus::ok, "OK"},
    {CheckStatus::warning, "WARNING"},
    {CheckStatus::critical, "CRITICAL"},
    {CheckStatus::unknown, "UNKNOWN"},
}};
constexpr const auto& enum_names(CheckStatus) { return kCheckStatusNames; }

struct CheckResult {
    inventory::ScanId scan = 0;
    CheckStatus status = CheckStatus::ok;
    std::int64_t critical = 0;  // findings at or above the mapping's critical_from
    std::int64_t warning = 0;   // at or above warning_from, below critical_from
    std::int64_t other = 0;     // below warning_from: reported, never alarming
    std::optional<std::int64_t> min_days_left;  // over the leaves of the view
    Evaluation evaluation;
};

// Evaluates `rules` over the view as it stood after `scan` and maps the findings to a status.
CheckResult check(inventory::InventoryQueries& queries, const RuleSet& rules, inventory::ScanId scan,
                  bool scan_is_latest, UnixTime now);

struct ProgressPoint {
    inventory::ScanId scan = 0;
    UnixTime at = 0;
    MigrationProgress progress;
    std::vector<std::string> regressed;  // places met in the previous scan's view and unmet in this one
};

struct MigrationHistory {
    const Rule* rule = nullptr;
    std::vector<ProgressPoint> points;  // oldest scan first
};

// Every migration rule (or only `rule_id`) over every scan's view, oldest first; `on_scan(done, total)` after each
// scan's view (one view takes about a second on an inventory of a million sightings). Throws RulesError when
// `rule_id` names no migration rule.
std::vector<MigrationHistory> migration_history(
    inventory::InventoryQueries& queries, const RuleSet& rules, const std::string& rule_id,
    const std::function<void(std::size_t done, std::size_t total)>& on_scan = {});

}  // namespace certfleet::rules
