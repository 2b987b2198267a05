#include <catch2/catch.hpp>
#include <cctype>
#include <random>
#include <string>
#include <string_view>

#include "core/encoding.hpp"
#include "report/text_escape.hpp"

using namespace certfleet;
using report::is_valid_utf8;
using report::visible_lines;
using report::visible_text;

namespace {

// The bytes a visible_text string shows, read back as a person would: \\, \n, \r, \t and \xNN are escapes, any
// other backslash is itself.
std::string read_back(std::string_view shown) {
    std::string out;
    for (std::size_t i = 0; i < shown.size();) {
        if (shown[i] == '\\' && i + 1 < shown.size()) {
            const char next = shown[i + 1];
            const char control = next == 'n' ? '\n' : next == 'r' ? '\r' : next == 't' ? '\t' : next == '\\' ? '\\' : 0;
            if (control) {
                out += control;
                i += 2;
                continue;
            }
            if (next == 'x' && i + 3 < shown.size() &&
                std::isxdigit(static_cast<unsigned char>(shown[i + 2])) &&
                std::isxdigit(static_cast<unsigned char>(shown[i + 3]))) {
                out += static_cast<char>(std::stoi(std::string(shown.substr(i + 2, 2)), nullptr, 16));
                i += 4;
                continue;
            }
        }
        out += shown[i++];
    }
    return out;
}

// No C0 control, DEL or C1 control (U+0080 to U+009F, encoded C2 80 to C2 9F) anywhere.
bool has_control_character(std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x20 || c == 0x7f) return true;
        if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) <= 0x9f) return true;
    }
    return false;
}

}  // namespace

TEST_CASE("escaping: terminal escape sequences and control characters are shown, not sent", "[escaping]") {
    // A file name that retitles the terminal and clears the screen.
    CHECK(visible_text("ansi\x1b[31mRED\x1b]0;PWNED\a\x1b[2J.pem") == R"(ansi\x1b[31mRED\x1b]0;PWNED\x07\x1b[2J.pem)");
    CHECK(visible_text("two\nlines\r\tand a tab") == R"(two\nlines\r\tand a tab)");
    CHECK(visible_text(std::string("nul\0byte", 8)) == R"(nul\x00byte)");
    CHECK(visible_text("del\x7f") == R"(del\x7f)");
    CHECK(visible_text("\x01\x1f") == R"(\x01\x1f)");
}

TEST_CASE("escaping: C1 controls are shown as the bytes of their encoding", "[escaping]") {
    CHECK(visible_text("csi\xc2\x9b" "2J") == R"(csi\xc2\x9b2J)");  // U+009B, the one-byte CSI
    CHECK(visible_text("nel\xc2\x85") == R"(nel\xc2\x85)");
    CHECK(visible_text("\xc2\x80\xc2\x9f") == R"(\xc2\x80\xc2\x9f)");
    CHECK(visible_text("nbsp\xc2\xa0") == "nbsp\xc2\xa0");  // U+00A0 is no control
}

TEST_CASE("escaping: bytes that are not UTF-8 are shown as \\xNN", "[escaping]") {
    CHECK(visible_text("/srv/\xff\xfe.pem") == R"(/srv/\xff\xfe.pem)");
    CHECK(visible_text("lone \x80 continuation") == R"(lone \x80 continuation)");
    CHECK(visible_text("cut \xe2\x82") == R"(cut \xe2\x82)");           // a sequence cut short
    CHECK(visible_text("\xe2\x82" "A") == R"(\xe2\x82A)");             // or broken off by ASCII
    CHECK(visible_text("\xc0\xaf") == R"(\xc0\xaf)");                  // an overlong '/'
    CHECK(visible_text("\xe0\x80\xaf") == R"(\xe0\x80\xaf)");          // another
    CHECK(visible_text("\xf0\x80\x80\xaf") == R"(\xf0\x80\x80\xaf)");  // and a four-byte one
    CHECK(visible_text("\xed\xa0\x80") == R"(\xed\xa0\x80)");          // a UTF-16 surrogate, U+D800
    CHECK(visible_text("\xed\xbf\xbf") == R"(\xed\xbf\xbf)");          // U+DFFF
    CHECK(visible_text("\xf4\x90\x80\x80") == R"(\xf4\x90\x80\x80)");  // above U+10FFFF
    CHECK(visible_text("\xf5\x80\x80\x80") == R"(\xf5\x80\x80\x80)");
}

TEST_CASE("escaping: valid UTF-8 is kept as it is", "[escaping]") {
    for (const std::string text : {"plain ascii/path.pem", "caf\xc3\xa9", "\xe2\x82\xac 5", "\xe6\x9d\xb1\xe4\xba\xac",
                                   "\xf0\x9d\x84\x9e clef", "\xf0\x9f\x94\x92 lock", "\xed\x9f\xbf", "\xee\x80\x80",
                                   "\xf4\x8f\xbf\xbf", "CN=Doe\\, John", "C:\\Users\\ops"}) {
        INFO(text);
        CHECK(visible_text(text) == text);
        CHECK(is_valid_utf8(text));
    }
}

TEST_CASE("escaping: a backslash is doubled only where it could read as an escape", "[escaping]") {
    CHECK(visible_text(R"(a\x1b)") == R"(a\\x1b)");  // the four characters, not an ESC
    CHECK(visible_text(R"(a\nb)") == R"(a\\nb)");
    CHECK(visible_text(R"(\\)") == R"(\\\)");
    CHECK(visible_text("\\\x1b") == R"(\\\x1b)");  // a backslash, then an ESC
    CHECK(visible_text("end\\") == "end\\");
    CHECK(read_back(visible_text(R"(a\x1b)")) == R"(a\x1b)");
    CHECK(read_back(visible_text("a\x1b")) == "a\x1b");
}

TEST_CASE("escaping: any bytes are shown as UTF-8 without a control character, and read back exactly",
          "[escaping]") {
    // Bytes chosen to meet every rule: escapes and what looks like them, sequences whole and cut, C1, surrogates.
    static constexpr char kBytes[] =
        "\\xnrt1bAa\x1b\x07\n\r\t\x7f\x00\x80\x9b\xa0\xbf\xc2\xc3\xe2\x82\xac\xed\xf0\xf4\x90\xff";
    const std::string_view alphabet(kBytes, sizeof kBytes - 1);
    std::mt19937 random(12);
    std::uniform_int_distribution<std::size_t> length(0, 12), pick(0, alphabet.size() - 1);
    for (int n = 0; n < 20'000; ++n) {
        std::string bytes(length(random), ' ');
        for (auto& b : bytes) b = alphabet[pick(random)];
        const std::string shown = visible_text(bytes);
        INFO(to_hex(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size())));
        REQUIRE(is_valid_utf8(shown));
        REQUIRE_FALSE(has_control_character(shown));
        REQUIRE(read_back(shown) == bytes);
    }
}

TEST_CASE("escaping: UTF-8 validity", "[escaping]") {
    CHECK(is_valid_utf8(""));
    CHECK(is_valid_utf8("ansi\x1b[2J"));  // control characters are valid UTF-8; visible_text is what hides them
    CHECK(is_valid_utf8("\xc2\x9b"));
    CHECK_FALSE(is_valid_utf8("\xff"));
    CHECK_FALSE(is_valid_utf8("\xc0\x80"));
    CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));
    CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));
    CHECK_FALSE(is_valid_utf8("\xe2\x82"));
}

TEST_CASE("escaping: a message keeps its own line breaks, each line shown", "[escaping]") {
    CHECK(visible_lines("ambiguous:\n  ab12\x1b[2J\n  ab13") == "ambiguous:\n  ab12\\x1b[2J\n  ab13");
    CHECK(visible_lines("no break\r") == "no break\\r");
    CHECK(visible_lines("") == "");
}

TEST_CASE("escaping: base64 of names that are not UTF-8", "[escaping]") {
    const auto encode = [](std::string_view text) {
        return base64_encode(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
    };
    CHECK(encode("") == "");
    CHECK(encode("f") == "Zg==");
    CHECK(encode("fo") == "Zm8=");
    CHECK(encode("foo") == "Zm9v");
    CHECK(encode("foobar") == "Zm9vYmFy");
    const std::string name = "/srv/\xff\xfe\n\x1b.pem";
    const auto decoded = base64_decode(encode(name));
    REQUIRE(decoded);
    CHECK(std::string(decoded->begin(), decoded->end()) == name);
}

TEST_CASE("escaping: JSON text carries no raw DEL or C1 control", "[escaping]") {
    CHECK(report::json_without_raw_controls("{\"path\": \"csi\xc2\x9b" "2J del\x7f nbsp\xc2\xa0 \xe2\x82\xac\"}") ==
          "{\"path\": \"csi\\u009b2J del\\u007f nbsp\xc2\xa0 \xe2\x82\xac\"}");
    CHECK(report::json_without_raw_controls("\xc2\x80\xc2\x9f") == "\\u0080\\u009f");
}
