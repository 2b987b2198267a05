#include "app/docgen/man_pages.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "app/docgen/command_tree.hpp"
#include "rules/check.hpp"

namespace certfleet::app::docgen {

namespace {

// What a command's page adds to its definition: the docs pages that explain it further, and what its own
// subcommands are called.
struct CommandNotes {
    std::vector<std::string> docs;
    std::string subcommands_section = "COMMANDS";
};

const std::map<std::string, CommandNotes>& command_notes() {
    static const std::map<std::string, CommandNotes> notes{
        {"scan", {{"file-formats.md", "network-scanning.md", "scan-limits.md", "fleet.md"}}},
        {"report", {{"exports.md", "json-schema.md", "output-escaping.md", "rules.md"}}},
        {"inventory", {{"inventory.md", "json-schema.md"}, "QUESTIONS"}},
        {"diff", {{"inventory.md", "json-schema.md"}}},
        {"check", {{"rules.md", "json-schema.md"}}},
        {"serve", {{"serve.md", "exports.md"}}},
        {"progress", {{"rules.md", "json-schema.md"}}},
        {"forget", {{"inventory.md"}}},
        {"push", {{"fleet.md"}}},
    };
    return notes;
}

std::string upper(std::string text) {
    for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return text;
}

// "Repeatable." under an option, unless its description already says so.
bool needs_repeatable_note(const CLI::Option* option) {
    return repeatable(option) && option->get_description().find("(repeatable") == std::string::npos;
}

std::string positional_roff(const CLI::Option* positional) {
    std::string text = roff_italic(positional->get_name(true));
    if (repeatable(positional)) text += " .\\|.\\|.";
    return positional->get_required() ? text : "[" + text + "]";
}

void write_positional(RoffPage& page, const CLI::Option* positional) {
    std::vector<std::string> lines{roff_prose(positional->get_description())};
    if (needs_repeatable_note(positional)) lines.push_back("Repeatable.");
    page.tagged(positional_roff(positional), lines);
}

void write_options_of(RoffPage& page, const CommandLine& cli, const CLI::App* command) {
    for (const CLI::Option* option : own_options(command)) write_option(page, cli, option);
}

void write_arguments_of(RoffPage& page, const CLI::App* command) {
    for (const CLI::Option* positional : positionals(command)) write_positional(page, positional);
}

// check's page: its exit status is its verdict, named as the status line names it.
void write_check_status(RoffPage& page) {
    page.section("EXIT STATUS");
    page.paragraph("The status of a Nagios plugin, whose first line of output names it:");
    for (const auto& [status, name] : rules::kCheckStatusNames)
        page.tagged(roff_bold(std::to_string(static_cast<int>(status))), {roff_literal(name)});
    page.paragraph("A bad command line is UNKNOWN too, so that a monitoring system reads every exit code as a "
                   "status.");
}

ManualPage command_page(const CommandLine& cli, const CLI::App* command, const PageStamp& stamp) {
    const std::string name = command->get_name();
    const auto notes_found = command_notes().find(name);
    const CommandNotes notes = notes_found == command_notes().end() ? CommandNotes{} : notes_found->second;
    RoffPage page(upper("certfleet-" + name), stamp.date, stamp.version);

    std::string summary = first_sentence(command->get_description());
    if (!summary.empty()) summary[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(summary[0])));
    page.section("NAME");
    page.raw(roff_literal("certfleet-" + name) + " \\- " + roff_prose(summary));

    page.section("SYNOPSIS");
    std::vector<std::string> lines;
    for (const CLI::App* each : command_and_descendants(command))
        if (subcommands_of(each).empty()) lines.push_back(synopsis_line(each));
    page.raw(joined(lines, "\n.br\n"));

    page.section("DESCRIPTION");
    page.paragraph(command->get_description());

    page.section("OPTIONS");
    write_options_of(page, cli, command);
    if (!positionals(command).empty()) {
        page.section("ARGUMENTS");
        write_arguments_of(page, command);
    }
    const auto subcommands = subcommands_of(command);
    if (!subcommands.empty()) {
        page.section(notes.subcommands_section);
        for (const CLI::App* sub : subcommands) {
            page.subsection(sub->get_name());
            page.raw(synopsis_line(sub));
            page.paragraph(sub->get_description());
            write_arguments_of(page, sub);
            write_options_of(page, cli, sub);
        }
    }
    page.section("GLOBAL OPTIONS");
    page.paragraph("Options of certfleet itself, taken before or after the command's name:");
    for (const CLI::Option* option : inherited_options(command)) write_option(page, cli, option);

    if (name == "check") {
        write_check_status(page);
    } else {
        page.section("EXIT STATUS");
        page.raw(".PP\nAs for every command: see " + roff_bold("EXIT STATUS") + " in " + page_reference("certfleet") +
                 ".");
    }

    page.section("SEE ALSO");
    std::vector<std::string> references{page_reference("certfleet")};
    for (const auto& doc : notes.docs) references.push_back(roff_italic(kInstalledDocs + doc));
    page.raw(joined(references, ",\n"));
    return {"certfleet-" + name + ".1", page.text()};
}

}  // namespace

std::string page_reference(const std::string& page_name) { return roff_bold(page_name) + "(1)"; }

std::string synopsis_line(const CLI::App* command) {
    std::string line = roff_bold("certfleet");
    for (const CLI::Option* option : inherited_options(command))
        line += " [" + roff_bold(option_words(option).back()) + " " + roff_italic(value_type(option)) + "]";
    const std::string words = command_words(command);
    if (!words.empty()) line += " " + roff_bold(words);
    if (!subcommands_of(command).empty()) return line + " " + roff_italic("COMMAND") + " .\\|.\\|.";
    if (own_options(command).size() > 1) line += " [" + roff_italic("OPTIONS") + "]";
    for (const CLI::Option* positional : positionals(command)) line += " " + positional_roff(positional);
    return line;
}

void write_option(RoffPage& page, const CommandLine& cli, const CLI::Option* option) {
    std::vector<std::string> names;
    for (const auto& word : option_words(option)) names.push_back(roff_bold(word));
    std::string tag = joined(names, ", ");
    if (takes_value(option) && !value_type(option).empty()) tag += " " + roff_italic(value_type(option));

    std::vector<std::string> lines{roff_prose(option->get_description())};
    const ValueHints* hints = cli.hints_for(option);
    const bool closed_set = hints && !hints->words.empty() && !hints->other_values_too;
    if (hints && !hints->words.empty()) {
        std::vector<std::string> words;
        for (const auto& word : hints->words) words.push_back(roff_bold(word));
        lines.push_back((closed_set ? "Values: " : "Names among its values: ") + joined(words, ", ") + ".");
    }
    if (const auto checks = value_checks(option); !checks.empty() && !closed_set)
        lines.push_back("Checked as: " + roff_literal(checks) + ".");
    if (const auto& fallback = option->get_default_str(); !fallback.empty())
        lines.push_back("Default: " + roff_literal(fallback) + ".");
    if (!option->get_envname().empty()) lines.push_back("Environment: " + roff_bold(option->get_envname()) + ".");
    if (takes_value(option) && needs_repeatable_note(option)) lines.push_back("Repeatable.");
    if (option->get_required()) lines.push_back("Required.");
    std::vector<std::string> excluded;  // sorted: a set of pointers has no order from one run to the next
    for (const CLI::Option* other : option->get_excludes())
        excluded.push_back(other->nonpositional() ? roff_bold(other->get_name()) : roff_italic(other->get_name()));
    std::sort(excluded.begin(), excluded.end());
    if (!excluded.empty()) lines.push_back("Not with " + joined(excluded, ", ") + ".");
    page.tagged(tag, lines);
}

std::vector<ManualPage> manual_pages(const CommandLine& cli, const PageStamp& stamp) {
    std::vector<ManualPage> pages{certfleet_page(cli, stamp)};
    for (const CLI::App* command : subcommands_of(&cli.app)) pages.push_back(command_page(cli, command, stamp));
    return pages;
}

}  // namespace certfleet::app::docgen
