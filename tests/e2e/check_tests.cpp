// End-to-end: `certfleet check` as cron and Nagios run it (statuses, exit codes, the first line's perfdata,
// --quiet, JSON), findings stored with the scan, and `certfleet progress` over scans of a migration.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <regex>

#include "testkit/cert_factory.hpp"
#include "tests/e2e/certfleet_binary.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using nlohmann::json;

namespace {

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// A tree whose only certificate breaks no built-in rule: a CA-issued leaf with its intermediate.
struct Tree {
    TempDir dir;
    std::string db = (dir / "inventory.db").string();
    TestChain chain = make_chain("healthy.example");

    Tree() { write_file(dir / "tree/healthy/fullchain.pem", chain.leaf.pem() + chain.intermediate.pem()); }

    void scan() {
        const auto r = run_certfleet(db, {"scan", "--files", (dir / "tree").string(), "--no-progress"});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }
};

}  // namespace

TEST_CASE("e2e: check exits 0 OK, 1 WARNING, 2 CRITICAL with Nagios perfdata", "[e2e][check]") {
    Tree tree;
    tree.scan();
    auto ok = run_certfleet(tree.db, {"check"});
    INFO(ok.out << ok.err);
    CHECK(ok.exit_code == 0);
    CHECK(std::regex_match(first_line(ok.out),
                           std::regex(R"(CERTFLEET OK - 0 critical, 0 warning \| critical=0;;;0 warning=0;;;0 )"
                                      R"(min_days_left=(89|90);30;14;; unseen=0;;;0 unreadable=0;;;0 unreachable=0;;;0)")));
    const auto quiet = run_certfleet(tree.db, {"check", "--quiet"});
    CHECK(quiet.exit_code == 0);
    CHECK(quiet.out.empty());

    // A leaf valid for 500 days: over 398 days is a medium finding, WARNING.
    write_file(tree.dir / "tree/long/cert.pem",
               TestCert::make({.subject_cn = "long.example", .dns_names = {"long.example"}, .not_after_days = 500},
                              TestKey::shared({}, 12), &tree.chain.intermediate, &tree.chain.intermediate_key)
                   .pem());
    tree.scan();
    const auto warning = run_certfleet(tree.db, {"check", "--quiet"});
    INFO(warning.out);
    CHECK(warning.exit_code == 1);
    CHECK(first_line(warning.out).rfind("CERTFLEET WARNING - 0 critical, 1 warning | critical=0;;;0 warning=1;;;0", 0) == 0);
    CHECK(warning.out.find("\nmedium leaf-validity-too-long: ") != std::string::npos);

    // An expired one: CRITICAL, and min_days_left goes negative.
    write_file(tree.dir / "tree/old/cert.pem",
               TestCert::make({.subject_cn = "old.example", .dns_names = {"old.example"}, .not_before_days = -30,
                               .not_after_days = -3},
                              TestKey::shared({}, 13), &tree.chain.intermediate, &tree.chain.intermediate_key)
                   .pem());
    tree.scan();
    const auto critical = run_certfleet(tree.db, {"check"});
    INFO(critical.out);
    CHECK(critical.exit_code == 2);
    CHECK(std::regex_search(first_line(critical.out),
                            std::regex(R"(^CERTFLEET CRITICAL - 1 critical, 1 warning \| critical=1;;;0 warning=1;;;0 )"
                                       R"(min_days_left=-[34];30;14;; unseen=0;;;0 unreadable=0;;;0 unreachable=0;;;0$)")));

    const auto as_json = run_certfleet(tree.db, {"check", "--format", "json"});
    CHECK(as_json.exit_code == 2);
    const auto doc = json::parse(as_json.out);
    CHECK(doc["status"] == "CRITICAL");
    CHECK(doc["counts"]["critical"] == 1);
    CHECK(doc["findings"][0]["rule_id"] == "expired");
    CHECK(doc["findings"][0]["location"].get<std::string>().find("/tree/old/cert.pem") != std::string::npos);

    // The findings are stored with the scan and the JSON report carries them.
    const auto report = json::parse(run_certfleet(tree.db, {"report", "--format", "json"}).out);
    REQUIRE(report["findings"].size() == 2);
    CHECK(report["findings"][0]["severity"] == "critical");

    // An earlier scan is checked as its own view: the first scan had nothing wrong.
    CHECK(run_certfleet(tree.db, {"check", "--scan", "1"}).exit_code == 0);
}

TEST_CASE("e2e: check is UNKNOWN (3) when it cannot judge", "[e2e][check]") {
    Tree tree;
    const auto no_inventory = run_certfleet(tree.db, {"check"});
    CHECK(no_inventory.exit_code == 3);
    CHECK(first_line(no_inventory.out).rfind("CERTFLEET UNKNOWN - no inventory at", 0) == 0);
    tree.scan();
    write_file(tree.dir / "rules.yaml", "rules:\n  - id: typo\n    severity: high\n    match: {self_sigend: true}\n");
    const auto bad_rules = run_certfleet(tree.db, {"check", "--rules", (tree.dir / "rules.yaml").string()});
    CHECK(bad_rules.exit_code == 3);
    CHECK_THAT(bad_rules.out, Catch::Contains("rules.yaml:4:") && Catch::Contains("self_sigend") &&
                                  Catch::Contains("self_signed"));
    CHECK(run_certfleet(tree.db, {"check", "--scan", "99"}).exit_code == 3);
    CHECK(run_certfleet(tree.db, {"check", "--no-such-flag"}).exit_code == 3);
    // The same rules file is refused before a scan starts.
    const auto scan = run_certfleet(tree.db, {"scan", "--files", (tree.dir / "tree").string(), "--rules",
                                              (tree.dir / "rules.yaml").string(), "--no-progress"});
    CHECK(scan.exit_code == 2);
    CHECK_THAT(scan.err, Catch::Contains("rules.yaml:4:"));
}

TEST_CASE("e2e: severity to status mapping is configurable", "[e2e][check]") {
    Tree tree;
    write_file(tree.dir / "tree/long/cert.pem",
               TestCert::make({.subject_cn = "long.example", .dns_names = {"long.example"}, .not_after_days = 500},
                              TestKey::shared({}, 12))
                   .pem());
    tree.scan();
    write_file(tree.dir / "strict.yaml", "include: builtin\nstatus:\n  critical_from: medium\n  warning_from: low\n");
    const auto strict = run_certfleet(tree.db, {"check", "--rules", (tree.dir / "strict.yaml").string()});
    INFO(strict.out);
    CHECK(strict.exit_code == 2);
}

TEST_CASE("e2e: progress shows a migration's burn-down across scans", "[e2e][check]") {
    Tree tree;
    const auto legacy = TestCert::make({.subject_cn = "legacy.example", .dns_names = {"legacy.example"}},
                                       TestKey::shared({}, 14));
    write_file(tree.dir / "tree/srv/a/cert.pem", legacy.pem());
    write_file(tree.dir / "tree/srv/b/cert.pem", legacy.pem());
    tree.scan();
    // b moves to a certificate from the internal CA, whose root the fleet's trust store holds.
    write_file(tree.dir / "tree/etc/ssl/certs/internal-root.pem", tree.chain.root.pem());
    write_file(tree.dir / "tree/srv/b/cert.pem", tree.chain.leaf.pem() + tree.chain.intermediate.pem());
    tree.scan();
    write_file(tree.dir / "rules.yaml",
               "rules:\n"
               "  - id: replace-self-signed\n"
               "    description: Self-signed leaves under /srv move to the internal CA\n"
               "    severity: high\n"
               "    match: {self_signed: true, leaf: true}\n"
               "    scope: {path: '*/tree/srv/*'}\n"
               "    deadline: 2099-03-31\n"
               "    replace_with: 'CN=Test Root CA*'\n");
    const auto table = run_certfleet(tree.db, {"progress", "--rules", (tree.dir / "rules.yaml").string()});
    INFO(table.out << table.err);
    REQUIRE(table.exit_code == 0);
    CHECK_THAT(table.out, Catch::Contains("replace-self-signed") && Catch::Contains("deadline 2099-03-31"));
    const auto doc = json::parse(
        run_certfleet(tree.db, {"progress", "--rules", (tree.dir / "rules.yaml").string(), "--format", "json"}).out);
    const auto& history = doc["migrations"][0]["history"];
    REQUIRE(history.size() == 2);
    CHECK(history[0]["in_scope"] == 2);
    CHECK(history[0]["unmet"] == 2);
    CHECK(history[1]["met"] == 1);
    CHECK(history[1]["unmet"] == 1);
    CHECK(run_certfleet(tree.db, {"progress", "--rules", (tree.dir / "rules.yaml").string(), "--rule", "nope"})
              .exit_code != 0);
}
