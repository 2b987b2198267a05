#pragma once
// The client side of each STARTTLS dialogue: the plaintext exchange that asks a server to switch to TLS.
// Internal to the network scanner (it works on Asio sockets).
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "scanner/targets.hpp"

namespace certfleet::scanner {

// Runs the dialogue on a connected socket. Returns nothing when the server agreed and the TLS handshake may
// start, or why not ("server refused STARTTLS: 454 TLS not available", "connection closed"). Every read is
// capped; deadlines are the caller's (it closes the socket). `silence_means_tls` is how long a NATS server may say
// nothing before the client takes it for one set to take the TLS handshake first (handshake_first), which sends no
// INFO and waits for the ClientHello: the dialogue then agrees at once.
boost::asio::awaitable<std::optional<std::string>> starttls_dialogue(boost::asio::ip::tcp::socket& socket,
                                                                     StartTls protocol, const std::string& server_name,
                                                                     std::chrono::steady_clock::duration silence_means_tls);

}  // namespace certfleet::scanner
