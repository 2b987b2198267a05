#pragma once
// What a scan observes, as plain values: the scanner produces these, the inventory stores them.
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

enum class EventLevel { error, note };

// A problem with one input (an error) or something worth knowing about it (a note). Reasons are short stable
// codes ("too_large", "permission_denied", "locked", ...), details are for people.
struct ScanEvent {
    std::string location;
    std::string reason;
    std::string detail;
    EventLevel level = EventLevel::error;
};

// Everything one input file yielded.
struct FileObservations {
    std::vector<CertificateSighting> certificates;
    std::vector<KeySighting> keys;
    std::vector<ScanEvent> events;
};

}  // namespace certfleet
