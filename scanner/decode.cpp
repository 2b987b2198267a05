#include "scanner/decode.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "core/certificate.hpp"
#include "core/encoding.hpp"
#include "core/openssl_handles.hpp"
#include "scanner/java_keystore.hpp"
#include "scanner/trust_store.hpp"

namespace certfleet::scanner {

std::optional<CertificateCache::Entry> CertificateCache::find(const std::string& sha256) const {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(sha256);
    if (it == entries_.end()) return std::nullopt;
    return it->second;
}

void CertificateCache::insert(const std::string& sha256, Entry entry) {
    std::lock_guard lock(mutex_);
    if (entries_.size() >= capacity_) entries_.clear();
    entries_.emplace(sha256, std::move(entry));
}

FileObservationBuilder::FileObservationBuilder(std::string path, const DecodeOptions& options)
    : path_(std::move(path)), options_(options) {
    if (options_.file_time_limit.count() > 0) deadline_ = std::chrono::steady_clock::now() + options_.file_time_limit;
}

bool FileObservationBuilder::stopping() {
    if (gave_up_) return true;
    if (options_.stop && options_.stop->load(std::memory_order_relaxed)) {
        gave_up_ = true;
    } else if (deadline_ && std::chrono::steady_clock::now() >= *deadline_) {
        gave_up_ = true;
        timed_out_ = true;
    }
    return gave_up_;
}

void FileObservationBuilder::record_timeout(const std::string& activity) {
    timeout_recorded_ = true;
    char limit[32];
    std::snprintf(limit, sizeof limit, "%g", std::chrono::duration<double>(options_.file_time_limit).count());
    add_error("timeout", std::string("decoding gave up after --file-timeout ") + limit + " s while " + activity +
                             "; what was found before is kept");
}

std::string password_try(std::size_t index, std::size_t count, std::string_view what) {
    return "trying password " + std::to_string(index + 1) + " of " + std::to_string(count) + " on " +
           std::string(what);
}

void FileObservationBuilder::add_certificate(std::span<const std::uint8_t> der, SourceFormat format,
                                             bool trust_anchor) {
    const int index = static_cast<int>(result_.certificates.size());
    const std::string sha256 = sha256_hex(der);
    std::optional<CertificateCache::Entry> entry;
    if (options_.cache) entry = options_.cache->find(sha256);
    if (!entry) {
        try {
            entry = CertificateCache::Entry{std::make_shared<const CertInfo>(describe_certificate(der)),
                                            std::make_shared<const Bytes>(der.begin(), der.end())};
        } catch (const CertificateParseError& e) {
            add_error("corrupt_certificate", std::string(to_string(format)) + " certificate #" +
                                                 std::to_string(index) + ": " + e.what());
            return;
        }
        if (options_.cache) options_.cache->insert(sha256, *entry);
    }
    result_.certificates.push_back(CertificateSighting{entry->cert, entry->der,
                                                       FileLocation{path_, effective(format), index},
                                                       trust_anchor || in_anchor_value_});
    recorded_keyed_certificate_ = recorded_keyed_certificate_ || in_keyed_value_;
}

void FileObservationBuilder::add_key(SourceFormat format, std::optional<std::string> spki_sha256, KeyState state) {
    result_.keys.push_back(KeySighting{path_, effective(format), std::move(spki_sha256), state});
}

void FileObservationBuilder::relabel_as_kubernetes() {
    auto relabel = [](SourceFormat& format) {
        if (format == SourceFormat::pem || format == SourceFormat::embedded) format = SourceFormat::k8s;
    };
    for (auto& sighting : result_.certificates) relabel(sighting.location.format);
    for (auto& key : result_.keys) relabel(key.format);
}

KeyedValueScope::KeyedValueScope(FileObservationBuilder& out, std::string_view key)
    : out_(out), enclosing_keyed_(out.in_keyed_value_), enclosing_holds_anchors_(out.in_anchor_value_) {
    out_.in_keyed_value_ = enclosing_keyed_ || !key.empty();
    out_.in_anchor_value_ = enclosing_holds_anchors_ || key_holds_trust_anchors(key);
}

KeyedValueScope::~KeyedValueScope() {
    out_.in_keyed_value_ = enclosing_keyed_;
    out_.in_anchor_value_ = enclosing_holds_anchors_;
}

void FileObservationBuilder::add_error(std::string reason, std::string detail) {
    result_.events.push_back(ScanEvent{path_, std::move(reason), std::move(detail), EventLevel::error});
}

void FileObservationBuilder::add_note(std::string reason, std::string detail) {
    result_.events.push_back(ScanEvent{path_, std::move(reason), std::move(detail), EventLevel::note});
}

namespace {

// Markers of Kubernetes manifests and kubeconfigs: certificates in such files are reported as format k8s.
bool looks_like_kubernetes(std::string_view text) {
    static constexpr std::string_view kMarkers[] = {"tls.crt",     "ca.crt", "client-certificate-data",
                                                    "certificate-authority-data", "kind: Secret",
                                                    "\"kind\": \"Secret\"", "apiVersion"};
    return std::any_of(std::begin(kMarkers), std::end(kMarkers),
                       [&](std::string_view m) { return text.find(m) != std::string_view::npos; });
}

bool is_text(std::span<const std::uint8_t> content) {
    return std::memchr(content.data(), 0, content.size()) == nullptr;
}

// A certificate whose public key is that of a private key in the same file is that key's certificate. Every
// container says so the same way (a keystore key entry's key is recorded by its first certificate's public key),
// and an encrypted key no password opened pairs with nothing: its public key is unknown.
void mark_key_certificates(FileObservations& file) {
    for (auto& sighting : file.certificates)
        sighting.with_private_key = std::any_of(file.keys.begin(), file.keys.end(), [&](const KeySighting& key) {
            return key.spki_sha256 == sighting.cert->spki_sha256;
        });
}

}  // namespace

FileObservations decode_file_content(std::span<const std::uint8_t> content, const std::string& path,
                                     const DecodeOptions& options) {
    FileObservationBuilder out(path, options);
    if (content.empty()) return out.take();
    if (!decode_binary(content, out) && is_text(content)) {
        const std::string_view text(reinterpret_cast<const char*>(content.data()), content.size());
        const bool found_pem = decode_pem_text(text, out, SourceFormat::pem);
        const bool found_embedded = decode_embedded_base64(text, out, SourceFormat::embedded);
        // Most text files hold nothing; only those that do are checked for being Kubernetes manifests.
        if ((found_pem || found_embedded) && looks_like_kubernetes(text)) out.relabel_as_kubernetes();
    }
    const bool judged_by_keys = out.recorded_keyed_certificate();
    FileObservations observations = out.take();
    mark_key_certificates(observations);
    if (!judged_by_keys) mark_trust_store_anchors(observations, path);
    mark_system_store_anchors(observations, path);
    return observations;
}

bool decode_binary(std::span<const std::uint8_t> content, FileObservationBuilder& out) {
    if (decode_java_keystore(content, out)) return true;
    return !content.empty() && content[0] == 0x30 && decode_der(content, out);
}

}  // namespace certfleet::scanner
