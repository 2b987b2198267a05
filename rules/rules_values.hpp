#pragma once
// The values a rules file spells, each read and checked on its own: booleans, counts, ports, durations, dates,
// addresses, fingerprints, label keys and rule ids; and the type of value each match field takes. Internal to rules/.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/rules.hpp"

namespace certfleet::rules::values {

enum class ValueType { boolean, duration, integer, compared, date, any_of, glob, label_key };

ValueType value_type(Field field);

// Each nullopt when the text is not such a value.
// YAML 1.2's booleans only: "yes", "on" and friends are YAML 1.1 and too easily a typo.
std::optional<bool> parse_boolean(const std::string& text);
std::optional<std::int64_t> parse_positive(const std::string& text);
std::optional<std::uint16_t> parse_port(const std::string& text);
// "> 398", ">= 80", "<= 47", "< 30" or "= 90": an operator, then a number from 0 to a million.
std::optional<Comparison> parse_comparison(const std::string& text);
// The last second of a YYYY-MM-DD day, UTC: a deadline or an expiry holds through the whole day it names.
std::optional<UnixTime> parse_end_of_day(const std::string& text);
// An address or CIDR block, IPv4 or IPv6, as the evaluator will read it; kept as written.
std::optional<std::string> checked_cidr(const std::string& text);
// A SHA-256 as 64 hex digits, colons allowed between them ("3F:2A:..."); stored lowercase without colons.
std::optional<std::string> normalized_sha256(const std::string& text);
// As `scan --label` spells label keys.
bool is_label_key(const std::string& text);
// Rule ids appear in reports, check output and exemption lists: keep them plain.
bool is_rule_id(const std::string& text);

}  // namespace certfleet::rules::values
