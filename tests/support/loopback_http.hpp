#pragma once
// A loopback HTTP client for tests of `certfleet serve`: a free address and port to listen on, and one GET.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace certfleet::testing {

// A random address of 127.0.0.0/8 and a port the kernel says is free there.
std::pair<std::string, std::uint16_t> free_loopback_endpoint();

// `GET path` over a fresh connection with `Connection: close`; the whole response (status line, headers, body),
// or nothing when the connection failed. Every step has a deadline of `timeout_seconds`.
std::optional<std::string> http_get(const std::string& address, std::uint16_t port, const std::string& path,
                                    int timeout_seconds = 20);

}  // namespace certfleet::testing
