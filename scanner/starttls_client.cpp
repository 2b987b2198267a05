#include "scanner/starttls_client.hpp"

#include <array>
#include <boost/asio.hpp>

namespace certfleet::scanner {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxReply = 16 * 1024;  // no greeting or reply of these protocols comes near this

struct Dialogue {
    tcp::socket& socket;
    std::string buffer;  // bytes read past the last line handed out

    // A failed write shows as a failed read right after it, which is where the dialogue reports it.
    asio::awaitable<void> send(std::string text) {
        co_await asio::async_write(socket, asio::buffer(text), nothrow);
    }

    // One CRLF- (or LF-) terminated line, without its terminator; nothing on EOF, error or an over-long line.
    asio::awaitable<std::optional<std::string>> line() {
        auto [ec, n] = co_await asio::async_read_until(socket, asio::dynamic_buffer(buffer, kMaxReply), '\n', nothrow);
        if (ec) co_return std::nullopt;
        std::string out = buffer.substr(0, n);
        buffer.erase(0, n);
        while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
        co_return out;
    }

    // A reply of the SMTP and FTP kind: lines "250-..." continue, "250 ..." ends it. Returns the final line.
    asio::awaitable<std::optional<std::string>> numeric_reply() {
        for (;;) {
            auto l = co_await line();
            if (!l) co_return std::nullopt;
            if (l->size() < 4 || (*l)[3] != '-') co_return l;
        }
    }

    // Reads until the text contains `marker` (XMPP); the whole text so far.
    asio::awaitable<std::optional<std::string>> until(const std::string& marker) {
        auto [ec, n] = co_await asio::async_read_until(socket, asio::dynamic_buffer(buffer, kMaxReply), marker, nothrow);
        if (ec) co_return std::nullopt;
        std::string out = buffer.substr(0, n);
        buffer.erase(0, n);
        co_return out;
    }

    asio::awaitable<std::optional<std::string>> exactly(std::size_t size) {
        std::string out(size, '\0');
        const std::size_t from_buffer = std::min(size, buffer.size());
        out.replace(0, from_buffer, buffer.substr(0, from_buffer));
        buffer.erase(0, from_buffer);
        if (from_buffer < size) {
            auto [ec, n] = co_await asio::async_read(socket, asio::buffer(out.data() + from_buffer, size - from_buffer), nothrow);
            if (ec) co_return std::nullopt;
        }
        co_return out;
    }
};

const std::optional<std::string> kAgreed = std::nullopt;
std::optional<std::string> closed() { return std::string("connection closed during the STARTTLS dialogue"); }
std::optional<std::string> refused(const std::string& reply) { return "server refused STARTTLS: " + reply.substr(0, 200); }

asio::awaitable<std::optional<std::string>> smtp(Dialogue& d, const std::string& name) {
    auto greeting = co_await d.numeric_reply();
    if (!greeting) co_return closed();
    if (!greeting->starts_with("220")) co_return refused(*greeting);
    // GCC 12 miscompiles a conditional expression inside a co_await operand: build the line first.
    const std::string ehlo_line = "EHLO " + (name.empty() ? std::string("certfleet.invalid") : name) + "\r\n";
    co_await d.send(ehlo_line);
    auto ehlo = co_await d.numeric_reply();
    if (!ehlo) co_return closed();
    co_await d.send("STARTTLS\r\n");
    auto reply = co_await d.numeric_reply();
    if (!reply) co_return closed();
    if (reply->starts_with("220")) co_return kAgreed;
    co_return refused(*reply);
}

asio::awaitable<std::optional<std::string>> imap(Dialogue& d) {
    auto greeting = co_await d.line();
    if (!greeting) co_return closed();
    if (!greeting->starts_with("* OK")) co_return refused(*greeting);
    co_await d.send("a1 STARTTLS\r\n");
    for (;;) {
        auto reply = co_await d.line();
        if (!reply) co_return closed();
        if (reply->starts_with("a1 ")) if (reply->starts_with("a1 OK")) co_return kAgreed;
    co_return refused(*reply);
    }
}

asio::awaitable<std::optional<std::string>> pop3(Dialogue& d) {
    auto greeting = co_await d.line();
    if (!greeting) co_return closed();
    if (!greeting->starts_with("+OK")) co_return refused(*greeting);
    co_await d.send("STLS\r\n");
    auto reply = co_await d.line();
    if (!reply) co_return closed();
    if (reply->starts_with("+OK")) co_return kAgreed;
    co_return refused(*reply);
}

asio::awaitable<std::optional<std::string>> ftp(Dialogue& d) {
    auto greeting = co_await d.numeric_reply();
    if (!greeting) co_return closed();
    if (!greeting->starts_with("220")) co_return refused(*greeting);
    co_await d.send("AUTH TLS\r\n");
    auto reply = co_await d.numeric_reply();
    if (!reply) co_return closed();
    if (reply->starts_with("234")) co_return kAgreed;
    co_return refused(*reply);
}

// RFC 4511 ExtendedRequest for StartTLS (OID 1.3.6.1.4.1.1466.20037), message id 1.
asio::awaitable<std::optional<std::string>> ldap(Dialogue& d) {
    static const std::string request = std::string("\x30\x1d\x02\x01\x01\x77\x18\x80\x16", 9) + "1.3.6.1.4.1.1466.20037";
    co_await d.send(request);
    auto header = co_await d.exactly(2);
    if (!header) co_return closed();
    if (static_cast<unsigned char>((*header)[0]) != 0x30) co_return std::string("not an LDAP reply");
    std::size_t length = static_cast<unsigned char>((*header)[1]);
    if (length & 0x80) {
        const std::size_t bytes = length & 0x7f;
        if (bytes == 0 || bytes > 3) co_return std::string("not an LDAP reply");
        auto extra = co_await d.exactly(bytes);
        if (!extra) co_return closed();
        length = 0;
        for (unsigned char c : *extra) length = (length << 8) | c;
    }
    if (length > kMaxReply) co_return std::string("LDAP reply too long");
    auto body = co_await d.exactly(length);
    if (!body) co_return closed();
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
asio::awaitable<std::optional<std::string>> postgres(Dialogue& d) {
    static const std::string request("\x00\x00\x00\x08\x04\xd2\x16\x2f", 8);
    co_await d.send(request);
    auto answer = co_await d.exactly(1);
    if (!answer) co_return closed();
    if (*answer == "S") co_return kAgreed;
    const std::string why = *answer == "N" ? "N (no SSL)" : "unexpected reply";
    co_return refused(why);
}

asio::awaitable<std::optional<std::string>> xmpp(Dialogue& d, const std::string& name) {
    const std::string domain = name.empty() ? "certfleet.invalid" : name;
    const std::string stream_header = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                                      "xmlns:stream='http://etherx.jabber.org/streams' to='" + domain + "' version='1.0'>";
    co_await d.send(stream_header);
    auto features = co_await d.until("</stream:features>");
    if (!features) co_return closed();
    if (features->find("starttls") == std::string::npos) co_return refused("no starttls feature");
    co_await d.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    auto reply = co_await d.until(">");
    if (!reply) co_return closed();
    if (reply->find("proceed") != std::string::npos) co_return kAgreed;
    co_return refused(*reply);
}

// MySQL: the server's handshake packet says whether it supports SSL; the client answers with an SSLRequest.
asio::awaitable<std::optional<std::string>> mysql(Dialogue& d) {
    auto header = co_await d.exactly(4);
    if (!header) co_return closed();
    const std::size_t length = static_cast<unsigned char>((*header)[0]) | static_cast<unsigned char>((*header)[1]) << 8 |
                               static_cast<unsigned char>((*header)[2]) << 16;
    if (length > kMaxReply || length < 2) co_return std::string("not a MySQL handshake");
    auto payload = co_await d.exactly(length);
    if (!payload) co_return closed();
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
    Dialogue d{socket, {}};
    switch (protocol) {
        case StartTls::smtp: co_return co_await smtp(d, server_name);
        case StartTls::imap: co_return co_await imap(d);
        case StartTls::pop3: co_return co_await pop3(d);
        case StartTls::ftp: co_return co_await ftp(d);
        case StartTls::ldap: co_return co_await ldap(d);
        case StartTls::postgres: co_return co_await postgres(d);
        case StartTls::xmpp: co_return co_await xmpp(d, server_name);
        case StartTls::mysql: co_return co_await mysql(d);
    }
    co_return std::string("unknown STARTTLS protocol");
}

}  // namespace certfleet::scanner
