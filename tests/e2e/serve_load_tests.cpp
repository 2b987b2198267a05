// End-to-end: `certfleet serve` under load it must survive while staying available: slowloris clients, more
// connections than its cap, and scrapers in a loop. Every client is a loopback socket the test opens, bounded in
// number and time; docs/serve.md gives the limits checked here.
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "tests/e2e/serve_support.hpp"
#include "testkit/cert_factory.hpp"
#include "testkit/wait.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

// An inventory whose latest scan holds `certificates` certificates, each in a file of its own.
std::string scanned_inventory(const TempDir& dir, int certificates) {
    const auto key = TestKey::shared();
    for (int i = 0; i < certificates; ++i) {
        const auto cert = TestCert::make({.subject_cn = "host" + std::to_string(i) + ".example",
                                          .not_after_days = 30 + i % 300}, key);
        write_file(dir / "tree" / ("cert" + std::to_string(i) + ".pem"), cert.pem());
    }
    const std::string db = (dir / "inventory.db").string();
    REQUIRE(run_certfleet(db, {"scan", "--files", (dir / "tree").string(), "--no-progress"}).exit_code == 0);
    return db;
}

std::vector<std::unique_ptr<Connection>> open_connections(const ServeProcess& server, int count) {
    std::vector<std::unique_ptr<Connection>> connections;
    for (int i = 0; i < count; ++i) {
        connections.push_back(std::make_unique<Connection>(server.address, server.port));
        REQUIRE(connections.back()->connected());
    }
    return connections;
}

Clock::duration timed_get(const ServeProcess& server, const std::string& path, std::string& response) {
    const auto started = Clock::now();
    response = server.get(path);
    return Clock::now() - started;
}

Clock::duration median(std::vector<Clock::duration> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

}  // namespace

TEST_CASE("e2e: serve cuts slowloris clients off at the header deadline and answers others meanwhile",
          "[e2e][serve][serve-load]") {
    TempDir dir;
    ServeProcess server(scanned_inventory(dir, 1));

    // More slow clients than the old cap of 64 connections: each sends part of a header, then a line a second.
    constexpr int kSlowClients = 100;
    const auto opened_at = Clock::now();
    auto slow = open_connections(server, kSlowClients);
    for (auto& connection : slow) connection->send("GET /metrics HTTP/1.1\r\nHost: certfleet\r\n");

    std::vector<std::optional<Clock::time_point>> closed_at(kSlowClients);
    auto last_trickle = Clock::now();
    int normal_requests = 0;
    // Bounded: the server's header deadline is 5 s, so all are gone well before.
    while (std::count(closed_at.begin(), closed_at.end(), std::nullopt) > 0 && Clock::now() - opened_at < seconds(15)) {
        // A normal client between the slow clients' lines is answered, and promptly.
        std::string response;
        CHECK(timed_get(server, ++normal_requests % 2 ? "/" : "/metrics", response) < seconds(2));
        CHECK(response.starts_with("HTTP/1.1 200 OK\r\n"));

        std::vector<pollfd> open;
        for (int i = 0; i < kSlowClients; ++i)
            if (!closed_at[i]) open.push_back({.fd = slow[i]->fd(), .events = POLLIN, .revents = 0});
        REQUIRE(::poll(open.data(), open.size(), 200) >= 0);
        for (int i = 0, o = 0; i < kSlowClients; ++i) {
            if (closed_at[i]) continue;
            if (open[o++].revents == 0) continue;
            char byte;
            CHECK(::recv(slow[i]->fd(), &byte, 1, MSG_DONTWAIT) <= 0);  // closed without a word
            closed_at[i] = Clock::now();
        }
        if (Clock::now() - last_trickle >= seconds(1)) {
            for (int i = 0; i < kSlowClients; ++i)
                if (!closed_at[i]) ::send(slow[i]->fd(), "X-Slow: 1\r\n", 11, MSG_NOSIGNAL);
            last_trickle = Clock::now();
        }
    }
    CHECK(normal_requests >= 10);
    REQUIRE(std::count(closed_at.begin(), closed_at.end(), std::nullopt) == 0);
    CHECK(**std::max_element(closed_at.begin(), closed_at.end()) - opened_at < seconds(9));
    CHECK(server.stop() == 0);
}

TEST_CASE("e2e: serve answers 503 with Retry-After over its connection cap, and serves again once below it",
          "[e2e][serve][serve-load]") {
    TempDir dir;
    ServeProcess server(scanned_inventory(dir, 1));

    // Connections that say nothing hold the server's 256 places (docs/serve.md) until their header deadline (5 s).
    constexpr int kCap = 256;
    auto held = open_connections(server, kCap);
    // Accepted in the order they connected, so every later one is over the cap.
    for (int i = 0; i < 20; ++i) {
        const std::string response = server.get("/");
        CHECK(response.starts_with("HTTP/1.1 503 Service Unavailable\r\n"));
        CHECK(header_value(response, "Retry-After") == "1");
        CHECK(header_value(response, "Connection") == "close");
    }

    held.clear();
    // The places come free as the server sees the held connections close.
    bool refused_only_while_full = true;
    CHECK(wait_until(
        [&] {
            const std::string response = server.get("/");
            refused_only_while_full = refused_only_while_full && (response.starts_with("HTTP/1.1 200 OK\r\n") ||
                                                                  response.starts_with("HTTP/1.1 503 "));
            return response.starts_with("HTTP/1.1 200 OK\r\n");
        },
        seconds(10), milliseconds(20)));
    CHECK(refused_only_while_full);
    CHECK(server.stop() == 0);
}

TEST_CASE("e2e: serve renders /metrics once for a burst of scrapes, off the I/O thread, and / stays fast",
          "[e2e][serve][serve-load]") {
    TempDir dir;
    // Enough certificates that a render takes a while: 0.3 s and more on a busy 2-core machine.
    ServeProcess server(scanned_inventory(dir, 2500));

    // A burst of simultaneous scrapes, the first since the start: they all wait for the one render.
    constexpr int kBurst = 20;
    auto burst = open_connections(server, kBurst);
    const auto burst_sent = Clock::now();
    for (auto& connection : burst) connection->send(ServeProcess::get_request("/metrics"));
    // Meanwhile the index page is answered at once, not after the render.
    std::string index;
    const auto index_during_render = timed_get(server, "/", index);
    CHECK(index.starts_with("HTTP/1.1 200 OK\r\n"));
    std::vector<std::string> scrapes;
    for (auto& connection : burst) scrapes.push_back(connection->read_to_end());
    const auto burst_time = Clock::now() - burst_sent;
    for (const auto& scrape : scrapes) {
        REQUIRE(scrape.starts_with("HTTP/1.1 200 OK\r\n"));
        CHECK(header_value(scrape, "X-Certfleet-Render") == "1");
        CHECK(header_value(scrape, "Age").has_value());
        CHECK(scrape.size() == scrapes.front().size());
    }
    CHECK(index_during_render < burst_time / 4);

    // While two clients scrape in a loop, / answers about as fast as when idle.
    std::vector<Clock::duration> idle, loaded;
    std::string response;
    for (int i = 0; i < 15; ++i) idle.push_back(timed_get(server, "/", response));
    struct Scraper {
        std::vector<std::string> renders;  // X-Certfleet-Render of each 200, "failed" for anything else
        std::jthread thread;               // joined when the test ends, however it ends
    };
    std::atomic<int> scrapes_done = 0;
    std::vector<Scraper> scrapers(2);
    for (auto& scraper : scrapers) {
        scraper.thread = std::jthread([&server, &scrapes_done, &renders = scraper.renders](std::stop_token stop) {
            while (!stop.stop_requested()) {
                const std::string scrape = server.get("/metrics");
                renders.push_back(scrape.starts_with("HTTP/1.1 200 OK\r\n")
                                      ? header_value(scrape, "X-Certfleet-Render").value_or("none") : "failed");
                ++scrapes_done;
            }
        });
    }
    // Until the scrapers have made 10 scrapes between them (each a render before the cache, ~0.5 s).
    const auto loop_started = Clock::now();
    while (scrapes_done < 10) {
        REQUIRE(Clock::now() - loop_started < seconds(30));
        loaded.push_back(timed_get(server, "/", response));
        CHECK(response.starts_with("HTTP/1.1 200 OK\r\n"));
    }
    for (auto& scraper : scrapers) {
        scraper.thread.request_stop();
        scraper.thread.join();
    }
    const auto loop_time = Clock::now() - loop_started;
    // Before the render moved off the I/O thread, / waited out the render in progress: 0.28 s against 0.15 ms idle.
    CHECK(median(loaded) < std::max(10 * median(idle), Clock::duration(milliseconds(50))));
    // Cached: one render per 5 s at most, plus the one in progress when the loop started.
    std::vector<std::string> renders;
    for (const auto& scraper : scrapers) renders.insert(renders.end(), scraper.renders.begin(), scraper.renders.end());
    CHECK(std::count(renders.begin(), renders.end(), "failed") == 0);
    std::sort(renders.begin(), renders.end());
    const auto distinct = std::unique(renders.begin(), renders.end()) - renders.begin();
    CHECK(distinct <= 2 + std::chrono::duration_cast<seconds>(loop_time).count() / 5);
    CHECK(server.stop() == 0);
}
