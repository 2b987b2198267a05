// Writes the fuzzers' seed corpora: OUTPUT_DIR/<fuzzer>/<seed>, one directory per fuzzer of fuzz/CMakeLists.txt.
// Run at build time, so no key or keystore is ever committed: every key and certificate is made here, fresh.
// A seed that once found a bug is made here too, by the steps that built it (its name starts "regression-"),
// and stays in the corpus so every fuzzing run replays it first: among them the KDF bombs of
// testkit/pbe_files.hpp, which take minutes (-timeout flags them) unless the decoder refuses them.
//
// Usage: certfleet_fuzz_seeds OUTPUT_DIR SOURCE_DIR   (SOURCE_DIR: the checkout, for rules/examples)
#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/tls_wire.hpp"
#include "testkit/cert_factory.hpp"
#include "testkit/pbe_files.hpp"
#include "testkit/keystore_writer.hpp"

namespace {

using namespace certfleet;
using namespace certfleet::testing;
namespace fs = std::filesystem;

constexpr const char* kPassword = "changeit";  // one of the passwords the fuzzers decode with (fuzz_support.hpp)

// Seeds by fuzzer, then by file name.
using Corpora = std::map<std::string, std::map<std::string, Bytes>>;

Bytes bytes_of(const std::string& text) { return to_bytes(text); }

// "-----BEGIN X-----\n...\n" as a JSON string value: line breaks as \n escapes, the way kubectl -o json prints.
std::string json_escaped(const std::string& pem) {
    std::string out;
    for (char c : pem) {
        if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

// The base64 of `der` wrapped at 76 columns and indented, as a YAML block scalar holds it.
std::string wrapped_base64(const Bytes& der, const std::string& indent) {
    const std::string flat = base64(der);
    std::string out;
    for (std::size_t i = 0; i < flat.size(); i += 76) out += indent + flat.substr(i, 76) + "\n";
    return out;
}

struct Material {
    TestChain chain = make_chain("seed.example");
    TestKey rsa_key = TestKey::generate({.kind = KeyKind::rsa, .bits = 2048});
    TestKey ed25519_key = TestKey::generate({.kind = KeyKind::ed25519});
    TestCert rsa_cert = TestCert::make({.subject_cn = "rsa.seed.example", .dns_names = {"rsa.seed.example"},
                                        .ip_addresses = {"192.0.2.7"}, .emails = {"ops@seed.example"}},
                                       rsa_key);
    TestCert ed25519_cert = TestCert::make({.subject_cn = "ed25519.seed.example"}, ed25519_key);
};

void add_pem_seeds(const Material& m, std::map<std::string, Bytes>& pem) {
    const auto& c = m.chain;
    pem["certificate.pem"] = bytes_of(c.leaf.pem());
    pem["bundle.pem"] = bytes_of(c.leaf.pem() + c.intermediate.pem() + c.root.pem());
    pem["rsa-certificate-and-key.pem"] = bytes_of(m.rsa_cert.pem() + m.rsa_key.traditional_pem());
    pem["pkcs7.pem"] = bytes_of(pkcs7_pem({c.leaf, c.intermediate}));
    pem["pkcs8-key.pem"] = bytes_of(m.ed25519_key.pkcs8_pem());
    pem["encrypted-pkcs8-key.pem"] = bytes_of(c.leaf_key.encrypted_pkcs8_pem(kPassword));
    pem["traditional-encrypted-key.pem"] = bytes_of(m.rsa_key.traditional_encrypted_pem(kPassword));
    pem["ec-key.pem"] = bytes_of(c.root_key.traditional_pem());
    pem["configmap.yaml"] = bytes_of("apiVersion: v1\nkind: ConfigMap\ndata:\n  ca.crt: |\n    " + c.root.pem() +
                                     "  other: value\n");
    pem["json-escaped.json"] = bytes_of("{\"ca\": \"" + json_escaped(c.root.pem()) + "\"}\n");
    const Bytes scrypt_key = scrypt_pkcs8_der(c.leaf_key, kPassword, 1024, 8, 1);
    pem["scrypt-encrypted-key.pem"] = bytes_of(pem_block("ENCRYPTED PRIVATE KEY", scrypt_key));
    pem["regression-pkcs8-pbkdf2-iterations-2147483647.pem"] = bytes_of(pem_block(
        "ENCRYPTED PRIVATE KEY", with_pkcs8_iterations(encrypted_pkcs8_der(c.leaf_key, kPassword, 2048), 0x7FFFFFFF)));
}

void add_der_seeds(const Material& m, std::map<std::string, Bytes>& der) {
    der["certificate.der"] = m.chain.leaf.der;
    der["rsa-certificate.der"] = m.rsa_cert.der;
    der["ed25519-certificate.der"] = m.ed25519_cert.der;
    der["pkcs7.der"] = pkcs7_der({m.chain.leaf, m.chain.intermediate, m.chain.root});
    der["pkcs8-key.der"] = m.chain.leaf_key.pkcs8_der();
    der["ed25519-pkcs8-key.der"] = m.ed25519_key.pkcs8_der();
    der["encrypted-pkcs8-key.der"] = encrypted_pkcs8_der(m.rsa_key, kPassword, 2048);
    // scrypt within OpenSSL's 32 MiB memory bound (N = 2^16, r = 2, p = 2^15: 24 MiB), yet N * r * p = 2^32 where
    // tools use 2^17: half an hour per password.
    der["regression-pkcs8-scrypt-work-2-to-the-32.der"] =
        with_scrypt_parallelization(scrypt_pkcs8_der(m.rsa_key, kPassword, 65536, 2, 1), 32768);
}

void add_pkcs12_seeds(const Material& m, std::map<std::string, Bytes>& p12) {
    const auto& c = m.chain;
    p12["keystore.p12"] = pkcs12_der(&c.leaf_key, &c.leaf, {c.intermediate, c.root}, kPassword);
    p12["no-password.p12"] = pkcs12_der(&m.rsa_key, &m.rsa_cert, {}, "");
    p12["legacy-rc2.p12"] = pkcs12_der(&c.leaf_key, &c.leaf, {c.intermediate}, kPassword, true);
    p12["truststore.p12"] = pkcs12_der(nullptr, nullptr, {c.root, c.intermediate}, kPassword);
    p12["locked.p12"] = pkcs12_der(&c.leaf_key, &c.leaf, {}, "a password no scan knows");
    const Bytes plain = pkcs12_der(&c.leaf_key, &c.leaf, {}, "");
    p12["regression-mac-iterations-2147483647.p12"] = with_kdf_iterations(plain, Pkcs12Kdf::mac, 0x7FFFFFFF);
    // A MAC that checks out in front of a certificate safe asking for 2^31-1 iterations: the next derivation.
    p12["regression-safe-iterations-2147483647.p12"] = with_kdf_iterations(plain, Pkcs12Kdf::encrypted_safes, 0x7FFFFFFF);
    p12["regression-key-iterations-2147483647.p12"] = with_kdf_iterations(plain, Pkcs12Kdf::shrouded_keys, 0x7FFFFFFF);
}

void add_keystore_seeds(const Material& m, std::map<std::string, Bytes>& jks) {
    const auto& c = m.chain;
    jks["keystore.jks"] = KeystoreWriter(KeystoreType::jks)
                              .add_private_key("server", {c.leaf, c.intermediate})
                              .add_trusted_cert("root", c.root)
                              .build(u"changeit");
    jks["truststore.jks"] = KeystoreWriter(KeystoreType::jks).add_trusted_cert("root", c.root).build(u"");
    jks["every-entry-kind.jceks"] = KeystoreWriter(KeystoreType::jceks)
                                        .add_trusted_cert("root", c.root)
                                        .add_secret_key("aes")
                                        .add_private_key("server", {c.leaf, c.intermediate})
                                        .build(u"changeit");
    jks["version-1.jks"] = KeystoreWriter(KeystoreType::jks, 1).add_trusted_cert("rsa", m.rsa_cert).build(u"other");
}

void add_embedded_seeds(const Material& m, const std::map<std::string, Bytes>& containers,
                        std::map<std::string, Bytes>& embedded) {
    const auto& c = m.chain;
    embedded["secret.yaml"] = bytes_of("apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\ndata:\n  tls.crt: " +
                                       base64(c.leaf.pem() + c.intermediate.pem()) + "\n  tls.key: " +
                                       base64(c.leaf_key.pkcs8_pem()) + "\n  ca.crt: " + base64(c.root.pem()) + "\n");
    embedded["kubeconfig.yaml"] = bytes_of(
        "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: " + base64(c.root.pem()) +
        "\n    server: https://192.0.2.10:6443\n  name: seed\nusers:\n- name: admin\n  user:\n"
        "    client-certificate-data: " + base64(c.leaf.pem()) + "\n");
    embedded["helm-values.yaml"] = bytes_of("tls:\n  certificate: |\n" + wrapped_base64(c.leaf.der, "    ") +
                                            "  enabled: true\n");
    // One container a seed: small inputs keep the executions per second up.
    for (const auto& [name, der] : containers)
        embedded[name + ".json"] = bytes_of("{\"name\": \"" + name + "\", \"data\": \"" + base64(der) + "\"}\n");
}

void add_rules_seeds(const fs::path& source_dir, std::map<std::string, Bytes>& rules) {
    for (const auto& entry : fs::directory_iterator(source_dir / "rules" / "examples"))
        rules[entry.path().filename().string()] = read_file(entry.path());
    rules["include-builtin.yaml"] = bytes_of("include: builtin\n");
    rules["all-fields.yaml"] = bytes_of(
        "rules:\n"
        "  - id: every-kind-of-test\n    severity: low\n    match:\n      any:\n"
        "        - {self_signed: true, expires_within: 30d, key_bits_below: 2048}\n"
        "        - not: {key_type: [rsa, \"ec*\"]}\n"
        "        - {issuer: \"CN=Legacy*\", shared_across_label: owner}\n"
        "    scope: {cidrs: [10.0.0.0/8, \"2001:db8::/32\"], ports: [443], paths: [\"/etc/*\"], kind: endpoint,\n"
        "            labels: {owner: payments}}\n"
        "    exemptions:\n      - {fingerprint: \"AB:CD\", reason: test, expires: 2030-01-01}\n"
        "  - id: migrate\n    match: {subject: \"*\"}\n    deadline: 2031-06-30\n    replace_with: \"CN=Internal CA\"\n");
    // yaml-cpp 0.7's LoadAll read this one forever (rules/yaml_document.hpp).
    rules["regression-stray-comma.yaml"] = bytes_of("# team rules\n  , id: r\n");
    rules["json.json"] = bytes_of("{\"rules\": [{\"id\": \"j\", \"match\": {\"expired\": true}}]}\n");
}

void add_target_seeds(std::map<std::string, Bytes>& targets) {
    // First line ports, second line shard, then specs; '!' marks an exclude (see targets_fuzzer.cpp).
    const std::map<std::string, std::string> specs = {
        {"address", "443,8443\n1/1\n192.0.2.7\n"},
        {"cidr-with-exclude", "443\n1/2\n192.0.2.0/28\n!192.0.2.4\n!192.0.2.8/30\n"},
        {"ipv6", "1-1024\n1/1\n2001:db8::/124\n[2001:db8::7]:443\n!2001:db8::1-2001:db8::3\n"},
        {"names", "443,993\n1/1\nmail.example.com\nmail.example.com.:993\n"},
        {"ranges-and-ports", "9000-9010,443\n2/3\n192.0.2.1-192.0.2.40\n[2001:db8::/120]:443\n192.0.2.0/30:8443\n"},
        {"large", "443\n3/7\n10.0.0.0/8\n"},
        {"too-large", "1-65535\n1/1\n::/0\n"},
        {"invalid", "0,70000\n0/0\n10.0.0.0/33\n300.1.1.1\n-bad-.example\n!host.example\n"},
    };
    for (const auto& [name, text] : specs) targets[name + ".txt"] = bytes_of(text);
}

// Big-endian, as TLS writes every number.
void append_number(Bytes& out, std::size_t value, int width) {
    for (int i = width - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

// `data` behind its length, a number of `width` bytes.
void append_prefixed(Bytes& out, int width, const Bytes& data) {
    append_number(out, data.size(), width);
    out.insert(out.end(), data.begin(), data.end());
}

Bytes tls_record(std::uint8_t content_type, const Bytes& body) {
    Bytes record{content_type};
    append_number(record, tls_wire::kTls12, 2);  // legacy_record_version, as TLS 1.3 servers send (RFC 8446 5.1)
    append_prefixed(record, 2, body);
    return record;
}

// A ServerHello record (RFC 8446 4.1.3) whose key_share extension holds `key_share`; with the special random, a
// HelloRetryRequest, where key_share is the selected group alone (4.2.8).
Bytes server_hello_record(const std::array<std::uint8_t, 32>& random, const Bytes& key_share) {
    Bytes hello;
    append_number(hello, tls_wire::kTls12, 2);  // legacy_version; supported_versions says 1.3
    hello.insert(hello.end(), random.begin(), random.end());
    append_prefixed(hello, 1, Bytes(32, 0x5E));  // the echo of the 32-byte session id certfleet sends
    append_number(hello, 0x1301, 2);             // TLS_AES_128_GCM_SHA256
    hello.push_back(0);                          // the null compression method
    Bytes extensions;
    append_number(extensions, tls_wire::kSupportedVersionsExtension, 2);
    append_prefixed(extensions, 2, {0x03, 0x04});  // TLS 1.3
    append_number(extensions, tls_wire::kKeyShareExtension, 2);
    append_prefixed(extensions, 2, key_share);
    append_prefixed(hello, 2, extensions);
    Bytes handshake{tls_wire::kServerHello};
    append_prefixed(handshake, 3, hello);
    return tls_record(tls_wire::kHandshakeRecord, handshake);
}

// A server's KeyShareEntry: the group, then its share. The parser never reads a ServerHello's share, so a filler of
// the length the group's shares have stands in for one: no key is made.
Bytes server_key_share(std::uint16_t group, std::size_t share_length) {
    Bytes entry;
    append_number(entry, group, 2);
    append_prefixed(entry, 2, Bytes(share_length, 0xA5));
    return entry;
}

// What a server answers the hybrid key-exchange probe's ClientHello (scanner/hybrid_key_exchange.hpp), built
// byte by byte per RFC 8446.
void add_hybrid_answer_seeds(std::map<std::string, Bytes>& answers) {
    constexpr std::uint16_t kX25519 = 0x001D;
    std::array<std::uint8_t, 32> server_random{};  // any random but the HelloRetryRequest's
    for (std::size_t i = 0; i < server_random.size(); ++i) server_random[i] = static_cast<std::uint8_t>(i);
    // X25519MLKEM768's server share: an ML-KEM-768 ciphertext (1088 bytes), then an X25519 public key (32).
    answers["server-hello-x25519mlkem768.bin"] =
        server_hello_record(server_random, server_key_share(tls_wire::kX25519MlKem768, 1120));
    Bytes selected_group;
    append_number(selected_group, tls_wire::kX25519MlKem768, 2);
    const Bytes retry = server_hello_record(tls_wire::kHelloRetryRandom, selected_group);
    answers["hello-retry-request-x25519mlkem768.bin"] = retry;
    answers["server-hello-x25519.bin"] = server_hello_record(server_random, server_key_share(kX25519, 32));
    answers["alert-handshake-failure.bin"] = tls_record(tls_wire::kAlertRecord, {2, 40});  // fatal, handshake_failure
    // As a read can return it: the HelloRetryRequest up to the last byte of its group.
    answers["truncated-hello-retry-request.bin"] = Bytes(retry.begin(), retry.end() - 1);
}

Corpora make_corpora(const fs::path& source_dir) {
    const Material m;
    Corpora corpora;
    add_pem_seeds(m, corpora["pem"]);
    add_der_seeds(m, corpora["der"]);
    add_pkcs12_seeds(m, corpora["pkcs12"]);
    add_keystore_seeds(m, corpora["java_keystore"]);
    std::map<std::string, Bytes> containers = corpora["der"];
    containers.insert(corpora["java_keystore"].begin(), corpora["java_keystore"].end());
    containers["keystore.p12"] = corpora["pkcs12"]["keystore.p12"];
    add_embedded_seeds(m, containers, corpora["embedded"]);
    add_rules_seeds(source_dir, corpora["rules_file"]);
    add_target_seeds(corpora["targets"]);
    add_hybrid_answer_seeds(corpora["hybrid_answer"]);
    // PKCS#12 reaches decode_der through its gate; the whole-file decoder meets every format.
    corpora["der"].insert(corpora["pkcs12"].begin(), corpora["pkcs12"].end());
    for (const char* fuzzer : {"pem", "der", "java_keystore", "embedded"})
        corpora["file_content"].insert(corpora[fuzzer].begin(), corpora[fuzzer].end());
    return corpora;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s OUTPUT_DIR SOURCE_DIR\n", argv[0]);
        return 2;
    }
    try {
        const fs::path output(argv[1]);
        fs::remove_all(output);  // a seed dropped from this program leaves its corpus too
        for (const auto& [fuzzer, seeds] : make_corpora(argv[2]))
            for (const auto& [name, content] : seeds) write_file(output / fuzzer / name, content);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "certfleet_fuzz_seeds: %s\n", e.what());
        return 1;
    }
    return 0;
}
