// End-to-end: which names a scan checks certificates against, and what it says about names that do not resolve.
// A sweep by address checks a certificate's name only where a client would: against the names the scan was given
// (host-name targets, --sni), and against the probed address only where the certificate carries IP SANs. A host
// name that does not resolve is one line and one row, however many ports it was to be probed on. Everything is
// on 127.72.0.0/16; the names that do not resolve are under .invalid, which certfleet answers itself (RFC 6761),
// so no DNS query leaves the machine.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/e2e/certfleet_binary.hpp"
#include "testkit/cert_factory.hpp"
#include "testkit/fleet/fleet_control.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using nlohmann::json;

namespace {

constexpr std::uint16_t kPort = 14473;
const std::string kPortText = std::to_string(kPort);

FleetEndpoint serving(const std::string& address, const TestCert& leaf, const TestChain& chain) {
    FleetEndpoint e;
    e.kind = "tls";
    e.address = address;
    e.port = kPort;
    e.chain = {leaf, chain.intermediate};
    e.key = chain.leaf_key;
    return e;
}

// A leaf from the chain's intermediate, for the chain's leaf key.
TestCert issued(const TestChain& chain, CertSpec spec) {
    spec.key_usage = "critical,digitalSignature";
    spec.ext_key_usage = "serverAuth";
    return TestCert::make(spec, chain.leaf_key, &chain.intermediate, &chain.intermediate_key);
}

ProcessResult scan(const std::string& db, std::vector<std::string> args) {
    args.insert(args.begin(), {"scan", "--no-progress", "--timeout-ms", "3000"});
    return run_certfleet(db, args);
}

json report_of(const std::string& db) {
    const auto report = run_certfleet(db, {"report", "--format", "json"});
    REQUIRE(report.exit_code == 0);
    return json::parse(report.out);
}

const json& endpoint(const json& report, const std::string& address, const std::string& name) {
    for (const auto& e : report["endpoints"])
        if (e["address"] == address && (name.empty() ? e["server_name"].is_null() : e["server_name"] == name)) return e;
    FAIL("no endpoint " << address << " " << name);
    throw std::logic_error("unreachable");
}

std::vector<std::string> hostname_findings(const json& report) {
    std::vector<std::string> locations;
    for (const auto& f : report["findings"])
        if (f["rule_id"] == "hostname-mismatch") locations.push_back(f["location"]);
    return locations;
}

std::vector<std::string> lines_naming(const std::string& text, const std::string& name) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (line.find(name) != std::string::npos) lines.push_back(line);
    return lines;
}

}  // namespace

TEST_CASE("e2e names: an address sweep checks a certificate's name only where a client would", "[e2e][network][names]") {
    const TestChain chain = make_chain("orders.internal");
    const TestCert right_ip = issued(chain, {.subject_cn = "by address", .ip_addresses = {"127.72.0.4"}});
    const TestCert wrong_ip = issued(chain, {.subject_cn = "elsewhere", .ip_addresses = {"127.72.0.99"}});
    TestFleet fleet({serving("127.72.0.3", chain.leaf, chain), serving("127.72.0.4", right_ip, chain),
                     serving("127.72.0.5", wrong_ip, chain)});
    TempDir dir;
    write_file(dir / "root.pem", chain.root.pem());
    const std::vector<std::string> trust{"--trust", (dir / "root.pem").string(), "--no-system-trust"};

    SECTION("a sweep: no name to check without IP SANs; IP SANs are checked against the address probed") {
        const std::string db = (dir / "sweep.db").string();
        auto args = trust;
        args.insert(args.end(), {"127.72.0.0/29", "--ports", kPortText});
        const auto swept = scan(db, args);
        INFO(swept.err);
        REQUIRE(swept.exit_code == 0);
        const json report = report_of(db);

        const json& by_name_only = endpoint(report, "127.72.0.3", "");
        CHECK(by_name_only["verified"] == true);
        CHECK(by_name_only["verify_error"].is_null());
        CHECK(by_name_only["hostname_match"] == true);  // nothing failed, for readers of the older fields
        CHECK(by_name_only["name_check"] == "not-checked");
        CHECK(by_name_only["name_check_detail"] ==
              "no name to check: probed by address 127.72.0.3 and the certificate has no IP SANs");

        const json& right = endpoint(report, "127.72.0.4", "");
        CHECK(right["verified"] == true);
        CHECK(right["name_check"] == "matched");
        CHECK(right["name_check_detail"] == "127.72.0.4 matches IP:127.72.0.4");

        const json& wrong = endpoint(report, "127.72.0.5", "");
        CHECK(wrong["verified"] == false);
        CHECK(wrong["verify_error"] == "hostname-mismatch");
        CHECK(wrong["hostname_match"] == false);
        CHECK(wrong["name_check"] == "mismatched");
        CHECK(wrong["name_check_detail"] == "127.72.0.5 not in IP SANs [127.72.0.99]");

        CHECK(hostname_findings(report) == std::vector<std::string>{"127.72.0.5:" + kPortText});
    }
    SECTION("names given with --sni are checked, whatever the address") {
        const std::string db = (dir / "named.db").string();
        auto args = trust;
        args.insert(args.end(), {"127.72.0.3:" + kPortText, "--sni", "orders.internal", "--sni", "wrong.internal"});
        const auto named = scan(db, args);
        INFO(named.err);
        REQUIRE(named.exit_code == 0);
        const json report = report_of(db);

        const json& right = endpoint(report, "127.72.0.3", "orders.internal");
        CHECK(right["verified"] == true);
        CHECK(right["name_check"] == "matched");
        CHECK(right["name_check_detail"] == "orders.internal matches DNS:orders.internal");

        const json& wrong = endpoint(report, "127.72.0.3", "wrong.internal");
        CHECK(wrong["verify_error"] == "hostname-mismatch");
        CHECK(wrong["name_check"] == "mismatched");
        CHECK(wrong["name_check_detail"] == "wrong.internal not in DNS SANs [orders.internal]");

        CHECK(hostname_findings(report) == std::vector<std::string>{"127.72.0.3:" + kPortText + " sni=wrong.internal"});
    }
}

TEST_CASE("e2e names: a name that does not resolve is one line and one row, and alone fails the scan",
          "[e2e][network][names]") {
    TempDir dir;
    const std::string expected_line =
        "certfleet: cannot resolve no-such-host.invalid: names under .invalid never resolve (RFC 6761)";

    SECTION("the only target, on every default port: exit 1") {
        const std::string db = (dir / "alone.db").string();
        const auto alone = scan(db, {"no-such-host.invalid"});
        INFO(alone.err);
        CHECK(alone.exit_code == 1);
        CHECK(lines_naming(alone.err, "no-such-host.invalid") == std::vector<std::string>{expected_line});

        const json report = report_of(db);
        CHECK(report["endpoints"].size() == 1);
        const json& unresolved = report["endpoints"].at(0);
        CHECK(unresolved["host"] == "no-such-host.invalid");
        CHECK(unresolved["status"] == "unresolved");
        CHECK(unresolved["address"].is_null());
        CHECK(unresolved["port"] == 0);  // no port of it was probed
        CHECK(unresolved["detail"] == "names under .invalid never resolve (RFC 6761)");
        CHECK(report["scan"]["endpoints"]["unresolved"] == 1);

        const auto table = run_certfleet(db, {"report"});
        INFO(table.out);
        const auto rows = lines_naming(table.out, "no-such-host.invalid");
        REQUIRE(rows.size() == 1);
        CHECK_THAT(rows[0], Catch::StartsWith("unresolved") && !Catch::Contains(":0"));
    }
    SECTION("two names that do not resolve: a line each, exit 1") {
        const auto both = scan((dir / "both.db").string(), {"no-such-host.invalid", "other.invalid:443"});
        INFO(both.err);
        CHECK(both.exit_code == 1);
        CHECK(lines_naming(both.err, "no-such-host.invalid") == std::vector<std::string>{expected_line});
        CHECK(lines_naming(both.err, "other.invalid").size() == 1);
    }
    SECTION("beside a target that answers: the same line, and the scan succeeds") {
        const TestChain chain = make_chain("orders.internal");
        TestFleet fleet({serving("127.72.1.1", chain.leaf, chain)});
        const std::string db = (dir / "mixed.db").string();
        const auto mixed = scan(db, {"no-such-host.invalid", "127.72.1.1:" + kPortText});
        INFO(mixed.err);
        CHECK(mixed.exit_code == 0);
        CHECK(lines_naming(mixed.err, "no-such-host.invalid") == std::vector<std::string>{expected_line});
        const json report = report_of(db);
        CHECK(report["endpoints"].size() == 2);
        CHECK(endpoint(report, "127.72.1.1", "")["status"] == "tls");
    }
}
