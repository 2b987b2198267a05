// End-to-end: the central store. The same fleet scanned the same way into an SQLite file and into a PostgreSQL
// server gives the same answers from every command, field by field; a server that cannot be reached is named
// (without its password) before anything is probed.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <chrono>
#include <ctime>
#include <regex>

#include "tests/e2e/certfleet_steps.hpp"
#include "testkit/cert_factory.hpp"
#include "testkit/fleet/fleet_control.hpp"
#include "testkit/wait.hpp"
#include "tests/unit/pg_test_cluster.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// The answer without what depends on the moment it was asked or the store's pace: times and durations.
json without_moments(json doc) {
    static const std::regex moment(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$)");
    if (doc.is_object()) {
        for (auto it = doc.begin(); it != doc.end(); ++it) {
            if (it.key() == "elapsed_ms" || it.key() == "inventory")
                it.value() = nullptr;
            else
                it.value() = without_moments(it.value());
        }
    } else if (doc.is_array()) {
        for (auto& item : doc) item = without_moments(item);
    } else if (doc.is_string() && std::regex_match(doc.get<std::string>(), moment)) {
        doc = "<moment>";
    }
    return doc;
}

struct Answer {
    int exit_code = 0;
    json doc;
};

Answer ask(const std::string& db, std::vector<std::string> args) {
    args.push_back("--format");
    args.push_back("json");
    const auto r = run_certfleet(db, args);
    INFO(r.err);
    return {r.exit_code, r.exit_code <= 3 ? without_moments(json::parse(r.out)) : json()};
}

TestCert leaf(const std::string& cn, int days, const TestCert* issuer, int key) {
    const CertSpec spec{.subject_cn = cn, .dns_names = {cn}, .not_before_days = -30, .not_after_days = days};
    const TestKey issuer_key = TestKey::shared({}, 151);
    return TestCert::make(spec, TestKey::shared({}, key), issuer, issuer ? &issuer_key : nullptr);
}

}  // namespace

TEST_CASE("e2e postgres: the same fleet gives the same answers from SQLite and PostgreSQL",
          "[e2e][pg][server][network]") {
    TempDir dir;
    const std::string sqlite_db = (dir / "inventory.db").string();
    const std::string pg_db = test_cluster().create_database("same_answers");

    const CertSpec ca_spec{.subject_cn = "Same Answers CA", .not_before_days = -100, .not_after_days = 900, .is_ca = true};
    const TestCert ca = TestCert::make(ca_spec, TestKey::shared({}, 151));
    const TestCert served = leaf("api.same.test", 20, &ca, 51);
    const TestCert self_signed = leaf("legacy.same.test", 400, nullptr, 52);
    const TestCert stored = leaf("stored.same.test", 5, &ca, 51);  // the served leaf's key, reused
    const TestCert expired = leaf("old.same.test", -3, nullptr, 53);

    // Whole days from their making: a scan in the second they were made sees one more day left than any later.
    const std::time_t made = std::time(nullptr);
    REQUIRE(wait_until([&] { return std::time(nullptr) > made; }, std::chrono::seconds(5)));

    write_file(dir / "tree/ca.pem", ca.pem());
    write_file(dir / "tree/app/stored.pem", stored.pem());
    write_file(dir / "tree/app/copy.pem", stored.pem());
    write_file(dir / "tree/old/expired.pem", expired.pem());
    write_file(dir / "tree/old/latin-\xe9t\xe9.pem", expired.pem());  // a name that is not UTF-8
    write_file(dir / "tree/broken.pem", std::string("-----BEGIN CERTIFICATE-----\nnot base64\n"));

    std::vector<FleetEndpoint> endpoints(2);
    endpoints[0].kind = "tls";
    endpoints[0].address = "127.66.51.1";
    endpoints[0].port = 15443;
    endpoints[0].chain = {served, ca};
    endpoints[0].key = TestKey::shared({}, 51);
    endpoints[1].kind = "tls";
    endpoints[1].address = "127.66.51.2";
    endpoints[1].port = 15443;
    endpoints[1].chain = {self_signed};
    endpoints[1].key = TestKey::shared({}, 52);
    {
        TestFleet fleet(endpoints);
        for (const auto& db : {sqlite_db, pg_db}) {
            scan_ok(db, {"127.66.51.1", "127.66.51.2", "--ports", "15443", "--timeout-ms", "5000", "--files",
                         (dir / "tree").string()});
        }
    }
    // The second scan finds the endpoints closed and a file gone.
    fs::remove(dir / "tree/app/copy.pem");
    for (const auto& db : {sqlite_db, pg_db})
        scan_ok(db, {"127.66.51.1", "127.66.51.2", "--ports", "15443", "--timeout-ms", "5000", "--files",
                     (dir / "tree").string()});

    const std::vector<std::vector<std::string>> questions = {
        {"report"},
        {"report", "--scan", "1"},
        {"inventory", "certs"},
        {"inventory", "endpoints"},
        {"inventory", "shared"},
        {"inventory", "keys"},
        {"inventory", "anchors"},
        {"inventory", "stores"},
        {"inventory", "scans"},
        {"inventory", "cert", stored.sha256()},
        {"inventory", "cert", served.sha256()},
        {"inventory", "history", stored.sha256()},
        {"diff", "1", "2"},
        {"check", "--warning-days", "30"},
        {"inventory", "certs", "--expiring", "30d"},
        {"progress"},
    };
    for (const auto& question : questions) {
        std::string asked;
        for (const auto& word : question) asked += word + " ";
        INFO(asked);
        const Answer from_sqlite = ask(sqlite_db, question);
        const Answer from_pg = ask(pg_db, question);
        CHECK(from_pg.exit_code == from_sqlite.exit_code);
        INFO("what PostgreSQL's answer lacks or adds: " << json::diff(from_sqlite.doc, from_pg.doc).dump());
        CHECK(from_pg.doc == from_sqlite.doc);
    }
    CHECK(ask(pg_db, {"report", "--scan", "1"}).doc["endpoints"].size() == 2);
    CHECK(unreferenced_rows(test_cluster(), "same_answers") == "");
}

TEST_CASE("e2e postgres: a server that cannot be reached is named before anything is probed, without its password",
          "[e2e][pg][network]") {
    TempDir dir;
    // Nothing listens on this socket directory: libpq's connection fails at once.
    const std::string db = "postgresql://scanner:hunter2secret@/certfleet?host=" + (dir / "no-server").string();
    const auto r = run_certfleet(db, {"scan", "127.66.52.1", "--ports", "15443", "--no-progress"});
    INFO(r.err);
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("cannot connect to the PostgreSQL inventory") != std::string::npos);
    CHECK(r.err.find("hunter2secret") == std::string::npos);
    CHECK(r.out.find("hunter2secret") == std::string::npos);
    for (const std::vector<std::string>& command :
         std::vector<std::vector<std::string>>{{"report"}, {"progress"}, {"diff"}, {"forget", "/etc"}}) {
        const auto answer = run_certfleet(db, command);
        INFO(command[0] << ": " << answer.err);
        CHECK(answer.exit_code != 0);
        CHECK(answer.err.find("cannot connect to the PostgreSQL inventory") != std::string::npos);
        CHECK(answer.err.find("hunter2secret") == std::string::npos);
    }
    // check's answer is its status line: UNKNOWN, for a monitor must not turn green when it cannot look.
    const auto check = run_certfleet(db, {"check"});
    CHECK(check.exit_code == 3);
    CHECK(check.out.starts_with("CERTFLEET UNKNOWN - cannot connect to the PostgreSQL inventory"));
    CHECK(check.out.find("hunter2secret") == std::string::npos);
}
