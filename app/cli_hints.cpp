#include "app/cli_hints.hpp"

#include "core/suggestion.hpp"

namespace certfleet::app {

namespace {

std::string command_path(const CLI::App* at) {
    if (!at->get_parent()) return "certfleet";
    return command_path(at->get_parent()) + " " + at->get_name();
}

const CLI::App* named_subcommand(const CLI::App* at, const std::string& word) {
    for (const CLI::App* sub : at->get_subcommands([](const CLI::App*) { return true; }))
        if (sub->check_name(word)) return sub;
    return nullptr;
}

std::vector<std::string> subcommand_names(const CLI::App* at) {
    std::vector<std::string> names;
    for (const CLI::App* sub : at->get_subcommands([](const CLI::App*) { return true; })) names.push_back(sub->get_name());
    return names;
}

// The option words `at` takes: its own, and its parents' (they fall through to subcommands).
std::vector<std::string> option_words(const CLI::App* at) {
    std::vector<std::string> words;
    for (; at; at = at->get_parent())
        for (const CLI::Option* option : at->get_options()) {
            for (const auto& name : option->get_lnames()) words.push_back("--" + name);
            for (const auto& name : option->get_snames()) words.push_back("-" + name);
        }
    return words;
}

bool takes_option(const CLI::App* at, const std::string& word) {
    for (; at; at = at->get_parent())
        if (at->get_option_no_throw(word)) return true;
    return false;
}

}  // namespace

std::optional<std::string> typo_hint(const CLI::App& app, int argc, const char* const* argv) {
    const CLI::App* at = &app;
    for (int i = 1; i < argc; ++i) {
        std::string word = argv[i];
        if (word == "--") break;  // what follows is positional
        if (word.starts_with("-")) {
            word = word.substr(0, word.find('='));
            if (takes_option(at, word)) continue;
            if (const auto meant = closest_word(word, option_words(at)))
                return "unknown option '" + word + "' for '" + command_path(at) + "'; did you mean '" + *meant + "'?";
            continue;
        }
        if (const CLI::App* sub = named_subcommand(at, word)) {
            at = sub;
            continue;
        }
        // Another word may be an option's value or a positional; a misspelt subcommand is what a typo reaches.
        if (const auto meant = closest_word(word, subcommand_names(at)))
            return "unknown command '" + word + "' for '" + command_path(at) + "'; did you mean '" + *meant + "'?";
    }
    return std::nullopt;
}

}  // namespace certfleet::app
