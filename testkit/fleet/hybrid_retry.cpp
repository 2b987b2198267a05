#include "testkit/fleet/hybrid_retry.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <vector>

#include "core/byte_reader.hpp"
#include "core/tls_wire.hpp"

namespace certfleet::fleet {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace tls_wire;

namespace {

constexpr auto no_throw = asio::as_tuple(asio::use_awaitable);
struct ClientHello {
    std::vector<std::uint8_t> session_id;
    std::vector<std::uint32_t> groups;
};

// The session id and supported groups of a ClientHello record, or nothing when the record is not one.
std::optional<ClientHello> parse_client_hello(std::span<const std::uint8_t> record) {
    ByteReader reader(record);
    const auto type = reader.number(1);
    const auto version = reader.number(2);
    const auto body = reader.prefixed(2);
    if (type != kHandshakeRecord || !version || !body) return std::nullopt;
    ByteReader handshake(*body);
    const auto message_type = handshake.number(1);
    const auto message = handshake.prefixed(3);
    if (message_type != kClientHello || !message) return std::nullopt;
    ByteReader hello(*message);
    const auto legacy_version = hello.number(2);
    const auto random = hello.take(32);
    const auto session_id = hello.prefixed(1);
    const auto suites = hello.prefixed(2);
    const auto compression = hello.prefixed(1);
    const auto extensions = hello.prefixed(2);
    if (!legacy_version || !random || !session_id || !suites || !compression || !extensions) return std::nullopt;
    ClientHello parsed{{session_id->begin(), session_id->end()}, {}};
    ByteReader listed(*extensions);
    while (listed.left() > 0) {
        const auto extension = listed.number(2);
        const auto data = listed.prefixed(2);
        if (!extension || !data) return std::nullopt;
        if (*extension != kSupportedGroupsExtension) continue;
        ByteReader groups_data(*data);
        const auto groups = groups_data.prefixed(2);
        if (!groups) return std::nullopt;
        ByteReader group_list(*groups);
        while (const auto group = group_list.number(2)) parsed.groups.push_back(*group);
    }
    return parsed;
}

// A HelloRetryRequest selecting X25519MLKEM768 for TLS_AES_128_GCM_SHA256, echoing the client's session id.
std::vector<std::uint8_t> hello_retry_request(const std::vector<std::uint8_t>& session_id) {
    std::vector<std::uint8_t> hello{0x03, 0x03};
    hello.insert(hello.end(), kHelloRetryRandom.begin(), kHelloRetryRandom.end());
    hello.push_back(static_cast<std::uint8_t>(session_id.size()));
    hello.insert(hello.end(), session_id.begin(), session_id.end());
    // TLS_AES_128_GCM_SHA256, no compression, then 12 bytes of extensions: supported_versions TLS 1.3 and
    // key_share naming the group.
    hello.insert(hello.end(), {0x13, 0x01, 0x00, 0x00, 12, 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, 0x00, 0x33, 0x00, 0x02,
                               0x11, 0xEC});
    const std::size_t message = hello.size();
    const std::array<std::uint8_t, 9> headers{kHandshakeRecord, 0x03, 0x03, static_cast<std::uint8_t>((message + 4) >> 8),
                                              static_cast<std::uint8_t>(message + 4), kServerHello, 0x00,
                                              static_cast<std::uint8_t>(message >> 8), static_cast<std::uint8_t>(message)};
    std::vector<std::uint8_t> record(headers.size() + message);
    std::copy(headers.begin(), headers.end(), record.begin());
    std::copy(hello.begin(), hello.end(), record.begin() + static_cast<std::ptrdiff_t>(headers.size()));
    return record;
}

}  // namespace

asio::awaitable<bool> answered_hybrid_probe(tcp::socket& socket) {
    std::vector<std::uint8_t> peeked(kRecordHeader + kMaxRecordBody);
    asio::steady_timer pause(socket.get_executor());
    for (;;) {
        const auto [wait_error] = co_await socket.async_wait(tcp::socket::wait_read, no_throw);
        if (wait_error) co_return false;
        boost::system::error_code error;
        const std::size_t got = socket.receive(asio::buffer(peeked), tcp::socket::message_peek, error);
        if (error || got == 0) co_return false;  // OpenSSL sees the close for itself
        if (got >= kRecordHeader) {
            const std::size_t needed = kRecordHeader + static_cast<std::size_t>(peeked[3] << 8 | peeked[4]);
            if (got >= needed || got == peeked.size()) {
                const auto hello = parse_client_hello(std::span(peeked.data(), got));
                if (!hello || hello->groups != std::vector<std::uint32_t>{kX25519MlKem768}) co_return false;
                co_await asio::async_read(socket, asio::buffer(peeked.data(), needed), asio::use_awaitable);
                co_await asio::async_write(socket, asio::buffer(hello_retry_request(hello->session_id)), asio::use_awaitable);
                co_return true;
            }
        }
        // The rest of the record is on its way: a readable socket would wake the wait at once, so pause instead.
        pause.expires_after(std::chrono::milliseconds(1));
        co_await pause.async_wait(no_throw);
    }
}

}  // namespace certfleet::fleet
