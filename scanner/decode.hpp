#pragma once
// Content decoders: one file's bytes in, the certificates, keys and problems found in them out. Formats are
// recognised by content, never by file name. Nothing here throws to the caller or reads past a buffer.
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

struct DecodeOptions {
    std::vector<std::string> passwords;  // tried in order on PKCS#12, JKS and encrypted keys; "" always first
    CertificateCache* cache = nullptr;   // optional
};

// Collects what one file yields, numbering its certificates in the order found.
class FileObservationBuilder {
public:
    FileObservationBuilder(std::string path, const DecodeOptions& options);

    const std::string& path() const { return path_; }
    const DecodeOptions& options() const { return options_; }

    // Parses and records one DER certificate; a DER that is not a certificate becomes an error event.
    void add_certificate(std::span<const std::uint8_t> der, SourceFormat format);
    void add_key(SourceFormat format, std::optional<std::string> spki_sha256, KeyState state);
    void add_error(std::string reason, std::string detail);
    void add_note(std::string reason, std::string detail);

    FileObservations take() { return std::move(result_); }

    // While set, everything recorded is attributed to this format: what is found inside a base64 value is
    // reported as embedded (or k8s) whatever container the value held.
    void set_format_override(std::optional<SourceFormat> format) { format_override_ = format; }
    // PEM and embedded findings of a file that turned out to be a Kubernetes manifest or kubeconfig become k8s.
    void relabel_as_kubernetes();

private:
    SourceFormat effective(SourceFormat format) const { return format_override_.value_or(format); }

    std::string path_;
    const DecodeOptions& options_;
    FileObservations result_;
    std::optional<SourceFormat> format_override_;
};

// Decodes a whole file. Every decoder that recognises the content contributes; content that none recognise
// yields nothing (most files in a tree hold no certificates and that is not an error).
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
