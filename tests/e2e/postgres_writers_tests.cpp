// End-to-end: many scanners writing one PostgreSQL inventory at the same moment, as the hosts of a fleet do.
// Each certificate is one row however many scanners meet it at once, every place of every host is kept, issuer
// links form across scanners, and the same scans run again leave the same inventory. A scan is abandoned only
// when the session of the scanner that runs it is gone, one killed and resumed leaves what one run leaves, and
// one whose server restarts under it goes on.
#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "tests/e2e/certfleet_binary.hpp"
#include "tests/e2e/silent_listener.hpp"
#include "testkit/cert_factory.hpp"
#include "testkit/fleet/fleet_control.hpp"
#include "testkit/wait.hpp"
#include "testkit/postgres_cluster.hpp"
#include "tests/unit/pg_test_cluster.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr int kScanners = 8;
constexpr int kSharedCertificates = 20;
constexpr int kOwnCertificates = 6;

// Every scanner's `certfleet scan --files TREE --host NAME`, all started together; their results in order.
std::vector<ProcessResult> scan_all_at_once(const std::string& db, const fs::path& dir) {
    std::vector<ProcessResult> results(kScanners);
    std::vector<std::thread> scanners;
    for (int i = 0; i < kScanners; ++i) {
        scanners.emplace_back([&, i] {
            results[static_cast<std::size_t>(i)] =
                run_certfleet(db, {"scan", "--files", (dir / ("host-" + std::to_string(i))).string(), "--host",
                                   "host-" + std::to_string(i), "--no-progress"});
        });
    }
    for (auto& scanner : scanners) scanner.join();
    return results;
}

json ask(const std::string& db, std::vector<std::string> args) {
    args.push_back("--format");
    args.push_back("json");
    const auto r = run_certfleet(db, args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return json::parse(r.out);
}

// Each certificate's sha256 with the places the view holds it at, as "host:path".
std::map<std::string, std::multiset<std::string>> places_by_certificate(const json& report) {
    std::map<std::string, std::multiset<std::string>> out;
    for (const auto& cert : report["certificates"]) {
        auto& places = out[cert["sha256"].get<std::string>()];
        for (const auto& s : cert["sightings"])
            places.insert(s["host"].get<std::string>() + ":" + s["path"].get<std::string>());
    }
    return out;
}

}  // namespace

TEST_CASE("e2e postgres: eight scanners writing at once, twice, keep one inventory", "[e2e][pg][server][concurrency]") {
    TempDir dir;
    const std::string db = test_cluster().create_database("eight_writers");

    // One CA, known only to host-0; the leaves it signed are on every host; each host has certificates of its own.
    const TestKey ca_key = TestKey::shared({}, 161);
    const TestCert ca = TestCert::make({.subject_cn = "Writers CA", .not_before_days = -10, .not_after_days = 900,
                                        .is_ca = true},
                                       ca_key);
    write_file(dir / "host-0/ca/writers-ca.pem", ca.pem());
    std::vector<TestCert> shared;
    for (int n = 0; n < kSharedCertificates; ++n) {
        const std::string cn = "shared-" + std::to_string(n) + ".writers.test";
        shared.push_back(TestCert::make({.subject_cn = cn, .dns_names = {cn}, .not_after_days = 30 + n},
                                        TestKey::shared({}, 162), &ca, &ca_key));
    }
    for (int i = 0; i < kScanners; ++i) {
        const fs::path tree = dir / ("host-" + std::to_string(i));
        for (int n = 0; n < kSharedCertificates; ++n)
            write_file(tree / "etc/shared" / (std::to_string(n) + ".pem"), shared[static_cast<std::size_t>(n)].pem());
        for (int n = 0; n < kOwnCertificates; ++n) {
            const std::string cn = "own-" + std::to_string(i) + "-" + std::to_string(n) + ".writers.test";
            write_file(tree / "etc/own" / (std::to_string(n) + ".pem"),
                       TestCert::make({.subject_cn = cn, .dns_names = {cn}}, TestKey::shared({}, 163)).pem());
        }
    }

    std::map<std::string, std::multiset<std::string>> first_view;
    for (int round = 1; round <= 2; ++round) {
        INFO("round " << round);
        for (const auto& result : scan_all_at_once(db, dir.path())) {
            INFO(result.err);
            CHECK(result.exit_code == 0);
            CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);  // its summary, no complaint
        }
        const json scans = ask(db, {"inventory", "scans"});
        REQUIRE(scans["scans"].size() == static_cast<std::size_t>(kScanners * round));
        for (const auto& scan : scans["scans"]) CHECK(scan["status"] == "complete");

        const json report = ask(db, {"report"});
        const auto view = places_by_certificate(report);
        CHECK(view.size() == static_cast<std::size_t>(1 + kSharedCertificates + kScanners * kOwnCertificates));
        for (const auto& cert : shared) {
            INFO(cert.sha256());
            REQUIRE(view.contains(cert.sha256()));
            const auto& places = view.at(cert.sha256());
            CHECK(places.size() == static_cast<std::size_t>(kScanners));  // one per host, none twice
            CHECK(std::set<std::string>(places.begin(), places.end()).size() == places.size());
        }
        if (round == 1) first_view = view;
        else CHECK(view == first_view);  // the same scans again: the same places, no duplicates
        CHECK(unreferenced_rows(test_cluster(), "eight_writers") == "");

        // Whichever scanner stored the CA and whichever its leaves, each leaf is linked to it.
        for (const auto& cert : {shared.front(), shared.back()}) {
            const json answer = ask(db, {"inventory", "cert", cert.sha256()});
            INFO(answer.dump(1));
            REQUIRE(answer["certificate"]["issuers"].size() == 1);
            CHECK(answer["certificate"]["issuers"][0] == ca.sha256());
        }
    }
}

TEST_CASE("e2e postgres: a scan is judged abandoned only when its scanner's session is gone",
          "[e2e][pg][server][network]") {
    TempDir dir;
    const std::string db = test_cluster().create_database("abandoned");
    write_file(dir / "tree/a.pem", TestCert::make({.subject_cn = "a.test"}, TestKey::shared({}, 164)).pem());
    write_file(dir / "other/b.pem", TestCert::make({.subject_cn = "b.test"}, TestKey::shared({}, 164)).pem());

    // Scan 1 runs on, as a scanner on another machine would (no pid of it means anything here); scan 2 is killed
    // once past its files.
    SilentListener held;
    RunningCertfleet alive(db, {"scan", held.target(), "--timeout-ms", "60000", "--no-progress"});
    REQUIRE(held.wait_for_connection(std::chrono::seconds(60)));
    {
        SilentListener killed;
        RunningCertfleet doomed(db, {"scan", killed.target(), "--files", (dir / "tree").string(), "--timeout-ms",
                                     "60000", "--no-progress"});
        REQUIRE(killed.wait_for_connection(std::chrono::seconds(60)));
        const auto exit = doomed.stop_with(SIGKILL, std::chrono::seconds(30));
        REQUIRE(exit);
        CHECK(*exit == 128 + SIGKILL);
    }
    const auto statuses = [&] {
        const json doc = ask(db, {"inventory", "scans"});
        std::vector<std::string> out;
        for (const auto& scan : doc["scans"]) out.push_back(scan["status"]);
        return out;
    };
    CHECK(statuses() == std::vector<std::string>{"running", "running"});

    // The next scanner to start finds scan 2's session gone and scan 1's still there.
    REQUIRE(run_certfleet(db, {"scan", "--files", (dir / "other").string(), "--no-progress"}).exit_code == 0);
    CHECK(statuses() == std::vector<std::string>{"running", "interrupted", "complete"});
    const json killed_scan = ask(db, {"report", "--scan", "2"});
    CHECK(killed_scan["certificates"].size() == 1);  // what it stored before it died is kept

    const auto stopped = alive.stop_with(SIGINT, std::chrono::seconds(30));
    REQUIRE(stopped);
    CHECK(*stopped == 130);
    CHECK(statuses() == std::vector<std::string>{"interrupted", "interrupted", "complete"});
}

TEST_CASE("e2e postgres: a scan killed with -9 and resumed leaves what one whole run leaves",
          "[e2e][pg][server][network]") {
    // One tarpit after another, each costing the whole timeout, so a kill once the first results are stored
    // always lands part-way.
    constexpr int kTargets = 16;
    std::vector<FleetEndpoint> tarpits(kTargets);
    for (int i = 0; i < kTargets; ++i) {
        tarpits[static_cast<std::size_t>(i)].kind = "tarpit";
        tarpits[static_cast<std::size_t>(i)].address = "127.66.54." + std::to_string(i + 1);
        tarpits[static_cast<std::size_t>(i)].port = 14443;
    }
    TestFleet fleet(tarpits);
    const std::string killed_db = test_cluster().create_database("killed_and_resumed");
    TempDir dir;
    const std::string whole_db = (dir / "run-once.db").string();  // the same scan, whole, on SQLite
    const std::vector<std::string> args{"scan", "127.66.54.1-127.66.54.16", "--ports", "14443", "--concurrency",
                                        "1", "--timeout-ms", "400", "--no-progress"};
    {
        RunningCertfleet first(killed_db, args);
        const auto stored_endpoints = [&] {
            const auto report = run_certfleet(killed_db, {"report", "--format", "json", "--scan", "1"});
            return report.exit_code == 0 ? json::parse(report.out)["endpoints"].size() : 0;
        };
        // Killed once its first batch is stored; the ceiling is only for a scan that never stores one.
        wait_until([&] { return first.has_exited() || stored_endpoints() > 0; }, std::chrono::seconds(60),
                   std::chrono::milliseconds(20));
        const auto exit = first.stop_with(SIGKILL, std::chrono::seconds(30));
        REQUIRE(exit);
        REQUIRE(*exit == 128 + SIGKILL);
    }
    auto resume_args = args;
    resume_args.push_back("--resume");
    const auto resumed = run_certfleet(killed_db, resume_args);
    INFO(resumed.err);
    REQUIRE(resumed.exit_code == 0);
    CHECK(resumed.err.find("resuming scan 1 at target ") != std::string::npos);
    const auto once = run_certfleet(whole_db, args);
    REQUIRE(once.exit_code == 0);

    // The same endpoints, each once, with the same outcome, as the scan that ran whole (on SQLite).
    const auto endpoints = [&](const std::string& db, std::vector<std::string> question) {
        std::multiset<std::string> out;
        const json report = ask(db, question);  // a range-for over ask(...)[...] would read a destroyed temporary
        for (const auto& e : report["endpoints"])
            out.insert(e["address"].get<std::string>() + " " + e["status"].get<std::string>());
        return out;
    };
    CHECK(endpoints(killed_db, {"report", "--scan", "1"}) == endpoints(whole_db, {"report", "--scan", "1"}));
    CHECK(endpoints(killed_db, {"report"}) == endpoints(whole_db, {"report"}));
    const json scans = ask(killed_db, {"inventory", "scans"});
    REQUIRE(scans["scans"].size() == 1);
    CHECK(scans["scans"][0]["status"] == "complete");
    CHECK(ask(killed_db, {"report"})["scan"]["endpoints"] == ask(whole_db, {"report"})["scan"]["endpoints"]);
    CHECK(unreferenced_rows(test_cluster(), "killed_and_resumed") == "");
}

TEST_CASE("e2e postgres: a scan goes on through a server restart, losing nothing", "[e2e][pg][server][network]") {
    // A private cluster of this test's own: the restart cuts every session on it.
    PostgresCluster cluster;
    constexpr int kTargets = 16;
    std::vector<FleetEndpoint> tarpits(kTargets);
    for (int i = 0; i < kTargets; ++i) {
        tarpits[static_cast<std::size_t>(i)].kind = "tarpit";
        tarpits[static_cast<std::size_t>(i)].address = "127.66.58." + std::to_string(i + 1);
        tarpits[static_cast<std::size_t>(i)].port = 14445;
    }
    TestFleet fleet(tarpits);
    const std::string db = cluster.create_database("restarted");
    RunningCertfleet scan(db, {"scan", "127.66.58.1-127.66.58.16", "--ports", "14445", "--concurrency", "1",
                               "--timeout-ms", "400", "--no-progress"});
    const auto stored_endpoints = [&] {
        const auto report = run_certfleet(db, {"report", "--format", "json", "--scan", "1"});
        return report.exit_code == 0 ? json::parse(report.out)["endpoints"].size() : 0;
    };
    // Restarted once the first batch is stored, while the scan goes on probing.
    REQUIRE(wait_until([&] { return scan.has_exited() || stored_endpoints() > 0; }, std::chrono::seconds(60),
                       std::chrono::milliseconds(20)));
    REQUIRE_FALSE(scan.has_exited());
    cluster.restart();
    const auto exit = scan.wait_for_exit(std::chrono::seconds(120));
    REQUIRE(exit);
    CHECK(*exit == 0);
    const json scans = ask(db, {"inventory", "scans"});
    REQUIRE(scans["scans"].size() == 1);
    CHECK(scans["scans"][0]["status"] == "complete");
    CHECK(ask(db, {"report", "--scan", "1"})["endpoints"].size() == static_cast<std::size_t>(kTargets));
    CHECK(unreferenced_rows(cluster, "restarted") == "");
}
