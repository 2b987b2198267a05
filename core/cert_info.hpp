#pragma once
// The certificate model: every fact certfleet reports about one certificate, derived from its DER alone.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace certfleet {

using Bytes = std::vector<std::uint8_t>;
using UnixTime = std::int64_t;  // seconds since the epoch, UTC; 64-bit so dates past 2038 survive

struct CertInfo {
    std::string sha256;       // of the DER, lowercase hex
    std::string spki_sha256;  // of the DER SubjectPublicKeyInfo, lowercase hex
    std::string subject;      // RFC 2253
    std::string issuer;       // RFC 2253
    std::string serial;       // lowercase hex, no leading zero byte
    UnixTime not_before = 0;
    UnixTime not_after = 0;
    std::string key_type;     // "RSA", "EC", "Ed25519", "Ed448", "DSA" or the OpenSSL name of anything else
    std::string key_curve;    // EC only: the curve's short name, e.g. "prime256v1"
    int key_bits = 0;
    std::string signature_algorithm;  // OpenSSL long name, e.g. "sha256WithRSAEncryption"
    std::vector<std::string> dns_names;
    std::vector<std::string> ip_addresses;
    std::vector<std::string> uris;
    std::vector<std::string> emails;
    bool is_ca = false;
    std::optional<int> path_length;       // basicConstraints pathLenConstraint, when present
    std::vector<std::string> key_usage;   // e.g. "digitalSignature", "keyCertSign"
    std::vector<std::string> ext_key_usage;  // short names, e.g. "serverAuth"; unknown ones as dotted OIDs
    std::string subject_key_id;    // lowercase hex, empty when absent
    std::string authority_key_id;  // lowercase hex, empty when absent
    bool self_issued = false;      // issuer name equals subject name
    bool self_signed = false;      // self-issued AND its signature verifies with its own public key
};

// Time-relative facts: computed at report time from `now`, never stored, so they cannot go stale.
struct Validity {
    std::int64_t days_left = 0;  // whole days until not_after; negative once expired
    bool expired = false;
    bool not_yet_valid = false;
};
Validity validity_at(const CertInfo& cert, UnixTime now);

// A certificate's role from its use, not only from its CA flag: `openssl req -x509` makes a service's self-signed
// certificate CA:TRUE, so one presented first by an endpoint or held with its private key (`used_as_leaf`) acts
// as a leaf, unless its key usage says it was made to sign certificates. A certificate that is no CA always is one.
bool acts_as_leaf(const CertInfo& cert, bool used_as_leaf);

}  // namespace certfleet
