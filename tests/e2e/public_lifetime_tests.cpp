// End-to-end: the CA/Browser Forum's lifetime limits bind public TLS certificates only. Two servers present the
// same too-long lifetime, one chaining to a root named public (--public-roots), one to a private CA; only the
// public one is held to the Baseline Requirements.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/e2e/certfleet_steps.hpp"
#include "testkit/cert_factory.hpp"
#include "testkit/fleet/fleet_control.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using nlohmann::json;

namespace {

constexpr std::uint16_t kPort = 15451;

// A server at `address` presenting a leaf issued yesterday under `chain`'s intermediate, notAfter `days` days later.
FleetEndpoint serving(const std::string& address, const TestChain& chain, long long days) {
    CertSpec spec{.subject_cn = address, .ip_addresses = {address}, .not_after_days = days - 1};
    spec.ext_key_usage = "serverAuth";
    return tls_endpoint(address, kPort,
                        {TestCert::make(spec, chain.leaf_key, &chain.intermediate, &chain.intermediate_key), chain.intermediate},
                        chain.leaf_key);
}

}  // namespace

TEST_CASE("e2e public roots: only a public certificate is held to the CA/Browser Forum lifetime limits",
          "[e2e][rules]") {
    TempDir dir;
    const std::string db = (dir / "inventory.db").string();
    const TestChain public_ca = make_chain("public"), private_ca = make_chain("private", "Private");
    write_file(dir / "public-root.pem", public_ca.root.pem());
    write_file(dir / "private-root.pem", private_ca.root.pem());
    // 251 days is over the limit whenever the test runs: 200 from 2026-03-15, less later.
    TestFleet fleet({serving("127.66.65.1", public_ca, 251), serving("127.66.65.2", private_ca, 251)});
    scan_ok(db, {"127.66.65.1-127.66.65.2", "--ports", std::to_string(kPort), "--timeout-ms", "3000", "--trust",
                 (dir / "public-root.pem").string(), "--trust", (dir / "private-root.pem").string(),
                 "--public-roots", (dir / "public-root.pem").string()});

    const json report = json_of(db, {"report"});
    INFO(report["endpoints"].dump(1));
    REQUIRE(report["endpoints"].size() == 2);
    CHECK(report["endpoints"][0]["chain_trusted"] == true);
    CHECK(report["endpoints"][0]["public_root"] == true);
    CHECK(report["endpoints"][1]["chain_trusted"] == true);
    CHECK(report["endpoints"][1]["public_root"] == false);

    const json check = json_of(db, {"check"});
    std::vector<std::string> over_maximum;
    for (const auto& f : check["findings"])
        if (f["rule_id"] == "public-leaf-over-cabf-maximum") over_maximum.push_back(f["subject"]);
    CHECK(over_maximum == std::vector<std::string>{"CN=127.66.65.1"});

    // A --public-roots that names nothing usable stops the scan before it probes.
    const auto bad = run_certfleet(db, {"scan", "127.66.65.1", "--ports", std::to_string(kPort), "--public-roots",
                                        (dir / "missing").string()});
    CHECK(bad.exit_code == 2);
    CHECK(bad.err.find("--public-roots " + (dir / "missing").string() + ": no such file or directory") != std::string::npos);
}
