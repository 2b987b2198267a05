#include "scanner/starttls_client.hpp"

#include "scanner/asio_steps.hpp"
#include "scanner/xml_text.hpp"

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <string_view>
#include <vector>

namespace certfleet::scanner {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// No greeting or reply of these protocols comes near this, continuation lines included.
constexpr std::size_t kMaxReply = 16 * 1024;

// Nothing when the server agreed to the upgrade, else why not.
using Outcome = std::optional<std::string>;
const Outcome kAgreed = std::nullopt;

// What a server said, as a detail quotes it: at most 200 bytes, cut between UTF-8 characters, and control
// characters as \xNN, so that its words cannot break a report's line.
std::string server_words(std::string_view text) {
    constexpr std::size_t kMaxQuoted = 200;
    if (text.size() > kMaxQuoted) {
        std::size_t cut = kMaxQuoted;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) --cut;
        text = text.substr(0, cut);
    }
    std::string shown;
    for (const unsigned char c : text) {
        if (c >= 0x20 && c != 0x7f) {
            shown += static_cast<char>(c);
        } else {
            constexpr char kHex[] = "0123456789abcdef";
            shown += {'\\', 'x', kHex[c >> 4], kHex[c & 0xf]};
        }
    }
    return shown;
}

Outcome refused(std::string_view reply) { return "server refused STARTTLS: " + server_words(reply); }

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
        if (ec) co_return fail(closed_after(buffer));
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

    // Whether the server sends something (or closes) within `wait`; nothing is read.
    asio::awaitable<bool> speaks_within(std::chrono::steady_clock::duration wait) {
        if (!buffer.empty()) co_return true;
        using namespace asio::experimental::awaitable_operators;
        asio::steady_timer silence(socket.get_executor(), wait);
        const auto first = co_await (socket.async_wait(tcp::socket::wait_read, nothrow) || silence.async_wait(nothrow));
        co_return first.index() == 0;
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
    // A server that says why before it hangs up, without ending the line, is quoted too.
    static std::string closed_after(std::string_view unfinished) {
        return unfinished.empty() ? closed() : closed() + " after the server sent '" + server_words(unfinished) + "'";
    }
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

// The protocols that are not line protocols: binary messages, XML, or a line of JSON.

std::size_t big_endian(std::string_view bytes) {
    std::size_t value = 0;
    for (const unsigned char byte : bytes) value = (value << 8) | byte;
    return value;
}

std::size_t little_endian(std::string_view bytes) {
    std::size_t value = 0;
    for (std::size_t i = bytes.size(); i-- > 0;) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
    return value;
}

struct BerElement {
    unsigned char tag;
    std::string_view value;
};

// Splits the BER element at the front of `input` off it; nullopt if it is cut short or its length is malformed.
std::optional<BerElement> take_ber(std::string_view& input) {
    if (input.size() < 2) return std::nullopt;
    std::size_t length = static_cast<unsigned char>(input[1]);
    std::size_t header = 2;
    if (length & 0x80) {
        const std::size_t octets = length & 0x7f;
        if (octets == 0 || octets > 3 || input.size() < header + octets) return std::nullopt;
        length = big_endian(input.substr(header, octets));
        header += octets;
    }
    if (input.size() - header < length) return std::nullopt;
    const BerElement element{static_cast<unsigned char>(input[0]), input.substr(header, length)};
    input.remove_prefix(header + length);
    return element;
}

// The result codes RFC 4511 §4.14.2 names for a refused StartTLS, and the usual others.
std::string ldap_result_name(std::size_t code) {
    switch (code) {
        case 1: return " (operationsError)";
        case 2: return " (protocolError)";
        case 51: return " (busy)";
        case 52: return " (unavailable)";
        case 53: return " (unwillingToPerform)";
        case 80: return " (other)";
        default: return "";
    }
}

// RFC 4511 ExtendedRequest for StartTLS (OID 1.3.6.1.4.1.1466.20037), message id 1. The answer is an
// ExtendedResponse whose resultCode is 0 when TLS may start; a refusal carries the server's diagnosticMessage.
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
        length = big_endian(*extra);
    }
    if (length > kMaxReply) co_return std::string("LDAP reply too long");
    auto body = co_await d.exactly(length);
    if (!body) co_return d.failure;
    // messageID INTEGER, then ExtendedResponse [APPLICATION 24]: resultCode, matchedDN, diagnosticMessage, ...
    std::string_view fields = *body;
    const auto message_id = take_ber(fields);
    const auto response = take_ber(fields);
    if (!message_id || !response || response->tag != 0x78) co_return std::string("not an LDAP ExtendedResponse");
    std::string_view result_fields = response->value;
    const auto result = take_ber(result_fields);
    const auto matched_dn = take_ber(result_fields);
    const auto diagnostic = take_ber(result_fields);
    if (!result || result->tag != 0x0a || result->value.empty() || result->value.size() > 4)
        co_return std::string("not an LDAP ExtendedResponse");
    const std::size_t code = big_endian(result->value);
    if (code == 0) co_return kAgreed;
    const bool says_why = matched_dn && diagnostic && diagnostic->tag == 0x04 && !diagnostic->value.empty();
    co_return refused("LDAP resultCode " + std::to_string(code) + ldap_result_name(code) +
                      (says_why ? ": " + std::string(diagnostic->value) : ""));
}

// A PostgreSQL ErrorResponse: fields of a type byte and a NUL-terminated value, the last followed by a NUL.
std::string postgres_error(std::string_view fields) {
    std::string severity, code, message;
    while (fields.size() > 1 && fields[0] != '\0') {
        const char type = fields[0];
        const std::size_t end = fields.find('\0', 1);
        if (end == std::string_view::npos) break;
        const std::string value(fields.substr(1, end - 1));
        if (type == 'S') severity = value;
        if (type == 'C') code = value;
        if (type == 'M') message = value;
        fields.remove_prefix(end + 1);
    }
    std::string words = severity;
    for (const std::string* part : {&code, &message})
        if (!part->empty()) words += (words.empty() ? "" : " ") + *part;
    return "the PostgreSQL server refused the SSLRequest: " + server_words(words);
}

// The PostgreSQL SSLRequest: length 8, code 80877103; the server answers 'S' or 'N', or with an ErrorResponse.
asio::awaitable<Outcome> postgres(Dialogue& d) {
    static const std::string request("\x00\x00\x00\x08\x04\xd2\x16\x2f", 8);
    co_await d.send(request);
    auto answer = co_await d.exactly(1);
    if (!answer) co_return d.failure;
    if (*answer == "S") co_return kAgreed;
    if (*answer == "N") co_return refused("N (no SSL)");
    if (*answer != "E") co_return refused("unexpected reply");
    auto length = co_await d.exactly(4);
    if (!length) co_return d.failure;
    // The length counts itself. A server from before protocol 3 sends its message without one: not read here.
    const std::size_t size = big_endian(*length);
    if (size <= 4 || size > kMaxReply) co_return refused("unexpected reply");
    auto fields = co_await d.exactly(size - 4);
    if (!fields) co_return d.failure;
    co_return postgres_error(*fields);
}

// RFC 6120 §4.9: a <stream:error> holds an element named for its condition, and may hold a <text> saying more,
// quoted with its entities decoded ("Can&apos;t" is "Can't").
std::string xmpp_stream_error(std::string_view error, const std::string& domain) {
    std::string condition, text;
    for (std::size_t at = error.find('<', 1); at != std::string_view::npos; at = error.find('<', at + 1)) {
        const std::size_t name_end = error.find_first_of(" \t\r\n/>", at + 1);
        if (name_end == std::string_view::npos) break;
        std::string_view name = error.substr(at + 1, name_end - at - 1);
        if (name.empty() || name.starts_with('/')) continue;
        if (const std::size_t colon = name.find(':'); colon != std::string_view::npos) name.remove_prefix(colon + 1);
        if (name == "text") {
            const std::size_t start = error.find('>', name_end);
            const std::size_t end = error.find('<', start);
            if (start != std::string_view::npos && end != std::string_view::npos)
                text = decode_xml_entities(error.substr(start + 1, end - start - 1));
        } else if (name != "error" && condition.empty()) {
            condition = name;
        }
    }
    std::string why = "the XMPP server refused the stream";
    if (!condition.empty()) why += ": " + server_words(condition);
    if (!text.empty()) why += ": " + server_words(text);
    if (condition == "host-unknown" || condition == "host-gone")
        why += " (it does not serve the domain '" + domain + "'; give its XMPP domain with --sni)";
    return why;
}

asio::awaitable<Outcome> xmpp(Dialogue& d, const std::string& server_name) {
    const std::string domain = client_name(server_name);
    const std::string stream_header = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                                      "xmlns:stream='http://etherx.jabber.org/streams' to='" + domain + "' version='1.0'>";
    co_await d.send(stream_header);
    // Element by element to the end of the features, or of a stream error: a server that sent one may keep the
    // connection open, waiting for the client to close the stream (RFC 6120 §4.4).
    std::string features;
    for (;;) {
        auto element = co_await d.through(">");
        if (!element) co_return d.failure;
        if (features.size() + element->size() > kMaxReply) co_return std::string("XMPP stream features too long");
        features += *element;
        if (const std::size_t error = features.find("<stream:error"); error != std::string::npos) {
            if (features.find("</stream:error>", error) != std::string::npos)
                co_return xmpp_stream_error(std::string_view(features).substr(error), domain);
        } else if (features.find("</stream:features>") != std::string::npos) {
            break;
        }
    }
    if (features.find("starttls") == std::string::npos) co_return refused("no starttls feature");
    co_await d.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    auto reply = co_await d.through(">");
    if (!reply) co_return d.failure;
    if (reply->find("proceed") != std::string::npos) co_return kAgreed;
    co_return refused(*reply);
}

// An ERR packet where the handshake should be: the server turned this client away before any TLS. 0xff, a
// 2-byte error code, '#' and a 5-character SQLSTATE where the server sends one, then the message.
std::string mysql_error(std::string_view payload) {
    const std::size_t code = little_endian(payload.substr(1, 2));
    std::string_view message = payload.substr(3);
    if (message.starts_with('#') && message.size() >= 6) message.remove_prefix(6);
    constexpr std::size_t kHostNotAllowed = 1130;
    return "the MySQL server refused this client before TLS: " + std::to_string(code) + " " + server_words(message) +
           (code == kHostNotAllowed ? " (the server's grants do not allow this scanner's address)" : "");
}

// MySQL: the server's handshake packet says whether it supports SSL; the client answers with an SSLRequest.
asio::awaitable<Outcome> mysql(Dialogue& d) {
    auto header = co_await d.exactly(4);
    if (!header) co_return d.failure;
    const std::size_t length = little_endian(header->substr(0, 3));
    if (length > kMaxReply || length < 3) co_return std::string("not a MySQL handshake");
    auto payload = co_await d.exactly(length);
    if (!payload) co_return d.failure;
    if ((*payload)[0] == '\xff') co_return mysql_error(*payload);
    // protocol version, NUL-terminated server version, thread id (4), auth data (8), filler (1), capabilities (2)
    const auto version_end = payload->find('\0', 1);
    if ((*payload)[0] != '\x0a' || version_end == std::string::npos || version_end + 15 > payload->size())
        co_return std::string("not a MySQL handshake");
    const std::size_t capabilities = little_endian(payload->substr(version_end + 1 + 4 + 8 + 1, 2));
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

// Whether a JSON object's text sets `key` to true. NATS writes its INFO flat, so no nesting needs reading.
bool sets_true(std::string_view json, std::string_view key) {
    const std::string quoted_key = "\"" + std::string(key) + "\"";
    for (std::size_t at = json.find(quoted_key); at != std::string_view::npos; at = json.find(quoted_key, at + 1)) {
        std::string_view rest = json.substr(at + quoted_key.size());
        while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
        if (!rest.starts_with(':')) continue;
        rest.remove_prefix(1);
        while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
        if (rest.starts_with("true")) return true;
    }
    return false;
}

// NATS: the server greets with "INFO {json}", and a client starts TLS right after it where the INFO requires it
// or offers it (a server that allows both tells a TLS client by its first byte). The client sends nothing first.
// A server set to take the TLS handshake first sends no INFO until it has one: its silence is its agreement.
asio::awaitable<Outcome> nats(Dialogue& d, std::chrono::steady_clock::duration silence_means_tls) {
    if (!co_await d.speaks_within(silence_means_tls)) co_return kAgreed;
    auto info = co_await d.reply(ReplyShape::single_line);
    if (!info) co_return d.failure;
    if (info->starts_with("-ERR")) co_return refused(*info);
    if (!info->starts_with("INFO ")) co_return "not a NATS INFO line: '" + server_words(*info) + "'";
    if (sets_true(*info, "tls_required") || sets_true(*info, "tls_available")) co_return kAgreed;
    co_return refused("the NATS server offers no TLS (its INFO has neither tls_required nor tls_available true)");
}

}  // namespace

asio::awaitable<std::optional<std::string>> starttls_dialogue(tcp::socket& socket, StartTls protocol,
                                                              const std::string& server_name,
                                                              std::chrono::steady_clock::duration silence_means_tls) {
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
        case StartTls::nats: co_return co_await nats(d, silence_means_tls);
    }
    co_return std::string("unknown STARTTLS protocol");
}

}  // namespace certfleet::scanner
