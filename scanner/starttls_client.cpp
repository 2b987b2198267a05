#include "scanner/starttls_client.hpp"

#include <algorithm>
#include <boost/asio.hpp>
#include <string_view>
#include <vector>

namespace certfleet::scanner {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
// No greeting or reply of these protocols comes near this, continuation lines included.
constexpr std::size_t kMaxReply = 16 * 1024;

// Nothing when the server agreed to the upgrade, else why not.
using Outcome = std::optional<std::string>;
const Outcome kAgreed = std::nullopt;

Outcome refused(const std::string& reply) { return "server refused STARTTLS: " + reply.substr(0, 200); }

// How a line protocol's reply spans lines: every line but the last is one a client skips.
enum class ReplyShape {
    single_line,  // POP3, and the IMAP greeting
    numeric,      // SMTP and FTP: "250-..." lines continue the reply, "250 ..." ends it
    tagged,       // IMAP: untagged "* ..." lines may come before the tagged status line
};

bool continues(ReplyShape shape, std::string_view line) {
    switch (shape) {
        case ReplyShape::single_line: return false;
        case ReplyShape::numeric: return line.size() >= 4 && line[3] == '-';
        case ReplyShape::tagged: return line.starts_with("* ");
    }
    return false;
}

struct Dialogue {
    tcp::socket& socket;
    std::string buffer;   // bytes read past what was handed out
    std::string failure;  // why the last read gave nothing

    // A failed write shows as a failed read right after it, which is where the dialogue reports it.
    asio::awaitable<void> send(std::string text) {
        co_await asio::async_write(socket, asio::buffer(text), nothrow);
    }

    // The text up to and including `delimiter`; nothing on EOF, error, or kMaxReply bytes without it.
    asio::awaitable<std::optional<std::string>> through(std::string_view delimiter) {
        auto [ec, n] =
            co_await asio::async_read_until(socket, asio::dynamic_buffer(buffer, kMaxReply), delimiter, nothrow);
        if (ec == asio::error::not_found) co_return fail(too_long());
        if (ec) co_return fail(closed());
        std::string out = buffer.substr(0, n);
        buffer.erase(0, n);
        co_return out;
    }

    // A whole reply, continuation lines included; its last line, without the line end, which says yes or no.
    asio::awaitable<std::optional<std::string>> reply(ReplyShape shape) {
        std::size_t total = 0;
        for (;;) {
            auto line = co_await through("\n");
            if (!line) co_return std::nullopt;
            // Each line is capped by through(); this caps a server that sends continuation lines without end.
            if ((total += line->size()) > kMaxReply) co_return fail(too_long());
            while (!line->empty() && (line->back() == '\n' || line->back() == '\r')) line->pop_back();
            if (!continues(shape, *line)) co_return line;
        }
    }

    asio::awaitable<std::optional<std::string>> exactly(std::size_t size) {
        std::string out(size, '\0');
        const std::size_t from_buffer = std::min(size, buffer.size());
        out.replace(0, from_buffer, buffer.substr(0, from_buffer));
        buffer.erase(0, from_buffer);
        if (from_buffer < size) {
            auto [ec, n] = co_await asio::async_read(socket, asio::buffer(out.data() + from_buffer, size - from_buffer), nothrow);
            if (ec) co_return fail(closed());
        }
        co_return out;
    }

private:
    static std::string closed() { return "connection closed during the STARTTLS dialogue"; }
    static std::string too_long() { return "STARTTLS reply longer than " + std::to_string(kMaxReply) + " bytes"; }

    std::nullopt_t fail(std::string why) {
        failure = std::move(why);
        return std::nullopt;
    }
};

// One command of a line protocol's dialogue, and the start of the reply that lets the dialogue go on.
struct Command {
    std::string_view text;
    bool names_client = false;  // followed by the client's name, as SMTP's EHLO is
    std::string_view accepted;
};

// A line protocol's STARTTLS dialogue: the server greets, then each command must be accepted in turn; the
// last acceptance is the server's agreement to start TLS.
struct LineProtocol {
    ReplyShape greeting_shape;
    std::string_view greeting;  // how a greeting that lets the client go on starts
    ReplyShape reply_shape;
    std::vector<Command> commands;
};

const LineProtocol kSmtp{ReplyShape::numeric, "220", ReplyShape::numeric,
                         {{"EHLO", true, "250"}, {"STARTTLS", false, "220"}}};
const LineProtocol kImap{ReplyShape::single_line, "* OK", ReplyShape::tagged, {{"a001 STARTTLS", false, "a001 OK"}}};
const LineProtocol kPop3{ReplyShape::single_line, "+OK", ReplyShape::single_line, {{"STLS", false, "+OK"}}};
const LineProtocol kFtp{ReplyShape::numeric, "220", ReplyShape::numeric, {{"AUTH TLS", false, "234"}}};

// The name the client gives itself where a protocol asks for one.
std::string client_name(const std::string& server_name) {
    return server_name.empty() ? "certfleet.invalid" : server_name;
}

std::string command_line(const Command& command, const std::string& server_name) {
    std::string line(command.text);
    if (command.names_client) line += " " + client_name(server_name);
    return line + "\r\n";
}

asio::awaitable<Outcome> line_dialogue(Dialogue& d, const LineProtocol& protocol, const std::string& server_name) {
    auto greeting = co_await d.reply(protocol.greeting_shape);
    if (!greeting) co_return d.failure;
    if (!greeting->starts_with(protocol.greeting)) co_return refused(*greeting);
    for (const Command& command : protocol.commands) {
        co_await d.send(command_line(command, server_name));
        auto reply = co_await d.reply(protocol.reply_shape);
        if (!reply) co_return d.failure;
        if (!reply->starts_with(command.accepted)) co_return refused(*reply);
    }
    co_return kAgreed;
}

// The protocols that are not line protocols: binary messages, or XML.

// RFC 4511 ExtendedRequest for StartTLS (OID 1.3.6.1.4.1.1466.20037), message id 1.
asio::awaitable<Outcome> ldap(Dialogue& d) {
    static const std::string request = std::string("\x30\x1d\x02\x01\x01\x77\x18\x80\x16", 9) + "1.3.6.1.4.1.1466.20037";
    co_await d.send(request);
    auto header = co_await d.exactly(2);
    if (!header) co_return d.failure;
    if (static_cast<unsigned char>((*header)[0]) != 0x30) co_return std::string("not an LDAP reply");
    std::size_t length = static_cast<unsigned char>((*header)[1]);
    if (length & 0x80) {
        const std::size_t bytes = length & 0x7f;
        if (bytes == 0 || bytes > 3) co_return std::string("not an LDAP reply");
        auto extra = co_await d.exactly(bytes);
        if (!extra) co_return d.failure;
        length = 0;
        for (unsigned char c : *extra) length = (length << 8) | c;
    }
    if (length > kMaxReply) co_return std::string("LDAP reply too long");
    auto body = co_await d.exactly(length);
    if (!body) co_return d.failure;
    // messageID INTEGER, then ExtendedResponse [APPLICATION 24] whose first field is resultCode ENUMERATED.
    const auto response = body->find('\x78');
    if (response == std::string::npos || response + 4 >= body->size()) co_return std::string("not an LDAP ExtendedResponse");
    std::size_t at = response + 2;
    if (static_cast<unsigned char>((*body)[response + 1]) & 0x80) at += static_cast<unsigned char>((*body)[response + 1]) & 0x7f;
    if (at + 2 >= body->size() || (*body)[at] != '\x0a') co_return std::string("not an LDAP ExtendedResponse");
    const int result = static_cast<unsigned char>((*body)[at + 2]);
    if (result == 0) co_return kAgreed;
    co_return refused("LDAP resultCode " + std::to_string(result));
}

// The PostgreSQL SSLRequest: length 8, code 80877103; the server answers 'S' or 'N'.
asio::awaitable<Outcome> postgres(Dialogue& d) {
    static const std::string request("\x00\x00\x00\x08\x04\xd2\x16\x2f", 8);
    co_await d.send(request);
    auto answer = co_await d.exactly(1);
    if (!answer) co_return d.failure;
    if (*answer == "S") co_return kAgreed;
    const std::string why = *answer == "N" ? "N (no SSL)" : "unexpected reply";
    co_return refused(why);
}

asio::awaitable<Outcome> xmpp(Dialogue& d, const std::string& server_name) {
    const std::string domain = client_name(server_name);
    const std::string stream_header = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                                      "xmlns:stream='http://etherx.jabber.org/streams' to='" + domain + "' version='1.0'>";
    co_await d.send(stream_header);
    auto features = co_await d.through("</stream:features>");
    if (!features) co_return d.failure;
    if (features->find("starttls") == std::string::npos) co_return refused("no starttls feature");
    co_await d.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    auto reply = co_await d.through(">");
    if (!reply) co_return d.failure;
    if (reply->find("proceed") != std::string::npos) co_return kAgreed;
    co_return refused(*reply);
}

// MySQL: the server's handshake packet says whether it supports SSL; the client answers with an SSLRequest.
asio::awaitable<Outcome> mysql(Dialogue& d) {
    auto header = co_await d.exactly(4);
    if (!header) co_return d.failure;
    const std::size_t length = static_cast<unsigned char>((*header)[0]) | static_cast<unsigned char>((*header)[1]) << 8 |
                               static_cast<unsigned char>((*header)[2]) << 16;
    if (length > kMaxReply || length < 2) co_return std::string("not a MySQL handshake");
    auto payload = co_await d.exactly(length);
    if (!payload) co_return d.failure;
    // protocol version, NUL-terminated server version, thread id (4), auth data (8), filler (1), capabilities (2)
    const auto version_end = payload->find('\0', 1);
    if ((*payload)[0] != '\x0a' || version_end == std::string::npos || version_end + 15 > payload->size())
        co_return std::string("not a MySQL handshake");
    const std::size_t at = version_end + 1 + 4 + 8 + 1;
    const unsigned capabilities = static_cast<unsigned char>((*payload)[at]) | static_cast<unsigned char>((*payload)[at + 1]) << 8;
    constexpr unsigned kClientSsl = 0x0800, kClientProtocol41 = 0x0200;
    if (!(capabilities & kClientSsl)) co_return refused("server does not offer SSL");
    std::string request("\x20\x00\x00\x01", 4);  // 32-byte payload, sequence 1
    const unsigned flags = kClientSsl | kClientProtocol41 | 0x8000;  // + secure connection
    request += std::string{static_cast<char>(flags & 0xff), static_cast<char>(flags >> 8), 0, 0};
    request += std::string("\x00\x00\x00\x01", 4);  // max packet size
    request += '\x21';                              // utf8 collation
    request += std::string(23, '\0');
    co_await d.send(request);
    co_return kAgreed;
}

}  // namespace

asio::awaitable<std::optional<std::string>> starttls_dialogue(tcp::socket& socket, StartTls protocol,
                                                              const std::string& server_name) {
    Dialogue d{socket, {}, {}};
    switch (protocol) {
        case StartTls::smtp: co_return co_await line_dialogue(d, kSmtp, server_name);
        case StartTls::imap: co_return co_await line_dialogue(d, kImap, server_name);
        case StartTls::pop3: co_return co_await line_dialogue(d, kPop3, server_name);
        case StartTls::ftp: co_return co_await line_dialogue(d, kFtp, server_name);
        case StartTls::ldap: co_return co_await ldap(d);
        case StartTls::postgres: co_return co_await postgres(d);
        case StartTls::xmpp: co_return co_await xmpp(d, server_name);
        case StartTls::mysql: co_return co_await mysql(d);
    }
    co_return std::string("unknown STARTTLS protocol");
}

}  // namespace certfleet::scanner
