// End-to-end: what keeps `certfleet scan` from probing what it must not, or from misreading what it could not
// reach. Nothing here sends to a non-loopback address: the unreachable network is a network namespace of the
// test's own with no interface up.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <optional>

#include "tests/e2e/certfleet_binary.hpp"
#include "tests/support/cert_factory.hpp"

using namespace certfleet::testing;
using nlohmann::json;

namespace {

json report_of(const std::string& db) {
    const auto report = run_certfleet(db, {"report", "--format", "json"});
    REQUIRE(report.exit_code == 0);
    return json::parse(report.out);
}

// Runs certfleet in a new user and network namespace, whose only interface is a loopback that is down: nothing it
// sends can leave the machine, and every connect fails with ENETUNREACH. The shell checks that before certfleet
// starts. nullopt where this system allows no such namespace.
std::optional<ProcessResult> run_isolated(const std::string& db, const std::vector<std::string>& args) {
    if (run_process({"unshare", "-rn", "true"}).exit_code != 0) return std::nullopt;
    std::vector<std::string> argv{
        "unshare", "-rn", "sh", "-c",
        R"sh(test "$(tail -n +3 /proc/self/net/dev | cut -d: -f1 | tr -d ' ')" = lo || exit 97; exec "$@")sh", "sh",
        kBinary,   "--db", db};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv);
}

}  // namespace

TEST_CASE("e2e scan safety: a network with no route is unreachable, not closed", "[e2e][network][safety]") {
    TempDir dir;
    const std::string db = (dir / "db").string();
    // Documentation addresses (RFC 5737, RFC 3849), in a namespace where no route leads anywhere.
    const auto scan = run_isolated(db, {"scan", "192.0.2.1:443", "[2001:db8::1]:443", "--no-progress"});
    if (!scan) {
        WARN("skipped: unshare -rn is not allowed here, so there is no isolated network to test in");
        return;
    }
    INFO(scan->err);
    REQUIRE(scan->exit_code == 0);
    CHECK_THAT(scan->err, Catch::Contains("2 probes: 0 tls, 0 closed, 0 timeout, 0 not-tls, 0 handshake-failed, "
                                          "0 unresolved, 2 unreachable"));
    const json report = report_of(db);
    CHECK(report["scan"]["endpoints"]["unreachable"] == 2);
    CHECK(report["scan"]["endpoints"]["closed"] == 0);
    for (const auto& e : report["endpoints"]) {
        CHECK(e["status"] == "unreachable");
        // (IPv6 may instead find no source address to send from, before it looks for a route.)
        if (e["address"] == "192.0.2.1") CHECK(e["detail"] == "Network is unreachable");
    }
    const auto metrics = run_certfleet(db, {"report", "--format", "prometheus"});
    CHECK_THAT(metrics.out, Catch::Contains("{status=\"unreachable\"} 2"));
}
