#pragma once
// Rules: the built-in hygiene policy and a team's own migration rules, as plain values. A rules file (YAML)
// becomes a RuleSet (rules_file.cpp); the evaluator (evaluate.cpp) applies a RuleSet to the subjects of a scan
// (subject.hpp) and yields findings.
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "core/cert_info.hpp"
#include "core/observation.hpp"
#include "core/finding.hpp"

namespace certfleet::rules {

// A problem with a rules file, as "FILE:LINE:COLUMN: what is wrong, what was expected".
class RulesError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Where a rule or exemption was written, for messages that point back at it.
struct SourceMark {
    std::string file;
    int line = 0;    // 1-based; 0 for built-in rules
    int column = 0;  // 1-based
    std::string to_string() const;  // "rules.yaml:12:5" or "built-in"
};

// One test on a subject. The field decides the value's type:
//   bool:      self_signed, is_ca, expired, not_yet_valid, has_san, hostname_match, chain_verified, key_reused,
//              pinned_in_trust_store, trust_anchor, system_store, stale, leaf, order_correct, serves_default,
//              intermediate_expires_before_leaf, quantum_vulnerable, key_exchange_quantum_vulnerable, public_root
//   duration:  expires_within, validity_longer_than, issued_more_than  (core/duration.hpp: "30", "12h", "4w"; seconds)
//   integer:   key_bits_below, shared_locations_at_least, intermediates_missing_at_least, security_bits_below
//   compared:  lifetime_days, lifetime_used_percent            ("> 398", ">= 80": an operator and a number)
//   date:      valid_beyond, issued_before, issued_on_or_after  (YYYY-MM-DD, UTC)
//   any of:    key_type, signature_algorithm, verify_error, location_kind   (a string or a list; globs,
//              case-insensitive)
//   glob:      issuer, subject                                 (shell glob over the RFC 2253 name, case-insensitive)
//   label key: shared_across_label                             (e.g. owner: one certificate at places of 2+ owners)
enum class Field {
    self_signed, is_ca, expired, not_yet_valid, has_san, hostname_match, chain_verified, key_reused,
    pinned_in_trust_store, trust_anchor, system_store, stale, leaf, order_correct, serves_default,
    intermediate_expires_before_leaf, quantum_vulnerable, key_exchange_quantum_vulnerable, public_root,
    expires_within, validity_longer_than, issued_more_than,
    key_bits_below, shared_locations_at_least, intermediates_missing_at_least, security_bits_below,
    lifetime_days, lifetime_used_percent,
    valid_beyond, issued_before, issued_on_or_after,
    key_type, signature_algorithm, verify_error, location_kind,
    issuer, subject,
    shared_across_label,
};
// In the order of the enum (and of the comment above), which is the order messages list them in.
inline constexpr std::array<EnumName<Field>, 38> kFieldNames{{
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
    {Field::system_store, "system_store"},
    {Field::stale, "stale"},
    {Field::leaf, "leaf"},
    {Field::order_correct, "order_correct"},
    {Field::serves_default, "serves_default"},
    {Field::intermediate_expires_before_leaf, "intermediate_expires_before_leaf"},
    {Field::quantum_vulnerable, "quantum_vulnerable"},
    {Field::key_exchange_quantum_vulnerable, "key_exchange_quantum_vulnerable"},
    {Field::public_root, "public_root"},
    {Field::expires_within, "expires_within"},
    {Field::validity_longer_than, "validity_longer_than"},
    {Field::issued_more_than, "issued_more_than"},
    {Field::key_bits_below, "key_bits_below"},
    {Field::shared_locations_at_least, "shared_locations_at_least"},
    {Field::intermediates_missing_at_least, "intermediates_missing_at_least"},
    {Field::security_bits_below, "security_bits_below"},
    {Field::lifetime_days, "lifetime_days"},
    {Field::lifetime_used_percent, "lifetime_used_percent"},
    {Field::valid_beyond, "valid_beyond"},
    {Field::issued_before, "issued_before"},
    {Field::issued_on_or_after, "issued_on_or_after"},
    {Field::key_type, "key_type"},
    {Field::signature_algorithm, "signature_algorithm"},
    {Field::verify_error, "verify_error"},
    {Field::location_kind, "location_kind"},
    {Field::issuer, "issuer"},
    {Field::subject, "subject"},
    {Field::shared_across_label, "shared_across_label"},
}};
constexpr const auto& enum_names(Field) { return kFieldNames; }

// A number a fact is compared with: `lifetime_days: "> 398"`.
struct Comparison {
    enum class Op { less, less_or_equal, equal, greater_or_equal, greater };
    Op op = Op::greater;
    std::int64_t value = 0;
    bool holds_for(double fact) const;
    bool operator==(const Comparison&) const = default;
};

using FieldValue = std::variant<bool, std::int64_t, std::string, std::vector<std::string>, Comparison>;

// A tree of tests: every child (all), one of them (any), the negation of its one child (not), or a field test.
struct Match {
    enum class Kind { all, any, negate, test };
    Kind kind = Kind::all;
    std::vector<Match> children;
    Field field = Field::self_signed;
    // For tests: bool, duration (seconds), integer or date (int64: a date as the last second of its day), glob or label key
    // (string), any-of (vector), compared (Comparison).
    FieldValue value;
    SourceMark mark;
};

// Which places a rule looks at. Every part given must hold; a part not given holds everywhere. Within a part,
// any listed item may match.
struct Scope {
    std::vector<std::string> cidrs;       // endpoint address within one of these blocks
    std::vector<std::string> hosts;       // endpoint host or server name matches one of these globs
    std::vector<std::uint16_t> ports;     // endpoint port
    std::vector<std::string> paths;       // file path matches one of these globs ('*' crosses '/')
    Labels labels;                        // the place carries every one of these labels
    std::optional<std::string> kind;      // "endpoint" or "file"
    bool empty() const { return cidrs.empty() && hosts.empty() && ports.empty() && paths.empty() && labels.empty() && !kind; }
};

// A finding not to raise: for one certificate (sha256) or one place (a glob over the place's display, as the
// reports print it: a path, or host:port), with the reason and an optional expiry date.
struct Exemption {
    std::optional<std::string> fingerprint;
    std::optional<std::string> location;
    std::string reason;
    std::optional<UnixTime> expires;  // end of that day, UTC
    SourceMark mark;
};

struct Rule {
    std::string id;
    std::string description;
    Severity severity = Severity::medium;
    Match match;                      // what is wrong (for a migration: what has to be replaced)
    Scope scope;
    std::string advice;               // what to do about it; built-in rules always say
    // Migration rules: by `deadline` (end of that day, UTC) every place in scope must present a certificate that
    // chains to `replace_with` (an issuer named by subject glob, or "spki:<sha256>" / "sha256:<sha256>").
    // After the deadline an unmet place is critical whatever `severity` says.
    std::optional<UnixTime> deadline;
    std::optional<std::string> replace_with;
    std::vector<Exemption> exemptions;
    SourceMark mark;
    bool is_migration() const { return deadline.has_value() || replace_with.has_value(); }
};

// How severities map to the Nagios status of `certfleet check`: the worst finding decides.
struct StatusMapping {
    Severity critical_from = Severity::critical;  // this severity and above: CRITICAL (2)
    Severity warning_from = Severity::medium;     // this and above, below critical_from: WARNING (1)
};

struct RuleSet {
    std::vector<Rule> rules;
    std::vector<Exemption> exemptions;  // apply to every rule
    StatusMapping status;
    std::vector<std::string> sources;   // files read, for messages
};

// The built-in policy (see builtin_policy.cpp for the rules and their advice).
const RuleSet& builtin_policy();

// Reads a rules file. Strict: YAML syntax errors, unknown keys, wrong types, unknown match fields, bad dates,
// bad CIDRs and duplicate ids are RulesErrors with FILE:LINE:COLUMN; `include: builtin` adds the built-in policy
// (a rule of the file with a built-in id replaces it). Files over 4 MiB are refused.
RuleSet read_rules_file(const std::string& path);
RuleSet parse_rules(const std::string& yaml, const std::string& source_name);

}  // namespace certfleet::rules
