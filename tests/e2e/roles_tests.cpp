// End-to-end: a certificate's role comes from how it is used, not only from its CA flag (a self-signed service
// certificate made with CA:TRUE, held with its key or pinned in a truststore), and the trust stores an OS package
// maintains are the distribution's business: their expired roots are info unless the fleet relies on them, and
// the table report lists the user's own certificates first and the rules' advice once per rule.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "testkit/cert_factory.hpp"
#include "testkit/keystore_writer.hpp"
#include "tests/e2e/certfleet_binary.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// What `openssl req -x509 -subj /CN=NAME` makes on Debian: self-signed, basicConstraints CA:TRUE, no key usage.
TestCert hand_made_service_cert(const std::string& cn, const TestKey& key) {
    return TestCert::make({.subject_cn = cn, .is_ca = true}, key);
}

TestCert self_signed_leaf(const std::string& cn, const TestKey& key) {
    return TestCert::make({.subject_cn = cn, .dns_names = {cn}, .not_after_days = 300}, key);
}

TestCert expired_root(const std::string& cn, const TestKey& key) {
    return TestCert::make({.subject_cn = cn, .not_before_days = -4000, .not_after_days = -10, .is_ca = true,
                           .key_usage = "critical,keyCertSign,cRLSign"},
                          key);
}

struct Fleet {
    TempDir dir;
    fs::path tree = dir / "tree";
    std::string db = (dir / "inventory.db").string();

    std::string path(const std::string& relative) const { return (tree / relative).string(); }

    void scan() const {
        const auto r = run_certfleet(db, {"scan", "--files", tree.string(), "--no-progress"});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }

    // `certfleet check --format json`: its exit code and document.
    std::pair<int, json> check() const {
        const auto r = run_certfleet(db, {"check", "--format", "json"});
        INFO(r.out << r.err);
        return {r.exit_code, json::parse(r.out)};
    }
};

// rule id -> the places it found something at.
std::map<std::string, std::set<std::string>> places_by_rule(const json& findings) {
    std::map<std::string, std::set<std::string>> out;
    for (const auto& f : findings) out[f["rule_id"].get<std::string>()].insert(f["location"].get<std::string>());
    return out;
}

// rule id -> the certificates it found something about, at `location`.
std::set<std::string> found_at(const json& findings, const std::string& rule, const std::string& location) {
    std::set<std::string> out;
    for (const auto& f : findings)
        if (f["rule_id"] == rule && f["location"] == location) out.insert(f["sha256"].get<std::string>());
    return out;
}

std::size_t occurrences(const std::string& text, const std::string& part) {
    std::size_t count = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++count;
    return count;
}

}  // namespace

TEST_CASE("e2e: roles: a CA:TRUE self-signed leaf pinned in a JKS truststore is a pinned leaf, as a CA:FALSE copy is",
          "[e2e][roles]") {
    Fleet fleet;
    const TestKey key_a = TestKey::generate(), key_b = TestKey::generate();
    const TestCert service_a = hand_made_service_cert("service-a.internal", key_a);
    const TestCert service_b = self_signed_leaf("service-b.internal", key_b);
    // Each service holds its certificate with its key; the client pins both in its truststore.
    write_file(fleet.tree / "service-a/keystore.p12", pkcs12_der(&key_a, &service_a, {}, "changeit"));
    write_file(fleet.tree / "service-b/keystore.jks",
               KeystoreWriter(KeystoreType::jks).add_private_key("service-b", {service_b}).build(u"changeit"));
    write_file(fleet.tree / "client/truststore.jks", KeystoreWriter(KeystoreType::jks)
                                                          .add_trusted_cert("service-a", service_a)
                                                          .add_trusted_cert("service-b", service_b)
                                                          .build(u"changeit"));
    fleet.scan();

    const auto [status, doc] = fleet.check();
    INFO(doc.dump(2));
    CHECK(found_at(doc["findings"], "self-signed-leaf-pinned", fleet.path("client/truststore.jks")) ==
          std::set<std::string>{service_a.sha256(), service_b.sha256()});

    const auto anchors = run_certfleet(fleet.db, {"inventory", "anchors", "--format", "json"});
    REQUIRE(anchors.exit_code == 0);
    const auto anchors_doc = json::parse(anchors.out);
    for (const auto& anchor : anchors_doc["anchors"]) {
        INFO(anchor["summary"]["subject"]);
        CHECK(anchor["pinned_leaf"] == true);
    }
}

TEST_CASE("e2e: roles: a self-signed leaf stored with its key gets a self-signed-leaf finding from a file scan",
          "[e2e][roles]") {
    Fleet fleet;
    const TestKey p12_key = TestKey::generate(), pem_key = TestKey::generate(), jks_key = TestKey::generate();
    const TestKey ca_key = TestKey::generate();
    const TestCert in_p12 = self_signed_leaf("p12.internal", p12_key);
    const TestCert in_pem = hand_made_service_cert("pem.internal", pem_key);
    const TestCert in_jks = hand_made_service_cert("jks.internal", jks_key);
    // A CA made to sign (keyCertSign) kept with its key is a CA, not a service's self-signed leaf.
    const TestCert ca = TestCert::make({.subject_cn = "Team CA", .not_after_days = 3000, .is_ca = true,
                                        .key_usage = "critical,keyCertSign,cRLSign"},
                                       ca_key);
    write_file(fleet.tree / "p12/keystore.p12", pkcs12_der(&p12_key, &in_p12, {}, "changeit"));
    write_file(fleet.tree / "pem/server.pem", in_pem.pem() + pem_key.pkcs8_pem());
    write_file(fleet.tree / "jks/keystore.jks",
               KeystoreWriter(KeystoreType::jks).add_private_key("server", {in_jks}).build(u"changeit"));
    write_file(fleet.tree / "ca/ca.pem", ca.pem() + ca_key.pkcs8_pem());
    fleet.scan();

    const auto [status, doc] = fleet.check();
    INFO(doc.dump(2));
    CHECK(places_by_rule(doc["findings"])["self-signed-leaf"] ==
          std::set<std::string>{fleet.path("p12/keystore.p12"), fleet.path("pem/server.pem"),
                                fleet.path("jks/keystore.jks")});
    CHECK(status == 1);
}

TEST_CASE("e2e: roles: an expired root in a system trust store is info, the same root in the user's own store warns",
          "[e2e][roles][anchor]") {
    Fleet fleet;
    const TestCert old_root = expired_root("Old Public Root", TestKey::generate());
    const TestCert current_root = TestCert::make({.subject_cn = "Current Public Root", .not_after_days = 3000,
                                                  .is_ca = true, .key_usage = "critical,keyCertSign,cRLSign"},
                                                 TestKey::generate());
    // Laid out as Debian's ca-certificates and a JRE leave them, under the scanned root: a container image or a
    // mounted host seen from outside is scanned this way too.
    write_file(fleet.tree / "etc/ssl/certs/ca-certificates.crt", current_root.pem() + old_root.pem());
    write_file(fleet.tree / "usr/share/ca-certificates/mozilla/Old_Public_Root.crt", old_root.pem());
    write_file(fleet.tree / "usr/lib/jvm/java-17-openjdk-amd64/lib/security/cacerts",
               KeystoreWriter(KeystoreType::jks)
                   .add_trusted_cert("current", current_root)
                   .add_trusted_cert("old", old_root)
                   .build(u"changeit"));
    fleet.scan();

    const auto [system_status, system_doc] = fleet.check();
    INFO(system_doc.dump(2));
    CHECK(system_status == 0);
    const auto system_places = places_by_rule(system_doc["findings"]);
    CHECK_FALSE(system_places.contains("expired-trust-anchor"));
    CHECK(system_places.contains("expired-system-trust-anchor"));
    if (system_places.contains("expired-system-trust-anchor"))
        CHECK(system_places.at("expired-system-trust-anchor") ==
              std::set<std::string>{fleet.path("etc/ssl/certs/ca-certificates.crt"),
                                    fleet.path("usr/share/ca-certificates/mozilla/Old_Public_Root.crt"),
                                    fleet.path("usr/lib/jvm/java-17-openjdk-amd64/lib/security/cacerts")});
    for (const auto& f : system_doc["findings"]) CHECK(f["severity"] == "info");

    // /usr/local/share/ca-certificates is where an administrator adds roots of their own: theirs to fix.
    write_file(fleet.tree / "usr/local/share/ca-certificates/old-root.crt", old_root.pem());
    fleet.scan();
    const auto [user_status, user_doc] = fleet.check();
    INFO(user_doc.dump(2));
    CHECK(user_status == 1);
    CHECK(places_by_rule(user_doc["findings"])["expired-trust-anchor"] ==
          std::set<std::string>{fleet.path("usr/local/share/ca-certificates/old-root.crt")});
}

TEST_CASE("e2e: roles: an expired system root the fleet's certificates chain to still warns, an unused one is info",
          "[e2e][roles][anchor]") {
    Fleet fleet;
    const TestKey root_key = TestKey::generate(), leaf_key = TestKey::generate();
    const TestCert used_root = expired_root("Old Public Root", root_key);
    const TestCert unused_root = expired_root("Unused Public Root", TestKey::generate());
    const TestCert leaf = TestCert::make({.subject_cn = "shop.example", .dns_names = {"shop.example"},
                                          .not_after_days = 200},
                                         leaf_key, &used_root, &root_key);
    const std::string bundle = fleet.path("etc/ssl/certs/ca-certificates.crt");
    write_file(bundle, used_root.pem() + unused_root.pem());
    write_file(fleet.tree / "srv/shop/tls.pem", leaf.pem() + leaf_key.pkcs8_pem());
    fleet.scan();

    const auto [status, doc] = fleet.check();
    INFO(doc.dump(2));
    CHECK(found_at(doc["findings"], "expired-trust-anchor", bundle) == std::set<std::string>{used_root.sha256()});
    CHECK(found_at(doc["findings"], "expired-system-trust-anchor", bundle) ==
          std::set<std::string>{unused_root.sha256()});
}

TEST_CASE("e2e: roles: the table report lists the user's certificates, counts system anchors in one line and gives "
          "each rule's advice once, as the HTML does",
          "[e2e][roles][report]") {
    Fleet fleet;
    std::string bundle;
    for (int i = 0; i < 3; ++i) bundle += expired_root("Old Public Root " + std::to_string(i), TestKey::shared({}, i)).pem();
    write_file(fleet.tree / "etc/ssl/certs/ca-certificates.crt", bundle);
    const TestCert mine = TestCert::make({.subject_cn = "Corp Root", .not_before_days = -900, .not_after_days = -5,
                                          .is_ca = true, .key_usage = "critical,keyCertSign,cRLSign"},
                                         TestKey::shared({}, 5));
    write_file(fleet.tree / "srv/app/truststore.pem", mine.pem());
    write_file(fleet.tree / "srv/web/truststore.pem", mine.pem());
    fleet.scan();

    const auto table = run_certfleet(fleet.db, {"report"});
    INFO(table.out);
    REQUIRE(table.exit_code == 0);
    // The user's own certificate is a row; the distribution's roots are one line.
    CHECK(table.out.find("Corp Root") != std::string::npos);
    CHECK(table.out.find("Old Public Root") == std::string::npos);
    CHECK(table.out.find("3 anchors only in system trust stores") != std::string::npos);
    // Two findings of one rule, three of another at one place: each rule's advice once, each place once.
    const auto findings_at = table.out.find("Findings:");
    REQUIRE(findings_at != std::string::npos);
    // Advice wraps at 80 columns: compared as words.
    const std::string findings = std::regex_replace(table.out.substr(findings_at), std::regex("\\s+"), " ");
    CHECK(occurrences(findings, "Nothing verifies against an expired anchor") == 1);
    CHECK(occurrences(findings, "srv/app/truststore.pem") == 1);
    CHECK(occurrences(findings, "srv/web/truststore.pem") == 1);
    CHECK(occurrences(findings, "etc/ssl/certs/ca-certificates.crt") == 1);
    std::istringstream lines(table.out);
    for (std::string line; std::getline(lines, line);) {
        INFO(line);
        CHECK(line.size() <= 80);
    }

    // The HTML's findings: one row per rule, its advice once, every place in its details.
    const auto html = run_certfleet(fleet.db, {"report", "--format", "html"});
    REQUIRE(html.exit_code == 0);
    CHECK(occurrences(html.out, "Nothing verifies against an expired anchor") == 1);
    CHECK(occurrences(html.out, "<tbody class=\"record\" id=\"finding-") == 2);
}
