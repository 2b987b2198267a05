#pragma once
// What a scan observes, as plain values: the scanner produces these, the inventory stores them.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/cert_info.hpp"
#include "core/enum_names.hpp"

namespace certfleet {

// The container a certificate or key was found in. The JSON report spells these exactly as to_string gives.
enum class SourceFormat { pem, der, pkcs7, pkcs12, jks, jceks, k8s, embedded };
inline constexpr std::array<EnumName<SourceFormat>, 8> kSourceFormatNames{{
    {SourceFormat::pem, "pem"},
    {SourceFormat::der, "der"},
    {SourceFormat::pkcs7, "pkcs7"},
    {SourceFormat::pkcs12, "pkcs12"},
    {SourceFormat::jks, "jks"},
    {SourceFormat::jceks, "jceks"},
    {SourceFormat::k8s, "k8s"},
    {SourceFormat::embedded, "embedded"},
}};
constexpr const auto& enum_names(SourceFormat) { return kSourceFormatNames; }

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
    // Of a trust anchor: its store is one an OS package maintains (ca-certificates, a JRE's cacerts), refreshed by
    // the distribution rather than by the host's own people.
    bool system_store = false;
    // The certificate of a private key found with it in the same file (the same public key): a keystore's key
    // entry, a PKCS#12 with its key, a PEM file or Kubernetes secret with its key. A service's own certificate,
    // whatever its CA flag says.
    bool with_private_key = false;
};

enum class KeyState {
    readable,     // read without a password: spki_sha256 is known
    encrypted,    // password-protected and no known password opened it: spki_sha256 unknown
    in_keystore,  // a keystore private-key entry: spki_sha256 is that of the entry's first certificate
};
inline constexpr std::array<EnumName<KeyState>, 3> kKeyStateNames{{
    {KeyState::readable, "readable"},
    {KeyState::encrypted, "encrypted"},
    {KeyState::in_keystore, "in_keystore"},
}};
constexpr const auto& enum_names(KeyState) { return kKeyStateNames; }

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
inline constexpr std::array<EnumName<EventLevel>, 2> kEventLevelNames{{
    {EventLevel::error, "error"},
    {EventLevel::note, "note"},
}};
constexpr const auto& enum_names(EventLevel) { return kEventLevelNames; }

// A problem with one input (an error) or something worth knowing about it (a note). Reasons are short stable
// codes ("too_large", "permission_denied", "locked", ...), details are for people.
struct ScanEvent {
    std::string location;
    std::string reason;
    std::string detail;
    EventLevel level = EventLevel::error;
};

// What a probe of one (address, port, server name) found. The closed set of statuses, one line each; the names
// are those of the store and the reports.
enum class EndpointStatus {
    tls,               // a TLS handshake completed; the chain was captured
    closed,            // the connection was refused or reset before anything was said
    timeout,           // a step (connect, STARTTLS, handshake) ran past its deadline
    not_tls,           // the server answered, but not with TLS (plaintext, garbage, a refused STARTTLS)
    handshake_failed,  // the server speaks TLS but the handshake failed (alert, reset mid-handshake, ...)
    unresolved,        // the hostname has no A or AAAA record (or resolution timed out)
    unreachable,       // no route to the network or host (ICMP unreachable), or its address is blocked
};
// In the order of the enum: a status's value is its index here.
inline constexpr std::array<EnumName<EndpointStatus>, 7> kEndpointStatusNames{{
    {EndpointStatus::tls, "tls"},
    {EndpointStatus::closed, "closed"},
    {EndpointStatus::timeout, "timeout"},
    {EndpointStatus::not_tls, "not-tls"},
    {EndpointStatus::handshake_failed, "handshake-failed"},
    {EndpointStatus::unresolved, "unresolved"},
    {EndpointStatus::unreachable, "unreachable"},
}};
constexpr const auto& enum_names(EndpointStatus) { return kEndpointStatusNames; }

// The plaintext protocols that ask for TLS before the handshake.
enum class StartTls { smtp, imap, pop3, ftp, ldap, postgres, xmpp, mysql, nats };
inline constexpr std::array<EnumName<StartTls>, 9> kStartTlsNames{{
    {StartTls::smtp, "smtp"},
    {StartTls::imap, "imap"},
    {StartTls::pop3, "pop3"},
    {StartTls::ftp, "ftp"},
    {StartTls::ldap, "ldap"},
    {StartTls::postgres, "postgres"},
    {StartTls::xmpp, "xmpp"},
    {StartTls::mysql, "mysql"},
    {StartTls::nats, "nats"},
}};
constexpr const auto& enum_names(StartTls) { return kStartTlsNames; }

// Whether the leaf covers the name a client would check it against. A client checks the name it was told to
// connect to; one told only an address checks that against the IP SANs, so a leaf without any, found by a sweep
// of addresses, has no name to check: nobody reaches it by that address.
enum class NameCheck {
    matched,      // the leaf covers the name (or the address) checked
    mismatched,   // it does not: a client connecting by that name refuses the certificate
    not_checked,  // no name to check: probed by address alone, and the leaf has no IP SANs
};
inline constexpr std::array<EnumName<NameCheck>, 3> kNameCheckNames{{
    {NameCheck::matched, "matched"},
    {NameCheck::mismatched, "mismatched"},
    {NameCheck::not_checked, "not-checked"},
}};
constexpr const auto& enum_names(NameCheck) { return kNameCheckNames; }

// Whether the server asked the client for a certificate (mutual TLS: RFC 8446 §4.3.2, RFC 5246 §7.4.4).
enum class ClientAuth {
    none,       // it did not ask
    requested,  // it asked, and went on without one
    required,   // it asked, and ended the connection when none came (after presenting its own certificate)
};
inline constexpr std::array<EnumName<ClientAuth>, 3> kClientAuthNames{{
    {ClientAuth::none, "none"},
    {ClientAuth::requested, "requested"},
    {ClientAuth::required, "required"},
}};
constexpr const auto& enum_names(ClientAuth) { return kClientAuthNames; }

// What a client would conclude about a presented chain: trusted or not and why, valid now or not, and whether it
// names the host.
struct ChainVerdict {
    bool verified = false;          // chain trusted, every certificate in its validity window, no name mismatched
    std::string verify_error;       // the first failing class, empty when verified: self-signed, untrusted-root,
                                    // untrusted-issuer, expired, not-yet-valid, bad-signature, invalid-chain,
                                    // weak-crypto, hostname-mismatch, empty-chain, other
    std::string verify_detail;      // OpenSSL's words for it
    std::vector<std::string> errors;  // every class found, not only the first
    NameCheck name_check = NameCheck::not_checked;  // RFC 6125 for names, IP SANs for addresses
    std::string name_check_detail;  // which name was checked against what: "api.example matches DNS:*.example"
    bool chain_trusted = false;     // a path to a trust anchor exists (validity aside)
    bool public_root = false;       // that path ends at a public root (TrustOptions::public_roots)
    bool order_correct = false;     // each certificate is issued by the next one presented
    bool root_included = false;     // the last presented certificate is self-signed
    int intermediates_missing = 0;  // CAs the path needed that the server did not send
    std::optional<UnixTime> earliest_expiry;  // of the presented certificate that expires first
    std::string earliest_expiry_sha256;

    // The reports' and rules' hostname_match: false only for a name checked and not covered, so that an endpoint
    // with no name to check reads as no failure to whoever looks at this alone.
    bool hostname_match() const { return name_check != NameCheck::mismatched; }
};

// What a network probe of one endpoint found and what a client would conclude about it, as stored.
struct EndpointFacts {
    std::string host;         // as the user named it: an IP literal or a hostname
    std::string address;      // the address connected to; empty when the host did not resolve
    std::uint16_t port = 0;   // 0 for a host name that did not resolve: one row for the name, not one per port
    std::string server_name;  // SNI sent; empty for none
    // The network the scanner was in (scan --site): sites with overlapping private addresses keep apart the
    // endpoints each reached. Empty for a scan that named none.
    std::string site;
    EndpointStatus status = EndpointStatus::closed;
    std::string detail;
    std::optional<StartTls> starttls;
    std::string tls_version;
    std::string cipher;
    std::string key_exchange;  // "X25519", "secp256r1", "ffdhe2048", "DH-2048", "RSA"; empty when not known
    // Hybrid post-quantum groups ("X25519MLKEM768") the server chose when certfleet offered each alone: what a
    // client that offers one gets, though certfleet's own session above used the classical key_exchange.
    std::vector<std::string> hybrid_groups;
    bool ocsp_stapled = false;
    ClientAuth client_auth = ClientAuth::none;
    // The CA names (RFC 2253) the server listed as acceptable for client certificates: TLS 1.3's
    // certificate_authorities extension or TLS 1.2's list; empty where it listed none (any CA it trusts).
    std::vector<std::string> client_ca_names;
    ChainVerdict verdict;     // of the presented chain; the defaults unless the status is tls
    bool serves_default = false;  // every SNI name probed on this address and port got the same leaf
    std::int64_t elapsed_ms = 0;

    // The exchange a client that offers hybrid groups gets: the first hybrid group the server chose, else the one
    // certfleet's own handshake negotiated. What harvest now, decrypt later is judged on.
    const std::string& strongest_key_exchange() const {
        return hybrid_groups.empty() ? key_exchange : hybrid_groups.front();
    }
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
