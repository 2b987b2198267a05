#include "core/duration.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace certfleet {

namespace {

struct Unit {
    std::string_view short_name;
    std::string_view long_name;  // also taken in the plural
    std::int64_t seconds;
};

constexpr std::array<Unit, 4> kUnits{{{"h", "hour", 3600}, {"d", "day", 86400}, {"w", "week", 7 * 86400},
                                      {"y", "year", 365 * 86400}}};

struct Split {
    std::string_view digits;
    std::string unit;  // lower-case, spaces between number and unit dropped
};

Split split(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
    std::size_t end = 0;
    while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
    Split out{text.substr(0, end), {}};
    std::string_view rest = text.substr(end);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    for (const char c : rest) out.unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::optional<std::int64_t> unit_seconds(const std::string& unit) {
    if (unit.empty()) return 86400;
    for (const auto& u : kUnits)
        if (unit == u.short_name || unit == u.long_name || unit == std::string(u.long_name) + "s") return u.seconds;
    return std::nullopt;
}

std::string quoted(std::string_view text) { return "'" + std::string(text.substr(0, 40)) + (text.size() > 40 ? "...'" : "'"); }

}  // namespace

std::optional<std::int64_t> parse_duration(std::string_view text) {
    const Split parts = split(text);
    const auto unit = unit_seconds(parts.unit);
    if (parts.digits.empty() || !unit) return std::nullopt;
    std::int64_t count = 0;
    const auto [end, error] = std::from_chars(parts.digits.data(), parts.digits.data() + parts.digits.size(), count);
    if (error != std::errc{} || count > kMaxDurationSeconds / *unit) return std::nullopt;
    return count * *unit;
}

std::string duration_problem(std::string_view text) {
    const std::string expected = "expected " + std::string(kDurationSyntax);
    const Split parts = split(text);
    if (parts.digits.empty() && parts.unit.empty()) return "the duration is empty: " + expected;
    if (parts.unit.starts_with('-')) return quoted(text) + " is negative: " + expected;
    if (parts.digits.empty()) return quoted(text) + " does not start with a number: " + expected;
    if (!unit_seconds(parts.unit)) {
        if (parts.unit == "m" || parts.unit.starts_with("mo") || parts.unit.starts_with("mi"))
            return quoted(text) + ": certfleet has no month or minute unit; write 30d or 4w for a month, 12h for hours";
        return quoted(text) + ": unknown unit " + quoted(parts.unit) + "; " + expected;
    }
    if (!parse_duration(text)) return quoted(text) + " is over a hundred years";
    return {};
}

}  // namespace certfleet
