#include <algorithm>
#include <catch2/catch.hpp>

#include "core/issuance.hpp"
#include "inventory/concurrent_issuance.hpp"
#include "testkit/cert_factory.hpp"

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

TEST_CASE("issuance: worker threads answer every question, and forget them when told", "[issuance]") {
    const auto chain = make_chain("worked.example");
    const auto der = [](const TestCert& c) { return std::make_shared<const Bytes>(c.der); };
    inventory::ConcurrentIssuanceChecks checks(2);
    // More questions than the queue holds: asking waits for room rather than growing without bound.
    const std::size_t rounds = inventory::ConcurrentIssuanceChecks::kMaxQueued / 2 + 10;
    for (std::size_t i = 0; i < rounds; ++i) {
        const auto n = static_cast<std::int64_t>(i);
        checks.ask({n, 1000, der(chain.leaf), "intermediate", der(chain.intermediate)});
        checks.ask({n, 2000, der(chain.leaf), "root", der(chain.root)});
    }
    checks.wait();
    const auto issued = checks.take_issued();
    CHECK(issued.size() == rounds);
    CHECK(std::all_of(issued.begin(), issued.end(), [](const auto& link) { return link.second == 1000; }));
    CHECK(checks.take_issued().empty());
    CHECK(checks.answered_no({0, 2000}));
    CHECK_FALSE(checks.answered_no({0, 1000}));

    // Fewer questions than are handed over at a time: waiting hands them over.
    checks.ask({5, 1000, der(chain.leaf), "intermediate", der(chain.intermediate)});
    checks.wait();
    CHECK(checks.take_issued() == std::vector<inventory::IssuerLink>{{5, 1000}});

    checks.ask({7, 1000, der(chain.leaf), "intermediate", der(chain.intermediate)});
    checks.discard();
    checks.wait();
    CHECK(checks.take_issued().empty());
    CHECK_FALSE(checks.answered_no({0, 2000}));
}
