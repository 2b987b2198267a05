// The PostgreSQL store's schema: made in an empty database, migrated once however many scanners start at once,
// refused when newer than this certfleet or when the database holds someone else's tables.
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "inventory/pg_schema.hpp"
#include "inventory/schema_version.hpp"
#include "tests/unit/pg_test_cluster.hpp"

using namespace certfleet;
using namespace certfleet::inventory;
using certfleet::testing::test_cluster;

namespace {

// A database as certfleet at `version` left it: the current schema, changed back by `sql`, marked `version`.
void made_by_version(const std::string& url, int version, const std::string& sql) {
    pg::Connection db(url, std::chrono::seconds(10));
    pg::migrate_schema(db);
    db.exec(sql + "; DELETE FROM certfleet_schema; INSERT INTO certfleet_schema (version) VALUES (" +
            std::to_string(version) + ")");
}

}  // namespace

TEST_CASE("pg schema: fifty scanners starting at once migrate an empty database exactly once", "[pg][server]") {
    auto& server = test_cluster();
    const std::string url = server.create_database("migrate_once");
    constexpr int kScanners = 50;
    std::vector<std::string> failures(kScanners);
    std::vector<std::thread> scanners;
    for (int i = 0; i < kScanners; ++i)
        scanners.emplace_back([&, i] {
            try {
                pg::Connection db(url, std::chrono::seconds(30));
                pg::migrate_schema(db);
            } catch (const std::exception& e) {
                failures[static_cast<std::size_t>(i)] = e.what();
            }
        });
    for (auto& scanner : scanners) scanner.join();
    for (const auto& failure : failures) {
        INFO(failure);
        CHECK(failure.empty());
    }

    pg::Connection db(url, std::chrono::seconds(10));
    CHECK(pg::schema_version(db) == kSchemaVersion);
    CHECK(db.value("SELECT count(*) FROM certfleet_schema") == "1");
    // The functions the shared questions use answer as SQLite's do.
    CHECK(db.value("SELECT json_extract('{\"host\":\"web1\",\"n\":{\"a\":[1,2]}}', '$.host')") == "web1");
    CHECK(db.value("SELECT json_extract('{\"n\":{\"a\":[1,2]}}', '$.n.a')") == "[1, 2]");
    CHECK_FALSE(db.value("SELECT json_extract('{}', '$.missing')"));
    CHECK(db.value("SELECT string_agg(value, ',' ORDER BY key) FROM json_each('{\"files\":[\"/a\",\"/b\"]}', "
                   "'$.files')") == "/a,/b");
    CHECK(db.value("SELECT count(*) FROM json_each('{\"files\":\"/a\"}', '$.files')") == "0");
    CHECK(db.value("SELECT string_agg(value, ',') FROM json_each('[\"x\",\"y\"]')") == "x,y");
    CHECK(db.value("SELECT json_valid('{') ") == "f");
    CHECK(db.value("SELECT instr('[\"keyCertSign\"]', '\"keyCertSign\"')") == "2");
    // Migrating again is a no-op.
    pg::migrate_schema(db);
    CHECK(db.value("SELECT count(*) FROM certfleet_schema") == "1");
}

TEST_CASE("pg schema: a newer inventory and someone else's database are refused, naming why", "[pg][server]") {
    auto& server = test_cluster();
    const std::string newer_url = server.create_database("newer");
    {
        pg::Connection db(newer_url, std::chrono::seconds(10));
        pg::migrate_schema(db);
        db.exec("INSERT INTO certfleet_schema (version) VALUES (" + std::to_string(kSchemaVersion + 1) + ")");
    }
    pg::Connection newer(newer_url, std::chrono::seconds(10));
    try {
        pg::migrate_schema(newer);
        FAIL("a newer schema is refused");
    } catch (const InventoryError& e) {
        const std::string message = e.what();
        CHECK(message.find("has schema version " + std::to_string(kSchemaVersion + 1) + ", newer than this "
                           "certfleet understands") != std::string::npos);
        CHECK(message.find("upgrade certfleet") != std::string::npos);
    }

    const std::string other_url = server.create_database("someone_else");
    pg::Connection other(other_url, std::chrono::seconds(10));
    other.exec("CREATE TABLE customers (id BIGINT)");
    try {
        pg::migrate_schema(other);
        FAIL("a database with other tables is refused");
    } catch (const InventoryError& e) {
        CHECK(std::string(e.what()).find("holds other tables") != std::string::npos);
    }
    CHECK(pg::schema_version(other) == 0);
    CHECK(other.value("SELECT to_regclass('scans') IS NULL") == "t");  // nothing was created
}

TEST_CASE("pg schema: a version 12 inventory's index of signing certificates is remade so the questions use it",
          "[pg][server]") {
    auto& server = test_cluster();
    const std::string url = server.create_database("signer_index");
    // As version 12 made it: a condition the planner could not match to the questions' own.
    made_by_version(url, 12,
                    "DROP INDEX certificates_by_signer_subject; CREATE INDEX certificates_by_signer_subject ON "
                    "certificates(subject) WHERE key_usage = '[]' OR strpos(key_usage, '\"keyCertSign\"') > 0");
    pg::Connection db(url, std::chrono::seconds(10));
    pg::migrate_schema(db);
    CHECK(pg::schema_version(db) == kSchemaVersion);
    db.exec("SET enable_seqscan = off; SET enable_bitmapscan = off");
    const auto plan = db.value("EXPLAIN SELECT id FROM certificates WHERE subject = 'CN=issuing ca' AND (key_usage = "
                               "'[]' OR instr(key_usage, '\"keyCertSign\"') > 0)");
    REQUIRE(plan);
    CHECK(plan->find("Index Scan using certificates_by_signer_subject") != std::string::npos);
}

TEST_CASE("pg schema: a version 13 inventory's endpoints gain a site, theirs none, and the key includes it",
          "[pg][server]") {
    auto& server = test_cluster();
    const std::string url = server.create_database("endpoint_sites");
    // As version 13 made it: an endpoint was (host, address, port, server name) wherever it was scanned from.
    made_by_version(url, 13, "ALTER TABLE endpoints DROP COLUMN site; ALTER TABLE endpoints ADD CONSTRAINT "
                    "endpoints_host_address_port_server_name_key UNIQUE (host, address, port, server_name); "
                    "INSERT INTO endpoints (host, address, port, server_name) VALUES ('10.0.0.5', '10.0.0.5', 443, "
                    "'')");
    pg::Connection db(url, std::chrono::seconds(10));
    pg::migrate_schema(db);
    CHECK(pg::schema_version(db) == kSchemaVersion);
    CHECK(db.value("SELECT count(*) FROM endpoints WHERE site = ''") == "1");
    db.exec("INSERT INTO endpoints (host, address, port, server_name, site) VALUES ('10.0.0.5', '10.0.0.5', 443, '', "
            "'dc2')");
    CHECK(db.value("SELECT count(*) FROM endpoints") == "2");
    CHECK(db.value("SELECT count(*) FROM pg_constraint WHERE conname = 'endpoints_host_address_port_server_name_key'") ==
          "0");
}

TEST_CASE("pg schema: a version 18 inventory's per-scan tables lose their foreign keys, the others keep theirs",
          "[pg][server]") {
    auto& server = test_cluster();
    const std::string url = server.create_database("unchecked_facts");
    const std::string foreign_keys_of =
        "SELECT string_agg(conrelid::regclass::text, ',' ORDER BY conrelid::regclass::text) FROM pg_constraint "
        "WHERE contype = 'f' AND conrelid::regclass::text IN ";
    // As version 18 made them: every reference checked.
    made_by_version(url, 18,
                    "ALTER TABLE sightings ADD FOREIGN KEY (scan_id) REFERENCES scans(id), ADD FOREIGN KEY "
                    "(certificate_id) REFERENCES certificates(id); ALTER TABLE location_labels ADD FOREIGN KEY "
                    "(location_id) REFERENCES locations(id); ALTER TABLE certificate_seen ADD FOREIGN KEY (last_scan) "
                    "REFERENCES scans(id)");
    pg::Connection db(url, std::chrono::seconds(10));
    pg::migrate_schema(db);
    CHECK(pg::schema_version(db) == kSchemaVersion);
    CHECK(db.value(foreign_keys_of + "('sightings', 'location_labels', 'certificate_seen')") == std::nullopt);
    // The views' tables leave room on each page for the next scan's versions of their rows.
    CHECK(db.value("SELECT reloptions::text FROM pg_class WHERE relname = 'certificate_seen'") == "{fillfactor=50}");
    // Tables written once per scan or per new certificate still have theirs.
    CHECK(db.value(foreign_keys_of + "('certificate_issuers', 'findings', 'scan_runs')") ==
          "certificate_issuers,certificate_issuers,findings,scan_runs");
}

TEST_CASE("pg schema: a version 19 inventory keeps statistics only of the certificate columns questions use",
          "[pg][server]") {
    auto& server = test_cluster();
    const std::string url = server.create_database("lean_statistics");
    const std::string zero_targets = "SELECT string_agg(attname, ',' ORDER BY attname) FROM pg_attribute WHERE "
                                     "attrelid = 'certificates'::regclass AND attnum > 0 AND attstattarget = 0";
    made_by_version(url, 19, "ALTER TABLE certificates ALTER COLUMN der SET STATISTICS -1, ALTER COLUMN serial SET "
                             "STATISTICS -1");
    pg::Connection db(url, std::chrono::seconds(10));
    CHECK(db.value(zero_targets).value_or("").find("der") == std::string::npos);
    pg::migrate_schema(db);
    CHECK(pg::schema_version(db) == kSchemaVersion);
    CHECK(db.value(zero_targets) ==
          "authority_key_id,der,dns_names,emails,ext_key_usage,ip_addresses,key_bits,key_curve,path_length,serial,"
          "signature_algorithm,subject_key_id,uris");
}
