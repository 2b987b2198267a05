// The scanner's STARTTLS line dialogues against a scripted server on 127.0.0.1: what the client sends, what it
// skips, what it reports, and the caps that cut off a server that never finishes its reply.
#include <boost/asio.hpp>
#include <catch2/catch.hpp>
#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "scanner/starttls_client.hpp"

using certfleet::StartTls;
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr auto no_throw = asio::as_tuple(asio::use_awaitable);
constexpr auto kDeadline = std::chrono::seconds(10);

struct Exchange {
    std::optional<std::string> refusal;  // the dialogue's outcome: nothing when the server agreed
    std::string client_sent;
};

// What the scripted server does once it has sent its script; either way it then reads until the client is done.
enum class Then { listen, hang_up, repeat_for_ever };

// The script goes out at once: a client must not care how replies are split across reads.
asio::awaitable<void> scripted_server(tcp::socket& socket, std::string script, Then then, std::string& received) {
    do {
        auto [error, sent] = co_await asio::async_write(socket, asio::buffer(script), no_throw);
        if (error) co_return;
    } while (then == Then::repeat_for_ever);
    if (then == Then::hang_up) socket.shutdown(tcp::socket::shutdown_send);
    std::array<char, 1024> chunk;
    for (;;) {
        auto [error, count] = co_await socket.async_read_some(asio::buffer(chunk), no_throw);
        if (error) co_return;
        received.append(chunk.data(), count);
    }
}

// Runs the dialogue against the script. A deadline closes the client's socket, as the scanner's does, so that a
// dialogue that would wait for ever fails the test instead of hanging it.
// A NATS server that says nothing for `silence_means_tls` is taken for one waiting for the TLS handshake: by
// default half the test's deadline, which no scripted INFO comes near.
Exchange run_dialogue(StartTls protocol, const std::string& script, Then then = Then::listen,
                      std::chrono::steady_clock::duration silence_means_tls = kDeadline / 2) {
    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0));
    tcp::socket client(io), server(io);
    client.connect(acceptor.local_endpoint());
    acceptor.accept(server);

    Exchange exchange;
    bool timed_out = false;
    asio::steady_timer deadline(io, kDeadline);
    deadline.async_wait([&](boost::system::error_code error) {
        if (error) return;
        timed_out = true;
        client.close();
    });
    asio::co_spawn(io, scripted_server(server, script, then, exchange.client_sent), asio::detached);
    const std::string server_name = "mail.test";  // the dialogue holds a reference to it until io.run() returns
    asio::co_spawn(io, certfleet::scanner::starttls_dialogue(client, protocol, server_name, silence_means_tls),
                   [&](std::exception_ptr failure, std::optional<std::string> refusal) {
                       if (failure) std::rethrow_exception(failure);
                       exchange.refusal = std::move(refusal);
                       deadline.cancel();
                       // The server reads what the client sent to its end; one that sends for ever is stopped by
                       // a closed socket, as cancelling its write could miss a write about to start.
                       boost::system::error_code ignored;
                       client.shutdown(tcp::socket::shutdown_send, ignored);
                       if (then == Then::repeat_for_ever) client.close(ignored);
                   });
    io.run();
    CHECK_FALSE(timed_out);
    return exchange;
}

struct Case {
    std::string what;
    StartTls protocol;
    std::string server_says;
    std::optional<std::string> refusal;
    std::string client_says;
};

void check_dialogues(const std::vector<Case>& cases) {
    for (const Case& c : cases) {
        INFO(c.what);
        const Exchange exchange = run_dialogue(c.protocol, c.server_says);
        CHECK(exchange.refusal == c.refusal);
        CHECK(exchange.client_sent == c.client_says);
    }
}

const std::string kPostgresSslRequest("\x00\x00\x00\x08\x04\xd2\x16\x2f", 8);
const std::string kLdapStartTlsRequest =
    std::string("\x30\x1d\x02\x01\x01\x77\x18\x80\x16", 9) + "1.3.6.1.4.1.1466.20037";

// A MySQL packet of sequence 0: a 3-byte little-endian length, the sequence, the payload.
std::string mysql_packet(const std::string& payload) {
    return std::string{static_cast<char>(payload.size()), 0, 0, 0} + payload;
}

// A PostgreSQL message: its type, a 4-byte big-endian length that counts itself, the body.
std::string postgres_message(char type, const std::string& body) {
    const std::size_t length = body.size() + 4;
    return std::string{type, 0, 0, static_cast<char>(length >> 8), static_cast<char>(length & 0xff)} + body;
}

}  // namespace

TEST_CASE("starttls client: line dialogues skip continuation and untagged lines, and name a refusal") {
    const std::string imap_greeting = "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n";
    const std::vector<Case> cases{
        {"IMAP: untagged lines before the tagged OK", StartTls::imap,
         imap_greeting + "* CAPABILITY IMAP4rev1 STARTTLS\r\n* OK still here\r\na001 OK Begin TLS now\r\n",
         std::nullopt, "a001 STARTTLS\r\n"},
        {"IMAP: untagged lines before the tagged NO", StartTls::imap,
         imap_greeting + "* CAPABILITY IMAP4rev1\r\na001 NO STARTTLS disabled\r\n",
         "server refused STARTTLS: a001 NO STARTTLS disabled", "a001 STARTTLS\r\n"},
        {"SMTP: multi-line greeting and EHLO reply", StartTls::smtp,
         "220-mail.test ESMTP\r\n220-more banner\r\n220 ready\r\n250-mail.test\r\n250-STARTTLS\r\n250 SMTPUTF8\r\n"
         "220 2.0.0 Ready to start TLS\r\n",
         std::nullopt, "EHLO mail.test\r\nSTARTTLS\r\n"},
        {"SMTP: bare LF line ends, refused", StartTls::smtp,
         "220 ready\n250-mail.test\n250 STARTTLS\n454 4.7.0 not now\n", "server refused STARTTLS: 454 4.7.0 not now",
         "EHLO mail.test\r\nSTARTTLS\r\n"},
        {"POP3: agreed", StartTls::pop3, "+OK ready\r\n+OK Begin TLS\r\n", std::nullopt, "STLS\r\n"},
        {"POP3: refused in the greeting", StartTls::pop3, "-ERR busy\r\n", "server refused STARTTLS: -ERR busy", ""},
        {"FTP: multi-line greeting", StartTls::ftp, "220-welcome\r\n220 ready\r\n234 AUTH TLS OK\r\n", std::nullopt,
         "AUTH TLS\r\n"},
        {"FTP: refused", StartTls::ftp, "220 ready\r\n431 no TLS\r\n", "server refused STARTTLS: 431 no TLS",
         "AUTH TLS\r\n"},
    };
    check_dialogues(cases);
}

TEST_CASE("starttls client: NATS starts TLS after an INFO that requires or offers it, and sends nothing first") {
    const std::string info = R"(INFO {"server_id":"NATS1","version":"2.10.0","proto":1,"max_payload":1048576)";
    check_dialogues({
        {"TLS required", StartTls::nats, info + R"(,"tls_required":true})" + "\r\n", std::nullopt, ""},
        {"TLS offered beside plaintext", StartTls::nats, info + R"(, "tls_available" : true})" + "\r\n",
         std::nullopt, ""},
        {"plaintext only", StartTls::nats, info + R"(,"tls_required":false})" + "\r\n",
         "server refused STARTTLS: the NATS server offers no TLS (its INFO has neither tls_required nor "
         "tls_available true)",
         ""},
        {"an error instead of INFO", StartTls::nats, "-ERR 'maximum connections exceeded'\r\n",
         "server refused STARTTLS: -ERR 'maximum connections exceeded'", ""},
        {"not NATS", StartTls::nats, "HTTP/1.1 400 Bad Request\r\n",
         "not a NATS INFO line: 'HTTP/1.1 400 Bad Request'", ""},
    });
}

TEST_CASE("starttls client: a NATS server that sends no INFO waits for the TLS handshake first, one that hangs up "
          "does not") {
    const auto started = std::chrono::steady_clock::now();
    const Exchange silent = run_dialogue(StartTls::nats, "", Then::listen, std::chrono::milliseconds(100));
    CHECK(silent.refusal == std::nullopt);
    CHECK(silent.client_sent.empty());
    CHECK(std::chrono::steady_clock::now() - started < kDeadline / 2);
    CHECK(run_dialogue(StartTls::nats, "", Then::hang_up, std::chrono::milliseconds(100)).refusal ==
          "connection closed during the STARTTLS dialogue");
    // An INFO within the wait is read as ever.
    CHECK(run_dialogue(StartTls::nats, R"(INFO {"tls_required":false})" "\r\n", Then::listen,
                       std::chrono::seconds(1))
              .refusal == "server refused STARTTLS: the NATS server offers no TLS (its INFO has neither tls_required "
                          "nor tls_available true)");
}

TEST_CASE("starttls client: a server that turns the client away is quoted in its own words") {
    const std::string xmpp_open =
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
        "from='chat.test' id='s1' version='1.0'>";
    const std::string xmpp_client_open =
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
        "to='mail.test' version='1.0'>";
    const std::string ldap_unavailable = std::string("\x30\x1f\x02\x01\x01\x78\x1a\x0a\x01\x34\x04\x00\x04\x13", 14) +
                                         "TLS not configured.";
    const std::string postgres_fields = std::string("SFATAL") + '\0' + "VFATAL" + '\0' + "C53300" + '\0' +
                                        "Msorry, too many clients already" + '\0' + '\0';
    check_dialogues({
        // The server keeps the connection open after its stream error, as RFC 6120 lets it: the error is enough.
        {"XMPP: host-unknown", StartTls::xmpp,
         xmpp_open + "<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                     "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>Unknown host</text>"
                     "</stream:error>",
         "the XMPP server refused the stream: host-unknown: Unknown host (it does not serve the domain "
         "'mail.test'; give its XMPP domain with --sni)",
         xmpp_client_open},
        {"XMPP: entities in the text are decoded", StartTls::xmpp,
         xmpp_open + "<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                     "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>Can&apos;t serve &quot;mail.test&quot; &amp; "
                     "&lt;others&gt; &#x263A;&#9731; &unknown; &#xD800;</text></stream:error>",
         "the XMPP server refused the stream: not-authorized: Can't serve \"mail.test\" & <others> \xe2\x98\xba"
         "\xe2\x98\x83 &unknown; &#xD800;",
         xmpp_client_open},
        {"XMPP: a condition alone", StartTls::xmpp,
         xmpp_open + "<stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>",
         "the XMPP server refused the stream: policy-violation", xmpp_client_open},
        {"MariaDB: this host is not allowed", StartTls::mysql,
         mysql_packet("\xff\x6a\x04Host '127.0.0.1' is not allowed to connect to this MariaDB server"),
         "the MySQL server refused this client before TLS: 1130 Host '127.0.0.1' is not allowed to connect to this "
         "MariaDB server (the server's grants do not allow this scanner's address)",
         ""},
        {"MySQL: an error with its SQLSTATE", StartTls::mysql,
         mysql_packet("\xff\x10\x04#08004Too many connections"),
         "the MySQL server refused this client before TLS: 1040 Too many connections", ""},
        {"PostgreSQL: an ErrorResponse to the SSLRequest", StartTls::postgres,
         postgres_message('E', postgres_fields),
         "the PostgreSQL server refused the SSLRequest: FATAL 53300 sorry, too many clients already",
         kPostgresSslRequest},
        {"LDAP: a refusal with a diagnostic message", StartTls::ldap, ldap_unavailable,
         "server refused STARTTLS: LDAP resultCode 52 (unavailable): TLS not configured.", kLdapStartTlsRequest},
        {"SMTP: control characters are shown, not sent on", StartTls::smtp, "554 no\x1b[2J\x07 thanks\r\n",
         "server refused STARTTLS: 554 no\\x1b[2J\\x07 thanks", ""},
    });
}

TEST_CASE("starttls client: words a server sends before hanging up, without a line end, are quoted") {
    CHECK(run_dialogue(StartTls::smtp, "421 4.3.2 shutting down", Then::hang_up).refusal ==
          "connection closed during the STARTTLS dialogue after the server sent '421 4.3.2 shutting down'");
}

TEST_CASE("starttls client: a refusal quotes at most 200 characters of the reply") {
    const std::string reply = "454 " + std::string(500, 'x');
    CHECK(run_dialogue(StartTls::smtp, "220 ready\r\n250 ok\r\n" + reply + "\r\n").refusal ==
          "server refused STARTTLS: " + reply.substr(0, 200));
}

TEST_CASE("starttls client: a server that hangs up mid-dialogue") {
    CHECK(run_dialogue(StartTls::imap, "* OK ready\r\n* CAPABILITY IMAP4rev1\r\n", Then::hang_up).refusal ==
          "connection closed during the STARTTLS dialogue");
}

TEST_CASE("starttls client: endless continuation lines and an endless line are cut off by the reply cap") {
    const std::string too_long = "STARTTLS reply longer than 16384 bytes";
    CHECK(run_dialogue(StartTls::smtp, "220-more banner\r\n", Then::repeat_for_ever).refusal == too_long);
    // The greeting is one untagged line; all that follows it are untagged lines before a tagged reply never sent.
    CHECK(run_dialogue(StartTls::imap, "* OK ready\r\n", Then::repeat_for_ever).refusal == too_long);
    CHECK(run_dialogue(StartTls::pop3, std::string(1024, '+'), Then::repeat_for_ever).refusal == too_long);
}
