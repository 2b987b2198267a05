// Content decoders on PKCS#12, and on base64 embedded in Kubernetes manifests, kubeconfigs, JSON and Helm values.
#include "tests/unit/decoder_test_support.hpp"

using namespace certfleet;
using namespace certfleet::scanner;
using namespace certfleet::testing;
using namespace certfleet::testing::decoding;

// ---- PKCS#12 --------------------------------------------------------------------------------------------

namespace {
// What leaf_pkcs12 holds: the leaf first (it matches the key), then the CA certificates, and the leaf's key.
void check_leaf_pkcs12_contents(const FileObservations& result, SourceFormat format) {
    REQUIRE(result.certificates.size() == 3);
    CHECK(result.certificates[0].cert->sha256 == chain().leaf.sha256());
    const std::set<std::string> cas{result.certificates[1].cert->sha256, result.certificates[2].cert->sha256};
    CHECK(cas == std::set<std::string>{chain().intermediate.sha256(), chain().root.sha256()});
    CHECK(formats(result) == std::vector<SourceFormat>(3, format));
    REQUIRE(result.keys.size() == 1);
    check_readable_key(result.keys[0], chain().leaf_key, format);
    CHECK(reasons(result).empty());
}
}  // namespace

TEST_CASE("decode: PKCS#12 with the empty password", "[decode]") {
    const auto result = decode(leaf_pkcs12(""));
    check_leaf_pkcs12_contents(result, SourceFormat::pkcs12);
    check_no_key_material(result, chain().leaf_key, {});
}

TEST_CASE("decode: PKCS#12 opened with a password from the options", "[decode]") {
    const auto result = decode(leaf_pkcs12("changeit"), {"", "nope", "changeit"});
    check_leaf_pkcs12_contents(result, SourceFormat::pkcs12);
}

TEST_CASE("decode: PKCS#12 with an unknown password is locked", "[decode]") {
    const auto result = decode(leaf_pkcs12("s3cret"), {"", "changeit"});
    CHECK(result.certificates.empty());
    CHECK(result.keys.empty());
    CHECK(reasons(result) == std::vector<std::string>{"locked"});
}

TEST_CASE("decode: legacy RC2-40 PKCS#12 opens", "[decode]") {
    const auto result = decode(leaf_pkcs12("legacy", true), {"", "legacy"});
    check_leaf_pkcs12_contents(result, SourceFormat::pkcs12);
}

TEST_CASE("decode: PKCS#12 holding only CA certificates", "[decode]") {
    const auto result = decode(pkcs12_der(nullptr, nullptr, {chain().intermediate, chain().root}, ""));
    CHECK(sha256_set(result) == std::set<std::string>{chain().intermediate.sha256(), chain().root.sha256()});
    CHECK(result.certificates.size() == 2);
    CHECK(formats(result) == std::vector<SourceFormat>(2, SourceFormat::pkcs12));
    CHECK(result.keys.empty());
    CHECK(reasons(result).empty());
}

// ---- base64 embedded in text ----------------------------------------------------------------------------

TEST_CASE("decode: a Kubernetes TLS Secret", "[decode]") {
    const std::string key_pem = chain().leaf_key.pkcs8_pem();
    const std::string yaml = "apiVersion: v1\n"
                             "kind: Secret\n"
                             "metadata:\n"
                             "  name: web-tls\n"
                             "  namespace: default\n"
                             "type: kubernetes.io/tls\n"
                             "data:\n"
                             "  tls.crt: " + base64(chain().leaf.pem() + chain().intermediate.pem()) + "\n"
                             "  ca.crt: " + base64(chain().root.pem()) + "\n"
                             "  tls.key: " + base64(key_pem) + "\n";
    const auto result = decode(yaml);
    check_certificates(result, chain_certs(), SourceFormat::k8s);
    REQUIRE(result.keys.size() == 1);
    check_readable_key(result.keys[0], chain().leaf_key, SourceFormat::k8s);
    CHECK(reasons(result).empty());
    check_no_key_material(result, chain().leaf_key, {pem_body(key_pem), base64(key_pem)});
}

TEST_CASE("decode: a kubeconfig", "[decode]") {
    const std::string yaml = "apiVersion: v1\n"
                             "kind: Config\n"
                             "clusters:\n"
                             "- cluster:\n"
                             "    certificate-authority-data: " + base64(chain().root.pem()) + "\n"
                             "    server: https://10.0.0.1:6443\n"
                             "  name: prod\n"
                             "users:\n"
                             "- name: admin\n"
                             "  user:\n"
                             "    client-certificate-data: " + base64(chain().leaf.pem()) + "\n"
                             "    client-key-data: " + base64(chain().leaf_key.traditional_pem()) + "\n";
    const auto result = decode(yaml);
    check_certificates(result, {chain().root, chain().leaf}, SourceFormat::k8s);
    REQUIRE(result.keys.size() == 1);
    check_readable_key(result.keys[0], chain().leaf_key, SourceFormat::k8s);
    CHECK(reasons(result).empty());
}

TEST_CASE("decode: JSON holding a base64 DER certificate", "[decode]") {
    const auto result = decode("{\n  \"name\": \"api\",\n  \"certificate\": \"" + base64(chain().leaf.der) + "\"\n}\n");
    check_certificates(result, {chain().leaf}, SourceFormat::embedded);
    CHECK(reasons(result).empty());
}

TEST_CASE("decode: JSON holding PEM with \\n escapes", "[decode]") {
    const std::string json = "{\"name\": \"api\", \"certificate\": \"" + json_escaped(bundle_pem()) +
                             "\", \"key\": \"" + json_escaped(chain().leaf_key.pkcs8_pem()) + "\"}";
    REQUIRE(json.find('\n') == std::string::npos);
    const auto result = decode(json);
    check_certificates(result, chain_certs(), SourceFormat::pem);
    REQUIRE(result.keys.size() == 1);
    check_readable_key(result.keys[0], chain().leaf_key, SourceFormat::pem);
    CHECK(reasons(result).empty());
}

// Minified JSON has no newline after a PEM string's END line: what follows on the line must still be read.
TEST_CASE("decode: a base64 value after a JSON-escaped PEM string on the same line", "[decode]") {
    const std::string json = "{\"chain\":\"" + json_escaped(chain().leaf.pem()) + "\",\"root\":\"" +
                             base64(chain().root.der) + "\"}";
    const auto result = decode(json);
    CHECK(sha256s(result) == sha256s({chain().leaf, chain().root}));
    CHECK(formats(result) == std::vector<SourceFormat>{SourceFormat::pem, SourceFormat::embedded});
    CHECK(reasons(result).empty());
}

// Same for a PEM whose END line never comes: the rest of the file is still searched for base64 values.
TEST_CASE("decode: a base64 value after a truncated PEM block", "[decode]") {
    const std::string cut = chain().intermediate.pem().substr(0, 300);
    const auto result = decode("broken: " + cut + "\nroot: " + base64(chain().root.der) + "\n");
    check_certificates(result, {chain().root}, SourceFormat::embedded);
    CHECK(reasons(result) == std::vector<std::string>{"truncated_pem"});
}

TEST_CASE("decode: an encrypted traditional key in a JSON string", "[decode]") {
    const TestKey key = key_of(KeyKind::ec);
    const std::string json = "{\"key\": \"" + json_escaped(key.traditional_encrypted_pem("json pass")) + "\"}";
    const auto result = decode(json, {"", "json pass"});
    REQUIRE(result.keys.size() == 1);
    check_readable_key(result.keys[0], key, SourceFormat::pem);
    CHECK(reasons(result).empty());
}

TEST_CASE("decode: Helm values with a PEM block scalar and a base64 CA bundle", "[decode]") {
    const std::string yaml = "replicaCount: 2\n"
                             "ingress:\n"
                             "  enabled: true\n"
                             "  tls:\n"
                             "    certificate: |\n" + indented(chain().leaf.pem(), "      ") +
                             "    key: |\n" + indented(chain().leaf_key.pkcs8_pem(), "      ") +
                             "webhook:\n"
                             "  caBundle: " + base64(chain().root.pem()) + "\n";
    const auto result = decode(yaml);
    CHECK(sha256s(result) == sha256s({chain().leaf, chain().root}));
    CHECK(formats(result) == std::vector<SourceFormat>{SourceFormat::pem, SourceFormat::embedded});
    REQUIRE(result.keys.size() == 1);
    check_readable_key(result.keys[0], chain().leaf_key, SourceFormat::pem);
    CHECK(reasons(result).empty());
}

TEST_CASE("decode: base64 wrapped over several lines of a YAML block scalar", "[decode]") {
    const std::string yaml = "webhook:\n"
                             "  caBundle: |\n" + wrapped_base64(chain().root.pem(), "    ") +
                             "  clientCert: |\n" + wrapped_base64(chain().leaf.pem(), "    ") +
                             "  failurePolicy: Fail\n";
    const auto result = decode(yaml);
    CHECK(sha256s(result) == sha256s({chain().root, chain().leaf}));
    CHECK(reasons(result).empty());
}

TEST_CASE("decode: base64 wrapped with \\n escapes inside a JSON string", "[decode]") {
    const std::string json = "{\"ca\": \"" + json_escaped(wrapped_base64(chain().root.pem(), "")) + "\", \"n\": 1}";
    const auto result = decode(json);
    CHECK(sha256s(result) == sha256s({chain().root}));
    CHECK(reasons(result).empty());
}

TEST_CASE("decode: a wrapped value ends where the next YAML key starts", "[decode]") {
    // "dataKey" is all base64 letters: it must not be glued onto the value before it.
    const std::string yaml = "ca: |\n" + wrapped_base64(chain().root.pem(), "  ") + "dataKey: " +
                             base64(chain().leaf.pem()) + "\n";
    const auto result = decode(yaml);
    CHECK(sha256s(result) == sha256s({chain().root, chain().leaf}));
    CHECK(reasons(result).empty());
}

TEST_CASE("decode: a PKCS#12 keystore in a Kubernetes Secret", "[decode]") {
    const std::string yaml = "apiVersion: v1\n"
                             "kind: Secret\n"
                             "metadata:\n"
                             "  name: keystore\n"
                             "type: Opaque\n"
                             "data:\n"
                             "  keystore.p12: " + base64(leaf_pkcs12("")) + "\n";
    check_leaf_pkcs12_contents(decode(yaml), SourceFormat::k8s);
}
