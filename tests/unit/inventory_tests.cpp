// The inventory writer and its reader: files, migrations, transactions and dead scans. What is not about the SQLite
// file itself (storing a scan whole, certificates once, snapshots, a scan killed as it finishes) runs on both stores.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "core/certificate.hpp"
#include "core/host_identity.hpp"
#include "inventory/analysis.hpp"
#include "inventory/inventory.hpp"
#include "testkit/cert_factory.hpp"
#include "tests/unit/store_fixture.hpp"

using namespace certfleet;
using namespace certfleet::testing;

namespace {

// The schema version this build migrates every older inventory to.
const std::string kCurrentSchema = "20";

CertificateSighting sighting(const TestCert& cert, const std::string& path, SourceFormat format, int index) {
    return CertificateSighting{std::make_shared<const CertInfo>(describe_certificate(cert.der)),
                               std::make_shared<const Bytes>(cert.der), FileLocation{path, format, index}};
}

// Runs SQL on the inventory's file the way another program would; returns the first column of the first row.
std::string sql_value(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    std::string value;
    char* error = nullptr;
    const int rc = sqlite3_exec(
        db, sql.c_str(),
        [](void* out, int, char** columns, char**) {
            auto& text = *static_cast<std::string*>(out);
            if (text.empty() && columns[0]) text = columns[0];
            return 0;
        },
        &value, &error);
    const std::string message = error ? error : "";
    sqlite3_free(error);
    sqlite3_close(db);
    INFO(sql << ": " << message);
    REQUIRE(rc == SQLITE_OK);
    return value;
}

}  // namespace

TEST_CASE("inventory: a new database is created mode 0600", "[inventory]") {
    TempDir dir;
    const auto path = (dir / "inv.db").string();
    ::umask(022);
    { auto inv = inventory::open_sqlite_inventory(path); }
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("inventory: refuses files that are not certfleet inventories, naming them", "[inventory]") {
    TempDir dir;
    write_file(dir / "garbage.db", std::string(4096, 'x'));
    CHECK_THROWS_WITH(inventory::open_sqlite_inventory((dir / "garbage.db").string()),
                      Catch::Contains("garbage.db") && Catch::Contains("not a database"));
    CHECK_THROWS_WITH(inventory::open_sqlite_inventory((dir / "no/such/dir/x.db").string()),
                      Catch::Contains("x.db") && Catch::Contains("No such file"));
}

TEST_CASE("inventory: stores a scan and gives it back whole", "[inventory]") {
    TempDir dir;
    auto inv = inventory::open_inventory(new_inventory(GENERATE(Store::sqlite, Store::postgresql), dir));
    const auto chain = make_chain("shop.example");
    const auto scan = inv->begin_scan("files", R"({"files":["/etc/ssl"]})", {});

    FileObservations bundle;
    bundle.certificates = {sighting(chain.leaf, "/srv/bundle.pem", SourceFormat::pem, 0),
                           sighting(chain.intermediate, "/srv/bundle.pem", SourceFormat::pem, 1)};
    bundle.keys = {KeySighting{"/srv/bundle.pem", SourceFormat::pem, chain.leaf_key.spki_sha256(), KeyState::readable}};
    FileObservations copy;
    copy.certificates = {sighting(chain.leaf, "/opt/app/copy.p12", SourceFormat::pkcs12, 0)};
    copy.keys = {KeySighting{"/opt/app/copy.p12", SourceFormat::pkcs12, chain.leaf_key.spki_sha256(), KeyState::readable},
                 KeySighting{"/opt/app/locked.key", SourceFormat::pem, std::nullopt, KeyState::encrypted}};
    copy.events = {ScanEvent{"/opt/app/big.bin", "too_large", "11 MiB", EventLevel::error},
                   ScanEvent{"/opt/app/store.jks", "integrity_unverified", "no password", EventLevel::note}};
    inv->record(scan, {bundle});
    inv->record(scan, {copy});
    inv->finish_scan(scan, inventory::ScanStatus::complete, {.files_walked = 3, .certificates_seen = 3, .keys_seen = 3,
                                                             .errors = 1, .notes = 1});

    const auto latest = inv->queries().latest_scan();
    REQUIRE(latest);
    CHECK(latest->id == scan);
    CHECK(latest->status == inventory::ScanStatus::complete);
    CHECK(latest->finished_at);
    CHECK(latest->counts.files_walked == 3);
    CHECK(latest->parameters_json == R"({"files":["/etc/ssl"]})");

    const auto contents = inv->queries().scan_contents(scan);
    REQUIRE(contents.certificates.size() == 2);
    // Ordered by expiry: the 90-day leaf before the 5-year intermediate.
    const auto& leaf = contents.certificates[0];
    CHECK(leaf.cert.sha256 == chain.leaf.sha256());
    const auto expected = describe_certificate(chain.leaf.der);
    CHECK(leaf.cert.subject == expected.subject);
    CHECK(leaf.cert.dns_names == expected.dns_names);
    CHECK(leaf.cert.ext_key_usage == expected.ext_key_usage);
    CHECK(leaf.cert.not_after == expected.not_after);
    CHECK(leaf.cert.key_curve == "prime256v1");
    REQUIRE(leaf.sightings.size() == 2);
    CHECK(leaf.sightings[0].location.path == "/opt/app/copy.p12");
    CHECK(leaf.sightings[0].location.format == SourceFormat::pkcs12);
    CHECK(leaf.sightings[1].location.path == "/srv/bundle.pem");
    CHECK(contents.certificates[1].sightings[0].location.index == 1);
    CHECK(contents.certificates[1].cert.path_length == 0);

    REQUIRE(contents.keys.size() == 2);
    CHECK(contents.keys[0].spki_sha256 == chain.leaf_key.spki_sha256());
    CHECK(contents.keys[0].locations.size() == 2);
    CHECK_FALSE(contents.keys[1].spki_sha256);
    CHECK(contents.keys[1].state == KeyState::encrypted);

    REQUIRE(contents.events.size() == 2);
    CHECK(contents.events[0].reason == "too_large");
    CHECK(contents.events[1].level == EventLevel::note);
}

TEST_CASE("inventory: scans are kept apart and certificates stored once", "[inventory]") {
    TempDir dir;
    const auto path = new_inventory(GENERATE(Store::sqlite, Store::postgresql), dir);
    const auto cert = TestCert::make({.subject_cn = "shared"}, TestKey::shared());
    inventory::ScanId first = 0, second = 0;
    {
        auto inv = inventory::open_inventory(path);
        first = inv->begin_scan("files", "{}", {});
        FileObservations obs;
        obs.certificates = {sighting(cert, "/a.pem", SourceFormat::pem, 0)};
        inv->record(first, {obs});
        inv->finish_scan(first, inventory::ScanStatus::complete, {});
    }
    auto inv = inventory::open_inventory(path);  // reopening keeps everything
    second = inv->begin_scan("files", "{}", {});
    FileObservations obs;
    obs.certificates = {sighting(cert, "/b.pem", SourceFormat::pem, 0)};
    inv->record(second, {obs});
    inv->finish_scan(second, inventory::ScanStatus::complete, {});

    CHECK(inv->queries().scan_contents(first).certificates.at(0).sightings.at(0).location.path == "/a.pem");
    const auto later = inv->queries().scan_contents(second);
    // History spans scans: first seen in the first, last seen in the second.
    CHECK(later.certificates.at(0).first_seen == inv->queries().find_scan(first)->started_at);
    CHECK(later.certificates.at(0).last_seen == inv->queries().find_scan(second)->started_at);
    REQUIRE(later.certificates.size() == 1);
    CHECK(later.certificates[0].sightings.size() == 1);
    CHECK(later.certificates[0].sightings[0].location.path == "/b.pem");
    CHECK(inv->queries().latest_scan()->id == second);
    CHECK_FALSE(inv->queries().find_scan(second + 10));
    CHECK_THROWS_AS(inv->queries().scan_contents(second + 10), inventory::InventoryError);
}

TEST_CASE("inventory: a scan whose process died is marked interrupted by the next one", "[inventory]") {
    TempDir dir;
    const auto path = (dir / "inv.db").string();
    { auto inv = inventory::open_sqlite_inventory(path); }
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        auto inv = inventory::open_sqlite_inventory(path);
        inv->begin_scan("files", "{}", {});
        ::_exit(0);  // as if killed: the scan never finishes
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    auto inv = inventory::open_sqlite_inventory(path);
    CHECK(inv->queries().latest_scan()->status == inventory::ScanStatus::running);
    const auto next = inv->begin_scan("files", "{}", {});
    CHECK(inv->queries().find_scan(next - 1)->status == inventory::ScanStatus::interrupted);
    CHECK(inv->queries().find_scan(next)->status == inventory::ScanStatus::running);
}

TEST_CASE("inventory: a version 11 inventory gains runs, its scans in none", "[inventory]") {
    TempDir dir;
    const auto path = (dir / "inv.db").string();
    inventory::ScanId scan = 0;
    {
        auto inv = inventory::open_sqlite_inventory(path);
        scan = inv->begin_scan("files", "{}", {});
        inv->finish_scan(scan, inventory::ScanStatus::complete, {});
    }
    sql_value(path, "DROP TABLE scan_runs; PRAGMA user_version = 11");

    auto inv = inventory::open_sqlite_inventory(path);
    CHECK(sql_value(path, "PRAGMA user_version") == kCurrentSchema);
    const auto old = inv->queries().find_scan(scan);
    REQUIRE(old);
    CHECK(old->run.run.empty());
    CHECK(old->uuid.size() == 36);  // every scan stored before has an identity for push
    CHECK(old->uuid[14] == '4');
    const auto joined = inv->begin_scan("files", "{}", {}, {"nightly", "slot", 0, 0});
    inv->finish_scan(joined, inventory::ScanStatus::complete, {});
    const auto runs = inv->queries().runs();
    REQUIRE(runs.size() == 1);
    CHECK(runs.front().members.at(0).id == joined);
}

TEST_CASE("inventory: a version 13 inventory's endpoints are in no site, the same address at a site is another",
          "[inventory]") {
    TempDir dir;
    const auto path = (dir / "inv.db").string();
    const auto leaf = TestCert::make({.subject_cn = "vpn.example"}, TestKey::shared({}, 3));
    EndpointObservationRecord probe;
    probe.facts = EndpointFacts{.host = "10.0.0.5", .address = "10.0.0.5", .port = 443, .status = EndpointStatus::tls};
    probe.chain.push_back(ChainCertificate{std::make_shared<const CertInfo>(describe_certificate(leaf.der)),
                                           std::make_shared<const Bytes>(leaf.der)});
    {
        auto inv = inventory::open_sqlite_inventory(path);
        const auto scan = inv->begin_scan("network", "{}", {});
        inv->record_endpoints(scan, {probe});
        inv->finish_scan(scan, inventory::ScanStatus::complete, {});
    }
    // As version 13 left it: an endpoint was (host, address, port, server name) wherever it was scanned from.
    sql_value(path, "CREATE TABLE old_endpoints (id INTEGER PRIMARY KEY, host TEXT NOT NULL, address TEXT NOT NULL, "
                    "port INTEGER NOT NULL, server_name TEXT NOT NULL, UNIQUE (host, address, port, server_name)); "
                    "INSERT INTO old_endpoints SELECT id, host, address, port, server_name FROM endpoints; DROP TABLE "
                    "endpoints; ALTER TABLE old_endpoints RENAME TO endpoints; PRAGMA user_version = 13");

    auto inv = inventory::open_sqlite_inventory(path);
    CHECK(sql_value(path, "PRAGMA user_version") == kCurrentSchema);
    CHECK(sql_value(path, "SELECT count(*) FROM endpoints WHERE site = ''") == "1");
    const auto elsewhere = inv->begin_scan("network", R"({"site":"dc2"})", {});
    probe.facts.site = "dc2";
    inv->record_endpoints(elsewhere, {probe});
    inv->finish_scan(elsewhere, inventory::ScanStatus::complete, {});
    const auto endpoints = inv->queries().endpoints(inventory::Filter{});
    REQUIRE(endpoints.size() == 2);
    CHECK(endpoints[0].facts.site.empty());
    CHECK(endpoints[1].facts.site == "dc2");
}

TEST_CASE("inventory: an older inventory is brought up to date with its scans kept", "[inventory]") {
    TempDir dir;
    const auto path = (dir / "inv.db").string();
    const auto cert = TestCert::make({.subject_cn = "kept"}, TestKey::shared());
    inventory::ScanId scan = 0;
    {
        auto inv = inventory::open_sqlite_inventory(path);
        scan = inv->begin_scan("files", "{}", {});
        FileObservations obs;
        obs.certificates = {sighting(cert, "/kept.pem", SourceFormat::pem, 0)};
        obs.keys = {KeySighting{"/kept.key", SourceFormat::pem, "ab", KeyState::readable}};
        inv->record(scan, {obs});
        inv->finish_scan(scan, inventory::ScanStatus::complete, {});
    }
    // As version 4 left it: its indexes led by certificate, by place and by key, and no key file in the current
    // view.
    sql_value(path,
              "CREATE INDEX sightings_by_location ON sightings(location_id, scan_id); CREATE INDEX "
              "key_sightings_by_spki ON key_sightings(spki_sha256, scan_id); DROP INDEX "
              "certificates_by_first_seen_spki; CREATE INDEX certificates_by_spki ON certificates(spki_sha256); "
              "DROP INDEX certificates_by_issuer; CREATE INDEX certificates_by_issuer ON certificates(issuer); "
              "DELETE FROM location_latest; PRAGMA user_version = 4");

    auto inv = inventory::open_sqlite_inventory(path);
    CHECK(sql_value(path, "PRAGMA user_version") == kCurrentSchema);
    CHECK(sql_value(path, "SELECT count(*) FROM sqlite_master WHERE name IN ('sightings_by_location', "
                          "'key_sightings_by_spki', 'certificates_by_spki')") == "0");
    CHECK(sql_value(path, "SELECT count(*) FROM sqlite_master WHERE name IN ('certificates_by_first_seen_spki', "
                          "'certificates_by_signer_subject') OR (name = 'certificates_by_issuer' AND sql LIKE "
                          "'%WHERE self_issued = 0')") == "3");
    CHECK(sql_value(path, "SELECT count(*) FROM location_latest") == "2");
    const auto contents = inv->queries().scan_contents(scan);
    REQUIRE(contents.certificates.size() == 1);
    CHECK(contents.certificates[0].sightings.at(0).location.path == "/kept.pem");
    CHECK(contents.keys.at(0).locations.at(0).path == "/kept.key");
}

TEST_CASE("inventory: a version 7 inventory gains name checks, its verdicts read as they were stored",
          "[inventory]") {
    TempDir dir;
    const auto path = (dir / "inv.db").string();
    const auto endpoint = [](const std::string& address, NameCheck check, const std::string& detail) {
        EndpointObservationRecord record;
        record.facts.host = record.facts.address = address;
        record.facts.port = 443;
        record.facts.status = EndpointStatus::tls;
        record.facts.verdict.name_check = check;
        record.facts.verdict.name_check_detail = detail;
        return record;
    };
    const auto checks_of = [](inventory::Inventory& inv, inventory::ScanId scan) {
        std::vector<std::pair<NameCheck, std::string>> checks;
        for (const auto& e : inv.queries().scan_contents(scan).endpoints)
            checks.emplace_back(e.facts.verdict.name_check, e.facts.verdict.name_check_detail);
        return checks;
    };
    inventory::ScanId old_scan = 0;
    {
        auto inv = inventory::open_sqlite_inventory(path);
        old_scan = inv->begin_scan("network", "{}", {});
        inv->record_endpoints(old_scan, {endpoint("192.0.2.1", NameCheck::matched, ""),
                                         endpoint("192.0.2.2", NameCheck::mismatched, "")});
        inv->finish_scan(old_scan, inventory::ScanStatus::complete, {});
    }
    // As version 7 left it: the outcome in hostname_match alone.
    sql_value(path, "ALTER TABLE endpoint_observations DROP COLUMN name_check; ALTER TABLE endpoint_observations "
                    "DROP COLUMN name_check_detail; PRAGMA user_version = 7");

    auto inv = inventory::open_sqlite_inventory(path);
    CHECK(sql_value(path, "PRAGMA user_version") == kCurrentSchema);
    CHECK(sql_value(path, "SELECT count(*) FROM pragma_table_info('endpoint_observations') WHERE name IN "
                          "('name_check', 'name_check_detail')") == "2");
    using Checks = std::vector<std::pair<NameCheck, std::string>>;
    CHECK(checks_of(*inv, old_scan) == Checks{{NameCheck::matched, ""}, {NameCheck::mismatched, ""}});

    const auto scan = inv->begin_scan("network", "{}", {});
    const std::string unchecked = "no name to check: probed by address 192.0.2.3 and the certificate has no IP SANs";
    inv->record_endpoints(scan, {endpoint("192.0.2.3", NameCheck::not_checked, unchecked)});
    inv->finish_scan(scan, inventory::ScanStatus::complete, {});
    CHECK(checks_of(*inv, scan) == Checks{{NameCheck::not_checked, unchecked}});
    // hostname_match keeps meaning "no mismatch" for whatever reads the column alone.
    CHECK(sql_value(path, "SELECT hostname_match FROM endpoint_observations WHERE scan_id = " + std::to_string(scan)) ==
          "1");
}

TEST_CASE("inventory: version 8 finds which certificates older versions stored with their key", "[inventory]") {
    TempDir dir;
    const auto path = (dir / "inv.db").string();
    const auto key = TestKey::shared({}, 3);
    const auto cert = TestCert::make({.subject_cn = "keyed", .is_ca = true}, key);
    const auto other = TestCert::make({.subject_cn = "other"}, TestKey::shared({}, 4));
    inventory::ScanId scan = 0;
    {
        auto inv = inventory::open_sqlite_inventory(path);
        scan = inv->begin_scan("files", "{}", {});
        FileObservations obs;
        obs.certificates = {sighting(cert, "/srv/tls.pem", SourceFormat::pem, 0),
                            sighting(other, "/srv/tls.pem", SourceFormat::pem, 1)};
        obs.keys = {KeySighting{"/srv/tls.pem", SourceFormat::pem, key.spki_sha256(), KeyState::readable}};
        inv->record(scan, {obs});
        inv->finish_scan(scan, inventory::ScanStatus::complete, {});
    }
    // As version 7 left it: no table of these facts.
    sql_value(path, "DROP TABLE key_certificate_sightings; DROP TABLE system_anchor_sightings; PRAGMA user_version = 7");

    auto inv = inventory::open_sqlite_inventory(path);
    CHECK(sql_value(path, "PRAGMA user_version") == kCurrentSchema);
    const auto contents = inv->queries().scan_contents(scan);
    std::map<std::string, bool> with_key;
    for (const auto& stored : contents.certificates) with_key[stored.cert.subject] = stored.sightings.at(0).with_private_key;
    CHECK(with_key == std::map<std::string, bool>{{"CN=keyed", true}, {"CN=other", false}});
}

TEST_CASE("inventory: a version 8 inventory gains place states, an endpoint that timed out keeps its certificate",
          "[inventory]") {
    TempDir dir;
    const auto path = (dir / "inv.db").string();
    const auto cert = TestCert::make({.subject_cn = "timed-out.example"}, TestKey::shared({}, 3));
    const auto probe = [&](EndpointStatus status) {
        EndpointObservationRecord record;
        record.facts.host = record.facts.address = "192.0.2.1";
        record.facts.port = 443;
        record.facts.status = status;
        if (status == EndpointStatus::tls)
            record.chain.push_back(ChainCertificate{std::make_shared<const CertInfo>(describe_certificate(cert.der)),
                                                    std::make_shared<const Bytes>(cert.der)});
        return record;
    };
    {
        auto inv = inventory::open_sqlite_inventory(path);
        for (const auto status : {EndpointStatus::tls, EndpointStatus::timeout}) {
            const auto scan = inv->begin_scan("network", "{}", {});
            inv->record_endpoints(scan, {probe(status)});
            inv->finish_scan(scan, inventory::ScanStatus::complete, {});
        }
    }
    // As version 8 left it: no place states, and the endpoint's current view at its latest probe, which found
    // nothing.
    sql_value(path, "DROP VIEW current_locations; DROP VIEW current_endpoints; DROP TABLE place_states; DROP TABLE "
                    "place_transitions; UPDATE endpoint_latest SET scan_id = 2; PRAGMA user_version = 8");
    REQUIRE(sql_value(path, "SELECT count(*) FROM endpoint_latest WHERE scan_id = 2") == "1");

    auto inv = inventory::open_sqlite_inventory(path);
    CHECK(sql_value(path, "PRAGMA user_version") == kCurrentSchema);
    CHECK(sql_value(path, "SELECT scan_id FROM endpoint_latest") == "1");
    const auto certificates = inv->queries().certificates(inventory::Filter{});
    REQUIRE(certificates.size() == 1);
    CHECK(certificates[0].cert.subject == "CN=timed-out.example");
    // The next scan that times out finds it unseen.
    const auto scan = inv->begin_scan("network", "{}", {});
    inv->record_endpoints(scan, {probe(EndpointStatus::timeout)});
    inv->finish_scan(scan, inventory::ScanStatus::complete, {});
    const auto coverage = inv->queries().coverage(scan);
    REQUIRE(coverage.unseen.size() == 1);
    CHECK(coverage.unseen[0].reason == "timeout");
}

TEST_CASE("inventory: a version 9 inventory keys its file places by host, all of them on this machine",
          "[inventory]") {
    TempDir dir;
    const auto path = (dir / "inv.db").string();
    const auto cert = TestCert::make({.subject_cn = "server"}, TestKey::shared({}, 3));
    const auto rotated = TestCert::make({.subject_cn = "server"}, TestKey::shared({}, 4));
    inventory::ScanId scan = 0;
    {
        auto inv = inventory::open_sqlite_inventory(path);
        scan = inv->begin_scan("files", R"({"files":["/etc/nginx"]})", {});
        FileObservations obs;
        obs.certificates = {sighting(cert, "/etc/nginx/server.crt", SourceFormat::pem, 0)};
        inv->record(scan, {obs});
        inv->finish_scan(scan, inventory::ScanStatus::complete, {});
    }
    // As version 9 left it: a file place is (kind, path, format), and scans name no host.
    sql_value(path, "CREATE TABLE old_locations (id INTEGER PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN "
                    "('file')), path TEXT NOT NULL, format TEXT NOT NULL, UNIQUE (kind, path, format)); INSERT INTO "
                    "old_locations SELECT id, kind, path, format FROM locations; DROP TABLE locations; ALTER TABLE "
                    "old_locations RENAME TO locations; PRAGMA user_version = 9");

    auto inv = inventory::open_sqlite_inventory(path);
    CHECK(sql_value(path, "PRAGMA user_version") == kCurrentSchema);
    CHECK(sql_value(path, "SELECT host || ' ' || path FROM locations") == this_host().name + " /etc/nginx/server.crt");
    const auto places_of = [&](const TestCert& c) {
        const auto detail = inv->queries().certificate(c.sha256(), inventory::Filter{});
        return detail ? detail->places : std::vector<inventory::PlaceSeen>{};
    };
    const auto places = places_of(cert);
    REQUIRE(places.size() == 1);
    CHECK(places[0].place.display() == "/etc/nginx/server.crt");
    // The same path on another host is another place: its certificate is no rotation of this one.
    const auto other = inv->begin_scan("files", R"({"files":["/etc/nginx"],"host":"web2"})", {});
    FileObservations obs;
    obs.certificates = {sighting(rotated, "/etc/nginx/server.crt", SourceFormat::pem, 0)};
    inv->record(other, {obs});
    inv->finish_scan(other, inventory::ScanStatus::complete, {});
    CHECK(places_of(cert).size() == 1);
    const auto web2 = places_of(rotated);
    REQUIRE(web2.size() == 1);
    CHECK(web2[0].place.host == "web2");
    CHECK(web2[0].place.display() == "web2:/etc/nginx/server.crt");
    CHECK(inv->queries().coverage(other).gone == 0);
    const auto diff = inv->queries().diff(scan, other);
    CHECK(diff.rotated.empty());
    REQUIRE(diff.new_places.size() == 1);
    CHECK(diff.new_places[0].place.host == "web2");
}

TEST_CASE("inventory: every id the writer stores names a row", "[inventory]") {
    // The schema declares its foreign keys, but the writer leaves them unenforced (a lookup per sighting in each
    // parent table); this checks them all on an inventory that has every kind of row.
    TempDir dir;
    const auto path = (dir / "inv.db").string();
    const auto chain = make_chain("keys.example");
    {
        auto inv = inventory::open_sqlite_inventory(path);
        for (int round = 0; round < 2; ++round) {
            const auto scan = inv->begin_scan("files+network", "{}", {{"env", "test"}});
            FileObservations obs;
            obs.certificates = {sighting(chain.leaf, "/chain.pem", SourceFormat::pem, 0),
                                sighting(chain.intermediate, "/chain.pem", SourceFormat::pem, 1),
                                sighting(chain.root, "/bundle.pem", SourceFormat::pem, 0)};
            obs.certificates.back().trust_anchor = true;
            obs.keys = {KeySighting{"/chain.key", SourceFormat::pem, "ab", KeyState::readable}};
            obs.labels = {{"owner", "shop"}};
            EndpointObservationRecord endpoint;
            endpoint.facts.host = endpoint.facts.address = "127.0.0.1";
            endpoint.facts.port = 443;
            endpoint.facts.status = EndpointStatus::tls;
            endpoint.chain = {ChainCertificate{std::make_shared<const CertInfo>(describe_certificate(chain.leaf.der)),
                                               std::make_shared<const Bytes>(chain.leaf.der)}};
            endpoint.labels = {{"owner", "shop"}};
            inv->record(scan, {obs});
            inv->record_endpoints(scan, {endpoint});
            inv->finish_scan(scan, inventory::ScanStatus::complete, {});
            inv->record_findings(scan, {});
        }
    }
    CHECK(sql_value(path, "SELECT count(*) FROM certificate_issuers") == "2");
    CHECK(sql_value(path, "SELECT count(*) FROM pragma_foreign_key_check") == "0");
}

TEST_CASE("inventory: a batch that fails leaves nothing the next batch relies on", "[inventory]") {
    // Whatever the writer remembers between batches (the last place, issuer candidates, pending signature checks)
    // must not outlive a rolled-back batch, or the next one would record sightings of rows that are not there
    // (SQLite reuses the rolled-back row ids).
    TempDir dir;
    const auto path = (dir / "inv.db").string();
    const auto cert = TestCert::make({.subject_cn = "retried"}, TestKey::shared());
    FileObservations obs;
    obs.certificates = {sighting(cert, "/retried.pem", SourceFormat::pem, 0)};
    auto inv = inventory::open_sqlite_inventory(path);
    const auto scan = inv->begin_scan("files", "{}", {});
    sql_value(path, "CREATE TRIGGER refuse BEFORE INSERT ON sightings BEGIN SELECT RAISE(ABORT, 'refused'); END");
    CHECK_THROWS_AS(inv->record(scan, {obs}), inventory::InventoryError);
    // The certificate was committed before the batch, on its own; the batch's rows went with its rollback.
    CHECK(sql_value(path, "SELECT count(*) FROM certificates") == "1");
    CHECK(sql_value(path, "SELECT count(*) FROM locations") == "0");

    sql_value(path, "DROP TRIGGER refuse");
    inv->record(scan, {obs});
    inv->finish_scan(scan, inventory::ScanStatus::complete, {});
    CHECK(sql_value(path, "SELECT count(*) FROM certificates") == "1");
    CHECK(sql_value(path, "SELECT count(*) FROM pragma_foreign_key_check") == "0");
    REQUIRE(inv->queries().scan_contents(scan).certificates.size() == 1);
}

TEST_CASE("inventory: a scan whose pid a new process reuses is still found dead", "[inventory]") {
    TempDir dir;
    const auto path = (dir / "inv.db").string();
    auto inv = inventory::open_sqlite_inventory(path);
    const auto mine = inv->begin_scan("files", "{}", {});
    const auto reused = inv->begin_scan("files", "{}", {});
    // Both carry this process's pid; the second's owner started at another moment, so it is another process.
    sql_value(path, "UPDATE scan_owners SET start_ticks = start_ticks + 1 WHERE scan_id = " + std::to_string(reused));
    inv->begin_scan("files", "{}", {});
    CHECK(inv->queries().find_scan(mine)->status == inventory::ScanStatus::running);
    CHECK(inv->queries().find_scan(reused)->status == inventory::ScanStatus::interrupted);
}

TEST_CASE("inventory: a scan completes in one transaction with its conclusions and its findings", "[inventory]") {
    TempDir dir;
    const auto path = (dir / "inv.db").string();
    const auto cert = TestCert::make({.subject_cn = "found", .not_after_days = -1}, TestKey::shared());
    auto inv = inventory::open_sqlite_inventory(path);
    const auto scan = inv->begin_scan("files", "{}", {});
    FileObservations obs;
    obs.certificates = {sighting(cert, "/found.pem", SourceFormat::pem, 0)};
    inv->record(scan, {obs});

    // An evaluation that fails leaves nothing of the end behind: still running, no view, no findings.
    CHECK_THROWS(inv->finish_scan(scan, inventory::ScanStatus::complete, {},
                                  [](inventory::InventoryQueries&, inventory::ScanId) -> std::vector<Finding> {
                                      throw std::runtime_error("killed mid-evaluation");
                                  }));
    CHECK(inv->queries().find_scan(scan)->status == inventory::ScanStatus::running);
    CHECK(sql_value(path, "SELECT count(*) FROM location_latest") == "0");

    // The evaluator sees the view the scan's conclusions make, before they are committed.
    std::size_t seen = 0;
    inv->finish_scan(scan, inventory::ScanStatus::complete, {.certificates_seen = 1},
                     [&](inventory::InventoryQueries& queries, inventory::ScanId) {
                         seen = queries.certificates({}).size();
                         return std::vector<Finding>{
                             {.rule_id = "expired", .severity = Severity::critical, .sha256 = cert.sha256(),
                              .location = "/found.pem", .message = "expired", .days_left = -1}};
                     });
    CHECK(seen == 1);
    const auto contents = inventory::open_sqlite_queries(path)->scan_contents(scan);
    CHECK(contents.scan.status == inventory::ScanStatus::complete);
    REQUIRE(contents.findings.size() == 1);
    CHECK(contents.findings[0].rule_id == "expired");
}

TEST_CASE("inventory: a reader's snapshot answers as of one moment while a writer goes on", "[inventory]") {
    TempDir dir;
    const auto path = new_inventory(GENERATE(Store::sqlite, Store::postgresql), dir);
    auto inv = inventory::open_inventory(path);
    inv->finish_scan(inv->begin_scan("files", "{}", {}), inventory::ScanStatus::complete, {});
    auto reader = inventory::open_queries(path);
    {
        const auto snapshot = reader->snapshot();
        CHECK(reader->scans().size() == 1);
        inv->finish_scan(inv->begin_scan("files", "{}", {}), inventory::ScanStatus::complete, {});
        CHECK(reader->scans().size() == 1);
        CHECK(reader->latest_scan()->id == 1);
    }
    CHECK(reader->scans().size() == 2);
}

TEST_CASE("inventory: the latest finished scan skips one still running", "[inventory]") {
    TempDir dir;
    const auto path = new_inventory(GENERATE(Store::sqlite, Store::postgresql), dir);
    auto inv = inventory::open_inventory(path);
    const auto done = inv->begin_scan("files", "{}", {});
    inv->finish_scan(done, inventory::ScanStatus::complete, {});
    const auto running = inv->begin_scan("files", "{}", {});
    auto reader = inventory::open_queries(path);
    CHECK(reader->latest_scan()->id == running);
    CHECK(reader->latest_finished_scan()->id == done);
}

TEST_CASE("inventory: a scan killed while it finishes is not complete, and the next scan concludes it", "[inventory]") {
    TempDir dir;
    const auto path = new_inventory(GENERATE(Store::sqlite, Store::postgresql), dir);
    const auto cert = TestCert::make({.subject_cn = "kept"}, TestKey::shared());
    { auto inv = inventory::open_inventory(path); }
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        auto inv = inventory::open_inventory(path);
        const auto scan = inv->begin_scan("files", "{}", {});
        FileObservations obs;
        obs.certificates = {sighting(cert, "/kept.pem", SourceFormat::pem, 0)};
        inv->record(scan, {obs});
        // Killed between its conclusions and its findings, as kill -9 would.
        inv->finish_scan(scan, inventory::ScanStatus::complete, {},
                         [](inventory::InventoryQueries&, inventory::ScanId) -> std::vector<Finding> {
                             ::_exit(9);
                         });
        ::_exit(0);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    REQUIRE(WEXITSTATUS(status) == 9);
    auto inv = inventory::open_inventory(path);
    CHECK(inv->queries().find_scan(1)->status == inventory::ScanStatus::running);
    inv->begin_scan("files", "{}", {});
    CHECK(inv->queries().find_scan(1)->status == inventory::ScanStatus::interrupted);
    CHECK(inv->queries().certificates({}).size() == 1);  // what it stored is in the view
}
