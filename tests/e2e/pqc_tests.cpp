// End-to-end: post-quantum certificates in a scanned tree. OpenSSL 3.0 can neither use nor verify ML-DSA, yet
// every report names the algorithm, judges it not quantum-vulnerable, and says its self-signature is unknown.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/e2e/certfleet_steps.hpp"
#include "testkit/cert_factory.hpp"

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
    const auto table = run_certfleet(db, {"report", "--format", "table"});
    CHECK(table.exit_code == 0);
    CHECK(table.out.find("SS?") != std::string::npos);
}
