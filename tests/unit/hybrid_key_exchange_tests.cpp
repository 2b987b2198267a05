// The hybrid key-exchange probe's own TLS bytes: the ClientHello it builds, and how it reads a hostile server's
// answer (a HelloRetryRequest, a ServerHello, an alert, and records whose lengths lie).
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <vector>

#include "core/byte_reader.hpp"
#include "scanner/hybrid_key_exchange.hpp"

using namespace certfleet;
using namespace certfleet::scanner;
using Kind = ServerAnswer::Kind;

namespace {

const std::array<std::uint8_t, 32> kRandom{1, 2, 3};
const std::array<std::uint8_t, 32> kSessionId{9, 8, 7};

const std::vector<std::uint8_t> kHelloRetryRandom(tls_wire::kHelloRetryRandom.begin(), tls_wire::kHelloRetryRandom.end());

// A ServerHello record with `random` and these extension bytes (type, length, data each).
Bytes server_hello(const std::vector<std::uint8_t>& random, const Bytes& extensions) {
    Bytes hello{0x03, 0x03};
    hello.insert(hello.end(), random.begin(), random.end());
    hello.insert(hello.end(), {0x00, 0x13, 0x01, 0x00, static_cast<std::uint8_t>(extensions.size() >> 8),
                               static_cast<std::uint8_t>(extensions.size())});
    hello.insert(hello.end(), extensions.begin(), extensions.end());
    const std::array<std::uint8_t, 9> headers{0x16, 0x03, 0x03, static_cast<std::uint8_t>((hello.size() + 4) >> 8),
                                              static_cast<std::uint8_t>(hello.size() + 4), 0x02, 0x00,
                                              static_cast<std::uint8_t>(hello.size() >> 8),
                                              static_cast<std::uint8_t>(hello.size())};
    Bytes record(headers.size() + hello.size());
    std::copy(headers.begin(), headers.end(), record.begin());
    std::copy(hello.begin(), hello.end(), record.begin() + static_cast<std::ptrdiff_t>(headers.size()));
    return record;
}

const Bytes kSelectsHybrid{0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, 0x00, 0x33, 0x00, 0x02, 0x11, 0xEC};

// Each extension of a ClientHello record by type, read the way a server would.
std::map<std::uint32_t, Bytes> client_hello_extensions(const Bytes& record) {
    ByteReader reader(record);
    REQUIRE(reader.number(1) == 22u);
    REQUIRE(reader.number(2));
    const auto body = reader.prefixed(2);
    REQUIRE(body);
    CHECK(reader.left() == 0);
    ByteReader handshake(*body);
    REQUIRE(handshake.number(1) == 1u);
    const auto message = handshake.prefixed(3);
    REQUIRE(message);
    CHECK(handshake.left() == 0);
    ByteReader hello(*message);
    CHECK(hello.number(2) == 0x0303u);
    const auto random = hello.take(32);
    REQUIRE(random);
    CHECK(std::equal(random->begin(), random->end(), kRandom.begin()));
    const auto session_id = hello.prefixed(1);
    REQUIRE(session_id);
    CHECK(session_id->size() == 32);
    const auto suites = hello.prefixed(2);
    REQUIRE(suites);
    CHECK(Bytes(suites->begin(), suites->end()) == Bytes{0x13, 0x01, 0x13, 0x02, 0x13, 0x03});
    const auto compression = hello.prefixed(1);
    REQUIRE(compression);
    const auto extensions = hello.prefixed(2);
    REQUIRE(extensions);
    CHECK(hello.left() == 0);
    std::map<std::uint32_t, Bytes> by_type;
    ByteReader listed(*extensions);
    while (listed.left() > 0) {
        const auto type = listed.number(2);
        const auto data = listed.prefixed(2);
        REQUIRE((type && data));
        by_type[*type] = Bytes(data->begin(), data->end());
    }
    return by_type;
}

}  // namespace

TEST_CASE("hybrid ClientHello: TLS 1.3 only, the one group, an empty key_share, SNI when named",
          "[hybrid][scanner]") {
    const auto extensions = client_hello_extensions(hybrid_client_hello(0x11EC, "pq.example", kRandom, kSessionId));
    CHECK(extensions.at(0x002b) == Bytes{0x02, 0x03, 0x04});
    CHECK(extensions.at(0x000a) == Bytes{0x00, 0x02, 0x11, 0xEC});
    CHECK(extensions.at(0x0033) == Bytes{0x00, 0x00});
    CHECK(extensions.at(0x000d).size() > 2);
    const Bytes name{'p', 'q', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e'};
    Bytes server_name{0x00, 0x0d, 0x00, 0x00, 0x0a};
    server_name.insert(server_name.end(), name.begin(), name.end());
    CHECK(extensions.at(0x0000) == server_name);

    CHECK_FALSE(client_hello_extensions(hybrid_client_hello(0x11EC, "", kRandom, kSessionId)).contains(0x0000));
    CHECK_FALSE(client_hello_extensions(hybrid_client_hello(0x11EC, std::string(256, 'a'), kRandom, kSessionId)).contains(0x0000));
    CHECK(hybrid_group_name(0x11EC) == "X25519MLKEM768");
    CHECK(hybrid_group_name(0x11EB) == "SecP256r1MLKEM768");
    CHECK_FALSE(hybrid_group_name(0x001d));
}

TEST_CASE("hybrid answer: a HelloRetryRequest names its group, a ServerHello and an alert do not", "[hybrid][scanner]") {
    const auto retry = parse_server_answer(server_hello(kHelloRetryRandom, kSelectsHybrid));
    CHECK(retry.kind == Kind::retry_request);
    CHECK(retry.selected_group == 0x11EC);

    const std::vector<std::uint8_t> ordinary_random(32, 0x42);
    CHECK(parse_server_answer(server_hello(ordinary_random, kSelectsHybrid)).kind == Kind::server_hello);

    const auto alert = parse_server_answer(Bytes{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28});
    CHECK(alert.kind == Kind::alert);
    CHECK(alert.alert_description == 40);  // handshake_failure
}

TEST_CASE("hybrid answer: truncated, oversized and lying records are incomplete or malformed, never read past",
          "[hybrid][scanner]") {
    const Bytes full = server_hello(kHelloRetryRandom, kSelectsHybrid);
    // Any prefix of the record asks for more; none is taken for an answer.
    for (std::size_t size = 0; size < full.size(); ++size) {
        INFO(size);
        CHECK(parse_server_answer(std::span(full.data(), size)).kind == Kind::incomplete);
    }
    // Bytes after the record are not looked at.
    Bytes trailing = full;
    trailing.insert(trailing.end(), {0xff, 0xff, 0xff});
    CHECK(parse_server_answer(trailing).kind == Kind::retry_request);

    const auto oversized = parse_server_answer(Bytes{0x16, 0x03, 0x03, 0x40, 0x01});
    CHECK(oversized.kind == Kind::malformed);
    CHECK(oversized.problem.find("16385") != std::string::npos);
    CHECK(parse_server_answer(Bytes{'H', 'T', 'T', 'P', '/'}).kind == Kind::malformed);
    CHECK(parse_server_answer(Bytes{0x16, 0x04, 0x00, 0x00, 0x01, 0x02}).kind == Kind::malformed);
    CHECK(parse_server_answer(Bytes{0x15, 0x03, 0x03, 0x00, 0x01, 0x02}).kind == Kind::malformed);

    // A handshake length beyond its record (a fragmented or lying ServerHello).
    Bytes long_message = full;
    long_message[8] = static_cast<std::uint8_t>(long_message[8] + 1);
    CHECK(parse_server_answer(long_message).kind == Kind::malformed);
    // Another handshake message first.
    Bytes certificate = full;
    certificate[5] = 11;
    CHECK(parse_server_answer(certificate).kind == Kind::malformed);
    // A session id longer than the message.
    Bytes long_session = full;
    long_session[5 + 4 + 2 + 32] = 0xff;
    CHECK(parse_server_answer(long_session).kind == Kind::malformed);
    // Extensions: a key_share of the wrong size, one running past the list, none at all.
    CHECK(parse_server_answer(server_hello(kHelloRetryRandom, {0x00, 0x33, 0x00, 0x03, 0x11, 0xEC, 0x00})).kind == Kind::malformed);
    CHECK(parse_server_answer(server_hello(kHelloRetryRandom, {0x00, 0x33, 0x00, 0x09, 0x11, 0xEC})).kind == Kind::malformed);
    CHECK(parse_server_answer(server_hello(kHelloRetryRandom, {})).kind == Kind::malformed);
}
