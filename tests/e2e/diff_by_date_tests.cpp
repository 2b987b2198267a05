// End-to-end: diff's FROM and TO name views by scan id, by day (the view at the end of it, UTC) or by age; a
// moment before any scan ended is refused with the first scan's end, and a word that is none of these is named.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/encoding.hpp"
#include "tests/e2e/certfleet_steps.hpp"
#include "testkit/cert_factory.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using nlohmann::json;

TEST_CASE("e2e diff: FROM and TO may be dates or ages as well as scan ids", "[e2e][diff]") {
    TempDir dir;
    const std::string db = (dir / "inventory.db").string();
    const auto tree = dir / "srv";
    const auto first = TestCert::make({.subject_cn = "first.example", .not_after_days = 90}, TestKey::shared({}, 1));
    const auto second = TestCert::make({.subject_cn = "second.example", .not_after_days = 90}, TestKey::shared({}, 1));
    write_file((tree / "first.crt").string(), first.pem());
    scan_ok(db, {"--files", tree.string()});
    write_file((tree / "second.crt").string(), second.pem());
    scan_ok(db, {"--files", tree.string()});

    const std::string today = format_rfc3339(now_utc()).substr(0, 10);
    SECTION("today's date is the view after the latest scan; with FROM a scan id, the second file is new") {
        const json diff = json_of(db, {"diff", "1", today})["diff"];
        INFO(diff.dump(1));
        CHECK(diff["to"]["id"] == 2);
        REQUIRE(diff["new_certificates"].size() == 1);
        CHECK(diff["new_certificates"][0]["sha256"] == second.sha256());
    }
    SECTION("an age of zero days is now") {
        CHECK(json_of(db, {"diff", "1", "0d"})["diff"]["to"]["id"] == 2);
    }
    SECTION("a day before the first scan ended is refused, naming when the first scan ended") {
        const auto run = run_certfleet(db, {"diff", "2000-01-01"});
        CHECK(run.exit_code == 2);
        CHECK(run.err.find("had finished by 2000-01-01T23:59:59Z; the first finished at 20") != std::string::npos);
        const auto aged = run_certfleet(db, {"diff", "30d"});
        CHECK(aged.exit_code == 2);
        CHECK(aged.err.find("had finished by") != std::string::npos);
    }
    SECTION("a word that is no scan id, date or age is named; so is a scan id that does not exist") {
        const auto run = run_certfleet(db, {"diff", "yesterday"});
        CHECK(run.exit_code == 2);
        CHECK(run.err.find("'yesterday' is not a scan id, a date (YYYY-MM-DD) or an age") != std::string::npos);
        const auto missing = run_certfleet(db, {"diff", "7", "2"});
        CHECK(missing.exit_code == 2);
        CHECK(missing.err.find("no scan 7 in") != std::string::npos);
        CHECK(run_certfleet(db, {"diff", "2026-02-30"}).err.find("is not a scan id") != std::string::npos);
    }
}
