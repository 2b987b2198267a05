// Content decoders: decode_file_content on PEM, DER, PKCS#7, PKCS#12, private keys, base64 embedded in
// Kubernetes manifests / kubeconfigs / JSON / Helm values, and on damaged or hostile input.
#include <catch2/catch.hpp>

#include <openssl/objects.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/encoding.hpp"
#include "core/openssl_handles.hpp"
#include "scanner/decode.hpp"
#include "testkit/cert_factory.hpp"
#include "testkit/keystore_writer.hpp"
#include "testkit/observations.hpp"

using namespace certfleet;
using namespace certfleet::scanner;
using namespace certfleet::testing;

namespace Catch {
template <>
struct StringMaker<SourceFormat> {
    static std::string convert(SourceFormat f) { return certfleet::to_string(f); }
};
template <>
struct StringMaker<KeyState> {
    static std::string convert(KeyState s) { return certfleet::to_string(s); }
};
}  // namespace Catch

namespace {

const std::string kPath = "/srv/input";

// ---- fixtures -------------------------------------------------------------------------------------------

const TestChain& chain() {
    static const TestChain shared = make_chain("decode.example");
    return shared;
}

// Leaf, intermediate, root: the order a server's bundle lists them in.
std::vector<TestCert> chain_certs() { return {chain().leaf, chain().intermediate, chain().root}; }

std::string bundle_pem() { return chain().leaf.pem() + chain().intermediate.pem() + chain().root.pem(); }

KeySpec spec_of(KeyKind kind) {
    KeySpec spec;
    spec.kind = kind;
    return spec;
}

TestKey key_of(KeyKind kind) { return TestKey::shared(spec_of(kind), 6); }

Bytes leaf_pkcs12(const std::string& password, bool legacy_rc2 = false) {
    return pkcs12_der(&chain().leaf_key, &chain().leaf, {chain().intermediate, chain().root}, password, legacy_rc2);
}

// OpenSSL's "TRUSTED CERTIFICATE" form: the certificate followed by its trust settings and alias.
std::string trusted_certificate_pem(const TestCert& cert) {
    ossl::X509Ptr copy(X509_dup(cert.get()));
    REQUIRE(copy);
    REQUIRE(X509_add1_trust_object(copy.get(), OBJ_nid2obj(NID_server_auth)) == 1);
    REQUIRE(X509_alias_set1(copy.get(), reinterpret_cast<const unsigned char*>("trusted alias"), -1) == 1);
    ossl::BioPtr bio(BIO_new(BIO_s_mem()));
    REQUIRE(PEM_write_bio_X509_AUX(bio.get(), copy.get()) == 1);
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(length));
}

// ---- text helpers ---------------------------------------------------------------------------------------

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
    for (std::size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size()))
        text.replace(pos, from.size(), to);
    return text;
}

std::string with_crlf(const std::string& text) { return replace_all(text, "\n", "\r\n"); }
std::string json_escaped(const std::string& text) { return replace_all(text, "\n", "\\n"); }

// Prefixes every line of `text` with `prefix`, as a YAML block scalar does.
std::string indented(const std::string& text, const std::string& prefix) {
    std::string out;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = std::min(text.find('\n', start), text.size());
        out += prefix + text.substr(start, end - start) + "\n";
        start = end + 1;
    }
    return out;
}

// The base64 body of a PEM block: every line that is neither a BEGIN/END line nor an RFC 1421 header.
std::string pem_body(const std::string& pem) {
    std::string body;
    std::size_t start = 0;
    while (start < pem.size()) {
        const std::size_t end = std::min(pem.find('\n', start), pem.size());
        const std::string line = pem.substr(start, end - start);
        if (!line.starts_with("-----") && line.find(':') == std::string::npos) body += line;
        start = end + 1;
    }
    return body;
}

std::size_t occurrences(std::string_view text, std::string_view needle) {
    std::size_t count = 0;
    for (std::size_t pos = text.find(needle); pos != std::string_view::npos; pos = text.find(needle, pos + 1))
        ++count;
    return count;
}

Bytes random_bytes(std::mt19937& rng, std::size_t size) {
    std::uniform_int_distribution<int> byte(0, 255);
    Bytes out(size);
    for (auto& b : out) b = static_cast<std::uint8_t>(byte(rng));
    return out;
}

// 0, step, 2*step, ... and always the last two lengths below `size`.
std::vector<std::size_t> prefix_lengths(std::size_t size, std::size_t step) {
    std::vector<std::size_t> out;
    for (std::size_t length = 0; length < size; length += step) out.push_back(length);
    if (size >= 2) out.push_back(size - 2);
    if (size >= 1) out.push_back(size - 1);
    return out;
}

// ---- decoding and checking ------------------------------------------------------------------------------

// Invariants of every decode whatever the input: certificates numbered in order, all attributed to the file,
// the parsed model matching the recorded DER, keys with a public key hash exactly when they were opened.
void check_well_formed(const FileObservations& result, const std::string& path) {
    for (std::size_t i = 0; i < result.certificates.size(); ++i) {
        const auto& sighting = result.certificates[i];
        REQUIRE(sighting.cert);
        REQUIRE(sighting.der);
        CHECK(sighting.location.index == static_cast<int>(i));
        CHECK(sighting.location.path == path);
        CHECK(sighting.cert->sha256 == sha256_hex(*sighting.der));
    }
    for (const auto& key : result.keys) {
        CHECK(key.path == path);
        CHECK(key.spki_sha256.has_value() == (key.state != KeyState::encrypted));
    }
    for (const auto& event : result.events) {
        CHECK(event.location == path);
        CHECK_FALSE(event.reason.empty());
    }
}

FileObservations decode(const Bytes& content, const std::vector<std::string>& passwords = {""},
                        CertificateCache* cache = nullptr, const std::string& path = kPath) {
    const DecodeOptions options{passwords, cache};
    FileObservations result = decode_file_content(content, path, options);
    check_well_formed(result, path);
    return result;
}

FileObservations decode(const std::string& text, const std::vector<std::string>& passwords = {""},
                        CertificateCache* cache = nullptr, const std::string& path = kPath) {
    return decode(to_bytes(text), passwords, cache, path);
}

std::vector<std::string> sha256s(const FileObservations& result) {
    std::vector<std::string> out;
    for (const auto& sighting : result.certificates) out.push_back(sighting.cert->sha256);
    return out;
}

std::vector<std::string> sha256s(const std::vector<TestCert>& certs) {
    std::vector<std::string> out;
    for (const auto& cert : certs) out.push_back(cert.sha256());
    return out;
}

std::set<std::string> sha256_set(const FileObservations& result) {
    const auto list = sha256s(result);
    return {list.begin(), list.end()};
}

std::vector<SourceFormat> formats(const FileObservations& result) {
    std::vector<SourceFormat> out;
    for (const auto& sighting : result.certificates) out.push_back(sighting.location.format);
    return out;
}

std::vector<std::string> reasons(const FileObservations& result) {
    std::vector<std::string> out;
    for (const auto& event : result.events) out.push_back(event.reason);
    return out;
}

// The certificates found are exactly `expected`, in order, all in `format`.
void check_certificates(const FileObservations& result, const std::vector<TestCert>& expected, SourceFormat format) {
    CHECK(sha256s(result) == sha256s(expected));
    CHECK(formats(result) == std::vector<SourceFormat>(expected.size(), format));
}

void check_readable_key(const KeySighting& key, const TestKey& expected, SourceFormat format) {
    CHECK(key.state == KeyState::readable);
    CHECK(key.format == format);
    CHECK(key.spki_sha256.value_or("<none>") == expected.spki_sha256());
}

void check_encrypted_key(const KeySighting& key, SourceFormat format) {
    CHECK(key.state == KeyState::encrypted);
    CHECK(key.format == format);
    CHECK_FALSE(key.spki_sha256.has_value());
}

bool nothing_found(const FileObservations& result) {
    return result.certificates.empty() && result.keys.empty() && result.events.empty();
}

// The first `window`-long piece of `secret` that occurs in `haystack`, skipping pieces that also occur in
// `public_part` (they are not secret); empty when none does.
std::string first_shared_piece(std::string_view secret, std::string_view haystack, std::string_view public_part,
                               std::size_t window) {
    for (std::size_t i = 0; i + window <= secret.size(); ++i) {
        const std::string_view piece = secret.substr(i, window);
        if (public_part.find(piece) == std::string_view::npos && haystack.find(piece) != std::string_view::npos)
            return std::string(piece);
    }
    return {};
}

std::string_view as_chars(const Bytes& bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Key material never leaves the decoder: no text field of the observations holds a piece of any of the
// key's textual `encodings` (PEM bodies, base64 values), and no field nor certificate DER holds a piece of
// the private key's DER (raw or hex) beyond what its public key shares with it.
void check_no_key_material(const FileObservations& result, const TestKey& key,
                           const std::vector<std::string>& encodings) {
    std::string text;
    std::string binary;
    for (const auto& sighting : result.certificates) {
        text += sighting.location.path + "\n";
        binary += as_chars(*sighting.der);
    }
    for (const auto& sighting : result.keys) text += sighting.path + "\n" + sighting.spki_sha256.value_or("") + "\n";
    for (const auto& event : result.events) text += event.location + "\n" + event.reason + "\n" + event.detail + "\n";
    binary += text;

    for (const auto& encoding : encodings) CHECK(first_shared_piece(encoding, text, {}, 16).empty());
    const Bytes private_der = key.pkcs8_der();
    const Bytes public_der = key.spki_der();
    CHECK(first_shared_piece(as_chars(private_der), binary, as_chars(public_der), 12).empty());
    CHECK(first_shared_piece(to_hex(private_der), text, to_hex(public_der), 24).empty());
}

}  // namespace

// ---- PEM ------------------------------------------------------------------------------------------------

TEST_CASE("decode: a PEM file with one certificate", "[decode]") {
    const auto result = decode(chain().leaf.pem());
    check_certificates(result, {chain().leaf}, SourceFormat::pem);
    CHECK(result.certificates.at(0).location.index == 0);
    CHECK(*result.certificates.at(0).der == chain().leaf.der);
    CHECK(result.keys.empty());
    CHECK(reasons(result).empty());
}

TEST_CASE("decode: a PEM bundle yields its certificates in order", "[decode]") {
    const auto result = decode(bundle_pem());
    check_certificates(result, chain_certs(), SourceFormat::pem);
    REQUIRE(result.certificates.size() == 3);
    for (int i = 0; i < 3; ++i) CHECK(result.certificates[static_cast<std::size_t>(i)].location.index == i);
    CHECK(reasons(result).empty());
}

TEST_CASE("decode: PEM with CRLF line endings", "[decode]") {
    SECTION("a certificate bundle") {
        const auto result = decode(with_crlf(bundle_pem()));
        check_certificates(result, chain_certs(), SourceFormat::pem);
        CHECK(reasons(result).empty());
    }
    SECTION("an encrypted traditional key, whose Proc-Type headers end in CR") {
        const TestKey key = key_of(KeyKind::ec);
        const auto result = decode(with_crlf(key.traditional_encrypted_pem("crlf pass")), {"", "crlf pass"});
        REQUIRE(result.keys.size() == 1);
        check_readable_key(result.keys[0], key, SourceFormat::pem);
        CHECK(reasons(result).empty());
    }
}

TEST_CASE("decode: PEM surrounded by other text", "[decode]") {
    const std::string x509_text =
        "Certificate:\n"
        "    Data:\n"
        "        Version: 3 (0x2)\n"
        "        Serial Number:\n"
        "            4a:1f:9c:03:77:e2:58:b1:0d:3c:91:6a:2e:55:f0:4b\n"
        "        Signature Algorithm: ecdsa-with-SHA256\n"
        "        Issuer: O = certfleet tests, CN = Test Intermediate CA\n"
        "        Subject Public Key Info:\n"
        "            Public Key Algorithm: id-ecPublicKey\n"
        "                pub:\n"
        "                    04:5b:2c:8e:11:a0:fe:39:73:6d:0a:c4:92:1b:e8:\n"
        "                    57:3a:0f:c6:88:d1:24:9e:b5:70:0c:4f:13:2a:99:\n"
        "    Signature Value:\n"
        "        30:45:02:21:00:e1:8c:3f:52:0a:97:44:1b:6e:d0:\n";
    const std::string bag_attributes =
        "Bag Attributes\n"
        "    localKeyID: 01 00 00 00 \n"
        "    friendlyName: decode.example\n"
        "subject=CN = decode.example\n"
        "issuer=O = certfleet tests, CN = Test Intermediate CA\n";
    const std::string text = x509_text + chain().leaf.pem() + bag_attributes + chain().intermediate.pem() +
                             "\nTrailing notes: rotate before 2031-01-01. MIIB is how DER starts in base64.\n";
    const auto result = decode(text);
    check_certificates(result, {chain().leaf, chain().intermediate}, SourceFormat::pem);
    CHECK(reasons(result).empty());
}

TEST_CASE("decode: indented PEM in a YAML block scalar", "[decode]") {
    const std::string yaml = "server:\n"
                             "  listen: 8443\n"
                             "  tls:\n"
                             "    certificate: |\n" +
                             indented(chain().leaf.pem() + chain().intermediate.pem(), "      ") +
                             "    privateKey: |\n" + indented(chain().leaf_key.pkcs8_pem(), "      ") +
                             "  logLevel: info\n";
    const auto result = decode(yaml);
    check_certificates(result, {chain().leaf, chain().intermediate}, SourceFormat::pem);
    REQUIRE(result.keys.size() == 1);
    check_readable_key(result.keys[0], chain().leaf_key, SourceFormat::pem);
    CHECK(reasons(result).empty());
}

TEST_CASE("decode: TRUSTED CERTIFICATE yields the certificate without its trust settings", "[decode]") {
    const std::string pem = trusted_certificate_pem(chain().root);
    REQUIRE(pem.starts_with("-----BEGIN TRUSTED CERTIFICATE-----"));
    const auto result = decode(pem);
    check_certificates(result, {chain().root}, SourceFormat::pem);
    CHECK(reasons(result).empty());
}

TEST_CASE("decode: a PKCS7 PEM block yields its certificates as pkcs7", "[decode]") {
    const std::string pem = pkcs7_pem(chain_certs());
    REQUIRE(pem.starts_with("-----BEGIN PKCS7-----"));
    const auto result = decode(pem);
    check_certificates(result, chain_certs(), SourceFormat::pkcs7);
    CHECK(reasons(result).empty());
}

TEST_CASE("decode: the X509 CERTIFICATE label", "[decode]") {
    const auto result = decode(replace_all(chain().leaf.pem(), " CERTIFICATE-----", " X509 CERTIFICATE-----"));
    check_certificates(result, {chain().leaf}, SourceFormat::pem);
    CHECK(reasons(result).empty());
}

// ---- private keys ---------------------------------------------------------------------------------------

TEST_CASE("decode: a PKCS#8 PEM key is recorded by its public key and never by its material", "[decode]") {
    const KeyKind kind = GENERATE(KeyKind::ec, KeyKind::rsa, KeyKind::ed25519);
    INFO("key kind " << static_cast<int>(kind));
    const TestKey key = key_of(kind);
    const std::string pem = key.pkcs8_pem();
    REQUIRE(pem.starts_with("-----BEGIN PRIVATE KEY-----"));

    const auto result = decode(pem);
    REQUIRE(result.keys.size() == 1);
    check_readable_key(result.keys[0], key, SourceFormat::pem);
    CHECK(result.keys[0].path == kPath);
    CHECK(result.certificates.empty());
    CHECK(reasons(result).empty());
    check_no_key_material(result, key, {pem_body(pem)});
}

namespace {

// A password-protected PEM key opens with the right password from the options and stays encrypted (its
// fingerprint unknown) without it; either way no key material leaks into the observations.
void check_password_protected_key(const std::string& pem, const TestKey& key, const std::string& password) {
    for (const bool known : {true, false}) {
        INFO("password known: " << known);
        std::vector<std::string> passwords{"", "wrong"};
        if (known) passwords.push_back(password);
        const auto result = decode(pem, passwords);
        REQUIRE(result.keys.size() == 1);
        if (known) check_readable_key(result.keys[0], key, SourceFormat::pem);
        else check_encrypted_key(result.keys[0], SourceFormat::pem);
        CHECK(reasons(result).empty());
        check_no_key_material(result, key, {pem_body(pem)});
    }
}

}  // namespace

TEST_CASE("decode: an encrypted PKCS#8 PEM key", "[decode]") {
    const TestKey key = key_of(KeyKind::ec);
    const std::string pem = key.encrypted_pkcs8_pem("pkcs8 pass");
    REQUIRE(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));

    check_password_protected_key(pem, key, "pkcs8 pass");
}

TEST_CASE("decode: traditional RSA and EC PEM keys", "[decode]") {
    const auto [kind, label] = GENERATE(table<KeyKind, std::string>({{KeyKind::rsa, "RSA PRIVATE KEY"},
                                                                     {KeyKind::ec, "EC PRIVATE KEY"}}));
    INFO(label);
    const TestKey key = key_of(kind);
    const std::string pem = key.traditional_pem();
    REQUIRE(pem.starts_with("-----BEGIN " + label + "-----"));

    const auto result = decode(pem);
    REQUIRE(result.keys.size() == 1);
    check_readable_key(result.keys[0], key, SourceFormat::pem);
    CHECK(result.certificates.empty());
    CHECK(reasons(result).empty());
    check_no_key_material(result, key, {pem_body(pem)});
}

TEST_CASE("decode: a traditional encrypted (Proc-Type) PEM key", "[decode]") {
    const KeyKind kind = GENERATE(KeyKind::rsa, KeyKind::ec);
    INFO("key kind " << static_cast<int>(kind));
    const TestKey key = key_of(kind);
    const std::string pem = key.traditional_encrypted_pem("legacy pass");
    REQUIRE(pem.find("Proc-Type: 4,ENCRYPTED") != std::string::npos);

    check_password_protected_key(pem, key, "legacy pass");
}

TEST_CASE("decode: a DER PKCS#8 key file", "[decode]") {
    const KeyKind kind = GENERATE(KeyKind::ec, KeyKind::rsa);
    INFO("key kind " << static_cast<int>(kind));
    const TestKey key = key_of(kind);
    const auto result = decode(key.pkcs8_der());
    REQUIRE(result.keys.size() == 1);
    check_readable_key(result.keys[0], key, SourceFormat::der);
    CHECK(result.certificates.empty());
    CHECK(reasons(result).empty());
    check_no_key_material(result, key, {});
}

// Key files shorter than 128 bytes have a short-form outer length: Ed25519 (48 bytes) and Ed448 (73 bytes)
// PKCS#8, and a P-256 ECPrivateKey (121 bytes).
TEST_CASE("decode: a short DER key file (Ed25519, Ed448, traditional P-256)", "[decode]") {
    const auto [name, kind, traditional] = GENERATE(table<std::string, KeyKind, bool>(
        {{"Ed25519 PKCS#8", KeyKind::ed25519, false},
         {"Ed448 PKCS#8", KeyKind::ed448, false},
         {"P-256 ECPrivateKey", KeyKind::ec, true}}));
    INFO(name);
    const TestKey key = key_of(kind);
    const Bytes der = traditional ? base64_decode(pem_body(key.traditional_pem())).value() : key.pkcs8_der();
    REQUIRE(der.size() < 128);
    const auto result = decode(der);
    REQUIRE(result.keys.size() == 1);
    check_readable_key(result.keys[0], key, SourceFormat::der);
    CHECK(reasons(result).empty());
}

// ---- DER ------------------------------------------------------------------------------------------------

TEST_CASE("decode: a DER certificate", "[decode]") {
    const auto result = decode(chain().leaf.der);
    check_certificates(result, {chain().leaf}, SourceFormat::der);
    CHECK(reasons(result).empty());
}

TEST_CASE("decode: a DER certificate padded by a tool", "[decode]") {
    const std::string padding = GENERATE(std::string("\n"), std::string("\r\n"), std::string(2, '\0'));
    Bytes content = chain().leaf.der;
    content.insert(content.end(), padding.begin(), padding.end());
    const auto result = decode(content);
    check_certificates(result, {chain().leaf}, SourceFormat::der);
    CHECK(reasons(result).empty());
}

TEST_CASE("decode: a DER PKCS#7 file yields all its certificates in order", "[decode]") {
    const auto result = decode(pkcs7_der(chain_certs()));
    check_certificates(result, chain_certs(), SourceFormat::pkcs7);
    CHECK(reasons(result).empty());
}

TEST_CASE("decode: a truncated DER certificate is an error", "[decode]") {
    const Bytes& der = chain().leaf.der;
    const auto result = decode(Bytes(der.begin(), der.begin() + static_cast<std::ptrdiff_t>(der.size() / 2)));
    CHECK(result.certificates.empty());
    CHECK(reasons(result) == std::vector<std::string>{"truncated"});
}

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

// Base64 wrapped in 76-column lines, as `base64` and many Helm charts write it.
std::string wrapped_base64(const std::string& text, const std::string& indent) {
    const std::string encoded = base64(text);
    std::string out;
    for (std::size_t i = 0; i < encoded.size(); i += 76) out += indent + encoded.substr(i, 76) + "\n";
    return out;
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

// ---- bad input ------------------------------------------------------------------------------------------

TEST_CASE("decode: an empty file yields nothing", "[decode]") {
    CHECK(nothing_found(decode(Bytes{})));
}

TEST_CASE("decode: random bytes yield no certificates and do not crash", "[decode]") {
    std::mt19937 rng(20240611);
    const std::string base64_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (const std::size_t size : {1, 2, 7, 8, 9, 64, 130, 1000, 4096, 65536}) {
        for (int round = 0; round < 3; ++round) {
            INFO("size " << size << ", round " << round);
            Bytes garbage = random_bytes(rng, size);
            CHECK(decode(garbage).certificates.empty());
            // The same bytes dressed as a long-form DER SEQUENCE, to get past the first format checks.
            if (size >= 4) {
                garbage[0] = 0x30;
                garbage[1] = 0x82;
                const auto result = decode(garbage);
                CHECK(result.certificates.empty());
                CHECK(result.keys.empty());
            }
            // And as a base64 run that starts like DER, so the embedded decoder decodes it.
            std::string run = "value: MII";
            for (const auto byte : garbage) run.push_back(base64_alphabet[byte % 64]);
            const auto result = decode(run + "\n");
            CHECK(result.certificates.empty());
            CHECK(result.keys.empty());
        }
    }
}

TEST_CASE("decode: text starting with '0' is not mistaken for DER", "[decode]") {
    const std::string text = GENERATE(std::string("0\n"), std::string("0 errors, 0 warnings\n"),
                                      std::string("0123456789abcdef0123456789abcdef\n"),
                                      std::string("0,1,2\n3,4,5\n"), std::string("0\x82 bytes of latin-1 text\n"));
    CHECK(nothing_found(decode(text)));
}

TEST_CASE("decode: PEM with a corrupt base64 body", "[decode]") {
    std::string pem = chain().leaf.pem();
    const std::size_t middle = pem.size() / 2;
    REQUIRE(pem[middle] != '\n');
    pem[middle] = '!';
    const auto result = decode(pem);
    CHECK(result.certificates.empty());
    CHECK(reasons(result) == std::vector<std::string>{"corrupt_pem"});
}

TEST_CASE("decode: PEM cut in the middle keeps the blocks before the cut", "[decode]") {
    const std::string second = chain().intermediate.pem();
    const auto result = decode(chain().leaf.pem() + second.substr(0, second.size() / 2));
    check_certificates(result, {chain().leaf}, SourceFormat::pem);
    CHECK(reasons(result) == std::vector<std::string>{"truncated_pem"});
}

TEST_CASE("decode: a CERTIFICATE block holding something else", "[decode]") {
    std::mt19937 rng(7);
    const std::string pem =
        "-----BEGIN CERTIFICATE-----\n" + base64(random_bytes(rng, 300)) + "\n-----END CERTIFICATE-----\n";
    const auto result = decode(pem);
    CHECK(result.certificates.empty());
    CHECK(reasons(result) == std::vector<std::string>{"corrupt_certificate"});
}

TEST_CASE("decode: every prefix of a PEM bundle", "[decode]") {
    const std::string bundle = bundle_pem();
    const auto all = sha256s(chain_certs());
    for (const std::size_t length : prefix_lengths(bundle.size(), 3)) {
        INFO("prefix length " << length << " of " << bundle.size());
        const std::string prefix = bundle.substr(0, length);
        const auto complete = static_cast<std::ptrdiff_t>(occurrences(prefix, "-----END CERTIFICATE-----"));
        const auto result = decode(prefix);
        CHECK(sha256s(result) == std::vector<std::string>(all.begin(), all.begin() + complete));
        CHECK(result.events.size() <= 1);
        for (const auto& reason : reasons(result)) CHECK(reason == "truncated_pem");
    }
}

namespace {
// A proper prefix of a one-object DER file is either too short to look at or a "truncated" error.
void check_der_prefixes(const Bytes& content) {
    for (const std::size_t length : prefix_lengths(content.size(), 1)) {
        INFO("prefix length " << length << " of " << content.size());
        const auto result = decode(Bytes(content.begin(), content.begin() + static_cast<std::ptrdiff_t>(length)));
        CHECK(result.certificates.empty());
        CHECK(result.keys.empty());
        CHECK(reasons(result) == (length >= 8 ? std::vector<std::string>{"truncated"} : std::vector<std::string>{}));
    }
}
}  // namespace

TEST_CASE("decode: every prefix of a DER certificate", "[decode]") { check_der_prefixes(chain().leaf.der); }

TEST_CASE("decode: every prefix of a PKCS#12 file", "[decode]") { check_der_prefixes(leaf_pkcs12("")); }

namespace {
// Flips one to three random bytes per round; whatever comes out must be well formed (decode checks that).
template <typename Check>
void flip_bytes(const Bytes& original, std::uint32_t seed, int rounds, Check&& check) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<std::size_t> position(0, original.size() - 1);
    std::uniform_int_distribution<int> mask(1, 255);
    std::uniform_int_distribution<int> flips(1, 3);
    for (int round = 0; round < rounds; ++round) {
        Bytes damaged = original;
        for (int i = flips(rng); i > 0; --i) damaged[position(rng)] ^= static_cast<std::uint8_t>(mask(rng));
        INFO("round " << round);
        check(decode(damaged, {"", "changeit"}));
    }
}
}  // namespace

TEST_CASE("decode: random byte flips in a PKCS#12 file", "[decode]") {
    const auto genuine = sha256s(chain_certs());
    // The MAC covers every certificate, so a damaged file yields the genuine certificates or none.
    flip_bytes(leaf_pkcs12("changeit"), 1234, 300, [&](const FileObservations& result) {
        for (const auto& sha256 : sha256s(result))
            CHECK(std::find(genuine.begin(), genuine.end(), sha256) != genuine.end());
    });
}

TEST_CASE("decode: random byte flips in a PKCS#7 file", "[decode]") {
    flip_bytes(pkcs7_der(chain_certs()), 5678, 300, [](const FileObservations& result) {
        CHECK(result.certificates.size() <= 3);
    });
}

// ---- the model and the cache ----------------------------------------------------------------------------

TEST_CASE("decode: observations carry whether a certificate is self-signed", "[decode]") {
    CertSpec spec;
    spec.subject_cn = "self-issued.example";
    spec.issuer_cn_override = "self-issued.example";
    const TestCert self_issued = TestCert::make(spec, key_of(KeyKind::ec), nullptr, &chain().root_key);

    const auto result = decode(bundle_pem() + self_issued.pem());
    REQUIRE(result.certificates.size() == 4);
    const CertInfo& leaf = *result.certificates[0].cert;
    const CertInfo& root = *result.certificates[2].cert;
    const CertInfo& other = *result.certificates[3].cert;
    CHECK(root.self_issued);
    CHECK(root.self_signed);
    CHECK_FALSE(leaf.self_issued);
    CHECK_FALSE(leaf.self_signed);
    CHECK(other.self_issued);  // issuer name equals subject name, but another key signed it
    CHECK_FALSE(other.self_signed);
}

TEST_CASE("decode: one cache shares a certificate's model between files", "[decode]") {
    CertificateCache cache;
    const auto bundle = decode(bundle_pem(), {""}, &cache, "/etc/ssl/bundle.pem");
    const auto single = decode(chain().root.der, {""}, &cache, "/etc/ssl/certs/root.der");
    REQUIRE(bundle.certificates.size() == 3);
    REQUIRE(single.certificates.size() == 1);
    CHECK(bundle.certificates[2].cert == single.certificates[0].cert);
    CHECK(bundle.certificates[2].der == single.certificates[0].der);
    CHECK(bundle.certificates[2].location.path == "/etc/ssl/bundle.pem");
    CHECK(single.certificates[0].location.path == "/etc/ssl/certs/root.der");
    CHECK(single.certificates[0].location.format == SourceFormat::der);

    const auto uncached = decode(chain().root.der);
    REQUIRE(uncached.certificates.size() == 1);
    CHECK(uncached.certificates[0].cert != single.certificates[0].cert);
}

// ---- trust anchors --------------------------------------------------------------------------------------

namespace {

// Whether each certificate found, in order, is held as a trust anchor.
std::vector<bool> all_anchors(std::size_t count) { return std::vector<bool>(count, true); }
std::vector<bool> no_anchors(std::size_t count) { return std::vector<bool>(count, false); }

// Three unrelated self-signed root CAs, as a system bundle lists them.
const std::vector<TestCert>& system_roots() {
    static const std::vector<TestCert> roots = [] {
        std::vector<TestCert> out;
        for (const int n : {1, 2, 3}) {
            CertSpec spec{.subject_cn = "System Root " + std::to_string(n), .subject_o = "certfleet tests",
                          .not_after_days = 3650, .is_ca = true, .key_usage = "critical,keyCertSign,cRLSign"};
            out.push_back(TestCert::make(spec, TestKey::shared({}, n)));
        }
        return out;
    }();
    return roots;
}

std::string pem_of(const std::vector<TestCert>& certs) {
    std::string out;
    for (const auto& cert : certs) out += cert.pem();
    return out;
}

// A server certificate that signs itself, as `openssl req -x509` makes one: not a CA.
const TestCert& self_signed_leaf() {
    static const TestCert shared = [] {
        CertSpec spec{.subject_cn = "pinned.example", .dns_names = {"pinned.example"},
                      .key_usage = "critical,digitalSignature", .ext_key_usage = "serverAuth"};
        return TestCert::make(spec, key_of(KeyKind::ec));
    }();
    return shared;
}

FileObservations decode_at(const std::string& path, const std::string& text) {
    return decode(text, {""}, nullptr, path);
}

FileObservations decode_at(const std::string& path, const Bytes& content) {
    return decode(content, {""}, nullptr, path);
}

}  // namespace

TEST_CASE("trust anchors: a bundle of unrelated roots is a store wherever it is", "[decode][trust]") {
    const std::string path = GENERATE(std::string("/etc/ssl/certs/ca-certificates.crt"), std::string("/srv/input"),
                                      std::string("/opt/app/roots.pem"));
    INFO(path);
    const auto result = decode_at(path, pem_of(system_roots()));
    CHECK(sha256s(result) == sha256s(system_roots()));
    CHECK(trust_anchor_flags(result) == all_anchors(3));
}

TEST_CASE("trust anchors: a chain file a service presents is not a store", "[decode][trust]") {
    const auto [name, certs] = GENERATE(table<std::string, std::vector<TestCert>>(
        {{"leaf and intermediate", {chain().leaf, chain().intermediate}},
         {"leaf, intermediate and root", {chain().leaf, chain().intermediate, chain().root}},
         {"intermediate and root", {chain().intermediate, chain().root}}}));
    INFO(name);
    for (const auto& path : {"/srv/app/fullchain.pem", "/srv/app/chain.p7b"}) {
        const bool pkcs7 = std::string_view(path).ends_with(".p7b");
        const auto result = pkcs7 ? decode_at(path, pkcs7_der(certs)) : decode_at(path, pem_of(certs));
        CHECK(sha256s(result) == sha256s(certs));
        CHECK(trust_anchor_flags(result) == no_anchors(certs.size()));
    }
}

TEST_CASE("trust anchors: a self-signed leaf is an anchor only where it is pinned", "[decode][trust]") {
    SECTION("alone outside any trust location it is a service's certificate") {
        CHECK(trust_anchor_flags(decode_at("/srv/app/server.crt", self_signed_leaf().pem())) == no_anchors(1));
        CHECK(trust_anchor_flags(decode_at("/srv/app/server.der", self_signed_leaf().der)) == no_anchors(1));
    }
    SECTION("copied into a trust location, as PEM or DER") {
        CHECK(trust_anchor_flags(decode_at("/etc/ssl/certs/pinned.pem", self_signed_leaf().pem())) == all_anchors(1));
        CHECK(trust_anchor_flags(decode_at("/etc/pki/ca-trust/source/anchors/pinned.der", self_signed_leaf().der)) ==
              all_anchors(1));
    }
    SECTION("under an OpenSSL hashed name") {
        CHECK(trust_anchor_flags(decode_at("/srv/hashed/9d6523ce.0", self_signed_leaf().pem())) == all_anchors(1));
    }
    SECTION("in a truststore bundle next to a CA") {
        const auto result = decode_at("/srv/app/truststore.pem", chain().root.pem() + self_signed_leaf().pem());
        CHECK(sha256s(result) == sha256s({chain().root, self_signed_leaf()}));
        CHECK(trust_anchor_flags(result) == all_anchors(2));
    }
}

TEST_CASE("trust anchors: trust locations, store names and hashed names", "[decode][trust]") {
    const auto [path, anchored] = GENERATE(table<std::string, bool>({
        {"/etc/ssl/certs/Example_Root.pem", true},
        {"/usr/share/ca-certificates/mozilla/Example_Root.crt", true},
        {"/usr/local/share/ca-certificates/corp-root.crt", true},
        {"/etc/pki/ca-trust/source/anchors/corp-root.pem", true},
        {"/etc/pki/tls/certs/corp-root.pem", true},
        {"/etc/ca-certificates/extra/corp-root.pem", true},
        {"/var/lib/image/rootfs/etc/ssl/certs/corp-root.pem", true},
        {"/opt/app/config/TrustStore/root.pem", true},
        {"/opt/app/trust-store.pem", true},
        {"/opt/java/lib/security/cacerts.pem", true},
        {"/opt/app/tls-ca-bundle.pem", true},
        {"/srv/hashed/9d6523ce.0", true},
        {"/srv/hashed/9D6523CE.12", true},
        {"/etc/ssl/private/root.pem", false},
        {"/etc/ssl/certs.bak", false},
        {"/srv/hashed/9d6523ce.pem", false},
        {"/srv/hashed/9d6523c.0", false},
        {"/srv/hashed/9d6523cex.0", false},
        {"/srv/hashed/9d6523ce.", false},
        {"/srv/app/server.0", false},
    }));
    INFO(path);
    CHECK(trust_anchor_flags(decode_at(path, chain().root.pem())) == std::vector<bool>{anchored});
}

TEST_CASE("trust anchors: a private key in the file makes it no store", "[decode][trust]") {
    const std::string path = GENERATE(std::string("/srv/input"), std::string("/etc/ssl/certs/bundle.pem"),
                                      std::string("/srv/app/truststore.pem"));
    INFO(path);
    const auto result = decode_at(path, pem_of(system_roots()) + key_of(KeyKind::ec).pkcs8_pem());
    CHECK(result.keys.size() == 1);
    CHECK(trust_anchor_flags(result) == no_anchors(3));
}

TEST_CASE("trust anchors: a PKCS#7 bundle of roots is a store", "[decode][trust]") {
    const auto result = decode_at("/srv/app/roots.p7b", pkcs7_der(system_roots()));
    CHECK(formats(result) == std::vector<SourceFormat>(3, SourceFormat::pkcs7));
    CHECK(trust_anchor_flags(result) == all_anchors(3));
}

TEST_CASE("trust anchors: PKCS#12 is a truststore exactly when it holds no private key", "[decode][trust]") {
    SECTION("without a key every certificate is an anchor, a pinned self-signed leaf included") {
        const auto result =
            decode_at("/srv/app/client.p12", pkcs12_der(nullptr, nullptr, {chain().root, self_signed_leaf()}, ""));
        CHECK(sha256_set(result) == std::set<std::string>{chain().root.sha256(), self_signed_leaf().sha256()});
        CHECK(trust_anchor_flags(result) == all_anchors(2));
    }
    SECTION("with a key the certificates are its chain, even under a truststore name") {
        const auto result = decode_at("/srv/app/truststore.p12", leaf_pkcs12(""));
        CHECK(result.keys.size() == 1);
        CHECK(trust_anchor_flags(result) == no_anchors(3));
    }
}

TEST_CASE("trust anchors: a keystore's own structure decides, not its location", "[decode][trust]") {
    const Bytes jks = KeystoreWriter(KeystoreType::jks)
                          .add_trusted_cert("pinned", self_signed_leaf())
                          .add_private_key("server", {chain().leaf, chain().intermediate})
                          .build(u"changeit");
    const auto result = decode(jks, {"", "changeit"}, nullptr, "/etc/ssl/certs/java/cacerts");
    CHECK(sha256s(result) == sha256s({self_signed_leaf(), chain().leaf, chain().intermediate}));
    CHECK(trust_anchor_flags(result) == std::vector<bool>{true, false, false});
}

TEST_CASE("trust anchors: kubeconfig CA data is an anchor, the client certificate is not", "[decode][trust]") {
    const std::string yaml = "apiVersion: v1\n"
                             "kind: Config\n"
                             "clusters:\n"
                             "- cluster:\n"
                             "    certificate-authority-data: " + base64(chain().root.pem()) + "\n"
                             "    server: https://10.0.0.1:6443\n"
                             "users:\n"
                             "- name: admin\n"
                             "  user:\n"
                             "    client-certificate-data: " + base64(self_signed_leaf().pem()) + "\n";
    const auto result = decode_at("/home/admin/.kube/config", yaml);
    CHECK(sha256s(result) == sha256s({chain().root, self_signed_leaf()}));
    CHECK(trust_anchor_flags(result) == std::vector<bool>{true, false});
}

TEST_CASE("trust anchors: a Secret's ca.crt holds anchors, its tls.crt does not", "[decode][trust]") {
    const std::string yaml = "apiVersion: v1\n"
                             "kind: Secret\n"
                             "type: kubernetes.io/tls\n"
                             "data:\n"
                             "  tls.crt: " + base64(chain().leaf.pem() + chain().intermediate.pem()) + "\n"
                             "  ca.crt: " + base64(chain().root.pem()) + "\n"
                             "  tls.key: " + base64(chain().leaf_key.pkcs8_pem()) + "\n";
    const auto result = decode(yaml);
    CHECK(sha256s(result) == sha256s(chain_certs()));
    CHECK(trust_anchor_flags(result) == std::vector<bool>{false, false, true});
}

TEST_CASE("trust anchors: PEM in a ConfigMap is an anchor under a CA key", "[decode][trust]") {
    const std::string yaml = "apiVersion: v1\n"
                             "kind: ConfigMap\n"
                             "metadata:\n"
                             "  name: kube-root-ca.crt\n"
                             "data:\n"
                             "  ca.crt: |\n" + indented(pem_of(system_roots()), "    ") +
                             "  ca-bundle.crt: |-\n" + indented(chain().root.pem(), "    ") +
                             "  server.crt: |\n" + indented(self_signed_leaf().pem(), "    ");
    const auto result = decode(yaml);
    CHECK(formats(result) == std::vector<SourceFormat>(5, SourceFormat::k8s));
    CHECK(trust_anchor_flags(result) == std::vector<bool>{true, true, true, true, false});
}

TEST_CASE("trust anchors: caBundle values in Helm values and JSON", "[decode][trust]") {
    SECTION("base64 wrapped in a YAML block scalar, next to a client certificate") {
        const std::string yaml = "webhook:\n"
                                 "  caBundle: |\n" + wrapped_base64(chain().root.pem(), "    ") +
                                 "  clientCert: |\n" + wrapped_base64(self_signed_leaf().pem(), "    ");
        const auto result = decode(yaml);
        CHECK(sha256s(result) == sha256s({chain().root, self_signed_leaf()}));
        CHECK(trust_anchor_flags(result) == std::vector<bool>{true, false});
    }
    SECTION("PEM with \\n escapes in JSON, two certificates under one key") {
        const std::string json = "{\"caBundle\": \"" + json_escaped(pem_of({chain().intermediate, chain().root})) +
                                 "\", \"cert\": \"" + json_escaped(self_signed_leaf().pem()) + "\"}";
        const auto result = decode(json);
        CHECK(sha256s(result) == sha256s({chain().intermediate, chain().root, self_signed_leaf()}));
        CHECK(trust_anchor_flags(result) == std::vector<bool>{true, true, false});
    }
}
