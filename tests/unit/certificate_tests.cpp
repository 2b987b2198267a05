#include <catch2/catch.hpp>
#include <openssl/x509.h>

#include "core/certificate.hpp"
#include "core/encoding.hpp"
#include "testkit/cert_factory.hpp"

using namespace certfleet;
using namespace certfleet::testing;

namespace {
constexpr UnixTime kDay = 86400;
}

TEST_CASE("model: fingerprints, names, serial and validity of a CA-issued leaf", "[model]") {
    const auto chain = make_chain("api.example.com");
    CertSpec spec{.subject_cn = "api.example.com",
                  .subject_o = "Example Corp",
                  .dns_names = {"api.example.com", "*.api.example.com"},
                  .ip_addresses = {"10.20.0.5", "2001:db8::1"},
                  .uris = {"spiffe://example/api"},
                  .emails = {"ops@example.com"},
                  .not_before_days = -10,
                  .not_after_days = 30,
                  .key_usage = "critical,digitalSignature,keyEncipherment",
                  .ext_key_usage = "serverAuth,clientAuth,1.3.6.1.4.1.99999.1",
                  .serial = 0x1234abcd};
    const auto leaf = TestCert::make(spec, chain.leaf_key, &chain.intermediate, &chain.intermediate_key);
    const CertInfo info = describe_certificate(leaf.der);

    CHECK(info.sha256 == sha256_hex(leaf.der));
    CHECK(info.sha256.size() == 64);
    CHECK(info.spki_sha256 == chain.leaf_key.spki_sha256());
    CHECK(info.subject == "CN=api.example.com,O=Example Corp");
    CHECK(info.issuer == "CN=Test Intermediate CA,O=certfleet tests");
    CHECK(info.serial == "1234abcd");
    const UnixTime now = now_utc();
    CHECK(std::llabs(info.not_before - (now - 10 * kDay)) < 120);
    CHECK(std::llabs(info.not_after - (now + 30 * kDay)) < 120);
    CHECK(info.dns_names == std::vector<std::string>{"api.example.com", "*.api.example.com"});
    CHECK(info.ip_addresses == std::vector<std::string>{"10.20.0.5", "2001:db8::1"});
    CHECK(info.uris == std::vector<std::string>{"spiffe://example/api"});
    CHECK(info.emails == std::vector<std::string>{"ops@example.com"});
    CHECK_FALSE(info.is_ca);
    CHECK_FALSE(info.path_length);
    CHECK(info.key_usage == std::vector<std::string>{"digitalSignature", "keyEncipherment"});
    CHECK(info.ext_key_usage == std::vector<std::string>{"serverAuth", "clientAuth", "1.3.6.1.4.1.99999.1"});
    CHECK(info.subject_key_id.size() == 40);
    CHECK(info.authority_key_id == describe_certificate(chain.intermediate.der).subject_key_id);
    CHECK(info.signature_algorithm == "ecdsa-with-SHA256");
    CHECK_FALSE(info.self_issued);
    CHECK_FALSE(info.self_signed);

    const Validity v = validity_at(info, now);
    CHECK((v.days_left == 29 || v.days_left == 30));
    CHECK_FALSE(v.expired);
    CHECK_FALSE(v.not_yet_valid);
}

TEST_CASE("model: days_left counts whole days, rounding towards the past", "[model]") {
    const auto info = describe_certificate(TestCert::make({}, TestKey::shared()).der);
    CHECK(validity_at(info, info.not_after - 30 * kDay).days_left == 30);
    CHECK(validity_at(info, info.not_after - 30 * kDay + 1).days_left == 29);
    CHECK(validity_at(info, info.not_after - kDay / 2).days_left == 0);
    CHECK_FALSE(validity_at(info, info.not_after).expired);
    const Validity after = validity_at(info, info.not_after + 1);
    CHECK(after.days_left == -1);
    CHECK(after.expired);
    CHECK(validity_at(info, info.not_before - 1).not_yet_valid);
    CHECK_FALSE(validity_at(info, info.not_before).not_yet_valid);
}

TEST_CASE("model: days_left, expired and not_yet_valid are relative to the time asked", "[model]") {
    const auto key = TestKey::shared();
    const auto expired = describe_certificate(TestCert::make({.not_before_days = -400, .not_after_days = -3}, key).der);
    const auto future = describe_certificate(TestCert::make({.not_before_days = 5, .not_after_days = 50}, key).der);
    const UnixTime now = now_utc();
    const Validity e = validity_at(expired, now);
    CHECK(e.expired);
    CHECK((e.days_left == -3 || e.days_left == -4));
    const Validity f = validity_at(future, now);
    CHECK(f.not_yet_valid);
    CHECK_FALSE(f.expired);
    CHECK((f.days_left == 49 || f.days_left == 50));
    // The same certificate seen from another day: facts are derived, never stored.
    CHECK_FALSE(validity_at(expired, now - 10 * kDay).expired);
}

TEST_CASE("model: CA basic constraints with and without a path length", "[model]") {
    const auto chain = make_chain();
    const auto root = describe_certificate(chain.root.der);
    CHECK(root.is_ca);
    CHECK_FALSE(root.path_length);
    CHECK(root.key_usage == std::vector<std::string>{"keyCertSign", "cRLSign"});
    const auto intermediate = describe_certificate(chain.intermediate.der);
    CHECK(intermediate.is_ca);
    REQUIRE(intermediate.path_length);
    CHECK(*intermediate.path_length == 0);
}

TEST_CASE("model: key types and sizes", "[model]") {
    struct Case {
        KeySpec spec;
        std::string type, curve;
        int bits;
        std::string signature;
    };
    const std::vector<Case> cases{
        {{KeyKind::rsa, 2048}, "RSA", "", 2048, "sha256WithRSAEncryption"},
        {{KeyKind::rsa, 1024}, "RSA", "", 1024, "sha256WithRSAEncryption"},
        {{KeyKind::ec, 0, "prime256v1"}, "EC", "prime256v1", 256, "ecdsa-with-SHA256"},
        {{KeyKind::ec, 0, "secp384r1"}, "EC", "secp384r1", 384, "ecdsa-with-SHA256"},
        {{KeyKind::ed25519}, "Ed25519", "", 256, "ED25519"},
        {{KeyKind::ed448}, "Ed448", "", 456, "ED448"},
        {{KeyKind::dsa, 2048}, "DSA", "", 2048, "dsa_with_SHA256"},
    };
    for (const auto& c : cases) {
        INFO(c.type << " " << c.curve << " " << c.bits);
        const auto key = TestKey::shared(c.spec);
        const auto info = describe_certificate(TestCert::make({}, key).der);
        CHECK(info.key_type == c.type);
        CHECK(info.key_curve == c.curve);
        CHECK(info.key_bits == c.bits);
        CHECK(info.signature_algorithm == c.signature);
        CHECK(info.self_signed);
        CHECK(info.spki_sha256 == key.spki_sha256());
    }
}

TEST_CASE("model: weak signature algorithms are named", "[model]") {
    const auto key = TestKey::shared({KeyKind::rsa, 2048});
    CHECK(describe_certificate(TestCert::make({.digest = "SHA1"}, key).der).signature_algorithm == "sha1WithRSAEncryption");
    CHECK(describe_certificate(TestCert::make({.digest = "SHA384"}, key).der).signature_algorithm ==
          "sha384WithRSAEncryption");
}

TEST_CASE("model: self-signed needs the issuer name AND a signature that verifies with its own key", "[model]") {
    const auto key = TestKey::shared({}, 0);
    const auto other = TestKey::shared({}, 1);
    SECTION("self-signed") {
        const auto info = describe_certificate(TestCert::make({.subject_cn = "self"}, key).der);
        CHECK(info.self_issued);
        CHECK(info.self_signed);
        CHECK(info.subject == info.issuer);
    }
    SECTION("self-issued but signed by another key: not self-signed") {
        // Same subject and issuer name (a CA re-key or a forgery), but the signature is another key's.
        const auto signer = TestCert::make({.subject_cn = "self"}, other);
        const auto info = describe_certificate(TestCert::make({.subject_cn = "self"}, key, &signer, &other).der);
        CHECK(info.self_issued);
        CHECK_FALSE(info.self_signed);
    }
    SECTION("signed by its own key under another issuer name: not self-signed") {
        const auto info =
            describe_certificate(TestCert::make({.subject_cn = "leaf", .issuer_cn_override = "Some CA"}, key).der);
        CHECK_FALSE(info.self_issued);
        CHECK_FALSE(info.self_signed);
    }
    SECTION("a corrupted signature is not self-signed") {
        auto der = TestCert::make({.subject_cn = "self"}, key).der;
        der[der.size() - 5] ^= 0x01;  // inside the signature value
        const auto info = describe_certificate(der);
        CHECK(info.self_issued);
        CHECK_FALSE(info.self_signed);
    }
}

TEST_CASE("model: certificates without optional extensions", "[model]") {
    const auto key = TestKey::shared();
    const auto info = describe_certificate(
        TestCert::make({.subject_cn = "bare", .subject_key_id = false, .authority_key_id = false}, key).der);
    CHECK(info.dns_names.empty());
    CHECK(info.key_usage.empty());
    CHECK(info.ext_key_usage.empty());
    CHECK(info.subject_key_id.empty());
    CHECK(info.authority_key_id.empty());
}

TEST_CASE("model: UTF-8 names stay readable", "[model]") {
    const auto key = TestKey::shared();
    const auto info = describe_certificate(TestCert::make({.subject_cn = "bücher.example", .subject_o = "Zoë, Inc."}, key).der);
    CHECK(info.subject == "CN=bücher.example,O=Zoë\\, Inc.");
}

TEST_CASE("model: rejects what is not exactly one certificate", "[model]") {
    const auto der = TestCert::make({}, TestKey::shared()).der;
    CHECK_THROWS_AS(describe_certificate(Bytes{}), CertificateParseError);
    CHECK_THROWS_AS(describe_certificate(Bytes{0x30, 0x03, 0x02, 0x01, 0x01}), CertificateParseError);
    auto trailing = der;
    trailing.push_back(0);
    CHECK_THROWS_AS(describe_certificate(trailing), CertificateParseError);
    for (std::size_t length = 0; length < der.size(); length += 7)
        CHECK_THROWS_AS(describe_certificate(std::span(der).first(length)), CertificateParseError);
}

TEST_CASE("model: a certificate parsed elsewhere (a handshake's) is described as its DER is", "[model]") {
    const auto chain = make_chain("api.example.com");
    const auto self = TestCert::make({.subject_cn = "self"}, TestKey::shared());
    for (const auto* cert : {&chain.leaf, &chain.intermediate, &chain.root, &self}) {
        const unsigned char* cursor = cert->der.data();
        std::unique_ptr<X509, void (*)(X509*)> parsed(d2i_X509(nullptr, &cursor, static_cast<long>(cert->der.size())),
                                                      X509_free);
        REQUIRE(parsed);
        const CertInfo a = describe_certificate(cert->der), b = describe_certificate(parsed.get(), cert->der);
        const auto fields = [](const CertInfo& i) {
            return std::tie(i.sha256, i.spki_sha256, i.subject, i.issuer, i.serial, i.not_before, i.not_after,
                            i.key_type, i.key_curve, i.key_bits, i.signature_algorithm, i.dns_names, i.ip_addresses,
                            i.uris, i.emails, i.is_ca, i.path_length, i.key_usage, i.ext_key_usage, i.subject_key_id,
                            i.authority_key_id, i.self_issued, i.self_signed);
        };
        CHECK(fields(a) == fields(b));
    }
}

TEST_CASE("model: base64 decoding accepts whitespace and JSON escapes, rejects junk", "[model]") {
    CHECK(base64_decode("aGVs\nbG8=") == Bytes{'h', 'e', 'l', 'l', 'o'});
    CHECK(base64_decode("aGVs\\nbG8=") == Bytes{'h', 'e', 'l', 'l', 'o'});
    CHECK_FALSE(base64_decode("aGVs*bG8="));
    CHECK_FALSE(base64_decode("aGVsbG8=x"));
    CHECK(format_rfc3339(0) == "1970-01-01T00:00:00Z");
    CHECK(format_rfc3339(4102444800) == "2100-01-01T00:00:00Z");
}
