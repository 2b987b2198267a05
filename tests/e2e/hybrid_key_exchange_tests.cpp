// End-to-end: the hybrid post-quantum key exchange X25519MLKEM768, which OpenSSL 3.0 cannot negotiate, found by
// certfleet's own ClientHello. A fleet server that would choose it (it answers with a HelloRetryRequest) is
// reported with it and not as harvest-now-decrypt-later exposed; an ordinary TLS 1.3 server is.
#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "tests/e2e/certfleet_steps.hpp"
#include "testkit/cert_factory.hpp"
#include "testkit/fleet/fleet_control.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using nlohmann::json;

namespace {

std::map<std::string, json> endpoints_by_address(const std::string& db) {
    const json report = json_of(db, {"report"});
    std::map<std::string, json> by_address;
    for (const auto& e : report["endpoints"]) by_address[e["address"]] = e;
    return by_address;
}

// The addresses the built-in policy's quantum-vulnerable-key-exchange rule found.
std::set<std::string> exposed_addresses(const std::string& db) {
    const json check = json_of(db, {"check"});
    std::set<std::string> addresses;
    for (const auto& f : check["findings"])
        if (f["rule_id"] == "quantum-vulnerable-key-exchange") {
            const std::string location = f["location"];
            addresses.insert(location.substr(0, location.find(':')));
        }
    return addresses;
}

}  // namespace

TEST_CASE("e2e hybrid: a server choosing X25519MLKEM768 reports it and is not quantum-vulnerable in its exchange",
          "[e2e][pqc][hybrid]") {
    TempDir dir;
    const std::string db = (dir / "inventory.db").string();
    const TestKey key = TestKey::shared({}, 196);
    const TestCert cert = TestCert::make({.subject_cn = "hybrid.test"}, key);
    FleetEndpoint hybrid = tls_endpoint("127.66.65.1", 15450, {cert}, key);
    hybrid.x25519mlkem768 = true;
    const FleetEndpoint classical = tls_endpoint("127.66.65.2", 15450, {cert}, key);
    // Over STARTTLS the same dialogue comes first on the extra connection too.
    FleetEndpoint mail = tls_endpoint("127.66.65.3", 15450, {cert}, key);
    mail.kind = "starttls";
    mail.protocol = "smtp";
    mail.x25519mlkem768 = true;
    // TLS 1.2 only: not asked, as a server without TLS 1.3 has no hybrid exchange to offer.
    FleetEndpoint old = tls_endpoint("127.66.65.4", 15450, {cert}, key);
    old.max_version = "TLSv1.2";
    old.x25519mlkem768 = true;
    TestFleet fleet({hybrid, classical, mail, old});
    scan_ok(db, {"127.66.65.1-127.66.65.2", "127.66.65.4", "--ports", "15450", "--timeout-ms", "3000"});
    scan_ok(db, {"127.66.65.3", "--ports", "15450", "--starttls", "smtp", "--timeout-ms", "3000"});

    auto endpoints = endpoints_by_address(db);
    REQUIRE(endpoints.size() == 4);
    for (const char* address : {"127.66.65.1", "127.66.65.3"}) {
        INFO(address);
        const json& e = endpoints[address];
        CHECK(e["status"] == "tls");
        CHECK(e["hybrid_groups"] == json::array({"X25519MLKEM768"}));
        CHECK(e["key_exchange"] == "X25519");  // what certfleet's own OpenSSL session used
        CHECK(e["key_exchange_quantum_vulnerable"] == false);
    }
    for (const char* address : {"127.66.65.2", "127.66.65.4"}) {
        INFO(address);
        CHECK(endpoints[address]["hybrid_groups"] == json::array());
        CHECK(endpoints[address]["key_exchange_quantum_vulnerable"] == true);
    }
    CHECK(exposed_addresses(db) == std::set<std::string>{"127.66.65.2", "127.66.65.4"});
    const auto table = run_certfleet(db, {"report", "--format", "table"});
    CHECK(table.out.find("X25519MLKEM768") != std::string::npos);
    // The inventory's endpoint table names the exchange a client gets: the hybrid where the server would choose it.
    const auto listed = run_certfleet(db, {"inventory", "endpoints", "--format", "table"}).out;
    const auto row_of = [&](const std::string& address) {
        const auto at = listed.find(address + ":15450");
        return at == std::string::npos ? std::string() : listed.substr(at, listed.find('\n', at) - at);
    };
    CHECK(row_of("127.66.65.1").find("X25519MLKEM768") != std::string::npos);
    CHECK(row_of("127.66.65.3").find("X25519MLKEM768") != std::string::npos);
    CHECK(row_of("127.66.65.2").find(" X25519 ") != std::string::npos);

    // --no-hybrid-probe: not asked, so known only by the classical exchange.
    scan_ok(db, {"127.66.65.1", "--ports", "15450", "--timeout-ms", "3000", "--no-hybrid-probe"});
    endpoints = endpoints_by_address(db);
    CHECK(endpoints["127.66.65.1"]["hybrid_groups"] == json::array());
    CHECK(exposed_addresses(db).contains("127.66.65.1"));
}
