#pragma once
// What the Java keystore decoder and its serialization stream reader share: bounds-checked big-endian reads and
// the damage they report. Internal to scanner/.
#include <array>
#include <cstdint>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>

#include "core/encoding.hpp"

namespace certfleet::scanner::java {

template <typename... Parts>
std::string concat(const Parts&... parts) {
    std::ostringstream out;
    (out << ... << parts);
    return out.str();
}

// "0x" and the value's bytes, e.g. 0x7e, 0xaced, 0x007e0005.
template <typename Unsigned>
std::string hex(Unsigned value) {
    std::array<std::uint8_t, sizeof(Unsigned)> bytes{};
    for (std::size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = static_cast<std::uint8_t>(value >> (8 * (bytes.size() - 1 - i)));
    return "0x" + to_hex(bytes);
}

// Damage found while parsing. It unwinds to decode_java_keystore, which records it and keeps what was read.
struct Damage {
    std::string reason;  // "truncated" or "corrupt_keystore"
    std::string detail;
};

[[noreturn]] inline void corrupt(std::string detail) {
    throw Damage{"corrupt_keystore", std::move(detail)};
}

// Bounds-checked big-endian reads. Offsets in messages are from the start of the file.
class Reader {
public:
    explicit Reader(std::span<const std::uint8_t> data) : data_(data) {}

    std::size_t offset() const { return pos_; }
    std::size_t remaining() const { return data_.size() - pos_; }

    std::span<const std::uint8_t> bytes(std::uint64_t count, std::string_view what) {
        if (count > remaining())
            throw Damage{"truncated", concat(what, " at byte offset ", pos_, " needs ", count, " bytes but only ",
                                             remaining(), " remain")};
        const auto out = data_.subspan(pos_, static_cast<std::size_t>(count));
        pos_ += out.size();
        return out;
    }

    std::uint8_t u8(std::string_view what) { return static_cast<std::uint8_t>(unsigned_int(1, what)); }
    std::uint16_t u16(std::string_view what) { return static_cast<std::uint16_t>(unsigned_int(2, what)); }
    std::uint32_t u32(std::string_view what) { return static_cast<std::uint32_t>(unsigned_int(4, what)); }
    std::uint64_t u64(std::string_view what) { return unsigned_int(8, what); }
    std::int32_t i32(std::string_view what) { return static_cast<std::int32_t>(u32(what)); }
    std::int64_t i64(std::string_view what) { return static_cast<std::int64_t>(u64(what)); }

    // A Java "UTF" string's bytes, undecoded.
    std::span<const std::uint8_t> utf(std::string_view what) { return bytes(u16(what), what); }

private:
    std::uint64_t unsigned_int(std::size_t width, std::string_view what) {
        std::uint64_t value = 0;
        for (const auto b : bytes(width, what)) value = (value << 8) | b;
        return value;
    }

    std::span<const std::uint8_t> data_;
    std::size_t pos_ = 0;
};

}  // namespace certfleet::scanner::java
