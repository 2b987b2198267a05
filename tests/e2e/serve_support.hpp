#pragma once
// What the `serve` tests share: a plain loopback socket spoken to as Prometheus (and worse clients) would, and a
// `certfleet serve` process on a free loopback endpoint that is stopped by PID however the test ends.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include "tests/e2e/certfleet_binary.hpp"
#include "testkit/process.hpp"
#include "testkit/wait.hpp"

namespace certfleet::testing {

// A connected TCP socket to address:port, with a receive deadline so a test never hangs on the server. Only send()
// and exchange() use Catch's assertions, so a thread of the test may use the rest.
class Connection {
public:
    Connection(const std::string& address, std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        timeval deadline{.tv_sec = 20, .tv_usec = 0};  // longer than any of the server's own deadlines
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &deadline, sizeof deadline);
        const auto to = socket_address(address, port);
        connected_ = to && ::connect(fd_, reinterpret_cast<const sockaddr*>(&*to), sizeof *to) == 0;
    }
    ~Connection() { ::close(fd_); }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    bool connected() const { return connected_; }
    int fd() const { return fd_; }

    bool send_all(const std::string& bytes) {
        return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
    }
    void send(const std::string& bytes) { REQUIRE(send_all(bytes)); }

    // Reads until the server closes the connection (or the deadline passes: see closed_by_server()).
    std::string read_to_end() {
        std::string received;
        char buffer[4096];
        ssize_t n;
        while ((n = ::recv(fd_, buffer, sizeof buffer, 0)) > 0) received.append(buffer, n);
        closed_by_server_ = n == 0;
        return received;
    }
    // Whether the last read_to_end() ended because the server closed the connection, not at the deadline.
    bool closed_by_server() const { return closed_by_server_; }

    // Sends `request` and reads until the server closes the connection.
    std::string exchange(const std::string& request) {
        send(request);
        return read_to_end();
    }

    static std::optional<sockaddr_in> socket_address(const std::string& address, std::uint16_t port) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        if (::inet_pton(AF_INET, address.c_str(), &a.sin_addr) != 1) return std::nullopt;
        return a;
    }

private:
    int fd_ = -1;
    bool connected_ = false;
    bool closed_by_server_ = false;
};

// A random address of 127.0.0.0/8 and a port the kernel says is free there.
inline std::pair<std::string, std::uint16_t> free_loopback_endpoint() {
    std::mt19937 random(std::random_device{}());
    const std::string address = "127." + std::to_string(random() % 250 + 1) + "." + std::to_string(random() % 250) +
                                "." + std::to_string(random() % 250 + 1);
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    auto bound = Connection::socket_address(address, 0);
    REQUIRE(bound);
    sockaddr_in& a = *bound;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t length = sizeof a;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &length) == 0);
    ::close(fd);
    return {address, ntohs(a.sin_port)};
}

// Kills the server if the test stops before it has stopped it cleanly, so no failed check leaves it running.
struct KillOnExit {
    pid_t pid = 0;
    ~KillOnExit() {
        if (pid <= 0) return;
        ::kill(pid, SIGKILL);
        wait_process(pid, std::chrono::seconds(10));
    }
};

// `certfleet --db DB serve` on a free loopback endpoint, ready once it accepts a connection.
class ServeProcess {
public:
    explicit ServeProcess(const std::string& db) {
        std::tie(address, port) = free_loopback_endpoint();
        guard_.pid = spawn_process({kBinary, "--db", db, "serve", "--listen", address + ":" + std::to_string(port)});
        // Bounded, so a server that never comes up fails the test.
        bool exited = false;
        REQUIRE(wait_until(
            [&] {
                exited = wait_process(guard_.pid, std::chrono::seconds(0)).has_value();
                return exited || Connection(address, port).connected();
            },
            std::chrono::seconds(20), std::chrono::milliseconds(20)));
        REQUIRE_FALSE(exited);
    }

    pid_t pid() const { return guard_.pid; }

    // One request on a connection of its own ("Connection: close"), and all the server sent back ("" when the
    // connection failed). No Catch assertions, so a thread of the test may call it.
    std::string get(const std::string& path) const {
        Connection connection(address, port);
        return connection.connected() && connection.send_all(get_request(path)) ? connection.read_to_end() : "";
    }

    static std::string get_request(const std::string& path, bool keep_alive = false) {
        return "GET " + path + " HTTP/1.1\r\nHost: certfleet\r\n" + (keep_alive ? "" : "Connection: close\r\n") + "\r\n";
    }

    // SIGTERM, and the exit code once it has stopped (nullopt if it did not within 10 s).
    std::optional<int> stop() {
        REQUIRE(::kill(guard_.pid, SIGTERM) == 0);
        const auto stopped = wait_process(guard_.pid, std::chrono::seconds(10));
        if (stopped) guard_.pid = 0;
        return stopped;
    }

    std::string address;
    std::uint16_t port = 0;

private:
    KillOnExit guard_;
};

// The value of a response's header `name` (as the server spells it), or nullopt.
inline std::optional<std::string> header_value(const std::string& response, const std::string& name) {
    const auto headers_end = response.find("\r\n\r\n");
    const auto at = response.find("\r\n" + name + ": ");
    if (at == std::string::npos || at > headers_end) return std::nullopt;
    const auto value = at + name.size() + 4;
    return response.substr(value, response.find("\r\n", value) - value);
}

}  // namespace certfleet::testing
