#pragma once
// Tests wait for a condition, never for a stretch of time: poll until it holds, up to a ceiling that only a hang
// reaches.
#include <chrono>
#include <thread>

namespace certfleet::testing {

// True as soon as `condition()` holds; false when `ceiling` passes first.
template <typename Condition>
bool wait_until(Condition&& condition, std::chrono::milliseconds ceiling,
                std::chrono::milliseconds interval = std::chrono::milliseconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + ceiling;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(interval);
    }
    return true;
}

}  // namespace certfleet::testing
