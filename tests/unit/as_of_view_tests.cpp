// The view as of a past scan: each place as the latest scan up to it left it, whether that scan saw the place
// itself, an earlier one did, or the place was first seen later. On both stores.
#include <catch2/catch.hpp>
#include <set>

#include "inventory/analysis.hpp"
#include "inventory/inventory.hpp"
#include "testkit/cert_factory.hpp"
#include "tests/unit/store_fixture.hpp"

using namespace certfleet;
using namespace certfleet::testing;

TEST_CASE("as of a scan: places it saw, places seen before it and places seen after it", "[inventory][pg]") {
    TempDir dir;
    auto inv = inventory::open_inventory(new_inventory(GENERATE(Store::sqlite, Store::postgresql), dir));
    const auto key = TestKey::shared({}, 4);
    std::vector<TestCert> renewals;
    for (const char* name : {"app 1", "app 2", "app 3"}) renewals.push_back(TestCert::make({.subject_cn = name}, key));
    const auto once = TestCert::make({.subject_cn = "seen once"}, TestKey::shared({}, 5));
    // /srv/app.pem is renewed every scan; /srv/once.pem is seen by the first only; /srv/app.key, a key alone, from
    // the second on.
    std::vector<inventory::ScanId> scans;
    for (std::size_t i = 0; i < renewals.size(); ++i) {
        FileObservations app;
        app.certificates = {pem_sighting(renewals[i], "/srv/app.pem", 0)};
        std::vector<FileObservations> batch{app};
        if (i == 0) {
            FileObservations seen_once;
            seen_once.certificates = {pem_sighting(once, "/srv/once.pem", 0)};
            batch.push_back(seen_once);
        } else {
            FileObservations key_file;
            key_file.keys = {KeySighting{"/srv/app.key", SourceFormat::pem, key.spki_sha256(), KeyState::readable}};
            batch.push_back(key_file);
        }
        scans.push_back(inv->begin_scan("files", "{}", {}));
        inv->record(scans.back(), batch);
        inv->finish_scan(scans.back(), inventory::ScanStatus::complete, {});
    }
    const auto subjects_as_of = [&](inventory::ScanId scan) {
        std::set<std::string> subjects;
        for (const auto& c : inv->queries().certificates(inventory::Filter{.as_of = scan})) subjects.insert(c.cert.subject);
        return subjects;
    };
    const auto keys_as_of = [&](inventory::ScanId scan) { return inv->queries().view_contents(scan).keys.size(); };

    CHECK(subjects_as_of(scans[0]) == std::set<std::string>{"CN=app 1", "CN=seen once"});
    CHECK(keys_as_of(scans[0]) == 0);
    CHECK(subjects_as_of(scans[1]) == std::set<std::string>{"CN=app 2", "CN=seen once"});
    CHECK(keys_as_of(scans[1]) == 1);
    CHECK(subjects_as_of(scans[2]) == std::set<std::string>{"CN=app 3", "CN=seen once"});
    CHECK(keys_as_of(scans[2]) == 1);
}
