// End-to-end: the command line as users type it.
#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/e2e/certfleet_binary.hpp"
#include "testkit/cert_factory.hpp"

using namespace certfleet;
using namespace certfleet::testing;

TEST_CASE("e2e: --db is taken before or after the subcommand", "[e2e][cli]") {
    TempDir dir;
    write_file(dir / "tree/a.pem", TestCert::make({.subject_cn = "a.example"}, TestKey::shared()).pem());
    const std::string before = (dir / "before.db").string(), after = (dir / "after.db").string();

    const auto scan_before = run_process({kBinary, "--db", before, "scan", "--files", (dir / "tree").string(), "--no-progress"});
    INFO(scan_before.err);
    REQUIRE(scan_before.exit_code == 0);
    const auto scan_after = run_process({kBinary, "scan", "--files", (dir / "tree").string(), "--no-progress", "--db", after});
    INFO(scan_after.err);
    REQUIRE(scan_after.exit_code == 0);
    CHECK(std::filesystem::exists(after));
    CHECK_FALSE(std::filesystem::exists(dir / "certfleet.db"));

    // After a nested subcommand too, and in the --db=FILE spelling.
    const auto certs = run_process({kBinary, "inventory", "certs", "--format", "json", "--db=" + after});
    INFO(certs.err);
    CHECK(certs.exit_code == 0);
    CHECK(certs.out.find("a.example") != std::string::npos);
    const auto report = run_process({kBinary, "report", "--db", before, "--format", "json"});
    CHECK(report.exit_code == 0);
    CHECK(report.out.find("a.example") != std::string::npos);

    // An option no command knows is still refused, naming it.
    const auto unknown = run_process({kBinary, "report", "--db", before, "--no-such-flag"});
    CHECK(unknown.exit_code == 2);
    CHECK(unknown.err.find("--no-such-flag") != std::string::npos);
}

TEST_CASE("e2e: a target typed after --files is refused with the fix and not walked as a missing path", "[e2e][cli]") {
    TempDir dir;
    write_file(dir / "tree/a.pem", TestCert::make({}, TestKey::shared()).pem());
    const std::string db = (dir / "inventory.db").string(), tree = (dir / "tree").string();
    for (const std::string target : {"127.0.0.1:8443", "127.0.0.1", "[::1]:443", "localhost:993"}) {
        const auto scan = run_certfleet(db, {"scan", "--files", tree, target, "--no-progress"});
        INFO(target << ": " << scan.err);
        CHECK(scan.exit_code == 2);
        CHECK(scan.err.find("certfleet scan " + target + " --files PATH") != std::string::npos);
    }
    CHECK_FALSE(std::filesystem::exists(db));

    // A missing path that does not read as a target is still a path the scan reports as not found.
    const auto missing = run_certfleet(db, {"scan", "--files", tree, (dir / "no-such-dir").string(), "--no-progress"});
    INFO(missing.err);
    CHECK(missing.exit_code == 0);
}

TEST_CASE("e2e: a directory typed as a target is refused with --files as the fix", "[e2e][cli]") {
    TempDir dir;
    write_file(dir / "srv/a.pem", TestCert::make({}, TestKey::shared()).pem());
    const std::string db = (dir / "inventory.db").string(), srv = (dir / "srv").string();
    const auto scan = run_certfleet(db, {"scan", srv, "--no-progress"});
    INFO(scan.err);
    CHECK(scan.exit_code == 2);
    CHECK(scan.err.find(srv + " is a directory, not a network target: scan it with --files " + srv) !=
          std::string::npos);
    CHECK_FALSE(std::filesystem::exists(db));
}
