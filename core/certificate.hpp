#pragma once
#include <span>
#include <stdexcept>
#include <string>

#include "core/cert_info.hpp"

namespace certfleet {

struct CertificateParseError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Parses one DER X.509 certificate into the model. Throws CertificateParseError when the bytes are not a
// certificate (or have trailing data: a certificate is exactly one DER object).
CertInfo describe_certificate(std::span<const std::uint8_t> der);

}  // namespace certfleet
