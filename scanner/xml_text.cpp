#include "scanner/xml_text.hpp"

#include <array>
#include <charconv>
#include <optional>

namespace certfleet::scanner {

namespace {

// The longest reference read: "#x10FFFF" with leading zeros to 10 characters between '&' and ';'. Longer text is
// no reference this decodes, and the bound keeps the search for ';' short on any input.
constexpr std::size_t kMaxReferenceName = 10;

std::string utf8(char32_t code) {
    std::string out;
    if (code < 0x80) {
        out += static_cast<char>(code);
    } else if (code < 0x800) {
        out += static_cast<char>(0xc0 | (code >> 6));
        out += static_cast<char>(0x80 | (code & 0x3f));
    } else if (code < 0x10000) {
        out += static_cast<char>(0xe0 | (code >> 12));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (code & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (code >> 18));
        out += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (code & 0x3f));
    }
    return out;
}

// "#NN" or "#xHH" (XML writes the x in lowercase only), as the character it names.
std::optional<std::string> character_reference(std::string_view digits) {
    int base = 10;
    if (digits.starts_with('x')) {
        base = 16;
        digits.remove_prefix(1);
    }
    unsigned long code = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), code, base);
    const bool whole = !digits.empty() && error == std::errc() && end == digits.data() + digits.size();
    if (!whole || code == 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return std::nullopt;
    return utf8(static_cast<char32_t>(code));
}

std::optional<std::string> replacement(std::string_view name) {
    constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kPredefined{
        {{"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"apos", "'"}, {"quot", "\""}}};
    for (const auto& [entity, character] : kPredefined)
        if (name == entity) return std::string(character);
    if (name.starts_with('#')) return character_reference(name.substr(1));
    return std::nullopt;
}

}  // namespace

std::string decode_xml_entities(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t at = 0; at < text.size();) {
        if (text[at] == '&') {
            const std::size_t end = text.substr(at + 1, kMaxReferenceName + 1).find(';');
            if (end != std::string_view::npos) {
                if (const auto decoded = replacement(text.substr(at + 1, end))) {
                    out += *decoded;
                    at += end + 2;
                    continue;
                }
            }
        }
        out += text[at++];
    }
    return out;
}

}  // namespace certfleet::scanner
