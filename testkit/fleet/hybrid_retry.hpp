#pragma once
// An endpoint that supports the hybrid post-quantum key exchange X25519MLKEM768 as certfleet's probe sees one: a
// ClientHello offering that group alone gets a HelloRetryRequest selecting it (RFC 8446 4.1.4). OpenSSL 3.0
// cannot serve the group, so the fleet answers that ClientHello itself and leaves every other one to OpenSSL.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace certfleet::fleet {

// Peeks at the client's first record, leaving it unread for OpenSSL, unless it is a ClientHello whose
// supported_groups is X25519MLKEM768 alone: that one is read and answered with a HelloRetryRequest, and true
// returned (the client has nothing more to say on that connection).
boost::asio::awaitable<bool> answered_hybrid_probe(boost::asio::ip::tcp::socket& socket);

}  // namespace certfleet::fleet
