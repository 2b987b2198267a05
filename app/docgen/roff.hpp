#pragma once
// Writing man(7) pages: text escaped for roff, and the few macros certfleet's pages use.
#include <string>
#include <string_view>
#include <vector>

namespace certfleet::app::docgen {

// Prose as roff reads it literally: a backslash as \e, the hyphens of an option word ("--run", "-o") as \- so
// that it renders, copies and searches as typed, and no line starting with a dot or an apostrophe (a request).
// Line breaks of --help's wrapping become spaces.
std::string roff_prose(std::string_view text);
// A word typed as is (an option, a value, a command): every hyphen as \-.
std::string roff_literal(std::string_view word);
// roff_literal in bold, in italics.
std::string roff_bold(std::string_view word);
std::string roff_italic(std::string_view word);

// A page built macro by macro.
class RoffPage {
public:
    // .TH TITLE 1 DATE "certfleet VERSION" "certfleet manual"
    RoffPage(const std::string& title, const std::string& date, const std::string& version);
    void section(const std::string& name);     // .SH
    void subsection(const std::string& name);  // .SS
    void paragraph(std::string_view prose);    // .PP and the prose
    // .TP with a tag of roff already formatted, then lines of roff, each on a line of its own (.br between).
    void tagged(const std::string& tag_roff, const std::vector<std::string>& lines_roff);
    // .TP with a tag of roff, then prose.
    void described(const std::string& tag_roff, std::string_view prose);
    // Lines of roff as they are: a synopsis, an example.
    void raw(const std::string& roff);
    // An example, shown as typed in a no-fill block: a comment line, then the command's lines.
    void example(std::string_view comment, std::string_view command);
    const std::string& text() const { return text_; }

private:
    std::string text_;
};

}  // namespace certfleet::app::docgen
