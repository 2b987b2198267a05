#pragma once
// Password-protected files with chosen key-derivation costs, built at test time: PKCS#12 and encrypted PKCS#8
// as OpenSSL writes them, and the same with an iteration count rewritten afterwards as a hostile file carries
// it (the derivation it asks for is the attack: the MAC or the key behind it need not match).
#include <cstdint>
#include <string>
#include <vector>

#include "testkit/cert_factory.hpp"

namespace certfleet::testing {

struct Pkcs12Spec {
    const TestKey* key = nullptr;
    const TestCert* cert = nullptr;
    std::vector<TestCert> extra_certs;
    std::string password;
    int iterations = 2048;      // of every PBE
    int mac_iterations = 2048;
    // The certificates' PBE, as a NID: 0 is OpenSSL's default (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC), -1 none
    // (the certificates lie outside the encrypted part), NID_pbe_WithSHA1And3_Key_TripleDES_CBC as older tools.
    int certificate_pbe = 0;
};
Bytes make_pkcs12(const Pkcs12Spec& spec);

// The places a PKCS#12 asks for a key derivation.
enum class Pkcs12Kdf { mac, encrypted_safes, shrouded_keys };
// The file with those derivations' iteration counts set to `iterations`, found by parsing it. When the safes or
// keys change the MAC is made anew with `password`, so that it checks out and the rewritten derivation is the
// next one a reader meets.
Bytes with_kdf_iterations(const Bytes& pkcs12, Pkcs12Kdf where, std::uint64_t iterations,
                          const std::string& password = "");

// An EncryptedPrivateKeyInfo: PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC.
Bytes encrypted_pkcs8_der(const TestKey& key, const std::string& password, int iterations);
// The same with scrypt's cost N, block size r and parallelization p.
Bytes scrypt_pkcs8_der(const TestKey& key, const std::string& password, std::uint64_t n, std::uint64_t r,
                       std::uint64_t p);
// An EncryptedPrivateKeyInfo with its PBKDF2 iteration count, or its scrypt parallelization, rewritten.
Bytes with_pkcs8_iterations(const Bytes& der, std::uint64_t iterations);
Bytes with_scrypt_parallelization(const Bytes& der, std::uint64_t parallelization);

// A PEM block of `der` under `label`, base64 in 64-character lines.
std::string pem_block(const std::string& label, const Bytes& der);

}  // namespace certfleet::testing
