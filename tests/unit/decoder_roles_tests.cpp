// Content decoders: which certificates a file holds with their private key (a service's own, a leaf whatever its
// CA flag), and which trust stores an OS package maintains.
#include "scanner/trust_store.hpp"
#include "testkit/keystore_writer.hpp"
#include "tests/unit/decoder_test_support.hpp"

using namespace certfleet;
using namespace certfleet::scanner;
using namespace certfleet::testing;
using namespace certfleet::testing::decoding;

namespace {

std::vector<bool> with_private_key_flags(const FileObservations& result) {
    std::vector<bool> out;
    for (const auto& sighting : result.certificates) out.push_back(sighting.with_private_key);
    return out;
}

std::vector<bool> system_store_flags(const FileObservations& result) {
    std::vector<bool> out;
    for (const auto& sighting : result.certificates) out.push_back(sighting.system_store);
    return out;
}

}  // namespace

TEST_CASE("roles: the certificate of a private key in the same file is held with its key", "[decode][roles]") {
    SECTION("a PEM file: the leaf with its key, not the intermediate after it") {
        const auto result = decode(chain().leaf.pem() + chain().intermediate.pem() + chain().leaf_key.pkcs8_pem());
        CHECK(with_private_key_flags(result) == std::vector<bool>{true, false});
    }
    SECTION("a PKCS#12 with its key") {
        const auto result = decode(leaf_pkcs12(""));
        REQUIRE(result.certificates.size() == 3);
        CHECK(with_private_key_flags(result) == std::vector<bool>{true, false, false});
    }
    SECTION("a JKS key entry's first certificate, not a trusted entry") {
        const Bytes jks = KeystoreWriter(KeystoreType::jks)
                              .add_trusted_cert("root", chain().root)
                              .add_private_key("server", {chain().leaf, chain().intermediate})
                              .build(u"changeit");
        const auto result = decode(jks, {"", "changeit"});
        CHECK(sha256s(result) == sha256s({chain().root, chain().leaf, chain().intermediate}));
        CHECK(with_private_key_flags(result) == std::vector<bool>{false, true, false});
    }
    SECTION("a key of another certificate, and an encrypted key no password opens, pair with nothing") {
        CHECK(with_private_key_flags(decode(chain().leaf.pem() + chain().root_key.pkcs8_pem())) ==
              std::vector<bool>{false});
        CHECK(with_private_key_flags(decode(chain().leaf.pem() + chain().leaf_key.encrypted_pkcs8_pem("secret"))) ==
              std::vector<bool>{false});
    }
}

TEST_CASE("roles: trust stores an OS package maintains are system stores", "[decode][roles][trust]") {
    for (const char* path : {"/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/certs/java/cacerts",
                             "/usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt",
                             "/etc/ca-certificates/extracted/bundle.pem",
                             "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", "/etc/pki/tls/certs/ca-bundle.crt",
                             "/usr/share/pki/ca-trust-source/ca-bundle.trust.p11-kit", "/etc/pki/java/cacerts",
                             "/usr/lib/jvm/java-17-openjdk-amd64/lib/security/cacerts",
                             // A container image or a host's disk mounted elsewhere has a distribution of its own.
                             "/var/lib/images/web3/rootfs/etc/ssl/certs/ca-certificates.crt"}) {
        INFO(path);
        CHECK(is_system_trust_store(path));
    }
    // Where administrators add roots of their own (a file put in /etc/ssl/certs by hand: update-ca-certificates
    // makes only links there), and stores of applications.
    for (const char* path : {"/usr/local/share/ca-certificates/corp-root.crt", "/etc/ssl/certs/corp-root.pem",
                             "/etc/ssl/certs/9d6523ce.0", "/etc/pki/tls/certs/localhost.crt",
                             "/etc/pki/ca-trust/source/anchors/corp-root.pem", "/srv/app/truststore.jks",
                             "/opt/tomcat/conf/cacerts", "/usr/lib/jvm/java-17-openjdk-amd64/lib/security/blocked.certs",
                             "/home/me/etc-ssl-certs/root.pem"}) {
        INFO(path);
        CHECK_FALSE(is_system_trust_store(path));
    }
}

TEST_CASE("roles: only the trust anchors of a system store are marked so", "[decode][roles][trust]") {
    const auto bundle = decode(chain().root.pem() + chain().intermediate.pem() + chain().leaf.pem(), {""}, nullptr,
                               "/etc/ssl/certs/ca-certificates.crt");
    CHECK(trust_anchor_flags(bundle) == std::vector<bool>{true, true, true});
    CHECK(system_store_flags(bundle) == std::vector<bool>{true, true, true});

    // A service's own certificate and key under /etc/ssl/certs is no store entry, so no system one either.
    const auto keyed = decode(chain().leaf.pem() + chain().leaf_key.pkcs8_pem(), {""}, nullptr,
                              "/etc/ssl/certs/server.pem");
    CHECK(system_store_flags(keyed) == std::vector<bool>{false});

    const auto own = decode(chain().root.pem(), {""}, nullptr, "/usr/local/share/ca-certificates/corp-root.crt");
    CHECK(trust_anchor_flags(own) == std::vector<bool>{true});
    CHECK(system_store_flags(own) == std::vector<bool>{false});
}
