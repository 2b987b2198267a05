#pragma once
// The cost of deriving a key from a password, as an encrypted container states it, checked before deriving.
// The file chooses that cost, and a hostile one asks for hours per password: 2^31 PBKDF2 iterations take ~12
// minutes, scrypt within OpenSSL's 32 MiB bound can ask for half an hour. Tools write 2,048 (OpenSSL) to
// 600,000 (OWASP's 2023 advice for PBKDF2-SHA256) iterations, and scrypt with N * r * p = 2^17 (N 16384, r 8, p 1).
#include <cstdint>
#include <optional>
#include <string>

struct X509_algor_st;

namespace certfleet::scanner {

// Past these a file is refused rather than opened: each costs well under a second per password.
inline constexpr std::uint64_t kMostKdfIterations = 1'000'000;        // PBKDF2, PKCS#12's KDF, PKCS#5 v1
inline constexpr std::uint64_t kMostScryptWork = std::uint64_t{1} << 20;  // N * r * p

// What is too costly about the password-based encryption `algorithm` names (PBES2 with PBKDF2 or scrypt, or a
// PKCS#5 v1 / PKCS#12 PBE), e.g. "2147483647 PBKDF2 iterations per password, over the 1000000 certfleet
// allows"; nothing when it is within bounds, or not a scheme whose cost is known here (OpenSSL then refuses it
// or decrypts it as usual).
std::optional<std::string> excessive_key_derivation(const X509_algor_st* algorithm);

}  // namespace certfleet::scanner
