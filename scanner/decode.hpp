#pragma once
// Content decoders: one file's bytes in, the certificates, keys and problems found in them out. Formats are
// recognised by content, never by file name. Nothing here throws to the caller or reads past a buffer.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/observation.hpp"

namespace certfleet::scanner {

// Certificates already parsed in this scan, by sha256, so a CA bundle's members seen again under
// /etc/ssl/certs are parsed once. Shared by the decoder threads. Bounded: it forgets everything past a cap,
// which costs re-parsing, never correctness.
class CertificateCache {
public:
    struct Entry {
        std::shared_ptr<const CertInfo> cert;
        std::shared_ptr<const Bytes> der;
    };
    explicit CertificateCache(std::size_t capacity = 100'000) : capacity_(capacity) {}
    std::optional<Entry> find(const std::string& sha256) const;
    void insert(const std::string& sha256, Entry entry);

private:
    std::size_t capacity_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Entry> entries_;
};

// At this bound one key derivation takes well under a second of CPU, so a decoder, which can check for Ctrl-C
// only between derivations, answers promptly; real files use 2,048 (OpenSSL), 10,000 (keytool) up to 600,000
// (OWASP 2023, PBKDF2-HMAC-SHA256) iterations and open.
constexpr std::uint64_t kDefaultMaxKdfIterations = 1'000'000;
constexpr std::chrono::seconds kDefaultFileTimeLimit{10};

struct DecodeOptions {
    std::vector<std::string> passwords;  // tried in order on PKCS#12, JKS and encrypted keys; "" always first
    CertificateCache* cache = nullptr;   // optional
    // Key derivations costing more (PBKDF2 and PKCS#12 KDF iterations, scrypt's N*r*p) are refused unstarted.
    std::uint64_t max_kdf_iterations = kDefaultMaxKdfIterations;
    // How long one file's decoding may take (zero: no limit); past it the file gets a `timeout` event and keeps
    // what was found. Checked between password tries and between certificates.
    std::chrono::milliseconds file_time_limit = kDefaultFileTimeLimit;
    // Set when the scan is stopping (Ctrl-C): decoders abandon the file at their next check.
    const std::atomic<bool>* stop = nullptr;
};

// Collects what one file yields, numbering its certificates in the order found.
class FileObservationBuilder {
public:
    FileObservationBuilder(std::string path, const DecodeOptions& options);

    const std::string& path() const { return path_; }
    const DecodeOptions& options() const { return options_; }

    // Parses and records one DER certificate; a DER that is not a certificate becomes an error event.
    // `trust_anchor` is what the container's structure says (a keystore's trusted entry, a key-less PKCS#12);
    // a certificate recorded inside a KeyedValueScope whose key names CA certificates is one whatever it says.
    void add_certificate(std::span<const std::uint8_t> der, SourceFormat format, bool trust_anchor = false);
    void add_key(SourceFormat format, std::optional<std::string> spki_sha256, KeyState state);
    void add_error(std::string reason, std::string detail);
    void add_note(std::string reason, std::string detail);

    // Whether the decoder must give up the rest of the file now: the scan is stopping, or the file's time is up.
    // The first time the time is found up, a `timeout` error records `activity()`, what the decoder was doing;
    // what was recorded before stays. Decoders ask before each password try (each key derivation) and each
    // certificate or PEM block, so no step between two checks costs more than one derivation.
    template <typename Activity>
    bool must_stop(Activity&& activity) {
        if (!stopping()) return false;
        if (timed_out_ && !timeout_recorded_) record_timeout(activity());
        return true;
    }
    // Whether a decoder gave up part of the file (must_stop said so).
    bool cut_short() const { return gave_up_; }

    FileObservations take() { return std::move(result_); }

    // True once a certificate came from a value held under a YAML or JSON key: the file is a document whose
    // keys say what its certificates are for, not a plain certificate file.
    bool recorded_keyed_certificate() const { return recorded_keyed_certificate_; }

    // While set, everything recorded is attributed to this format: what is found inside a base64 value is
    // reported as embedded (or k8s) whatever container the value held.
    void set_format_override(std::optional<SourceFormat> format) { format_override_ = format; }
    // PEM and embedded findings of a file that turned out to be a Kubernetes manifest or kubeconfig become k8s.
    void relabel_as_kubernetes();

private:
    friend class KeyedValueScope;
    SourceFormat effective(SourceFormat format) const { return format_override_.value_or(format); }
    bool stopping();
    void record_timeout(const std::string& activity);

    std::string path_;
    const DecodeOptions& options_;
    std::optional<std::chrono::steady_clock::time_point> deadline_;
    bool gave_up_ = false;
    bool timed_out_ = false;
    bool timeout_recorded_ = false;
    FileObservations result_;
    std::optional<SourceFormat> format_override_;
    bool in_keyed_value_ = false;
    bool in_anchor_value_ = false;
    bool recorded_keyed_certificate_ = false;
};

// "trying password 3 of 12 on `what`" (index counts from 0): a decoder's activity for must_stop.
std::string password_try(std::size_t index, std::size_t count, std::string_view what);

// While it lives, what is recorded comes from a YAML or JSON value held under `key` (empty: under no key), or
// from inside such a value. A certificate under a key that names CA certificates (key_holds_trust_anchors) is a
// trust anchor whatever container the value turns out to be.
class KeyedValueScope {
public:
    KeyedValueScope(FileObservationBuilder& out, std::string_view key);
    ~KeyedValueScope();
    KeyedValueScope(const KeyedValueScope&) = delete;
    KeyedValueScope& operator=(const KeyedValueScope&) = delete;

private:
    FileObservationBuilder& out_;
    bool enclosing_keyed_;
    bool enclosing_holds_anchors_;
};

// Decodes a whole file. Every decoder that recognises the content contributes; content that none recognise
// yields nothing (most files in a tree hold no certificates and that is not an error). Certificates held as
// trust anchors are marked so (see trust_store.hpp for the rules).
FileObservations decode_file_content(std::span<const std::uint8_t> content, const std::string& path,
                                     const DecodeOptions& options);

// The individual decoders. Each returns true when it recognised its format.
// PEM blocks anywhere in text: certificates (recorded as cert_format), PKCS#7 and private keys.
bool decode_pem_text(std::string_view text, FileObservationBuilder& out, SourceFormat cert_format);
// A file that is exactly one DER object: certificate, PKCS#7, PKCS#12 or PKCS#8 private key.
bool decode_der(std::span<const std::uint8_t> content, FileObservationBuilder& out);
// Base64 values in text (Kubernetes secrets, kubeconfigs, Helm values, JSON) holding PEM or binary containers.
bool decode_embedded_base64(std::string_view text, FileObservationBuilder& out, SourceFormat format);
// Binary content of any supported kind (keystore or DER); false when it is none of them.
bool decode_binary(std::span<const std::uint8_t> content, FileObservationBuilder& out);

}  // namespace certfleet::scanner
