#include <catch2/catch.hpp>

#include "core/issuance.hpp"
#include "tests/support/cert_factory.hpp"

using namespace certfleet;
using namespace certfleet::testing;

TEST_CASE("issuance: a signature decides who issued a certificate", "[issuance]") {
    const auto chain = make_chain("issued.example");
    IssuanceChecker checker;
    CHECK(checker.issued(chain.leaf.der, "intermediate", chain.intermediate.der));
    CHECK(checker.issued(chain.intermediate.der, "root", chain.root.der));
    CHECK_FALSE(checker.issued(chain.leaf.der, "root", chain.root.der));
    CHECK_FALSE(checker.issued(chain.intermediate.der, "intermediate", chain.intermediate.der));

    // One flipped bit in the signature and it is no longer the intermediate's.
    Bytes forged = chain.leaf.der;
    forged[forged.size() - 5] ^= 0x01;
    CHECK_FALSE(checker.issued(forged, "intermediate", chain.intermediate.der));
    CHECK_FALSE(checker.issued(Bytes{0x30, 0x03, 0x02, 0x01, 0x01}, "intermediate", chain.intermediate.der));
    CHECK_FALSE(checker.issued(chain.leaf.der, "garbage", Bytes{0x01, 0x02}));
}

TEST_CASE("issuance: RSA, SHA-1, Ed25519 and Ed448 signatures", "[issuance]") {
    for (const KeySpec& spec : {KeySpec{KeyKind::rsa, 2048}, KeySpec{KeyKind::ed25519}, KeySpec{KeyKind::ed448}}) {
        const auto ca_key = TestKey::shared(spec, 20);
        const auto ca = TestCert::make({.subject_cn = "Issuer", .is_ca = true}, ca_key);
        for (const std::string digest : {"SHA256", "SHA1"}) {
            const auto leaf = TestCert::make({.subject_cn = "leaf", .digest = digest}, TestKey::shared({}, 21), &ca, &ca_key);
            IssuanceChecker checker;
            INFO(static_cast<int>(spec.kind) << " " << digest);
            CHECK(checker.issued(leaf.der, "ca", ca.der));
        }
    }
}

TEST_CASE("issuance: a CA whose key usage forbids signing certificates issued nothing", "[issuance]") {
    const auto ca_key = TestKey::shared({}, 22);
    const auto not_a_signer =
        TestCert::make({.subject_cn = "No Cert Sign", .is_ca = true, .key_usage = "critical,digitalSignature"}, ca_key);
    const auto leaf = TestCert::make({.subject_cn = "leaf"}, TestKey::shared({}, 23), &not_a_signer, &ca_key);
    IssuanceChecker checker;
    CHECK_FALSE(checker.issued(leaf.der, "ca", not_a_signer.der));
}
