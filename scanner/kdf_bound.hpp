#pragma once
// The cost of a password-based key derivation, read from its parameters before it runs. An iteration count in
// a 1 KB file can ask for an hour of CPU, and OpenSSL cannot interrupt a derivation once it has started, so a
// derivation over --max-kdf-iterations is refused instead (and the file says so in an event).
#include <openssl/x509.h>

#include <cstdint>
#include <optional>
#include <string_view>

#include "scanner/decode.hpp"

namespace certfleet::scanner {

struct KdfCost {
    std::string_view kdf;      // "PBKDF2", "scrypt", "PKCS#12 KDF", "PBES1"
    std::uint64_t iterations;  // scrypt: N * r * p
};

// What deriving the key of an encryption AlgorithmIdentifier costs: PBES2 with PBKDF2 or scrypt, PKCS#12 PBE,
// PBES1. Nothing when it names no password-based scheme or its parameters do not parse, which OpenSSL then
// refuses without deriving anything.
std::optional<KdfCost> pbe_kdf_cost(const X509_ALGOR* algorithm);

// A MAC key derivation: the PKCS#12 KDF with the iterations of MacData (absent: 1).
KdfCost pkcs12_mac_kdf_cost(const ASN1_INTEGER* iterations);

// True when a derivation costs more than the options allow: an excessive_kdf_iterations error naming `what`
// (the MAC, an encrypted safe, a key), the count and the flag is recorded, and the caller derives nothing.
bool refuse_costly_kdf(const std::optional<KdfCost>& cost, std::string_view what, FileObservationBuilder& out);

}  // namespace certfleet::scanner
