#include "tests/support/loopback_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <random>
#include <stdexcept>

namespace certfleet::testing {

namespace {

sockaddr_in socket_address(const std::string& address, std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    if (::inet_pton(AF_INET, address.c_str(), &a.sin_addr) != 1) throw std::invalid_argument("not IPv4: " + address);
    return a;
}

struct Socket {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ~Socket() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

std::pair<std::string, std::uint16_t> free_loopback_endpoint() {
    std::mt19937 random(std::random_device{}());
    const std::string address = "127." + std::to_string(random() % 250 + 1) + "." + std::to_string(random() % 250) +
                                "." + std::to_string(random() % 250 + 1);
    Socket s;
    sockaddr_in a = socket_address(address, 0);
    socklen_t length = sizeof a;
    if (::bind(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(s.fd, reinterpret_cast<sockaddr*>(&a), &length) != 0)
        throw std::runtime_error("no free port on " + address);
    return {address, ntohs(a.sin_port)};
}

std::optional<std::string> http_get(const std::string& address, std::uint16_t port, const std::string& path,
                                    int timeout_seconds) {
    Socket s;
    const timeval deadline{.tv_sec = timeout_seconds, .tv_usec = 0};
    ::setsockopt(s.fd, SOL_SOCKET, SO_RCVTIMEO, &deadline, sizeof deadline);
    ::setsockopt(s.fd, SOL_SOCKET, SO_SNDTIMEO, &deadline, sizeof deadline);
    const sockaddr_in to = socket_address(address, port);
    if (::connect(s.fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0) return std::nullopt;
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: certfleet\r\nConnection: close\r\n\r\n";
    if (::send(s.fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size()))
        return std::nullopt;
    std::string response;
    char buffer[4096];
    for (ssize_t n; (n = ::recv(s.fd, buffer, sizeof buffer, 0)) > 0;) response.append(buffer, n);
    return response;
}

}  // namespace certfleet::testing
