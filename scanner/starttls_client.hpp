#pragma once
// The client side of each STARTTLS dialogue: the plaintext exchange that asks a server to switch to TLS.
// Internal to the network scanner (it works on Asio sockets).
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <optional>
#include <string>

#include "scanner/targets.hpp"

namespace certfleet::scanner {

// Runs the dialogue on a connected socket. Returns nothing when the server agreed and the TLS handshake may
// start, or why not ("server refused STARTTLS: 454 TLS not available", "connection closed"). Every read is
// capped; deadlines are the caller's (it closes the socket).
boost::asio::awaitable<std::optional<std::string>> starttls_dialogue(boost::asio::ip::tcp::socket& socket,
                                                                     StartTls protocol, const std::string& server_name);

}  // namespace certfleet::scanner
