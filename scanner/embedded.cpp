#include <openssl/crypto.h>

#include <array>

#include "core/encoding.hpp"
#include "scanner/decode.hpp"

namespace certfleet::scanner {

namespace {

// Shorter runs cannot hold a certificate; the bound keeps ordinary words and hashes out.
constexpr std::size_t kMinimumRun = 100;

bool is_base64_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
           c == '=';
}

// Base64 prefixes of what is worth decoding: "-----BEGIN", a long-form DER SEQUENCE, and the JKS and JCEKS
// magic numbers. Checking them first keeps decoding off every other long token in a text file.
bool worth_decoding(std::string_view run) {
    static constexpr std::array<std::string_view, 4> kPrefixes{"LS0tLS1CRUdJTi", "MI", "/u3+7", "zs7Oz"};
    for (auto prefix : kPrefixes)
        if (run.starts_with(prefix)) return true;
    return false;
}

}  // namespace

bool decode_embedded_base64(std::string_view text, FileObservationBuilder& out, SourceFormat format) {
    bool found = false;
    std::size_t i = 0;
    while (i < text.size()) {
        if (text[i] == '-' && text.substr(i).starts_with("-----BEGIN ")) {
            // A PEM block's body is base64 too, and it has been decoded already.
            const std::size_t end = text.find("-----END ", i);
            if (end == std::string_view::npos) break;
            const std::size_t line_end = text.find('\n', end);
            i = line_end == std::string_view::npos ? text.size() : line_end;
            continue;
        }
        if (!is_base64_char(text[i])) {
            ++i;
            continue;
        }
        const std::size_t start = i;
        while (i < text.size() && is_base64_char(text[i])) ++i;
        const std::string_view run = text.substr(start, i - start);
        if (run.size() < kMinimumRun || !worth_decoding(run)) continue;
        auto decoded = base64_decode(run);
        if (!decoded) continue;
        out.set_format_override(format);
        const std::string_view decoded_text(reinterpret_cast<const char*>(decoded->data()), decoded->size());
        const bool recognised = decoded_text.starts_with("-----BEGIN ") ? decode_pem_text(decoded_text, out, format)
                                                                         : decode_binary(*decoded, out);
        out.set_format_override(std::nullopt);
        // The value may have been a private key (tls.key); wipe it like any other key buffer.
        OPENSSL_cleanse(decoded->data(), decoded->size());
        found = found || recognised;
    }
    return found;
}

}  // namespace certfleet::scanner
