// End-to-end: the roles deploy/postgresql/roles.sql grants, as docs/fleet.md tells an administrator to apply them.
// A scanner records scans and cannot delete the history; a reader reports and cannot record.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/e2e/certfleet_binary.hpp"
#include "testkit/cert_factory.hpp"
#include "tests/unit/pg_test_cluster.hpp"
#include "testkit/process.hpp"

using namespace certfleet;
using namespace certfleet::testing;

namespace {

// psql as `user` on `database`, stopping at the first error.
ProcessResult psql_as(const std::string& user, const std::string& database, std::vector<std::string> args) {
    std::vector<std::string> argv{"psql", "host=" + test_cluster().socket_dir() + " user=" + user + " dbname=" + database,
                                  "-X", "-q", "-v", "ON_ERROR_STOP=1"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, {.timeout = std::chrono::seconds(60)});
}

}  // namespace

TEST_CASE("e2e postgres: the scanner and reader roles of roles.sql", "[e2e][pg][server]") {
    TempDir dir;
    const std::string owner_db = test_cluster().create_database("roles");
    const auto as_user = [&](const std::string& user) { return owner_db + " user=" + user; };
    write_file(dir / "tree/a.pem", TestCert::make({.subject_cn = "a.roles.test"}, TestKey::shared({}, 171)).pem());

    // The owner's first command creates the schema; then the roles and a login of each.
    CHECK(run_certfleet(owner_db, {"inventory", "scans"}).exit_code != 0);  // "no scans yet", schema made
    const auto roles = psql_as("postgres", "roles", {"-f", std::string(CERTFLEET_SOURCE_DIR) + "/deploy/postgresql/roles.sql"});
    INFO(roles.err);
    REQUIRE(roles.exit_code == 0);
    REQUIRE(psql_as("postgres", "roles",
                    {"-c", "DROP ROLE IF EXISTS dc1_scanner; DROP ROLE IF EXISTS ops_reader; "
                           "CREATE ROLE dc1_scanner LOGIN IN ROLE certfleet_scanner; "
                           "CREATE ROLE ops_reader LOGIN IN ROLE certfleet_reader"})
                .exit_code == 0);

    // The scanner scans (twice, so its second scan concludes over the first) and forgets.
    for (int round = 0; round < 2; ++round) {
        const auto scan = run_certfleet(as_user("dc1_scanner"), {"scan", "--files", (dir / "tree").string(), "--no-progress"});
        INFO(scan.err);
        REQUIRE(scan.exit_code == 0);
    }
    const auto forget = run_certfleet(as_user("dc1_scanner"), {"forget", (dir / "tree/a.pem").string()});
    INFO(forget.err);
    CHECK(forget.exit_code == 0);
    // ... but cannot delete what scans saw.
    for (const char* table : {"scans", "sightings", "certificates", "place_transitions"}) {
        const auto erase = psql_as("dc1_scanner", "roles", {"-c", std::string("DELETE FROM ") + table});
        INFO(table);
        CHECK(erase.exit_code != 0);
        CHECK(erase.err.find("permission denied") != std::string::npos);
    }

    // The reader reads every view of it and cannot record.
    for (const std::vector<std::string>& question : std::vector<std::vector<std::string>>{
             {"report", "--format", "json"}, {"report", "--scan", "1"}, {"inventory", "certs"}, {"diff"}, {"progress"}}) {
        const auto answer = run_certfleet(as_user("ops_reader"), question);
        INFO(question[0] << ": " << answer.err);
        CHECK(answer.exit_code == 0);
    }
    const auto refused = run_certfleet(as_user("ops_reader"), {"scan", "--files", (dir / "tree").string(), "--no-progress"});
    CHECK(refused.exit_code != 0);
    CHECK(refused.err.find("permission denied") != std::string::npos);
}
