// End-to-end: a site records into a local SQLite inventory and delivers later with `certfleet push`; the central
// PostgreSQL inventory then answers for those scans as the local one does, and pushing again changes nothing.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/e2e/certfleet_binary.hpp"
#include "testkit/cert_factory.hpp"
#include "testkit/fleet/fleet_control.hpp"
#include "tests/unit/pg_test_cluster.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using nlohmann::json;

namespace {

// Days left count from the moment each report is made: two reports a second apart may differ by one.
void drop_days_left(json& node) {
    if (node.is_object()) node.erase("days_left");
    if (node.is_object() || node.is_array())
        for (auto& child : node) drop_days_left(child);
}

// A report without what differs between two inventories of the same scans: when it was made, the scan's id.
json comparable(const std::string& db, std::vector<std::string> args) {
    args.insert(args.end(), {"--format", "json"});
    const auto r = run_certfleet(db, args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    json report = json::parse(r.out);
    report.erase("generated_at");
    report["scan"].erase("id");
    drop_days_left(report);
    return report;
}

}  // namespace

TEST_CASE("e2e push: a local inventory's scans reach the central one once, answering as they did locally",
          "[e2e][pg][server]") {
    TempDir dir;
    const TestKey key = TestKey::shared({}, 195);
    const TestCert served = TestCert::make({.subject_cn = "push.e2e.test", .dns_names = {"push.e2e.test"}}, key);
    write_file(dir / "tree/etc/tls/service.pem", served.pem());
    write_file(dir / "tree/etc/tls/broken.pem", std::string("-----BEGIN CERTIFICATE-----\nnot base64\n"));
    FleetEndpoint endpoint;
    endpoint.kind = "tls";
    endpoint.address = "127.66.59.1";
    endpoint.port = 15447;
    endpoint.chain = {served};
    endpoint.key = key;
    const std::string local = (dir / "site.db").string();
    {
        TestFleet fleet({endpoint});
        const auto scanned = run_certfleet(local, {"scan", "127.66.59.1", "--ports", "15447", "--files",
                                                   (dir / "tree").string(), "--host", "site-host", "--run", "weekly",
                                                   "--label", "site=north", "--no-progress"});
        INFO(scanned.err);
        REQUIRE(scanned.exit_code == 0);
    }
    REQUIRE(run_certfleet(local, {"scan", "--files", (dir / "tree/etc").string(), "--no-progress"}).exit_code == 0);
    const std::string central = test_cluster().create_database("pushed");

    const auto pushed = run_certfleet(central, {"push", local});
    INFO(pushed.out << pushed.err);
    REQUIRE(pushed.exit_code == 0);
    CHECK(pushed.out.find("2 scans copied into") != std::string::npos);
    for (const char* scan : {"1", "2"})
        CHECK(comparable(central, {"report", "--scan", scan}) == comparable(local, {"report", "--scan", scan}));
    CHECK(comparable(central, {"report", "--run", "weekly"}) == comparable(local, {"report", "--run", "weekly"}));

    const auto again = run_certfleet(central, {"push", local});
    CHECK(again.exit_code == 0);
    CHECK(again.out.find("0 scans copied into") != std::string::npos);
    CHECK(again.out.find("2 there already") != std::string::npos);
    const auto scans = run_certfleet(central, {"inventory", "scans", "--format", "json"});
    CHECK(json::parse(scans.out)["scans"].size() == 2);

    const auto itself = run_certfleet(local, {"push", local});
    CHECK(itself.exit_code != 0);
    CHECK(itself.err.find("--to") != std::string::npos);
}
