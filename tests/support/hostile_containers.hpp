#pragma once
// Encrypted containers for the decoders' limits on key derivation: keys encrypted at a chosen cost, and KDF
// bombs, containers whose stated key derivation asks for more work than any tool would write. A bomb is made
// cheaply (2,048 iterations, or a small scrypt) and then has its cost parameters patched and re-encoded, so the
// DER stays well formed; what was encrypted or MACed is left as it was, which only a full derivation could tell.
#include <cstdint>
#include <string>

#include "core/cert_info.hpp"
#include "tests/support/cert_factory.hpp"

namespace certfleet::testing {

// The PKCS#12 `pkcs12` with its MAC iteration count replaced.
Bytes pkcs12_with_mac_iterations(const Bytes& pkcs12, long iterations);

// The PKCS#12 `pkcs12` without its MAC, its encrypted certificate safe's PBKDF2 iteration count replaced. With no
// MAC to check first, OpenSSL derives that safe's key for the empty password straight away.
Bytes pkcs12_without_mac_with_bag_iterations(const Bytes& pkcs12, long iterations);

struct ScryptCost {
    std::uint64_t n = 16384, r = 8, p = 1;
};

// `key` as an EncryptedPrivateKeyInfo (DER) under `password`: PBES2, AES-256-CBC, its key derived by PBKDF2 with
// `pbkdf2_iterations` or by scrypt. Encrypting pays the cost asked for; the right password opens it.
Bytes encrypted_pkcs8_der(const TestKey& key, const std::string& password, int pbkdf2_iterations);
Bytes encrypted_pkcs8_der(const TestKey& key, const std::string& password, ScryptCost scrypt);

// An EncryptedPrivateKeyInfo of encrypted_pkcs8_der with the cost it states replaced (so no password opens it).
Bytes with_pbkdf2_iterations(const Bytes& encrypted_pkcs8, long iterations);
Bytes with_scrypt_cost(const Bytes& encrypted_pkcs8, ScryptCost scrypt);

// A PEM block of `der` under `label`.
std::string pem_block(const std::string& label, const Bytes& der);

}  // namespace certfleet::testing
