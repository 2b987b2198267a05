// The rules engine over subjects built by hand (every match field and scope kind, exemptions, deadlines, the
// built-in policy) and over an inventory built at test time on both stores (the view's facts); check statuses,
// burn-down and regressions are in rules_check_tests.cpp.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <set>

#include "core/certificate.hpp"
#include "core/encoding.hpp"
#include "inventory/analysis.hpp"
#include "inventory/inventory.hpp"
#include "rules/check.hpp"
#include "rules/evaluate.hpp"
#include "testkit/cert_factory.hpp"
#include "tests/unit/rules_records.hpp"
#include "tests/unit/store_fixture.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using rules::Subject;

namespace {

constexpr UnixTime kDay = 86400;

const UnixTime kNow = 1'800'000'000;  // a fixed "now" keeps these cases about the rules, not the clock

Subject endpoint_subject() {
    Subject s;
    s.cert.sha256 = std::string(64, 'a');
    s.cert.spki_sha256 = std::string(64, 'b');
    s.cert.subject = "CN=api.example.com,O=Example";
    s.cert.issuer = "CN=Example Issuing CA,O=Example";
    s.cert.not_before = kNow - 10 * kDay;
    s.cert.not_after = kNow + 100 * kDay;
    s.cert.key_type = "RSA";
    s.cert.key_bits = 2048;
    s.cert.signature_algorithm = "sha256WithRSAEncryption";
    s.cert.dns_names = {"api.example.com"};
    s.place.kind = inventory::Place::Kind::endpoint;
    s.place.host = "api.example.com";
    s.place.address = "10.20.1.7";
    s.place.port = 443;
    s.place.server_name = "api.example.com";
    s.leaf = true;
    EndpointFacts facts;
    facts.verdict.verified = true;
    facts.verdict.name_check = NameCheck::matched;
    facts.verdict.order_correct = true;
    s.endpoint = facts;
    return s;
}

Subject file_subject() {
    Subject s = endpoint_subject();
    s.place = {};
    s.place.path = "/etc/app/tls/server.pem";
    s.endpoint.reset();
    return s;
}

bool holds(const std::string& match_yaml, const Subject& s, UnixTime now = kNow) {
    const auto set = rules::parse_rules("rules:\n  - id: t\n    severity: low\n    match: " + match_yaml + "\n", "t.yaml");
    return rules::matches(set.rules.front().match, s, now);
}

bool scoped(const std::string& scope_yaml, const Subject& s) {
    const auto set = rules::parse_rules(
        "rules:\n  - id: t\n    severity: low\n    match: {leaf: true}\n    scope: " + scope_yaml + "\n", "t.yaml");
    return rules::in_scope(set.rules.front().scope, s);
}

}  // namespace

TEST_CASE("rules: every match field tests its fact", "[rules][evaluate]") {
    Subject s = endpoint_subject();
    CHECK(holds("{self_signed: false}", s));
    CHECK(holds("{is_ca: false}", s));
    CHECK(holds("{expired: false}", s));
    CHECK(holds("{expired: true}", s, s.cert.not_after + 1));
    CHECK(holds("{not_yet_valid: true}", s, s.cert.not_before - 1));
    CHECK(holds("{has_san: true}", s));
    CHECK(holds("{hostname_match: true}", s));
    CHECK(holds("{chain_verified: true}", s));
    CHECK(holds("{order_correct: true}", s));
    CHECK(holds("{serves_default: false}", s));
    CHECK(holds("{key_reused: false}", s));
    CHECK(holds("{pinned_in_trust_store: false}", s));
    CHECK(holds("{trust_anchor: false}", s));
    CHECK(holds("{leaf: true}", s));
    CHECK(holds("{intermediate_expires_before_leaf: false}", s));
    CHECK(holds("{expires_within: 101d}", s));
    CHECK_FALSE(holds("{expires_within: 99d}", s));
    CHECK_FALSE(holds("{expires_within: 30d}", s, s.cert.not_after + 1));  // expired is not "expires within"
    CHECK(holds("{validity_longer_than: 100d}", s));
    CHECK_FALSE(holds("{validity_longer_than: 398d}", s));
    CHECK(holds("{key_bits_below: 3072}", s));
    CHECK_FALSE(holds("{key_bits_below: 2048}", s));
    CHECK(holds("{shared_locations_at_least: 1}", s));
    CHECK_FALSE(holds("{shared_locations_at_least: 2}", s));
    CHECK_FALSE(holds("{intermediates_missing_at_least: 1}", s));
    CHECK(holds("{key_type: [EC, rsa]}", s));
    CHECK(holds("{signature_algorithm: '*sha256*'}", s));
    CHECK_FALSE(holds("{signature_algorithm: ['*sha1*', '*md5*']}", s));
    CHECK(holds("{location_kind: endpoint}", s));
    CHECK(holds("{issuer: '*issuing ca*'}", s));
    CHECK(holds("{subject: 'CN=api.*'}", s));
    CHECK_FALSE(holds("{shared_across_label: owner}", s));

    s.endpoint->verdict.errors = {"untrusted-root", "hostname-mismatch"};
    CHECK(holds("{verify_error: [untrusted-*]}", s));
    CHECK_FALSE(holds("{verify_error: expired}", s));
    s.split_label_keys = {"owner"};
    CHECK(holds("{shared_across_label: owner}", s));
    s.intermediate_expires_before_leaf = true;
    CHECK(holds("{intermediate_expires_before_leaf: true}", s));
}

TEST_CASE("rules: algorithm, lifetime and date fields fire on their case and not beside it", "[rules][evaluate][pqc]") {
    Subject s = endpoint_subject();  // RSA-2048, issued 10 days before now, valid for 110 days
    CHECK(holds("{quantum_vulnerable: true}", s));
    CHECK(holds("{security_bits_below: 128}", s));  // RSA-2048: 112 bits
    CHECK_FALSE(holds("{security_bits_below: 112}", s));
    CHECK(holds("{issued_more_than: 9d}", s));
    CHECK_FALSE(holds("{issued_more_than: 10d}", s));
    // notAfter - notBefore is 110 days: with the second both ends count, it is over 110 days.
    CHECK(holds("{lifetime_days: '> 110'}", s));
    CHECK_FALSE(holds("{lifetime_days: '> 111'}", s));
    CHECK(holds("{lifetime_days: '<= 111'}", s));
    s.cert.not_after -= 1;  // now exactly 110 days
    CHECK_FALSE(holds("{lifetime_days: '> 110'}", s));
    CHECK(holds("{lifetime_days: '= 110'}", s));
    CHECK(holds("{lifetime_used_percent: '>= 80'}", s, s.cert.not_before + 88 * kDay));
    CHECK_FALSE(holds("{lifetime_used_percent: '>= 80'}", s));  // 10 of 110 days used
    CHECK(holds("{lifetime_used_percent: '< 10'}", s));
    CHECK(holds("{valid_beyond: 2027-04-24}", s));  // notAfter is 2027-04-25T07:59:59Z
    CHECK_FALSE(holds("{valid_beyond: 2027-04-25}", s));
    CHECK_FALSE(holds("{valid_beyond: 2030-12-31}", s));
    CHECK(holds("{issued_on_or_after: 2027-01-05}", s));  // notBefore is 2027-01-05T08:00:00Z
    CHECK_FALSE(holds("{issued_on_or_after: 2027-01-06}", s));
    CHECK(holds("{issued_before: 2027-01-06}", s));
    CHECK_FALSE(holds("{issued_before: 2027-01-05}", s));

    CHECK_FALSE(holds("{key_exchange_quantum_vulnerable: true}", s));  // the exchange is not known
    s.endpoint->key_exchange = "X25519";
    CHECK(holds("{key_exchange_quantum_vulnerable: true}", s));
    s.endpoint->key_exchange = "X25519MLKEM768";
    CHECK(holds("{key_exchange_quantum_vulnerable: false}", s));
    // certfleet's own session used X25519, but a client offering the hybrid gets it.
    s.endpoint->key_exchange = "X25519";
    s.endpoint->hybrid_groups = {"X25519MLKEM768"};
    CHECK(holds("{key_exchange_quantum_vulnerable: false}", s));
    s.endpoint->hybrid_groups.clear();
    CHECK_FALSE(holds("{key_exchange_quantum_vulnerable: true}", file_subject()));  // an endpoint's fact only

    s.cert.key_type = "ML-DSA-65";
    s.cert.key_bits = 15616;
    CHECK(holds("{quantum_vulnerable: false}", s));
    CHECK_FALSE(holds("{security_bits_below: 192}", s));
    // A key of an algorithm certfleet cannot name is neither vulnerable nor safe, nor weak.
    s.cert.key_type = "1.2.3.4";
    CHECK_FALSE(holds("{quantum_vulnerable: true}", s));
    CHECK_FALSE(holds("{quantum_vulnerable: false}", s));
    CHECK_FALSE(holds("{security_bits_below: 4096}", s));
    // A self-issued certificate whose signature cannot be checked here is neither self-signed nor not.
    s.cert.self_issued = true;
    CHECK_FALSE(holds("{self_signed: true}", s));
    CHECK_FALSE(holds("{self_signed: false}", s));

    for (const char* bad : {"{lifetime_days: 398}", "{lifetime_days: '>> 3'}", "{lifetime_used_percent: '> x'}",
                            "{valid_beyond: 2030-13-01}", "{issued_before: soon}"})
        CHECK_THROWS_AS(holds(bad, s), rules::RulesError);
}

TEST_CASE("rules: the rotation example finds an old JWT certificate and a stalled renewal", "[rules][evaluate]") {
    const auto examples = std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "rules/examples";
    const auto set = rules::read_rules_file((examples / "rotation.yaml").string());
    const auto fired = [&](const Subject& s) {
        std::set<std::string> ids;
        for (const auto& f : rules::evaluate(set, {s}, kNow).findings) ids.insert(f.rule_id);
        return ids;
    };
    Subject jwt = file_subject();
    jwt.place.path = "/opt/petstore/config/primary.crt";
    jwt.cert.not_before = kNow - 400 * kDay;
    jwt.cert.not_after = kNow + 3000 * kDay;
    CHECK(fired(jwt).contains("jwt-signing-certificate-older-than-a-year"));
    jwt.cert.not_before = kNow - 100 * kDay;
    CHECK_FALSE(fired(jwt).contains("jwt-signing-certificate-older-than-a-year"));
    jwt.place.path = "/opt/petstore/tls/server.crt";  // not a JWT certificate: out of the rule's scope
    jwt.cert.not_before = kNow - 400 * kDay;
    CHECK_FALSE(fired(jwt).contains("jwt-signing-certificate-older-than-a-year"));

    Subject acme = endpoint_subject();
    acme.cert.not_before = kNow - 75 * kDay;  // a 90-day certificate, 75 days used: 83%, 15 days left
    acme.cert.not_after = acme.cert.not_before + 90 * kDay - 1;
    CHECK(fired(acme).contains("renewal-stalled"));
    acme.cert.not_before = kNow - 50 * kDay;  // 56% used
    acme.cert.not_after = acme.cert.not_before + 90 * kDay - 1;
    CHECK_FALSE(fired(acme).contains("renewal-stalled"));
}

TEST_CASE("rules: endpoint facts never match a file", "[rules][evaluate]") {
    const Subject s = file_subject();
    CHECK_FALSE(holds("{hostname_match: false}", s));
    CHECK_FALSE(holds("{hostname_match: true}", s));
    CHECK_FALSE(holds("{chain_verified: false}", s));
    CHECK_FALSE(holds("{verify_error: '*'}", s));
    CHECK(holds("{location_kind: file}", s));
}

TEST_CASE("rules: an endpoint with no name to check is no hostname mismatch", "[rules][evaluate]") {
    Subject s = endpoint_subject();
    s.endpoint->verdict.name_check = NameCheck::not_checked;
    CHECK_FALSE(holds("{hostname_match: false}", s));
    CHECK(holds("{hostname_match: true}", s));
    CHECK(rules::evaluate(rules::builtin_policy(), {s}, kNow).findings.empty());
    s.endpoint->verdict.name_check = NameCheck::mismatched;
    CHECK(holds("{hostname_match: false}", s));
}

TEST_CASE("rules: trust-store facts never match what no store holds", "[rules][evaluate]") {
    Subject s = file_subject();
    for (const char* match : {"{system_store: true}", "{system_store: false}", "{stale: true}", "{stale: false}"}) {
        INFO(match);
        CHECK_FALSE(holds(match, s));
    }
    s.place.trust_anchor = true;
    s.place.system_store = true;
    s.stale = true;
    CHECK(holds("{system_store: true, stale: true}", s));
    s.place.system_store = s.stale = false;
    CHECK(holds("{system_store: false, stale: false}", s));
}

TEST_CASE("rules: all, any and not combine", "[rules][evaluate]") {
    const Subject s = endpoint_subject();
    CHECK(holds("{all: [{leaf: true}, {key_type: RSA}]}", s));
    CHECK_FALSE(holds("{all: [{leaf: true}, {key_type: EC}]}", s));
    CHECK(holds("{any: [{key_type: EC}, {key_bits_below: 4096}]}", s));
    CHECK(holds("{not: {self_signed: true}}", s));
    CHECK(holds("{any: [{all: [{key_type: RSA}, {key_bits_below: 2048}]}, {not: {expired: true}}]}", s));
}

TEST_CASE("rules: scopes by CIDR, host, port, path, labels and kind", "[rules][evaluate]") {
    Subject s = endpoint_subject();
    s.labels = {{"env", "prod"}, {"owner", "payments"}};
    CHECK(scoped("{cidr: [10.20.0.0/16]}", s));
    CHECK_FALSE(scoped("{cidr: 10.21.0.0/16}", s));
    CHECK(scoped("{host: '*.example.com'}", s));
    CHECK_FALSE(scoped("{host: '*.example.org'}", s));
    CHECK(scoped("{port: [443, 8443]}", s));
    CHECK_FALSE(scoped("{port: 8443}", s));
    CHECK(scoped("{labels: {env: prod}}", s));
    CHECK_FALSE(scoped("{labels: {env: staging}}", s));
    CHECK(scoped("{kind: endpoint}", s));
    CHECK_FALSE(scoped("{path: '/etc/*'}", s));  // an endpoint has no path
    const Subject f = file_subject();
    CHECK(scoped("{path: '/etc/*'}", f));
    CHECK_FALSE(scoped("{path: '/srv/*'}", f));
    CHECK_FALSE(scoped("{cidr: 10.0.0.0/8}", f));
    CHECK(scoped("{kind: file}", f));
}

TEST_CASE("rules: exemptions apply until they expire, then say so", "[rules][evaluate]") {
    Subject s = endpoint_subject();
    s.cert.self_signed = true;
    const std::string yaml =
        "exemptions:\n"
        "  - location: '10.20.*'\n"  // the display of an endpoint is host:port; this does not match it
        "    reason: never applies\n"
        "rules:\n"
        "  - id: self-signed\n"
        "    severity: high\n"
        "    match: {self_signed: true}\n"
        "    exemptions:\n"
        "      - fingerprint: '" + s.cert.sha256 + "'\n"
        "        reason: vendor appliance\n"
        "        expires: 2027-01-31\n";
    const auto set = rules::parse_rules(yaml, "t.yaml");
    const UnixTime before = set.rules[0].exemptions[0].expires.value() - kDay;
    const auto exempt = rules::evaluate(set, {s}, before);
    CHECK(exempt.findings.empty());
    CHECK(exempt.exempted == 1);
    CHECK(exempt.notes.empty());
    const auto lapsed = rules::evaluate(set, {s}, before + 2 * kDay);
    REQUIRE(lapsed.findings.size() == 1);
    CHECK_THAT(lapsed.findings[0].message, Catch::Contains("expired 2027-01-31") && Catch::Contains("vendor appliance"));
    REQUIRE(lapsed.notes.size() == 1);
    CHECK_THAT(lapsed.notes[0], Catch::Contains("t.yaml:") && Catch::Contains("no longer applies"));
}

TEST_CASE("rules: a migration counts met and unmet places and turns critical after its deadline", "[rules][evaluate]") {
    Subject old_one = endpoint_subject();
    old_one.cert.self_signed = true;
    Subject moved = endpoint_subject();
    moved.place.address = "10.20.1.8";
    moved.ancestors = {inventory::Ancestor{std::string(64, 'c'), "CN=Internal Issuing CA,O=Example", "", 1}};
    Subject elsewhere = endpoint_subject();
    elsewhere.place.address = "192.0.2.1";
    elsewhere.cert.self_signed = true;
    const auto set = rules::parse_rules("rules:\n"
                                        "  - id: migrate\n"
                                        "    severity: medium\n"
                                        "    match: {self_signed: true}\n"
                                        "    scope: {cidr: 10.20.0.0/16}\n"
                                        "    deadline: 2027-03-31\n"
                                        "    replace_with: 'CN=Internal Issuing CA*'\n",
                                        "t.yaml");
    const UnixTime deadline = *set.rules[0].deadline;
    const auto before = rules::evaluate(set, {old_one, moved, elsewhere}, deadline - 10 * kDay);
    REQUIRE(before.migrations.size() == 1);
    CHECK(before.migrations[0].in_scope == 2);
    CHECK(before.migrations[0].met == 1);
    CHECK(before.migrations[0].unmet == 1);
    CHECK(before.migrations[0].overdue == 0);
    REQUIRE(before.findings.size() == 1);
    CHECK(before.findings[0].severity == Severity::medium);
    CHECK_THAT(before.findings[0].message, Catch::Contains("10 days left"));
    const auto after = rules::evaluate(set, {old_one, moved, elsewhere}, deadline + 3 * kDay);
    CHECK(after.migrations[0].overdue == 1);
    REQUIRE(after.findings.size() == 1);
    CHECK(after.findings[0].severity == Severity::critical);
    CHECK(after.findings[0].overdue);
    CHECK_THAT(after.findings[0].message, Catch::Contains("passed 3 days ago"));
}

TEST_CASE("rules: findings come most severe first", "[rules][evaluate]") {
    Subject s = endpoint_subject();
    s.cert.key_bits = 1024;
    s.cert.not_after = kNow + 5 * kDay;
    const auto result = rules::evaluate(rules::builtin_policy(), {s}, kNow);
    REQUIRE(result.findings.size() >= 2);
    CHECK(result.findings.front().rule_id == "expires-within-14-days");
    CHECK(std::is_sorted(result.findings.begin(), result.findings.end(),
                         [](const auto& a, const auto& b) { return a.severity > b.severity; }));
}


TEST_CASE("rules: each built-in rule fires on its case and stays quiet on a healthy endpoint", "[rules][evaluate]") {
    const auto fired = [](const Subject& s) {
        std::set<std::string> ids;
        for (const auto& f : rules::evaluate(rules::builtin_policy(), {s}, kNow).findings) ids.insert(f.rule_id);
        return ids;
    };
    CHECK(fired(endpoint_subject()).empty());
    CHECK(fired(file_subject()).empty());

    const auto with = [](auto change) {
        Subject s = endpoint_subject();
        change(s);
        return s;
    };
    const std::vector<std::pair<std::string, Subject>> cases{
        {"expired", with([](Subject& s) { s.cert.not_after = kNow - kDay; })},
        {"expires-within-14-days", with([](Subject& s) { s.cert.not_after = kNow + 5 * kDay; })},
        {"expires-within-30-days", with([](Subject& s) { s.cert.not_after = kNow + 20 * kDay; })},
        {"not-yet-valid", with([](Subject& s) { s.cert.not_before = kNow + kDay; })},
        {"self-signed-leaf", with([](Subject& s) { s.cert.self_signed = true; })},
        {"chain-not-trusted", with([](Subject& s) { s.endpoint->verdict.errors = {"untrusted-issuer"}; })},
        {"hostname-mismatch", with([](Subject& s) { s.endpoint->verdict.name_check = NameCheck::mismatched; })},
        {"weak-key", with([](Subject& s) { s.cert.key_bits = 1024; })},
        {"weak-key", with([](Subject& s) {
             s.cert.key_type = "EC";
             s.cert.key_bits = 224;
         })},
        {"weak-signature", with([](Subject& s) { s.cert.signature_algorithm = "sha1WithRSAEncryption"; })},
        {"weak-signature", with([](Subject& s) { s.cert.signature_algorithm = "md5WithRSAEncryption"; })},
        {"leaf-validity-too-long", with([](Subject& s) { s.cert.not_before = kNow - 400 * kDay; })},
        {"key-112-bit-beyond-2030", with([](Subject& s) { s.cert.not_after = 1'938'000'000; })},  // 2031-05-31
        {"quantum-vulnerable-key-exchange", with([](Subject& s) { s.endpoint->key_exchange = "X25519"; })},
        {"quantum-vulnerable-beyond-2035", with([](Subject& s) {
             s.cert.key_type = "EC";
             s.cert.key_curve = "secp384r1";
             s.cert.key_bits = 384;
             s.cert.not_after = 2'096'000'000;  // 2036-06-02
         })},
        // Issued 2027-01-05: 200 days at most, 100 from the next step.
        {"public-leaf-over-cabf-maximum", with([](Subject& s) {
             s.endpoint->verdict.public_root = true;
             s.cert.not_after = s.cert.not_before + 210 * kDay;
         })},
        {"public-leaf-renewal-outlasts-next-cabf-step", with([](Subject& s) { s.endpoint->verdict.public_root = true; })},
        {"leaf-without-san", with([](Subject& s) { s.cert.dns_names.clear(); })},
        {"ca-served-as-leaf", with([](Subject& s) { s.cert.is_ca = true; })},
        {"chain-out-of-order", with([](Subject& s) { s.endpoint->verdict.order_correct = false; })},
        {"intermediate-missing", with([](Subject& s) { s.endpoint->verdict.intermediates_missing = 1; })},
        {"intermediate-expires-before-leaf", with([](Subject& s) { s.intermediate_expires_before_leaf = true; })},
        {"serves-default-certificate", with([](Subject& s) { s.endpoint->serves_default = true; })},
        {"shared-across-owners", with([](Subject& s) { s.split_label_keys = {"owner"}; })},
        {"shared-across-environments", with([](Subject& s) { s.split_label_keys = {"env"}; })},
        {"key-reused", with([](Subject& s) { s.key_reused = true; })},
        {"self-signed-leaf-pinned", with([](Subject& s) {
             s = file_subject();
             s.cert.self_signed = true;
             s.place.trust_anchor = true;
             s.leaf = false;
             s.pinned_in_trust_store = true;
         })},
        {"expired-trust-anchor", with([](Subject& s) {
             s = file_subject();
             s.cert.is_ca = true;
             s.cert.not_after = kNow - kDay;
             s.place.trust_anchor = true;
             s.leaf = false;
         })},
        {"expired-system-trust-anchor", with([](Subject& s) {
             s = file_subject();
             s.cert.is_ca = true;
             s.cert.not_after = kNow - kDay;
             s.place.trust_anchor = s.place.system_store = s.stale = true;
             s.leaf = false;
         })},
    };
    std::set<std::string> covered;
    for (const auto& [rule, subject] : cases) {
        INFO(rule);
        CHECK(fired(subject).contains(rule));
        covered.insert(rule);
    }
    // The quantum-readiness rules stay quiet on a post-quantum key, and on a classical one that expires in time.
    const std::set<std::string> quantum_rules{"key-112-bit-beyond-2030", "quantum-vulnerable-beyond-2035"};
    const auto quantum_findings = [&](const Subject& s) {
        std::set<std::string> out;
        for (const auto& id : fired(s))
            if (quantum_rules.contains(id)) out.insert(id);
        return out;
    };
    CHECK(quantum_findings(with([](Subject& s) {
              s.cert.key_type = "ML-DSA-65";
              s.cert.not_after = 2'096'000'000;
          })).empty());
    CHECK(quantum_findings(with([](Subject& s) {
              s.cert.key_type = "EC";
              s.cert.key_bits = 256;
              s.cert.not_after = 1'924'991'999;  // the last second of 2030
          })).empty());
    // Every built-in rule has its case above.
    std::set<std::string> builtin;
    for (const auto& rule : rules::builtin_policy().rules) builtin.insert(rule.id);
    CHECK(covered == builtin);
}

TEST_CASE("rules: an expired root of a system store is info unless the fleet relies on it or it is pinned",
          "[rules][evaluate]") {
    const auto fired = [](auto change) {
        Subject s = file_subject();
        s.cert.is_ca = s.cert.self_signed = true;
        s.cert.not_after = kNow - kDay;
        s.place.path = "/etc/ssl/certs/ca-certificates.crt";
        s.place.trust_anchor = s.place.system_store = s.stale = true;
        s.leaf = false;
        change(s);
        std::set<std::string> ids;
        for (const auto& f : rules::evaluate(rules::builtin_policy(), {s}, kNow).findings) ids.insert(f.rule_id);
        return ids;
    };
    CHECK(fired([](Subject&) {}) == std::set<std::string>{"expired-system-trust-anchor"});
    CHECK(fired([](Subject& s) { s.stale = false; }) == std::set<std::string>{"expired-trust-anchor"});
    CHECK(fired([](Subject& s) { s.place.system_store = false; }) == std::set<std::string>{"expired-trust-anchor"});
    CHECK(fired([](Subject& s) { s.pinned_in_trust_store = true; }) ==
          std::set<std::string>{"expired-trust-anchor", "self-signed-leaf-pinned"});
}

TEST_CASE("rules: a certificate's role comes from its use in the view, not only from its CA flag", "[rules][evaluate]") {
    TempDir dir;
    const std::string db = new_inventory(GENERATE(Store::sqlite, Store::postgresql), dir);
    // As `openssl req -x509` makes them: self-signed and CA:TRUE, without a key usage.
    const auto hand_made = [](const std::string& cn, int slot) {
        return TestCert::make({.subject_cn = cn, .is_ca = true}, TestKey::shared({}, slot));
    };
    const TestCert with_key = hand_made("keyed.internal", 20), served_leaf = hand_made("served.internal", 21);
    const TestCert unused = hand_made("unused.internal", 22);
    const TestCert real_ca = TestCert::make({.subject_cn = "Real CA", .is_ca = true, .key_usage = "critical,keyCertSign"},
                                            TestKey::shared({}, 23));
    {
        auto inv = inventory::open_inventory(db);
        const auto scan = inv->begin_scan("files+network", "{}", {});
        FileObservations keystore, ca_file, copy, store;
        keystore.certificates = {sighting(with_key, "/srv/app/keystore.p12", 0, false)};
        ca_file.certificates = {sighting(real_ca, "/srv/ca/ca.pem", 0, false)};
        for (auto* held : {&keystore.certificates[0], &ca_file.certificates[0]}) held->with_private_key = true;
        copy.certificates = {sighting(with_key, "/srv/peer/keyed.pem", 0, false),
                             sighting(unused, "/srv/peer/unused.pem", 0, false)};
        store.certificates = {sighting(with_key, "/srv/client/truststore.pem", 0, true),
                              sighting(served_leaf, "/srv/client/truststore.pem", 1, true),
                              sighting(unused, "/srv/client/truststore.pem", 2, true),
                              sighting(real_ca, "/srv/client/truststore.pem", 3, true)};
        inv->record(scan, {keystore, ca_file, copy, store});
        inv->record_endpoints(scan, {served("10.20.0.3", {served_leaf})});
        inv->finish_scan(scan, inventory::ScanStatus::complete, {});
    }
    auto queries = inventory::open_queries(db);
    inventory::Filter view;
    std::map<std::string, std::pair<bool, bool>> leaf_and_pinned;  // by place and subject
    for (const auto& s : rules::gather_subjects(*queries, view))
        leaf_and_pinned[s.place.display() + " " + s.cert.subject] = {s.leaf, s.pinned_in_trust_store};
    using Roles = std::pair<bool, bool>;
    CHECK(leaf_and_pinned.at("/srv/app/keystore.p12 CN=keyed.internal") == Roles{true, false});
    CHECK(leaf_and_pinned.at("/srv/peer/keyed.pem CN=keyed.internal") == Roles{true, false});
    CHECK(leaf_and_pinned.at("/srv/peer/unused.pem CN=unused.internal") == Roles{false, false});
    CHECK(leaf_and_pinned.at("/srv/ca/ca.pem CN=Real CA") == Roles{false, false});  // made to sign
    CHECK(leaf_and_pinned.at("/srv/client/truststore.pem CN=keyed.internal") == Roles{false, true});
    CHECK(leaf_and_pinned.at("/srv/client/truststore.pem CN=served.internal") == Roles{false, true});
    CHECK(leaf_and_pinned.at("/srv/client/truststore.pem CN=unused.internal") == Roles{false, false});
    CHECK(leaf_and_pinned.at("/srv/client/truststore.pem CN=Real CA") == Roles{false, false});

    // The inventory's own answer agrees.
    std::map<std::string, bool> pinned;
    for (const auto& anchor : queries->anchors(view)) pinned[anchor.summary.cert.subject] = anchor.pinned_leaf;
    CHECK(pinned == std::map<std::string, bool>{{"CN=keyed.internal", true}, {"CN=served.internal", true},
                                                {"CN=unused.internal", false}, {"CN=Real CA", false}});
}

TEST_CASE("rules: the inventory is asked only for the facts the rules test", "[rules]") {
    const auto facts = [](const std::string& match) {
        return rules::facts_tested_by(
            rules::parse_rules("rules:\n  - id: t\n    severity: low\n    match: " + match + "\n", "t.yaml"));
    };
    const auto plain = facts("{self_signed: true, issuer: \"CN=Old*\"}");
    CHECK_FALSE((plain.endpoints || plain.shared || plain.reused_keys || plain.ancestors || plain.anchors));
    CHECK(facts("{trust_anchor: true, stale: true}").anchors);
    const auto nested = facts("{any: [{not: {shared_locations_at_least: 3}}, {all: [{key_reused: true}]}]}");
    CHECK((nested.shared && nested.reused_keys));
    CHECK_FALSE((nested.endpoints || nested.ancestors));
    CHECK(facts("{verify_error: [expired]}").endpoints);

    const auto migration = rules::facts_tested_by(rules::parse_rules(
        "rules:\n  - id: m\n    severity: medium\n    match: {self_signed: true}\n    deadline: 2027-03-31\n"
        "    replace_with: \"CN=Internal Issuing CA*\"\n",
        "m.yaml"));
    CHECK(migration.ancestors);
    CHECK_FALSE(migration.endpoints);
    // The built-in policy tests them all.
    const auto builtin = rules::facts_tested_by(rules::parse_rules("include: builtin\n", "b.yaml"));
    CHECK((builtin.endpoints && builtin.shared && builtin.reused_keys && builtin.anchors));
}

TEST_CASE("rules: public TLS lifetimes are held to the CA/Browser Forum maximum of their issuance date, and warned "
          "ahead of the next step", "[rules][evaluate]") {
    constexpr UnixTime k2026_03_15 = 1'773'532'800, k2027_03_15 = 1'805'068'800, k2029_03_15 = 1'868'227'200;
    // The two lifetime rules' findings for a leaf issued at `issued` and valid for `days` days and `seconds`
    // more, counted as the Baseline Requirements count (notAfter - notBefore + 1 s).
    const auto lifetime_findings = [](UnixTime issued, std::int64_t days, bool public_root = true, UnixTime seconds = 0) {
        Subject s = endpoint_subject();
        s.endpoint->verdict.public_root = public_root;
        s.cert.not_before = issued;
        s.cert.not_after = issued + days * kDay + seconds - 1;
        std::set<std::string> out;
        for (const auto& f : rules::evaluate(rules::builtin_policy(), {s}, kNow).findings)
            if (f.rule_id.starts_with("public-leaf-")) out.insert(f.rule_id);
        return out;
    };
    const std::set<std::string> none, over{"public-leaf-over-cabf-maximum"},
        ahead{"public-leaf-renewal-outlasts-next-cabf-step"};
    const std::set<std::string> both{"public-leaf-over-cabf-maximum", "public-leaf-renewal-outlasts-next-cabf-step"};
    // Issued the second before the first step: 398 days allowed, 200 next.
    CHECK(lifetime_findings(k2026_03_15 - 1, 398) == ahead);
    CHECK(lifetime_findings(k2026_03_15 - 1, 399) == both);
    CHECK(lifetime_findings(k2026_03_15 - 1, 200) == none);
    // From 2026-03-15: 200, 100 next.
    CHECK(lifetime_findings(k2026_03_15, 200) == ahead);
    CHECK(lifetime_findings(k2026_03_15, 201) == both);
    CHECK(lifetime_findings(k2026_03_15, 100) == none);
    // From 2027-03-15: 100, 47 next.
    CHECK(lifetime_findings(k2027_03_15, 100) == ahead);
    CHECK(lifetime_findings(k2027_03_15 + 30 * kDay, 101) == both);
    CHECK(lifetime_findings(k2027_03_15, 47) == none);
    // From 2029-03-15: 47, and no next step known.
    CHECK(lifetime_findings(k2029_03_15, 47) == none);
    CHECK(lifetime_findings(k2029_03_15, 48) == over);
    // One second over the limit is a day over it.
    CHECK(lifetime_findings(k2029_03_15, 47, true, 1) == over);
    // A private CA's certificate is not bound by the Baseline Requirements.
    CHECK(lifetime_findings(k2026_03_15, 365, false) == none);
}
