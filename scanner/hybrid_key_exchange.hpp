#pragma once
// Whether a TLS 1.3 server would choose a hybrid post-quantum key exchange (draft-ietf-tls-ecdhe-mlkem) that
// OpenSSL 3.0 cannot negotiate. certfleet sends a ClientHello of its own offering that one group with an empty
// key_share; a server that supports it asks for a share of it in a HelloRetryRequest naming the group (RFC 8446
// 4.1.4), and certfleet hangs up there. No key material is made or sent.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "core/cert_info.hpp"
#include "core/tls_wire.hpp"

namespace certfleet::scanner {

struct HybridGroup {
    std::uint16_t id;  // the TLS supported_groups code point
    const char* name;  // as the IANA registry names it
};

// The hybrids of draft-ietf-tls-ecdhe-mlkem by code point.
inline constexpr std::array<HybridGroup, 3> kHybridGroups{{
    {0x11EB, "SecP256r1MLKEM768"},
    {tls_wire::kX25519MlKem768, "X25519MLKEM768"},
    {0x11ED, "SecP384r1MLKEM1024"},
}};

// The groups a probe asks about, a connection each: the one browsers offer today.
inline constexpr std::array<std::uint16_t, 1> kProbedHybridGroups{tls_wire::kX25519MlKem768};

// The name of a hybrid group, or nullopt for another code point.
std::optional<std::string> hybrid_group_name(std::uint16_t id);

// A TLS 1.3 ClientHello record offering only `group`, with no key share, TLS 1.3's cipher suites and signature
// algorithms, and `server_name` as SNI when it is not empty (at most 255 bytes; longer is not sent).
Bytes hybrid_client_hello(std::uint16_t group, const std::string& server_name, const std::array<std::uint8_t, 32>& random,
                          const std::array<std::uint8_t, 32>& session_id);

// What a server's first record says to that ClientHello.
struct ServerAnswer {
    enum class Kind {
        incomplete,     // the record is not all here yet: read more
        retry_request,  // a HelloRetryRequest; selected_group is its key_share's group
        server_hello,   // a ServerHello that needs no retry: not for a group offered without a share
        alert,          // alert_description says which
        malformed,      // not a TLS record, or lengths that do not add up; problem says what
    };
    Kind kind = Kind::malformed;
    std::uint16_t selected_group = 0;
    std::uint8_t alert_description = 0;
    std::string problem{};
};

// Reads the first record of `received`, checking every length against the bytes there are. A record over 2^14
// bytes, or a ServerHello that does not fit its record (a fragmented one), is malformed.
ServerAnswer parse_server_answer(std::span<const std::uint8_t> received);

// Sends the ClientHello for `group` on a connected socket (after STARTTLS, where there is one) and returns whether
// the server answered with a HelloRetryRequest selecting that group. Reads at most one record. Deadlines are the
// caller's: it closes the socket, which ends the wait as "no".
boost::asio::awaitable<bool> server_selects_hybrid(boost::asio::ip::tcp::socket& socket, std::uint16_t group,
                                                   const std::string& server_name);

}  // namespace certfleet::scanner
