#include <openssl/crypto.h>

#include <array>

#include "core/encoding.hpp"
#include "scanner/decode.hpp"
#include "scanner/trust_store.hpp"

namespace certfleet::scanner {

namespace {

// Shorter runs cannot hold a certificate; the bound keeps ordinary words and hashes out.
constexpr std::size_t kMinimumRun = 100;
constexpr std::string_view kPemBegin = "-----BEGIN ";
constexpr std::string_view kPemEnd = "-----END ";

// A table: this test runs on every byte of every text file in the tree.
constexpr auto kBase64Chars = [] {
    std::array<bool, 256> table{};
    for (int c = 'A'; c <= 'Z'; ++c) table[c] = true;
    for (int c = 'a'; c <= 'z'; ++c) table[c] = true;
    for (int c = '0'; c <= '9'; ++c) table[c] = true;
    table['+'] = table['/'] = table['='] = true;
    return table;
}();

bool is_base64_char(char c) { return kBase64Chars[static_cast<unsigned char>(c)]; }

// Base64 prefixes of what is worth decoding: "-----BEGIN", a long-form DER SEQUENCE, and the JKS and JCEKS
// magic numbers. Checking them first keeps decoding off every other long token in a text file.
bool worth_decoding(std::string_view run) {
    static constexpr std::array<std::string_view, 4> kPrefixes{"LS0tLS1CRUdJTi", "MI", "/u3+7", "zs7Oz"};
    for (auto prefix : kPrefixes)
        if (run.starts_with(prefix)) return true;
    return false;
}

std::size_t skip_base64(std::string_view text, std::size_t i) {
    while (i < text.size() && is_base64_char(text[i])) ++i;
    return i;
}

// A line break, raw or JSON-escaped, then indentation: what separates the lines of a wrapped base64 value.
std::size_t skip_line_break(std::string_view text, std::size_t i) {
    const std::size_t from = i;
    bool broke = false;
    while (i < text.size()) {
        if (text[i] == '\n' || text[i] == '\r') {
            broke = true;
            ++i;
        } else if (text[i] == '\\' && i + 1 < text.size() && (text[i + 1] == 'n' || text[i + 1] == 'r')) {
            broke = true;
            i += 2;
        } else if (broke && (text[i] == ' ' || text[i] == '\t')) {
            ++i;
        } else {
            break;
        }
    }
    return broke ? i : from;
}

// The end of the base64 value starting at `start`. A value wrapped over several lines (a YAML block scalar, a
// JSON string with \n escapes) continues while each line is whole base64 quads and the next line is nothing
// but base64 up to its own end, so a following "key: value" line is never swallowed.
std::size_t end_of_value(std::string_view text, std::size_t start) {
    std::size_t end = skip_base64(text, start);
    std::size_t line_start = start;
    for (;;) {
        if ((end - line_start) % 4 != 0 || text.substr(line_start, end - line_start).find('=') != std::string_view::npos)
            return end;
        const std::size_t next = skip_line_break(text, end);
        if (next == end || next >= text.size() || !is_base64_char(text[next])) return end;
        const std::size_t next_end = skip_base64(text, next);
        const bool whole_line = next_end == text.size() || text[next_end] == '\n' || text[next_end] == '\r' ||
                                text[next_end] == '\\' || text[next_end] == '"' || text[next_end] == '\'';
        if (!whole_line) return end;
        line_start = next;
        end = next_end;
    }
}

// Where scanning resumes after a PEM block starting at `begin`: its body is base64 too, and the PEM decoder has
// read it already (or reported it truncated). A block with no END line of its own ends where its base64 does.
std::size_t after_pem_block(std::string_view text, std::size_t begin) {
    const std::size_t body = begin + kPemBegin.size();
    const std::size_t end = text.find(kPemEnd, body);
    const std::size_t next_begin = text.find(kPemBegin, body);
    if (end == std::string_view::npos || (next_begin != std::string_view::npos && next_begin < end)) {
        const std::size_t label_close = text.find("-----", body);
        const std::size_t line_end = label_close == std::string_view::npos ? text.size() : label_close + 5;
        const std::size_t first_line = skip_line_break(text, line_end);
        return first_line < text.size() && is_base64_char(text[first_line]) ? end_of_value(text, first_line)
                                                                            : line_end;
    }
    const std::size_t close = text.find("-----", end + kPemEnd.size());
    return close == std::string_view::npos ? text.size() : close + 5;
}

}  // namespace

bool decode_embedded_base64(std::string_view text, FileObservationBuilder& out, SourceFormat format) {
    bool found = false;
    std::size_t i = 0;
    while (i < text.size()) {
        if (text[i] == '-' && text.substr(i).starts_with(kPemBegin)) {
            i = after_pem_block(text, i);
            continue;
        }
        if (!is_base64_char(text[i])) {
            ++i;
            continue;
        }
        const std::size_t start = i;
        i = end_of_value(text, i);
        // The view keeps the line breaks and indentation of a wrapped value; base64_decode skips them.
        const std::string_view run = text.substr(start, i - start);
        if (run.size() < kMinimumRun || !worth_decoding(run)) continue;
        if (out.must_stop([&] { return "reading the base64 value at offset " + std::to_string(start); })) break;
        auto decoded = base64_decode(run);
        if (!decoded) continue;
        out.set_format_override(format);
        const KeyedValueScope value(out, key_of_value(text, start));
        const std::string_view decoded_text(reinterpret_cast<const char*>(decoded->data()), decoded->size());
        const bool recognised = decoded_text.starts_with(kPemBegin) ? decode_pem_text(decoded_text, out, format)
                                                                    : decode_binary(*decoded, out);
        out.set_format_override(std::nullopt);
        // The value may have been a private key (tls.key); wipe it like any other key buffer.
        OPENSSL_cleanse(decoded->data(), decoded->size());
        found = found || recognised;
    }
    return found;
}

}  // namespace certfleet::scanner
