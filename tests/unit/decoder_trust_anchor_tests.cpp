// Content decoders: which certificates a file holds as trust anchors, by its structure, location and keys.
#include "tests/unit/decoder_test_support.hpp"

using namespace certfleet;
using namespace certfleet::scanner;
using namespace certfleet::testing;
using namespace certfleet::testing::decoding;

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
