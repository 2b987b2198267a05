// check and the migration burn-down over an inventory built at test time on both stores: statuses, day
// thresholds, and a regression after a migration was met.
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

TEST_CASE("rules: check and burn-down over an inventory, with a regression", "[rules][evaluate]") {
    TempDir dir;
    const std::string db = new_inventory(GENERATE(Store::sqlite, Store::postgresql), dir);
    const auto internal = make_chain("moved.example");
    const auto self_signed = TestCert::make({.subject_cn = "legacy.example", .dns_names = {"legacy.example"}},
                                            TestKey::shared({}, 11));
    // Scan 1: both endpoints self-signed. Scan 2: one moved to the internal CA. Scan 3: it went back.
    const std::vector<std::vector<TestCert>> first_endpoint{{self_signed}, {internal.leaf, internal.intermediate}, {self_signed}};
    {
        auto inv = inventory::open_inventory(db);
        for (const auto& chain : first_endpoint) {
            const auto scan = inv->begin_scan("network", "{}", {});
            FileObservations store;
            store.certificates = {sighting(internal.root, "/etc/ssl/certs/internal-root.pem", 0, true)};
            inv->record(scan, {store});
            inv->record_endpoints(scan, {served("10.20.0.1", chain), served("10.20.0.2", {self_signed})});
            inv->finish_scan(scan, inventory::ScanStatus::complete, {});
        }
    }
    const auto set = rules::parse_rules("rules:\n"
                                        "  - id: migrate\n"
                                        "    severity: high\n"
                                        "    match: {self_signed: true}\n"
                                        "    scope: {cidr: 10.20.0.0/16}\n"
                                        "    replace_with: 'CN=Test Root CA*'\n",
                                        "t.yaml");
    auto queries = inventory::open_queries(db);
    const auto history = rules::migration_history(*queries, set, "");
    REQUIRE(history.size() == 1);
    REQUIRE(history[0].points.size() == 3);
    CHECK(history[0].points[0].progress.met == 0);
    CHECK(history[0].points[0].progress.unmet == 2);
    CHECK(history[0].points[1].progress.met == 1);
    CHECK(history[0].points[1].progress.unmet == 1);
    CHECK(history[0].points[2].progress.met == 0);
    CHECK(history[0].points[2].regressed == std::vector<std::string>{"10.20.0.1:443"});
    CHECK_THROWS_AS(rules::migration_history(*queries, set, "nope"), rules::RulesError);

    // The built-in policy over scan 2's view: the self-signed leaf is a high finding, a WARNING by default.
    const auto check = rules::check(*queries, rules::builtin_policy(), 2, false, now_utc());
    CHECK(check.status == rules::CheckStatus::warning);
    CHECK(check.critical == 0);
    CHECK(check.warning >= 1);
    REQUIRE(check.min_days_left);
    CHECK(*check.min_days_left > 60);
    auto strict = rules::builtin_policy();
    strict.status.critical_from = Severity::high;
    CHECK(rules::check(*queries, strict, 2, false, now_utc()).status == rules::CheckStatus::critical);
}

TEST_CASE("rules: check's day thresholds judge every certificate outside the trust stores", "[rules][check]") {
    TempDir dir;
    const std::string db = new_inventory(GENERATE(Store::sqlite, Store::postgresql), dir);
    const auto chain = make_chain("app.example");  // a leaf with 89 days left, an intermediate with years
    const auto soon = TestCert::make({.subject_cn = "soon.example", .not_after_days = 10}, TestKey::shared({}, 11));
    const auto expired = TestCert::make({.subject_cn = "old.example", .not_before_days = -30, .not_after_days = -3},
                                        TestKey::shared({}, 12));
    const auto anchor = TestCert::make({.subject_cn = "Ending Root CA", .not_after_days = 5, .is_ca = true},
                                       TestKey::shared({}, 13));
    {
        auto inv = inventory::open_inventory(db);
        const auto scan = inv->begin_scan("files", "{}", {});
        const auto file = [](std::vector<CertificateSighting> certificates) {
            FileObservations obs;
            obs.certificates = std::move(certificates);
            return obs;
        };
        inv->record(scan, {file({sighting(chain.leaf, "/srv/app/tls.pem", 0, false),
                                 sighting(chain.intermediate, "/srv/app/tls.pem", 1, false)}),
                           file({sighting(soon, "/srv/soon/tls.pem", 0, false)}),
                           file({sighting(expired, "/srv/old/tls.pem", 0, false)}),
                           file({sighting(anchor, "/etc/ssl/certs/ending-root.pem", 0, true)})});
        inv->finish_scan(scan, inventory::ScanStatus::complete, {});
    }
    auto queries = inventory::open_queries(db);
    const auto no_rules = rules::parse_rules(
        "rules:\n  - id: never\n    severity: critical\n    match: {subject: \"CN=no such certificate\"}\n", "t.yaml");
    const auto now = now_utc();
    const auto days_left = [&](const TestCert& c) { return validity_at(describe_certificate(c.der), now).days_left; };
    const auto check = [&](const rules::RuleSet& set, rules::DaysLeftThresholds thresholds) {
        return rules::check(*queries, set, 1, true, now, rules::CheckPolicy{thresholds});
    };
    const auto places = [](const rules::CheckResult& result) {
        std::vector<std::pair<rules::CheckStatus, std::string>> out;
        for (const auto& hit : result.threshold_hits) out.emplace_back(hit.status, hit.location);
        return out;
    };
    using rules::CheckStatus;

    // Without thresholds, only the rules judge.
    const auto none = check(no_rules, {});
    CHECK(none.status == CheckStatus::ok);
    CHECK(none.threshold_hits.empty());

    // Critical first, fewest days first; the expired leaf counts, the anchor with 5 days left does not.
    const auto both = check(no_rules, {.warning_days = 120, .critical_days = 30});
    CHECK(both.status == CheckStatus::critical);
    CHECK(both.critical == 2);
    CHECK(both.warning == 1);
    CHECK(places(both) == std::vector<std::pair<CheckStatus, std::string>>{{CheckStatus::critical, "/srv/old/tls.pem"},
                                                                           {CheckStatus::critical, "/srv/soon/tls.pem"},
                                                                           {CheckStatus::warning, "/srv/app/tls.pem"}});
    CHECK(both.evaluation.findings.empty());
    REQUIRE(both.threshold_hits.size() == 3);
    const auto& leaf_hit = both.threshold_hits.back();
    CHECK(leaf_hit.threshold_days == 120);
    CHECK(leaf_hit.days_left == days_left(chain.leaf));
    CHECK(leaf_hit.sha256 == chain.leaf.sha256());
    CHECK(leaf_hit.subject.find("CN=app.example") != std::string::npos);

    // A threshold is inclusive: exactly that many days left is at it.
    const auto exact = check(no_rules, {.critical_days = days_left(chain.leaf)});
    CHECK(exact.critical == 3);
    CHECK(exact.warning == 0);
    // A warning threshold alone makes everything under it WARNING, expired or not.
    const auto warning_only = check(no_rules, {.warning_days = 120});
    CHECK(warning_only.status == CheckStatus::warning);
    CHECK(warning_only.warning == 3);

    // The rules file's exemptions for every rule cover the thresholds too; a rule's own exemptions do not.
    const auto exempting = rules::parse_rules("exemptions:\n  - location: \"/srv/old/*\"\n    reason: retired\n"
                                              "rules:\n  - id: never\n    severity: critical\n"
                                              "    match: {subject: \"CN=no such certificate\"}\n"
                                              "    exemptions: [{location: \"/srv/soon/*\", reason: rule only}]\n",
                                              "t.yaml");
    CHECK(places(check(exempting, {.critical_days = 30})) ==
          std::vector<std::pair<CheckStatus, std::string>>{{CheckStatus::critical, "/srv/soon/tls.pem"}});

    // Findings and hits add up: the built-in policy's expired finding and the expired leaf's hit are both counted.
    const auto with_policy = check(rules::builtin_policy(), {.critical_days = 30});
    CHECK(with_policy.critical == static_cast<std::int64_t>(with_policy.threshold_hits.size()) +
                                      std::count_if(with_policy.evaluation.findings.begin(),
                                                    with_policy.evaluation.findings.end(),
                                                    [](const Finding& f) { return f.severity >= Severity::critical; }));
}

// A statement that fails while the rules evaluate (on PostgreSQL it fails the scan's end transaction with it) is
// the rules' failure alone: the scan still ends complete, its view whole, and the next scan's rules work again.
TEST_CASE("rules: a scan whose rules fail to evaluate still ends complete with its view", "[rules][evaluate]") {
    TempDir dir;
    const Store store = GENERATE(Store::sqlite, Store::postgresql);
    const std::string db = new_inventory(store, dir);
    const auto self_signed = TestCert::make({.subject_cn = "legacy.example", .dns_names = {"legacy.example"}},
                                            TestKey::shared({}, 11));
    auto inv = inventory::open_inventory(db);
    const auto first = inv->begin_scan("network", "{}", {});
    inv->record_endpoints(first, {served("10.20.0.2", {self_signed})});
    bool rules_failed = false;
    {
        const FailingJsonValid failing(store, db);
        REQUIRE_NOTHROW(inv->finish_scan(first, inventory::ScanStatus::complete, {},
                                         [&](inventory::InventoryQueries& queries, inventory::ScanId scan) {
                                             try {
                                                 queries.coverage(scan);
                                             } catch (const std::exception&) {
                                                 rules_failed = true;
                                             }
                                             return std::vector<Finding>{};
                                         }));
    }
    CHECK(rules_failed == (store == Store::postgresql));
    CHECK(inv->queries().find_scan(first)->status == inventory::ScanStatus::complete);
    CHECK(inv->queries().certificates({}).size() == 1);
    CHECK(inv->queries().endpoints({}).size() == 1);

    const auto second = inv->begin_scan("network", "{}", {});
    inv->record_endpoints(second, {served("10.20.0.2", {self_signed})});
    inv->finish_scan(second, inventory::ScanStatus::complete, {}, [&](inventory::InventoryQueries& queries, inventory::ScanId scan) {
        queries.coverage(scan);
        return std::vector<Finding>{{.rule_id = "self-signed", .severity = Severity::high, .sha256 = self_signed.sha256(),
                                     .location = "10.20.0.2:443", .message = "self-signed"}};
    });
    CHECK(inv->queries().find_scan(second)->status == inventory::ScanStatus::complete);
    const auto findings = inv->queries().scan_contents(second).findings;
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].rule_id == "self-signed");
}
