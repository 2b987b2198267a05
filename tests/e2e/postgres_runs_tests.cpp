// End-to-end: the shards of one network scan, written by scanners running at once into one PostgreSQL inventory
// under one run name, are one scan to report, inventory and check: incomplete (and UNKNOWN to a monitor) until
// every shard has ended, then the same endpoints and certificates as the scan run whole, a shard run twice
// counted once.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "tests/e2e/certfleet_binary.hpp"
#include "testkit/cert_factory.hpp"
#include "testkit/fleet/fleet_control.hpp"
#include "tests/unit/pg_test_cluster.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using nlohmann::json;

namespace {

constexpr int kEndpoints = 6;
constexpr int kShards = 3;
const std::vector<std::string> kScanOf{"scan", "127.66.57.1-127.66.57.6", "--ports", "15444", "--timeout-ms", "5000",
                                       "--no-progress"};

// `scan --shard K/3 --run job-1` for each K given, all started together.
void scan_shards_at_once(const std::string& db, const std::vector<int>& shards) {
    std::vector<ProcessResult> results(shards.size());
    std::vector<std::thread> scanners;
    for (std::size_t i = 0; i < shards.size(); ++i)
        scanners.emplace_back([&, i] {
            auto args = kScanOf;
            args.insert(args.end(), {"--shard", std::to_string(shards[i]) + "/" + std::to_string(kShards), "--run",
                                     "job-1"});
            results[i] = run_certfleet(db, args);
        });
    for (auto& scanner : scanners) scanner.join();
    for (const auto& result : results) {
        INFO(result.err);
        REQUIRE(result.exit_code == 0);
    }
}

json ask(const std::string& db, std::vector<std::string> args, int expected_exit = 0) {
    args.insert(args.end(), {"--format", "json"});
    const auto r = run_certfleet(db, args);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == expected_exit);
    return json::parse(r.out);
}

std::multiset<std::string> endpoints_of(const json& report) {
    std::multiset<std::string> out;
    for (const auto& e : report["endpoints"]) out.insert(e["address"].get<std::string>() + " " + e["status"].get<std::string>());
    return out;
}

std::set<std::string> certificates_of(const json& report) {
    std::set<std::string> out;
    for (const auto& c : report["certificates"]) out.insert(c["sha256"].get<std::string>());
    return out;
}

}  // namespace

TEST_CASE("e2e postgres: the shards of one run, written at once and one of them twice, report as the scan they split",
          "[e2e][pg][server][concurrency]") {
    std::vector<FleetEndpoint> endpoints(kEndpoints);
    for (int i = 0; i < kEndpoints; ++i) {
        auto& e = endpoints[static_cast<std::size_t>(i)];
        e.kind = "tls";
        e.address = "127.66.57." + std::to_string(i + 1);
        e.port = 15444;
        e.key = TestKey::shared({}, 170 + i);
        const std::string cn = "shard-" + std::to_string(i) + ".runs.test";
        e.chain = {TestCert::make({.subject_cn = cn, .dns_names = {cn}}, e.key)};
    }
    TestFleet fleet(endpoints);
    const std::string db = test_cluster().create_database("runs_of_shards");
    TempDir dir;
    const std::string whole_db = (dir / "whole.db").string();  // the same scan unsharded, on SQLite
    REQUIRE(run_certfleet(whole_db, kScanOf).exit_code == 0);
    const json whole = ask(whole_db, {"report", "--scan", "1"});
    REQUIRE(whole["endpoints"].size() == static_cast<std::size_t>(kEndpoints));

    // Two shards of three: the run is incomplete, says which shard is missing, and a monitor cannot call it OK.
    scan_shards_at_once(db, {1, 2});
    const json partial = ask(db, {"report", "--run", "job-1"});
    CHECK(partial["scope"] == "run");
    CHECK(partial["run"]["complete"] == false);
    CHECK(partial["run"]["missing_shards"] == json::array({3}));
    CHECK(partial["scan"]["status"] == "interrupted");
    const json unknown = ask(db, {"check", "--run", "job-1"}, 3);
    CHECK(unknown["status"] == "UNKNOWN");
    CHECK(unknown["run"]["gaps"] == "shard 3/3 has no scan");
    const auto metrics_of = [&] {
        const auto r = run_certfleet(db, {"report", "--run", "job-1", "--format", "prometheus"});
        REQUIRE(r.exit_code == 0);
        return r.out;
    };
    const std::string partial_metrics = metrics_of();
    CHECK(partial_metrics.find("certfleet_run_complete{run=\"job-1\"} 0\n") != std::string::npos);
    CHECK(partial_metrics.find("certfleet_run_missing_shards{run=\"job-1\"} 1\n") != std::string::npos);
    CHECK(partial_metrics.find("\nx509_scan_last_success_timestamp_seconds ") == std::string::npos);

    // The last shard and a rerun of shard 2 (a replaced pod), at once: complete, each endpoint once.
    scan_shards_at_once(db, {3, 2});
    const json runs = ask(db, {"inventory", "runs"});
    REQUIRE(runs["runs"].size() == 1);
    const json& run = runs["runs"][0];
    CHECK(run["name"] == "job-1");
    CHECK(run["complete"] == true);
    CHECK(run["scans"].size() == static_cast<std::size_t>(kShards));
    CHECK(run["superseded_scans"].size() == 1);

    const json report = ask(db, {"report", "--run", "job-1"});
    CHECK(report["run"]["complete"] == true);
    CHECK(report["scan"]["status"] == "complete");
    CHECK(endpoints_of(report) == endpoints_of(whole));
    CHECK(certificates_of(report) == certificates_of(whole));
    CHECK(report["scan"]["endpoints"] == whole["scan"]["endpoints"]);
    CHECK(ask(db, {"inventory", "endpoints", "--run", "job-1"})["endpoints"].size() == static_cast<std::size_t>(kEndpoints));
    const std::string metrics = metrics_of();
    CHECK(metrics.find("certfleet_run_complete{run=\"job-1\"} 1\n") != std::string::npos);
    CHECK(metrics.find("\nx509_scan_last_success_timestamp_seconds ") != std::string::npos);

    const auto checked = run_certfleet(db, {"check", "--run", "job-1", "--format", "json"});
    INFO(checked.out);
    CHECK(checked.exit_code != 3);
    CHECK(json::parse(checked.out)["run"]["complete"] == true);

    const auto missing = run_certfleet(db, {"report", "--run", "job-2"});
    CHECK(missing.exit_code != 0);
    CHECK(missing.err.find("no run 'job-2'") != std::string::npos);
    CHECK(missing.err.find("latest runs: job-1") != std::string::npos);
}
