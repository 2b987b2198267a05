// The test fleet itself: each endpoint kind seen by simple clients (openssl s_client and raw sockets), and the
// process's life cycle. Every test uses its own 127.64.<n>.x addresses so tests may run in parallel.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <memory>
#include <string_view>

#include "testkit/fleet/fleet_control.hpp"
#include "testkit/process.hpp"

using namespace certfleet::testing;
using namespace std::chrono_literals;

namespace {

const std::string kBinary = CERTFLEET_TEST_FLEET_BINARY;

// A plain TCP client with a deadline on every read, so a fleet that misbehaves fails the test instead of hanging it.
class RawClient {
public:
    RawClient(const std::string& address, std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
        REQUIRE(fd_ >= 0);
        sockaddr_in peer{};
        peer.sin_family = AF_INET;
        peer.sin_port = htons(port);
        REQUIRE(::inet_pton(AF_INET, address.c_str(), &peer.sin_addr) == 1);
        INFO("connecting to " << address << ":" << port);
        REQUIRE(::connect(fd_, reinterpret_cast<const sockaddr*>(&peer), sizeof peer) == 0);
    }
    ~RawClient() { ::close(fd_); }
    RawClient(const RawClient&) = delete;
    RawClient& operator=(const RawClient&) = delete;

    void send(std::string_view data) {
        REQUIRE(::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size()));
    }

    struct Received {
        std::string data;  // empty with neither flag set: the fleet closed the connection
        bool timed_out = false;
        int error = 0;  // errno of a failed read
    };

    Received receive(std::chrono::milliseconds timeout = 5s, std::size_t limit = 64 * 1024) {
        pollfd readable{fd_, POLLIN, 0};
        if (::poll(&readable, 1, static_cast<int>(timeout.count())) == 0) return {.timed_out = true};
        std::string buffer(limit, '\0');
        const ssize_t count = ::recv(fd_, buffer.data(), buffer.size(), 0);
        if (count < 0) return {.error = errno};
        buffer.resize(static_cast<std::size_t>(count));
        return {.data = buffer};
    }

    // Exactly `count` bytes, or fewer if the fleet closes, fails or falls silent first.
    std::string receive_exactly(std::size_t count) {
        std::string data;
        while (data.size() < count) {
            const Received more = receive(5s, count - data.size());
            if (more.data.empty()) break;
            data += more.data;
        }
        return data;
    }

    std::string receive_until(std::string_view marker) {
        std::string data;
        while (data.find(marker) == std::string::npos) {
            const Received more = receive();
            if (more.data.empty()) break;
            data += more.data;
        }
        return data;
    }

    std::string receive_all() {
        std::string data;
        for (Received more = receive(); !more.data.empty(); more = receive()) data += more.data;
        return data;
    }

private:
    int fd_;
};

ProcessResult s_client(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), {"openssl", "s_client"});
    return run_process(arguments, {.timeout = 10s});
}

// The subject s_client prints for certificate `depth` of the presented chain, "" when none was presented.
std::string presented_subject(const ProcessResult& result, int depth = 0) {
    const std::string marker = "\n " + std::to_string(depth) + " s:";
    const std::size_t start = result.out.find(marker);
    if (start == std::string::npos) return "";
    const std::size_t begin = start + marker.size();
    return result.out.substr(begin, result.out.find('\n', begin) - begin);
}

FleetEndpoint tls_endpoint(const std::string& address, std::uint16_t port, const TestChain& chain) {
    return {.kind = "tls", .address = address, .port = port, .chain = {chain.leaf, chain.intermediate},
            .key = chain.leaf_key};
}

std::string ber(unsigned char tag, const std::string& value) {
    return std::string{static_cast<char>(tag), static_cast<char>(value.size())} + value;
}

const std::string kStartTlsOid = "1.3.6.1.4.1.1466.20037";

std::string ldap_starttls_request(char message_id) {
    return ber(0x30, ber(0x02, std::string(1, message_id)) + ber(0x77, ber(0x80, kStartTlsOid)));
}

std::string ldap_starttls_response(char message_id, char result_code) {
    std::string response = ber(0x0a, std::string(1, result_code)) + ber(0x04, "") + ber(0x04, "");
    if (result_code == 0) response += ber(0x8a, kStartTlsOid);
    return ber(0x30, ber(0x02, std::string(1, message_id)) + ber(0x78, response));
}

const std::string kPostgresSslRequest{"\x00\x00\x00\x08\x04\xd2\x16\x2f", 8};

// The MySQL server handshake's capability flags, lower 16 bits: after the version string, the connection ID,
// 8 scramble bytes and a filler byte.
unsigned mysql_capabilities(const std::string& handshake) {
    const std::size_t version_end = handshake.find('\0', 5);
    REQUIRE(version_end != std::string::npos);
    const std::size_t flags = version_end + 1 + 4 + 8 + 1;
    REQUIRE(handshake.size() > flags + 1);
    return static_cast<unsigned char>(handshake[flags]) | (static_cast<unsigned char>(handshake[flags + 1]) << 8);
}

}  // namespace

TEST_CASE("tls: presents the default chain without SNI or for an unknown name") {
    const TestChain chain = make_chain("default.fleet");
    TestFleet fleet({tls_endpoint("127.64.1.1", 4443, chain)});

    const auto unknown = s_client({"-connect", "127.64.1.1:4443", "-servername", "unknown.example", "-showcerts"});
    INFO(unknown.out << unknown.err);
    CHECK(unknown.exit_code == 0);
    CHECK(presented_subject(unknown, 0) == "CN = default.fleet");
    CHECK(presented_subject(unknown, 1) == "O = certfleet tests, CN = Test Intermediate CA");

    const auto absent = s_client({"-connect", "127.64.1.1:4443", "-noservername", "-showcerts"});
    CHECK(presented_subject(absent, 0) == "CN = default.fleet");
}

TEST_CASE("tls: picks the chain by SNI whatever its case") {
    const TestChain fallback = make_chain("default.fleet"), alternative = make_chain("alt.fleet");
    FleetEndpoint endpoint = tls_endpoint("127.64.2.1", 4443, fallback);
    endpoint.sni["alt.fleet"] = {{alternative.leaf, alternative.intermediate}, alternative.leaf_key};
    TestFleet fleet({endpoint});

    for (const std::string name : {"alt.fleet", "ALT.Fleet"}) {
        const auto result = s_client({"-connect", "127.64.2.1:4443", "-servername", name, "-showcerts"});
        INFO(name << "\n" << result.out << result.err);
        CHECK(presented_subject(result, 0) == "CN = alt.fleet");
    }
    const auto other = s_client({"-connect", "127.64.2.1:4443", "-servername", "other.fleet"});
    CHECK(presented_subject(other, 0) == "CN = default.fleet");
}

TEST_CASE("tls: honours min_version and max_version") {
    const TestChain chain = make_chain("versions.fleet");
    FleetEndpoint old_only = tls_endpoint("127.64.3.1", 4443, chain);
    FleetEndpoint new_only = tls_endpoint("127.64.3.2", 4443, chain);
    old_only.max_version = "TLSv1.2";
    new_only.min_version = "TLSv1.3";
    TestFleet fleet({old_only, new_only});

    CHECK_THAT(s_client({"-connect", "127.64.3.1:4443"}).out, Catch::Contains("New, TLSv1.2,"));
    CHECK(presented_subject(s_client({"-connect", "127.64.3.1:4443", "-tls1_3"})).empty());
    CHECK_THAT(s_client({"-connect", "127.64.3.2:4443"}).out, Catch::Contains("New, TLSv1.3,"));
    CHECK(presented_subject(s_client({"-connect", "127.64.3.2:4443", "-tls1_2"})).empty());
}

TEST_CASE("tls: staples a well-formed OCSP response when asked") {
    const TestChain chain = make_chain("stapled.fleet");
    FleetEndpoint stapled = tls_endpoint("127.64.4.1", 4443, chain);
    stapled.ocsp_staple = true;
    TestFleet fleet({stapled, tls_endpoint("127.64.4.2", 4443, chain)});

    const auto with_staple = s_client({"-connect", "127.64.4.1:4443", "-status"});
    INFO(with_staple.out);
    CHECK_THAT(with_staple.out, Catch::Contains("OCSP Response Status: successful (0x0)"));
    CHECK_THAT(with_staple.out, Catch::Contains("Cert Status: good"));
    CHECK_THAT(s_client({"-connect", "127.64.4.2:4443", "-status"}).out, Catch::Contains("no response sent"));
}

TEST_CASE("starttls: openssl s_client upgrades over every protocol") {
    const TestChain chain = make_chain("starttls.fleet");
    // Every protocol s_client's -starttls speaks; NATS is not among them (the scanner's e2e tests upgrade it).
    const std::vector<std::string> protocols{"smtp", "imap", "pop3", "ftp", "ldap", "postgres", "xmpp", "mysql"};
    std::vector<FleetEndpoint> endpoints;
    for (std::size_t i = 0; i < protocols.size(); ++i) {
        FleetEndpoint endpoint = tls_endpoint("127.64.5.1", static_cast<std::uint16_t>(5000 + i), chain);
        endpoint.kind = "starttls";
        endpoint.protocol = protocols[i];
        endpoints.push_back(endpoint);
    }
    TestFleet fleet(endpoints);

    for (std::size_t i = 0; i < protocols.size(); ++i) {
        const auto result =
            s_client({"-connect", "127.64.5.1:" + std::to_string(5000 + i), "-starttls", protocols[i], "-showcerts"});
        INFO(protocols[i] << "\n" << result.out << result.err);
        CHECK(presented_subject(result, 0) == "CN = starttls.fleet");
        CHECK(presented_subject(result, 1) == "O = certfleet tests, CN = Test Intermediate CA");
    }
}

TEST_CASE("starttls: the plaintext dialogues when accepting and when refusing the upgrade") {
    const TestChain chain = make_chain("starttls.fleet");
    const std::vector<std::string> protocols{"smtp",     "imap", "pop3",  "ftp", "ldap",
                                             "postgres", "xmpp", "mysql", "nats"};
    std::vector<FleetEndpoint> endpoints;
    for (const bool refuse : {false, true}) {
        for (std::size_t i = 0; i < protocols.size(); ++i) {
            FleetEndpoint endpoint = tls_endpoint(refuse ? "127.64.6.2" : "127.64.6.1",
                                                  static_cast<std::uint16_t>(5000 + i), chain);
            endpoint.kind = "starttls";
            endpoint.protocol = protocols[i];
            endpoint.refuse = refuse;
            endpoints.push_back(endpoint);
        }
    }
    TestFleet fleet(endpoints);
    const auto client = [&](bool refuse, const std::string& protocol) {
        const auto index = std::find(protocols.begin(), protocols.end(), protocol) - protocols.begin();
        return std::make_unique<RawClient>(refuse ? "127.64.6.2" : "127.64.6.1",
                                           static_cast<std::uint16_t>(5000 + index));
    };
    // Sends a command and reads exactly the reply expected, so that a longer reply shows up as a mismatch too.
    const auto exchange = [](RawClient& raw, const std::string& command, const std::string& reply) {
        if (!command.empty()) raw.send(command);
        CHECK(raw.receive_exactly(reply.size()) == reply);
    };

    for (const bool refuse : {false, true}) {
        INFO("refuse: " << refuse);
        {
            auto smtp = client(refuse, "smtp");
            exchange(*smtp, "", "220 fleet ESMTP\r\n");
            exchange(*smtp, "EHLO scanner.example\r\n", "250-fleet\r\n250 STARTTLS\r\n");
            exchange(*smtp, "STARTTLS\r\n",
                     refuse ? "454 4.7.0 TLS not available\r\n" : "220 2.0.0 Ready to start TLS\r\n");
        }
        {
            auto imap = client(refuse, "imap");
            exchange(*imap, "", "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n");
            exchange(*imap, "a1 CAPABILITY\r\n", "* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK CAPABILITY completed\r\n");
            exchange(*imap, "a2 STARTTLS\r\n",
                     refuse ? "a2 BAD STARTTLS not available\r\n" : "a2 OK Begin TLS negotiation now\r\n");
        }
        {
            auto pop3 = client(refuse, "pop3");
            exchange(*pop3, "", "+OK ready\r\n");
            exchange(*pop3, "CAPA\r\n", "+OK Capability list follows\r\nUSER\r\nSTLS\r\n.\r\n");
            exchange(*pop3, "STLS\r\n", refuse ? "-ERR TLS not available\r\n" : "+OK Begin TLS\r\n");
        }
        {
            auto ftp = client(refuse, "ftp");
            exchange(*ftp, "", "220 ready\r\n");
            exchange(*ftp, "AUTH TLS\r\n", refuse ? "431 TLS not available\r\n" : "234 AUTH TLS OK\r\n");
        }
        {
            auto ldap = client(refuse, "ldap");
            exchange(*ldap, ldap_starttls_request(7), ldap_starttls_response(7, refuse ? 52 : 0));
        }
        {
            auto postgres = client(refuse, "postgres");
            exchange(*postgres, kPostgresSslRequest, refuse ? "N" : "S");
        }
        {
            auto xmpp = client(refuse, "xmpp");
            xmpp->send("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                       "xmlns:stream='http://etherx.jabber.org/streams' to='fleet' version='1.0'>");
            CHECK_THAT(xmpp->receive_until("</stream:features>"),
                       Catch::Contains("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"));
            xmpp->send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
            CHECK_THAT(xmpp->receive_until("/>"), Catch::StartsWith(refuse ? "<failure" : "<proceed"));
        }
        {
            auto mysql = client(refuse, "mysql");
            const std::string header = mysql->receive_exactly(4);
            REQUIRE(header.size() == 4);
            const std::string handshake = header + mysql->receive_exactly(static_cast<unsigned char>(header[0]));
            CHECK(handshake[4] == '\x0a');  // protocol version 10
            const bool offers_tls = mysql_capabilities(handshake) & 0x0800;
            CHECK(offers_tls == !refuse);
        }
        {
            auto nats = client(refuse, "nats");
            const std::string info = nats->receive_until("\r\n");
            CHECK_THAT(info, Catch::StartsWith("INFO {") && Catch::EndsWith("}\r\n"));
            const bool requires_tls = info.find(R"("tls_required":true)") != std::string::npos;
            CHECK(requires_tls == !refuse);
        }
    }
}

TEST_CASE("starttls: turning the client away before any upgrade, in each protocol's words") {
    const TestChain chain = make_chain("starttls.fleet");
    const auto rejecting = [&](const std::string& address, const std::string& protocol) {
        FleetEndpoint endpoint = tls_endpoint(address, 2525, chain);
        endpoint.kind = "starttls";
        endpoint.protocol = protocol;
        endpoint.reject_client = true;
        return endpoint;
    };
    TestFleet fleet({rejecting("127.64.14.1", "smtp"), rejecting("127.64.14.2", "xmpp"),
                     rejecting("127.64.14.3", "mysql"), rejecting("127.64.14.4", "postgres")});

    RawClient smtp("127.64.14.1", 2525);
    CHECK(smtp.receive_all() == "554 5.7.1 fleet: access denied\r\n");

    // Like Prosody for a domain it does not serve; the connection stays open until the client closes its stream.
    RawClient xmpp("127.64.14.2", 2525);
    xmpp.send("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
              "xmlns:stream='http://etherx.jabber.org/streams' to='elsewhere.example' version='1.0'>");
    CHECK_THAT(xmpp.receive_until("</stream:stream>"),
               Catch::EndsWith("<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                               "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>This server does not serve "
                               "elsewhere.example</text></stream:error></stream:stream>"));
    CHECK(xmpp.receive(200ms).timed_out);

    // MariaDB's ERR packet as its greeting: error 1130 naming the address the client came from.
    RawClient mysql("127.64.14.3", 2525);
    const std::string message = "Host '127.0.0.1' is not allowed to connect to this MariaDB server";
    CHECK(mysql.receive_all() ==
          std::string{static_cast<char>(message.size() + 3), 0, 0, 0, '\xff', '\x6a', '\x04'} + message);

    RawClient postgres("127.64.14.4", 2525);
    postgres.send(kPostgresSslRequest);
    const std::string error = postgres.receive_all();
    CHECK(error.starts_with('E'));
    CHECK_THAT(error, Catch::Contains(std::string("C53300") + '\0' + "Msorry, too many clients already"));

    for (const std::string protocol : {"ldap", "nats"})
        CHECK_THROWS_WITH(TestFleet({rejecting("127.64.14.5", protocol)}),
                          Catch::Contains("reject_client is not served for protocol \"" + protocol + "\""));
}

TEST_CASE("starttls: verbose servers send multi-line and untagged replies, and a slow one greets late") {
    const TestChain chain = make_chain("starttls.fleet");
    const auto verbose = [&](const std::string& address, const std::string& protocol) {
        FleetEndpoint endpoint = tls_endpoint(address, 2525, chain);
        endpoint.kind = "starttls";
        endpoint.protocol = protocol;
        endpoint.verbose = true;
        return endpoint;
    };
    FleetEndpoint slow = verbose("127.64.13.4", "smtp");
    slow.greeting_delay = 300ms;
    TestFleet fleet(
        {verbose("127.64.13.1", "smtp"), verbose("127.64.13.2", "imap"), verbose("127.64.13.3", "ftp"), slow});
    const auto expect = [](RawClient& client, const std::string& reply) {
        CHECK(client.receive_exactly(reply.size()) == reply);
    };

    RawClient smtp("127.64.13.1", 2525);
    expect(smtp, "220-fleet ESMTP\r\n220-No unsolicited mail\r\n220 ready\r\n");
    smtp.send("EHLO scanner.example\r\n");
    expect(smtp, "250-fleet greets you\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n250-8BITMIME\r\n"
                 "250 SMTPUTF8\r\n");

    RawClient imap("127.64.13.2", 2525);
    expect(imap, "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n");
    imap.send("a001 STARTTLS\r\n");
    expect(imap, "* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n* OK [ALERT] TLS comes next\r\n"
                 "a001 OK Begin TLS negotiation now\r\n");

    RawClient ftp("127.64.13.3", 2525);
    expect(ftp, "220-fleet FTP\r\n220-Be nice\r\n220 ready\r\n");

    const auto connected = std::chrono::steady_clock::now();
    RawClient late("127.64.13.4", 2525);
    expect(late, "220-fleet ESMTP\r\n220-No unsolicited mail\r\n220 ready\r\n");
    CHECK(std::chrono::steady_clock::now() - connected >= 300ms);
}

TEST_CASE("starttls: a refused SMTP session goes on and ends with QUIT") {
    const TestChain chain = make_chain("starttls.fleet");
    FleetEndpoint endpoint = tls_endpoint("127.64.7.1", 2525, chain);
    endpoint.kind = "starttls";
    endpoint.protocol = "smtp";
    endpoint.refuse = true;
    TestFleet fleet({endpoint});

    RawClient smtp("127.64.7.1", 2525);
    const std::string greeting = "220 fleet ESMTP\r\n";
    CHECK(smtp.receive_exactly(greeting.size()) == greeting);
    smtp.send("STARTTLS\r\n");
    CHECK(smtp.receive_until("\r\n") == "454 4.7.0 TLS not available\r\n");
    smtp.send("QUIT\r\n");
    CHECK(smtp.receive_all() == "221 2.0.0 Bye\r\n");
}

TEST_CASE("broken endpoints: tarpit plaintext close reset garbage") {
    TestFleet fleet({
        {.kind = "tarpit", .address = "127.64.8.1", .port = 4443},
        {.kind = "plaintext", .address = "127.64.8.2", .port = 4443},
        {.kind = "close", .address = "127.64.8.3", .port = 4443},
        {.kind = "reset", .address = "127.64.8.4", .port = 4443},
        {.kind = "garbage", .address = "127.64.8.5", .port = 4443, .bytes = 100000},
        {.kind = "garbage", .address = "127.64.8.6", .port = 4443},
    });

    SECTION("a tarpit accepts and says nothing, however many clients wait") {
        std::vector<std::unique_ptr<RawClient>> clients;
        for (int i = 0; i < 300; ++i) clients.push_back(std::make_unique<RawClient>("127.64.8.1", 4443));
        clients.front()->send(std::string("\x16\x03\x01\x00\x04\x01\x00\x00\x00", 9));
        CHECK(clients.front()->receive(200ms).timed_out);
        CHECK(clients.back()->receive(200ms).timed_out);
    }
    SECTION("plaintext answers like an HTTP server, then waits for the client") {
        RawClient client("127.64.8.2", 4443);
        CHECK(client.receive_until("\r\n\r\n") == "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        CHECK(client.receive(200ms).timed_out);
    }
    SECTION("close closes at once") {
        RawClient client("127.64.8.3", 4443);
        const auto received = client.receive();
        CHECK(received.data.empty());
        CHECK_FALSE(received.timed_out);
        CHECK(received.error == 0);
    }
    SECTION("reset resets once the ClientHello is in") {
        RawClient client("127.64.8.4", 4443);
        CHECK(client.receive(200ms).timed_out);
        client.send(std::string("\x16\x03\x01\x00\x04\x01\x00\x00\x00", 9));
        CHECK(client.receive().error == ECONNRESET);
        CHECK(presented_subject(s_client({"-connect", "127.64.8.4:4443"})).empty());
    }
    SECTION("garbage sends the configured amount of the same bytes every time, then closes") {
        RawClient first("127.64.8.5", 4443), second("127.64.8.5", 4443);
        const std::string bytes = first.receive_all();
        CHECK(bytes.size() == 100000);
        CHECK(bytes == second.receive_all());
        CHECK(bytes.substr(0, 1000) != std::string(1000, bytes[0]));
    }
    SECTION("garbage defaults to 10 MiB") {
        RawClient client("127.64.8.6", 4443);
        CHECK(client.receive_all().size() == 10u << 20);
    }
}

TEST_CASE("lifecycle: exits 0 by itself after max_seconds") {
    const auto started = std::chrono::steady_clock::now();
    TestFleet fleet({{.kind = "tarpit", .address = "127.64.9.1", .port = 4443}}, 2);
    RawClient held("127.64.9.1", 4443);  // an open connection must not keep it alive
    CHECK(fleet.wait_for_exit(10s) == 0);
    CHECK(std::chrono::steady_clock::now() - started >= 1900ms);
}

TEST_CASE("lifecycle: exits 0 on SIGTERM and SIGINT even with sessions open") {
    const TestChain chain = make_chain("signals.fleet");
    for (const int signal_number : {SIGTERM, SIGINT}) {
        TestFleet fleet({tls_endpoint("127.64.10.1", 4443, chain),
                         {.kind = "tarpit", .address = "127.64.10.2", .port = 4443}});
        RawClient tarpit("127.64.10.2", 4443), half_handshake("127.64.10.1", 4443);
        half_handshake.send(std::string("\x16\x03\x01\x00\x04\x01\x00\x00", 8));
        // Sessions that held it would keep it up to max_seconds (120): the 10 s wait is a ceiling only that reaches.
        if (signal_number == SIGTERM) {
            CHECK(fleet.stop(10s) == 0);
        } else {
            ::kill(fleet.pid(), SIGINT);
            CHECK(fleet.wait_for_exit(10s) == 0);
        }
        for (RawClient* session : {&tarpit, &half_handshake}) {
            const auto ended = session->receive();
            CHECK(ended.data.empty());
            CHECK_FALSE(ended.timed_out);
        }
    }
}

TEST_CASE("lifecycle: without --ready-file it reports ready on stdout") {
    TempDir dir;
    write_file(dir / "fleet.json", std::string(R"({"max_seconds": 1, "endpoints": [
                                                  {"kind": "close", "address": "127.64.11.1", "port": 4443}]})"));
    const auto result = run_process({kBinary, (dir / "fleet.json").string()}, {.timeout = 10s});
    CHECK(result.exit_code == 0);
    CHECK(result.out == "ready 1\n");
}

TEST_CASE("lifecycle: fails fast and clearly") {
    SECTION("an address:port already taken is named") {
        TestFleet first({{.kind = "tarpit", .address = "127.64.12.1", .port = 4443}});
        CHECK_THROWS_WITH(TestFleet({{.kind = "close", .address = "127.64.12.2", .port = 4443},
                                     {.kind = "tarpit", .address = "127.64.12.1", .port = 4443}}),
                          Catch::Contains("cannot listen on 127.64.12.1:4443: Address already in use"));
    }
    SECTION("a config mistake names the endpoint") {
        CHECK_THROWS_WITH(TestFleet({{.kind = "tarpot", .address = "127.64.12.3", .port = 4443}}),
                          Catch::Contains("endpoint #0 (127.64.12.3:4443): unknown kind \"tarpot\""));
        CHECK_THROWS_WITH(TestFleet({{.kind = "tarpit", .address = "127.64.12.3", .port = 4443, .bytes = 5}}),
                          Catch::Contains("field \"bytes\" is unknown or does not apply to kind \"tarpit\""));
        CHECK_THROWS_WITH(TestFleet({{.kind = "tarpit", .address = "localhost", .port = 4443}}),
                          Catch::Contains("address must be an IPv4 address in 127.0.0.0/8"));
        CHECK_THROWS_WITH(TestFleet({{.kind = "starttls", .address = "127.64.12.3", .port = 4443}}),
                          Catch::Contains("cert_chain"));
        CHECK_THROWS_WITH(TestFleet({{.kind = "tls", .address = "127.64.12.3", .port = 4443, .verbose = true}}),
                          Catch::Contains("field \"starttls_verbose\" is unknown or does not apply to kind \"tls\""));
    }
}

TEST_CASE("scale: a thousand TLS endpoints start and all answer") {
    const TestChain chain = make_chain("many.fleet");
    std::vector<FleetEndpoint> endpoints;
    const auto address = [](int i) {
        return "127.64." + std::to_string(20 + i / 250) + "." + std::to_string(1 + i % 250);
    };
    for (int i = 0; i < 1000; ++i) endpoints.push_back(tls_endpoint(address(i), 4443, chain));
    TestFleet fleet(endpoints);  // throws if not every endpoint listens within its 20 s ceiling

    for (const int i : {0, 499, 999}) {
        const auto result = s_client({"-connect", address(i) + ":4443"});
        INFO(address(i) << "\n" << result.out << result.err);
        CHECK(presented_subject(result) == "CN = many.fleet");
    }
}
