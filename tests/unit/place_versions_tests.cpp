// A file place's contents stored once per version (schema.sql, version 21): a scan of an unchanged place adds
// one row, a changed place a version, and every scan still answers as it saw the place. On both stores.
#include <algorithm>
#include <catch2/catch.hpp>

#include "core/certificate.hpp"
#include "inventory/analysis.hpp"
#include "inventory/inventory.hpp"
#include "testkit/cert_factory.hpp"
#include "tests/unit/per_scan_place_tables.hpp"
#include "tests/unit/store_fixture.hpp"

using namespace certfleet;
using namespace certfleet::testing;

namespace {


// What a scan answers about its file places: each certificate's sightings with their roles and labels, and the
// keys, as sorted lines of text to compare.
std::string answers(inventory::Inventory& inv, inventory::ScanId scan) {
    std::vector<std::string> lines;
    const auto contents = inv.queries().scan_contents(scan);
    for (const auto& c : contents.certificates)
        for (const auto& s : c.sightings) {
            std::string line = c.cert.subject + " at " + s.location.path + "#" + std::to_string(s.location.index);
            line += s.system_store ? " system-anchor" : "";
            line += s.with_private_key ? " with-key" : "";
            for (const auto& l : s.labels) line += " " + l.key + "=" + l.value;
            lines.push_back(line + "\n");
        }
    for (const auto& k : contents.keys)
        for (const auto& l : k.locations) lines.push_back("key " + k.spki_sha256.value_or("?") + " at " + l.path + "\n");
    std::sort(lines.begin(), lines.end());
    std::string out;
    for (const auto& line : lines) out += line;
    return out;
}

struct Fleet {
    TestKey key = TestKey::shared({}, 7);
    TestCert service = TestCert::make({.subject_cn = "service"}, key);
    TestCert renewed = TestCert::make({.subject_cn = "service renewed"}, key);
    TestCert root = TestCert::make({.subject_cn = "root"}, TestKey::shared({}, 8));

    // The service's file (its certificate and key) and a trust store, the service's at `cert`.
    std::vector<FileObservations> seen(const TestCert& cert) const {
        FileObservations service_file;
        service_file.certificates = {pem_sighting(cert, "/srv/service.pem", 0)};
        service_file.certificates[0].with_private_key = true;
        service_file.keys = {KeySighting{"/srv/service.pem", SourceFormat::pem, key.spki_sha256(), KeyState::readable}};
        service_file.labels = {{"owner", "payments"}};
        FileObservations store;
        store.certificates = {pem_sighting(root, "/etc/ssl/bundle.pem", 0)};
        store.certificates[0].trust_anchor = store.certificates[0].system_store = true;
        return {service_file, store};
    }
};

inventory::ScanId scan_of(inventory::Inventory& inv, const std::vector<FileObservations>& batch) {
    const auto scan = inv.begin_scan("files", "{}", {});
    inv.record(scan, batch);
    inv.finish_scan(scan, inventory::ScanStatus::complete, {});
    return scan;
}

}  // namespace

TEST_CASE("place versions: an unchanged place adds no version, a changed one does, each scan answers as it saw",
          "[inventory][pg]") {
    TempDir dir;
    const Store store = GENERATE(Store::sqlite, Store::postgresql);
    const std::string db = new_inventory(store, dir);
    const Fleet fleet;
    auto inv = inventory::open_inventory(db);
    const auto first = scan_of(*inv, fleet.seen(fleet.service));
    const auto unchanged = scan_of(*inv, fleet.seen(fleet.service));
    CHECK(store_value(store, db, "SELECT count(*) FROM location_versions") == "2");
    CHECK(store_value(store, db, "SELECT count(*) FROM location_scans") == "4");
    CHECK(store_value(store, db, "SELECT count(*) FROM version_sightings") == "2");

    const auto renewed = scan_of(*inv, fleet.seen(fleet.renewed));
    CHECK(store_value(store, db, "SELECT count(*) FROM location_versions") == "3");
    // Back as it was: the earlier version again, not a new one.
    const auto rolled_back = scan_of(*inv, fleet.seen(fleet.service));
    CHECK(store_value(store, db, "SELECT count(*) FROM location_versions") == "3");

    const std::string as_first = "CN=root at /etc/ssl/bundle.pem#0 system-anchor\nCN=service at /srv/service.pem#0 "
                                 "with-key owner=payments\nkey " + fleet.key.spki_sha256() + " at /srv/service.pem\n";
    CHECK(answers(*inv, first) == as_first);
    CHECK(answers(*inv, unchanged) == as_first);
    CHECK(answers(*inv, renewed).find("CN=service renewed at /srv/service.pem#0 with-key owner=payments") !=
          std::string::npos);
    CHECK(answers(*inv, rolled_back) == as_first);
    // A changed label is another version too.
    auto relabelled = fleet.seen(fleet.service);
    relabelled[0].labels = {{"owner", "identity"}};
    const auto moved = scan_of(*inv, relabelled);
    CHECK(store_value(store, db, "SELECT count(*) FROM location_versions") == "4");
    CHECK(answers(*inv, moved).find("owner=identity") != std::string::npos);
}

TEST_CASE("place versions: an inventory of version 20 keeps every scan's contents, and new scans add versions",
          "[inventory][pg]") {
    TempDir dir;
    const Store store = GENERATE(Store::sqlite, Store::postgresql);
    const std::string db = new_inventory(store, dir);
    const Fleet fleet;
    std::vector<std::string> before;
    {
        auto inv = inventory::open_inventory(db);
        for (const auto* cert : {&fleet.service, &fleet.service, &fleet.renewed})
            before.push_back(answers(*inv, scan_of(*inv, fleet.seen(*cert))));
    }
    store_value(store, db,
              as_per_scan_place_tables(store == Store::postgresql) +
                  (store == Store::postgresql ? "; UPDATE certfleet_schema SET version = 20" : "; PRAGMA user_version = 20"));
    REQUIRE(store_value(store, db, "SELECT count(*) FROM sightings") == "6");

    auto inv = inventory::open_inventory(db);
    for (inventory::ScanId scan = 1; scan <= 3; ++scan) CHECK(answers(*inv, scan) == before.at(scan - 1));
    // Each older scan's place is a version of its own; the next scan's digest is none of theirs.
    CHECK(store_value(store, db, "SELECT count(*) FROM location_versions") == "6");
    scan_of(*inv, fleet.seen(fleet.renewed));
    CHECK(store_value(store, db, "SELECT count(*) FROM location_versions") == "8");
    CHECK(inv->queries().latest_scan()->status == inventory::ScanStatus::complete);
}
