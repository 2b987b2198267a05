#include <openssl/crypto.h>

#include <algorithm>
#include <array>

#include "core/encoding.hpp"
#include "scanner/containers.hpp"
#include "scanner/decode.hpp"
#include "scanner/trust_store.hpp"

namespace certfleet::scanner {

namespace {

constexpr std::string_view kBegin = "-----BEGIN ";
constexpr std::string_view kDashes = "-----";

// RFC 1421 headers (Proc-Type, DEK-Info) come before a blank line; they are returned one per line, trimmed,
// as PEM_get_EVP_CIPHER_INFO wants them, and the base64 after them is the body.
std::pair<std::string, std::string_view> split_headers(std::string_view block) {
    if (block.find("Proc-Type:") == std::string_view::npos) return {{}, block};
    std::string headers;
    std::size_t line_start = 0;
    while (line_start < block.size()) {
        std::size_t line_end = block.find('\n', line_start);
        if (line_end == std::string_view::npos) line_end = block.size();
        std::string_view line = block.substr(line_start, line_end - line_start);
        const auto first = line.find_first_not_of(" \t\r");
        const auto last = line.find_last_not_of(" \t\r");
        line = first == std::string_view::npos ? std::string_view{} : line.substr(first, last - first + 1);
        const bool is_header = line.find(':') != std::string_view::npos;
        if (!line.empty() && !is_header) break;
        if (is_header) headers.append(line).push_back('\n');
        line_start = line_end + 1;
    }
    return {headers, block.substr(std::min(line_start, block.size()))};
}

void decode_block(std::string_view label, std::string_view block, int ordinal, SourceFormat cert_format,
                  FileObservationBuilder& out) {
    static constexpr std::array<std::string_view, 3> kCertificateLabels{"CERTIFICATE", "X509 CERTIFICATE",
                                                                        "X.509 CERTIFICATE"};
    static constexpr std::array<std::string_view, 2> kPkcs7Labels{"PKCS7", "PKCS #7 SIGNED DATA"};
    const bool certificate = std::find(kCertificateLabels.begin(), kCertificateLabels.end(), label) != kCertificateLabels.end();
    const bool trusted = label == "TRUSTED CERTIFICATE";
    const bool pkcs7 = std::find(kPkcs7Labels.begin(), kPkcs7Labels.end(), label) != kPkcs7Labels.end();
    const bool pkcs8 = label == "PRIVATE KEY";
    const bool encrypted_pkcs8 = label == "ENCRYPTED PRIVATE KEY";
    const bool traditional = label == "RSA PRIVATE KEY" || label == "EC PRIVATE KEY" || label == "DSA PRIVATE KEY";
    if (!(certificate || trusted || pkcs7 || pkcs8 || encrypted_pkcs8 || traditional)) return;

    // Inside a JSON string the block's line breaks are "\n" escapes; the RFC 1421 headers need real ones.
    std::string unescaped;
    if (block.find("\\n") != std::string_view::npos) {
        for (std::size_t i = 0; i < block.size(); ++i) {
            if (block[i] == '\\' && i + 1 < block.size() && (block[i + 1] == 'n' || block[i + 1] == 'r')) {
                if (block[++i] == 'n') unescaped.push_back('\n');
            } else {
                unescaped.push_back(block[i]);
            }
        }
        block = unescaped;
    }
    auto [headers, body] = split_headers(block);
    auto der = base64_decode(body);
    const std::string where = "PEM block #" + std::to_string(ordinal) + " (" + std::string(label) + ")";
    if (!der || der->empty()) {
        out.add_error("corrupt_pem", where + ": the base64 body does not decode");
        return;
    }
    if (certificate) {
        out.add_certificate(*der, cert_format);
    } else if (trusted) {
        // OpenSSL's trusted form is the certificate followed by its trust settings.
        const auto size = der_object_size(*der);
        if (!size || *size > der->size()) out.add_error("corrupt_pem", where + ": truncated certificate");
        else out.add_certificate(std::span(*der).first(*size), cert_format);
    } else if (pkcs7) {
        record_pkcs7(*der, out);
    } else {
        const auto encoding = pkcs8 ? PrivateKeyEncoding::pkcs8
                              : encrypted_pkcs8 ? PrivateKeyEncoding::encrypted_pkcs8
                                                : PrivateKeyEncoding::traditional;
        record_private_key(*der, encoding, headers, cert_format, out);
        OPENSSL_cleanse(der->data(), der->size());
    }
    OPENSSL_cleanse(unescaped.data(), unescaped.size());
}

// True when `gap` holds nothing but line breaks (raw or JSON-escaped) and indentation: the PEM blocks on either
// side of it are one value, as the members of a CA bundle under one YAML or JSON key are.
bool only_line_breaks(std::string_view gap) {
    for (std::size_t i = 0; i < gap.size(); ++i) {
        if (gap[i] == '\\' && i + 1 < gap.size() && (gap[i + 1] == 'n' || gap[i + 1] == 'r')) ++i;
        else if (gap[i] != '\n' && gap[i] != '\r' && gap[i] != ' ' && gap[i] != '\t') return false;
    }
    return true;
}

}  // namespace

bool decode_pem_text(std::string_view text, FileObservationBuilder& out, SourceFormat cert_format) {
    bool found = false;
    int ordinal = 0;
    std::size_t pos = 0;
    std::size_t previous_block_end = 0;
    std::string_view value_key;
    while ((pos = text.find(kBegin, pos)) != std::string_view::npos) {
        const std::size_t label_start = pos + kBegin.size();
        const std::size_t label_end = text.find(kDashes, label_start);
        if (label_end == std::string_view::npos) break;
        const std::string_view label = text.substr(label_start, label_end - label_start);
        if (label.size() > 64 || label.find('\n') != std::string_view::npos) {
            pos = label_start;
            continue;
        }
        const std::size_t body_start = label_end + kDashes.size();
        const std::string end_marker = "-----END " + std::string(label) + "-----";
        const std::size_t end = text.find(end_marker, body_start);
        const std::size_t next_begin = text.find(kBegin, body_start);
        // A block starts a value named by the key before it (a ConfigMap's ca.crt: |), unless it continues
        // the value of the block before it.
        if (ordinal == 0 || !only_line_breaks(text.substr(previous_block_end, pos - previous_block_end)))
            value_key = key_of_value(text, pos);
        found = true;
        ++ordinal;
        if (end == std::string_view::npos || (next_begin != std::string_view::npos && next_begin < end)) {
            out.add_error("truncated_pem", "PEM block #" + std::to_string(ordinal) + " (" + std::string(label) +
                                               ") has no END line");
            pos = body_start;
            continue;
        }
        if (out.must_stop([&] { return "reading PEM block #" + std::to_string(ordinal); })) break;
        const KeyedValueScope value(out, value_key);
        decode_block(label, text.substr(body_start, end - body_start), ordinal, cert_format, out);
        pos = end + end_marker.size();
        previous_block_end = pos;
    }
    return found;
}

}  // namespace certfleet::scanner
