// End-to-end: post-quantum certificates in a scanned tree. OpenSSL 3.0 can neither use nor verify ML-DSA, yet
// every report names the algorithm, judges it not quantum-vulnerable, and says its self-signature is unknown.
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <tuple>
#include <nlohmann/json.hpp>

#include "tests/e2e/certfleet_steps.hpp"
#include "testkit/cert_factory.hpp"
#include "testkit/fleet/fleet_control.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using nlohmann::json;

TEST_CASE("e2e pqc: ML-DSA certificates scan named, not quantum-vulnerable, self-signature not verifiable",
          "[e2e][pqc]") {
    TempDir dir;
    const std::string db = (dir / "inventory.db").string();
    const auto tree = dir / "pki";
    std::filesystem::create_directories(tree);
    for (const char* name : {"ML-DSA-44", "ML-DSA-65", "ML-DSA-87"})
        std::filesystem::copy_file(std::filesystem::path(CERTFLEET_SOURCE_DIR) / "tests/data/pqc" / (std::string(name) + ".crt"),
                                   tree / (std::string(name) + ".crt"));
    write_file(tree / "rsa.pem", TestCert::make({.subject_cn = "rsa.test"}, TestKey::shared({.kind = KeyKind::rsa})).pem());
    scan_ok(db, {"--files", tree.string()});

    const json report = json_of(db, {"report"});
    std::map<std::string, json> by_algorithm;
    for (const auto& cert : report["certificates"]) by_algorithm[cert["key_algorithm"]] = cert;
    REQUIRE(by_algorithm.size() == 4);
    const json& ml_dsa = by_algorithm.at("ML-DSA-65");
    INFO(ml_dsa.dump(1));
    CHECK(ml_dsa["key_type"] == "ML-DSA-65");
    CHECK(ml_dsa["signature_algorithm"] == "ML-DSA-65");
    CHECK(ml_dsa["quantum_vulnerable"] == false);
    CHECK(ml_dsa["nist_quantum_level"] == 3);
    CHECK(ml_dsa["security_bits"] == 192);
    CHECK(ml_dsa["self_issued"] == true);
    CHECK(ml_dsa["self_signed"] == "not-verifiable");
    CHECK(by_algorithm.at("ML-DSA-44")["nist_quantum_level"] == 2);
    CHECK(by_algorithm.at("ML-DSA-87")["nist_quantum_level"] == 5);
    const json& rsa = by_algorithm.at("RSA-2048");
    CHECK(rsa["quantum_vulnerable"] == true);
    CHECK(rsa["security_bits"] == 112);
    CHECK(rsa["self_signed"] == true);
    CHECK(rsa["nist_quantum_level"].is_null());

    const auto csv = run_certfleet(db, {"report", "--format", "csv"}).out;
    CHECK(csv.find(",not-verifiable,") != std::string::npos);
    CHECK(csv.find(",ML-DSA-65,false,192") != std::string::npos);
    const auto metrics = run_certfleet(db, {"report", "--format", "prometheus"}).out;
    CHECK(metrics.find("key_algorithm=\"ML-DSA-87\"") != std::string::npos);
    CHECK(metrics.find("self_signed=\"not-verifiable\"") != std::string::npos);
    CHECK(metrics.find("# TYPE x509_cert_lifetime_used_ratio gauge") != std::string::npos);
    // The HTML report's crypto-agility section counts each algorithm with its standing.
    const auto html = run_certfleet(db, {"report", "--format", "html"}).out;
    const auto agility = html.find("id=\"agility\"");
    REQUIRE(agility != std::string::npos);
    const auto ml_dsa_row = html.find("ML-DSA-65", agility);
    REQUIRE(ml_dsa_row != std::string::npos);
    CHECK(html.find("post-quantum", ml_dsa_row) < html.find("</tbody>", ml_dsa_row));
    // The RSA certificate alone is quantum-vulnerable.
    CHECK(html.find("1 of 4 certificates have a quantum-vulnerable key", agility) != std::string::npos);
    const auto table = run_certfleet(db, {"report", "--format", "table"});
    CHECK(table.exit_code == 0);
    CHECK(table.out.find("SS?") != std::string::npos);
}

TEST_CASE("e2e pqc: each endpoint's key exchange is recorded and judged for harvest now, decrypt later",
          "[e2e][pqc]") {
    TempDir dir;
    const std::string db = (dir / "inventory.db").string();
    const TestKey key = TestKey::shared({}, 195);
    const TestCert cert = TestCert::make({.subject_cn = "kx.test"}, key);
    // address -> the groups the server accepts and, for one, TLS 1.2 only; then what the probe must record.
    const std::vector<std::tuple<std::string, std::string, std::string, std::string>> servers{
        {"127.66.64.1", "X25519", "", "X25519"},
        {"127.66.64.2", "P-256", "", "secp256r1"},
        {"127.66.64.3", "P-384", "", "secp384r1"},
        {"127.66.64.4", "ffdhe2048", "", "ffdhe2048"},
        {"127.66.64.5", "P-521", "TLSv1.2", "secp521r1"},
    };
    std::vector<FleetEndpoint> endpoints;
    for (const auto& [address, groups, max_version, expected] : servers) {
        FleetEndpoint e;
        e.kind = "tls";
        e.address = address;
        e.port = 15449;
        e.chain = {cert};
        e.key = key;
        e.groups = groups;
        e.max_version = max_version;
        endpoints.push_back(e);
    }
    TestFleet fleet(endpoints);
    scan_ok(db, {"127.66.64.1-127.66.64.5", "--ports", "15449", "--timeout-ms", "3000"});

    const json report = json_of(db, {"report"});
    std::map<std::string, json> by_address;
    for (const auto& e : report["endpoints"]) by_address[e["address"]] = e;
    for (const auto& [address, groups, max_version, expected] : servers) {
        INFO(address);
        REQUIRE(by_address.contains(address));
        CHECK(by_address[address]["key_exchange"] == expected);
        CHECK(by_address[address]["key_exchange_quantum_vulnerable"] == true);
    }
    CHECK(by_address["127.66.64.5"]["tls_version"] == "TLSv1.2");
    // The built-in policy lists them as info: known, not alarming.
    const json check = json_of(db, {"check"});
    int infos = 0;
    for (const auto& f : check["findings"]) {
        if (f["rule_id"] != "quantum-vulnerable-key-exchange") continue;
        ++infos;
        CHECK(f["severity"] == "info");
    }
    CHECK(infos == 5);
}
