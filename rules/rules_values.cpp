#include "rules/rules_values.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>

#include "core/address_block.hpp"
#include "core/suggestion.hpp"

namespace certfleet::rules::values {

namespace {

std::optional<std::int64_t> parse_count(std::string_view digits) {
    if (digits.empty() || !std::all_of(digits.begin(), digits.end(), ::isdigit)) return std::nullopt;
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (error != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
    return value;
}

}  // namespace

ValueType value_type(Field field) {
    switch (field) {
        case Field::self_signed:
        case Field::is_ca:
        case Field::expired:
        case Field::not_yet_valid:
        case Field::has_san:
        case Field::hostname_match:
        case Field::chain_verified:
        case Field::key_reused:
        case Field::pinned_in_trust_store:
        case Field::trust_anchor:
        case Field::system_store:
        case Field::stale:
        case Field::leaf:
        case Field::order_correct:
        case Field::serves_default:
        case Field::intermediate_expires_before_leaf:
        case Field::quantum_vulnerable:
        case Field::key_exchange_quantum_vulnerable:
        case Field::public_root: return ValueType::boolean;
        case Field::expires_within:
        case Field::validity_longer_than:
        case Field::issued_more_than: return ValueType::duration;
        case Field::key_bits_below:
        case Field::shared_locations_at_least:
        case Field::intermediates_missing_at_least:
        case Field::security_bits_below: return ValueType::integer;
        case Field::lifetime_days:
        case Field::lifetime_used_percent: return ValueType::compared;
        case Field::valid_beyond:
        case Field::issued_before:
        case Field::issued_on_or_after: return ValueType::date;
        case Field::key_type:
        case Field::signature_algorithm:
        case Field::verify_error:
        case Field::location_kind: return ValueType::any_of;
        case Field::issuer:
        case Field::subject: return ValueType::glob;
        case Field::shared_across_label: return ValueType::label_key;
    }
    return ValueType::boolean;
}

std::optional<bool> parse_boolean(const std::string& text) {
    const std::string word = lowercase(text);
    if (word == "true" || word == "false") return word == "true";
    return std::nullopt;
}

std::optional<std::int64_t> parse_positive(const std::string& text) {
    const auto number = parse_count(text);
    return number && *number > 0 ? number : std::nullopt;
}

std::optional<std::uint16_t> parse_port(const std::string& text) {
    const auto number = parse_count(text);
    if (!number || *number < 1 || *number > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(*number);
}

std::optional<Comparison> parse_comparison(const std::string& text) {
    static const std::pair<std::string_view, Comparison::Op> kOperators[] = {
        {">=", Comparison::Op::greater_or_equal}, {"<=", Comparison::Op::less_or_equal}, {">", Comparison::Op::greater},
        {"<", Comparison::Op::less}, {"=", Comparison::Op::equal}};
    for (const auto& [symbol, op] : kOperators) {
        if (!text.starts_with(symbol)) continue;
        std::string number = text.substr(symbol.size());
        number.erase(0, number.find_first_not_of(' '));
        const auto value = parse_count(number);
        if (!value || *value > 1'000'000) return std::nullopt;
        return Comparison{op, *value};
    }
    return std::nullopt;
}

std::optional<UnixTime> parse_end_of_day(const std::string& text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
    const auto year = parse_count(std::string_view(text).substr(0, 4));
    const auto month = parse_count(std::string_view(text).substr(5, 2));
    const auto day = parse_count(std::string_view(text).substr(8, 2));
    if (!year || !month || !day) return std::nullopt;
    const std::chrono::year_month_day date{std::chrono::year(static_cast<int>(*year)),
                                           std::chrono::month(static_cast<unsigned>(*month)),
                                           std::chrono::day(static_cast<unsigned>(*day))};
    if (!date.ok()) return std::nullopt;
    const auto start = std::chrono::sys_days(date).time_since_epoch();
    return std::chrono::duration_cast<std::chrono::seconds>(start).count() + 86399;
}

std::optional<std::string> checked_cidr(const std::string& text) {
    return AddressBlock::parse(text) ? std::optional<std::string>(text) : std::nullopt;
}

std::optional<std::string> normalized_sha256(const std::string& text) {
    std::string hex;
    for (char c : text) {
        if (c != ':') hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (hex.size() != 64 || !std::all_of(hex.begin(), hex.end(), ::isxdigit)) return std::nullopt;
    return hex;
}

bool is_label_key(const std::string& text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '-' || c == '.' || c == '/';
    });
}

bool is_rule_id(const std::string& text) {
    return !text.empty() && std::isalnum(static_cast<unsigned char>(text[0])) &&
           std::all_of(text.begin(), text.end(), [](unsigned char c) {
               return std::isalnum(c) || c == '_' || c == '-' || c == '.';
           });
}

}  // namespace certfleet::rules::values
