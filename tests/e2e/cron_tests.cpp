// End-to-end: certfleet as a nightly cron job runs it. `scan --quiet` says nothing unless something went wrong, and
// `check --warning-days/--critical-days` set the status by days left, as check_ssl_cert users expect.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "testkit/cert_factory.hpp"
#include "tests/e2e/certfleet_binary.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using nlohmann::json;

namespace {

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// The rest of the first line of `text` that starts with `start`, or "(no line starting with START)".
std::string line_after(const std::string& text, const std::string& start) {
    for (std::size_t at = 0; at < text.size(); at = text.find('\n', at) + 1) {
        if (text.compare(at, start.size(), start) == 0)
            return text.substr(at + start.size(), text.find('\n', at) - at - start.size());
        if (text.find('\n', at) == std::string::npos) break;
    }
    return "(no line starting with " + start + ")";
}

// A CA-issued leaf with 89 days left (make_chain's leaf ends 90 days after it is made: 90 within that second) and
// its intermediate: nothing the built-in policy flags.
struct Fleet {
    TempDir dir;
    std::string db = (dir / "inventory.db").string();
    std::string tree = (dir / "tree").string();
    std::string leaf_path = (dir / "tree/app/fullchain.pem").string();
    TestChain chain = make_chain("app.example");

    Fleet() { write_file(leaf_path, chain.leaf.pem() + chain.intermediate.pem()); }

    void scan() {
        const auto r = run_certfleet(db, {"scan", "--files", tree, "--no-progress"});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }
};

}  // namespace

TEST_CASE("e2e: cron: scan --quiet prints nothing when the scan goes well", "[e2e][cron]") {
    Fleet fleet;
    const auto quiet = run_certfleet(fleet.db, {"scan", "--files", fleet.tree, "--quiet"});
    INFO(quiet.err);
    CHECK(quiet.exit_code == 0);
    CHECK(quiet.out.empty());
    CHECK(quiet.err.empty());
    // The scan is stored all the same.
    const auto scans = json::parse(run_certfleet(fleet.db, {"inventory", "scans", "--format", "json"}).out)["scans"];
    REQUIRE(scans.size() == 1);
    CHECK(scans[0]["status"] == "complete");

    // Without --quiet the summary is there, so the silence above is --quiet's doing.
    const auto loud = run_certfleet(fleet.db, {"scan", "--files", fleet.tree, "--no-progress"});
    CHECK_THAT(loud.err, Catch::Contains("certfleet: scan 2 complete:"));
}

TEST_CASE("e2e: cron: scan --quiet still says what went wrong", "[e2e][cron]") {
    Fleet fleet;
    // A root that does not exist: the error names it and its reason, and the summary says which scan it was.
    const std::string missing = (fleet.dir / "nonexistent").string();
    const auto gone = run_certfleet(fleet.db, {"scan", "--quiet", "--files", missing});
    INFO(gone.err);
    CHECK(gone.out.empty());
    CHECK_THAT(gone.err, Catch::Contains(missing + ": not_found"));
    CHECK_THAT(gone.err, Catch::Contains("certfleet: scan 1 complete:"));

    // A usage error too, with its usual exit code.
    const auto bad_target = run_certfleet(fleet.db, {"scan", "--quiet", "10.0.0.0/33"});
    CHECK(bad_target.exit_code == 2);
    CHECK_THAT(bad_target.err, Catch::Contains("10.0.0.0/33"));
}

TEST_CASE("e2e: cron: check --warning-days and --critical-days set the status by days left", "[e2e][cron][check]") {
    Fleet fleet;
    fleet.scan();

    const auto plain = run_certfleet(fleet.db, {"check"});
    INFO(plain.out);
    CHECK(plain.exit_code == 0);

    const auto critical = run_certfleet(fleet.db, {"check", "--warning-days", "120", "--critical-days", "100"});
    INFO(critical.out);
    CHECK(critical.exit_code == 2);
    CHECK_THAT(first_line(critical.out),
               Catch::Matches(R"(CERTFLEET CRITICAL - 1 critical, 0 warning \| critical=1;;;0 warning=0;;;0 )"
                              R"(min_days_left=(89|90);120;100;; unseen=0;;;0 unreadable=0;;;0 unreachable=0;;;0)"));
    CHECK_THAT(critical.out, Catch::Contains("\ncritical --critical-days 100: 1 place at or under it\n"));
    CHECK_THAT(line_after(critical.out, "  " + fleet.leaf_path),
               Catch::Matches(R"(: (89|90) days left( \[app\.example, sha256 [0-9a-f]{16}\])?)"));

    const auto warning = run_certfleet(fleet.db, {"check", "--warning-days", "120", "--critical-days", "30"});
    INFO(warning.out);
    CHECK(warning.exit_code == 1);
    CHECK_THAT(first_line(warning.out),
               Catch::Matches(R"(CERTFLEET WARNING - 0 critical, 1 warning \| critical=0;;;0 warning=1;;;0 )"
                              R"(min_days_left=(89|90);120;30;; unseen=0;;;0 unreadable=0;;;0 unreachable=0;;;0)"));
    CHECK_THAT(warning.out, Catch::Contains("\nwarning --warning-days 120: 1 place at or under it\n"));
    CHECK_THAT(warning.out, Catch::Contains("app.example, sha256 " + fleet.chain.leaf.sha256().substr(0, 16)));
    CHECK_THAT(line_after(warning.out, "  " + fleet.leaf_path), Catch::StartsWith(": ") && Catch::Contains(" days left"));

    const auto as_json = run_certfleet(
        fleet.db, {"check", "--format", "json", "--warning-days", "120", "--critical-days", "100"});
    INFO(as_json.out);
    CHECK(as_json.exit_code == 2);
    const auto doc = json::parse(as_json.out);
    CHECK(doc["status"] == "CRITICAL");
    CHECK(doc["counts"]["critical"] == 1);
    CHECK(doc["findings"].empty());
    REQUIRE(doc["threshold_hits"].size() == 1);
    const auto& hit = doc["threshold_hits"][0];
    CHECK(hit["status"] == "CRITICAL");
    CHECK(hit["threshold"] == "--critical-days");
    CHECK(hit["threshold_days"] == 100);
    CHECK(hit["days_left"] == doc["min_days_left"]);
    CHECK(hit["location"] == fleet.leaf_path);
    CHECK(hit["sha256"] == fleet.chain.leaf.sha256());

    // Thresholds are check's own judgement for this run: the scan's stored findings stay the rules' alone.
    const auto report = json::parse(run_certfleet(fleet.db, {"report", "--format", "json"}).out);
    CHECK(report["findings"].empty());
}

TEST_CASE("e2e: cron: only the day thresholds given on the command line set the status", "[e2e][cron][check]") {
    Fleet fleet;
    // 9 days left (10 within the second it is made), and rules that find nothing: only the thresholds judge it.
    write_file(fleet.dir / "tree/soon/cert.pem",
               TestCert::make({.subject_cn = "soon.example", .dns_names = {"soon.example"}, .not_after_days = 10},
                              TestKey::shared({}, 12), &fleet.chain.intermediate, &fleet.chain.intermediate_key)
                   .pem());
    write_file(fleet.dir / "none.yaml",
               "rules:\n  - id: never\n    severity: critical\n    match: {subject: \"CN=no such certificate\"}\n");
    fleet.scan();
    const std::string rules = (fleet.dir / "none.yaml").string();

    // The default 30 and 14 days stay perfdata only.
    const auto defaults = run_certfleet(fleet.db, {"check", "--rules", rules});
    INFO(defaults.out);
    CHECK(defaults.exit_code == 0);
    CHECK_THAT(first_line(defaults.out), Catch::Matches(R"(CERTFLEET OK - .* min_days_left=(9|10);30;14;; unseen=0;;;0 unreadable=0;;;0 unreachable=0;;;0)"));

    // --warning-days alone: WARNING, although 9 days is under the default --critical-days.
    const auto warning = run_certfleet(fleet.db, {"check", "--rules", rules, "--warning-days", "20"});
    INFO(warning.out);
    CHECK(warning.exit_code == 1);
    CHECK_THAT(warning.out, Catch::Contains("\nwarning --warning-days 20: 1 place at or under it\n"));
    CHECK_THAT(line_after(warning.out, "  " + (fleet.dir / "tree/soon/cert.pem").string()),
               Catch::Matches(R"(: (9|10) days left( \[soon\.example, .*)?)"));

    const auto critical = run_certfleet(fleet.db, {"check", "--rules", rules, "--critical-days", "10"});
    INFO(critical.out);
    CHECK(critical.exit_code == 2);
}

TEST_CASE("e2e: cron: a critical threshold above the warning one is UNKNOWN, naming both flags", "[e2e][cron][check]") {
    Fleet fleet;
    fleet.scan();
    const auto both = run_certfleet(fleet.db, {"check", "--warning-days", "20", "--critical-days", "30"});
    CHECK(both.exit_code == 3);
    CHECK_THAT(first_line(both.out), Catch::StartsWith("CERTFLEET UNKNOWN - --critical-days 30 is more than "
                                                       "--warning-days 20"));
    // Against the default --warning-days too, saying it is the default.
    const auto one = run_certfleet(fleet.db, {"check", "--critical-days", "45"});
    CHECK(one.exit_code == 3);
    CHECK_THAT(first_line(one.out), Catch::Contains("--critical-days 45 is more than --warning-days 30 (the default)"));
    CHECK(run_certfleet(fleet.db, {"check", "--critical-days", "-1"}).exit_code == 3);
}
