// End-to-end: report --format cyclonedx and inventory bom. The BOM of a generated inventory (a chain served over
// TLS, files with a key, post-quantum certificates) validates against the CycloneDX project's official 1.6 schema,
// and says what the inventory says, field by field; no key material is in it; its bom-refs are the same in a
// second BOM.
#include <catch2/catch.hpp>
#include <filesystem>
#include <functional>
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

// `certfleet ARGS`, whose BOM (on stdout, or in `file` with -o) must validate against the official schema.
json valid_bom(const std::string& db, std::vector<std::string> args, const fs::path& file) {
    const auto r = run_certfleet(db, args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    if (std::find(args.begin(), args.end(), "-o") == args.end()) write_file(file, r.out);
    const auto validated = run_process({"/usr/bin/python3", (fs::path(CERTFLEET_SOURCE_DIR) / "tests/tools/validate_cyclonedx.py").string(),
                                        kSchemas.string(), file.string()});
    INFO(validated.out << validated.err);
    CHECK(validated.exit_code == 0);
    return json::parse(to_string(read_file(file)));
}

std::map<std::string, json> components_by_ref(const json& bom) {
    std::map<std::string, json> out;
    for (const auto& c : bom["components"]) out[c["bom-ref"]] = c;
    return out;
}

std::map<std::string, std::vector<std::string>> dependencies_of(const json& bom) {
    std::map<std::string, std::vector<std::string>> depends;
    for (const auto& d : bom["dependencies"]) depends[d["ref"]] = d["dependsOn"].get<std::vector<std::string>>();
    return depends;
}

// Each certificate of a JSON answer (report's or inventory's) is a component saying what the answer says; `places`
// is how many places the answer counts for one.
void check_certificates(const std::map<std::string, json>& components, const json& certificates,
                        const std::function<json(const json&)>& places) {
    for (const auto& cert : certificates) {
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
        CHECK(c["evidence"]["occurrences"].size() == places(cert));
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
}

// An endpoint of a JSON answer is a TLS protocol component with its version and cipher, depending on `leaf`.
void check_protocol(const json& bom, const json& endpoint, const std::string& leaf) {
    const std::string protocol = "protocol:tls:" + endpoint["address"].get<std::string>() + ":" + std::to_string(endpoint["port"].get<int>());
    const auto components = components_by_ref(bom);
    REQUIRE(components.contains(protocol));
    const json& tls = components.at(protocol)["cryptoProperties"]["protocolProperties"];
    CHECK("TLSv" + tls["version"].get<std::string>() == endpoint["tls_version"]);
    CHECK(tls["cipherSuites"][0]["name"] == endpoint["cipher"]);
    // The hybrid groups the server would choose, beside the suite certfleet's own session used.
    json hybrids = json::array();
    for (const auto& group : endpoint["hybrid_groups"]) hybrids.push_back("algorithm:" + group.get<std::string>());
    CHECK(tls.value("cryptoRefArray", json::array()) == hybrids);
    for (const auto& ref : hybrids) CHECK(components.contains(ref));
    CHECK(dependencies_of(bom)[protocol] == std::vector<std::string>{"certificate:sha256:" + leaf});
}

// An inventory of a chain served over TLS at `address`:15448, and of files: that chain with its key and two
// ML-DSA certificates. Each test has an address of its own, as ctest runs them at once.
struct CbomFleet {
    TempDir dir;
    std::string db = (dir / "inventory.db").string();
    TestChain chain = make_chain("shop.cbom.test");

    explicit CbomFleet(const std::string& address) {
        FleetEndpoint endpoint;
        endpoint.kind = "tls";
        endpoint.address = address;
        endpoint.port = 15448;
        endpoint.chain = {chain.leaf, chain.intermediate};
        endpoint.key = chain.leaf_key;
        endpoint.x25519mlkem768 = true;
        TestFleet fleet({endpoint});
        const auto tree = dir / "etc";
        write_file(tree / "shop.pem", chain.leaf.pem() + chain.intermediate.pem());
        write_file(tree / "shop.key", chain.leaf_key.pkcs8_pem());
        for (const char* name : {"ML-DSA-44", "ML-DSA-65"})
            fs::copy_file(fs::path(CERTFLEET_SOURCE_DIR) / "tests/data/pqc" / (std::string(name) + ".crt"),
                          tree / (std::string(name) + ".crt"));
        scan_ok(db, {address, "--ports", "15448", "--files", tree.string(), "--timeout-ms", "3000"});
    }
};

}  // namespace

TEST_CASE("e2e cyclonedx: the BOM validates against the official schema and says what the inventory says",
          "[e2e][cyclonedx]") {
    INFO("the schemas come from scripts/install-deps (make test runs it), which fetches them from the npm registry");
    REQUIRE(fs::exists(kSchemas / "bom-1.6.SNAPSHOT.schema.json"));
    const CbomFleet fleet("127.66.63.1");
    const auto& dir = fleet.dir;
    const std::string& db = fleet.db;
    const TestChain& chain = fleet.chain;
    const json bom = valid_bom(db, {"report", "--format", "cyclonedx", "-o", (dir / "bom.json").string()}, dir / "bom.json");
    CHECK(bom["bomFormat"] == "CycloneDX");
    CHECK(bom["specVersion"] == "1.6");
    CHECK(bom["serialNumber"].get<std::string>().starts_with("urn:uuid:"));
    CHECK(bom["metadata"]["tools"]["components"][0]["name"] == "certfleet");

    const auto components = components_by_ref(bom);
    auto depends = dependencies_of(bom);
    const json report = json_of(db, {"report"});
    check_certificates(components, report["certificates"], [](const json& cert) { return cert["shared"]["locations"]; });
    // The leaf depends on its issuer; the ML-DSA-65 certificate names its algorithm and category.
    CHECK(std::count(depends["certificate:sha256:" + chain.leaf.sha256()].begin(), depends["certificate:sha256:" + chain.leaf.sha256()].end(),
                     "certificate:sha256:" + chain.intermediate.sha256()) == 1);
    CHECK(components.at("algorithm:ML-DSA-65")["cryptoProperties"]["oid"] == "2.16.840.1.101.3.4.3.18");
    CHECK(components.at("algorithm:ML-DSA-65")["cryptoProperties"]["algorithmProperties"]["nistQuantumSecurityLevel"] == 3);

    // The endpoint's protocol, on its leaf, with the hybrid exchange it would choose.
    CHECK(report["endpoints"][0]["hybrid_groups"] == json::array({"X25519MLKEM768"}));
    check_protocol(bom, report["endpoints"][0], chain.leaf.sha256());

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
    const json again = valid_bom(db, {"report", "--format", "cyclonedx", "-o", (dir / "again.json").string()}, dir / "again.json");
    std::set<std::string> refs, refs_again;
    for (const auto& c : bom["components"]) refs.insert(c["bom-ref"]);
    for (const auto& c : again["components"]) refs_again.insert(c["bom-ref"]);
    CHECK(refs == refs_again);
    CHECK(bom["serialNumber"] != again["serialNumber"]);
}

TEST_CASE("e2e cyclonedx: inventory bom is the current view's BOM and says what inventory certs and endpoints say",
          "[e2e][cyclonedx]") {
    REQUIRE(fs::exists(kSchemas / "bom-1.6.SNAPSHOT.schema.json"));
    const CbomFleet fleet("127.66.63.2");
    const json bom = valid_bom(fleet.db, {"inventory", "bom", "--format", "cyclonedx"}, fleet.dir / "view.json");
    const auto components = components_by_ref(bom);
    const json certificates = json_of(fleet.db, {"inventory", "certs"})["certificates"];
    REQUIRE(certificates.size() == 4);
    check_certificates(components, certificates, [](const json& cert) { return cert["places"]; });
    const json endpoints = json_of(fleet.db, {"inventory", "endpoints"})["endpoints"];
    REQUIRE(endpoints.size() == 1);
    check_protocol(bom, endpoints[0], fleet.chain.leaf.sha256());

    // Only the certificates of the view: a second scan of the files alone leaves the endpoint in it.
    scan_ok(fleet.db, {"--files", (fleet.dir / "etc").string()});
    const json later = valid_bom(fleet.db, {"inventory", "bom"}, fleet.dir / "later.json");
    CHECK(components_by_ref(later).size() == components.size());
    // --scan: that scan's alone, without the endpoint.
    const json files_only = valid_bom(fleet.db, {"inventory", "bom", "--scan", "2"}, fleet.dir / "scan2.json");
    CHECK_FALSE(components_by_ref(files_only).contains("protocol:tls:127.66.63.2:15448"));
    CHECK(run_certfleet(fleet.db, {"inventory", "bom", "--format", "json"}).exit_code == 2);
}
