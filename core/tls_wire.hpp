#pragma once
// TLS 1.3 wire constants (RFC 8446) for the few messages certfleet writes or reads by hand: the hybrid
// key-exchange probe's ClientHello and the HelloRetryRequest that answers it.
#include <array>
#include <cstddef>
#include <cstdint>

namespace certfleet::tls_wire {

inline constexpr std::uint8_t kAlertRecord = 21;
inline constexpr std::uint8_t kHandshakeRecord = 22;
inline constexpr std::uint8_t kClientHello = 1;
inline constexpr std::uint8_t kServerHello = 2;
inline constexpr std::size_t kRecordHeader = 5;
// RFC 8446 5.1: no plaintext record is longer.
inline constexpr std::size_t kMaxRecordBody = 16384;

inline constexpr std::uint16_t kServerNameExtension = 0x0000;
inline constexpr std::uint16_t kSupportedGroupsExtension = 0x000a;
inline constexpr std::uint16_t kSignatureAlgorithmsExtension = 0x000d;
inline constexpr std::uint16_t kSupportedVersionsExtension = 0x002b;
inline constexpr std::uint16_t kKeyShareExtension = 0x0033;
inline constexpr std::uint16_t kTls12 = 0x0303;
inline constexpr std::uint16_t kTls13 = 0x0304;

// The hybrid of X25519 and ML-KEM-768 (draft-ietf-tls-ecdhe-mlkem), as supported_groups names it.
inline constexpr std::uint16_t kX25519MlKem768 = 0x11EC;

// RFC 8446 4.1.3: the random of a HelloRetryRequest, which is otherwise a ServerHello.
inline constexpr std::array<std::uint8_t, 32> kHelloRetryRandom{
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};

}  // namespace certfleet::tls_wire
