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

TEST_CASE("e2e: a bare name that is a directory here is refused, with --files or a port as the fix", "[e2e][cli]") {
    TempDir dir;
    write_file(dir / "certs/a.pem", TestCert::make({}, TestKey::shared()).pem());
    const std::string db = (dir / "inventory.db").string();
    const auto scan = run_process({kBinary, "--db", db, "scan", "certs", "--no-progress"},
                                  ProcessOptions{.working_directory = dir.path().string()});
    INFO(scan.err);
    CHECK(scan.exit_code == 2);
    CHECK(scan.err.find("certs is a directory here: scan it with --files certs, or give certs:PORT") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(db));
}

TEST_CASE("e2e: a mistake in the owner map is refused before the scan, by file, line and column", "[e2e][cli]") {
    TempDir dir;
    write_file(dir / "srv/a.pem", TestCert::make({}, TestKey::shared()).pem());
    write_file(dir / "owners.txt", "# who owns what\n/srv/* owner\n");
    const std::string db = (dir / "inventory.db").string(), owners = (dir / "owners.txt").string();
    const auto scan =
        run_certfleet(db, {"scan", "--files", (dir / "srv").string(), "--owner-map", owners, "--no-progress"});
    INFO(scan.err);
    CHECK(scan.exit_code == 2);
    CHECK(scan.err.find(owners + ":2:8: label 'owner': expected key=value, got no '=' (write owner=VALUE)") !=
          std::string::npos);
    CHECK_FALSE(std::filesystem::exists(db));
}

TEST_CASE("e2e: an unknown --starttls protocol is answered with the one meant and the known ones", "[e2e][cli]") {
    TempDir dir;
    const std::string db = (dir / "inventory.db").string();
    const auto scan = run_certfleet(db, {"scan", "127.0.0.1:25", "--starttls", "stmp", "--no-progress"});
    INFO(scan.err);
    CHECK(scan.exit_code == 2);
    CHECK(scan.err.find("--starttls stmp: unknown protocol (did you mean 'smtp'?); the protocols are smtp, imap, pop3, "
                        "ftp, ldap, postgres, xmpp, mysql, nats") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(db));
}

TEST_CASE("e2e: a mistyped command or option is named with the one meant", "[e2e][cli]") {
    TempDir dir;
    const std::string db = (dir / "inventory.db").string();
    const auto command = run_certfleet(db, {"scna", "--files", dir.path().string()});
    CHECK(command.exit_code == 2);
    CHECK(command.err.find("unknown command 'scna' for 'certfleet'; did you mean 'scan'?") != std::string::npos);
    const auto option = run_certfleet(db, {"scan", "--file", dir.path().string()});
    CHECK(option.exit_code == 2);
    CHECK(option.err.find("unknown option '--file' for 'certfleet scan'; did you mean '--files'?") != std::string::npos);
    const auto nested = run_certfleet(db, {"inventory", "sahred"});
    CHECK(nested.exit_code == 2);
    CHECK(nested.err.find("unknown command 'sahred' for 'certfleet inventory'; did you mean 'shared'?") != std::string::npos);
    const auto check = run_certfleet(db, {"check", "--warnign-days", "30"});
    CHECK(check.exit_code == 3);  // a monitor reads a bad command line of check as UNKNOWN
    CHECK(check.err.find("did you mean '--warning-days'?") != std::string::npos);
    // Nothing near: CLI11's own message stands.
    const auto far = run_certfleet(db, {"report", "--no-such-flag"});
    CHECK(far.exit_code == 2);
    CHECK(far.err.find("--no-such-flag") != std::string::npos);
}

TEST_CASE("e2e: --expiring takes the one duration syntax", "[e2e][cli]") {
    TempDir dir;
    write_file(dir / "tree/soon.pem", TestCert::make({.subject_cn = "soon.example", .not_after_days = 5}, TestKey::shared()).pem());
    write_file(dir / "tree/later.pem", TestCert::make({.subject_cn = "later.example", .not_after_days = 60}, TestKey::shared()).pem());
    const std::string db = (dir / "inventory.db").string();
    REQUIRE(run_certfleet(db, {"scan", "--files", (dir / "tree").string(), "--no-progress"}).exit_code == 0);
    for (const std::string within : {"30", "30d", "4w", "720h"}) {
        const auto certs = run_certfleet(db, {"inventory", "certs", "--expiring", within, "--format", "json"});
        INFO(within << ": " << certs.err);
        CHECK(certs.exit_code == 0);
        CHECK(certs.out.find("soon.example") != std::string::npos);
        CHECK(certs.out.find("later.example") == std::string::npos);
    }
    const auto month = run_certfleet(db, {"inventory", "certs", "--expiring", "1m"});
    CHECK(month.exit_code == 2);
    CHECK(month.err.find("--expiring: '1m': certfleet has no month or minute unit; write 30d or 4w") != std::string::npos);
}
