#include "scanner/trust_store.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <vector>

namespace certfleet::scanner {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool is_quote(char c) { return c == '"' || c == '\''; }

// The position just after the last non-blank character before `end`.
std::size_t back_over_blanks(std::string_view text, std::size_t end) {
    while (end > 0 && is_blank(text[end - 1])) --end;
    return end;
}

// The position of a YAML block scalar header (`|`, `>`, with optional chomping and indentation indicators such
// as `|-` or `>2+`) ending just before `end`; npos when there is none.
std::size_t block_scalar_header(std::string_view text, std::size_t end) {
    static constexpr std::string_view kIndicators = "+-0123456789";
    while (end > 0 && kIndicators.find(text[end - 1]) != std::string_view::npos) --end;
    return end > 0 && (text[end - 1] == '|' || text[end - 1] == '>') ? end - 1 : std::string_view::npos;
}

bool is_plain_certificate_format(SourceFormat format) {
    return format == SourceFormat::pem || format == SourceFormat::der || format == SourceFormat::pkcs7;
}

bool in_trust_location(std::string_view path) {
    // Matched anywhere in the path, so a container image layer or a chroot scanned from outside counts too.
    static constexpr std::array<std::string_view, 3> kTrustDirectories{"/etc/ssl/certs/", "/etc/pki/ca-trust/",
                                                                      "/etc/pki/tls/certs/"};
    // Parts of a directory or file name that mark a store. "ca-certificates" also covers the directories
    // /usr/share/ca-certificates, /usr/local/share/ca-certificates and /etc/ca-certificates.
    static constexpr std::array<std::string_view, 5> kTrustNameParts{"truststore", "trust-store", "cacerts",
                                                                     "ca-bundle", "ca-certificates"};
    std::string lowered(path);
    std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const auto in_path = [&](std::string_view part) { return lowered.find(part) != std::string::npos; };
    return std::any_of(kTrustDirectories.begin(), kTrustDirectories.end(), in_path) ||
           std::any_of(kTrustNameParts.begin(), kTrustNameParts.end(), in_path);
}

// The names `openssl rehash` (c_rehash) gives the members of a hashed certificate directory: the subject
// name hash as 8 hex digits, a dot, and a collision counter, as in 9d6523ce.0.
bool has_hashed_certificate_name(std::string_view path) {
    const std::string_view name = path.substr(path.rfind('/') + 1);
    const auto is_hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
    const auto is_digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
    return name.size() >= 10 && name[8] == '.' && std::all_of(name.begin(), name.begin() + 8, is_hex) &&
           std::all_of(name.begin() + 9, name.end(), is_digit);
}

// Two or more CA or self-signed certificates that are not one issuance chain listed in order (each issuer the
// next one's subject). An intermediate-then-root file is a chain a service presents; a bundle of unrelated
// roots, or a CA next to a pinned self-signed leaf, is what a client trusts.
bool is_store_shaped_bundle(const std::vector<CertificateSighting*>& certificates) {
    if (certificates.size() < 2) return false;
    const bool all_anchor_like = std::all_of(certificates.begin(), certificates.end(), [](const auto* sighting) {
        return sighting->cert->is_ca || sighting->cert->self_signed;
    });
    const auto break_in_chain = std::adjacent_find(
        certificates.begin(), certificates.end(),
        [](const auto* issued, const auto* next) { return issued->cert->issuer != next->cert->subject; });
    return all_anchor_like && break_in_chain != certificates.end();
}

}  // namespace

std::string_view key_of_value(std::string_view text, std::size_t value_start) {
    std::size_t at = back_over_blanks(text, value_start);
    if (at > 0 && is_quote(text[at - 1])) {
        at = back_over_blanks(text, at - 1);
    } else if (at > 0 && text[at - 1] == '\n') {
        // The first line of a block scalar: the line before ends in the scalar's header.
        at -= at > 1 && text[at - 2] == '\r' ? 2 : 1;
        const std::size_t header = block_scalar_header(text, back_over_blanks(text, at));
        if (header == std::string_view::npos) return {};
        at = back_over_blanks(text, header);
    }
    if (at == 0 || text[at - 1] != ':') return {};
    const std::size_t key_end = back_over_blanks(text, at - 1);
    if (key_end > 1 && is_quote(text[key_end - 1])) {
        const std::size_t close = key_end - 1;
        const std::size_t open = text.rfind(text[close], close - 1);
        if (open == std::string_view::npos) return {};
        return text.substr(open + 1, close - open - 1);
    }
    std::size_t key_start = key_end;
    while (key_start > 0 && std::string_view(" \t\r\n{,").find(text[key_start - 1]) == std::string_view::npos)
        --key_start;
    return text.substr(key_start, key_end - key_start);
}

bool key_holds_trust_anchors(std::string_view key) {
    static constexpr std::array<std::string_view, 4> kAnchorKeys{"certificate-authority-data", "ca.crt",
                                                                "ca-bundle.crt", "caBundle"};
    return std::find(kAnchorKeys.begin(), kAnchorKeys.end(), key) != kAnchorKeys.end();
}

bool is_system_trust_store(std::string_view path) {
    // update-ca-certificates and update-ca-trust write these bundles; the rest of /etc/ssl/certs and
    // /etc/pki/tls/certs is links, which the walker records at their targets, and files put there by hand.
    static constexpr std::array<std::string_view, 3> kGeneratedBundles{"/etc/ssl/certs/ca-certificates.crt",
                                                                       "/etc/pki/tls/certs/ca-bundle.crt",
                                                                       "/etc/pki/tls/certs/ca-bundle.trust.crt"};
    static constexpr std::array<std::string_view, 5> kSystemDirectories{
        "/etc/ssl/certs/java/", "/usr/share/ca-certificates/", "/etc/ca-certificates/", "/etc/pki/ca-trust/",
        "/usr/share/pki/ca-trust-source/"};
    static constexpr std::string_view kAdministratorsAnchors = "/etc/pki/ca-trust/source/";
    static constexpr std::array<std::string_view, 2> kJavaStoreDirectories{"/usr/lib/jvm/", "/etc/pki/java/"};
    const auto in_path = [&](std::string_view part) { return path.find(part) != std::string_view::npos; };
    const auto ends_path = [&](std::string_view file) { return path.ends_with(file); };
    if (std::any_of(kGeneratedBundles.begin(), kGeneratedBundles.end(), ends_path)) return true;
    if (std::any_of(kSystemDirectories.begin(), kSystemDirectories.end(), in_path))
        return !in_path(kAdministratorsAnchors);
    const std::string_view name = path.substr(path.rfind('/') + 1);
    return name == "cacerts" && std::any_of(kJavaStoreDirectories.begin(), kJavaStoreDirectories.end(), in_path);
}

void mark_system_store_anchors(FileObservations& file, std::string_view path) {
    if (!is_system_trust_store(path)) return;
    for (auto& sighting : file.certificates) sighting.system_store = sighting.trust_anchor;
}

void mark_trust_store_anchors(FileObservations& file, std::string_view path) {
    // A private key next to certificates makes the file a service's own identity, whatever its name says.
    if (!file.keys.empty()) return;
    std::vector<CertificateSighting*> plain;
    for (auto& sighting : file.certificates)
        if (is_plain_certificate_format(sighting.location.format)) plain.push_back(&sighting);
    if (plain.empty()) return;
    if (!in_trust_location(path) && !has_hashed_certificate_name(path) && !is_store_shaped_bundle(plain)) return;
    for (auto* sighting : plain) sighting->trust_anchor = true;
}

}  // namespace certfleet::scanner
