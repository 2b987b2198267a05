#include "scanner/hybrid_key_exchange.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <boost/asio.hpp>

#include "core/byte_reader.hpp"
#include "core/tls_wire.hpp"
#include "scanner/asio_steps.hpp"

namespace certfleet::scanner {

namespace asio = boost::asio;
using namespace tls_wire;

namespace {

// TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256.
constexpr std::uint16_t kCipherSuites[] = {0x1301, 0x1302, 0x1303};
// ECDSA P-256/P-384, RSA-PSS, Ed25519 and RSA PKCS#1: enough that no server refuses for want of one.
constexpr std::uint16_t kSignatureSchemes[] = {0x0403, 0x0503, 0x0804, 0x0805, 0x0806, 0x0807, 0x0401, 0x0501, 0x0601};

void put16(Bytes& out, std::uint16_t value) {
    out.push_back(static_cast<std::uint8_t>(value >> 8));
    out.push_back(static_cast<std::uint8_t>(value));
}

// A block behind a big-endian length of `width` bytes: the length is filled in once `fill` has written the block.
template <class Fill>
void length_prefixed(Bytes& out, int width, Fill fill) {
    const std::size_t at = out.size();
    out.insert(out.end(), static_cast<std::size_t>(width), 0);
    fill();
    const std::size_t length = out.size() - at - static_cast<std::size_t>(width);
    for (int i = 0; i < width; ++i) out[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(length >> (8 * (width - 1 - i)));
}

template <class Fill>
void extension(Bytes& out, std::uint16_t type, Fill fill) {
    put16(out, type);
    length_prefixed(out, 2, fill);
}

ServerAnswer malformed(std::string problem) {
    return {.kind = ServerAnswer::Kind::malformed, .problem = std::move(problem)};
}

// A ServerHello's body (RFC 8446 4.1.3): version, random, session id, cipher suite, compression, extensions.
ServerAnswer parse_server_hello(std::span<const std::uint8_t> message) {
    ByteReader hello(message);
    const auto version = hello.number(2);
    const auto random = hello.take(kHelloRetryRandom.size());
    const auto session_id = hello.prefixed(1);
    const auto cipher_suite = hello.number(2);
    const auto compression = hello.number(1);
    const auto extensions = hello.prefixed(2);
    if (!version || !random || !session_id || !cipher_suite || !compression || !extensions)
        return malformed("ServerHello shorter than its fields say");
    if (!std::equal(random->begin(), random->end(), kHelloRetryRandom.begin()))
        return {.kind = ServerAnswer::Kind::server_hello};
    ByteReader listed(*extensions);
    while (listed.left() > 0) {
        const auto type = listed.number(2);
        const auto data = listed.prefixed(2);
        if (!type || !data) return malformed("HelloRetryRequest extension longer than its list");
        // In a HelloRetryRequest, key_share is the selected group alone (RFC 8446 4.2.8).
        if (*type == kKeyShareExtension) {
            if (data->size() != 2) return malformed("HelloRetryRequest key_share of " + std::to_string(data->size()) + " bytes, not 2");
            return {.kind = ServerAnswer::Kind::retry_request,
                    .selected_group = static_cast<std::uint16_t>((*data)[0] << 8 | (*data)[1])};
        }
    }
    return malformed("HelloRetryRequest without a key_share");
}

}  // namespace

std::optional<std::string> hybrid_group_name(std::uint16_t id) {
    for (const auto& group : kHybridGroups)
        if (group.id == id) return group.name;
    return std::nullopt;
}

Bytes hybrid_client_hello(std::uint16_t group, const std::string& server_name, const std::array<std::uint8_t, 32>& random,
                          const std::array<std::uint8_t, 32>& session_id) {
    // Record version 1.0 on a first ClientHello, as RFC 8446 5.1 allows and middleboxes expect.
    Bytes out{kHandshakeRecord, 0x03, 0x01};
    length_prefixed(out, 2, [&] {
        out.push_back(kClientHello);
        length_prefixed(out, 3, [&] {
            put16(out, kTls12);  // legacy_version; supported_versions says 1.3
            out.insert(out.end(), random.begin(), random.end());
            length_prefixed(out, 1, [&] { out.insert(out.end(), session_id.begin(), session_id.end()); });
            length_prefixed(out, 2, [&] {
                for (const auto suite : kCipherSuites) put16(out, suite);
            });
            out.insert(out.end(), {1, 0});  // the null compression method alone
            length_prefixed(out, 2, [&] {
                if (!server_name.empty() && server_name.size() <= 255) {
                    extension(out, kServerNameExtension, [&] {
                        length_prefixed(out, 2, [&] {
                            out.push_back(0);  // host_name
                            length_prefixed(out, 2, [&] { out.insert(out.end(), server_name.begin(), server_name.end()); });
                        });
                    });
                }
                extension(out, kSupportedVersionsExtension, [&] { length_prefixed(out, 1, [&] { put16(out, kTls13); }); });
                extension(out, kSupportedGroupsExtension, [&] { length_prefixed(out, 2, [&] { put16(out, group); }); });
                extension(out, kSignatureAlgorithmsExtension, [&] {
                    length_prefixed(out, 2, [&] {
                        for (const auto scheme : kSignatureSchemes) put16(out, scheme);
                    });
                });
                // No client_shares: a server that would use the group asks for a share in a HelloRetryRequest.
                extension(out, kKeyShareExtension, [&] { length_prefixed(out, 2, [] {}); });
            });
        });
    });
    return out;
}

ServerAnswer parse_server_answer(std::span<const std::uint8_t> received) {
    if (received.size() < kRecordHeader) return {.kind = ServerAnswer::Kind::incomplete};
    const std::uint8_t type = received[0];
    if (type != kAlertRecord && type != kHandshakeRecord)
        return malformed("not a TLS alert or handshake record (content type " + std::to_string(type) + ")");
    if (received[1] != 0x03) return malformed("not a TLS record (version " + std::to_string(received[1]) + ".x)");
    const std::size_t length = static_cast<std::size_t>(received[3] << 8 | received[4]);
    if (length > kMaxRecordBody)
        return malformed("a record of " + std::to_string(length) + " bytes, over TLS's " + std::to_string(kMaxRecordBody));
    if (received.size() < kRecordHeader + length) return {.kind = ServerAnswer::Kind::incomplete};
    const auto body = received.subspan(kRecordHeader, length);
    if (type == kAlertRecord) {
        if (body.size() != 2) return malformed("an alert record of " + std::to_string(body.size()) + " bytes, not 2");
        return {.kind = ServerAnswer::Kind::alert, .alert_description = body[1]};
    }
    ByteReader record(body);
    const auto message_type = record.number(1);
    const auto message = record.prefixed(3);
    if (!message_type || !message) return malformed("a handshake message longer than its record");
    if (*message_type != kServerHello)
        return malformed("handshake message type " + std::to_string(*message_type) + " where a ServerHello belongs");
    return parse_server_hello(*message);
}

asio::awaitable<bool> server_selects_hybrid(asio::ip::tcp::socket& socket, std::uint16_t group,
                                            const std::string& server_name) {
    // Only uniqueness matters here, no secret depends on them: should RAND_bytes fail, zeros serve.
    std::array<std::uint8_t, 32> random{}, session_id{};
    RAND_bytes(random.data(), static_cast<int>(random.size()));
    RAND_bytes(session_id.data(), static_cast<int>(session_id.size()));
    const Bytes hello = hybrid_client_hello(group, server_name, random, session_id);
    auto [write_error, written] = co_await asio::async_write(socket, asio::buffer(hello), nothrow);
    if (write_error) co_return false;
    // Room for the largest record, so that parsing ends (answered, or malformed) before the buffer is full.
    Bytes received(kRecordHeader + kMaxRecordBody);
    std::size_t have = 0;
    for (;;) {
        auto [read_error, read] = co_await socket.async_read_some(asio::buffer(received.data() + have, received.size() - have), nothrow);
        if (read_error) co_return false;
        have += read;
        const auto answer = parse_server_answer(std::span(received.data(), have));
        if (answer.kind != ServerAnswer::Kind::incomplete)
            co_return answer.kind == ServerAnswer::Kind::retry_request && answer.selected_group == group;
    }
}

}  // namespace certfleet::scanner
