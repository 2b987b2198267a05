#pragma once
// A rule's finding: the verdict of one rule on one certificate at one place. The rules engine makes them, the
// inventory stores them with their scan, and the reports and `certfleet check` write them.
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "core/cert_info.hpp"
#include "core/enum_names.hpp"
#include "core/observation.hpp"

namespace certfleet {

// Ordered: a higher value is more urgent.
enum class Severity { info, low, medium, high, critical };
inline constexpr std::array<EnumName<Severity>, 5> kSeverityNames{{
    {Severity::info, "info"},
    {Severity::low, "low"},
    {Severity::medium, "medium"},
    {Severity::high, "high"},
    {Severity::critical, "critical"},
}};
constexpr const auto& enum_names(Severity) { return kSeverityNames; }

struct Finding {
    std::string rule_id;
    Severity severity = Severity::info;
    std::string sha256;
    std::string subject;   // the certificate's subject DN; not stored, so empty in findings read back from a scan
    std::string location;  // the place, as reports print it
    std::string message;   // what is wrong here and what to do
    std::int64_t days_left = 0;
    std::optional<UnixTime> deadline;  // migration rules
    bool overdue = false;              // the deadline has passed
    Labels labels;                     // the place's (owner, env, ...), to route the work to its owners
};

}  // namespace certfleet
