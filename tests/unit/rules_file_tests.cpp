#include <catch2/catch.hpp>

#include <filesystem>

#include "rules/rules.hpp"
#include "testkit/cert_factory.hpp"

using namespace certfleet;
using namespace certfleet::rules;
using certfleet::testing::TempDir;
using certfleet::testing::write_file;

namespace {

const std::filesystem::path examples_dir =
    std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "rules" / "examples";

// One rule around a match written in flow style, e.g. "{self_signed: true}".
std::string rule_with_match(const std::string& match) {
    return "rules:\n"
           "  - id: r\n"
           "    severity: high\n"
           "    match: " + match + "\n";
}

Match parsed_match(const std::string& match) { return parse_rules(rule_with_match(match), "test.yaml").rules.at(0).match; }

std::string error_of(const std::string& yaml) {
    try {
        parse_rules(yaml, "test.yaml");
    } catch (const RulesError& e) {
        return e.what();
    }
    return "(no error)";
}

std::string match_error(const std::string& match) { return error_of(rule_with_match(match)); }

const Rule& rule_named(const RuleSet& set, const std::string& id) {
    for (const auto& rule : set.rules) {
        if (rule.id == id) return rule;
    }
    FAIL("no rule " << id);
    throw;
}

using Strings = std::vector<std::string>;

}  // namespace

TEST_CASE("rules: every match field parses its type and rejects a wrong one", "[rules]") {
    struct FieldCase {
        std::string field;
        std::string good;
        FieldValue expected;
        std::string bad;
        std::string complaint;
    };
    const std::string boolean_complaint = "expected true or false, got 'yes'";
    const std::vector<FieldCase> cases{
        {"self_signed", "true", true, "yes", boolean_complaint},
        {"is_ca", "false", false, "yes", boolean_complaint},
        {"expired", "true", true, "yes", boolean_complaint},
        {"not_yet_valid", "true", true, "yes", boolean_complaint},
        {"has_san", "False", false, "yes", boolean_complaint},
        {"hostname_match", "false", false, "yes", boolean_complaint},
        {"chain_verified", "false", false, "yes", boolean_complaint},
        {"key_reused", "true", true, "yes", boolean_complaint},
        {"pinned_in_trust_store", "true", true, "yes", boolean_complaint},
        {"trust_anchor", "true", true, "yes", boolean_complaint},
        {"system_store", "false", false, "yes", boolean_complaint},
        {"stale", "true", true, "yes", boolean_complaint},
        {"leaf", "true", true, "yes", boolean_complaint},
        {"order_correct", "false", false, "yes", boolean_complaint},
        {"serves_default", "true", true, "yes", boolean_complaint},
        {"intermediate_expires_before_leaf", "true", true, "[true]", "expected true or false, got a list"},
        {"expires_within", "30d", std::int64_t{30 * 86400}, "soon", "'soon' does not start with a number"},
        {"validity_longer_than", "1y", std::int64_t{365 * 86400}, "-5d", "'-5d' is negative"},
        {"key_bits_below", "2048", std::int64_t{2048}, "lots", "expected a positive integer, got 'lots'"},
        {"shared_locations_at_least", "3", std::int64_t{3}, "0", "expected a positive integer, got '0'"},
        {"intermediates_missing_at_least", "1", std::int64_t{1}, "-1", "expected a positive integer, got '-1'"},
        {"key_type", "[RSA, EC]", Strings{"RSA", "EC"}, "{a: b}", "expected a string or a list of strings, got a map"},
        {"signature_algorithm", "'*sha1*'", Strings{"*sha1*"}, "[]", "expected a string or a list of strings, got a list"},
        {"verify_error", "[untrusted-*, self-signed]", Strings{"untrusted-*", "self-signed"}, "untrusted-rot",
         "'untrusted-rot' matches none of self-signed, untrusted-root"},
        {"location_kind", "endpoint", Strings{"endpoint"}, "endpiont",
         "'endpiont' matches none of endpoint, file (did you mean 'endpoint'?)"},
        {"issuer", "'*CN=Corp CA*'", std::string("*CN=Corp CA*"), "[a]", "expected a glob string, got a list"},
        {"subject", "CN=api", std::string("CN=api"), "", "expected a glob string, got nothing"},
        {"shared_across_label", "owner", std::string("owner"), "'own er'", "expected a label key"},
        {"quantum_vulnerable", "true", true, "maybe", "expected true or false, got 'maybe'"},
        {"key_exchange_quantum_vulnerable", "false", false, "no", "expected true or false, got 'no'"},
        {"public_root", "true", true, "public", "expected true or false, got 'public'"},
        {"issued_more_than", "1y", std::int64_t{365 * 86400}, "yearly", "'yearly' does not start with a number"},
        {"security_bits_below", "128", std::int64_t{128}, "strong", "expected a positive integer, got 'strong'"},
        {"lifetime_days", "'> 398'", Comparison{Comparison::Op::greater, 398}, "398",
         "expected a comparison: one of >, >=, <, <=, = and a number"},
        {"lifetime_used_percent", "'>= 80'", Comparison{Comparison::Op::greater_or_equal, 80}, "'80%'",
         "expected a comparison"},
        {"valid_beyond", "2030-12-31", std::int64_t{1924991999}, "2030-02-30", "expected a real date as YYYY-MM-DD"},
        {"issued_before", "2026-03-15", std::int64_t{1773619199}, "soon", "expected a real date as YYYY-MM-DD"},
        {"issued_on_or_after", "2029-03-15", std::int64_t{1868313599}, "[2029-03-15]", "expected a real date"},
    };
    REQUIRE(cases.size() == names_of<Field>().size());
    for (const auto& c : cases) {
        INFO(c.field);
        REQUIRE(parse_enum<Field>(c.field).has_value());
        const Match match = parsed_match("{" + c.field + ": " + c.good + "}");
        CHECK(match.kind == Match::Kind::test);
        CHECK(match.field == *parse_enum<Field>(c.field));
        CHECK(match.value == c.expected);
        const std::string error = match_error("{" + c.field + ": " + c.bad + "}");
        CHECK_THAT(error, Catch::Contains(c.field + ": " + c.complaint));
        CHECK_THAT(error, Catch::StartsWith("test.yaml:4:"));
    }
}

TEST_CASE("rules: durations take the command line's syntax and are kept in seconds", "[rules]") {
    constexpr std::int64_t kDay = 86400;
    CHECK(parsed_match("{expires_within: 4w}").value == FieldValue{28 * kDay});
    CHECK(parsed_match("{expires_within: 90}").value == FieldValue{90 * kDay});
    CHECK(parsed_match("{expires_within: 0d}").value == FieldValue{std::int64_t{0}});
    CHECK(parsed_match("{expires_within: 12h}").value == FieldValue{std::int64_t{12 * 3600}});
    CHECK(parsed_match("{validity_longer_than: 2Y}").value == FieldValue{730 * kDay});
    CHECK_THAT(match_error("{expires_within: 3m}"), Catch::Contains("expires_within: '3m': certfleet has no month or minute unit; write 30d"));
    CHECK_THAT(match_error("{expires_within: 101y}"), Catch::Contains("'101y' is over a hundred years"));
    CHECK_THAT(match_error("{expires_within: 99999999999999999999d}"), Catch::Contains("is over a hundred years"));
    CHECK_THAT(match_error("{expires_within: [30d]}"), Catch::Contains("expected a duration, a number of days (30)"));
}

TEST_CASE("rules: all, any and not nest, several keys in one map must all hold", "[rules]") {
    const Match match = parsed_match("{any: [{all: [{leaf: true}, {not: {is_ca: true}}]}, {expired: true}]}");
    REQUIRE(match.kind == Match::Kind::any);
    REQUIRE(match.children.size() == 2);
    const Match& all = match.children[0];
    REQUIRE(all.kind == Match::Kind::all);
    REQUIRE(all.children.size() == 2);
    CHECK(all.children[0].field == Field::leaf);
    REQUIRE(all.children[1].kind == Match::Kind::negate);
    REQUIRE(all.children[1].children.size() == 1);
    CHECK(all.children[1].children[0].field == Field::is_ca);
    CHECK(all.children[1].children[0].value == FieldValue{true});
    CHECK(match.children[1].field == Field::expired);

    const Match shorthand = parsed_match("{leaf: true, self_signed: true, not: {trust_anchor: true}}");
    REQUIRE(shorthand.kind == Match::Kind::all);
    REQUIRE(shorthand.children.size() == 3);
    CHECK(shorthand.children[0].field == Field::leaf);
    CHECK(shorthand.children[1].field == Field::self_signed);
    CHECK(shorthand.children[2].kind == Match::Kind::negate);

    // Nothing that would make a rule match everything or nothing without saying so.
    CHECK_THAT(match_error("{}"), Catch::Contains("match: expected a match like {self_signed: true}, got a map"));
    CHECK_THAT(match_error("{any: []}"), Catch::Contains("any: expected a list of matches, got a list"));
    CHECK_THAT(match_error("{all: [leaf]}"), Catch::Contains("all: expected a match like {self_signed: true}, got 'leaf'"));
    CHECK_THAT(match_error("{not: [{leaf: true}]}"), Catch::Contains("not: expected a match like"));
}

TEST_CASE("rules: every scope part, lists or single values", "[rules]") {
    const auto set = parse_rules(
        "rules:\n"
        "  - id: endpoints\n"
        "    severity: low\n"
        "    match: {leaf: true}\n"
        "    scope:\n"
        "      cidr: [10.20.0.0/16, 2001:db8::/32, 192.0.2.7, '2001:db8::1']\n"
        "      host: '*.example.com'\n"
        "      port: [443, 8443]\n"
        "      labels: {env: prod, owner: payments}\n"
        "      kind: endpoint\n"
        "  - id: files\n"
        "    severity: low\n"
        "    match: {leaf: true}\n"
        "    scope: {path: /etc/legacy/*, kind: file}\n"
        "  - id: everywhere\n"
        "    severity: low\n"
        "    match: {leaf: true}\n",
        "test.yaml");
    const Scope& endpoints = rule_named(set, "endpoints").scope;
    CHECK(endpoints.cidrs == Strings{"10.20.0.0/16", "2001:db8::/32", "192.0.2.7", "2001:db8::1"});
    CHECK(endpoints.hosts == Strings{"*.example.com"});
    CHECK(endpoints.ports == std::vector<std::uint16_t>{443, 8443});
    CHECK(endpoints.labels == Labels{{"env", "prod"}, {"owner", "payments"}});
    CHECK(endpoints.kind == "endpoint");
    const Scope& files = rule_named(set, "files").scope;
    CHECK(files.paths == Strings{"/etc/legacy/*"});
    CHECK(files.kind == "file");
    CHECK(rule_named(set, "everywhere").scope.empty());
}

TEST_CASE("rules: scope values are checked", "[rules]") {
    const auto scope_error = [](const std::string& scope) {
        return error_of(rule_with_match("{leaf: true}") + "    scope: " + scope + "\n");
    };
    const std::string cidr_complaint = "cidr: expected an IPv4 or IPv6 address or CIDR block like 10.20.0.0/16";
    CHECK_THAT(scope_error("{cidr: 10.0.0.0/33}"), Catch::StartsWith("test.yaml:5:19: " + cidr_complaint));
    CHECK_THAT(scope_error("{cidr: [300.1.1.1/8]}"), Catch::Contains(cidr_complaint + ", got '300.1.1.1/8'"));
    CHECK_THAT(scope_error("{cidr: '2001:db8::/129'}"), Catch::Contains(cidr_complaint));
    CHECK_THAT(scope_error("{cidr: 10.0.0.0/}"), Catch::Contains(cidr_complaint));
    CHECK_THAT(scope_error("{port: [443, 65536]}"),
               Catch::StartsWith("test.yaml:5:25: port: expected a port number from 1 to 65535, got '65536'"));
    CHECK_THAT(scope_error("{port: 0}"), Catch::Contains("expected a port number"));
    CHECK_THAT(scope_error("{path: etc/legacy}"), Catch::Contains("path: expected an absolute path glob"));
    CHECK_THAT(scope_error("{kind: files}"), Catch::Contains("kind: expected endpoint or file, got 'files'"));
    CHECK_THAT(scope_error("{labels: [env]}"), Catch::Contains("labels: expected a map of label keys to values"));
    CHECK_THAT(scope_error("{labels: {env: }}"), Catch::Contains("env: expected a label value, got nothing"));
    CHECK_THAT(scope_error("{labels: {'e v': prod}}"), Catch::Contains("expected a label key"));
    CHECK_THAT(scope_error("{cidr: 10.0.0.0/8, path: /etc/x}"), Catch::Contains("no place is both"));
    CHECK_THAT(scope_error("{kind: file, port: 443}"), Catch::Contains("kind is file"));
    CHECK_THAT(scope_error("{kind: endpoint, path: /x}"), Catch::Contains("kind is endpoint"));
    CHECK_THAT(scope_error("{ports: 443}"),
               Catch::StartsWith("test.yaml:5:13: unknown scope key 'ports' (did you mean 'port'?); "
                                 "allowed here: cidr, host, port, path, labels, kind"));
}

TEST_CASE("rules: severities, descriptions, advice, deadlines and replacements", "[rules]") {
    const auto set = parse_rules(
        "rules:\n"
        "  - id: move-to-internal-ca\n"
        "    description: Leaves must chain to the internal CA\n"
        "    severity: info\n"
        "    match: {leaf: true}\n"
        "    deadline: 2027-03-31\n"
        "    replace_with: 'CN=Internal Issuing CA*'\n"
        "    advice: Request a certificate from the internal CA.\n"
        "  - id: pin-key\n"
        "    severity: critical\n"
        "    match: {leaf: true}\n"
        "    replace_with: 'SPKI:" + std::string(64, 'A') + "'\n"
        "  - id: plain\n"
        "    severity: low\n"
        "    match: {leaf: true}\n",
        "test.yaml");
    const Rule& migration = rule_named(set, "move-to-internal-ca");
    CHECK(migration.severity == Severity::info);
    CHECK(migration.description == "Leaves must chain to the internal CA");
    CHECK(migration.advice == "Request a certificate from the internal CA.");
    CHECK(migration.deadline == UnixTime{1806537599});  // 2027-03-31T23:59:59Z
    CHECK(migration.replace_with == "CN=Internal Issuing CA*");
    CHECK(migration.is_migration());
    CHECK(migration.mark.to_string() == "test.yaml:2:9");
    const Rule& pin = rule_named(set, "pin-key");
    CHECK(pin.severity == Severity::critical);
    CHECK(pin.replace_with == "spki:" + std::string(64, 'a'));
    CHECK_FALSE(pin.deadline);
    CHECK(pin.is_migration());
    CHECK_FALSE(rule_named(set, "plain").is_migration());
    CHECK(set.sources == Strings{"test.yaml"});

    for (const auto* name : {"info", "low", "medium", "high", "critical"}) {
        REQUIRE(parse_enum<Severity>(name));
        CHECK(to_string(*parse_enum<Severity>(name)) == std::string(name));
    }
    CHECK(Severity::critical > Severity::high);
    CHECK_FALSE(parse_enum<Severity>("urgent"));
}

TEST_CASE("rules: dates are real days and end at 23:59:59 UTC", "[rules]") {
    const auto deadline_of = [](const std::string& date) {
        return parse_rules(rule_with_match("{leaf: true}") + "    deadline: " + date + "\n", "test.yaml").rules[0].deadline;
    };
    CHECK(deadline_of("2027-01-31") == UnixTime{1801439999});
    CHECK(deadline_of("2024-02-29") == UnixTime{1709251199});
    const auto deadline_error = [](const std::string& date) {
        return error_of(rule_with_match("{leaf: true}") + "    deadline: " + date + "\n");
    };
    for (const auto* bad : {"2027-02-29", "2027-13-01", "2027-1-31", "31.01.2027", "tomorrow", "2027-01-32"}) {
        INFO(bad);
        CHECK_THAT(deadline_error(bad), Catch::StartsWith("test.yaml:5:15: deadline: expected a real date as YYYY-MM-DD, got '" +
                                                          std::string(bad) + "'"));
    }
}

TEST_CASE("rules: exemptions, for every rule or for one", "[rules]") {
    const std::string fingerprint = "3F:2A:" + std::string(60, 'B');
    const auto set = parse_rules(
        "exemptions:\n"
        "  - fingerprint: '" + fingerprint + "'\n"
        "    reason: vendor appliance, replaced in Q2\n"
        "    expires: 2027-01-31\n"
        "rules:\n"
        "  - id: r\n"
        "    severity: high\n"
        "    match: {leaf: true}\n"
        "    exemptions:\n"
        "      - location: '/etc/legacy/*'\n"
        "        reason: decommissioned\n",
        "test.yaml");
    REQUIRE(set.exemptions.size() == 1);
    const Exemption& global = set.exemptions[0];
    CHECK(global.fingerprint == "3f2a" + std::string(60, 'b'));
    CHECK_FALSE(global.location);
    CHECK(global.reason == "vendor appliance, replaced in Q2");
    CHECK(global.expires == UnixTime{1801439999});
    CHECK(global.mark.to_string() == "test.yaml:2:5");
    REQUIRE(set.rules[0].exemptions.size() == 1);
    const Exemption& local = set.rules[0].exemptions[0];
    CHECK(local.location == "/etc/legacy/*");
    CHECK_FALSE(local.fingerprint);
    CHECK_FALSE(local.expires);

    const auto exemption_error = [](const std::string& exemption) { return error_of("include: builtin\nexemptions:\n  - " + exemption + "\n"); };
    CHECK_THAT(exemption_error("{location: 'a:443'}"), Catch::StartsWith("test.yaml:3:5: exemption has no reason"));
    CHECK_THAT(exemption_error("{reason: why}"), Catch::StartsWith("test.yaml:3:5: exemption names neither"));
    CHECK_THAT(exemption_error("{reason: why, location: x, fingerprint: " + std::string(64, 'a') + "}"),
               Catch::Contains("names both"));
    CHECK_THAT(exemption_error("{reason: why, fingerprint: abc123}"),
               Catch::StartsWith("test.yaml:3:32: fingerprint: expected a SHA-256 fingerprint of 64 hex digits"));
    CHECK_THAT(exemption_error("{reason: why, fingerprint: " + std::string(64, 'g') + "}"), Catch::Contains("64 hex digits"));
    CHECK_THAT(exemption_error("{reason: why, location: x, expires: 2027-02-30}"), Catch::Contains("expires: expected a real date"));
    CHECK_THAT(exemption_error("{reason: why, location: x, until: 2027-02-01}"),
               Catch::Contains("unknown exemption key 'until'; allowed here: fingerprint, location, reason, expires"));
}

TEST_CASE("rules: status mapping", "[rules]") {
    const auto set = parse_rules("include: builtin\nstatus: {critical_from: high, warning_from: low}\n", "test.yaml");
    CHECK(set.status.critical_from == Severity::high);
    CHECK(set.status.warning_from == Severity::low);
    const auto defaults = parse_rules("include: builtin\n", "test.yaml").status;
    CHECK(defaults.critical_from == Severity::critical);
    CHECK(defaults.warning_from == Severity::medium);
    CHECK_THAT(error_of("include: builtin\nstatus: {critical_from: medium, warning_from: high}\n"),
               Catch::StartsWith("test.yaml:2:9: status: warning_from (high) is above critical_from (medium)"));
    CHECK_THAT(error_of("include: builtin\nstatus: {critical_from: severe}\n"),
               Catch::StartsWith("test.yaml:2:25: critical_from: unknown severity 'severe'"));
}

TEST_CASE("rules: include builtin, and a file's rule replaces the built-in rule of its id", "[rules]") {
    const auto set = parse_rules(
        "include: builtin\n"
        "rules:\n"
        "  - id: expires-within-30-days\n"
        "    severity: medium\n"
        "    match: {expires_within: 6w}\n"
        "  - id: team-rule\n"
        "    severity: low\n"
        "    match: {leaf: true}\n",
        "test.yaml");
    CHECK(set.rules.size() == builtin_policy().rules.size() + 1);
    const Rule& replaced = rule_named(set, "expires-within-30-days");
    CHECK(replaced.severity == Severity::medium);
    CHECK(replaced.mark.to_string() == "test.yaml:3:9");
    CHECK(rule_named(set, "expired").mark.to_string() == "built-in");
    CHECK(set.rules.back().id == "team-rule");
    CHECK(set.sources == Strings{"built-in", "test.yaml"});
    CHECK_THAT(error_of("include: everything\n"),
               Catch::StartsWith("test.yaml:1:10: include: expected builtin (the built-in policy), got 'everything'"));
}

TEST_CASE("rules: an empty file or one without rules is an error unless it includes the built-in policy", "[rules]") {
    CHECK_THAT(error_of(""), Catch::StartsWith("test.yaml:1:1: no rules"));
    CHECK_THAT(error_of("# nothing yet\n"), Catch::StartsWith("test.yaml:1:1: no rules"));
    CHECK_THAT(error_of("rules: []\n"), Catch::StartsWith("test.yaml:1:1: no rules"));
    CHECK(parse_rules("include: builtin\n", "test.yaml").rules.size() == builtin_policy().rules.size());
}

TEST_CASE("rules: each error points at its line and column", "[rules]") {
    CHECK_THAT(error_of("# team rules\n"
                        "rules:\n"
                        "  - id: r\n"
                        "    severity: high\n"
                        "    match:\n"
                        "      any:\n"
                        "      - self_sigend: true\n"),
               Catch::StartsWith("test.yaml:7:9: unknown match field 'self_sigend' (did you mean 'self_signed'?); "
                                 "allowed here: all, any, not, self_signed, is_ca,"));
    CHECK_THAT(error_of("rules:\n  - id: r\n    severity: high\n    match: {expires_within: soon}\n"),
               Catch::StartsWith("test.yaml:4:29: expires_within: 'soon' does not start with a number: expected a number "
                                 "of days (30) or a number with a unit: 12h, 30d, 2w, 1y"));
    CHECK_THAT(error_of("rules: [\n  {id: r\n"), Catch::StartsWith("test.yaml:") && Catch::Contains("YAML syntax error"));
    CHECK_THAT(error_of("rules:\n  - id: r\n   severity: high\n"), Catch::StartsWith("test.yaml:3:") && Catch::Contains("YAML syntax error"));
    CHECK_THAT(match_error("{signature_algorithm: *sha1*}"),
               Catch::StartsWith("test.yaml:4:34: YAML syntax error: ") && Catch::EndsWith("quote a value that starts with '*': \"*sha1*\")"));
    CHECK_THAT(error_of("rule:\n  - id: r\n"),
               Catch::StartsWith("test.yaml:1:1: unknown key 'rule' (did you mean 'rules'?); allowed here: include, "
                                 "status, exemptions, rules"));
    CHECK_THAT(error_of("rules:\n  - id: r\n    severity: high\n    match: {leaf: true}\n    sevrity: low\n"),
               Catch::StartsWith("test.yaml:5:5: unknown rule key 'sevrity' (did you mean 'severity'?); allowed here: id,"));
    CHECK_THAT(error_of("rules:\n  - id: r\n    severity: hihg\n    match: {leaf: true}\n"),
               Catch::StartsWith("test.yaml:3:15: severity: unknown severity 'hihg' (did you mean 'high'?); expected one "
                                 "of info, low, medium, high, critical"));
    CHECK_THAT(error_of("rules:\n  - id: r\n    severity: high\n    match: {leaf: true}\n    severity: low\n"),
               Catch::StartsWith("test.yaml:5:5: duplicate rule key 'severity' (first on line 3)"));
    CHECK_THAT(error_of("rules:\n"
                        "  - {id: same, severity: low, match: {leaf: true}}\n"
                        "  - {id: other, severity: low, match: {leaf: true}}\n"
                        "  - {id: same, severity: low, match: {leaf: true}}\n"),
               Catch::StartsWith("test.yaml:4:10: duplicate rule id 'same' (first on line 2)"));
    CHECK_THAT(error_of("rules:\n  - severity: high\n    match: {leaf: true}\n"), Catch::StartsWith("test.yaml:2:5: rule has no id"));
    CHECK_THAT(error_of("rules:\n  - id: r\n    match: {leaf: true}\n"),
               Catch::StartsWith("test.yaml:2:5: rule 'r' has no severity"));
    CHECK_THAT(error_of("rules:\n  - id: r\n    severity: high\n"), Catch::StartsWith("test.yaml:2:5: rule 'r' has no match"));
    CHECK_THAT(error_of("rules:\n  - id: 'a rule'\n    severity: high\n    match: {leaf: true}\n"),
               Catch::StartsWith("test.yaml:2:9: id: 'a rule' is not a rule id"));
    CHECK_THAT(error_of("rules:\n  - id: r\n    severity: high\n    match: {leaf: true}\n    replace_with: 'sha256:abc'\n"),
               Catch::StartsWith("test.yaml:5:19: replace_with: expected sha256: and a SHA-256 of 64 hex digits"));
    CHECK_THAT(error_of("rules:\n  - id: r\n    severity: high\n    match: {leaf: true}\n    description:\n"),
               Catch::StartsWith("test.yaml:5:5: description: expected a string, got nothing"));
    CHECK_THAT(error_of("rules:\n  id: r\n"), Catch::StartsWith("test.yaml:2:3: rules: expected a list of rules, got a map"));
    CHECK_THAT(error_of("- rules\n"), Catch::StartsWith("test.yaml:1:1: expected a map with the keys include, status"));
    CHECK_THAT(error_of("include: builtin\n---\nrules: []\n"), Catch::StartsWith("test.yaml:3:1: a rules file holds one YAML document"));
}

TEST_CASE("rules: a stray ',' is a syntax error where it stands, not a hang", "[rules]") {
    // yaml-cpp 0.7's LoadAll reads the same empty document here forever (found by fuzz/rules_file_fuzzer.cpp).
    CHECK_THAT(error_of(","), Catch::StartsWith("test.yaml:1:1: YAML syntax error: unexpected ','"));
    CHECK_THAT(error_of("# team rules\n  , id: r\n"), Catch::StartsWith("test.yaml:2:3: YAML syntax error: unexpected ','"));
    CHECK_THAT(error_of("include: builtin\n---\n,\n"), Catch::StartsWith("test.yaml:3:1: a rules file holds one YAML document"));
}

TEST_CASE("rules: JSON is read like YAML", "[rules]") {
    const auto set = parse_rules(R"({
  "rules": [
    {"id": "json-rule", "severity": "medium",
     "match": {"all": [{"leaf": true}, {"expires_within": "30d"}, {"verify_error": ["untrusted-root"]}]},
     "scope": {"port": [443], "labels": {"env": "prod"}}}
  ]
})",
                                 "test.json");
    REQUIRE(set.rules.size() == 1);
    const Rule& rule = set.rules[0];
    CHECK(rule.id == "json-rule");
    REQUIRE(rule.match.children.size() == 3);
    CHECK(rule.match.children[1].value == FieldValue{std::int64_t{30 * 86400}});
    CHECK(rule.scope.ports == std::vector<std::uint16_t>{443});
    CHECK_THAT(error_of(R"({"rules": [{"id": "r", "severity": "high", "match": {"leaf": "yes"}}]})"),
               Catch::StartsWith("test.yaml:1:62: leaf: expected true or false, got 'yes'"));
}

TEST_CASE("rules: read_rules_file reads the examples and refuses what it cannot read", "[rules]") {
    const auto migration = read_rules_file((examples_dir / "migration.yaml").string());
    CHECK(migration.sources == Strings{(examples_dir / "migration.yaml").string()});
    CHECK(rule_named(migration, "replace-self-signed-10-20").is_migration());
    CHECK(rule_named(migration, "replace-self-signed-10-20").exemptions.size() == 1);
    CHECK(migration.exemptions.size() == 1);
    const auto hygiene = read_rules_file((examples_dir / "hygiene.yaml").string());
    CHECK(hygiene.rules.size() == builtin_policy().rules.size() + 2);
    CHECK(rule_named(hygiene, "expires-within-30-days").mark.line > 0);
    const auto pqc = read_rules_file((examples_dir / "pqc-readiness.yaml").string());
    CHECK(rule_named(pqc, "replace-quantum-vulnerable-ca-keys").is_migration());
    const auto rotation = read_rules_file((examples_dir / "rotation.yaml").string());
    CHECK(rotation.rules.size() == builtin_policy().rules.size() + 2);

    TempDir dir;
    CHECK_THROWS_WITH(read_rules_file((dir / "missing.yaml").string()), Catch::Contains("missing.yaml: cannot read"));
    write_file(dir / "huge.yaml", "# " + std::string(4u << 20, 'x') + "\n");
    CHECK_THROWS_WITH(read_rules_file((dir / "huge.yaml").string()), Catch::Contains("larger than 4 MiB"));
    write_file(dir / "typo.yaml", "rules:\n  - id: r\n    severity: high\n    match: {leaf: ture}\n");
    CHECK_THROWS_WITH(read_rules_file((dir / "typo.yaml").string()),
                      Catch::StartsWith((dir / "typo.yaml").string() + ":4:19: leaf: expected true or false"));
}

TEST_CASE("rules: the built-in policy has every hygiene rule, with advice", "[rules]") {
    const RuleSet& policy = builtin_policy();
    const std::vector<std::pair<std::string, Severity>> expected{
        {"expired", Severity::critical},
        {"expires-within-14-days", Severity::critical},
        {"expires-within-30-days", Severity::high},
        {"not-yet-valid", Severity::high},
        {"self-signed-leaf", Severity::high},
        {"chain-not-trusted", Severity::high},
        {"hostname-mismatch", Severity::high},
        {"weak-key", Severity::high},
        {"weak-signature", Severity::high},
        {"key-112-bit-beyond-2030", Severity::low},
        {"quantum-vulnerable-beyond-2035", Severity::low},
        {"quantum-vulnerable-key-exchange", Severity::info},
        {"public-leaf-over-cabf-maximum", Severity::high},
        {"public-leaf-renewal-outlasts-next-cabf-step", Severity::low},
        {"leaf-validity-too-long", Severity::medium},
        {"leaf-without-san", Severity::medium},
        {"ca-served-as-leaf", Severity::high},
        {"chain-out-of-order", Severity::low},
        {"intermediate-missing", Severity::medium},
        {"intermediate-expires-before-leaf", Severity::medium},
        {"serves-default-certificate", Severity::low},
        {"shared-across-owners", Severity::medium},
        {"shared-across-environments", Severity::medium},
        {"key-reused", Severity::medium},
        {"self-signed-leaf-pinned", Severity::medium},
        {"expired-trust-anchor", Severity::high},
        {"expired-system-trust-anchor", Severity::info},
    };
    CHECK(policy.rules.size() == expected.size());
    for (const auto& [id, severity] : expected) {
        INFO(id);
        const Rule& rule = rule_named(policy, id);
        CHECK(rule.severity == severity);
        CHECK(rule.advice.size() > 40);
        CHECK_FALSE(rule.description.empty());
        CHECK_FALSE(rule.is_migration());
        CHECK(rule.mark.to_string() == "built-in");
        CHECK(rule.match.mark.to_string() == "built-in");
    }
    CHECK(policy.sources == Strings{"built-in"});
    CHECK(policy.exemptions.empty());
}

TEST_CASE("rules: names of fields and marks", "[rules]") {
    for (const auto& name : names_of<Field>()) CHECK(to_string(*parse_enum<Field>(name)) == name);
    CHECK_FALSE(parse_enum<Field>("self-signed"));
    CHECK(SourceMark{"rules.yaml", 12, 5}.to_string() == "rules.yaml:12:5");
    CHECK(SourceMark{"built-in", 0, 0}.to_string() == "built-in");
}
