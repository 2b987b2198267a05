#include "app/docgen/roff.hpp"

#include <algorithm>

namespace certfleet::app::docgen {

namespace {

// Characters before which a '-' starts an option word rather than joins two words ("air-gapped").
bool starts_word_after(char previous) {
    return previous == ' ' || previous == '(' || previous == '\'' || previous == '"' || previous == '`' ||
           previous == ',' || previous == '[' || previous == '|';
}

bool ends_word(char c) { return c == ' ' || c == ')' || c == ']' || c == ';' || c == '\''; }

std::string escape(std::string_view text, bool every_hyphen) {
    std::string out;
    bool in_option_word = false;
    char previous = ' ';
    for (const char c : text) {
        if (ends_word(c) || c == '\n') in_option_word = false;
        if (c == '-' && starts_word_after(previous)) in_option_word = true;
        if (c == '\\')
            out += "\\e";
        else if (c == '-' && (every_hyphen || in_option_word))
            out += "\\-";
        else if (c == '\n')
            out += ' ';
        else
            out += c;
        previous = c == '\n' ? ' ' : c;
    }
    // A control character starts a request only at the start of a line; \& before it makes it text.
    if (!out.empty() && (out.front() == '.' || out.front() == '\'')) out.insert(0, "\\&");
    return out;
}

}  // namespace

std::string roff_prose(std::string_view text) { return escape(text, false); }
std::string roff_literal(std::string_view word) { return escape(word, true); }
std::string roff_bold(std::string_view word) { return "\\fB" + roff_literal(word) + "\\fR"; }
std::string roff_italic(std::string_view word) { return "\\fI" + roff_literal(word) + "\\fR"; }

RoffPage::RoffPage(const std::string& title, const std::string& date, const std::string& version) {
    text_ = ".TH " + roff_literal(title) + " 1 " + date + " \"certfleet " + version + "\" \"certfleet manual\"\n";
    // No hyphenation: a hyphen the reader did not type breaks a command or a file name they copy. Left-adjusted:
    // justifying lines with long unbreakable words (paths, option names) stretches them beyond what roff can.
    text_ += ".nh\n.ad l\n";
}

void RoffPage::section(const std::string& name) { text_ += ".SH \"" + name + "\"\n"; }

void RoffPage::subsection(const std::string& name) { text_ += ".SS \"" + roff_literal(name) + "\"\n"; }

void RoffPage::paragraph(std::string_view prose) { text_ += ".PP\n" + roff_prose(prose) + "\n"; }

void RoffPage::tagged(const std::string& tag_roff, const std::vector<std::string>& lines_roff) {
    text_ += ".TP\n" + tag_roff + "\n";
    for (std::size_t i = 0; i < lines_roff.size(); ++i) {
        if (i > 0) text_ += ".br\n";
        text_ += lines_roff[i] + "\n";
    }
}

void RoffPage::described(const std::string& tag_roff, std::string_view prose) {
    tagged(tag_roff, {roff_prose(prose)});
}

void RoffPage::raw(const std::string& roff) { text_ += roff + "\n"; }

void RoffPage::example(std::string_view comment, std::string_view command) {
    text_ += ".PP\n" + roff_prose(comment) + "\n.PP\n.RS 4\n.nf\n";
    for (std::size_t start = 0; start <= command.size();) {
        const auto end = std::min(command.find('\n', start), command.size());
        text_ += roff_literal(command.substr(start, end - start)) + "\n";
        start = end + 1;
    }
    text_ += ".fi\n.RE\n";
}

}  // namespace certfleet::app::docgen
