#pragma once
// How text from the fleet is shown. A file name is bytes, and a certificate's fields or a server's answers are
// whatever their author chose: escape sequences that retitle or clear a terminal, line breaks that forge rows,
// bytes that are not UTF-8. Every writer shows such text through these functions (docs/output-escaping.md).
#include <string>
#include <string_view>

namespace certfleet::report {

// Whether text is well-formed UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF): what JSON
// needs to say where a string lost bytes.
bool is_valid_utf8(std::string_view text);

// The text as a terminal, a table cell or a label may show it: control characters (C0, DEL, C1) as \n, \r, \t
// or \xNN, bytes that are not UTF-8 as \xNN, and a backslash doubled where it could be read as one of those.
// The result is UTF-8 with no control character, and the original bytes can be read back from it.
std::string visible_text(std::string_view text);

// Each line of one of certfleet's own messages shown as visible_text, its line breaks kept: a list of
// candidates stays a list, and nothing the message quotes can move the cursor or clear the screen.
std::string visible_lines(std::string_view message);

// A JSON text with DEL and the C1 controls written as \u escapes, as JSON allows: JSON escapes C0 itself, so a
// document printed to a terminal then sends it no control character. `json` must be UTF-8.
std::string json_without_raw_controls(std::string_view json);

}  // namespace certfleet::report
