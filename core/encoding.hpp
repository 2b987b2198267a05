#pragma once
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/cert_info.hpp"

namespace certfleet {

std::string to_hex(std::span<const std::uint8_t> bytes);
std::string sha256_hex(std::span<const std::uint8_t> bytes);

// Standard base64 with padding, on one line.
std::string base64_encode(std::span<const std::uint8_t> bytes);
// Decodes standard base64, skipping whitespace and the two-character escapes "\n", "\r" and "\t" that JSON
// strings carry. Returns nothing on any other character or on bad padding.
std::optional<Bytes> base64_decode(std::string_view text);

std::string format_rfc3339(UnixTime t);  // "2026-11-23T01:02:03Z"
UnixTime now_utc();

}  // namespace certfleet
