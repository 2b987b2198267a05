// End-to-end: a connection to the central inventory cut at the end of a transaction, at every transaction a scan
// or a push makes, once before its COMMIT reaches the server and once after the server committed but before the
// answer came back. The writer cannot tell the second from the first; either way the inventory must end as an
// uncut run leaves it: no sighting, event, finding or scan stored twice, none lost.
#include <catch2/catch.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <regex>

#include "tests/e2e/certfleet_binary.hpp"
#include "testkit/cert_factory.hpp"
#include "testkit/fleet/fleet_control.hpp"
#include "testkit/pg_relay.hpp"
#include "tests/unit/pg_test_cluster.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// What an inventory holds, as far as a cut could change it: the report of its view, its scans with their
// statuses and counts (both without times, and without the scan ids a rolled-back insert used up), and each
// table's number of rows.
struct Stored {
    int exit_code = -1;
    json view, scans;
    std::string rows, unreferenced;
    bool operator==(const Stored&) const = default;
};

// Each run scans at its own time into its own database: times and scan ids differ, the rest must not.
void drop_volatile(json& node) {
    static const std::regex time(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)");
    if (node.is_object()) {
        node.erase("days_left");
        node.erase("id");
        for (auto it = node.begin(); it != node.end();)  // a scan's id, as scan_id, previous_scan ...
            it = it.key().find("scan") != std::string::npos && it->is_number() ? node.erase(it) : std::next(it);
    }
    if (node.is_string() && std::regex_match(node.get<std::string>(), time)) node = "(a time)";
    if (node.is_object() || node.is_array())
        for (auto& child : node) drop_volatile(child);
}

json asked(const std::string& db, std::vector<std::string> args) {
    args.insert(args.end(), {"--format", "json"});
    const auto r = run_certfleet(db, args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    json answer = json::parse(r.out);
    drop_volatile(answer);
    return answer;
}

Stored stored(const std::string& name, int exit_code) {
    const std::string db = test_cluster().connection_string(name);
    Stored out;
    out.exit_code = exit_code;
    out.view = asked(db, {"report"});
    out.scans = asked(db, {"inventory", "scans"});
    std::string counts;
    for (const char* table : {"scans", "certificates", "locations", "sightings", "key_sightings", "location_labels",
                              "scan_events", "findings", "place_states", "place_transitions", "certificate_seen",
                              "location_latest", "certificate_issuers", "anchor_sightings",
                              "key_certificate_sightings", "scan_labels", "scan_runs"})
        counts += std::string(counts.empty() ? "" : " UNION ALL ") + "SELECT '" + table + "=' || count(*) FROM " + table;
    const auto [code, rows] = test_cluster().psql(name, counts);
    INFO(rows);
    REQUIRE(code == 0);
    out.rows = rows;
    out.unreferenced = unreferenced_rows(test_cluster(), name);
    return out;
}

// A host's certificate directory as it is at its first scan and, changed, at its second: a certificate renewed,
// one gone, one new, one copied to two places, one about to expire, a key beside its certificate, a broken file.
// Made once, so that every run stores the same certificates.
class HostTree {
public:
    explicit HostTree(fs::path root) : root_(std::move(root)) {}

    void write(int state) const {
        fs::remove_all(root_);
        write_file(root_ / "ca.pem", ca_.pem());
        write_file(root_ / "web.pem", (state == 1 ? web_ : renewed_).pem());
        write_file(root_ / "web.key", key_.pkcs8_pem());
        write_file(root_ / "a/copied.pem", copied_.pem());
        write_file(root_ / "b/copied.pem", copied_.pem());
        write_file(root_ / "soon.pem", soon_.pem());
        write_file(root_ / "broken.pem", std::string("-----BEGIN CERTIFICATE-----\nnot base64\n"));
        write_file(root_ / (state == 1 ? "old.pem" : "new.pem"), (state == 1 ? old_ : new_).pem());
    }
    std::string path() const { return root_.string(); }

private:
    fs::path root_;
    TestKey key_ = TestKey::shared({}, 171);
    TestCert ca_ = TestCert::make({.subject_cn = "Cut CA", .is_ca = true}, TestKey::shared({}, 172));
    TestCert web_ = TestCert::make({.subject_cn = "web.cut.test"}, key_);
    TestCert renewed_ = TestCert::make({.subject_cn = "web.cut.test", .not_after_days = 200}, key_);
    TestCert copied_ = TestCert::make({.subject_cn = "copied.cut.test"}, TestKey::shared({}, 173));
    TestCert soon_ = TestCert::make({.subject_cn = "soon.cut.test", .not_after_days = 5}, TestKey::shared({}, 174));
    TestCert old_ = TestCert::make({.subject_cn = "old.cut.test"}, TestKey::shared({}, 174));
    TestCert new_ = TestCert::make({.subject_cn = "new.cut.test"}, TestKey::shared({}, 174));
};

// Runs `run` once uncut, then cut before and after each COMMIT the uncut run made, each into a database of its
// own named PREFIX_none, PREFIX_before_N, PREFIX_after_N: every cut run must store what the uncut one stored.
void every_cut_stores_alike(const PgRelay& relay, const std::string& prefix, int least_commits,
                            const std::function<Stored(const std::string&, PgRelay::Cut, int)>& run) {
    const Stored uncut = run(prefix + "_none", PgRelay::Cut::before_commit, 0);
    const int commits = relay.commits_seen();
    REQUIRE(uncut.exit_code == 0);
    REQUIRE(commits >= least_commits);
    CHECK(uncut.unreferenced == "");
    for (const auto cut : {PgRelay::Cut::before_commit, PgRelay::Cut::after_commit}) {
        for (int nth = 1; nth <= commits; ++nth) {
            const std::string when = cut == PgRelay::Cut::before_commit ? "before" : "after";
            INFO("cut " << when << " COMMIT " << nth << " of " << commits);
            const Stored again = run(prefix + "_" + when + "_" + std::to_string(nth), cut, nth);
            CHECK(again.exit_code == uncut.exit_code);
            CHECK(again.rows == uncut.rows);
            CHECK(again.scans == uncut.scans);
            CHECK(again.view == uncut.view);
            CHECK(again.unreferenced == "");
        }
    }
}

}  // namespace

TEST_CASE("e2e postgres: a scan cut off at any COMMIT, before or after the server has it, stores what an uncut "
          "scan stores", "[e2e][pg][server]") {
    TempDir dir;
    PgRelay relay(test_cluster().socket_dir());
    const HostTree tree(dir / "tree");
    // The second of a host's two scans goes through the relay, cut at its `nth` COMMIT.
    const auto scanned = [&](const std::string& name, PgRelay::Cut cut, int nth) {
        const std::string db = test_cluster().create_database(name);
        tree.write(1);
        REQUIRE(run_certfleet(db, {"scan", "--files", tree.path(), "--host", "h", "--no-progress"}).exit_code == 0);
        tree.write(2);
        relay.arm(cut, nth);
        const auto second = run_certfleet(relay.connection_string(name),
                                          {"scan", "--files", tree.path(), "--host", "h", "--run", "nightly",
                                           "--label", "env=prod", "--no-progress"});
        INFO(second.err);
        CHECK(relay.has_cut() == (nth > 0));
        return stored(name, second.exit_code);
    };
    every_cut_stores_alike(relay, "cut_scan", 3, scanned);  // at least the scan's start, its batch, its end
}

TEST_CASE("e2e postgres: a push cut off at any COMMIT, before or after the server has it, copies what an uncut "
          "push copies", "[e2e][pg][server]") {
    TempDir dir;
    PgRelay relay(test_cluster().socket_dir());
    const HostTree tree(dir / "tree");
    const std::string local = (dir / "site.db").string();
    {
        // The first scan probes an endpoint too, so the push copies probes with their chains.
        const TestKey key = TestKey::shared({}, 175);
        FleetEndpoint endpoint;
        endpoint.kind = "tls";
        endpoint.address = "127.66.64.1";
        endpoint.port = 15454;
        endpoint.chain = {TestCert::make({.subject_cn = "served.cut.test", .dns_names = {"served.cut.test"}}, key)};
        endpoint.key = key;
        TestFleet fleet({endpoint});
        for (int state = 1; state <= 2; ++state) {
            tree.write(state);
            std::vector<std::string> args{"scan", "--files", tree.path(), "--host", "agent", "--no-progress"};
            if (state == 1) args.insert(args.end(), {"127.66.64.1", "--ports", "15454"});
            const auto scanned = run_certfleet(local, args);
            INFO(scanned.err);
            REQUIRE(scanned.exit_code == 0);
        }
    }
    // Pushed through the relay, cut at the push's `nth` COMMIT.
    const auto pushed = [&](const std::string& name, PgRelay::Cut cut, int nth) {
        test_cluster().create_database(name);  // the push makes its schema, through the relay too
        relay.arm(cut, nth);
        const auto push = run_certfleet(relay.connection_string(name), {"push", local});
        INFO(push.out << push.err);
        CHECK(relay.has_cut() == (nth > 0));
        return stored(name, push.exit_code);
    };
    every_cut_stores_alike(relay, "cut_push", 6, pushed);  // at least each scan's start, batch and end
}
