// End-to-end: `certfleet serve` on a loopback address, spoken to with a plain socket as Prometheus (and worse
// clients) would, then stopped with SIGTERM.
#include <catch2/catch.hpp>
#include <chrono>

#include "tests/e2e/serve_support.hpp"
#include "testkit/cert_factory.hpp"

using namespace certfleet;
using namespace certfleet::testing;

namespace {

std::string get(const std::string& path) { return ServeProcess::get_request(path); }

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

    ServeProcess server(db);
    const std::string& address = server.address;
    const std::uint16_t port = server.port;

    const std::string metrics = Connection(address, port).exchange(get("/metrics"));
    CHECK(metrics.starts_with("HTTP/1.1 200 OK\r\n"));
    CHECK(metrics.find("\r\nContent-Type: text/plain; version=0.0.4") != std::string::npos);
    CHECK(metrics.find("\nx509_cert_not_after{sha256=\"" + cert.sha256() + "\",kind=\"file\",path=\"" +
                       (dir / "tree/served.pem").string() + "\",host=\"" + this_host_name() + "\"} ") != std::string::npos);

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

    // The metrics are kept a few seconds, but not past a change of the inventory: a second scan shows at once.
    write_file(dir / "tree2/other.pem", TestCert::make({.subject_cn = "later.example"}, TestKey::shared({}, 1)).pem());
    REQUIRE(run_certfleet(db, {"scan", "--files", (dir / "tree2").string(), "--no-progress"}).exit_code == 0);
    CHECK(Connection(address, port).exchange(get("/metrics")).find("certfleet_scan_id 2\n") != std::string::npos);

    const std::string head = Connection(address, port).exchange("HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(head.starts_with("HTTP/1.1 200 OK\r\n"));
    CHECK(head.ends_with("\r\n\r\n"));  // headers only

    // A silent client is cut off, without a word, once its request header is overdue (5 s after it connected);
    // the connection's own 20 s receive deadline is only a ceiling against a server that never cuts it off.
    Connection overdue(address, port);
    REQUIRE(overdue.connected());
    CHECK(overdue.read_to_end().empty());
    CHECK(overdue.closed_by_server());
    CHECK(silent.read_to_end().empty());
    CHECK(silent.closed_by_server());

    const auto stopped = server.stop();
    REQUIRE(stopped);
    CHECK(*stopped == 0);
}

TEST_CASE("e2e: serve closes a kept-alive connection after 100 requests", "[e2e][serve]") {
    TempDir dir;
    write_file(dir / "tree/served.pem", TestCert::make({.subject_cn = "served.example"}, TestKey::shared()).pem());
    const std::string db = (dir / "inventory.db").string();
    REQUIRE(run_certfleet(db, {"scan", "--files", (dir / "tree").string(), "--no-progress"}).exit_code == 0);
    ServeProcess server(db);

    // 101 requests at once on one connection: the 100th response says it is the last, and the server closes.
    std::string pipelined;
    for (int i = 0; i < 101; ++i) pipelined += ServeProcess::get_request("/", true);
    Connection connection(server.address, server.port);
    REQUIRE(connection.connected());
    const std::string responses = connection.exchange(pipelined);
    std::size_t answered = 0;
    for (auto at = responses.find("HTTP/1.1 200 OK\r\n"); at != std::string::npos; at = responses.find("HTTP/1.1 200 OK\r\n", at + 1))
        ++answered;
    CHECK(answered == 100);
    const auto last = responses.rfind("HTTP/1.1 200 OK\r\n");
    REQUIRE(last != std::string::npos);
    CHECK(header_value(responses.substr(last), "Connection") == "close");
    CHECK(header_value(responses, "Connection") != "close");  // the first of them kept the connection open
    CHECK(server.stop() == 0);
}

TEST_CASE("e2e: serve answers /metrics 503 with a one-line reason while the inventory is unreadable", "[e2e][serve]") {
    TempDir dir;
    write_file(dir / "tree/served.pem", TestCert::make({.subject_cn = "served.example"}, TestKey::shared()).pem());
    const std::string db = (dir / "inventory.db").string();
    REQUIRE(run_certfleet(db, {"scan", "--files", (dir / "tree").string(), "--no-progress"}).exit_code == 0);
    ServeProcess server(db);
    CHECK(server.get("/metrics").starts_with("HTTP/1.1 200 OK\r\n"));

    const Bytes intact = read_file(db);
    write_file(db, std::string(64 * 1024, 'x'));
    const std::string broken = server.get("/metrics");
    CHECK(broken.starts_with("HTTP/1.1 503 Service Unavailable\r\n"));
    const std::string reason = broken.substr(broken.find("\r\n\r\n") + 4);
    CHECK(reason.find(db) != std::string::npos);
    CHECK(reason.find('\n') == reason.size() - 1);
    CHECK(server.get("/").starts_with("HTTP/1.1 200 OK\r\n"));

    // A failure is not kept: once the inventory is whole again, so are the metrics.
    write_file(db, intact);
    CHECK(server.get("/metrics").starts_with("HTTP/1.1 200 OK\r\n"));
    CHECK(server.stop() == 0);
}
