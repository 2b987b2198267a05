#pragma once
// Bounds-checked big-endian reads of a byte run from another party (a TLS record, say): every read either has
// the bytes it needs or returns nothing and reads nothing, so no length a peer sends can reach past the buffer.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace certfleet {

class ByteReader {
public:
    explicit ByteReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

    // An unsigned number of `width` bytes (at most 4).
    std::optional<std::uint32_t> number(std::size_t width) {
        if (width > 4 || left() < width) return std::nullopt;
        std::uint32_t value = 0;
        for (std::size_t i = 0; i < width; ++i) value = value << 8 | bytes_[at_ + i];
        at_ += width;
        return value;
    }

    std::optional<std::span<const std::uint8_t>> take(std::size_t count) {
        if (left() < count) return std::nullopt;
        const auto run = bytes_.subspan(at_, count);
        at_ += count;
        return run;
    }

    // A run behind its length, a number of `width` bytes; nothing is read unless both are there.
    std::optional<std::span<const std::uint8_t>> prefixed(std::size_t width) {
        const std::size_t start = at_;
        const auto length = number(width);
        auto run = length ? take(*length) : std::nullopt;
        if (!run) at_ = start;
        return run;
    }

    std::size_t left() const { return bytes_.size() - at_; }

private:
    std::span<const std::uint8_t> bytes_;
    std::size_t at_ = 0;
};

}  // namespace certfleet
