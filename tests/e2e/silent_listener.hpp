#pragma once
// A TCP listener on 127.0.0.1 that accepts and never answers: a probe that connects waits out its timeout, so a
// test knows the scan it signals is still running, and where.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace certfleet::testing {

class SilentListener {
public:
    SilentListener() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
            ::listen(fd_, 16) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0)
            throw std::runtime_error("cannot listen on 127.0.0.1");
        port_ = ntohs(address.sin_port);
    }
    ~SilentListener() {
        for (const int connection : connections_) ::close(connection);
        if (fd_ >= 0) ::close(fd_);
    }
    SilentListener(const SilentListener&) = delete;
    SilentListener& operator=(const SilentListener&) = delete;

    std::string port() const { return std::to_string(port_); }
    std::string target() const { return "127.0.0.1:" + port(); }

    // Accepts the next connection and holds it open; false if none comes within `timeout`.
    bool wait_for_connection(std::chrono::milliseconds timeout) {
        pollfd waiting{fd_, POLLIN, 0};
        if (::poll(&waiting, 1, static_cast<int>(timeout.count())) != 1) return false;
        const int connection = ::accept(fd_, nullptr, nullptr);
        if (connection < 0) return false;
        connections_.push_back(connection);
        return true;
    }

private:
    int fd_;
    std::uint16_t port_ = 0;
    std::vector<int> connections_;
};

}  // namespace certfleet::testing
