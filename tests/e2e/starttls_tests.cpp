// End-to-end: the scanner's STARTTLS dialogues against servers that talk the way real ones do (untagged IMAP
// lines before the tagged reply, multi-line SMTP and FTP replies, a greeting that takes its time) upgrade to TLS
// and store the certificate. The fleet listens on 127.70.0.0/16 only, one /24 per test case.
#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>

#include "tests/e2e/certfleet_binary.hpp"
#include "testkit/cert_factory.hpp"
#include "testkit/fleet/fleet_control.hpp"

using namespace certfleet::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr std::uint16_t kPort = 14443;

// A server that says all its protocol allows: multi-line greetings and replies, untagged IMAP lines.
FleetEndpoint verbose_endpoint(const std::string& address, const std::string& protocol, const TestChain& chain) {
    return {.kind = "starttls", .address = address, .port = kPort, .chain = {chain.leaf, chain.intermediate},
            .key = chain.leaf_key, .protocol = protocol, .verbose = true};
}

struct ScannedEndpoint {
    json entry;   // the JSON report's entry for the endpoint
    json report;  // the whole report
};

// Scans one endpoint with `--starttls protocol` into the inventory `db`.
ScannedEndpoint scan_starttls(const std::string& db, const std::string& address, const std::string& protocol,
                              std::vector<std::string> options = {}) {
    std::vector<std::string> args{"scan", "--no-progress", address + ":" + std::to_string(kPort), "--starttls",
                                  protocol, "--sni", "mail.fleet.test", "--retries", "0"};
    args.insert(args.end(), options.begin(), options.end());
    const auto scanned = run_certfleet(db, args);
    INFO(scanned.err);
    REQUIRE(scanned.exit_code == 0);
    const auto reported = run_certfleet(db, {"report", "--format", "json"});
    REQUIRE(reported.exit_code == 0);
    ScannedEndpoint result{{}, json::parse(reported.out)};
    for (const auto& entry : result.report["endpoints"])
        if (entry["address"] == address) result.entry = entry;
    REQUIRE(result.entry.is_object());
    return result;
}

bool certificate_stored(const json& report, const TestCert& cert) {
    for (const auto& stored : report["certificates"])
        if (stored["sha256"] == cert.sha256()) return true;
    return false;
}

void check_upgraded(const ScannedEndpoint& scanned, const std::string& protocol, const TestChain& chain) {
    INFO(protocol << ": " << scanned.entry.dump());
    CHECK(scanned.entry["status"] == "tls");
    CHECK(scanned.entry["starttls"] == protocol);
    CHECK(scanned.entry["chain"] == json::array({chain.leaf.sha256(), chain.intermediate.sha256()}));
    CHECK(certificate_stored(scanned.report, chain.leaf));
}

}  // namespace

TEST_CASE("e2e starttls: IMAP untagged lines before the tagged OK are skipped", "[e2e][network][starttls]") {
    const TestChain chain = make_chain("mail.fleet.test");
    TestFleet fleet({verbose_endpoint("127.70.1.1", "imap", chain)});
    TempDir dir;
    check_upgraded(scan_starttls((dir / "imap.db").string(), "127.70.1.1", "imap"), "imap", chain);
}

TEST_CASE("e2e starttls: an IMAP refusal after untagged lines names the tagged reply", "[e2e][network][starttls]") {
    const TestChain chain = make_chain("mail.fleet.test");
    FleetEndpoint refusing = verbose_endpoint("127.70.2.1", "imap", chain);
    refusing.refuse = true;
    TestFleet fleet({refusing});
    TempDir dir;
    const json entry = scan_starttls((dir / "refused.db").string(), "127.70.2.1", "imap").entry;
    CHECK(entry["status"] == "not-tls");
    CHECK(entry["detail"] == "server refused STARTTLS: a001 BAD STARTTLS not available");
}

TEST_CASE("e2e starttls: multi-line SMTP and FTP greetings and replies are read to their end",
          "[e2e][network][starttls]") {
    const TestChain chain = make_chain("mail.fleet.test");
    TestFleet fleet({verbose_endpoint("127.70.3.1", "smtp", chain), verbose_endpoint("127.70.3.2", "ftp", chain)});
    TempDir dir;
    check_upgraded(scan_starttls((dir / "smtp.db").string(), "127.70.3.1", "smtp"), "smtp", chain);
    check_upgraded(scan_starttls((dir / "ftp.db").string(), "127.70.3.2", "ftp"), "ftp", chain);
}

TEST_CASE("e2e starttls: a slow greeting is waited for, up to the STARTTLS timeout", "[e2e][network][starttls]") {
    const TestChain chain = make_chain("mail.fleet.test");
    FleetEndpoint slow = verbose_endpoint("127.70.4.1", "smtp", chain);
    slow.greeting_delay = 1000ms;
    TestFleet fleet({slow});
    TempDir dir;
    const auto patient = scan_starttls((dir / "patient.db").string(), "127.70.4.1", "smtp", {"--timeout-ms", "5000"});
    check_upgraded(patient, "smtp", chain);

    const json impatient =
        scan_starttls((dir / "impatient.db").string(), "127.70.4.1", "smtp", {"--starttls-timeout-ms", "200"}).entry;
    CHECK(impatient["status"] == "timeout");
    CHECK(impatient["detail"] == "STARTTLS smtp timed out");
}
