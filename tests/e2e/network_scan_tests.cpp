// End-to-end: the real binary probes a loopback test fleet (127.66.0.0/16 only) and the JSON report says, for
// every endpoint, what it is, what it presented and what a client would conclude.
#include <signal.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <chrono>
#include <thread>
#include <nlohmann/json.hpp>

#include "tests/e2e/certfleet_binary.hpp"
#include "testkit/fleet/fleet_control.hpp"
#include "testkit/cert_factory.hpp"
#include "testkit/process.hpp"
#include "testkit/wait.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using nlohmann::json;

namespace {

struct Scan {
    ProcessResult process;
    json report;
};

Scan scan(const std::string& db, std::vector<std::string> args) {
    std::vector<std::string> argv{kBinary, "--db", db, "scan", "--no-progress"};
    argv.insert(argv.end(), args.begin(), args.end());
    Scan result{run_process(argv), {}};
    INFO(result.process.err);
    REQUIRE(result.process.exit_code == 0);
    const auto report = run_process({kBinary, "--db", db, "report", "--format", "json"});
    REQUIRE(report.exit_code == 0);
    result.report = json::parse(report.out);
    return result;
}

const json& endpoint(const json& report, const std::string& address, const std::string& name) {
    for (const auto& e : report["endpoints"])
        if (e["address"] == address && (name.empty() ? e["server_name"].is_null() : e["server_name"] == name)) return e;
    FAIL("no endpoint " << address << " " << name);
    throw std::logic_error("unreachable");
}

FleetEndpoint tls_endpoint(const std::string& address, std::vector<TestCert> chain, TestKey key) {
    FleetEndpoint e;
    e.kind = "tls";
    e.address = address;
    e.port = 14443;
    e.chain = std::move(chain);
    e.key = std::move(key);
    return e;
}

FleetEndpoint plain_endpoint(const std::string& kind, const std::string& address) {
    FleetEndpoint e;
    e.kind = kind;
    e.address = address;
    e.port = 14443;
    return e;
}

}  // namespace

TEST_CASE("e2e network: every endpoint's status, chain, verdict and hostname result", "[e2e][network]") {
    const TestChain chain = make_chain("api.fleet.test");
    const TestKey self_key = TestKey::shared({}, 8);
    const TestCert self_signed = TestCert::make({.subject_cn = "legacy.fleet.test", .dns_names = {"legacy.fleet.test"}}, self_key);
    const TestCert expired = TestCert::make({.subject_cn = "api.fleet.test", .dns_names = {"api.fleet.test"},
                                             .not_before_days = -60, .not_after_days = -2},
                                            chain.leaf_key, &chain.intermediate, &chain.intermediate_key);
    auto with_sni = tls_endpoint("127.66.0.1", {chain.leaf, chain.intermediate}, chain.leaf_key);
    with_sni.sni["other.fleet.test"] = {{self_signed}, self_key};
    with_sni.ocsp_staple = true;
    auto garbage = plain_endpoint("garbage", "127.66.0.6");
    garbage.bytes = 10 << 20;
    TestFleet fleet({with_sni,
                     tls_endpoint("127.66.0.2", {self_signed}, self_key),
                     tls_endpoint("127.66.0.3", {expired, chain.intermediate}, chain.leaf_key),
                     plain_endpoint("tarpit", "127.66.0.4"),
                     plain_endpoint("plaintext", "127.66.0.5"),
                     garbage,
                     plain_endpoint("close", "127.66.0.7"),
                     plain_endpoint("reset", "127.66.0.8"),
                     tls_endpoint("127.66.0.10", {chain.leaf, chain.root, chain.intermediate}, chain.leaf_key)});
    TempDir dir;
    write_file(dir / "root.pem", chain.root.pem());
    const std::string db = (dir / "inventory.db").string();

    const auto started = std::chrono::steady_clock::now();
    const auto result = scan(db, {"127.66.0.1-127.66.0.10", "--ports", "14443", "--sni", "api.fleet.test", "--sni",
                                  "other.fleet.test", "--trust", (dir / "root.pem").string(), "--no-system-trust",
                                  "--timeout-ms", "1500"});
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const json& report = result.report;
    CHECK(seconds < 15);  // tarpits cost one timeout, in parallel, not one each

    SECTION("a trusted chain for the right name; SNI picks another certificate") {
        const json& good = endpoint(report, "127.66.0.1", "api.fleet.test");
        CHECK(good["status"] == "tls");
        CHECK(good["port"] == 14443);
        CHECK(good["chain"] == json::array({chain.leaf.sha256(), chain.intermediate.sha256()}));
        CHECK(good["verified"] == true);
        CHECK(good["verify_error"].is_null());
        CHECK(good["hostname_match"] == true);
        CHECK(good["chain_order_correct"] == true);
        CHECK(good["serves_default"] == false);
        CHECK(good["tls_version"].get<std::string>().starts_with("TLSv1."));
        CHECK(good["ocsp_stapled"] == true);
        CHECK(endpoint(report, "127.66.0.2", "api.fleet.test")["ocsp_stapled"] == false);
        CHECK_FALSE(good["cipher"].get<std::string>().empty());
        const json& other = endpoint(report, "127.66.0.1", "other.fleet.test");
        CHECK(other["chain"] == json::array({self_signed.sha256()}));
        CHECK(other["verify_error"] == "self-signed");
    }
    SECTION("self-signed, expired and misordered chains are classified apart") {
        const json& self = endpoint(report, "127.66.0.2", "api.fleet.test");
        CHECK(self["verify_error"] == "self-signed");
        CHECK(self["hostname_match"] == false);
        CHECK(self["serves_default"] == true);  // both names got the same certificate
        const json& old = endpoint(report, "127.66.0.3", "api.fleet.test");
        CHECK(old["verify_error"] == "expired");
        CHECK(old["chain_trusted"] == true);
        CHECK(old["hostname_match"] == true);
        CHECK(old["earliest_expiry_sha256"] == expired.sha256());
        const json& misordered = endpoint(report, "127.66.0.10", "api.fleet.test");
        CHECK(misordered["chain_order_correct"] == false);
        CHECK(misordered["root_included"] == false);
    }
    SECTION("endpoints that are not TLS servers") {
        CHECK(endpoint(report, "127.66.0.4", "api.fleet.test")["status"] == "timeout");
        CHECK(endpoint(report, "127.66.0.5", "api.fleet.test")["status"] == "not-tls");
        CHECK(endpoint(report, "127.66.0.6", "api.fleet.test")["status"] == "not-tls");
        CHECK(endpoint(report, "127.66.0.7", "api.fleet.test")["status"] == "handshake-failed");
        CHECK(endpoint(report, "127.66.0.8", "api.fleet.test")["status"] == "handshake-failed");
        CHECK(endpoint(report, "127.66.0.9", "api.fleet.test")["status"] == "closed");
        CHECK(report["scan"]["endpoints"]["total"] == 20);
        CHECK(report["scan"]["endpoints"]["closed"] == 2);
    }
    SECTION("certificates carry their endpoint sightings") {
        const json* leaf = nullptr;
        for (const auto& c : report["certificates"])
            if (c["sha256"] == chain.intermediate.sha256()) leaf = &c;
        REQUIRE(leaf);
        bool at_position_one = false;
        for (const auto& s : (*leaf)["sightings"])
            at_position_one |= s["kind"] == "endpoint" && s["address"] == "127.66.0.1" && s["chain_position"] == 1 &&
                               s["server_name"] == "api.fleet.test" && s["port"] == 14443;
        CHECK(at_position_one);
    }
    const auto table = run_process({kBinary, "--db", db, "report"});
    CHECK(table.out.find("127.66.0.1:14443") != std::string::npos);
}

TEST_CASE("e2e network: STARTTLS for every protocol, and a refusal", "[e2e][network]") {
    const TestChain chain = make_chain("mail.fleet.test");
    const std::vector<std::string> protocols{"smtp", "imap", "pop3", "ftp", "ldap", "postgres", "xmpp", "mysql"};
    std::vector<FleetEndpoint> endpoints;
    for (std::size_t i = 0; i < protocols.size(); ++i) {
        auto e = tls_endpoint("127.66.1." + std::to_string(i + 1), {chain.leaf, chain.intermediate}, chain.leaf_key);
        e.kind = "starttls";
        e.protocol = protocols[i];
        endpoints.push_back(e);
    }
    auto refusing = endpoints[0];
    refusing.address = "127.66.1.100";
    refusing.refuse = true;
    endpoints.push_back(refusing);
    TestFleet fleet(endpoints);
    TempDir dir;

    for (std::size_t i = 0; i < protocols.size(); ++i) {
        INFO(protocols[i]);
        const std::string address = "127.66.1." + std::to_string(i + 1);
        const auto result = scan((dir / (protocols[i] + ".db")).string(),
                                 {address + ":14443", "--starttls", protocols[i], "--sni", "mail.fleet.test",
                                  "--timeout-ms", "3000"});
        const json& e = endpoint(result.report, address, "mail.fleet.test");
        CHECK(e["status"] == "tls");
        CHECK(e["starttls"] == protocols[i]);
        CHECK(e["chain"] == json::array({chain.leaf.sha256(), chain.intermediate.sha256()}));
    }
    const auto refused = scan((dir / "refused.db").string(), {"127.66.1.100:14443", "--starttls", "smtp", "--sni",
                                                               "mail.fleet.test", "--timeout-ms", "3000"});
    const json& e = endpoint(refused.report, "127.66.1.100", "mail.fleet.test");
    CHECK(e["status"] == "not-tls");
    CHECK(e["detail"].get<std::string>().find("refused STARTTLS") != std::string::npos);
}

TEST_CASE("e2e network: host names resolve to every address, with SNI", "[e2e][network]") {
    const TestChain chain = make_chain("localhost");
    auto e = tls_endpoint("127.0.0.1", {chain.leaf, chain.intermediate}, chain.leaf_key);
    e.port = 14444;
    TestFleet fleet({e});
    TempDir dir;
    const auto result = scan((dir / "db").string(), {"localhost:14444", "--timeout-ms", "2000"});
    const json& found = endpoint(result.report, "127.0.0.1", "localhost");
    CHECK(found["host"] == "localhost");
    CHECK(found["status"] == "tls");
    CHECK(found["hostname_match"] == true);
    CHECK(found["verify_error"] == "untrusted-issuer");  // the test root is in no system store
}

TEST_CASE("e2e network: bad targets are all named before anything is sent, dry runs send nothing", "[e2e][network]") {
    TempDir dir;
    const std::string db = (dir / "db").string();
    const auto bad = run_process({kBinary, "--db", db, "scan", "10.0.0.0/33", "300.1.1.1", "a..b", "--ports", "443"});
    CHECK(bad.exit_code == 2);
    CHECK(bad.err.find("10.0.0.0/33") != std::string::npos);
    CHECK(bad.err.find("300.1.1.1") != std::string::npos);
    CHECK(bad.err.find("a..b") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(db));

    const auto dry = run_process({kBinary, "--db", db, "scan", "10.0.0.0/8", "--ports", "443,8443", "--dry-run"});
    CHECK(dry.exit_code == 0);
    CHECK(dry.out.find("33554432 network targets") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(db));
    const auto shard = run_process({kBinary, "--db", db, "scan", "10.0.0.0/8", "--ports", "443", "--shard", "2/4", "--dry-run"});
    CHECK(shard.out.find("4194304 network targets") != std::string::npos);
    CHECK(run_process({kBinary, "--db", db, "scan", "10.0.0.1", "--shard", "5/4"}).exit_code == 2);
    // IPv6 literals in brackets, on loopback: nothing listens on the discard port.
    const auto v6 = scan(db, {"[::1]:9", "--timeout-ms", "2000"});
    const json& closed = endpoint(v6.report, "::1", "");
    CHECK(closed["status"] == "closed");
    CHECK(closed["port"] == 9);
    CHECK(run_process({kBinary, "--db", db, "scan", "10.0.0.1", "--starttls", "gopher"}).exit_code == 2);
    CHECK(run_process({kBinary, "--db", db, "scan", "10.0.0.1", "--trust", "/nonexistent.pem"}).exit_code == 2);
}

TEST_CASE("e2e network: an interrupted scan resumes where it stopped", "[e2e][network]") {
    // One tarpit after another, each costing the whole timeout: ten seconds of scan, so a SIGINT sent once the
    // first results are stored always lands part-way.
    constexpr int kTargets = 20;
    std::vector<FleetEndpoint> tarpits;
    for (int i = 1; i <= kTargets; ++i) tarpits.push_back(plain_endpoint("tarpit", "127.66.3." + std::to_string(i)));
    TestFleet fleet(tarpits);
    TempDir dir;
    const std::string db = (dir / "db").string();
    const std::vector<std::string> args{"scan", "127.66.3.1-127.66.3.20", "--ports", "14443", "--concurrency", "1",
                                        "--timeout-ms", "500", "--no-progress"};
    RunningCertfleet first(db, args);
    const auto stored_endpoints = [&] {
        const auto report = run_certfleet(db, {"report", "--format", "json", "--scan", "1"});
        return report.exit_code == 0 ? json::parse(report.out)["endpoints"].size() : 0;
    };
    // Interrupted once its first batch is stored; the ceiling is only for a scan that never stores one.
    wait_until([&] { return first.has_exited() || stored_endpoints() > 0; }, std::chrono::seconds(60),
               std::chrono::milliseconds(20));
    const auto first_exit = first.stop_with(SIGINT, std::chrono::seconds(30));
    REQUIRE(first_exit);
    REQUIRE(*first_exit == 130);
    const auto interrupted = json::parse(run_process({kBinary, "--db", db, "report", "--format", "json"}).out);
    CHECK(interrupted["scan"]["status"] == "interrupted");
    const auto done_before = interrupted["endpoints"].size();
    CHECK(done_before > 0);
    CHECK(done_before < kTargets);
    const auto scans = json::parse(run_process({kBinary, "--db", db, "inventory", "scans", "--format", "json"}).out);
    REQUIRE(scans["scans"].size() == 1);
    CHECK(scans["scans"][0]["status"] == "interrupted");

    auto resume_args = args;
    resume_args.push_back("--resume");
    const auto resumed = run_certfleet(db, resume_args);
    INFO(resumed.err);
    REQUIRE(resumed.exit_code == 0);
    CHECK(resumed.err.find("resuming scan 1 at target ") != std::string::npos);
    const auto report = json::parse(run_process({kBinary, "--db", db, "report", "--format", "json"}).out);
    CHECK(report["scan"]["id"] == 1);
    CHECK(report["scan"]["status"] == "complete");
    CHECK(report["endpoints"].size() == kTargets);
    for (const auto& e : report["endpoints"]) CHECK(e["status"] == "timeout");
    // Nothing left to resume now: a new scan starts instead.
    const auto again = run_certfleet(db, resume_args);
    CHECK(again.err.find("no interrupted scan of these targets") != std::string::npos);
}

TEST_CASE("e2e network: a 50-certificate chain is captured whole", "[e2e][network]") {
    const TestKey key = TestKey::shared({}, 9);
    std::vector<TestCert> chain{TestCert::make({.subject_cn = "CA 0", .is_ca = true}, key)};
    for (int i = 1; i < 50; ++i)
        chain.push_back(TestCert::make({.subject_cn = "CA " + std::to_string(i), .is_ca = true}, key, &chain.back(), &key));
    std::reverse(chain.begin(), chain.end());  // leaf first, as servers send it
    TestFleet fleet({tls_endpoint("127.66.4.1", chain, key)});
    TempDir dir;
    const auto result = scan((dir / "db").string(), {"127.66.4.1:14443", "--no-system-trust", "--timeout-ms", "3000"});
    const json& e = endpoint(result.report, "127.66.4.1", "");
    CHECK(e["status"] == "tls");
    CHECK(e["chain"].size() == 50);
    CHECK(e["chain_order_correct"] == true);
    CHECK(e["root_included"] == true);
    CHECK(e["verify_error"] == "untrusted-root");
}
