#pragma once
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/cert_info.hpp"

struct x509_st;
struct X509_name_st;

namespace certfleet {

struct CertificateParseError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Parses one DER X.509 certificate into the model. Throws CertificateParseError when the bytes are not a
// certificate (or have trailing data: a certificate is exactly one DER object).
CertInfo describe_certificate(std::span<const std::uint8_t> der);

// The same from a certificate OpenSSL has already parsed (a TLS handshake's), whose DER encoding is `der`:
// parsing it again would cost a second public-key decode. Throws CertificateParseError when the key's
// SubjectPublicKeyInfo cannot be encoded.
CertInfo describe_certificate(x509_st* certificate, std::span<const std::uint8_t> der);

// A distinguished name as the model spells subjects and issuers: RFC 2253, UTF-8 kept as is.
std::string name_rfc2253(const X509_name_st* name);

// A parsed certificate's subjectAltName entries, spelled as describe_certificate spells them: for a check of one
// name, without describing the rest of the certificate.
struct SubjectAltNames {
    std::vector<std::string> dns_names, ip_addresses, uris, emails;
};
SubjectAltNames subject_alt_names(x509_st* certificate);

}  // namespace certfleet
