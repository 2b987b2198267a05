// End-to-end: two scans of a generated tree with rotations, copies, a reused key, trust stores and an expiring
// certificate between them, then every `certfleet inventory` question and `certfleet diff`, in JSON field by
// field and as tables.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "tests/e2e/certfleet_binary.hpp"
#include "testkit/cert_factory.hpp"
#include "testkit/process.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

TestCert leaf(const std::string& cn, const TestKey& key, long long not_after_days = 365) {
    return TestCert::make({.subject_cn = cn, .dns_names = {cn}, .not_after_days = not_after_days}, key);
}

std::set<std::string> strings(const json& array) {
    std::set<std::string> out;
    for (const auto& item : array) out.insert(item.get<std::string>());
    return out;
}

// The string at `pointer` in each item: fingerprints ("/sha256", "/summary/sha256"), paths ("/place/path").
std::set<std::string> values_at(const json& items, const std::string& pointer) {
    std::set<std::string> out;
    for (const auto& item : items) out.insert(item.at(json::json_pointer(pointer)).get<std::string>());
    return out;
}

std::set<std::string> fingerprints(const json& items) { return values_at(items, "/sha256"); }

// An answer without its days_left fields, which count from the moment it was asked: two asks of one question
// a second apart may differ by a day (a certificate made "365 days from now" has 365 left in its first second).
json without_days_left(json answer) {
    if (answer.is_object()) {
        answer.erase("days_left");
        for (auto& [key, value] : answer.items()) value = without_days_left(value);
    } else if (answer.is_array()) {
        for (auto& item : answer) item = without_days_left(item);
    }
    return answer;
}

const json& find_by(const json& items, const std::string& pointer, const std::string& value) {
    for (const auto& item : items)
        if (item.at(json::json_pointer(pointer)) == value) return item;
    FAIL("no item with " << pointer << " = " << value << " in " << items.dump(2));
    throw std::logic_error("unreachable");
}

// "AB:CD:...": the fingerprint as `openssl x509 -fingerprint -sha256` prints it.
std::string openssl_style(const std::string& sha256) {
    std::string out;
    for (std::size_t i = 0; i < sha256.size(); i += 2) {
        if (i > 0) out += ':';
        for (char c : sha256.substr(i, 2)) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return out;
}

// Tables of certificates fit 100 columns; paths, which are never cut, may run longer.
void check_fits_100_columns(const std::string& table) {
    std::istringstream lines(table);
    for (std::string line; std::getline(lines, line);) {
        std::size_t width = 0;
        for (unsigned char c : line) width += (c & 0xc0) != 0x80;
        INFO(line);
        CHECK(width <= 100);
    }
}

// Two scans of one tree. Between them one place is re-issued with its key, one with a new key, one file is
// removed and one added. Throughout: a certificate copied to three paths owned by two teams, a key in two
// certificates whose key file is copied, a self-signed leaf pinned in /etc/ssl/certs, a chain whose root sits
// in a truststore next to a CA that issues nothing, and a certificate 10 days from expiry.
struct RotatingFleet {
    TempDir dir;
    fs::path tree = dir / "tree";
    std::string db = (dir / "inventory.db").string();

    TestKey kept_key = TestKey::generate();
    TestCert same_key_before = leaf("same-key.example", kept_key), same_key_after = leaf("same-key.example", kept_key);
    TestCert new_key_before = leaf("new-key.example", TestKey::generate());
    TestCert new_key_after = leaf("new-key.example", TestKey::generate());
    TestCert pinned = leaf("pinned.internal", TestKey::generate());
    TestCert copied = leaf("copied.example", TestKey::generate());
    TestKey reused_key = TestKey::generate();
    TestCert reuse_one = leaf("one.example", reused_key), reuse_two = leaf("two.example", reused_key);
    TestCert expiring = leaf("soon.example", TestKey::generate(), 10);
    TestChain chain = make_chain("shop.example");
    TestCert stale_ca = TestCert::make({.subject_cn = "Stale CA", .not_after_days = 3650, .is_ca = true,
                                        .key_usage = "critical,keyCertSign,cRLSign"},
                                       TestKey::generate());
    TestCert gone = leaf("gone.example", TestKey::generate());
    TestCert fresh = leaf("fresh.example", TestKey::generate());

    std::string path(const std::string& relative) const { return (tree / relative).string(); }

    RotatingFleet() {
        write_file(tree / "app/server.pem", same_key_before.pem());
        write_file(tree / "web/server.pem", new_key_before.pem());
        write_file(tree / "etc/ssl/certs/pinned.pem", pinned.pem());
        write_file(tree / "svc/pinned.pem", pinned.pem());
        for (const char* team : {"a", "b", "c"}) write_file(tree / "teams" / team / "copied.pem", copied.pem());
        write_file(tree / "reuse/one.pem", reuse_one.pem());
        write_file(tree / "reuse/two.pem", reuse_two.pem());
        write_file(tree / "keys/reused.key", reused_key.pkcs8_pem());
        write_file(tree / "backup/reused.key", reused_key.pkcs8_pem());
        write_file(tree / "expiring/soon.pem", expiring.pem());
        write_file(tree / "chain/fullchain.pem", chain.leaf.pem() + chain.intermediate.pem());
        write_file(tree / "chain/intermediate.pem", chain.intermediate.pem());
        write_file(tree / "stores/truststore.pem", chain.root.pem() + stale_ca.pem());
        write_file(tree / "gone/old.pem", gone.pem());
        // Every matching line applies and the first to set a key wins: team a is alpha, the others beta.
        write_file(dir / "owners.txt", path("teams/a") + "/* owner=alpha\n" + path("teams") + "/* owner=beta\n");
        scan();
        write_file(tree / "app/server.pem", same_key_after.pem());
        write_file(tree / "web/server.pem", new_key_after.pem());
        fs::remove(tree / "gone/old.pem");
        write_file(tree / "new/fresh.pem", fresh.pem());
        scan();
    }

    void scan() const {
        const auto r = run_certfleet(db, {"scan", "--files", tree.string(), "--owner-map", (dir / "owners.txt").string(),
                                          "--label", "env=prod", "--no-progress"});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }

    // The answer of `inventory ARGS --format json` (or of any command given in full).
    json ask(std::vector<std::string> args) const {
        args.insert(args.end(), {"--format", "json"});
        const auto r = run_certfleet(db, args);
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        return json::parse(r.out);
    }

    std::string table(const std::vector<std::string>& args) const {
        const auto r = run_certfleet(db, args);
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        return r.out;
    }
};

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("e2e: inventory certs answers for the current view, one scan, and each filter", "[e2e]") {
    RotatingFleet fleet;

    const json view = fleet.ask({"inventory", "certs"})["certificates"];
    const auto in_view = fingerprints(view);
    CHECK(in_view.count(fleet.same_key_after.sha256()));
    CHECK_FALSE(in_view.count(fleet.same_key_before.sha256()));
    CHECK(in_view.count(fleet.fresh.sha256()));
    // A file deleted under a root the later scan walked is gone: it leaves the view.
    CHECK_FALSE(in_view.count(fleet.gone.sha256()));
    CHECK(view[0]["sha256"] == fleet.expiring.sha256());  // the soonest expiry first
    const json& copied = find_by(view, "/sha256", fleet.copied.sha256());
    CHECK(copied["places"] == 3);
    CHECK(copied["subject"] == "CN=copied.example");
    CHECK(copied["not_after"].get<std::string>().ends_with("Z"));
    CHECK(copied["days_left"].is_number());

    const auto scan_1 = fingerprints(fleet.ask({"inventory", "certs", "--scan", "1"})["certificates"]);
    CHECK(scan_1.count(fleet.same_key_before.sha256()));
    CHECK_FALSE(scan_1.count(fleet.same_key_after.sha256()));

    const std::set<std::string> expiring{fleet.expiring.sha256()};
    CHECK(fingerprints(fleet.ask({"inventory", "certs", "--expiring", "30d"})["certificates"]) == expiring);
    CHECK(fingerprints(fleet.ask({"inventory", "certs", "--expiring", "2w"})["certificates"]) == expiring);
    const auto self_signed = fingerprints(fleet.ask({"inventory", "certs", "--self-signed"})["certificates"]);
    CHECK(self_signed.count(fleet.pinned.sha256()));
    CHECK(self_signed.count(fleet.chain.root.sha256()));
    CHECK_FALSE(self_signed.count(fleet.chain.intermediate.sha256()));
    CHECK(fingerprints(fleet.ask({"inventory", "certs", "--issuer", "test INTERMEDIATE"})["certificates"]) ==
          std::set<std::string>{fleet.chain.leaf.sha256()});
    CHECK(fingerprints(fleet.ask({"inventory", "certs", "--label", "owner=alpha"})["certificates"]) ==
          std::set<std::string>{fleet.copied.sha256()});
    CHECK(fingerprints(fleet.ask({"inventory", "certs", "--label", "owner=beta", "--label", "env=prod"})["certificates"]) ==
          std::set<std::string>{fleet.copied.sha256()});
    CHECK(fleet.ask({"inventory", "certs", "--label", "env=dev"})["certificates"].empty());

    const std::string table = fleet.table({"inventory", "certs"});
    check_fits_100_columns(table);
    CHECK(contains(table, "soon.example"));
    CHECK(contains(table, fleet.expiring.sha256().substr(0, 16) + "…"));
    CHECK(table.find("soon.example") < table.find("copied.example"));

    const auto bad_expiry = run_certfleet(fleet.db, {"inventory", "certs", "--expiring", "30x"});
    CHECK(bad_expiry.exit_code == 2);
    CHECK(contains(bad_expiry.err, "30x"));
    CHECK(run_certfleet(fleet.db, {"inventory", "certs", "--label", "no-equals-sign"}).exit_code == 2);
    const auto no_scan = run_certfleet(fleet.db, {"inventory", "certs", "--scan", "9"});
    CHECK(no_scan.exit_code == 2);
    CHECK(contains(no_scan.err, "no scan 9"));
}

TEST_CASE("e2e: inventory cert and history find a certificate by fingerprint prefix", "[e2e]") {
    RotatingFleet fleet;

    const json leaf = fleet.ask({"inventory", "cert", fleet.chain.leaf.sha256().substr(0, 8)})["certificate"];
    CHECK(leaf["summary"]["sha256"] == fleet.chain.leaf.sha256());
    CHECK(values_at(leaf["places"], "/place/path") == std::set<std::string>{fleet.path("chain/fullchain.pem")});
    CHECK(leaf["places"][0]["labels"]["env"] == "prod");
    CHECK(leaf["issuers"] == json::array({fleet.chain.intermediate.sha256()}));
    CHECK(leaf["path"]["chain"][0] == fleet.chain.leaf.sha256());
    CHECK(strings(leaf["path"]["chain"]).count(fleet.chain.intermediate.sha256()));
    CHECK(leaf["path"]["anchor"] == fleet.chain.root.sha256());
    CHECK(strings(leaf["path"]["stores"]) == std::set<std::string>{fleet.path("stores/truststore.pem")});
    CHECK(leaf["related"][fleet.chain.root.sha256()]["subject"] == "CN=Test Root CA,O=certfleet tests");

    const json one = fleet.ask({"inventory", "cert", openssl_style(fleet.reuse_one.sha256())})["certificate"];
    CHECK(one["same_key"] == json::array({fleet.reuse_two.sha256()}));
    CHECK(values_at(one["key_files"], "/path") ==
          std::set<std::string>{fleet.path("keys/reused.key"), fleet.path("backup/reused.key")});

    const json pinned = fleet.ask({"inventory", "cert", fleet.pinned.sha256()})["certificate"];
    CHECK(find_by(pinned["places"], "/place/path", fleet.path("etc/ssl/certs/pinned.pem"))["place"]["trust_anchor"] == true);
    CHECK(find_by(pinned["places"], "/place/path", fleet.path("svc/pinned.pem"))["place"]["trust_anchor"] == false);

    const json copied = fleet.ask({"inventory", "cert", fleet.copied.sha256()})["certificate"];
    CHECK(find_by(copied["places"], "/place/path", fleet.path("teams/a/copied.pem"))["labels"] ==
          json({{"env", "prod"}, {"owner", "alpha"}}));
    CHECK(find_by(copied["places"], "/place/path", fleet.path("teams/b/copied.pem"))["labels"]["owner"] == "beta");

    const std::string table = fleet.table({"inventory", "cert", fleet.chain.leaf.sha256().substr(0, 12)});
    CHECK(contains(table, fleet.chain.leaf.sha256()));
    CHECK(contains(table, "Test Intermediate CA"));
    CHECK(contains(table, "Test Root CA [anchor]"));
    CHECK(contains(table, "in " + fleet.path("stores/truststore.pem")));
    CHECK(contains(table, fleet.path("chain/fullchain.pem")));
    CHECK(contains(fleet.table({"inventory", "cert", fleet.pinned.sha256()}), "pinned.pem [anchor]"));

    const json history = fleet.ask({"inventory", "history", fleet.same_key_before.sha256().substr(0, 10)})["history"];
    CHECK(history["summary"]["sha256"] == fleet.same_key_before.sha256());
    REQUIRE(history["scans"].size() == 1);
    CHECK(history["scans"][0]["scan"] == 1);
    REQUIRE(history["rotations"].size() == 1);
    CHECK(history["rotations"][0]["place"]["path"] == fleet.path("app/server.pem"));
    CHECK(history["rotations"][0]["old_sha256"] == fleet.same_key_before.sha256());
    CHECK(history["rotations"][0]["new_sha256"] == fleet.same_key_after.sha256());
    CHECK(history["rotations"][0]["key_changed"] == false);
    CHECK(contains(fleet.table({"inventory", "history", fleet.same_key_before.sha256()}), "same key"));

    const auto unknown = run_certfleet(fleet.db, {"inventory", "cert", "0123456789abcdef0123"});
    CHECK(unknown.exit_code == 1);
    CHECK(contains(unknown.err, "no certificate"));
    const auto too_short = run_certfleet(fleet.db, {"inventory", "history", "abc"});
    CHECK(too_short.exit_code == 2);
    CHECK(run_certfleet(fleet.db, {"inventory", "cert", "not-hex!"}).exit_code == 2);
}

TEST_CASE("e2e: an ambiguous fingerprint prefix lists the candidates", "[e2e]") {
    // Certificates are signed until two share their first four hex digits (a few hundred on average).
    const auto key = TestKey::shared();
    std::map<std::string, TestCert> by_prefix;
    std::optional<std::pair<TestCert, TestCert>> twins;
    for (long serial = 1; !twins; ++serial) {
        auto cert = TestCert::make({.subject_cn = "twin.example", .serial = serial}, key);
        const std::string prefix = cert.sha256().substr(0, 4);
        if (auto found = by_prefix.find(prefix); found != by_prefix.end()) {
            twins.emplace(found->second, cert);
        } else {
            by_prefix.emplace(prefix, cert);
        }
    }
    TempDir dir;
    write_file(dir / "tree/first.pem", twins->first.pem());
    write_file(dir / "tree/second.pem", twins->second.pem());
    const std::string db = (dir / "inventory.db").string();
    REQUIRE(run_certfleet(db, {"scan", "--files", (dir / "tree").string(), "--no-progress"}).exit_code == 0);

    const auto ambiguous = run_certfleet(db, {"inventory", "cert", twins->first.sha256().substr(0, 4)});
    CHECK(ambiguous.exit_code == 2);
    CHECK(contains(ambiguous.err, "ambiguous"));
    CHECK(contains(ambiguous.err, twins->first.sha256()));
    CHECK(contains(ambiguous.err, twins->second.sha256()));
    CHECK(run_certfleet(db, {"inventory", "history", twins->first.sha256().substr(0, 20)}).exit_code == 0);
}

TEST_CASE("e2e: inventory shared, keys, anchors, stores, endpoints and scans", "[e2e]") {
    RotatingFleet fleet;

    const json shared = fleet.ask({"inventory", "shared"})["shared"];
    const json& copied = find_by(shared, "/summary/sha256", fleet.copied.sha256());
    CHECK(values_at(copied["places"], "/place/path") ==
          std::set<std::string>{fleet.path("teams/a/copied.pem"), fleet.path("teams/b/copied.pem"),
                                fleet.path("teams/c/copied.pem")});
    CHECK(copied["split"]["owner"] == json::array({"alpha", "beta"}));
    CHECK(values_at(shared, "/summary/sha256").count(fleet.chain.intermediate.sha256()));
    CHECK_FALSE(values_at(shared, "/summary/sha256").count(fleet.pinned.sha256()));  // a trust store is no place
    const std::set<std::string> only_copied{fleet.copied.sha256()};
    CHECK(values_at(fleet.ask({"inventory", "shared", "--min-places", "3"})["shared"], "/summary/sha256") == only_copied);
    CHECK(values_at(fleet.ask({"inventory", "shared", "--across", "owner"})["shared"], "/summary/sha256") == only_copied);
    const std::string shared_table = fleet.table({"inventory", "shared", "--across", "owner"});
    CHECK(contains(shared_table, "copied.example"));
    CHECK(contains(shared_table, "owner: alpha, beta"));
    CHECK(contains(shared_table, "owner=alpha"));

    const json keys = fleet.ask({"inventory", "keys"})["reused_keys"];
    const json& reused = find_by(keys, "/spki_sha256", fleet.reused_key.spki_sha256());
    CHECK(fingerprints(reused["certificates"]) ==
          std::set<std::string>{fleet.reuse_one.sha256(), fleet.reuse_two.sha256()});
    CHECK(values_at(reused["key_files"], "/path") ==
          std::set<std::string>{fleet.path("keys/reused.key"), fleet.path("backup/reused.key")});
    for (const auto& key : keys) CHECK(key["spki_sha256"] != fleet.kept_key.spki_sha256());  // one certificate now
    CHECK(contains(fleet.table({"inventory", "keys"}), fleet.path("backup/reused.key")));

    const json anchors = fleet.ask({"inventory", "anchors"})["anchors"];
    const json& root = find_by(anchors, "/summary/sha256", fleet.chain.root.sha256());
    CHECK(strings(root["stores"]) == std::set<std::string>{fleet.path("stores/truststore.pem")});
    CHECK(root["issues_live"] >= 2);
    CHECK(root["stale"] == false);
    CHECK(root["pinned_leaf"] == false);
    CHECK(strings(root["missing_from"]).count(fleet.path("etc/ssl/certs/pinned.pem")));
    CHECK(find_by(anchors, "/summary/sha256", fleet.pinned.sha256())["pinned_leaf"] == true);
    CHECK(find_by(anchors, "/summary/sha256", fleet.stale_ca.sha256())["stale"] == true);
    const std::string anchors_table = fleet.table({"inventory", "anchors"});
    check_fits_100_columns(anchors_table);
    CHECK(contains(anchors_table, "pinned leaf"));
    CHECK(contains(anchors_table, "stale"));

    const json stores = fleet.ask({"inventory", "stores"})["stores"];
    CHECK(fingerprints(find_by(stores, "/place/path", fleet.path("stores/truststore.pem"))["anchors"]) ==
          std::set<std::string>{fleet.chain.root.sha256(), fleet.stale_ca.sha256()});
    CHECK(fingerprints(find_by(stores, "/place/path", fleet.path("etc/ssl/certs/pinned.pem"))["anchors"]) ==
          std::set<std::string>{fleet.pinned.sha256()});
    CHECK(contains(fleet.table({"inventory", "stores"}), "truststore.pem: 2 anchors"));

    CHECK(fleet.ask({"inventory", "endpoints"})["endpoints"] == json::array());
    CHECK(contains(fleet.table({"inventory", "endpoints"}), "No endpoints"));

    const json scans = fleet.ask({"inventory", "scans"})["scans"];
    REQUIRE(scans.size() == 2);
    CHECK(scans[1]["id"] == 2);
    CHECK(scans[1]["status"] == "complete");
    CHECK(scans[1]["counts"]["files_walked"].get<int>() > 10);
    const std::string scans_table = fleet.table({"inventory", "scans"});
    check_fits_100_columns(scans_table);
    CHECK(contains(scans_table, "complete"));
}

TEST_CASE("e2e: diff shows new and gone certificates and places, and rotations with or without a new key", "[e2e]") {
    RotatingFleet fleet;

    const json diff = without_days_left(fleet.ask({"diff"})["diff"]);
    CHECK(diff["from"]["id"] == 1);
    CHECK(diff["to"]["id"] == 2);
    CHECK(fingerprints(diff["new_certificates"]) ==
          std::set<std::string>{fleet.same_key_after.sha256(), fleet.new_key_after.sha256(), fleet.fresh.sha256()});
    CHECK(fingerprints(diff["gone_certificates"]) ==
          std::set<std::string>{fleet.same_key_before.sha256(), fleet.new_key_before.sha256(), fleet.gone.sha256()});
    CHECK(values_at(diff["new_places"], "/place/path") == std::set<std::string>{fleet.path("new/fresh.pem")});
    CHECK(values_at(diff["gone_places"], "/place/path") == std::set<std::string>{fleet.path("gone/old.pem")});
    REQUIRE(diff["rotated"].size() == 2);
    const json& same_key = find_by(diff["rotated"], "/place/path", fleet.path("app/server.pem"));
    CHECK(same_key["old_sha256"] == fleet.same_key_before.sha256());
    CHECK(same_key["new_sha256"] == fleet.same_key_after.sha256());
    CHECK(same_key["key_changed"] == false);
    CHECK(find_by(diff["rotated"], "/place/path", fleet.path("web/server.pem"))["key_changed"] == true);
    CHECK(diff["changed_verdicts"] == json::array());

    CHECK(without_days_left(fleet.ask({"diff", "1"})["diff"]) == diff);
    CHECK(without_days_left(fleet.ask({"diff", "1", "2"})["diff"]) == diff);
    CHECK(fleet.ask({"diff", "2", "2"})["diff"]["rotated"].empty());

    const std::string table = fleet.table({"diff"});
    CHECK(contains(table, "Rotated (2)"));
    CHECK(contains(table, "same key"));
    CHECK(contains(table, "new key"));
    CHECK(contains(table, "fresh.example"));
    CHECK(contains(table, fleet.path("gone/old.pem")));

    const auto unknown = run_certfleet(fleet.db, {"diff", "1", "9"});
    CHECK(unknown.exit_code == 2);
    CHECK(contains(unknown.err, "no scan 9"));
}

TEST_CASE("e2e: the JSON report lists the scan's reused keys and trust anchors", "[e2e]") {
    RotatingFleet fleet;
    const json doc = fleet.ask({"report"});
    CHECK(doc["schema"] == 1);
    const json& reused = find_by(doc["reused_keys"], "/spki_sha256", fleet.reused_key.spki_sha256());
    CHECK(strings(reused["certificates"]) == std::set<std::string>{fleet.reuse_one.sha256(), fleet.reuse_two.sha256()});
    CHECK(reused["key_files"].size() == 2);
    CHECK(reused["key_files"][0]["format"] == "pem");
    const json& root = find_by(doc["anchors"], "/sha256", fleet.chain.root.sha256());
    CHECK(root["subject"] == "CN=Test Root CA,O=certfleet tests");
    CHECK(strings(root["stores"]) == std::set<std::string>{fleet.path("stores/truststore.pem")});
    CHECK(find_by(doc["anchors"], "/sha256", fleet.pinned.sha256())["pinned_leaf"] == true);
    CHECK(doc["keys"][0].contains("state"));  // the scan's key sightings, as before

    const std::string table = fleet.table({"report"});
    CHECK(contains(table, "Reused keys: 1"));
    CHECK(contains(table, "Trust anchors: 3"));
}

TEST_CASE("e2e: inventory questions without an inventory, or with one scan to diff", "[e2e]") {
    TempDir dir;
    const std::string missing = (dir / "missing.db").string();
    for (const auto& args : std::vector<std::vector<std::string>>{{"inventory", "certs"}, {"diff"}}) {
        const auto r = run_certfleet(missing, args);
        CHECK(r.exit_code == 2);
        CHECK(contains(r.err, "no inventory at " + missing));
    }
    write_file(dir / "tree/one.pem", leaf("one.example", TestKey::shared()).pem());
    const std::string db = (dir / "inventory.db").string();
    REQUIRE(run_certfleet(db, {"scan", "--files", (dir / "tree").string(), "--no-progress"}).exit_code == 0);
    const auto one_scan = run_certfleet(db, {"diff"});
    CHECK(one_scan.exit_code == 2);
    CHECK(contains(one_scan.err, "only scan 1"));
    CHECK(run_certfleet(db, {"inventory", "bogus"}).exit_code == 2);
}
