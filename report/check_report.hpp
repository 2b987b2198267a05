#pragma once
// The outputs of `certfleet check` (a Nagios plugin's text, or JSON) and `certfleet progress` (a migration
// burn-down as a table or JSON).
#include <ostream>
#include <vector>

#include "rules/check.hpp"

namespace certfleet::report {

// Thresholds printed with min_days_left in the perfdata, as a monitoring system graphs them.
struct ExpiryThresholds {
    std::int64_t warning_days = 30;
    std::int64_t critical_days = 14;
};

// First line: "CERTFLEET CRITICAL - 2 critical, 5 warning | critical=2;;;0 warning=5;;;0 min_days_left=3;30;14;;",
// then one line per finding (Nagios long output) and per note.
void write_check_text(const rules::CheckResult& result, const ExpiryThresholds& thresholds, std::ostream& out);
void write_check_json(const rules::CheckResult& result, const ExpiryThresholds& thresholds, std::ostream& out);

void write_progress_table(const std::vector<rules::MigrationHistory>& history, std::ostream& out);
void write_progress_json(const std::vector<rules::MigrationHistory>& history, std::ostream& out);

}  // namespace certfleet::report
