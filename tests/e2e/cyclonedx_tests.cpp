// End-to-end: report --format cyclonedx. The BOM of a generated inventory (a chain served over TLS, files with a
// key, post-quantum certificates) validates against the CycloneDX project's official 1.6 schema, and says what
// the inventory says, field by field; no key material is in it; its bom-refs are the same in a second BOM.
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "tests/e2e/certfleet_steps.hpp"
#include "testkit/cert_factory.hpp"
#include "testkit/fleet/fleet_control.hpp"
#include "testkit/process.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const fs::path kSchemas = fs::path(CERTFLEET_SOURCE_DIR) / ".deps/cyclonedx-library-10.3.0/res/schema";

json bom_of(const std::string& db, const fs::path& file) {
    const auto r = run_certfleet(db, {"report", "--format", "cyclonedx", "-o", file.string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return json::parse(to_string(read_file(file)));
}

std::map<std::string, json> components_by_ref(const json& bom) {
    std::map<std::string, json> out;
    for (const auto& c : bom["components"]) out[c["bom-ref"]] = c;
    return out;
}

}  // namespace

TEST_CASE("e2e cyclonedx: the BOM validates against the official schema and says what the inventory says",
          "[e2e][cyclonedx]") {
    INFO("the schemas come from scripts/install-deps (make test runs it), which fetches them from the npm registry");
    REQUIRE(fs::exists(kSchemas / "bom-1.6.SNAPSHOT.schema.json"));
    TempDir dir;
    const std::string db = (dir / "inventory.db").string();
    const TestChain chain = make_chain("shop.cbom.test");
    FleetEndpoint endpoint;
    endpoint.kind = "tls";
    endpoint.address = "127.66.63.1";
    endpoint.port = 15448;
    endpoint.chain = {chain.leaf, chain.intermediate};
    endpoint.key = chain.leaf_key;
    TestFleet fleet({endpoint});
    const auto tree = dir / "etc";
    write_file(tree / "shop.pem", chain.leaf.pem() + chain.intermediate.pem());
    write_file(tree / "shop.key", chain.leaf_key.pkcs8_pem());
    for (const char* name : {"ML-DSA-44", "ML-DSA-65"})
        fs::copy_file(fs::path(CERTFLEET_SOURCE_DIR) / "tests/data/pqc" / (std::string(name) + ".crt"),
                      tree / (std::string(name) + ".crt"));
    scan_ok(db, {"127.66.63.1", "--ports", "15448", "--files", tree.string(), "--timeout-ms", "3000"});

    const json bom = bom_of(db, dir / "bom.json");
    const auto validated = run_process({"/usr/bin/python3", (fs::path(CERTFLEET_SOURCE_DIR) / "tests/tools/validate_cyclonedx.py").string(),
                                        kSchemas.string(), (dir / "bom.json").string()});
    INFO(validated.out << validated.err);
    CHECK(validated.exit_code == 0);
    CHECK(bom["bomFormat"] == "CycloneDX");
    CHECK(bom["specVersion"] == "1.6");
    CHECK(bom["serialNumber"].get<std::string>().starts_with("urn:uuid:"));
    CHECK(bom["metadata"]["tools"]["components"][0]["name"] == "certfleet");

    const auto components = components_by_ref(bom);
    std::map<std::string, std::vector<std::string>> depends;
    for (const auto& d : bom["dependencies"]) depends[d["ref"]] = d["dependsOn"].get<std::vector<std::string>>();
    const json report = json_of(db, {"report"});
    for (const auto& cert : report["certificates"]) {
        const std::string sha = cert["sha256"];
        INFO(cert["subject"]);
        const std::string id = "certificate:sha256:" + sha;
        REQUIRE(components.contains(id));
        const json& c = components.at(id);
        CHECK(c["hashes"][0]["content"] == sha);
        const json& p = c["cryptoProperties"]["certificateProperties"];
        CHECK(p["subjectName"] == cert["subject"]);
        CHECK(p["issuerName"] == cert["issuer"]);
        CHECK(p["notValidBefore"] == cert["not_before"]);
        CHECK(p["notValidAfter"] == cert["not_after"]);
        CHECK(c["evidence"]["occurrences"].size() == cert["shared"]["locations"]);
        const json& key = components.at(p["subjectPublicKeyRef"].get<std::string>());
        CHECK(key["cryptoProperties"]["relatedCryptoMaterialProperties"]["id"] == cert["spki_sha256"]);
        CHECK(key["cryptoProperties"]["relatedCryptoMaterialProperties"]["size"] == cert["key_bits"]);
        const json& algorithm = components.at(key["cryptoProperties"]["relatedCryptoMaterialProperties"]["algorithmRef"].get<std::string>());
        CHECK(algorithm["name"] == cert["key_algorithm"]);
        if (cert["quantum_vulnerable"] == true) CHECK(algorithm["cryptoProperties"]["algorithmProperties"]["nistQuantumSecurityLevel"] == 0);
        if (!cert["security_bits"].is_null())
            CHECK(algorithm["cryptoProperties"]["algorithmProperties"]["classicalSecurityLevel"] == cert["security_bits"]);
        CHECK(components.at(p["signatureAlgorithmRef"].get<std::string>())["name"] == cert["signature_algorithm"]);
    }
    // The leaf depends on its issuer; the ML-DSA-65 certificate names its algorithm and category.
    CHECK(std::count(depends["certificate:sha256:" + chain.leaf.sha256()].begin(), depends["certificate:sha256:" + chain.leaf.sha256()].end(),
                     "certificate:sha256:" + chain.intermediate.sha256()) == 1);
    CHECK(components.at("algorithm:ML-DSA-65")["cryptoProperties"]["oid"] == "2.16.840.1.101.3.4.3.18");
    CHECK(components.at("algorithm:ML-DSA-65")["cryptoProperties"]["algorithmProperties"]["nistQuantumSecurityLevel"] == 3);

    // The endpoint's protocol, on its leaf.
    const json& endpoint_json = report["endpoints"][0];
    const std::string protocol = "protocol:tls:127.66.63.1:15448";
    REQUIRE(components.contains(protocol));
    const json& tls = components.at(protocol)["cryptoProperties"]["protocolProperties"];
    CHECK("TLSv" + tls["version"].get<std::string>() == endpoint_json["tls_version"]);
    CHECK(tls["cipherSuites"][0]["name"] == endpoint_json["cipher"]);
    CHECK(depends[protocol] == std::vector<std::string>{"certificate:sha256:" + chain.leaf.sha256()});

    // The private key by place and public-key fingerprint only.
    const std::string private_key = "private-key:spki-sha256:" + chain.leaf_key.spki_sha256();
    REQUIRE(components.contains(private_key));
    const json& material = components.at(private_key)["cryptoProperties"]["relatedCryptoMaterialProperties"];
    CHECK(material["type"] == "private-key");
    CHECK_FALSE(material.contains("value"));
    CHECK(components.at(private_key)["evidence"]["occurrences"][0]["location"].get<std::string>().ends_with("/shop.key"));
    const std::string text = to_string(read_file(dir / "bom.json"));
    CHECK(text.find("PRIVATE KEY") == std::string::npos);
    const std::string pem = chain.leaf_key.pkcs8_pem();
    CHECK(text.find(pem.substr(pem.find('\n') + 1, 40)) == std::string::npos);

    // The same inventory, another BOM: the same refs, another serial number.
    const json again = bom_of(db, dir / "again.json");
    std::set<std::string> refs, refs_again;
    for (const auto& c : bom["components"]) refs.insert(c["bom-ref"]);
    for (const auto& c : again["components"]) refs_again.insert(c["bom-ref"]);
    CHECK(refs == refs_again);
    CHECK(bom["serialNumber"] != again["serialNumber"]);
}
