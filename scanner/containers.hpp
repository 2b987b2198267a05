#pragma once
// Decoders for the containers and keys that both the PEM and the DER paths meet. Each records what it finds
// into the builder, or an error event naming what was wrong; none throws.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "scanner/decode.hpp"

namespace certfleet::scanner {

// The total size (header + content) of the DER object at the start of `bytes`, when its header is well formed;
// the size may exceed bytes.size() for a truncated object.
std::optional<std::size_t> der_object_size(std::span<const std::uint8_t> bytes);

void record_pkcs7(std::span<const std::uint8_t> der, FileObservationBuilder& out);
void record_pkcs12(std::span<const std::uint8_t> der, FileObservationBuilder& out);

enum class PrivateKeyEncoding {
    pkcs8,            // PrivateKeyInfo
    encrypted_pkcs8,  // EncryptedPrivateKeyInfo
    traditional,      // RSAPrivateKey, ECPrivateKey or DSA, optionally encrypted with PEM headers
};
// `pem_headers` carries the RFC 1421 headers (Proc-Type, DEK-Info) of a traditional PEM key, empty otherwise.
void record_private_key(std::span<const std::uint8_t> der, PrivateKeyEncoding encoding, std::string_view pem_headers,
                        SourceFormat format, FileObservationBuilder& out);

}  // namespace certfleet::scanner
