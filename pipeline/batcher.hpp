#pragma once
// Results stored in batches, one transaction each.
#include <chrono>
#include <cstddef>
#include <functional>
#include <utility>
#include <vector>

namespace certfleet::pipeline {

// A batch is stored at least every kMaxAge, so a crash loses at most that much work, and at most kMaxItems at a
// time, which bounds the memory held (a few MiB of certificates). Each commit rewrites the last pages of every
// index, so fewer, larger batches store a fast scan faster.
template <typename Item>
class Batcher {
public:
    static constexpr std::size_t kMaxItems = 4096;
    static constexpr std::chrono::milliseconds kMaxAge{500};

    explicit Batcher(std::function<void(const std::vector<Item>&)> store) : store_(std::move(store)) {}
    void add(Item&& item) {
        batch_.push_back(std::move(item));
        if (batch_.size() >= kMaxItems || std::chrono::steady_clock::now() - last_flush_ > kMaxAge) flush();
    }
    void flush() {
        if (!batch_.empty()) store_(batch_);
        batch_.clear();
        last_flush_ = std::chrono::steady_clock::now();
    }

private:
    std::function<void(const std::vector<Item>&)> store_;
    std::vector<Item> batch_;
    std::chrono::steady_clock::time_point last_flush_ = std::chrono::steady_clock::now();
};

}  // namespace certfleet::pipeline
