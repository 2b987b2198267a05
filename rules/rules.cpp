// The names rules files spell severities and match fields with, and how marks print.
#include <array>
#include <utility>

#include "rules/rules.hpp"

namespace certfleet::rules {

namespace {

constexpr std::array<std::pair<Severity, const char*>, 5> severity_names{{
    {Severity::info, "info"},
    {Severity::low, "low"},
    {Severity::medium, "medium"},
    {Severity::high, "high"},
    {Severity::critical, "critical"},
}};

// In the order of the enum (and of the comment in rules.hpp), which is the order messages list them in.
constexpr std::array<std::pair<Field, const char*>, 26> field_table{{
    {Field::self_signed, "self_signed"},
    {Field::is_ca, "is_ca"},
    {Field::expired, "expired"},
    {Field::not_yet_valid, "not_yet_valid"},
    {Field::has_san, "has_san"},
    {Field::hostname_match, "hostname_match"},
    {Field::chain_verified, "chain_verified"},
    {Field::key_reused, "key_reused"},
    {Field::pinned_in_trust_store, "pinned_in_trust_store"},
    {Field::trust_anchor, "trust_anchor"},
    {Field::leaf, "leaf"},
    {Field::order_correct, "order_correct"},
    {Field::serves_default, "serves_default"},
    {Field::intermediate_expires_before_leaf, "intermediate_expires_before_leaf"},
    {Field::expires_within, "expires_within"},
    {Field::validity_longer_than, "validity_longer_than"},
    {Field::key_bits_below, "key_bits_below"},
    {Field::shared_locations_at_least, "shared_locations_at_least"},
    {Field::intermediates_missing_at_least, "intermediates_missing_at_least"},
    {Field::key_type, "key_type"},
    {Field::signature_algorithm, "signature_algorithm"},
    {Field::verify_error, "verify_error"},
    {Field::location_kind, "location_kind"},
    {Field::issuer, "issuer"},
    {Field::subject, "subject"},
    {Field::shared_across_label, "shared_across_label"},
}};

template <typename Enum, std::size_t N>
const char* name_of(const std::array<std::pair<Enum, const char*>, N>& table, Enum value) {
    for (const auto& [candidate, name] : table) {
        if (candidate == value) return name;
    }
    return "?";
}

template <typename Enum, std::size_t N>
std::optional<Enum> value_named(const std::array<std::pair<Enum, const char*>, N>& table, const std::string& name) {
    for (const auto& [value, candidate] : table) {
        if (name == candidate) return value;
    }
    return std::nullopt;
}

}  // namespace

const char* to_string(Severity s) { return name_of(severity_names, s); }

std::optional<Severity> severity_from_string(const std::string& s) { return value_named(severity_names, s); }

const char* to_string(Field f) { return name_of(field_table, f); }

std::optional<Field> field_from_string(const std::string& s) { return value_named(field_table, s); }

const std::vector<std::string>& field_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> all;
        for (const auto& entry : field_table) all.emplace_back(entry.second);
        return all;
    }();
    return names;
}

std::string SourceMark::to_string() const {
    if (line == 0) return "built-in";
    return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

}  // namespace certfleet::rules
