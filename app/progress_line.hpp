#pragma once
// A progress line on stderr that rewrites itself, for the commands that can run for a while.
#include <chrono>
#include <functional>
#include <iostream>
#include <string>

namespace certfleet::app {

// Shown only when enabled (a terminal), at most every 100 ms.
class ProgressLine {
public:
    explicit ProgressLine(bool enabled) : enabled_(enabled) {}
    void show(const std::function<std::string()>& text) {
        if (!enabled_) return;
        const auto now = std::chrono::steady_clock::now();
        if (now - last_ < std::chrono::milliseconds(100)) return;
        last_ = now;
        std::cerr << "\r\033[K" << text() << std::flush;
    }
    void clear() {
        if (enabled_) std::cerr << "\r\033[K" << std::flush;
    }

private:
    bool enabled_;
    std::chrono::steady_clock::time_point last_{};
};

}  // namespace certfleet::app
