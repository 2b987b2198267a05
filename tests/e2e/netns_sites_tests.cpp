// End-to-end: a fleet of sites on this machine. Each site is a network namespace the test creates, with TLS
// endpoints only a scanner inside it can reach, at the same addresses as the other site's (as private networks
// overlap); a scanner per site and file scans of two hosts with the same paths
// write one run into one PostgreSQL inventory (its Unix socket is a file, reachable from every namespace). The
// central inventory must hold every endpoint and file place with its site and host, and the run's report must be
// the union of its scans.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "tests/e2e/certfleet_binary.hpp"
#include "testkit/cert_factory.hpp"
#include "testkit/fleet/fleet_control.hpp"
#include "testkit/process.hpp"
#include "tests/unit/pg_test_cluster.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using nlohmann::json;

namespace {

// A network namespace with its loopback up, deleted when the test ends, also when it fails.
class Site {
public:
    explicit Site(std::string name) : name_(std::move(name)) {
        created_ = run_process({"ip", "netns", "add", name_}).exit_code == 0 &&
                   run_process({"ip", "netns", "exec", name_, "ip", "link", "set", "lo", "up"}).exit_code == 0;
    }
    ~Site() {
        if (created_) run_process({"ip", "netns", "del", name_});
    }
    Site(const Site&) = delete;
    Site& operator=(const Site&) = delete;
    bool created() const { return created_; }
    const std::string& name() const { return name_; }

private:
    std::string name_;
    bool created_ = false;
};

json ask(const std::string& db, std::vector<std::string> args) {
    args.insert(args.end(), {"--format", "json"});
    const auto r = run_certfleet(db, args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return json::parse(r.out);
}

// Every (certificate, place) of a report, a place as "host:path" or "address:port site=SITE label=LABEL".
std::set<std::string> placements(const json& report) {
    std::set<std::string> out;
    for (const auto& cert : report["certificates"]) {
        const std::string sha = cert["sha256"].get<std::string>().substr(0, 16);
        for (const auto& s : cert["sightings"]) {
            const std::string place =
                s["kind"] == "file" ? s["host"].get<std::string>() + ":" + s["path"].get<std::string>()
                                    : s["address"].get<std::string>() + ":" + std::to_string(s["port"].get<int>()) +
                                          " site=" + s.value("site", "") + " label=" + s["labels"].value("site", "");
            out.insert(sha + " " + place);
        }
    }
    return out;
}

FleetEndpoint tls_endpoint(const std::string& address, const TestCert& cert, const TestKey& key) {
    FleetEndpoint e;
    e.kind = "tls";
    e.address = address;
    e.port = 15446;
    e.chain = {cert};
    e.key = key;
    return e;
}

}  // namespace

TEST_CASE("e2e sites: scanners in two network namespaces and two hosts' files make one run in one inventory",
          "[e2e][pg][server][netns]") {
    const std::string tag = std::to_string(::getpid());
    Site site_a("cf-site-a-" + tag), site_b("cf-site-b-" + tag);
    if (::geteuid() != 0 || !site_a.created() || !site_b.created()) {
        WARN("skipped: network namespaces cannot be created here (needs root and iproute2's ip netns)");
        return;
    }
    const TestKey key_a = TestKey::shared({}, 181), key_b = TestKey::shared({}, 182), copied_key = TestKey::shared({}, 183);
    const TestCert a_own = TestCert::make({.subject_cn = "a.site.test", .dns_names = {"a.site.test"}}, key_a);
    const TestCert b_own = TestCert::make({.subject_cn = "b.site.test", .dns_names = {"b.site.test"}}, key_b);
    const TestCert copied = TestCert::make({.subject_cn = "copied.site.test"}, copied_key);  // served at both sites
    TestFleet fleet_a({tls_endpoint("127.66.60.1", a_own, key_a), tls_endpoint("127.66.60.2", copied, copied_key)}, 120,
                      site_a.name());
    TestFleet fleet_b({tls_endpoint("127.66.60.1", b_own, key_b), tls_endpoint("127.66.60.2", copied, copied_key)}, 120,
                      site_b.name());
    const std::string db = test_cluster().create_database("sites");

    // From outside, the sites' endpoints are not there.
    TempDir dir;
    const std::string outside_db = (dir / "outside.db").string();
    REQUIRE(run_certfleet(outside_db, {"scan", "127.66.60.1-127.66.60.2", "--ports", "15446", "--timeout-ms", "2000",
                                       "--no-progress"})
                .exit_code == 0);
    CHECK(ask(outside_db, {"report"})["certificates"].empty());

    // One scanner inside each site, at once, of the same targets: one names its site with --site, the other with
    // a site label.
    const auto site_scan = [&](const Site& site, const std::string& range, const std::string& site_flag) {
        auto argv = certfleet_argv(db, {"scan", range, "--ports", "15446", "--timeout-ms", "5000", "--run", "nightly",
                                        site_flag, site_flag == "--site" ? "b" : "site=a", "--no-progress"});
        argv.insert(argv.begin(), {"ip", "netns", "exec", site.name()});
        return run_process(argv, {.timeout = std::chrono::seconds(120)});
    };
    ProcessResult scanned_a, scanned_b;
    {
        std::thread a([&] { scanned_a = site_scan(site_a, "127.66.60.1-127.66.60.2", "--label"); });
        std::thread b([&] { scanned_b = site_scan(site_b, "127.66.60.1-127.66.60.2", "--site"); });
        a.join();
        b.join();
    }
    INFO(scanned_a.err << scanned_b.err);
    REQUIRE(scanned_a.exit_code == 0);
    REQUIRE(scanned_b.exit_code == 0);

    // Two hosts whose files are at the same paths, with different certificates: host-1's tree, then host-2's.
    const auto path = dir / "etc/ssl/service.pem";
    const TestCert host_1 = TestCert::make({.subject_cn = "host-1.site.test"}, TestKey::shared({}, 184));
    const TestCert host_2 = TestCert::make({.subject_cn = "host-2.site.test"}, TestKey::shared({}, 185));
    for (const auto& [host, cert] : {std::pair{"host-1", &host_1}, std::pair{"host-2", &host_2}}) {
        write_file(path, cert->pem());
        const auto r = run_certfleet(db, {"scan", "--files", (dir / "etc").string(), "--host", host, "--run", "nightly",
                                          "--no-progress"});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }

    const json report = ask(db, {"report", "--run", "nightly"});
    CHECK(report["run"]["complete"] == true);
    CHECK(report["run"]["scans"].size() == 4);
    const std::string sha_a = a_own.sha256().substr(0, 16), sha_b = b_own.sha256().substr(0, 16),
                      sha_copied = copied.sha256().substr(0, 16);
    const std::string file = path.string();
    CHECK(placements(report) == std::set<std::string>{
                                    sha_a + " 127.66.60.1:15446 site=a label=a",
                                    sha_copied + " 127.66.60.2:15446 site=a label=a",
                                    sha_b + " 127.66.60.1:15446 site=b label=b",
                                    sha_copied + " 127.66.60.2:15446 site=b label=b",
                                    host_1.sha256().substr(0, 16) + " host-1:" + file,
                                    host_2.sha256().substr(0, 16) + " host-2:" + file,
                                });
    std::set<std::string> union_of_scans;
    for (const auto& id : report["run"]["scans"]) {
        const auto one = placements(ask(db, {"report", "--scan", std::to_string(id.get<int>())}));
        union_of_scans.insert(one.begin(), one.end());
    }
    CHECK(placements(report) == union_of_scans);
    CHECK(report["endpoints"].size() == 4);
}
