// End-to-end: scan --site. Two sites reach different servers at the same private address; each site's endpoint
// is its own in the inventory, every report format tells them apart, a run holds both sites' scans of the same
// targets, and what one site finds never takes the other's certificates out of the view.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "tests/e2e/certfleet_steps.hpp"
#include "testkit/cert_factory.hpp"
#include "testkit/fleet/fleet_control.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using nlohmann::json;

namespace {

// ctest runs test cases in parallel: each case that serves has its own address.
constexpr const char* kTwoSitesAddress = "127.66.62.1";
constexpr const char* kForgetAddress = "127.66.62.2";
constexpr std::uint16_t kPort = 15447;

FleetEndpoint serving(const std::string& address, const TestCert& cert, const TestKey& key) {
    return tls_endpoint(address, kPort, {cert}, key);
}

void scan_site(const std::string& db, const std::string& address, const std::string& site) {
    scan_ok(db, {address, "--ports", std::to_string(kPort), "--timeout-ms", "3000", "--site", site, "--run", "nightly"});
}

// "SUBJECT SITE" for every endpoint sighting of a JSON report.
std::set<std::string> endpoint_places(const json& report) {
    std::set<std::string> out;
    for (const auto& cert : report["certificates"])
        for (const auto& s : cert["sightings"])
            if (s["kind"] == "endpoint") out.insert(cert["subject"].get<std::string>() + " " + s["site"].get<std::string>());
    return out;
}

}  // namespace

TEST_CASE("e2e sites: the same address at two sites is two endpoints in every report", "[e2e][sites]") {
    TempDir dir;
    const std::string db = (dir / "inventory.db").string();
    const TestKey key_1 = TestKey::shared({}, 191), key_2 = TestKey::shared({}, 192);
    const TestCert at_dc1 = TestCert::make({.subject_cn = "vpn.dc1.test"}, key_1);
    const TestCert at_dc2 = TestCert::make({.subject_cn = "vpn.dc2.test"}, key_2);
    {
        TestFleet dc1({serving(kTwoSitesAddress, at_dc1, key_1)});
        scan_site(db, kTwoSitesAddress, "dc1");
    }
    std::optional<TestFleet> dc2;
    dc2.emplace(std::vector<FleetEndpoint>{serving(kTwoSitesAddress, at_dc2, key_2)});
    scan_site(db, kTwoSitesAddress, "dc2");

    const json report = json_of(db, {"report"});
    INFO(report.dump(1));
    CHECK(endpoint_places(report) == std::set<std::string>{"CN=vpn.dc1.test dc1", "CN=vpn.dc2.test dc2"});
    REQUIRE(report["endpoints"].size() == 2);
    CHECK(report["endpoints"][0]["site"] == "dc1");
    CHECK(report["endpoints"][1]["site"] == "dc2");
    for (const auto& cert : report["certificates"]) CHECK(cert["sightings"][0]["labels"]["site"] == cert["sightings"][0]["site"]);

    // One run holds both: the same targets from another site are another slot, not a rerun of the first.
    const json run = json_of(db, {"report", "--run", "nightly"});
    CHECK(run["run"]["scans"].size() == 2);
    CHECK(endpoint_places(run) == endpoint_places(report));

    const auto table = run_certfleet(db, {"report", "--format", "table"});
    CHECK(table.out.find("site=dc1") != std::string::npos);
    CHECK(table.out.find("site=dc2") != std::string::npos);
    const auto metrics = run_certfleet(db, {"report", "--format", "prometheus"}).out;
    CHECK(metrics.find("site=\"dc1\"") != std::string::npos);
    CHECK(metrics.find("site=\"dc2\"") != std::string::npos);

    // dc2's server goes away: dc2's endpoint is gone, dc1's certificate stays where it was seen.
    dc2.reset();
    scan_site(db, kTwoSitesAddress, "dc2");
    const json after = json_of(db, {"report"});
    INFO(after.dump(1));
    CHECK(endpoint_places(after) == std::set<std::string>{"CN=vpn.dc1.test dc1"});
}

TEST_CASE("e2e sites: --site needs targets and one name", "[e2e][sites]") {
    TempDir dir;
    const std::string db = (dir / "inventory.db").string();
    write_file(dir / "certs/a.pem", TestCert::make({.subject_cn = "a.test"}, TestKey::shared({}, 193)).pem());
    const auto files_only = run_certfleet(db, {"scan", "--files", (dir / "certs").string(), "--site", "dc1"});
    CHECK(files_only.exit_code == 2);
    CHECK(files_only.err.find("--site dc1: it names the network the TARGETs are probed from") != std::string::npos);
    const auto two_names = run_certfleet(db, {"scan", kTwoSitesAddress, "--site", "dc1", "--label", "site=dc2", "--dry-run"});
    CHECK(two_names.exit_code == 2);
    CHECK(two_names.err.find("--site dc1 and --label site=dc2 name two sites") != std::string::npos);
}

TEST_CASE("e2e sites: forget --site takes one site's endpoint out of the view, not the other's", "[e2e][sites]") {
    TempDir dir;
    const std::string db = (dir / "inventory.db").string();
    const TestKey key = TestKey::shared({}, 194);
    const TestCert cert = TestCert::make({.subject_cn = "vpn.test"}, key);
    {
        TestFleet both({serving(kForgetAddress, cert, key)});
        scan_site(db, kForgetAddress, "dc1");
        scan_site(db, kForgetAddress, "dc2");
    }
    const auto forgot = run_certfleet(db, {"forget", std::string(kForgetAddress) + ":" + std::to_string(kPort), "--site", "dc2"});
    INFO(forgot.err);
    CHECK(forgot.exit_code == 0);
    CHECK(forgot.out.find("site=dc2") != std::string::npos);
    CHECK(forgot.out.find("site=dc1") == std::string::npos);
    CHECK(endpoint_places(json_of(db, {"report"})) == std::set<std::string>{"CN=vpn.test dc1"});
}
