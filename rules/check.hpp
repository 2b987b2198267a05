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

// `check --warning-days/--critical-days` as given on the command line. Like an expires_within rule on the subjects
// of the built-in expiry rules (trust_anchor: false) for one run: a certificate with that many whole days left or
// fewer, expired ones included, is CRITICAL (critical_days) or else WARNING (warning_days). Unset, a threshold
// judges nothing.
struct DaysLeftThresholds {
    std::optional<std::int64_t> warning_days, critical_days;
};

// One certificate at one place at or under a threshold: check's own judgement for one run, never stored as a
// finding.
struct ThresholdHit {
    CheckStatus status = CheckStatus::warning;  // critical or warning
    std::int64_t threshold_days = 0;            // the critical_days or warning_days it is at or under
    std::string sha256;
    std::string subject;
    std::string location;  // the place, as reports print it
    std::int64_t days_left = 0;
};

// How check judges a view: the day thresholds given on its command line, and what a place that held certificates
// and could not be looked at again (unseen) makes of the status (--on-unseen).
struct CheckPolicy {
    DaysLeftThresholds days_left;
    CheckStatus on_unseen = CheckStatus::warning;
};

struct CheckResult {
    inventory::ScanId scan = 0;
    CheckStatus status = CheckStatus::ok;
    std::int64_t critical = 0;  // findings at or above the mapping's critical_from, and critical threshold hits
    std::int64_t warning = 0;   // findings at or above warning_from, below critical_from, and warning threshold hits
    std::int64_t other = 0;     // findings below warning_from: reported, never alarming
    std::optional<std::int64_t> min_days_left;  // over the leaves of the view
    Evaluation evaluation;
    std::vector<ThresholdHit> threshold_hits;  // critical first, then fewest days left
    inventory::Coverage coverage;              // what the scans behind the view could not look at
    std::optional<inventory::RunSummary> run;  // check --run: the run the view is after
};

// Evaluates `rules` over the view as it stood after `scan`, adds the day thresholds' hits, and maps both to a
// status. The file's exemptions for every rule cover the thresholds too. A verdict is only as good as what was
// looked at: unseen places raise the status to policy.on_unseen, and a root no scan could read makes it UNKNOWN,
// unless it is CRITICAL (an unseen expired certificate is still expired).
CheckResult check(inventory::InventoryQueries& queries, const RuleSet& rules, inventory::ScanId scan,
                  bool scan_is_latest, UnixTime now, const CheckPolicy& policy = {});

// The more urgent of two statuses for a monitor: OK < WARNING < UNKNOWN < CRITICAL.
CheckStatus more_urgent(CheckStatus a, CheckStatus b);

struct ProgressPoint {
    inventory::ScanId scan = 0;
    UnixTime at = 0;
    MigrationProgress progress;
    std::vector<std::string> regressed;  // places met in the previous scan's view and unmet in this one
};

struct MigrationHistory {
    const Rule* rule = nullptr;
    std::vector<ProgressPoint> points;  // oldest scan first
    std::vector<std::string> unmet_places;  // the places still to move in the last point's view
};

// Every migration rule (or only `rule_id`) over the view after each scan that ended complete or interrupted, up
// to `up_to` (nullopt: every one), oldest first; `on_scan(done, total)` after each scan's view (one view takes
// about a second on an inventory of a million sightings). Throws RulesError when `rule_id` names no migration rule.
std::vector<MigrationHistory> migration_history(
    inventory::InventoryQueries& queries, const RuleSet& rules, const std::string& rule_id,
    std::optional<inventory::ScanId> up_to = std::nullopt,
    const std::function<void(std::size_t done, std::size_t total)>& on_scan = {});

}  // namespace certfleet::rules
