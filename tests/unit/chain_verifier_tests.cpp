#include <catch2/catch.hpp>
#include <openssl/x509.h>

#include "core/certificate.hpp"
#include "scanner/chain_verifier.hpp"
#include "testkit/cert_factory.hpp"

using namespace certfleet;
using namespace certfleet::scanner;
using namespace certfleet::testing;

namespace {

struct Fixture {
    TempDir dir;
    TestChain chain = make_chain("api.example");
    ChainVerifier verifier = make_verifier();

    ChainVerifier make_verifier() {
        write_file(dir / "root.pem", chain.root.pem());
        return ChainVerifier(TrustOptions{false, {(dir / "root.pem").string()}});
    }
};

}  // namespace

TEST_CASE("verify: a complete chain to a trusted root, for the right name", "[verify]") {
    Fixture f;
    const auto verdict = f.verifier.verify({f.chain.leaf.der, f.chain.intermediate.der}, "api.example");
    CHECK(verdict.verified);
    CHECK(verdict.verify_error.empty());
    CHECK(verdict.chain_trusted);
    CHECK(verdict.hostname_match);
    CHECK(verdict.order_correct);
    CHECK_FALSE(verdict.root_included);
    CHECK(verdict.intermediates_missing == 0);
    CHECK(verdict.earliest_expiry_sha256 == f.chain.leaf.sha256());
    CHECK(f.verifier.anchors() == 1);
}

TEST_CASE("verify: the three failure classes are told apart", "[verify]") {
    Fixture f;
    SECTION("hostname mismatch on a trusted chain") {
        const auto verdict = f.verifier.verify({f.chain.leaf.der, f.chain.intermediate.der}, "other.example");
        CHECK_FALSE(verdict.verified);
        CHECK(verdict.chain_trusted);
        CHECK_FALSE(verdict.hostname_match);
        CHECK(verdict.verify_error == "hostname-mismatch");
    }
    SECTION("self-signed leaf") {
        const auto key = TestKey::shared();
        const auto self = TestCert::make({.subject_cn = "self.example", .dns_names = {"self.example"}}, key);
        const auto verdict = f.verifier.verify({self.der}, "self.example");
        CHECK(verdict.verify_error == "self-signed");
        CHECK_FALSE(verdict.chain_trusted);
        CHECK(verdict.hostname_match);
    }
    SECTION("expired leaf under a trusted root: trusted, but out of its validity window") {
        const auto expired = TestCert::make({.subject_cn = "old.example", .dns_names = {"old.example"},
                                             .not_before_days = -30, .not_after_days = -1},
                                            f.chain.leaf_key, &f.chain.intermediate, &f.chain.intermediate_key);
        const auto verdict = f.verifier.verify({expired.der, f.chain.intermediate.der}, "old.example");
        CHECK(verdict.verify_error == "expired");
        CHECK(verdict.chain_trusted);
        CHECK_FALSE(verdict.verified);
        CHECK(verdict.earliest_expiry_sha256 == expired.sha256());
    }
    SECTION("a root nobody trusts") {
        TempDir other;
        write_file(other / "unrelated.pem", make_chain("x").leaf.pem());
        ChainVerifier strangers(TrustOptions{false, {(other / "unrelated.pem").string()}});
        const auto verdict =
            strangers.verify({f.chain.leaf.der, f.chain.intermediate.der, f.chain.root.der}, "api.example");
        CHECK(verdict.verify_error == "untrusted-root");
        CHECK(verdict.root_included);
    }
    SECTION("an intermediate missing from what the server sent") {
        const auto verdict = f.verifier.verify({f.chain.leaf.der}, "api.example");
        CHECK(verdict.verify_error == "untrusted-issuer");
    }
}

TEST_CASE("verify: chain order and intermediates completed from the trust store", "[verify]") {
    TempDir dir;
    const auto chain = make_chain("api.example");
    write_file(dir / "store.pem", chain.root.pem() + chain.intermediate.pem());
    ChainVerifier verifier(TrustOptions{false, {dir.path().string()}});
    const auto completed = verifier.verify({chain.leaf.der}, "api.example");
    CHECK(completed.verified);
    CHECK(completed.intermediates_missing == 1);
    const auto reversed = verifier.verify({chain.leaf.der, chain.root.der, chain.intermediate.der}, "api.example");
    CHECK_FALSE(reversed.order_correct);
}

TEST_CASE("verify: IP addresses match IP SANs only", "[verify]") {
    const auto key = TestKey::shared();
    const auto cert = TestCert::make({.subject_cn = "10.20.0.5", .ip_addresses = {"10.20.0.5", "::1"}}, key);
    TempDir dir;
    write_file(dir / "pinned.pem", cert.pem());
    ChainVerifier verifier(TrustOptions{false, {(dir / "pinned.pem").string()}});
    CHECK(verifier.verify({cert.der}, "10.20.0.5").hostname_match);
    CHECK(verifier.verify({cert.der}, "::1").hostname_match);
    CHECK_FALSE(verifier.verify({cert.der}, "10.20.0.6").hostname_match);
    // Trusted as a pinned leaf: the seed's "trust the file, connect by IP" case.
    CHECK(verifier.verify({cert.der}, "10.20.0.5").verified);
}

TEST_CASE("verify: bad trust paths and empty chains", "[verify]") {
    CHECK_THROWS_WITH(ChainVerifier(TrustOptions{false, {"/nonexistent/ca.pem"}}), Catch::Contains("/nonexistent/ca.pem"));
    TempDir dir;
    write_file(dir / "empty.pem", "no certificates here\n");
    CHECK_THROWS_WITH(ChainVerifier(TrustOptions{false, {(dir / "empty.pem").string()}}),
                      Catch::Contains("holds no PEM certificate"));
    ChainVerifier system(TrustOptions{});
    CHECK(system.anchors() > 0);
    CHECK(system.verify({}, "x").verify_error == "empty-chain");
}

TEST_CASE("verify: a missing intermediate known from the inventory is named, not trusted", "[verify]") {
    Fixture f;
    const auto alone = f.verifier.verify({f.chain.leaf.der}, "api.example");
    CHECK(alone.verify_error == "untrusted-issuer");
    CHECK(alone.intermediates_missing == 0);
    f.verifier.add_known_intermediates({f.chain.intermediate.der});
    const auto named = f.verifier.verify({f.chain.leaf.der}, "api.example");
    CHECK(named.verify_error == "untrusted-issuer");  // a client would still fail
    CHECK_FALSE(named.verified);
    CHECK(named.intermediates_missing == 1);
    CHECK(named.verify_detail.find("known from the inventory") != std::string::npos);
}

TEST_CASE("verify: a chain the handshake parsed gets the verdict and descriptions its DER gets", "[verify]") {
    Fixture f;
    const auto expired = TestCert::make({.subject_cn = "old.example", .dns_names = {"old.example"},
                                         .not_before_days = -30, .not_after_days = -1},
                                        f.chain.leaf_key, &f.chain.intermediate, &f.chain.intermediate_key);
    const auto parsed = [](const TestCert& cert) {
        const unsigned char* cursor = cert.der.data();
        return d2i_X509(nullptr, &cursor, static_cast<long>(cert.der.size()));
    };
    using Case = std::pair<const TestCert*, std::string>;
    for (const auto& [leaf, name] : {Case{&f.chain.leaf, "api.example"}, Case{&f.chain.leaf, "other.example"},
                                     Case{&expired, "old.example"}}) {
        X509* certificates[] = {parsed(*leaf), parsed(f.chain.intermediate)};
        const auto chain = PresentedChain::from_parsed({certificates[0], certificates[1]});
        for (X509* certificate : certificates) X509_free(certificate);  // the chain holds references of its own
        REQUIRE(chain.size() == 2);
        CHECK(chain.der() == std::vector<Bytes>{leaf->der, f.chain.intermediate.der});
        CHECK(chain.describe(0).sha256 == leaf->sha256());
        CHECK(chain.describe(1).subject == describe_certificate(f.chain.intermediate.der).subject);

        ChainVerifier fresh(TrustOptions{false, {(f.dir / "root.pem").string()}});
        const auto from_handshake = fresh.verify(chain, name);
        const auto from_der = f.verifier.verify({leaf->der, f.chain.intermediate.der}, name);
        CHECK(from_handshake.verified == from_der.verified);
        CHECK(from_handshake.verify_error == from_der.verify_error);
        CHECK(from_handshake.errors == from_der.errors);
        CHECK(from_handshake.chain_trusted == from_der.chain_trusted);
        CHECK(from_handshake.hostname_match == from_der.hostname_match);
        CHECK(from_handshake.earliest_expiry_sha256 == from_der.earliest_expiry_sha256);
        CHECK(from_handshake.earliest_expiry == from_der.earliest_expiry);
        // The cached verdict, for another endpoint presenting the same chain.
        CHECK(fresh.verify(chain, name).verify_error == from_der.verify_error);
    }
}
