// End-to-end: what keeps `certfleet scan` from probing what it must not. Nothing here sends to a non-loopback
// address: refusals are checked by exit code and message (and by the inventory never being created), real scans
// go to 127.0.0.0/8, and the unreachable network is a network namespace of the test's own with no interface up.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>

#include "tests/e2e/certfleet_binary.hpp"
#include "testkit/cert_factory.hpp"

using namespace certfleet::testing;
using nlohmann::json;

namespace {

json report_of(const std::string& db) {
    const auto report = run_certfleet(db, {"report", "--format", "json"});
    REQUIRE(report.exit_code == 0);
    return json::parse(report.out);
}

// Runs certfleet in a new user and network namespace, whose only interface is a loopback that is down: nothing it
// sends can leave the machine, and every connect fails with ENETUNREACH. The shell checks that before certfleet
// starts. nullopt where this system allows no such namespace.
std::optional<ProcessResult> run_isolated(const std::string& db, const std::vector<std::string>& args) {
    if (run_process({"unshare", "-rn", "true"}).exit_code != 0) return std::nullopt;
    std::vector<std::string> argv{
        "unshare", "-rn", "sh", "-c",
        R"sh(test "$(tail -n +3 /proc/self/net/dev | cut -d: -f1 | tr -d ' ')" = lo || exit 97; exec "$@")sh", "sh",
        kBinary,   "--db", db};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv);
}

}  // namespace

TEST_CASE("e2e scan safety: blocked addresses are refused alone and left out of blocks", "[e2e][network][safety]") {
    TempDir dir;
    const std::string db = (dir / "db").string();
    for (const std::string target : {"224.0.0.1", "255.255.255.255", "0.0.0.0", "ff02::1", "[::]:443"}) {
        INFO(target);
        const auto refused = run_certfleet(db, {"scan", target, "--dry-run"});
        CHECK(refused.exit_code == 2);
        CHECK_THAT(refused.err, Catch::Contains("it is all in ") && Catch::Contains("which certfleet never probes"));
    }
    const auto multicast = run_certfleet(db, {"scan", "ff02::1", "--ports", "443"});
    CHECK(multicast.exit_code == 2);
    CHECK(multicast.err == "certfleet: target 'ff02::1': it is all in ff00::/8 (multicast), which certfleet never "
                           "probes\n");
    CHECK_FALSE(std::filesystem::exists(db));

    // The whole IPv4 space on the 41 default ports: 176,093,659,136 targets before the blocklist.
    const auto everything = run_certfleet(db, {"scan", "0.0.0.0/0", "--dry-run"});
    INFO(everything.err);
    REQUIRE(everything.exit_code == 0);
    CHECK(everything.out.starts_with("153394085888 network targets\n"));
    CHECK_THAT(everything.out, Catch::Contains("never probed: 0.0.0.0/8 (this network): 16,777,216 addresses, "
                                               "687,865,856 targets\n"));
    CHECK_THAT(everything.out, Catch::Contains("never probed: 224.0.0.0/4 (multicast): 268,435,456 addresses, "
                                               "11,005,853,696 targets\n"));
    CHECK_THAT(everything.out, Catch::Contains("never probed: 240.0.0.0/4 (reserved, and the broadcast address "
                                               "255.255.255.255): 268,435,456 addresses, 11,005,853,696 targets\n"));
    // The first targets listed: none in a blocked range.
    const std::string listing = everything.out;
    const std::regex listed_address(R"(\n  (\d+)\.)");
    int listed = 0;
    for (auto it = std::sregex_iterator(listing.begin(), listing.end(), listed_address);
         it != std::sregex_iterator(); ++it, ++listed) {
        const int octet = std::stoi((*it)[1]);
        CHECK(octet > 0);
        CHECK(octet < 224);
    }
    CHECK(listed == 20);
    CHECK_FALSE(std::filesystem::exists(db));
}

TEST_CASE("e2e scan safety: a host name that resolves to a blocked address is recorded, not probed",
          "[e2e][network][safety]") {
    TempDir dir;
    const std::string db = (dir / "db").string();
    // glibc's resolver reads 0x0 as 0.0.0.0 and 0xe0000001 as 224.0.0.1, without asking DNS: the scanner takes
    // them for host names, as it would a name a DNS sinkhole answers with 0.0.0.0.
    const auto scan = run_certfleet(db, {"scan", "0x0:9", "0xe0000001:443", "--no-progress", "--timeout-ms", "2000"});
    INFO(scan.err);
    REQUIRE(scan.exit_code == 0);
    CHECK_THAT(scan.err, Catch::Contains("2/2 targets, 0 probes: ") && Catch::Contains(" 2 unreachable"));
    const json report = report_of(db);
    CHECK(report["scan"]["endpoints"]["unreachable"] == 2);
    for (const auto& e : report["endpoints"]) {
        CHECK(e["status"] == "unreachable");
        if (e["host"] == "0x0")
            CHECK(e["detail"] == "not probed: 0.0.0.0 is in 0.0.0.0/8 (this network), which certfleet never probes");
        else
            CHECK(e["detail"] == "not probed: 224.0.0.1 is in 224.0.0.0/4 (multicast), which certfleet never probes");
    }
}

TEST_CASE("e2e scan safety: a scan of over 1,048,576 probes asks first, before anything is sent",
          "[e2e][network][safety]") {
    TempDir dir;
    const std::string db = (dir / "db").string();
    const auto dry = run_certfleet(db, {"scan", "10.0.0.0/8", "--ports", "443", "--dry-run"});
    REQUIRE(dry.exit_code == 0);
    CHECK(dry.out.starts_with("16777216 network targets\n"));
    CHECK_THAT(dry.out, Catch::Contains("rate: 1,000 new connections/s, the default for a scan of over 1,048,576 "
                                        "probes (--rate changes it)\n"));
    CHECK_THAT(dry.out, Catch::Contains("without --dry-run, refused: 16,777,216 targets at 1,000/s: about 4.7 hours; "
                                        "add --yes to go ahead"));

    // Loopback only, so that even a scan that failed to refuse would send nothing off this machine.
    const ProcessOptions bounded{.env = {}, .timeout = std::chrono::seconds(60)};
    const auto refused = run_certfleet(db, {"scan", "127.0.0.0/8", "--ports", "9", "--no-progress"}, bounded);
    CHECK(refused.exit_code == 2);
    CHECK(refused.err == "certfleet: 16,777,216 targets at 1,000/s: about 4.7 hours; add --yes to go ahead (a scan of "
                         "over 1,048,576 probes asks first; --max-targets N raises that)\n");
    CHECK_FALSE(std::filesystem::exists(db));
    const auto slower = run_certfleet(db, {"scan", "127.0.0.0/8", "--ports", "9", "--rate", "100"}, bounded);
    CHECK(slower.exit_code == 2);
    CHECK_THAT(slower.err, Catch::StartsWith("certfleet: 16,777,216 targets at 100/s: about 1.9 days; add --yes"));
    const auto unlimited = run_certfleet(db, {"scan", "127.0.0.0/8", "--ports", "9", "--rate", "0"}, bounded);
    CHECK(unlimited.exit_code == 2);
    CHECK_THAT(unlimited.err, Catch::StartsWith("certfleet: 16,777,216 targets with no rate limit; add --yes"));
    const auto names =
        run_certfleet(db, {"scan", "127.0.0.0/12", "--ports", "9", "--sni", "a.test", "--sni", "b.test"}, bounded);
    CHECK(names.exit_code == 2);
    CHECK_THAT(names.err, Catch::StartsWith("certfleet: 2,097,152 probes (1,048,576 targets, IP targets once per --sni "
                                            "name) at 1,000/s: about 35 minutes; add --yes"));
    CHECK_FALSE(std::filesystem::exists(db));

    // 1,048,576 probes is not over the threshold; one more is.
    const auto at_threshold = run_certfleet(db, {"scan", "127.0.0.0/12", "--ports", "9", "--dry-run"});
    CHECK(at_threshold.out.starts_with("1048576 network targets\n"));
    CHECK_THAT(at_threshold.out, !Catch::Contains("refused") && !Catch::Contains("rate:"));
    const auto over = run_certfleet(db, {"scan", "127.0.0.0/12", "127.16.0.0", "--ports", "9", "--dry-run"});
    CHECK_THAT(over.out, Catch::Contains("refused: 1,048,577 targets at 1,000/s"));

    // --max-targets sets the threshold, either way; it and --yes do not go together.
    const auto capped = run_certfleet(db, {"scan", "127.0.0.1-127.0.0.4", "--ports", "9", "--max-targets", "3"});
    CHECK(capped.exit_code == 2);
    CHECK(capped.err == "certfleet: 4 targets with no rate limit; add --yes to go ahead, or raise --max-targets 3\n");
    CHECK_FALSE(std::filesystem::exists(db));
    const auto fits = run_certfleet(db, {"scan", "127.0.0.1-127.0.0.4", "--ports", "9", "--max-targets", "4",
                                         "--no-progress", "--timeout-ms", "2000"});
    INFO(fits.err);
    CHECK(fits.exit_code == 0);
    CHECK_THAT(fits.err, Catch::Contains("4/4 targets, 4 probes: 0 tls, 4 closed"));
    CHECK(run_certfleet(db, {"scan", "127.0.0.1", "--yes", "--max-targets", "4"}).exit_code == 2);
}

TEST_CASE("e2e scan safety: with --yes a large scan goes ahead at the default 1,000 connections a second",
          "[e2e][network][safety]") {
    TempDir dir;
    const std::string db = (dir / "db").string();
    // Stopped by SIGINT after 3 seconds, as Ctrl-C would: a paced scan has done about 3,000 probes by then, an
    // unpaced one of refused loopback ports tens of thousands.
    const auto started = std::chrono::steady_clock::now();
    const auto run = run_process({"timeout", "--preserve-status", "-s", "INT", "3", kBinary, "--db", db, "scan",
                                  "127.0.0.0/8", "--ports", "9", "--yes", "--no-progress", "--timeout-ms", "2000"});
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    INFO(run.err);
    REQUIRE(run.exit_code == 130);
    CHECK_THAT(run.err, Catch::Contains("certfleet: rate: 1,000 new connections/s, the default for a scan of over "
                                        "1,048,576 probes (--rate changes it)\n"));
    std::smatch done;
    REQUIRE(std::regex_search(run.err, done, std::regex(R"(interrupted: (\d+)/16777216 targets, (\d+) probes)")));
    const double probes = std::stod(done[2]);
    CHECK(probes > 0);
    CHECK(probes <= 1000 * seconds + 1);
}

TEST_CASE("e2e scan safety: a network with no route is unreachable, not closed", "[e2e][network][safety]") {
    TempDir dir;
    const std::string db = (dir / "db").string();
    // Documentation addresses (RFC 5737, RFC 3849), in a namespace where no route leads anywhere.
    const auto scan = run_isolated(db, {"scan", "192.0.2.1:443", "[2001:db8::1]:443", "--no-progress"});
    if (!scan) {
        WARN("skipped: unshare -rn is not allowed here, so there is no isolated network to test in");
        return;
    }
    INFO(scan->err);
    REQUIRE(scan->exit_code == 0);
    CHECK_THAT(scan->err, Catch::Contains("2 probes: 0 tls, 0 closed, 0 timeout, 0 not-tls, 0 handshake-failed, "
                                          "0 unresolved, 2 unreachable"));
    const json report = report_of(db);
    CHECK(report["scan"]["endpoints"]["unreachable"] == 2);
    CHECK(report["scan"]["endpoints"]["closed"] == 0);
    for (const auto& e : report["endpoints"]) {
        CHECK(e["status"] == "unreachable");
        // (IPv6 may instead find no source address to send from, before it looks for a route.)
        if (e["address"] == "192.0.2.1") CHECK(e["detail"] == "Network is unreachable");
    }
    const auto metrics = run_certfleet(db, {"report", "--format", "prometheus"});
    CHECK_THAT(metrics.out, Catch::Contains("{status=\"unreachable\"} 2"));
}
