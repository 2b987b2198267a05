// End-to-end: mutual TLS seen from the network. Servers that ask for a client certificate, and the CAs they list
// as acceptable, are recorded per endpoint; a server that requires one keeps its certificate in the inventory;
// `inventory client-cas` links the names to the CAs the inventory knows.
#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>

#include "tests/e2e/certfleet_steps.hpp"
#include "testkit/cert_factory.hpp"
#include "testkit/fleet/fleet_control.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using nlohmann::json;

namespace {

constexpr std::uint16_t kPort = 15452;

FleetEndpoint serving(const std::string& address, const TestCert& cert, const TestKey& key, const std::string& client_auth,
                      std::vector<TestCert> client_cas, const std::string& max_version = "") {
    FleetEndpoint e = tls_endpoint(address, kPort, {cert}, key);
    e.client_auth = client_auth;
    e.client_cas = std::move(client_cas);
    e.max_version = max_version;
    return e;
}

}  // namespace

TEST_CASE("e2e client auth: who asks for client certificates, from which CAs, and who trusts them",
          "[e2e][client-auth]") {
    TempDir dir;
    const std::string db = (dir / "inventory.db").string();
    const TestKey clients_key = TestKey::shared({}, 196), partners_key = TestKey::shared({}, 197);
    const TestKey server_key = TestKey::shared({}, 198);
    const CertSpec ca{.subject_cn = "Clients CA", .is_ca = true, .key_usage = "critical,keyCertSign,cRLSign"};
    const TestCert clients_ca = TestCert::make(ca, clients_key);
    CertSpec partners_spec = ca;
    partners_spec.subject_cn = "Partners CA";
    const TestCert partners_ca = TestCert::make(partners_spec, partners_key);
    const TestCert server = TestCert::make({.subject_cn = "mtls.test", .dns_names = {"mtls.test"}}, server_key);
    // The inventory knows the clients' CA from a file; the partners' CA only by the name servers list.
    write_file(dir / "pki/clients-ca.pem", clients_ca.pem());

    TestFleet fleet({serving("127.66.66.1", server, server_key, "request", {clients_ca}),
                     serving("127.66.66.2", server, server_key, "require", {clients_ca, partners_ca}),
                     serving("127.66.66.3", server, server_key, "require", {clients_ca}, "TLSv1.2"),
                     serving("127.66.66.4", server, server_key, "", {}),
                     serving("127.66.66.5", server, server_key, "request", {})});
    scan_ok(db, {"127.66.66.1-127.66.66.5", "--ports", std::to_string(kPort), "--timeout-ms", "3000", "--files",
                 (dir / "pki").string()});

    const json report = json_of(db, {"report"});
    std::map<std::string, json> by_address;
    for (const auto& e : report["endpoints"]) by_address[e["address"]] = e;
    INFO(report["endpoints"].dump(1));
    REQUIRE(by_address.size() == 5);
    const std::map<std::string, std::string> expected_auth{{"127.66.66.1", "requested"}, {"127.66.66.2", "required"},
                                                           {"127.66.66.3", "required"}, {"127.66.66.4", "none"},
                                                           {"127.66.66.5", "requested"}};
    for (const auto& [address, auth] : expected_auth) {
        INFO(address);
        const json& e = by_address[address];
        CHECK(e["client_auth"] == auth);
        // A server that refused the certificate-less client still presented its own, which is kept.
        CHECK(e["status"] == "tls");
        CHECK(e["chain"] == json::array({server.sha256()}));
    }
    CHECK(by_address["127.66.66.1"]["client_ca_names"] == json::array({"CN=Clients CA"}));
    CHECK(by_address["127.66.66.2"]["client_ca_names"] == json::array({"CN=Clients CA", "CN=Partners CA"}));
    CHECK(by_address["127.66.66.3"]["client_ca_names"] == json::array({"CN=Clients CA"}));
    CHECK(by_address["127.66.66.3"]["tls_version"] == "TLSv1.2");
    CHECK(by_address["127.66.66.4"]["client_ca_names"].empty());
    CHECK(by_address["127.66.66.5"]["client_ca_names"].empty());
    CHECK(by_address["127.66.66.2"]["detail"].get<std::string>().find("requires a client certificate") != std::string::npos);

    const json trust = json_of(db, {"inventory", "client-cas"})["client_trust"];
    INFO(trust.dump(1));
    CHECK(trust["services"].size() == 4);
    REQUIRE(trust["cas"].size() == 2);
    CHECK(trust["cas"][0]["name"] == "CN=Clients CA");
    REQUIRE(trust["cas"][0]["certificates"].size() == 1);
    CHECK(trust["cas"][0]["certificates"][0]["sha256"] == clients_ca.sha256());
    CHECK(trust["cas"][0]["services"].size() == 3);
    CHECK(trust["cas"][1]["name"] == "CN=Partners CA");
    CHECK(trust["cas"][1]["certificates"].empty());
    CHECK(trust["cas"][1]["services"].size() == 1);

    const auto table = run_certfleet(db, {"inventory", "client-cas"});
    CHECK(table.exit_code == 0);
    CHECK(table.out.find("CN=Partners CA: accepted by 1 service") != std::string::npos);
    CHECK(table.out.find("no certificate of this name in the inventory") != std::string::npos);
}
