#pragma once
// What a client would conclude about a presented chain: trusted or not and why, valid now or not, and whether
// it names the host. The three are kept apart, as seed 002's failure classes are: chain trust, hostname,
// validity window.
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/cert_info.hpp"
#include "core/observation.hpp"

struct x509_st;

namespace certfleet::scanner {

// A chain as a server presented it, leaf first: each certificate's DER and, when it came from a TLS handshake,
// the certificates OpenSSL parsed there. Verification and the inventory's description use those rather than
// parse the DER again: on OpenSSL 3.0 a parse costs a public-key decode, the dearest step of a grab after the
// handshake's own. The parsed certificates stay inside the scanner module; others see the DER, and a
// certificate's model through describe().
class PresentedChain {
public:
    PresentedChain() = default;
    // DER only (parsed when needed): `verify({leaf.der, intermediate.der}, name)`.
    PresentedChain(std::vector<Bytes> der) : der_(std::move(der)) {}  // NOLINT(google-explicit-constructor)
    PresentedChain(std::initializer_list<Bytes> der) : der_(der) {}
    // Takes a reference of its own to each certificate; the DER is their encoding.
    static PresentedChain from_parsed(const std::vector<x509_st*>& certificates);

    const std::vector<Bytes>& der() const { return der_; }
    std::size_t size() const { return der_.size(); }
    bool empty() const { return der_.empty(); }
    // The model of certificate `i`. Throws CertificateParseError (core/certificate.hpp) when it does not parse.
    CertInfo describe(std::size_t i) const;

private:
    friend class ChainVerifier;
    std::vector<Bytes> der_;
    std::vector<std::shared_ptr<x509_st>> parsed_;  // one per DER entry, or none
};

// Debian's copy of the Mozilla root program (package ca-certificates): the roots public TLS certificates chain to,
// without the private CAs an organisation adds to the system store.
inline constexpr const char* kPublicRootsPath = "/usr/share/ca-certificates/mozilla";

struct TrustOptions {
    bool system_trust = true;              // the system bundle (OpenSSL's default paths)
    std::vector<std::string> trust_paths;  // --trust FILE|DIR: PEM bundles, or directories of them
    // --public-roots FILE|DIR: a trusted path ending at one of these is a public TLS certificate's. Where the
    // default is absent (not Debian), the system store's roots count as public, those given by --trust not.
    std::string public_roots = kPublicRootsPath;
};

struct TrustError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class ChainVerifier {
public:
    explicit ChainVerifier(const TrustOptions& options);  // throws TrustError naming an unreadable --trust path
    ~ChainVerifier();
    ChainVerifier(const ChainVerifier&) = delete;
    ChainVerifier& operator=(const ChainVerifier&) = delete;

    // `server_name` is the name the scan was given for the endpoint (a host-name target, --sni), checked always;
    // empty when the endpoint was probed by `address` alone, which is checked only against a leaf that has IP
    // SANs (a client told only an address checks those). Chain verdicts are cached by chain fingerprint, so a
    // certificate shared by thousands of endpoints is verified once.
    ChainVerdict verify(const PresentedChain& chain, const std::string& server_name, const std::string& address);
    std::size_t anchors() const { return anchor_count_; }
    // CA certificates seen elsewhere (the inventory): never trusted, only used to name the intermediate a chain
    // is missing.
    void add_known_intermediates(const std::vector<Bytes>& certificates);

private:
    struct Store;
    struct PathResult {
        std::vector<int> errors;  // every X509_V_ERR_* met on the way
        int length = 0;           // of the path built, anchor included
        std::string root_sha256;  // of the path's last certificate
    };
    PathResult build_path(x509_st* leaf, const std::vector<x509_st*>& untrusted);
    bool is_public_root(const std::string& root_sha256) const;
    struct NameCheckResult {
        NameCheck check = NameCheck::not_checked;
        std::string detail;
    };
    static NameCheckResult check_name(x509_st* leaf, const std::string& server_name, const std::string& address);
    std::vector<std::shared_ptr<x509_st>> known_intermediates_;
    std::unique_ptr<Store> store_;
    bool system_trust_ = true;
    std::size_t anchor_count_ = 0;
    std::map<std::string, ChainVerdict> chain_verdicts_;
    std::map<std::string, NameCheckResult> name_checks_;  // by leaf fingerprint and the name checked
};

}  // namespace certfleet::scanner
