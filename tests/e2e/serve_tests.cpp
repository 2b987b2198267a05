// End-to-end: `certfleet serve` on a loopback address, spoken to with a plain socket as Prometheus (and worse
// clients) would, then stopped with SIGTERM.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <random>
#include <thread>

#include "tests/e2e/certfleet_binary.hpp"
#include "tests/support/cert_factory.hpp"
#include "tests/support/process.hpp"

using namespace certfleet;
using namespace certfleet::testing;

namespace {

// A connected TCP socket to address:port, with a receive deadline so a test never hangs on the server.
class Connection {
public:
    Connection(const std::string& address, std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        timeval deadline{.tv_sec = 20, .tv_usec = 0};  // longer than the server's 10 s for a request
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &deadline, sizeof deadline);
        const sockaddr_in to = socket_address(address, port);
        connected_ = ::connect(fd_, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0;
    }
    ~Connection() { ::close(fd_); }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    bool connected() const { return connected_; }

    // Sends `request` and reads until the server closes the connection (or the deadline passes).
    std::string exchange(const std::string& request) {
        REQUIRE(::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size()));
        std::string response;
        char buffer[4096];
        for (ssize_t n; (n = ::recv(fd_, buffer, sizeof buffer, 0)) > 0;) response.append(buffer, n);
        return response;
    }

    static sockaddr_in socket_address(const std::string& address, std::uint16_t port) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        REQUIRE(::inet_pton(AF_INET, address.c_str(), &a.sin_addr) == 1);
        return a;
    }

private:
    int fd_ = -1;
    bool connected_ = false;
};

// A random address of 127.0.0.0/8 and a port the kernel says is free there.
std::pair<std::string, std::uint16_t> free_loopback_endpoint() {
    std::mt19937 random(std::random_device{}());
    const std::string address = "127." + std::to_string(random() % 250 + 1) + "." + std::to_string(random() % 250) +
                                "." + std::to_string(random() % 250 + 1);
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = Connection::socket_address(address, 0);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t length = sizeof a;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &length) == 0);
    ::close(fd);
    return {address, ntohs(a.sin_port)};
}

// Kills the server if the test stops before it has stopped it cleanly, so no failed check leaves it running.
struct KillOnExit {
    pid_t pid;
    ~KillOnExit() {
        if (pid <= 0) return;
        ::kill(pid, SIGKILL);
        wait_process(pid, std::chrono::seconds(10));
    }
};

std::string get(const std::string& path) { return "GET " + path + " HTTP/1.1\r\nHost: certfleet\r\nConnection: close\r\n\r\n"; }

}  // namespace

TEST_CASE("e2e: serve answers Prometheus on /metrics, 4xx to anything else, and stops on SIGTERM", "[e2e][serve]") {
    TempDir dir;
    const auto key = TestKey::shared();
    const auto cert = TestCert::make({.subject_cn = "served.example", .not_after_days = 30}, key);
    write_file(dir / "tree/served.pem", cert.pem());
    const std::string db = (dir / "inventory.db").string();
    REQUIRE(run_certfleet(db, {"scan", "--files", (dir / "tree").string(), "--no-progress"}).exit_code == 0);

    CHECK(run_certfleet(db, {"serve", "--listen", "localhost:9793"}, {.timeout = std::chrono::seconds(10)}).exit_code == 2);
    CHECK(run_certfleet(db, {"serve", "--listen", "127.0.0.1"}, {.timeout = std::chrono::seconds(10)}).exit_code == 2);

    const auto [address, port] = free_loopback_endpoint();
    const pid_t server = spawn_process({kBinary, "--db", db, "serve", "--listen", address + ":" + std::to_string(port)});
    KillOnExit guard{server};
    // Ready once it accepts a connection; bounded, so a server that never comes up fails the test.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!Connection(address, port).connected()) {
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        REQUIRE_FALSE(wait_process(server, std::chrono::seconds(0)));  // it has not exited
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }

    const std::string metrics = Connection(address, port).exchange(get("/metrics"));
    CHECK(metrics.starts_with("HTTP/1.1 200 OK\r\n"));
    CHECK(metrics.find("\r\nContent-Type: text/plain; version=0.0.4") != std::string::npos);
    CHECK(metrics.find("\nx509_cert_not_after{sha256=\"" + cert.sha256() + "\",kind=\"file\",path=\"" +
                       (dir / "tree/served.pem").string() + "\"} ") != std::string::npos);

    const std::string index = Connection(address, port).exchange(get("/"));
    CHECK(index.starts_with("HTTP/1.1 200 OK\r\n"));
    CHECK(index.find("href=\"/metrics\"") != std::string::npos);
    CHECK(Connection(address, port).exchange(get("/nope")).starts_with("HTTP/1.1 404 "));
    CHECK(Connection(address, port).exchange("POST /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi")
              .starts_with("HTTP/1.1 405 "));
    CHECK(Connection(address, port).exchange("\x16\x03\x01 this is not HTTP\r\n\r\n").starts_with("HTTP/1.1 400 "));
    const std::string huge_header = "GET /metrics HTTP/1.1\r\nX-Junk: " + std::string(64 * 1024, 'a') + "\r\n\r\n";
    CHECK(Connection(address, port).exchange(huge_header).starts_with("HTTP/1.1 431 "));

    // A client that connects and says nothing does not keep the server from answering others.
    Connection silent(address, port);
    REQUIRE(silent.connected());
    CHECK(Connection(address, port).exchange(get("/metrics")).starts_with("HTTP/1.1 200 OK\r\n"));

    // The inventory is read anew on every scrape: a second scan shows at once.
    write_file(dir / "tree2/other.pem", TestCert::make({.subject_cn = "later.example"}, TestKey::shared({}, 1)).pem());
    REQUIRE(run_certfleet(db, {"scan", "--files", (dir / "tree2").string(), "--no-progress"}).exit_code == 0);
    CHECK(Connection(address, port).exchange(get("/metrics")).find("certfleet_scan_id 2\n") != std::string::npos);

    const std::string head = Connection(address, port).exchange("HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(head.starts_with("HTTP/1.1 200 OK\r\n"));
    CHECK(head.ends_with("\r\n\r\n"));  // headers only

    // The silent client is cut off once its request is overdue (10 s after it connected).
    const auto waited_from = std::chrono::steady_clock::now();
    CHECK(silent.exchange("").empty());
    CHECK(std::chrono::steady_clock::now() - waited_from < std::chrono::seconds(12));

    REQUIRE(::kill(server, SIGTERM) == 0);
    const auto stopped = wait_process(server, std::chrono::seconds(10));
    REQUIRE(stopped);
    guard.pid = 0;
    CHECK(*stopped == 0);
}
