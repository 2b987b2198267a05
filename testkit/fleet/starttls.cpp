#include "testkit/fleet/starttls.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace certfleet::fleet {

namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;

// No request in these dialogues comes near this; a client that sends more is not speaking the protocol.
constexpr std::size_t kMaxRequest = 16 * 1024;

struct BerElement {
    unsigned char tag;
    std::string_view value;
};

// Splits the BER element at the front of `input` off it; nullopt while the element is still incomplete.
std::optional<BerElement> take_ber(std::string_view& input) {
    if (input.size() < 2) return std::nullopt;
    std::size_t length = static_cast<unsigned char>(input[1]);
    std::size_t header = 2;
    if (length & 0x80) {
        const std::size_t octets = length & 0x7f;
        if (octets == 0 || octets > 3) throw std::runtime_error("BER length out of range");
        if (input.size() < header + octets) return std::nullopt;
        length = 0;
        for (std::size_t i = 0; i < octets; ++i) length = (length << 8) | static_cast<unsigned char>(input[header + i]);
        header += octets;
    }
    if (input.size() - header < length) return std::nullopt;
    const BerElement element{static_cast<unsigned char>(input[0]), input.substr(header, length)};
    input.remove_prefix(header + length);
    return element;
}

// Short form only: everything this fake sends is under 128 bytes, message IDs being at most 4.
std::string ber(unsigned char tag, std::string_view value) {
    return std::string{static_cast<char>(tag), static_cast<char>(value.size())} + std::string(value);
}

std::string little_endian(std::uint32_t value, int bytes) {
    std::string out;
    for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xff);
    return out;
}

std::uint32_t from_little_endian(std::string_view bytes) {
    std::uint32_t value = 0;
    for (std::size_t i = bytes.size(); i-- > 0;) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
    return value;
}

std::uint32_t from_big_endian(std::string_view bytes) {
    std::uint32_t value = 0;
    for (const char byte : bytes) value = (value << 8) | static_cast<unsigned char>(byte);
    return value;
}

// The plaintext half of a connection. What the client sent past its upgrade request dies with this object:
// carrying it into the TLS session is the STARTTLS command injection flaw (CVE-2011-0411).
class Plaintext {
public:
    explicit Plaintext(tcp::socket& socket) : socket_(socket) {}

    awaitable<void> send(std::string_view text) {
        co_await asio::async_write(socket_, asio::buffer(text), asio::use_awaitable);
    }

    awaitable<std::string> read_through(char delimiter) {
        std::size_t end;
        while ((end = pending_.find(delimiter)) == std::string::npos) co_await fill();
        co_return take(end + 1);
    }

    // Never reads past `count`: a MySQL client sends its ClientHello right behind its SSLRequest, unprompted.
    awaitable<std::string> read_exactly(std::size_t count) {
        while (pending_.size() < count) co_await fill(count - pending_.size());
        co_return take(count);
    }

    awaitable<std::string> read_ber_element() {
        for (;;) {
            std::string_view rest = pending_;
            if (take_ber(rest)) co_return take(pending_.size() - rest.size());
            co_await fill();
        }
    }

private:
    awaitable<void> fill(std::size_t at_most = 2048) {
        if (pending_.size() >= kMaxRequest) throw std::length_error("client request too long");
        std::array<char, 2048> chunk;
        const std::size_t received =
            co_await socket_.async_read_some(asio::buffer(chunk, at_most), asio::use_awaitable);
        pending_.append(chunk.data(), received);
    }

    std::string take(std::size_t count) {
        std::string front = pending_.substr(0, count);
        pending_.erase(0, count);
        return front;
    }

    tcp::socket& socket_;
    std::string pending_;
};

// Line protocols (SMTP, IMAP, POP3, FTP): a greeting, then one reply per command line.
enum class Next { talk, upgrade, hang_up };

struct Reply {
    std::string text;
    Next next = Next::talk;
};

struct Manner {
    bool refuse = false;
    bool verbose = false;  // multi-line replies, untagged IMAP lines: whatever the protocol lets a server add
    bool reject_client = false;
};

using Responder = Reply (*)(std::string_view line, Manner manner);

std::pair<std::string_view, std::string_view> split_word(std::string_view text) {
    const std::size_t space = text.find(' ');
    if (space == std::string_view::npos) return {text, {}};
    return {text.substr(0, space), text.substr(space + 1)};
}

std::string upper(std::string_view text) {
    std::string out(text);
    std::ranges::transform(out, out.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return out;
}

std::string_view without_line_end(std::string_view line) {
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    return line;
}

Reply smtp(std::string_view line, Manner manner) {
    const std::string verb = upper(split_word(line).first);
    // STARTTLS is not the last extension on purpose: a client must read the reply to its end, not to STARTTLS.
    if (verb == "EHLO" && manner.verbose)
        return {"250-fleet greets you\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n250-8BITMIME\r\n"
                "250 SMTPUTF8\r\n"};
    if (verb == "EHLO") return {"250-fleet\r\n250 STARTTLS\r\n"};
    if (verb == "HELO") return {"250 fleet\r\n"};
    if (verb == "STARTTLS")
        return manner.refuse ? Reply{"454 4.7.0 TLS not available\r\n"}
                             : Reply{"220 2.0.0 Ready to start TLS\r\n", Next::upgrade};
    if (verb == "NOOP" || verb == "RSET") return {"250 2.0.0 OK\r\n"};
    if (verb == "QUIT") return {"221 2.0.0 Bye\r\n", Next::hang_up};
    return {"502 5.5.2 Command not recognized\r\n"};
}

Reply imap(std::string_view line, Manner manner) {
    const auto [tag_view, command] = split_word(line);
    const std::string tag(tag_view), verb = upper(split_word(command).first);
    if (verb == "CAPABILITY") return {"* CAPABILITY IMAP4rev1 STARTTLS\r\n" + tag + " OK CAPABILITY completed\r\n"};
    if (verb == "STARTTLS") {
        const std::string untagged =
            manner.verbose ? "* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n* OK [ALERT] TLS comes next\r\n" : "";
        return manner.refuse ? Reply{untagged + tag + " BAD STARTTLS not available\r\n"}
                             : Reply{untagged + tag + " OK Begin TLS negotiation now\r\n", Next::upgrade};
    }
    if (verb == "NOOP") return {tag + " OK NOOP completed\r\n"};
    if (verb == "LOGOUT") return {"* BYE fleet logging out\r\n" + tag + " OK LOGOUT completed\r\n", Next::hang_up};
    return {tag + " BAD Unknown command\r\n"};
}

// POP3 has no way to be verbose: its greeting and its STLS reply are single lines.
Reply pop3(std::string_view line, Manner manner) {
    const std::string verb = upper(split_word(line).first);
    if (verb == "CAPA") return {"+OK Capability list follows\r\nUSER\r\nSTLS\r\n.\r\n"};
    if (verb == "STLS")
        return manner.refuse ? Reply{"-ERR TLS not available\r\n"} : Reply{"+OK Begin TLS\r\n", Next::upgrade};
    if (verb == "NOOP") return {"+OK\r\n"};
    if (verb == "QUIT") return {"+OK Bye\r\n", Next::hang_up};
    return {"-ERR Unknown command\r\n"};
}

// A verbose FTP server is verbose in its greeting only, as servers with a banner are.
Reply ftp(std::string_view line, Manner manner) {
    const auto [verb_view, argument] = split_word(line);
    const std::string verb = upper(verb_view), mechanism = upper(argument);
    if (verb == "AUTH" && (mechanism == "TLS" || mechanism == "SSL"))
        return manner.refuse ? Reply{"431 TLS not available\r\n"} : Reply{"234 AUTH TLS OK\r\n", Next::upgrade};
    if (verb == "AUTH") return {"504 Unsupported security mechanism\r\n"};
    if (verb == "FEAT") return {"211-Features:\r\n AUTH TLS\r\n211 End\r\n"};
    if (verb == "NOOP") return {"200 OK\r\n"};
    if (verb == "QUIT") return {"221 Bye\r\n", Next::hang_up};
    return {"500 Unknown command\r\n"};
}

// RFC 4511: the client sends an ExtendedRequest naming the StartTLS OID; the reply echoes its message ID.
awaitable<bool> ldap(Plaintext& client, bool refuse) {
    constexpr std::string_view kStartTlsOid = "1.3.6.1.4.1.1466.20037";
    constexpr unsigned char kSequence = 0x30, kInteger = 0x02, kEnumerated = 0x0a, kOctetString = 0x04;
    constexpr unsigned char kExtendedRequest = 0x77, kExtendedResponse = 0x78, kRequestName = 0x80,
                            kResponseName = 0x8a;
    constexpr char kSuccess = 0, kUnavailable = 52;
    for (;;) {
        const std::string message = co_await client.read_ber_element();
        std::string_view rest = message;
        const BerElement envelope = *take_ber(rest);
        std::string_view fields = envelope.value;
        const auto id = take_ber(fields);
        const auto operation = take_ber(fields);
        if (envelope.tag != kSequence || !id || id->tag != kInteger || id->value.size() > 4 || !operation)
            throw std::runtime_error("not an LDAPMessage");
        std::string_view request = operation->value;
        const auto name = take_ber(request);
        // The fake speaks StartTLS only; an unbind or any other operation ends the session.
        if (operation->tag != kExtendedRequest || !name || name->tag != kRequestName || name->value != kStartTlsOid)
            co_return false;

        std::string response = ber(kEnumerated, std::string(1, refuse ? kUnavailable : kSuccess)) +
                               ber(kOctetString, "") + ber(kOctetString, "");
        if (!refuse) response += ber(kResponseName, kStartTlsOid);
        co_await client.send(ber(kSequence, ber(kInteger, id->value) + ber(kExtendedResponse, response)));
        if (!refuse) co_return true;
    }
}

std::string big_endian(std::uint32_t value) {
    std::string out;
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((value >> shift) & 0xff);
    return out;
}

// What a server at its connection limit would say: an ErrorResponse of severity, code and message fields.
std::string postgres_too_many_clients() {
    const std::string fields = std::string("SFATAL") + '\0' + "VFATAL" + '\0' + "C53300" + '\0' +
                               "Msorry, too many clients already" + '\0' + '\0';
    return "E" + big_endian(static_cast<std::uint32_t>(fields.size() + 4)) + fields;
}

// PostgreSQL: an 8-byte request (length 8, then a code) answered by a single 'S' or 'N', or turned away with an
// ErrorResponse.
awaitable<bool> postgres(Plaintext& client, Manner manner) {
    constexpr std::uint32_t kSslRequest = 80877103, kGssEncRequest = 80877104;
    for (;;) {
        const std::string request = co_await client.read_exactly(8);
        const std::uint32_t length = from_big_endian(std::string_view(request).substr(0, 4));
        const std::uint32_t code = from_big_endian(std::string_view(request).substr(4));
        // libpq may ask for GSS encryption first and fall back to TLS when told no.
        if (length == 8 && code == kGssEncRequest) {
            co_await client.send("N");
            continue;
        }
        // Anything else is a StartupMessage: the client goes on without TLS, and the fake speaks no further.
        if (length != 8 || code != kSslRequest) co_return false;
        if (manner.reject_client) {
            co_await client.send(postgres_too_many_clients());
            co_return false;
        }
        co_await client.send(manner.refuse ? "N" : "S");
        if (!manner.refuse) co_return true;
    }
}

// The value of attribute `name` in an XML start tag written with single quotes, as clients write stream headers.
std::string attribute(std::string_view tag, std::string_view name) {
    const std::string marker = " " + std::string(name) + "='";
    const std::size_t start = tag.find(marker);
    if (start == std::string_view::npos) return "";
    const std::size_t value = start + marker.size();
    return std::string(tag.substr(value, tag.find('\'', value) - value));
}

awaitable<bool> xmpp(Plaintext& client, Manner manner) {
    // Elements are told apart one '>' at a time; the fake only needs to see the stream open and the request.
    std::string element;
    do element = co_await client.read_through('>');
    while (element.find("<stream:stream") == std::string::npos);
    const std::string stream_header =
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'"
        " id='fleet' from='fleet' version='1.0'>";
    if (manner.reject_client) {
        // As Prosody answers a domain it does not serve. RFC 6120 §4.4: the server closes its stream, and may wait
        // for the client to close its own before the connection goes; this one waits.
        co_await client.send(stream_header +
                             "<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                             "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>This server does not serve " +
                             attribute(element, "to") + "</text></stream:error></stream:stream>");
        for (;;) co_await client.read_through('>');
    }
    co_await client.send(stream_header +
                         "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>");
    do element = co_await client.read_through('>');
    while (element.find("<starttls") == std::string::npos);
    if (manner.refuse) {
        // RFC 6120 §5.4.2.2: on failure the server closes the stream and the connection.
        co_await client.send("<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>");
        co_return false;
    }
    co_await client.send("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    co_return true;
}

// MariaDB's greeting to an address its grants do not allow: an ERR packet, error 1130, no SQLSTATE (the server
// does not know yet whether the client reads one).
std::string mysql_host_not_allowed(const std::string& client_address) {
    const std::string payload = "\xff" + little_endian(1130, 2) + "Host '" + client_address +
                                "' is not allowed to connect to this MariaDB server";
    return little_endian(static_cast<std::uint32_t>(payload.size()), 3) + '\0' + payload;
}

// MySQL: the server speaks first with a protocol 10 handshake; a client that sees CLIENT_SSL among the capabilities
// answers with a 32-byte SSLRequest and starts TLS. Refusing means not offering CLIENT_SSL at all.
awaitable<bool> mysql(Plaintext& client, Manner manner, const std::string& client_address) {
    if (manner.reject_client) {
        co_await client.send(mysql_host_not_allowed(client_address));
        co_return false;
    }
    constexpr std::uint32_t kClientSsl = 0x0800;
    // LONG_PASSWORD, FOUND_ROWS, LONG_FLAG, CONNECT_WITH_DB, PROTOCOL_41, TRANSACTIONS, SECURE_CONNECTION, PLUGIN_AUTH
    constexpr std::uint32_t kBaseCapabilities = 0x0008a20f;
    const std::uint32_t capabilities = manner.refuse ? kBaseCapabilities : kBaseCapabilities | kClientSsl;
    std::string handshake{"\x0a"};
    handshake += std::string("8.0.36-fleet") + '\0';
    handshake += little_endian(1, 4);  // connection ID
    // The scramble is fixed: nobody authenticates against the fake.
    handshake += std::string("fleetscr") + '\0';
    handshake += little_endian(capabilities & 0xffff, 2);
    handshake += '\x21';                  // utf8_general_ci
    handshake += little_endian(0x0002, 2);  // SERVER_STATUS_AUTOCOMMIT
    handshake += little_endian(capabilities >> 16, 2);
    handshake += '\x15';  // scramble length, 8 + 13
    handshake += std::string(10, '\0');
    handshake += std::string("amble-fleet!") + '\0';
    handshake += std::string("caching_sha2_password") + '\0';
    co_await client.send(little_endian(static_cast<std::uint32_t>(handshake.size()), 3) + '\0' + handshake);

    const std::string header = co_await client.read_exactly(4);
    const std::size_t length = from_little_endian(std::string_view(header).substr(0, 3));
    if (length > kMaxRequest) throw std::length_error("MySQL packet too long");
    const std::string response = co_await client.read_exactly(length);
    // A full HandshakeResponse instead means the client logs in without TLS, which the fake does not serve.
    const bool ssl_request = length == 32 && (from_little_endian(std::string_view(response).substr(0, 4)) & kClientSsl);
    co_return !manner.refuse && ssl_request;
}

// NATS: the server speaks first with an INFO line; where it requires TLS, the client starts the handshake right
// after it. Refusing means a plaintext-only server: no TLS in its INFO, and a wait for the client's CONNECT.
awaitable<bool> nats(Plaintext& client, bool refuse) {
    co_await client.send(std::string(R"(INFO {"server_id":"fleet","server_name":"fleet","version":"2.10.0",)") +
                         R"("proto":1,"host":"0.0.0.0","port":4222,"headers":true,"max_payload":1048576)" +
                         (refuse ? "" : R"(,"tls_required":true)") + "}\r\n");
    if (refuse) co_await client.read_through('\n');  // the fake serves no plaintext session
    co_return !refuse;
}

struct LineServer {
    std::string_view greeting;
    std::string_view rejection;  // the greeting that turns a client away
    Responder respond;
};

// The server of a line protocol; nothing for the others.
std::optional<LineServer> line_server(StartTlsProtocol protocol, bool verbose) {
    switch (protocol) {
        case StartTlsProtocol::smtp:
            return LineServer{
                verbose ? "220-fleet ESMTP\r\n220-No unsolicited mail\r\n220 ready\r\n" : "220 fleet ESMTP\r\n",
                "554 5.7.1 fleet: access denied\r\n", smtp};
        case StartTlsProtocol::imap:
            return LineServer{"* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n", "* BYE fleet: access denied\r\n",
                              imap};
        case StartTlsProtocol::pop3: return LineServer{"+OK ready\r\n", "-ERR fleet: access denied\r\n", pop3};
        case StartTlsProtocol::ftp:
            return LineServer{verbose ? "220-fleet FTP\r\n220-Be nice\r\n220 ready\r\n" : "220 ready\r\n",
                              "421 fleet: access denied\r\n", ftp};
        default: return std::nullopt;
    }
}

awaitable<bool> line_dialogue(Plaintext& client, const LineServer& server, Manner manner) {
    if (manner.reject_client) {
        co_await client.send(server.rejection);
        co_return false;
    }
    co_await client.send(server.greeting);
    for (;;) {
        const std::string line = co_await client.read_through('\n');
        const Reply reply = server.respond(without_line_end(line), manner);
        co_await client.send(reply.text);
        if (reply.next != Next::talk) co_return reply.next == Next::upgrade;
    }
}

}  // namespace

awaitable<bool> negotiate_starttls(tcp::socket& socket, const Endpoint& endpoint) {
    if (endpoint.greeting_delay.count() > 0) {
        asio::steady_timer delay(socket.get_executor(), endpoint.greeting_delay);
        co_await delay.async_wait(asio::use_awaitable);
    }
    Plaintext client(socket);
    const Manner manner{endpoint.starttls_refuse, endpoint.starttls_verbose, endpoint.reject_client};
    if (const auto server = line_server(endpoint.protocol, manner.verbose))
        co_return co_await line_dialogue(client, *server, manner);
    switch (endpoint.protocol) {
        case StartTlsProtocol::ldap: co_return co_await ldap(client, manner.refuse);
        case StartTlsProtocol::postgres: co_return co_await postgres(client, manner);
        case StartTlsProtocol::xmpp: co_return co_await xmpp(client, manner);
        case StartTlsProtocol::mysql:
            co_return co_await mysql(client, manner, socket.remote_endpoint().address().to_string());
        case StartTlsProtocol::nats: co_return co_await nats(client, manner.refuse);
        default: break;
    }
    throw std::logic_error("unhandled STARTTLS protocol");
}

}  // namespace certfleet::fleet
