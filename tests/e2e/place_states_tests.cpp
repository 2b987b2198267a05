// End-to-end: a monitor that tells the truth about what it can see. A deleted file and a closed port stop
// alerting after the next scan and show as gone; an endpoint that times out keeps its expired certificate in
// every verdict and counts as unseen; a root that is missing makes check UNKNOWN; forget retires the rest.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/e2e/certfleet_steps.hpp"
#include "testkit/cert_factory.hpp"
#include "testkit/fleet/fleet_control.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }



TestCert expired_cert(const std::string& cn, int key) {
    return TestCert::make({.subject_cn = cn, .dns_names = {cn}, .not_before_days = -60, .not_after_days = -3},
                          TestKey::shared({}, key));
}

FleetEndpoint endpoint(const std::string& kind, const std::string& address, const TestCert* cert = nullptr, int key = 0) {
    FleetEndpoint e;
    e.kind = kind;
    e.address = address;
    e.port = 14443;
    if (cert) {
        e.chain = {*cert};
        e.key = TestKey::shared({}, key);
    }
    return e;
}

}  // namespace

TEST_CASE("e2e place states: a deleted file stops alerting after the next scan and shows as gone", "[e2e][states]") {
    TempDir dir;
    const std::string db = (dir / "inventory.db").string(), tree = (dir / "srv").string();
    const TestChain chain = make_chain("healthy.example");
    write_file(dir / "srv/healthy/fullchain.pem", chain.leaf.pem() + chain.intermediate.pem());
    write_file(dir / "srv/legacy/old.crt", expired_cert("old.example", 21).pem());
    scan_ok(db, {"--files", tree});
    REQUIRE(run_certfleet(db, {"check"}).exit_code == 2);

    fs::remove(dir / "srv/legacy/old.crt");
    scan_ok(db, {"--files", tree});
    const auto check = run_certfleet(db, {"check"});
    INFO(check.out);
    CHECK(check.exit_code == 0);
    CHECK(check.out.find("old.crt") == std::string::npos);
    const auto expiring = json_of(db, {"inventory", "certs", "--expiring", "30d"});
    CHECK(expiring.dump().find("old.example") == std::string::npos);
    const auto diff = run_certfleet(db, {"diff", "1", "2"});
    INFO(diff.out);
    CHECK(diff.out.find("old.crt") != std::string::npos);
    const auto report = json_of(db, {"report"});
    CHECK(report["coverage"]["gone"] == 1);
    CHECK(report["coverage"]["gone_in_scan"] == 1);
    CHECK(report["coverage"]["unseen"].empty());
}

TEST_CASE("e2e place states: endpoints closed, timed out and forgotten", "[e2e][states][network]") {
    TempDir dir;
    const std::string db = (dir / "inventory.db").string();
    const TestCert closing = expired_cert("closing.example", 22), silent = expired_cert("silent.example", 23);
    const std::vector<std::string> targets{"127.66.30.1-127.66.30.2", "--ports", "14443", "--timeout-ms", "1000"};
    const auto scan_targets = [&] { scan_ok(db, targets); };
    {
        TestFleet fleet({endpoint("tls", "127.66.30.1", &closing, 22), endpoint("tls", "127.66.30.2", &silent, 23)});
        scan_targets();
    }
    const auto critical = run_certfleet(db, {"check"});
    INFO(critical.out);
    REQUIRE(critical.exit_code == 2);
    REQUIRE(critical.out.find("closing.example") != std::string::npos);

    // .1 closes its port; .2 still accepts but never answers.
    {
        TestFleet fleet({endpoint("tarpit", "127.66.30.2")});
        scan_targets();
    }
    const auto check = run_certfleet(db, {"check"});
    INFO(check.out);
    CHECK(check.exit_code == 2);  // the unseen endpoint's certificate is still expired
    CHECK(check.out.find("closing.example") == std::string::npos);
    CHECK(check.out.find("silent.example") != std::string::npos);
    CHECK(first_line(check.out).find(", 1 unseen |") != std::string::npos);
    CHECK(first_line(check.out).find(" unseen=1;;;0 ") != std::string::npos);
    CHECK(first_line(check.out).find(" unreachable=1;;;0") != std::string::npos);
    CHECK(check.out.find("unseen 127.66.30.2:14443: timeout since ") != std::string::npos);
    const auto check_json = json_of(db, {"check"});
    REQUIRE(check_json["coverage"]["unseen"].size() == 1);
    CHECK(check_json["coverage"]["unseen"][0]["reason"] == "timeout");
    CHECK(check_json["coverage"]["gone"] == 1);
    const auto endpoints = json_of(db, {"inventory", "endpoints"});
    CHECK(endpoints.dump().find("127.66.30.1") == std::string::npos);

    // Nothing listens on .2 any more either, and no scan will look there again: forget it.
    const auto unmatched = run_certfleet(db, {"forget", "127.66.31.0/24"});
    CHECK(unmatched.exit_code == 1);
    CHECK(unmatched.err.find("nothing in the current view matches 127.66.31.0/24") != std::string::npos);
    const auto dry = run_certfleet(db, {"forget", "--dry-run", "127.66.30.0/24"});
    INFO(dry.out << dry.err);
    CHECK(dry.exit_code == 0);
    CHECK(dry.out.find("would forget 1 place:\n  endpoint 127.66.30.2:14443\n") == 0);
    CHECK(run_certfleet(db, {"check"}).exit_code == 2);
    const auto forget = run_certfleet(db, {"forget", "127.66.30.2:14443"});
    CHECK(forget.exit_code == 0);
    CHECK(forget.out.find("forgot 1 place:") == 0);
    const auto after = run_certfleet(db, {"check"});
    INFO(after.out);
    CHECK(after.exit_code == 0);
}

TEST_CASE("e2e place states: an unseen place is WARNING by default, as --on-unseen says", "[e2e][states][network]") {
    TempDir dir;
    const std::string db = (dir / "inventory.db").string();
    const TestChain chain = make_chain("service.example");
    write_file(dir / "trust/root.pem", chain.root.pem());
    FleetEndpoint healthy = endpoint("tls", "127.66.32.1");
    healthy.chain = {chain.leaf, chain.intermediate};
    healthy.key = chain.leaf_key;
    const std::vector<std::string> scan{"127.66.32.1:14443", "--sni", "service.example", "--trust", (dir / "trust/root.pem").string(), "--no-system-trust",
                                        "--timeout-ms", "1000"};
    {
        TestFleet fleet({healthy});
        scan_ok(db, scan);
    }
    const auto ok = run_certfleet(db, {"check"});
    INFO(ok.out);
    REQUIRE(ok.exit_code == 0);
    {
        TestFleet fleet({endpoint("tarpit", "127.66.32.1")});
        scan_ok(db, scan);
    }
    CHECK(run_certfleet(db, {"check"}).exit_code == 1);
    CHECK(run_certfleet(db, {"check", "--on-unseen", "ok"}).exit_code == 0);
    CHECK(run_certfleet(db, {"check", "--on-unseen", "critical"}).exit_code == 2);
    CHECK(run_certfleet(db, {"check", "--on-unseen", "unknown"}).exit_code == 3);
    CHECK(run_certfleet(db, {"check", "--on-unseen", "sometimes"}).exit_code == 3);
}

TEST_CASE("e2e place states: a root that is missing makes check UNKNOWN", "[e2e][states]") {
    TempDir dir;
    const std::string db = (dir / "inventory.db").string(), tree = (dir / "srv").string();
    const TestChain chain = make_chain("healthy.example");
    write_file(dir / "srv/healthy/fullchain.pem", chain.leaf.pem() + chain.intermediate.pem());
    scan_ok(db, {"--files", tree});
    REQUIRE(run_certfleet(db, {"check"}).exit_code == 0);

    fs::rename(dir / "srv", dir / "srv.moved");
    scan_ok(db, {"--files", tree});
    const auto check = run_certfleet(db, {"check"});
    INFO(check.out);
    CHECK(check.exit_code == 3);
    CHECK(first_line(check.out).rfind("CERTFLEET UNKNOWN", 0) == 0);
    CHECK(check.out.find("\nunknown " + tree + ": the root could not be") != std::string::npos);
    // What the root held stays in the view, unseen.
    CHECK(json_of(db, {"inventory", "certs"}).dump().find("healthy.example") != std::string::npos);

    // The tree was retired on purpose: forgetting it takes its files and the unreadable root out of every alert.
    const auto forgot = run_certfleet(db, {"forget", tree});
    INFO(forgot.out << forgot.err);
    CHECK(forgot.exit_code == 0);
    CHECK(forgot.out.rfind("forgot 1 place and 1 unreadable input:\n", 0) == 0);
    CHECK(forgot.out.find("  unreadable files root " + tree + "\n") != std::string::npos);
    const auto after = run_certfleet(db, {"check"});
    INFO(after.out);
    CHECK(after.exit_code == 0);
    CHECK(json_of(db, {"inventory", "certs"})["certificates"].empty());
    // A scan that walks the missing root again says so again.
    scan_ok(db, {"--files", tree});
    CHECK(run_certfleet(db, {"check"}).exit_code == 3);
}
