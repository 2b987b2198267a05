#pragma once
// The store an inventory test runs on. A test that takes `GENERATE(Store::sqlite, Store::postgresql)` runs once on
// an SQLite file and once on a database of this process's private PostgreSQL cluster: both stores are held to the
// same answers.
#include <catch2/catch.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "core/certificate.hpp"
#include "inventory/pg_connection.hpp"
#include "testkit/cert_factory.hpp"
#include "tests/unit/pg_test_cluster.hpp"

namespace certfleet::testing {

enum class Store { sqlite, postgresql };

// A new, empty inventory of that store: a file in `dir`, or a database of its own.
inline std::string new_inventory(Store store, const TempDir& dir) {
    if (store == Store::sqlite) return (dir / "inventory.db").string();
    static int databases = 0;
    return test_cluster().create_database("store_" + std::to_string(++databases));
}

// A PEM file's certificate at `index`, as the scanner reports it.
inline CertificateSighting pem_sighting(const TestCert& cert, const std::string& path, int index) {
    return CertificateSighting{std::make_shared<const CertInfo>(describe_certificate(cert.der)),
                               std::make_shared<const Bytes>(cert.der), FileLocation{path, SourceFormat::pem, index}};
}

// On PostgreSQL, json_valid() (which the coverage question calls) made to fail, as a parallel worker once did, the
// statements calling it once the newest scan is no longer running: those of its rules, in its end's transaction.
// Until destroyed; on SQLite nothing fails.
class FailingJsonValid {
public:
    FailingJsonValid(Store store, const std::string& db) {
        if (store != Store::postgresql) return;
        connection_.emplace(db, std::chrono::seconds(10));
        connection_->exec("ALTER FUNCTION json_valid(TEXT) RENAME TO json_valid_kept; CREATE FUNCTION json_valid(document "
                          "TEXT) RETURNS BOOLEAN LANGUAGE plpgsql AS $$ BEGIN IF (SELECT status FROM scans ORDER BY id DESC "
                          "LIMIT 1) != 'running' THEN RAISE EXCEPTION 'json_valid failed'; END IF; RETURN "
                          "json_valid_kept(document); END $$");
    }
    ~FailingJsonValid() {
        if (connection_)
            connection_->exec("DROP FUNCTION json_valid(TEXT); ALTER FUNCTION json_valid_kept(TEXT) RENAME TO json_valid");
    }
    FailingJsonValid(const FailingJsonValid&) = delete;
    FailingJsonValid& operator=(const FailingJsonValid&) = delete;

private:
    std::optional<inventory::pg::Connection> connection_;
};

}  // namespace certfleet::testing
