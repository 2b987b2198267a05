// Algorithms named and judged: every post-quantum OID certfleet knows by its name, the classical strength of every
// classical key size (NIST SP 800-57), quantum vulnerability, NIST categories, the self-signature of certificates
// OpenSSL 3.0 cannot verify, and lifetimes counted as the Baseline Requirements count them.
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <openssl/pem.h>

#include "core/algorithms.hpp"
#include "core/certificate.hpp"
#include "core/openssl_handles.hpp"
#include "testkit/cert_factory.hpp"

using namespace certfleet;
using namespace certfleet::testing;

namespace {

// The DER of a certificate in tests/data/pqc/.
Bytes pqc_certificate(const std::string& name) {
    std::ifstream in(std::string(CERTFLEET_TEST_DATA_DIR) + "/pqc/" + name + ".crt");
    const std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    REQUIRE(!pem.empty());
    ossl::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    ossl::X509Ptr x509(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    REQUIRE(x509);
    unsigned char* der = nullptr;
    const int length = i2d_X509(x509.get(), &der);
    REQUIRE(length > 0);
    Bytes out(der, der + length);
    OPENSSL_free(der);
    return out;
}

// The same certificate with every ML-DSA-44 algorithm identifier (signature and key) rewritten to another OID of
// the same encoded length under 2.16.840.1.101.3.4: `arc` 3 (sigAlgs) or 4 (kems), final arc `last`. Its
// signature no longer means anything; its names do.
Bytes with_algorithm(Bytes der, std::uint8_t arc, std::uint8_t last) {
    const Bytes ml_dsa_44{0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x11};
    int rewritten = 0;
    for (auto at = std::search(der.begin(), der.end(), ml_dsa_44.begin(), ml_dsa_44.end()); at != der.end();
         at = std::search(at + 1, der.end(), ml_dsa_44.begin(), ml_dsa_44.end())) {
        at[9] = arc;
        at[10] = last;
        ++rewritten;
    }
    REQUIRE(rewritten == 3);  // the signature's, inside and outside the signed part, and the key's
    return der;
}

}  // namespace

TEST_CASE("algorithms: every post-quantum OID certfleet knows has its name", "[model][pqc]") {
    const std::vector<std::pair<std::string, std::string>> named{
        {"2.16.840.1.101.3.4.3.17", "ML-DSA-44"},          {"2.16.840.1.101.3.4.3.18", "ML-DSA-65"},
        {"2.16.840.1.101.3.4.3.19", "ML-DSA-87"},          {"2.16.840.1.101.3.4.3.20", "SLH-DSA-SHA2-128s"},
        {"2.16.840.1.101.3.4.3.21", "SLH-DSA-SHA2-128f"},  {"2.16.840.1.101.3.4.3.22", "SLH-DSA-SHA2-192s"},
        {"2.16.840.1.101.3.4.3.23", "SLH-DSA-SHA2-192f"},  {"2.16.840.1.101.3.4.3.24", "SLH-DSA-SHA2-256s"},
        {"2.16.840.1.101.3.4.3.25", "SLH-DSA-SHA2-256f"},  {"2.16.840.1.101.3.4.3.26", "SLH-DSA-SHAKE-128s"},
        {"2.16.840.1.101.3.4.3.27", "SLH-DSA-SHAKE-128f"}, {"2.16.840.1.101.3.4.3.28", "SLH-DSA-SHAKE-192s"},
        {"2.16.840.1.101.3.4.3.29", "SLH-DSA-SHAKE-192f"}, {"2.16.840.1.101.3.4.3.30", "SLH-DSA-SHAKE-256s"},
        {"2.16.840.1.101.3.4.3.31", "SLH-DSA-SHAKE-256f"}, {"2.16.840.1.101.3.4.4.1", "ML-KEM-512"},
        {"2.16.840.1.101.3.4.4.2", "ML-KEM-768"},          {"2.16.840.1.101.3.4.4.3", "ML-KEM-1024"},
        {"1.3.6.1.5.5.7.6.37", "MLDSA44-RSA2048-PSS-SHA256"},
        {"1.3.6.1.5.5.7.6.45", "MLDSA65-ECDSA-P256-SHA512"},
        {"1.3.6.1.5.5.7.6.54", "MLDSA87-ECDSA-P521-SHA512"},
        {"2.16.840.1.114027.80.9.1.0", "MLDSA44-RSA2048-PSS-SHA256"},
        {"2.16.840.1.114027.80.9.1.14", "MLDSA87-Ed448-SHAKE256"},
    };
    for (const auto& [oid, name] : named) {
        INFO(oid);
        CHECK(post_quantum_name(oid) == name);
        // A certificate an older certfleet stored with the OID as its key type is judged as one stored by name.
        const auto by_oid = judge_key(oid, "", 0), by_name = judge_key(name, "", 0);
        CHECK(by_oid.name == name);
        CHECK(by_name.name == name);
        CHECK(by_oid.quantum_vulnerable == false);
        CHECK(by_oid.nist_quantum_level == by_name.nist_quantum_level);
        CHECK(by_oid.nist_quantum_level >= 1);
        CHECK_FALSE(by_oid.verifiable_here);
    }
    for (const char* other : {"1.3.6.1.5.5.7.6.36", "1.3.6.1.5.5.7.6.55", "2.16.840.1.101.3.4.3.32", "1.2.3.4",
                              "2.16.840.1.114027.80.9.1.18", "1.3.6.1.5.5.7.6.1x"}) {
        INFO(other);
        CHECK_FALSE(post_quantum_name(other));
        const auto unknown = judge_key(other, "", 0);
        CHECK(unknown.name == other);  // an unknown OID stays the OID
        CHECK_FALSE(unknown.quantum_vulnerable.has_value());
        CHECK(unknown.family == AlgorithmFamily::unknown);
    }
}

TEST_CASE("algorithms: NIST categories and classical strengths", "[model][pqc]") {
    struct Expected {
        std::string key_type, curve;
        int bits;
        std::string name;
        bool vulnerable;
        int classical, category;
    };
    const std::vector<Expected> expected{
        {"RSA", "", 1024, "RSA-1024", true, 80, 0},         {"RSA", "", 2048, "RSA-2048", true, 112, 0},
        {"RSA", "", 3072, "RSA-3072", true, 128, 0},        {"RSA", "", 4096, "RSA-4096", true, 128, 0},
        {"RSA", "", 7680, "RSA-7680", true, 192, 0},        {"RSA", "", 15360, "RSA-15360", true, 256, 0},
        {"RSA", "", 512, "RSA-512", true, 57, 0},           {"RSA-PSS", "", 2048, "RSA-PSS-2048", true, 112, 0},
        {"DSA", "", 2048, "DSA-2048", true, 112, 0},        {"DH", "", 2048, "DH-2048", true, 112, 0},
        {"EC", "prime256v1", 256, "ECDSA P-256", true, 128, 0},
        {"EC", "secp384r1", 384, "ECDSA P-384", true, 192, 0},
        {"EC", "secp521r1", 521, "ECDSA P-521", true, 256, 0},
        {"EC", "secp224r1", 224, "ECDSA P-224", true, 112, 0},
        {"EC", "brainpoolP256r1", 256, "ECDSA brainpoolP256r1", true, 128, 0},
        {"Ed25519", "", 253, "Ed25519", true, 128, 0},      {"Ed448", "", 456, "Ed448", true, 224, 0},
        {"ML-DSA-44", "", 0, "ML-DSA-44", false, 128, 2},   {"ML-DSA-65", "", 0, "ML-DSA-65", false, 192, 3},
        {"ML-DSA-87", "", 0, "ML-DSA-87", false, 256, 5},   {"SLH-DSA-SHA2-128s", "", 0, "SLH-DSA-SHA2-128s", false, 128, 1},
        {"SLH-DSA-SHAKE-192f", "", 0, "SLH-DSA-SHAKE-192f", false, 192, 3},
        {"SLH-DSA-SHA2-256f", "", 0, "SLH-DSA-SHA2-256f", false, 256, 5},
        {"ML-KEM-512", "", 0, "ML-KEM-512", false, 128, 1}, {"ML-KEM-768", "", 0, "ML-KEM-768", false, 192, 3},
        {"ML-KEM-1024", "", 0, "ML-KEM-1024", false, 256, 5},
        {"MLDSA65-ECDSA-P256-SHA512", "", 0, "MLDSA65-ECDSA-P256-SHA512", false, 192, 3},
    };
    for (const auto& e : expected) {
        INFO(e.key_type << " " << e.curve << " " << e.bits);
        const auto judged = judge_key(e.key_type, e.curve, e.bits);
        CHECK(judged.name == e.name);
        CHECK(judged.quantum_vulnerable == e.vulnerable);
        CHECK(judged.classical_bits == e.classical);
        CHECK(judged.nist_quantum_level == e.category);
    }
}

TEST_CASE("algorithms: an ML-DSA certificate is named, not quantum-vulnerable, and its self-signature unknown",
          "[model][pqc]") {
    const std::vector<std::tuple<std::string, int, int>> sets{{"ML-DSA-44", 1312, 2}, {"ML-DSA-65", 1952, 3},
                                                              {"ML-DSA-87", 2592, 5}};
    for (const auto& [name, key_bytes, category] : sets) {
        INFO(name);
        const CertInfo info = describe_certificate(pqc_certificate(name));
        CHECK(info.key_type == name);
        CHECK(info.signature_algorithm == name);
        CHECK(info.key_bits == key_bytes * 8);
        CHECK(info.subject == "CN=LAMPS WG,O=IETF");
        CHECK(info.self_issued);
        CHECK_FALSE(info.self_signed);
        CHECK(self_signature(info) == SelfSignature::not_verifiable);
        const auto judged = judge_key(info);
        CHECK(judged.family == AlgorithmFamily::ml_dsa);
        CHECK(judged.quantum_vulnerable == false);
        CHECK(judged.nist_quantum_level == category);
    }
}

TEST_CASE("algorithms: SLH-DSA and ML-KEM keys rewritten into a certificate are named by their OIDs", "[model][pqc]") {
    const Bytes ml_dsa = pqc_certificate("ML-DSA-44");
    const CertInfo slh_dsa = describe_certificate(with_algorithm(ml_dsa, 0x03, 31));
    CHECK(slh_dsa.key_type == "SLH-DSA-SHAKE-256f");
    CHECK(slh_dsa.signature_algorithm == "SLH-DSA-SHAKE-256f");
    CHECK(judge_key(slh_dsa).nist_quantum_level == 5);
    CHECK(self_signature(slh_dsa) == SelfSignature::not_verifiable);
    const CertInfo ml_kem = describe_certificate(with_algorithm(ml_dsa, 0x04, 2));
    CHECK(ml_kem.key_type == "ML-KEM-768");
    CHECK(judge_key(ml_kem).family == AlgorithmFamily::ml_kem);
    const CertInfo unknown = describe_certificate(with_algorithm(ml_dsa, 0x03, 99));
    CHECK(unknown.key_type == "2.16.840.1.101.3.4.3.99");
    CHECK(self_signature(unknown) == SelfSignature::not_verifiable);
}

TEST_CASE("algorithms: classical certificates are judged vulnerable, their self-signature checked", "[model][pqc]") {
    const TestKey rsa = TestKey::shared({.kind = KeyKind::rsa, .bits = 2048}), ec = TestKey::shared({}, 1);
    const CertInfo self_signed = describe_certificate(TestCert::make({.subject_cn = "rsa.test"}, rsa).der);
    CHECK(judge_key(self_signed).name == "RSA-2048");
    CHECK(judge_key(self_signed).quantum_vulnerable == true);
    CHECK(self_signature(self_signed) == SelfSignature::yes);
    // Self-issued but signed by another key: a checkable signature that fails is no self-signature.
    const TestCert signer = TestCert::make({.subject_cn = "rsa.test"}, ec);
    const CertInfo other_key = describe_certificate(
        TestCert::make({.subject_cn = "rsa.test", .authority_key_id = false}, rsa, &signer, &ec).der);
    CHECK(other_key.self_issued);
    CHECK(self_signature(other_key) == SelfSignature::no);
    CHECK(std::string(to_string(SelfSignature::not_verifiable)) == "not-verifiable");
}

TEST_CASE("algorithms: TLS key exchanges are judged for harvest now, decrypt later", "[model][pqc]") {
    const std::vector<std::tuple<std::string, bool, int>> exchanges{
        {"X25519", true, 128},   {"secp256r1", true, 128}, {"secp384r1", true, 192}, {"secp521r1", true, 256},
        {"X448", true, 224},     {"ffdhe2048", true, 112}, {"ffdhe3072", true, 128}, {"DH-1024", true, 80},
        {"X25519MLKEM768", false, 192}, {"SecP384r1MLKEM1024", false, 256},
    };
    for (const auto& [name, vulnerable, bits] : exchanges) {
        INFO(name);
        const auto judged = judge_key_exchange(name);
        CHECK(judged.name == name);
        CHECK(judged.quantum_vulnerable == vulnerable);
        CHECK(judged.classical_bits == bits);
    }
    CHECK(judge_key_exchange("RSA").quantum_vulnerable == true);
    CHECK_FALSE(judge_key_exchange("").quantum_vulnerable.has_value());
    CHECK_FALSE(judge_key_exchange("ffdhe").quantum_vulnerable.has_value());
}

TEST_CASE("algorithms: a lifetime counts both ends, as the Baseline Requirements do", "[model]") {
    CertInfo cert;
    cert.not_before = 1'000'000;
    cert.not_after = cert.not_before + 90 * 86400 - 1;  // 89 days, 23:59:59 apart: exactly 90 days
    CHECK(lifetime_seconds(cert) == 90 * 86400);
    CHECK(lifetime_used_percent(cert, cert.not_before - 5) == 0.0);
    CHECK(lifetime_used_percent(cert, cert.not_before + 72 * 86400) == Approx(80.0));
    CHECK(lifetime_used_percent(cert, cert.not_after + 5) == 100.0);
}
