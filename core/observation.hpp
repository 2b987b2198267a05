#pragma once
// What a scan observes, as plain values: the scanner produces these, the inventory stores them.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/cert_info.hpp"

namespace certfleet {

// The container a certificate or key was found in. The JSON report spells these exactly as to_string gives.
enum class SourceFormat { pem, der, pkcs7, pkcs12, jks, jceks, k8s, embedded };
const char* to_string(SourceFormat f);
std::optional<SourceFormat> source_format_from_string(const std::string& s);

struct FileLocation {
    std::string path;
    SourceFormat format = SourceFormat::pem;
    int index = 0;  // ordinal of the certificate within its file, from 0
};

struct CertificateSighting {
    // Shared because one certificate parsed once may be seen at many locations in the same scan.
    std::shared_ptr<const CertInfo> cert;
    std::shared_ptr<const Bytes> der;
    FileLocation location;
    // Held as a trust anchor: an entry of a trust store (a CA bundle, a hashed certificate directory, a
    // keystore's trusted-certificate entry), not a chain some service presents.
    bool trust_anchor = false;
};

enum class KeyState {
    readable,     // read without a password: spki_sha256 is known
    encrypted,    // password-protected and no known password opened it: spki_sha256 unknown
    in_keystore,  // a keystore private-key entry: spki_sha256 is that of the entry's first certificate
};
const char* to_string(KeyState s);

// A private key is recorded only by where it is and which public key it belongs to; key material never
// leaves the decoder that read it.
struct KeySighting {
    std::string path;
    SourceFormat format = SourceFormat::pem;
    std::optional<std::string> spki_sha256;
    KeyState state = KeyState::readable;
};

// A key=value tag on where something was seen: from `scan --label` for a whole scan, or from an owner map
// (CIDR, host glob or path glob -> labels) for one location.
struct Label {
    std::string key;
    std::string value;
    bool operator==(const Label&) const = default;
    auto operator<=>(const Label&) const = default;
};
using Labels = std::vector<Label>;

enum class EventLevel { error, note };

// A problem with one input (an error) or something worth knowing about it (a note). Reasons are short stable
// codes ("too_large", "permission_denied", "locked", ...), details are for people.
struct ScanEvent {
    std::string location;
    std::string reason;
    std::string detail;
    EventLevel level = EventLevel::error;
};

// What a network probe of one endpoint found and what a client would conclude about it, as stored.
struct EndpointFacts {
    std::string host;         // as the user named it: an IP literal or a hostname
    std::string address;      // the address connected to; empty when the host did not resolve
    std::uint16_t port = 0;
    std::string server_name;  // SNI sent; empty for none
    std::string status;       // tls, closed, timeout, not-tls, handshake-failed, unresolved, unreachable
    std::string detail;
    std::optional<std::string> starttls;
    std::string tls_version;
    std::string cipher;
    bool ocsp_stapled = false;
    bool verified = false;
    std::string verify_error;
    std::string verify_detail;
    std::vector<std::string> verify_errors;
    bool hostname_match = false;
    bool chain_trusted = false;
    bool order_correct = false;
    bool root_included = false;
    int intermediates_missing = 0;
    std::optional<UnixTime> earliest_expiry;
    std::string earliest_expiry_sha256;
    bool serves_default = false;  // every SNI name probed on this address and port got the same leaf
    std::int64_t elapsed_ms = 0;
};

struct ChainCertificate {
    std::shared_ptr<const CertInfo> cert;
    std::shared_ptr<const Bytes> der;
};

struct EndpointObservationRecord {
    EndpointFacts facts;
    std::vector<ChainCertificate> chain;  // as presented, leaf first
    Labels labels;                        // the owner map's labels for this endpoint
};

// Everything one input file yielded.
struct FileObservations {
    std::vector<CertificateSighting> certificates;
    std::vector<KeySighting> keys;
    std::vector<ScanEvent> events;
    Labels labels;  // the owner map's labels for this file's path
};

}  // namespace certfleet
