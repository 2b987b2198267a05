#pragma once
// What the decoder fuzzers share: the bytes libFuzzer hands over as the views the decoders take, and the
// options a scan decodes with.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "scanner/decode.hpp"

namespace certfleet::fuzz {

inline std::span<const std::uint8_t> bytes(const std::uint8_t* data, std::size_t size) { return {data, size}; }

inline std::string_view text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// As a scan with a --password-file: "" is always tried first, then the file's passwords. The seeds are made
// with "changeit", so mutations reach what lies behind a PKCS#12 MAC, a keystore digest or an encrypted key.
// No certificate cache: each input is decoded from scratch, as the first file of a scan is.
inline const scanner::DecodeOptions& decode_options() {
    static const scanner::DecodeOptions options{.passwords = {"", "changeit"}, .cache = nullptr};
    return options;
}

}  // namespace certfleet::fuzz
