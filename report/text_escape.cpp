#include "report/text_escape.hpp"

namespace certfleet::report {

namespace {

unsigned char byte_at(std::string_view text, std::size_t i) { return static_cast<unsigned char>(text[i]); }

// Length of the well-formed UTF-8 sequence starting at text[i], or 0 when none starts there. The second byte's
// range rules out overlong forms, surrogates and code points above U+10FFFF (Unicode, table 3-7).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
    const unsigned char lead = byte_at(text, i);
    if (lead < 0x80) return 1;
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3;
        if (lead == 0xe0) low = 0xa0;
        if (lead == 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4;
        if (lead == 0xf0) low = 0x90;
        if (lead == 0xf4) high = 0x8f;
    } else {
        return 0;
    }
    if (i + length > text.size()) return 0;
    if (byte_at(text, i + 1) < low || byte_at(text, i + 1) > high) return 0;
    for (std::size_t k = 2; k < length; ++k)
        if ((byte_at(text, i + k) & 0xc0) != 0x80) return 0;
    return length;
}

// Whether the character at text[i] is shown as an escape (a control character, a byte that is not UTF-8, or
// a C1 control, U+0080 to U+009F, encoded C2 80 to C2 9F).
bool shown_escaped(std::string_view text, std::size_t i) {
    const std::size_t length = utf8_sequence_length(text, i);
    const unsigned char lead = byte_at(text, i);
    if (length == 1) return lead < 0x20 || lead == 0x7f;
    return length == 0 || (length == 2 && lead == 0xc2 && byte_at(text, i + 1) <= 0x9f);
}

// A backslash is doubled when what follows it would otherwise read as an escape: another backslash, x, n, r, t,
// or a character shown escaped. Elsewhere (an RFC 2253 "\,", a Windows path) it stays as it is.
bool backslash_needs_doubling(std::string_view text, std::size_t i) {
    if (i + 1 >= text.size()) return false;
    const char next = text[i + 1];
    return next == '\\' || next == 'x' || next == 'n' || next == 'r' || next == 't' || shown_escaped(text, i + 1);
}

// `prefix` and the byte in two hex digits: \xNN for visible_text, \u00NN for JSON.
void append_hex_escape(std::string_view prefix, unsigned char byte, std::string& out) {
    static constexpr char kDigits[] = "0123456789abcdef";
    out += prefix;
    out += kDigits[byte >> 4];
    out += kDigits[byte & 0x0f];
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t length = utf8_sequence_length(text, i);
        if (length == 0) return false;
        i += length;
    }
    return true;
}

std::string visible_text(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t length = utf8_sequence_length(text, i);
        const char c = text[i];
        if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c == '\\') {
            out += backslash_needs_doubling(text, i) ? "\\\\" : "\\";
        } else if (shown_escaped(text, i)) {
            // A byte that is not UTF-8 is shown alone; a C1 control as both bytes of its encoding.
            for (std::size_t k = 0; k < (length == 0 ? 1 : length); ++k)
                append_hex_escape("\\x", byte_at(text, i + k), out);
        } else {
            out.append(text.substr(i, length));
        }
        i += length == 0 ? 1 : length;
    }
    return out;
}

std::string visible_lines(std::string_view message) {
    std::string out;
    for (std::size_t start = 0;;) {
        const std::size_t end = message.find('\n', start);
        out += visible_text(message.substr(start, end == std::string_view::npos ? end : end - start));
        if (end == std::string_view::npos) return out;
        out += '\n';
        start = end + 1;
    }
}

std::string json_without_raw_controls(std::string_view json) {
    std::string out;
    out.reserve(json.size());
    for (std::size_t i = 0; i < json.size(); ++i) {
        const unsigned char c = byte_at(json, i);
        // In UTF-8, C2 followed by 80 to 9F is a C1 control and nothing else.
        const bool c1 = c == 0xc2 && i + 1 < json.size() && byte_at(json, i + 1) <= 0x9f;
        if (c == 0x7f) {
            append_hex_escape("\\u00", c, out);
        } else if (c1) {
            append_hex_escape("\\u00", byte_at(json, ++i), out);
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

}  // namespace certfleet::report
