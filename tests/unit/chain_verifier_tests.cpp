#include <catch2/catch.hpp>
#include <openssl/x509.h>

#include "core/certificate.hpp"
#include "scanner/chain_verifier.hpp"
#include "testkit/cert_factory.hpp"

using namespace certfleet;
using namespace certfleet::scanner;
using namespace certfleet::testing;

namespace {

// The address probed, where the scan was given a name to check instead.
const std::string kAddress = "192.0.2.1";

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
    const auto verdict = f.verifier.verify({f.chain.leaf.der, f.chain.intermediate.der}, "api.example", kAddress);
    CHECK(verdict.verified);
    CHECK(verdict.verify_error.empty());
    CHECK(verdict.chain_trusted);
    CHECK(verdict.name_check == NameCheck::matched);
    CHECK(verdict.order_correct);
    CHECK_FALSE(verdict.root_included);
    CHECK(verdict.intermediates_missing == 0);
    CHECK(verdict.earliest_expiry_sha256 == f.chain.leaf.sha256());
    CHECK(f.verifier.anchors() == 1);
}

TEST_CASE("verify: the three failure classes are told apart", "[verify]") {
    Fixture f;
    SECTION("hostname mismatch on a trusted chain") {
        const auto verdict = f.verifier.verify({f.chain.leaf.der, f.chain.intermediate.der}, "other.example", kAddress);
        CHECK_FALSE(verdict.verified);
        CHECK(verdict.chain_trusted);
        CHECK(verdict.name_check == NameCheck::mismatched);
        CHECK(verdict.verify_error == "hostname-mismatch");
    }
    SECTION("self-signed leaf") {
        const auto key = TestKey::shared();
        const auto self = TestCert::make({.subject_cn = "self.example", .dns_names = {"self.example"}}, key);
        const auto verdict = f.verifier.verify({self.der}, "self.example", kAddress);
        CHECK(verdict.verify_error == "self-signed");
        CHECK_FALSE(verdict.chain_trusted);
        CHECK(verdict.name_check == NameCheck::matched);
    }
    SECTION("expired leaf under a trusted root: trusted, but out of its validity window") {
        const auto expired = TestCert::make({.subject_cn = "old.example", .dns_names = {"old.example"},
                                             .not_before_days = -30, .not_after_days = -1},
                                            f.chain.leaf_key, &f.chain.intermediate, &f.chain.intermediate_key);
        const auto verdict = f.verifier.verify({expired.der, f.chain.intermediate.der}, "old.example", kAddress);
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
            strangers.verify({f.chain.leaf.der, f.chain.intermediate.der, f.chain.root.der}, "api.example", kAddress);
        CHECK(verdict.verify_error == "untrusted-root");
        CHECK(verdict.root_included);
    }
    SECTION("an intermediate missing from what the server sent") {
        const auto verdict = f.verifier.verify({f.chain.leaf.der}, "api.example", kAddress);
        CHECK(verdict.verify_error == "untrusted-issuer");
    }
}

TEST_CASE("verify: chain order and intermediates completed from the trust store", "[verify]") {
    TempDir dir;
    const auto chain = make_chain("api.example");
    write_file(dir / "store.pem", chain.root.pem() + chain.intermediate.pem());
    ChainVerifier verifier(TrustOptions{false, {dir.path().string()}});
    const auto completed = verifier.verify({chain.leaf.der}, "api.example", kAddress);
    CHECK(completed.verified);
    CHECK(completed.intermediates_missing == 1);
    const auto reversed =
        verifier.verify({chain.leaf.der, chain.root.der, chain.intermediate.der}, "api.example", kAddress);
    CHECK_FALSE(reversed.order_correct);
}

TEST_CASE("verify: IP addresses match IP SANs only", "[verify]") {
    const auto key = TestKey::shared();
    const auto cert = TestCert::make({.subject_cn = "10.20.0.5", .ip_addresses = {"10.20.0.5", "::1"}}, key);
    TempDir dir;
    write_file(dir / "pinned.pem", cert.pem());
    ChainVerifier verifier(TrustOptions{false, {(dir / "pinned.pem").string()}});
    CHECK(verifier.verify({cert.der}, "", "10.20.0.5").name_check == NameCheck::matched);
    CHECK(verifier.verify({cert.der}, "", "::1").name_check == NameCheck::matched);
    CHECK(verifier.verify({cert.der}, "", "10.20.0.6").name_check == NameCheck::mismatched);
    // Trusted as a pinned leaf: the seed's "trust the file, connect by IP" case.
    CHECK(verifier.verify({cert.der}, "", "10.20.0.5").verified);
}

TEST_CASE("verify: a name the scan was given is checked, and the verdict says against what", "[verify]") {
    Fixture f;
    const auto issue = [&](const CertSpec& spec) {
        return TestCert::make(spec, f.chain.leaf_key, &f.chain.intermediate, &f.chain.intermediate_key);
    };
    const auto wildcard = issue({.subject_cn = "wild", .dns_names = {"*.wild.example", "wild.example"}});
    const auto matched = f.verifier.verify({wildcard.der, f.chain.intermediate.der}, "a.wild.example", kAddress);
    CHECK(matched.verified);
    CHECK(matched.name_check == NameCheck::matched);
    CHECK(matched.name_check_detail == "a.wild.example matches DNS:*.wild.example");

    const auto other = f.verifier.verify({wildcard.der, f.chain.intermediate.der}, "b.other.example", kAddress);
    CHECK(other.name_check == NameCheck::mismatched);
    CHECK(other.name_check_detail == "b.other.example not in DNS SANs [*.wild.example, wild.example]");
    CHECK(other.verify_error == "hostname-mismatch");
    CHECK(other.verify_detail == other.name_check_detail);
    CHECK_FALSE(other.hostname_match());

    SECTION("a long list of names is cut short") {
        const auto many = issue({.subject_cn = "many", .dns_names = {"a.example", "b.example", "c.example", "d.example",
                                                                     "e.example", "f.example", "g.example"}});
        CHECK(f.verifier.verify({many.der, f.chain.intermediate.der}, "z.example", kAddress).name_check_detail ==
              "z.example not in DNS SANs [a.example, b.example, c.example, d.example, e.example, +2 more]");
    }
    SECTION("without DNS SANs, the subject CN, as OpenSSL and older clients read it") {
        const auto legacy = issue({.subject_cn = "legacy.example"});
        CHECK(f.verifier.verify({legacy.der, f.chain.intermediate.der}, "legacy.example", kAddress).name_check_detail ==
              "legacy.example matches the subject CN legacy.example");
        CHECK(f.verifier.verify({legacy.der, f.chain.intermediate.der}, "other.example", kAddress).name_check_detail ==
              "other.example: no DNS SANs, and the subject CN differs");
    }
    SECTION("a name given is checked even where the certificate has IP SANs for the address") {
        const auto both = issue({.subject_cn = "both", .dns_names = {"api.example"}, .ip_addresses = {kAddress}});
        CHECK(f.verifier.verify({both.der, f.chain.intermediate.der}, "www.example", kAddress).name_check ==
              NameCheck::mismatched);
    }
}

TEST_CASE("verify: an address probed without a name is checked only against IP SANs", "[verify]") {
    Fixture f;
    const std::vector<Bytes> by_name{f.chain.leaf.der, f.chain.intermediate.der};
    const auto unchecked = f.verifier.verify(by_name, "", "192.0.2.1");
    CHECK(unchecked.name_check == NameCheck::not_checked);
    CHECK(unchecked.name_check_detail ==
          "no name to check: probed by address 192.0.2.1 and the certificate has no IP SANs");
    CHECK(unchecked.verified);
    CHECK(unchecked.errors.empty());
    CHECK(unchecked.hostname_match());  // no failure, to whoever reads the older field alone
    // Cached by leaf and address: another address of a sweep is named in its own verdict.
    CHECK(f.verifier.verify(by_name, "", "192.0.2.2").name_check_detail ==
          "no name to check: probed by address 192.0.2.2 and the certificate has no IP SANs");

    const auto by_address = TestCert::make({.subject_cn = "by address", .ip_addresses = {"192.0.2.1", "2001:db8::1"}},
                                           f.chain.leaf_key, &f.chain.intermediate, &f.chain.intermediate_key);
    const std::vector<Bytes> chain{by_address.der, f.chain.intermediate.der};
    const auto right = f.verifier.verify(chain, "", "192.0.2.1");
    CHECK(right.name_check == NameCheck::matched);
    CHECK(right.name_check_detail == "192.0.2.1 matches IP:192.0.2.1");
    CHECK(right.verified);
    CHECK(f.verifier.verify(chain, "", "2001:db8::1").name_check == NameCheck::matched);
    const auto wrong = f.verifier.verify(chain, "", "192.0.2.3");
    CHECK(wrong.name_check == NameCheck::mismatched);
    CHECK(wrong.name_check_detail == "192.0.2.3 not in IP SANs [192.0.2.1, 2001:db8::1]");
    CHECK(wrong.verify_error == "hostname-mismatch");
    CHECK(wrong.errors == std::vector<std::string>{"hostname-mismatch"});

    SECTION("other failures stand apart from the name check") {
        const auto self = TestCert::make({.subject_cn = "self", .dns_names = {"self.example"}}, TestKey::shared());
        const auto verdict = f.verifier.verify({self.der}, "", "192.0.2.1");
        CHECK(verdict.name_check == NameCheck::not_checked);
        CHECK(verdict.errors == std::vector<std::string>{"self-signed"});
    }
}

TEST_CASE("verify: bad trust paths and empty chains", "[verify]") {
    CHECK_THROWS_WITH(ChainVerifier(TrustOptions{false, {"/nonexistent/ca.pem"}}), Catch::Contains("/nonexistent/ca.pem"));
    TempDir dir;
    write_file(dir / "empty.pem", "no certificates here\n");
    CHECK_THROWS_WITH(ChainVerifier(TrustOptions{false, {(dir / "empty.pem").string()}}),
                      Catch::Contains("holds no PEM certificate"));
    ChainVerifier system(TrustOptions{});
    CHECK(system.anchors() > 0);
    CHECK(system.verify({}, "x", kAddress).verify_error == "empty-chain");
}

TEST_CASE("verify: a missing intermediate known from the inventory is named, not trusted", "[verify]") {
    Fixture f;
    const auto alone = f.verifier.verify({f.chain.leaf.der}, "api.example", kAddress);
    CHECK(alone.verify_error == "untrusted-issuer");
    CHECK(alone.intermediates_missing == 0);
    f.verifier.add_known_intermediates({f.chain.intermediate.der});
    const auto named = f.verifier.verify({f.chain.leaf.der}, "api.example", kAddress);
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
        const auto from_handshake = fresh.verify(chain, name, kAddress);
        const auto from_der = f.verifier.verify({leaf->der, f.chain.intermediate.der}, name, kAddress);
        CHECK(from_handshake.verified == from_der.verified);
        CHECK(from_handshake.verify_error == from_der.verify_error);
        CHECK(from_handshake.errors == from_der.errors);
        CHECK(from_handshake.chain_trusted == from_der.chain_trusted);
        CHECK(from_handshake.name_check == from_der.name_check);
        CHECK(from_handshake.name_check_detail == from_der.name_check_detail);
        CHECK(from_handshake.earliest_expiry_sha256 == from_der.earliest_expiry_sha256);
        CHECK(from_handshake.earliest_expiry == from_der.earliest_expiry);
        // The cached verdict, for another endpoint presenting the same chain.
        CHECK(fresh.verify(chain, name, kAddress).verify_error == from_der.verify_error);
    }
}

TEST_CASE("verify: a trusted path is a public TLS certificate's only where it ends at a public root", "[verify]") {
    Fixture f;
    const std::string root = (f.dir / "root.pem").string();
    // Trusted by --trust, but no public root: a private CA's leaf.
    CHECK(f.verifier.verify({f.chain.leaf.der, f.chain.intermediate.der}, "api.example", kAddress).chain_trusted);
    CHECK_FALSE(f.verifier.verify({f.chain.leaf.der, f.chain.intermediate.der}, "api.example", kAddress).public_root);

    ChainVerifier public_ca(TrustOptions{false, {root}, root});
    CHECK(public_ca.verify({f.chain.leaf.der, f.chain.intermediate.der}, "api.example", kAddress).public_root);
    // Public whatever else fails: the name is another failure class.
    CHECK(public_ca.verify({f.chain.leaf.der, f.chain.intermediate.der}, "other.example", kAddress).public_root);

    // Listed as public but not trusted: no path, so no public root.
    ChainVerifier listed_only(TrustOptions{false, {}, root});
    CHECK_FALSE(listed_only.verify({f.chain.leaf.der, f.chain.intermediate.der}, "api.example", kAddress).public_root);

    CHECK_THROWS_WITH(ChainVerifier(TrustOptions{false, {}, "/nonexistent/roots"}),
                      Catch::StartsWith("--public-roots /nonexistent/roots: no such file"));
    write_file(f.dir / "empty.pem", "no certificates here\n");
    CHECK_THROWS_WITH(ChainVerifier(TrustOptions{false, {}, (f.dir / "empty.pem").string()}),
                      Catch::Contains("holds no PEM certificate"));
}
