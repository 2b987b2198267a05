#pragma once
// The body of `serve`'s /metrics. It is rendered on a worker thread, so the I/O thread answers other requests
// meanwhile; scrapes that arrive during a render wait for that one rather than start their own; and the result
// is kept for kMaxAge unless the inventory changes first, so a burst of scrapes (two Prometheus servers, a
// dashboard, a script) costs one render, not one each.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "inventory/file_stamp.hpp"

namespace certfleet::app {

struct RenderedMetrics {
    std::uint64_t number = 0;  // renders since the server started, this one included
    std::chrono::steady_clock::time_point started;  // when it began reading the inventory
    std::shared_ptr<const std::string> text;        // null when the render failed
    std::string failure;                            // why it failed, on one line
};

class MetricsCache {
public:
    // Long enough for a burst of scrapes to share one render, short enough that values computed against the clock
    // (x509_cert_expired) are barely late.
    static constexpr std::chrono::seconds kMaxAge{5};
    // A scrape waits this long for a render before it is answered with the failure; past Prometheus's own
    // default scrape timeout (10 s), within its longest usual one.
    static constexpr std::chrono::seconds kMaxWait{20};

    // `render` runs on the worker thread and throws on failure; `inventory_path` is watched for changes.
    MetricsCache(boost::asio::any_io_executor io, std::string inventory_path, std::function<std::string()> render);

    // The latest render if it is current, else the next one. Call on the I/O thread only: the state below is its own.
    boost::asio::awaitable<RenderedMetrics> get();

private:
    bool current() const;
    std::uint64_t start_render();
    void finish(RenderedMetrics rendered, const inventory::InventoryStamp& stamp);

    boost::asio::any_io_executor io_;
    const std::string inventory_path_;
    const std::function<std::string()> render_;
    std::optional<RenderedMetrics> latest_;
    inventory::InventoryStamp latest_stamp_;
    std::uint64_t renders_started_ = 0;
    std::uint64_t renders_finished_ = 0;
    std::vector<boost::asio::steady_timer*> waiters_;  // scrapes waiting for the render in progress
    // Last, so it is destroyed first: its destructor waits for a render in progress, which uses the members above.
    boost::asio::thread_pool worker_{1};
};

}  // namespace certfleet::app
