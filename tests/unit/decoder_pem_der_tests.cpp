// Content decoders on PEM (certificates and keys, in the forms tools write), private key files and DER.
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "core/openssl_handles.hpp"
#include "tests/unit/decoder_test_support.hpp"

using namespace certfleet;
using namespace certfleet::scanner;
using namespace certfleet::testing;
using namespace certfleet::testing::decoding;

namespace {

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

std::string with_crlf(const std::string& text) { return replace_all(text, "\n", "\r\n"); }

void check_encrypted_key(const KeySighting& key, SourceFormat format) {
    CHECK(key.state == KeyState::encrypted);
    CHECK(key.format == format);
    CHECK_FALSE(key.spki_sha256.has_value());
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
