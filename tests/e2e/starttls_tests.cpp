// End-to-end: the scanner's STARTTLS dialogues against servers that talk the way real ones do (untagged IMAP
// lines before the tagged reply, multi-line SMTP and FTP replies, a greeting that takes its time, NATS's INFO)
// upgrade to TLS and store the certificate; servers that turn the scanner away are recorded in their own words.
// The fleet listens on 127.70.0.0/16, one /24 per test case, and for the cases added in issue 17 on
// 127.66.67.x:15453, one address per test case.
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
constexpr std::uint16_t kIssue17Port = 15453;

FleetEndpoint starttls_endpoint(const std::string& address, std::uint16_t port, const std::string& protocol,
                                const TestChain& chain) {
    return {.kind = "starttls", .address = address, .port = port, .chain = {chain.leaf, chain.intermediate},
            .key = chain.leaf_key, .protocol = protocol};
}

// A server that says all its protocol allows: multi-line greetings and replies, untagged IMAP lines.
FleetEndpoint verbose_endpoint(const std::string& address, const std::string& protocol, const TestChain& chain) {
    FleetEndpoint endpoint = starttls_endpoint(address, kPort, protocol, chain);
    endpoint.verbose = true;
    return endpoint;
}

// A server that turns the scanner away before any upgrade, each protocol in its own words.
FleetEndpoint rejecting_endpoint(const std::string& address, const std::string& protocol, const TestChain& chain) {
    FleetEndpoint endpoint = starttls_endpoint(address, kIssue17Port, protocol, chain);
    endpoint.reject_client = true;
    return endpoint;
}

struct ScannedEndpoint {
    json entry;   // the JSON report's entry for the endpoint
    json report;  // the whole report
};

// Scans the endpoint with `--starttls` of its protocol into the inventory `db`, as mail.fleet.test unless the
// options give another --sni.
ScannedEndpoint scan_starttls(const std::string& db, const FleetEndpoint& endpoint,
                              std::vector<std::string> options = {}, const std::string& server_name = "mail.fleet.test") {
    const std::string& address = endpoint.address;
    std::vector<std::string> args{"scan", "--no-progress", address + ":" + std::to_string(endpoint.port), "--starttls",
                                  endpoint.protocol, "--retries", "0"};
    if (!server_name.empty()) args.insert(args.end(), {"--sni", server_name});
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
    const FleetEndpoint imap = verbose_endpoint("127.70.1.1", "imap", chain);
    TestFleet fleet({imap});
    TempDir dir;
    check_upgraded(scan_starttls((dir / "imap.db").string(), imap), "imap", chain);
}

TEST_CASE("e2e starttls: an IMAP refusal after untagged lines names the tagged reply", "[e2e][network][starttls]") {
    const TestChain chain = make_chain("mail.fleet.test");
    FleetEndpoint refusing = verbose_endpoint("127.70.2.1", "imap", chain);
    refusing.refuse = true;
    TestFleet fleet({refusing});
    TempDir dir;
    const json entry = scan_starttls((dir / "refused.db").string(), refusing).entry;
    CHECK(entry["status"] == "not-tls");
    CHECK(entry["detail"] == "server refused STARTTLS: a001 BAD STARTTLS not available");
}

TEST_CASE("e2e starttls: multi-line SMTP and FTP greetings and replies are read to their end",
          "[e2e][network][starttls]") {
    const TestChain chain = make_chain("mail.fleet.test");
    const FleetEndpoint smtp = verbose_endpoint("127.70.3.1", "smtp", chain);
    const FleetEndpoint ftp = verbose_endpoint("127.70.3.2", "ftp", chain);
    TestFleet fleet({smtp, ftp});
    TempDir dir;
    check_upgraded(scan_starttls((dir / "smtp.db").string(), smtp), "smtp", chain);
    check_upgraded(scan_starttls((dir / "ftp.db").string(), ftp), "ftp", chain);
}

TEST_CASE("e2e starttls: a slow greeting is waited for, up to the STARTTLS timeout", "[e2e][network][starttls]") {
    const TestChain chain = make_chain("mail.fleet.test");
    FleetEndpoint slow = verbose_endpoint("127.70.4.1", "smtp", chain);
    slow.greeting_delay = 1000ms;
    TestFleet fleet({slow});
    TempDir dir;
    const auto patient = scan_starttls((dir / "patient.db").string(), slow, {"--timeout-ms", "5000"});
    check_upgraded(patient, "smtp", chain);

    const json impatient =
        scan_starttls((dir / "impatient.db").string(), slow, {"--starttls-timeout-ms", "200"}).entry;
    CHECK(impatient["status"] == "timeout");
    CHECK(impatient["detail"] == "STARTTLS smtp timed out");
}

TEST_CASE("e2e starttls: NATS upgrades after an INFO that requires TLS, and a plaintext-only one says so",
          "[e2e][network][starttls]") {
    const TestChain chain = make_chain("mail.fleet.test");
    const FleetEndpoint nats = starttls_endpoint("127.66.67.1", kIssue17Port, "nats", chain);
    FleetEndpoint plaintext_only = starttls_endpoint("127.66.67.2", kIssue17Port, "nats", chain);
    plaintext_only.refuse = true;
    TestFleet fleet({nats, plaintext_only});
    TempDir dir;
    check_upgraded(scan_starttls((dir / "nats.db").string(), nats), "nats", chain);
    const json refused = scan_starttls((dir / "plaintext.db").string(), plaintext_only).entry;
    CHECK(refused["status"] == "not-tls");
    CHECK(refused["detail"] == "server refused STARTTLS: the NATS server offers no TLS (its INFO has neither "
                               "tls_required nor tls_available true)");
}

TEST_CASE("e2e starttls: a NATS server that takes the TLS handshake first, sending no INFO, is scanned over TLS",
          "[e2e][network][starttls]") {
    const TestChain chain = make_chain("mail.fleet.test");
    // A handshake_first server says nothing and waits for the ClientHello, as a plain TLS server does.
    const FleetEndpoint handshake_first =
        tls_endpoint("127.66.67.10", kIssue17Port, {chain.leaf, chain.intermediate}, chain.leaf_key);
    TestFleet fleet({handshake_first});
    TempDir dir;
    FleetEndpoint as_nats = handshake_first;
    as_nats.protocol = "nats";
    check_upgraded(scan_starttls((dir / "nats.db").string(), as_nats, {"--timeout-ms", "4000"}), "nats", chain);
}

TEST_CASE("e2e starttls: an XMPP host-unknown stream error names the domain asked for and the fix",
          "[e2e][network][starttls]") {
    const TestChain chain = make_chain("mail.fleet.test");
    // The fleet keeps the connection open after its stream error: waiting for it to close would end in timeout.
    const FleetEndpoint xmpp = rejecting_endpoint("127.66.67.3", "xmpp", chain);
    TestFleet fleet({xmpp});
    TempDir dir;
    const json nameless = scan_starttls((dir / "nameless.db").string(), xmpp, {"--timeout-ms", "3000"}, "").entry;
    CHECK(nameless["status"] == "not-tls");
    CHECK(nameless["detail"] == "the XMPP server refused the stream: host-unknown: This server does not serve "
                                "certfleet.invalid (it does not serve the domain 'certfleet.invalid'; give its XMPP "
                                "domain with --sni)");
    const json named =
        scan_starttls((dir / "named.db").string(), xmpp, {"--timeout-ms", "3000"}, "chat.fleet.test").entry;
    CHECK(named["status"] == "not-tls");
    CHECK_THAT(named["detail"].get<std::string>(), Catch::Contains("'chat.fleet.test'"));
}

TEST_CASE("e2e starttls: a MariaDB that refuses this client's address is quoted with the reason",
          "[e2e][network][starttls]") {
    const TestChain chain = make_chain("mail.fleet.test");
    const FleetEndpoint mariadb = rejecting_endpoint("127.66.67.4", "mysql", chain);
    TestFleet fleet({mariadb});
    TempDir dir;
    const json entry = scan_starttls((dir / "mariadb.db").string(), mariadb).entry;
    CHECK(entry["status"] == "not-tls");
    // The fleet names the address the scanner connected from, as MariaDB does.
    CHECK_THAT(entry["detail"].get<std::string>(),
               Catch::Matches("the MySQL server refused this client before TLS: 1130 Host '127\\.[0-9.]+' is not "
                              "allowed to connect to this MariaDB server \\(the server's grants do not allow this "
                              "scanner's address\\)"));
}

TEST_CASE("e2e starttls: a greeting or answer that turns the scanner away is quoted as the server sent it",
          "[e2e][network][starttls]") {
    const TestChain chain = make_chain("mail.fleet.test");
    const std::vector<std::pair<FleetEndpoint, std::string>> expected{
        {rejecting_endpoint("127.66.67.5", "smtp", chain), "server refused STARTTLS: 554 5.7.1 fleet: access denied"},
        {rejecting_endpoint("127.66.67.6", "imap", chain), "server refused STARTTLS: * BYE fleet: access denied"},
        {rejecting_endpoint("127.66.67.7", "pop3", chain), "server refused STARTTLS: -ERR fleet: access denied"},
        {rejecting_endpoint("127.66.67.8", "ftp", chain), "server refused STARTTLS: 421 fleet: access denied"},
        {rejecting_endpoint("127.66.67.9", "postgres", chain),
         "the PostgreSQL server refused the SSLRequest: FATAL 53300 sorry, too many clients already"},
    };
    std::vector<FleetEndpoint> endpoints;
    for (const auto& [endpoint, detail] : expected) endpoints.push_back(endpoint);
    TestFleet fleet(endpoints);
    TempDir dir;
    for (const auto& [endpoint, detail] : expected) {
        const json entry = scan_starttls((dir / (endpoint.protocol + ".db")).string(), endpoint).entry;
        INFO(endpoint.protocol << ": " << entry.dump());
        CHECK(entry["status"] == "not-tls");
        CHECK(entry["detail"] == detail);
    }
}
