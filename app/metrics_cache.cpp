#include "app/metrics_cache.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <iostream>

#include "report/text_escape.hpp"

namespace certfleet::app {

namespace asio = boost::asio;

MetricsCache::MetricsCache(asio::any_io_executor io, std::string inventory_path, std::function<std::string()> render)
    : io_(std::move(io)), inventory_path_(std::move(inventory_path)), render_(std::move(render)) {}

asio::awaitable<RenderedMetrics> MetricsCache::get() {
    if (current()) co_return *latest_;
    const std::uint64_t awaited = renders_started_ > renders_finished_ ? renders_started_ : start_render();
    // finish() cancels the timer to wake this scrape; if the timer runs out first, the render is overdue.
    asio::steady_timer wake(io_, kMaxWait);
    waiters_.push_back(&wake);
    co_await wake.async_wait(asio::as_tuple(asio::use_awaitable));
    std::erase(waiters_, &wake);
    if (renders_finished_ < awaited) {
        RenderedMetrics overdue;
        overdue.failure = "the metrics are still being rendered after " + std::to_string(kMaxWait.count()) +
                          " s; try again later";
        co_return overdue;
    }
    co_return *latest_;
}

bool MetricsCache::current() const {
    return latest_ && latest_->text && std::chrono::steady_clock::now() - latest_->started < kMaxAge &&
           inventory::inventory_stamp(inventory_path_) == latest_stamp_;
}

std::uint64_t MetricsCache::start_render() {
    const std::uint64_t number = ++renders_started_;
    asio::post(worker_, [this, number] {
        RenderedMetrics rendered;
        rendered.number = number;
        rendered.started = std::chrono::steady_clock::now();
        try {
            rendered.text = std::make_shared<const std::string>(render_());
        } catch (const std::exception& e) {
            rendered.failure = report::visible_text(e.what());  // one line, whatever the message holds
        } catch (...) {
            rendered.failure = "unknown error";
        }
        // Stamped after the render, not before: opening and closing the inventory to read it may create and
        // remove its write-ahead log, and that is no change. A write during the render shows within kMaxAge.
        const auto stamp = inventory::inventory_stamp(inventory_path_);
        asio::post(io_, [this, rendered = std::move(rendered), stamp]() mutable { finish(std::move(rendered), stamp); });
    });
    return number;
}

void MetricsCache::finish(RenderedMetrics rendered, const inventory::InventoryStamp& stamp) {
    // Prometheus records the failed scrape (up == 0) and shows the reason; this says it once per render.
    if (!rendered.text) std::cerr << "certfleet serve: /metrics: " << rendered.failure << "\n";
    renders_finished_ = rendered.number;
    latest_ = std::move(rendered);
    latest_stamp_ = stamp;
    for (auto* waiter : waiters_) waiter->cancel();
}

}  // namespace certfleet::app
