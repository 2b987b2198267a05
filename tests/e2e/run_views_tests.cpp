// End-to-end: diff and progress take runs (scan --run NAME) as they take scans. diff --run NAME compares the view
// before the run with the view after it, --run OLD --run NEW the views after each; progress --run NAME is the
// burn-down up to the view after the run. A run with a shard missing is named on stderr with what it lacks.
#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/e2e/certfleet_steps.hpp"
#include "testkit/cert_factory.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using nlohmann::json;

namespace {

std::vector<std::string> paths_of(const json& places) {
    std::vector<std::string> out;
    for (const auto& p : places) {
        const std::string path = p["place"]["path"];
        out.push_back(path.substr(path.rfind('/') + 1));
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

TEST_CASE("e2e runs: diff and progress see a run as one scan", "[e2e][runs]") {
    TempDir dir;
    const std::string db = (dir / "inventory.db").string();
    const auto web = dir / "web", mail = dir / "mail";
    const TestKey key = TestKey::shared({}, 3);
    const auto old_web = TestCert::make({.subject_cn = "web.example", .not_after_days = 30}, key);
    const auto new_web = TestCert::make({.subject_cn = "web.example", .not_after_days = 300}, key);
    const auto mail_cert = TestCert::make({.subject_cn = "mail.example"}, key);
    const auto extra = TestCert::make({.subject_cn = "extra.example"}, key);
    write_file(web / "web.pem", old_web.pem());
    write_file(mail / "mail.pem", mail_cert.pem());
    scan_ok(db, {"--files", web.string()});  // scan 1, before any run
    // Run "monday": two scans, one a tree each.
    scan_ok(db, {"--files", web.string(), "--run", "monday"});
    scan_ok(db, {"--files", mail.string(), "--run", "monday"});
    // Run "tuesday": the web certificate renewed, a new file beside the mail one.
    write_file(web / "web.pem", new_web.pem());
    write_file(mail / "extra.pem", extra.pem());
    scan_ok(db, {"--files", web.string(), "--run", "tuesday"});
    scan_ok(db, {"--files", mail.string(), "--run", "tuesday"});

    SECTION("--run NAME: the view before the run against the view after it") {
        const json diff = json_of(db, {"diff", "--run", "monday"})["diff"];
        INFO(diff.dump(1));
        CHECK(diff["from"]["id"] == 1);
        CHECK(diff["to"]["id"] == 3);
        CHECK(paths_of(diff["new_places"]) == std::vector<std::string>{"mail.pem"});
        CHECK(diff["rotated"].empty());
    }
    SECTION("--run OLD --run NEW: the views after each") {
        const json diff = json_of(db, {"diff", "--run", "monday", "--run", "tuesday"})["diff"];
        INFO(diff.dump(1));
        CHECK(diff["from"]["id"] == 3);
        CHECK(diff["to"]["id"] == 5);
        CHECK(paths_of(diff["new_places"]) == std::vector<std::string>{"extra.pem"});
        REQUIRE(diff["rotated"].size() == 1);
        CHECK(diff["rotated"][0]["new_sha256"] == new_web.sha256());
    }
    SECTION("a run that holds the inventory's first scans has no view before it; an unknown run is named") {
        const std::string first_db = (dir / "first.db").string();
        scan_ok(first_db, {"--files", web.string(), "--run", "only"});
        const auto first = run_certfleet(first_db, {"diff", "--run", "only"});
        CHECK(first.exit_code == 2);
        CHECK(first.err.find("run 'only' holds the first scans of") != std::string::npos);
        const auto unknown = run_certfleet(db, {"diff", "--run", "sunday"});
        CHECK(unknown.exit_code == 2);
        CHECK(unknown.err.find("no run 'sunday'") != std::string::npos);
        CHECK(unknown.err.find("latest runs: tuesday, monday") != std::string::npos);
        CHECK(run_certfleet(db, {"diff", "1", "--run", "monday"}).exit_code == 2);  // a run or scans, not both
    }
    SECTION("progress --run: the burn-down stops at the view after the run") {
        write_file(dir / "rules.yaml",
                   "rules:\n"
                   "  - id: renew-web\n"
                   "    description: web.example gets a longer-lived certificate\n"
                   "    severity: high\n"
                   "    match: {expires_within: 60d}\n"
                   "    deadline: 2099-03-31\n");
        const auto progress = [&](const std::string& run) {
            const auto r = run_certfleet(db, {"progress", "--rules", (dir / "rules.yaml").string(), "--run", run,
                                              "--format", "json"});
            INFO(r.err);
            REQUIRE(r.exit_code == 0);
            return json::parse(r.out)["migrations"][0]["history"];
        };
        const json monday = progress("monday"), tuesday = progress("tuesday");
        INFO(monday.dump(1) << tuesday.dump(1));
        REQUIRE(monday.size() == 3);
        CHECK(monday.back()["unmet"] == 1);
        REQUIRE(tuesday.size() == 5);
        CHECK(tuesday.back()["unmet"] == 0);
    }
}

TEST_CASE("e2e runs: diff of a run with a shard missing says so and still compares", "[e2e][runs]") {
    TempDir dir;
    const std::string db = (dir / "inventory.db").string();
    const auto tree = dir / "srv";
    write_file(tree / "a.pem", TestCert::make({.subject_cn = "a.example"}, TestKey::shared({}, 3)).pem());
    scan_ok(db, {"--files", tree.string()});
    // Shard 1 of 2 of a loopback sweep; shard 2 never runs.
    scan_ok(db, {"127.0.0.0/30", "--ports", "1", "--shard", "1/2", "--run", "sweep", "--timeout-ms", "2000"});
    const auto r = run_certfleet(db, {"diff", "--run", "sweep", "--format", "json"});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("run sweep is incomplete (shard 2/2") != std::string::npos);
    CHECK(json::parse(r.out)["diff"]["to"]["id"] == 2);
}
