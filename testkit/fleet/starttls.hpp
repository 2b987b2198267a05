#pragma once
// Fakes of each protocol's plaintext dialogue up to its TLS upgrade, faithful enough for `openssl s_client
// -starttls` and for the scanner's own STARTTLS code.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "testkit/fleet/fleet_config.hpp"

namespace certfleet::fleet {

// True once the client may start the TLS handshake on `socket`; false when the dialogue ended without an
// upgrade (refused, or the client turned away, and it gave up or hung up). Speaks `endpoint`'s protocol in its
// manner (refusing, turning clients away, verbose, slow to greet). Throws when the client leaves mid-dialogue.
boost::asio::awaitable<bool> negotiate_starttls(boost::asio::ip::tcp::socket& socket, const Endpoint& endpoint);

}  // namespace certfleet::fleet
