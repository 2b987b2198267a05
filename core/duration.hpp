#pragma once
// One syntax for every span of time certfleet reads, on the command line and in rules files: a bare number of days
// ("30", as ssl-cert-check and the rules always took it) or a number with a unit: h, d, w or y (365 days).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace certfleet {

inline constexpr std::string_view kDurationSyntax = "a number of days (30) or a number with a unit: 12h, 30d, 2w, 1y";
inline constexpr std::int64_t kMaxDurationSeconds = 100LL * 365 * 86400;

// Seconds; nullopt when `text` is not a duration or is over a hundred years.
std::optional<std::int64_t> parse_duration(std::string_view text);
// Why `text` is not a duration, with the fix where one is likely; for error messages, which add what the text was for.
std::string duration_problem(std::string_view text);

}  // namespace certfleet
