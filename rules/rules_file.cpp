// Rules files: YAML (or JSON, which is YAML) into a RuleSet. The format is described in README.md ("Rules") and
// shown, commented, in rules/examples/. Validation is strict because a rules file fails quietly otherwise: a
// misspelt key or a value of the wrong type would disable a rule and nobody would notice the missing findings.
// So every problem is a RulesError that points at the line and column, and says what was expected there.
#include <fnmatch.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/duration.hpp"
#include "core/suggestion.hpp"
#include "rules/rules.hpp"
#include "rules/rules_values.hpp"
#include "rules/yaml_document.hpp"

namespace certfleet::rules {

namespace {

using namespace values;

constexpr std::size_t max_rules_file_bytes = 4u << 20;

// The classes a verify_error can be (see scanner/chain_verifier.cpp), and the kinds of place: a pattern for
// either field must match one of them, or the test could never hold.
const std::vector<std::string> verify_error_classes{
    "self-signed", "untrusted-root", "untrusted-issuer", "bad-signature", "invalid-chain", "expired",
    "not-yet-valid", "weak-crypto", "hostname-mismatch", "empty-chain", "other"};
const std::vector<std::string> location_kinds{"endpoint", "file"};

const std::vector<std::string> top_level_keys{"include", "status", "exemptions", "rules"};
const std::vector<std::string> status_keys{"critical_from", "warning_from"};
const std::vector<std::string> rule_keys{"id", "description", "severity", "match", "scope", "deadline",
                                         "replace_with", "advice", "exemptions"};
const std::vector<std::string> scope_keys{"cidr", "host", "port", "path", "labels", "kind"};
const std::vector<std::string> exemption_keys{"fingerprint", "location", "reason", "expires"};
const std::vector<std::string> combinator_keys{"all", "any", "not"};

[[noreturn]] void fail(const SourceMark& at, const std::string& message) {
    throw RulesError(at.to_string() + ": " + message);
}

// A YAML node with the key it was given under and where to point at it.
struct Located {
    std::string key;  // empty for the document itself
    YAML::Node node;
    SourceMark key_mark;
    SourceMark mark;  // of the node; of its key when the node is empty, which yaml-cpp marks where the next token is
};

struct MapEntries {
    SourceMark mark;
    std::vector<Located> entries;  // in document order

    const Located* find(std::string_view key) const {
        for (const auto& entry : entries) {
            if (entry.key == key) return &entry;
        }
        return nullptr;
    }
};

class RulesParser {
public:
    explicit RulesParser(std::string source) : source_(std::move(source)) {}

    RuleSet parse(const std::string& text) const {
        FirstDocument document;
        try {
            document = read_first_document(text);
        } catch (const YAML::ParserException& e) {
            // An unquoted glob like *sha1* reads as a YAML alias; say so, the parser's words do not.
            const bool alias = e.msg.find("anchor") != std::string::npos;
            fail(mark_of(e.mark), "YAML syntax error: " + e.msg +
                                      (alias ? " (quote a value that starts with '*': \"*sha1*\")" : ""));
        }
        if (document.next_root_mark)
            fail(mark_of(*document.next_root_mark), "a rules file holds one YAML document; remove the '---' before this");
        RuleSet set;
        set.sources.push_back(source_);
        bool include_builtin = false;
        if (document.root) {
            const Located root{"", *document.root, mark_of(document.root->Mark()), mark_of(document.root->Mark())};
            const MapEntries top = entries(root, "key", top_level_keys);
            if (const auto* include = top.find("include")) include_builtin = parse_include(*include);
            if (const auto* status = top.find("status")) set.status = parse_status(*status);
            if (const auto* exemptions = top.find("exemptions")) set.exemptions = parse_exemptions(*exemptions);
            if (const auto* rules = top.find("rules")) set.rules = parse_rules_list(*rules);
        }
        if (include_builtin) return with_builtin_policy(std::move(set));
        if (set.rules.empty())
            fail(document.root ? mark_of(document.root->Mark()) : SourceMark{source_, 1, 1},
                 "no rules: add a 'rules:' list, or 'include: builtin' for the built-in policy");
        return set;
    }

private:
    SourceMark mark_of(const YAML::Mark& mark) const {
        return SourceMark{source_, std::max(mark.line, 0) + 1, std::max(mark.column, 0) + 1};
    }

    Located item(const Located& parent, const YAML::Node& node) const {
        return Located{parent.key, node, mark_of(node.Mark()), mark_of(node.Mark())};
    }

    static std::string described(const YAML::Node& node) {
        if (node.IsScalar()) return "'" + node.Scalar() + "'";
        if (node.IsSequence()) return "a list";
        if (node.IsMap()) return "a map";
        return "nothing";
    }

    [[noreturn]] static void fail_type(const Located& value, const std::string& expected) {
        fail(value.mark, (value.key.empty() ? "" : value.key + ": ") + "expected " + expected + ", got " +
                             described(value.node));
    }

    // The entries of a map whose keys must be among `allowed`; `what` names them in messages ("rule key").
    MapEntries entries(const Located& map, const std::string& what, const std::vector<std::string>& allowed) const {
        if (!map.node.IsMap()) fail_type(map, "a map with the keys " + joined(allowed));
        MapEntries result{map.mark, {}};
        for (const auto& pair : map.node) {
            const SourceMark key_mark = mark_of(pair.first.Mark());
            if (!pair.first.IsScalar()) fail(key_mark, "expected a " + what + " (" + joined(allowed) + ")");
            const std::string key = pair.first.Scalar();
            if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
                fail(key_mark, "unknown " + what + " '" + key + "'" + suggestion(key, allowed) +
                                   "; allowed here: " + joined(allowed));
            if (const auto* first = result.find(key))
                fail(key_mark, "duplicate " + what + " '" + key + "' (first on line " +
                                   std::to_string(first->key_mark.line) + ")");
            const SourceMark value_mark = pair.second.IsNull() ? key_mark : mark_of(pair.second.Mark());
            result.entries.push_back(Located{key, pair.second, key_mark, value_mark});
        }
        return result;
    }

    // The items of a list; a single scalar where a list is expected is a list of one.
    std::vector<Located> items(const Located& list, const std::string& expected) const {
        std::vector<Located> result;
        if (list.node.IsScalar()) {
            result.push_back(list);
        } else if (list.node.IsSequence()) {
            for (const auto& node : list.node) result.push_back(item(list, node));
        } else {
            fail_type(list, expected);
        }
        return result;
    }

    std::vector<Located> non_empty_items(const Located& list, const std::string& expected) const {
        auto result = items(list, expected);
        if (result.empty()) fail_type(list, expected);
        return result;
    }

    static std::string text(const Located& value, const std::string& expected = "a string") {
        if (!value.node.IsScalar() || value.node.Scalar().empty()) fail_type(value, expected);
        return value.node.Scalar();
    }

    // A scalar read by `parse`, which returns nothing for a value it does not take.
    template <typename Parse>
    static auto converted(const Located& value, Parse parse, const std::string& expected) {
        auto result = value.node.IsScalar() ? parse(value.node.Scalar()) : std::nullopt;
        if (!result) fail_type(value, expected);
        return *result;
    }

    // Seconds; the message is the one the command line gives for the same text.
    static std::int64_t duration(const Located& value) {
        if (!value.node.IsScalar()) fail_type(value, "a duration, " + std::string(kDurationSyntax));
        if (const auto seconds = parse_duration(value.node.Scalar())) return *seconds;
        fail(value.mark, value.key + ": " + duration_problem(value.node.Scalar()));
    }

    static UnixTime date(const Located& value) { return converted(value, parse_end_of_day, "a real date as YYYY-MM-DD"); }

    static Severity severity(const Located& value) {
        const auto names = names_of<Severity>();
        const std::string name = text(value, "a severity: " + joined(names));
        const auto parsed = parse_enum<Severity>(name);
        if (!parsed)
            fail(value.mark, value.key + ": unknown severity '" + name + "'" + suggestion(name, names) +
                                 "; expected one of " + joined(names));
        return *parsed;
    }

    static bool parse_include(const Located& include) {
        if (!include.node.IsScalar() || include.node.Scalar() != "builtin") fail_type(include, "builtin (the built-in policy)");
        return true;
    }

    StatusMapping parse_status(const Located& status) const {
        StatusMapping mapping;
        const MapEntries keys = entries(status, "status key", status_keys);
        if (const auto* critical = keys.find("critical_from")) mapping.critical_from = severity(*critical);
        if (const auto* warning = keys.find("warning_from")) mapping.warning_from = severity(*warning);
        if (mapping.warning_from > mapping.critical_from)
            fail(keys.mark, std::string("status: warning_from (") + to_string(mapping.warning_from) +
                                ") is above critical_from (" + to_string(mapping.critical_from) + ")");
        return mapping;
    }

    std::vector<Exemption> parse_exemptions(const Located& list) const {
        std::vector<Exemption> result;
        for (const auto& entry : items(list, "a list of exemptions")) result.push_back(parse_exemption(entry));
        return result;
    }

    Exemption parse_exemption(const Located& located) const {
        const MapEntries keys = entries(located, "exemption key", exemption_keys);
        Exemption exemption;
        exemption.mark = keys.mark;
        const auto* fingerprint = keys.find("fingerprint");
        const auto* location = keys.find("location");
        if (!fingerprint && !location)
            fail(keys.mark, "exemption names neither a fingerprint nor a location: say what it exempts");
        if (fingerprint && location)
            fail(keys.mark, "exemption names both a fingerprint and a location: give one (two exemptions for both)");
        if (fingerprint)
            exemption.fingerprint =
                converted(*fingerprint, normalized_sha256, "a SHA-256 fingerprint of 64 hex digits (colons allowed)");
        if (location) exemption.location = text(*location, "a location glob like \"10.20.1.7:443\" or \"/etc/legacy/*\"");
        const auto* reason = keys.find("reason");
        if (!reason) fail(keys.mark, "exemption has no reason: say why the finding may stand");
        exemption.reason = text(*reason);
        if (const auto* expires = keys.find("expires")) exemption.expires = date(*expires);
        return exemption;
    }

    std::vector<Rule> parse_rules_list(const Located& list) const {
        std::vector<Rule> rules;
        for (const auto& entry : items(list, "a list of rules")) {
            Rule rule = parse_rule(entry);
            const auto first = std::find_if(rules.begin(), rules.end(), [&](const Rule& r) { return r.id == rule.id; });
            if (first != rules.end())
                fail(rule.mark, "duplicate rule id '" + rule.id + "' (first on line " + std::to_string(first->mark.line) + ")");
            rules.push_back(std::move(rule));
        }
        return rules;
    }

    Rule parse_rule(const Located& located) const {
        const MapEntries keys = entries(located, "rule key", rule_keys);
        Rule rule;
        const auto* id = keys.find("id");
        if (!id) fail(keys.mark, "rule has no id");
        rule.id = text(*id, "a rule id");
        if (!is_rule_id(rule.id))
            fail(id->mark, "id: '" + rule.id + "' is not a rule id: use letters, digits, '-', '_' and '.'");
        rule.mark = id->mark;
        const std::string which = "rule '" + rule.id + "'";
        const auto* severity_entry = keys.find("severity");
        if (!severity_entry) fail(keys.mark, which + " has no severity (" + joined(names_of<Severity>()) + ")");
        rule.severity = severity(*severity_entry);
        const auto* match = keys.find("match");
        if (!match) fail(keys.mark, which + " has no match: say what it finds");
        rule.match = parse_match(*match);
        if (const auto* description = keys.find("description")) rule.description = text(*description);
        if (const auto* advice = keys.find("advice")) rule.advice = text(*advice);
        if (const auto* scope = keys.find("scope")) rule.scope = parse_scope(*scope);
        if (const auto* deadline = keys.find("deadline")) rule.deadline = date(*deadline);
        if (const auto* replace_with = keys.find("replace_with")) rule.replace_with = parse_replacement(*replace_with);
        if (const auto* exemptions = keys.find("exemptions")) rule.exemptions = parse_exemptions(*exemptions);
        return rule;
    }

    // An issuer subject glob, or "spki:<sha256>" / "sha256:<sha256>" for one key or one certificate exactly.
    static std::string parse_replacement(const Located& value) {
        const std::string target = text(value, "an issuer subject glob, spki:<sha256> or sha256:<sha256>");
        for (const std::string prefix : {"spki:", "sha256:"}) {
            if (lowercase(target.substr(0, prefix.size())) != prefix) continue;
            const auto hex = normalized_sha256(target.substr(prefix.size()));
            if (!hex) fail_type(value, prefix + " and a SHA-256 of 64 hex digits");
            return prefix + *hex;
        }
        return target;
    }

    // A map: one key is that test, several keys must all hold.
    Match parse_match(const Located& located) const {
        if (!located.node.IsMap() || located.node.size() == 0) fail_type(located, "a match like {self_signed: true}");
        static const std::vector<std::string> allowed = [] {
            std::vector<std::string> keys = combinator_keys;
            const auto fields = names_of<Field>();
            keys.insert(keys.end(), fields.begin(), fields.end());
            return keys;
        }();
        const MapEntries keys = entries(located, "match field", allowed);
        if (keys.entries.size() == 1) return parse_match_entry(keys.entries.front());
        Match all;
        all.kind = Match::Kind::all;
        all.mark = keys.mark;
        for (const auto& entry : keys.entries) all.children.push_back(parse_match_entry(entry));
        return all;
    }

    Match parse_match_entry(const Located& entry) const {
        Match match;
        match.mark = entry.key_mark;
        if (entry.key == "all" || entry.key == "any") {
            match.kind = entry.key == "all" ? Match::Kind::all : Match::Kind::any;
            for (const auto& child : non_empty_items(entry, "a list of matches")) match.children.push_back(parse_match(child));
        } else if (entry.key == "not") {
            match.kind = Match::Kind::negate;
            match.children.push_back(parse_match(entry));
        } else {
            match.kind = Match::Kind::test;
            match.field = *parse_enum<Field>(entry.key);
            match.value = parse_field_value(match.field, entry);
        }
        return match;
    }

    FieldValue parse_field_value(Field field, const Located& value) const {
        switch (value_type(field)) {
            case ValueType::boolean: return converted(value, parse_boolean, "true or false");
            case ValueType::duration: return duration(value);
            case ValueType::integer: return converted(value, parse_positive, "a positive integer");
            case ValueType::compared:
                return converted(value, parse_comparison,
                                 "a comparison: one of >, >=, <, <=, = and a number, quoted, like \"> 398\"");
            case ValueType::date: return date(value);
            case ValueType::glob: return text(value, "a glob string");
            case ValueType::label_key: {
                const std::string key = text(value, "a label key");
                if (!is_label_key(key)) fail_type(value, "a label key (letters, digits, '_', '-', '.', '/')");
                return key;
            }
            case ValueType::any_of: {
                std::vector<std::string> patterns;
                for (const auto& pattern : non_empty_items(value, "a string or a list of strings")) {
                    patterns.push_back(text(pattern, "a string"));
                    if (field == Field::verify_error) require_known(pattern, verify_error_classes);
                    if (field == Field::location_kind) require_known(pattern, location_kinds);
                }
                return patterns;
            }
        }
        return false;
    }

    // A pattern must match a value the field can have, or the test would silently never hold.
    static void require_known(const Located& pattern, const std::vector<std::string>& known) {
        const std::string glob = pattern.node.Scalar();
        const bool matches_one = std::any_of(known.begin(), known.end(), [&](const std::string& word) {
            return fnmatch(glob.c_str(), word.c_str(), FNM_CASEFOLD) == 0;
        });
        if (!matches_one)
            fail(pattern.mark, pattern.key + ": '" + glob + "' matches none of " + joined(known) + suggestion(glob, known));
    }

    Scope parse_scope(const Located& located) const {
        const MapEntries keys = entries(located, "scope key", scope_keys);
        Scope scope;
        if (const auto* cidrs = keys.find("cidr")) {
            for (const auto& cidr : items(*cidrs, "a list of CIDR blocks"))
                scope.cidrs.push_back(
                    converted(cidr, checked_cidr, "an IPv4 or IPv6 address or CIDR block like 10.20.0.0/16"));
        }
        if (const auto* hosts = keys.find("host")) {
            for (const auto& host : items(*hosts, "a list of host globs")) scope.hosts.push_back(text(host, "a host glob"));
        }
        if (const auto* ports = keys.find("port")) {
            for (const auto& port : items(*ports, "a list of ports"))
                scope.ports.push_back(converted(port, parse_port, "a port number from 1 to 65535"));
        }
        if (const auto* paths = keys.find("path")) {
            for (const auto& path : items(*paths, "a list of path globs")) {
                // Places are recorded by absolute path, so a relative pattern could never match.
                const std::string glob = text(path, "a path glob");
                if (glob.front() != '/' && glob.front() != '*') fail_type(path, "an absolute path glob like /etc/legacy/*");
                scope.paths.push_back(glob);
            }
        }
        if (const auto* labels = keys.find("labels")) scope.labels = parse_labels(*labels);
        if (const auto* kind = keys.find("kind")) {
            scope.kind = text(*kind, "endpoint or file");
            if (*scope.kind != "endpoint" && *scope.kind != "file") fail_type(*kind, "endpoint or file");
        }
        require_one_kind_of_place(keys, scope);
        return scope;
    }

    // Addresses and ports belong to endpoints, paths to files: a scope asking for both could match nothing.
    static void require_one_kind_of_place(const MapEntries& keys, const Scope& scope) {
        const bool endpoint_parts = !scope.cidrs.empty() || !scope.hosts.empty() || !scope.ports.empty();
        const bool file_parts = !scope.paths.empty();
        if (endpoint_parts && file_parts)
            fail(keys.mark, "scope: cidr, host and port select endpoints, path selects files; no place is both "
                            "(write one rule for each)");
        if (scope.kind == "file" && endpoint_parts)
            fail(keys.mark, "scope: kind is file, but cidr, host and port select endpoints");
        if (scope.kind == "endpoint" && file_parts) fail(keys.mark, "scope: kind is endpoint, but path selects files");
    }

    Labels parse_labels(const Located& located) const {
        if (!located.node.IsMap()) fail_type(located, "a map of label keys to values, like {env: prod}");
        Labels labels;
        for (const auto& pair : located.node) {
            const Located key{"labels", pair.first, mark_of(pair.first.Mark()), mark_of(pair.first.Mark())};
            const std::string name = text(key, "a label key");
            if (!is_label_key(name)) fail_type(key, "a label key (letters, digits, '_', '-', '.', '/')");
            if (std::any_of(labels.begin(), labels.end(), [&](const Label& l) { return l.key == name; }))
                fail(key.mark, "labels: duplicate label key '" + name + "'");
            const Located value{name, pair.second, key.mark, pair.second.IsNull() ? key.mark : mark_of(pair.second.Mark())};
            labels.push_back(Label{name, text(value, "a label value")});
        }
        return labels;
    }

    // The built-in rules, in their order, with the file's rules replacing those of the same id and the rest after.
    static RuleSet with_builtin_policy(RuleSet file) {
        RuleSet merged = builtin_policy();
        for (auto& rule : file.rules) {
            const auto builtin = std::find_if(merged.rules.begin(), merged.rules.end(),
                                              [&](const Rule& r) { return r.id == rule.id; });
            if (builtin != merged.rules.end()) {
                *builtin = std::move(rule);
            } else {
                merged.rules.push_back(std::move(rule));
            }
        }
        merged.exemptions.insert(merged.exemptions.end(), file.exemptions.begin(), file.exemptions.end());
        merged.status = file.status;
        merged.sources.insert(merged.sources.end(), file.sources.begin(), file.sources.end());
        return merged;
    }

    std::string source_;
};

}  // namespace

RuleSet parse_rules(const std::string& yaml, const std::string& source_name) {
    return RulesParser(source_name).parse(yaml);
}

RuleSet read_rules_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw RulesError(path + ": cannot read the rules file: " + std::strerror(errno));
    std::string text;
    text.resize(max_rules_file_bytes + 1);
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (in.bad()) throw RulesError(path + ": cannot read the rules file");
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_rules_file_bytes) throw RulesError(path + ": larger than 4 MiB; a rules file is not that big");
    return parse_rules(text, path);
}

}  // namespace certfleet::rules
