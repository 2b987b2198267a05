#pragma once
// Decoders for the containers and keys that both the PEM and the DER paths meet. Each records what it finds
// into the builder, or an error event naming what was wrong; none throws.
#include <openssl/types.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "scanner/decode.hpp"

namespace certfleet::scanner {

// The total size (header + content) of the DER object at the start of `bytes`, when its header is well formed;
// the size may exceed bytes.size() for a truncated object.
std::optional<std::size_t> der_object_size(std::span<const std::uint8_t> bytes);

void record_pkcs7(std::span<const std::uint8_t> der, FileObservationBuilder& out);
// PKCS#12, read part by part so that every key derivation's cost is checked before it runs (pkcs12.cpp).
void record_pkcs12(std::span<const std::uint8_t> der, FileObservationBuilder& out);

enum class PrivateKeyEncoding {
    pkcs8,            // PrivateKeyInfo
    encrypted_pkcs8,  // EncryptedPrivateKeyInfo
    traditional,      // RSAPrivateKey, ECPrivateKey or DSA, optionally encrypted with PEM headers
};
// `pem_headers` carries the RFC 1421 headers (Proc-Type, DEK-Info) of a traditional PEM key, empty otherwise.
void record_private_key(std::span<const std::uint8_t> der, PrivateKeyEncoding encoding, std::string_view pem_headers,
                        SourceFormat format, FileObservationBuilder& out);

// Helpers the container decoders share.
// OpenSSL's reason for its last failure; clears its error queue.
std::string openssl_reason();
// A certificate OpenSSL parsed, recorded from its DER encoding.
void add_certificate_from_x509(X509* cert, SourceFormat format, FileObservationBuilder& out, bool trust_anchor = false);
// An opened private key, recorded by the SHA-256 of its public key and never by its material.
void record_key(EVP_PKEY* key, SourceFormat format, FileObservationBuilder& out);

}  // namespace certfleet::scanner
