// End-to-end: one view behind every output. A files-only scan after a network scan leaves the endpoints in every
// report format, in the metrics and in diff; `--scan N` is that scan alone and says so. A targets list that cannot
// be read is stored as a failed scan, and check is UNKNOWN until a scan reads it.
#include <algorithm>
#include <catch2/catch.hpp>
#include <sstream>
#include <nlohmann/json.hpp>

#include "tests/e2e/certfleet_steps.hpp"
#include "tests/e2e/serve_support.hpp"
#include "testkit/cert_factory.hpp"
#include "testkit/fleet/fleet_control.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string report(const std::string& db, std::vector<std::string> args) {
    args.insert(args.begin(), "report");
    const auto r = run_certfleet(db, args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return r.out;
}

TestCert healthy_cert(const std::string& cn, int key) {
    return TestCert::make({.subject_cn = cn, .dns_names = {cn}, .not_before_days = -10, .not_after_days = 200},
                          TestKey::shared({}, key));
}

}  // namespace

TEST_CASE("e2e current view: a files-only scan after a network scan leaves the endpoints in every output",
          "[e2e][view][network]") {
    TempDir dir;
    const std::string db = (dir / "inventory.db").string();
    const auto served = healthy_cert("api.example", 41), stored = healthy_cert("stored.example", 42);
    {
        FleetEndpoint e;
        e.kind = "tls";
        e.address = "127.66.40.1";
        e.port = 14443;
        e.chain = {served};
        e.key = TestKey::shared({}, 41);
        TestFleet fleet({e});
        scan_ok(db, {"127.66.40.1", "--ports", "14443", "--timeout-ms", "5000"});
    }
    write_file(dir / "tree/stored.pem", stored.pem());
    scan_ok(db, {"--files", (dir / "tree").string()});

    const json doc = json::parse(report(db, {"--format", "json"}));
    CHECK(doc["scope"] == "view");
    CHECK(doc["scan"]["id"] == 2);
    REQUIRE(doc["endpoints"].size() == 1);
    CHECK(doc["endpoints"][0]["address"] == "127.66.40.1");
    CHECK(doc["certificates"].size() == 2);
    for (const char* format : {"table", "csv", "markdown", "html", "prometheus"}) {
        INFO(format);
        const auto out = report(db, {"--format", format});
        CHECK(out.find("127.66.40.1") != std::string::npos);
        CHECK(out.find("stored.pem") != std::string::npos);
    }
    const auto prometheus = report(db, {"--format", "prometheus"});
    CHECK(prometheus.find("sha256=\"" + served.sha256() + "\"") != std::string::npos);
    {
        // What Prometheus scrapes keeps the endpoint's series, so its expiry alert does not flap.
        ServeProcess server(db);
        const std::string metrics = server.get("/metrics");
        CHECK(metrics.find("address=\"127.66.40.1\"") != std::string::npos);
        CHECK(metrics.find("sha256=\"" + served.sha256() + "\"") != std::string::npos);
        CHECK(server.stop() == 0);
    }
    CHECK(report(db, {"--format", "table"}).find("Current view after scan 2") != std::string::npos);

    // That scan alone, and the header says so.
    const auto alone = report(db, {"--format", "table", "--scan", "2"});
    INFO(alone);
    CHECK(alone.find("Scan 2 alone") != std::string::npos);
    CHECK(alone.find("127.66.40.1") == std::string::npos);
    CHECK(json::parse(report(db, {"--format", "json", "--scan", "2"}))["scope"] == "scan");

    // diff compares the views: the files scan added a file and took no endpoint away.
    const auto diff_run = run_certfleet(db, {"diff", "1", "2", "--format", "json"});
    REQUIRE(diff_run.exit_code == 0);
    const json diff = json::parse(diff_run.out)["diff"];
    INFO(diff.dump(1));
    CHECK(diff["gone_places"].empty());
    CHECK(diff["gone_certificates"].empty());
    REQUIRE(diff["new_places"].size() == 1);
    CHECK(diff["new_places"][0]["place"]["kind"] == "file");
}

TEST_CASE("e2e current view: a targets list that cannot be read makes check UNKNOWN until a scan reads it",
          "[e2e][view][check]") {
    TempDir dir;
    const std::string db = (dir / "inventory.db").string();
    const TestChain chain = make_chain("ok.example");
    write_file(dir / "tree/fullchain.pem", chain.leaf.pem() + chain.intermediate.pem());
    scan_ok(db, {"--files", (dir / "tree").string()});
    REQUIRE(run_certfleet(db, {"check"}).exit_code == 0);

    const std::string list = (dir / "targets.txt").string();
    const auto refused = run_certfleet(db, {"scan", "--targets-file", list, "--ports", "14443", "--no-progress"});
    INFO(refused.err);
    CHECK(refused.exit_code == 2);
    CHECK(refused.err.find("--targets-file " + list + ": cannot open") != std::string::npos);
    CHECK(refused.err.find("stored as failed scan 2") != std::string::npos);

    const auto unknown = run_certfleet(db, {"check"});
    INFO(unknown.out);
    CHECK(unknown.exit_code == 3);
    CHECK(unknown.out.find(", 1 unreadable lists |") != std::string::npos);
    CHECK(unknown.out.find("unknown " + list + ": ") != std::string::npos);
    const auto check_json = json::parse(run_certfleet(db, {"check", "--format", "json"}).out);
    CHECK(check_json["coverage"]["unreadable_lists"].size() == 1);
    // The reports still show the view the earlier scan left.
    CHECK(json::parse(report(db, {"--format", "json"}))["scan"]["id"] == 1);

    SECTION("a list abandoned on purpose is forgotten, until a scan names it again") {
        const auto forgot = run_certfleet(db, {"forget", list});
        INFO(forgot.out << forgot.err);
        CHECK(forgot.exit_code == 0);
        CHECK(forgot.out == "forgot 0 places and 1 unreadable input:\n  unreadable list file " + list + "\n");
        CHECK(run_certfleet(db, {"check"}).exit_code == 0);
        CHECK(run_certfleet(db, {"scan", "--targets-file", list, "--ports", "14443", "--no-progress"}).exit_code == 2);
        CHECK(run_certfleet(db, {"check"}).exit_code == 3);
        return;
    }
    // The list is back: a scan that reads it clears the alert (nothing listens there; the port is closed).
    write_file(list, "127.66.41.1\n");
    scan_ok(db, {"--targets-file", list, "--ports", "14443", "--timeout-ms", "2000"});
    const auto ok = run_certfleet(db, {"check"});
    INFO(ok.out);
    CHECK(ok.exit_code == 0);
}

TEST_CASE("e2e current view: labels and host reach every export, so work can be routed to its owners",
          "[e2e][view]") {
    TempDir dir;
    const std::string db = (dir / "inventory.db").string();
    const auto expired = TestCert::make(
        {.subject_cn = "old.example", .dns_names = {"old.example"}, .not_before_days = -60, .not_after_days = -3},
        TestKey::shared({}, 44));
    write_file(dir / "srv/old.crt", expired.pem());
    scan_ok(db, {"--files", (dir / "srv").string(), "--host", "web7", "--label", "owner=payments", "--label",
                 "env=prod"});

    const json doc = json::parse(report(db, {"--format", "json"}));
    const json& sighting = doc["certificates"][0]["sightings"][0];
    CHECK(sighting["host"] == "web7");
    CHECK(sighting["labels"] == json({{"env", "prod"}, {"owner", "payments"}}));
    REQUIRE_FALSE(doc["findings"].empty());
    CHECK(doc["findings"][0]["labels"]["owner"] == "payments");
    CHECK(report(db, {"--format", "csv"}).find(",web7,") != std::string::npos);
    CHECK(report(db, {"--format", "csv"}).find("env=prod;owner=payments") != std::string::npos);
    const auto metrics = report(db, {"--format", "prometheus"});
    CHECK(metrics.find("host=\"web7\",label_env=\"prod\",label_owner=\"payments\"") != std::string::npos);
    const json check = json_of(db, {"check"});
    REQUIRE_FALSE(check["findings"].empty());
    CHECK(check["findings"][0]["labels"]["owner"] == "payments");
    CHECK(report(db, {"--format", "html"}).find("owner=payments") != std::string::npos);
}

TEST_CASE("e2e current view: every command's table fits 80 columns", "[e2e][view]") {
    TempDir dir;
    const std::string db = (dir / "inventory.db").string();
    const TestChain chain = make_chain("a-rather-long-service-name.payments.internal.example");
    const fs::path deep = dir / "srv/payments/production/eu-west-1/nginx/conf.d/tls";
    write_file(deep / "fullchain.pem", chain.leaf.pem() + chain.intermediate.pem());
    write_file(deep / "copy/fullchain.pem", chain.leaf.pem() + chain.intermediate.pem());
    write_file(dir / "srv/old.pem", TestCert::make({.subject_cn = "old.example", .not_before_days = -60,
                                                     .not_after_days = -3},
                                                    TestKey::shared({}, 45))
                                         .pem());
    for (int i = 0; i < 2; ++i)
        scan_ok(db, {"--files", (dir / "srv").string(), "--label", "owner=payments-platform-team", "--label",
                     "env=production"});
    const std::string leaf = chain.leaf.sha256();
    for (const std::vector<std::string>& command :
         {std::vector<std::string>{"inventory", "certs"}, {"inventory", "endpoints"}, {"inventory", "scans"},
          {"inventory", "shared"}, {"inventory", "keys"}, {"inventory", "anchors"}, {"inventory", "stores"},
          {"inventory", "cert", leaf}, {"inventory", "history", leaf}, {"diff", "1", "2"}, {"report"}, {"check"}}) {
        const auto r = run_certfleet(db, command);
        std::istringstream lines(r.out);
        bool first = true;
        for (std::string line; std::getline(lines, line); first = false) {
            if (first && command.front() == "check") continue;  // the Nagios status line and its perfdata
            INFO(command.front() << " " << command.back() << ": " << line);
            const auto columns = std::count_if(line.begin(), line.end(),
                                               [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
            CHECK(columns <= 80);
        }
    }
}

TEST_CASE("e2e current view: a scan compares what it saw with the previous scan of the same targets",
          "[e2e][view]") {
    TempDir dir;
    const std::string db = (dir / "inventory.db").string(), tree = (dir / "srv").string();
    const TestChain chain = make_chain("seen.example");
    write_file(dir / "srv/a/fullchain.pem", chain.leaf.pem() + chain.intermediate.pem());
    write_file(dir / "srv/b/fullchain.pem", chain.leaf.pem() + chain.intermediate.pem());
    const auto first = run_certfleet(db, {"scan", "--files", tree, "--no-progress"});
    CHECK(first.err.find("of the same targets") == std::string::npos);  // nothing to compare with yet
    scan_ok(db, {"--files", (dir / "srv/a").string()});                // other targets: not compared
    fs::remove(dir / "srv/b/fullchain.pem");
    const auto third = run_certfleet(db, {"scan", "--files", tree, "--no-progress"});
    INFO(third.err);
    CHECK(third.err.find("; 1 place seen (2 in scan 1 of the same targets)") != std::string::npos);
    const auto check = run_certfleet(db, {"check"});
    INFO(check.out);
    CHECK(check.out.find("\nseen: 1 place in scan 3, 2 in scan 1 of the same targets\n") != std::string::npos);
    const json coverage = json_of(db, {"check"})["coverage"];
    CHECK(coverage["seen_in_scan"] == 1);
    CHECK(coverage["previous_scan"] == 1);
    CHECK(coverage["seen_in_previous"] == 2);
}
