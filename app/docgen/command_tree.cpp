#include "app/docgen/command_tree.hpp"

namespace certfleet::app::docgen {

std::vector<const CLI::App*> subcommands_of(const CLI::App* command) {
    return command->get_subcommands([](const CLI::App*) { return true; });
}

std::vector<const CLI::App*> command_and_descendants(const CLI::App* command) {
    std::vector<const CLI::App*> commands{command};
    for (const CLI::App* sub : subcommands_of(command)) {
        const auto below = command_and_descendants(sub);
        commands.insert(commands.end(), below.begin(), below.end());
    }
    return commands;
}

std::string command_words(const CLI::App* command) {
    if (!command->get_parent()) return "";
    const std::string above = command_words(command->get_parent());
    return above.empty() ? command->get_name() : above + " " + command->get_name();
}

std::string command_path(const CLI::App* command) {
    const std::string words = command_words(command);
    return words.empty() ? "certfleet" : "certfleet " + words;
}

std::vector<const CLI::Option*> own_options(const CLI::App* command) {
    return command->get_options([](const CLI::Option* option) { return option->nonpositional(); });
}

std::vector<const CLI::Option*> inherited_options(const CLI::App* command) {
    std::vector<const CLI::Option*> options;
    for (const CLI::App* parent = command->get_parent(); parent; parent = parent->get_parent())
        for (const CLI::Option* option : own_options(parent))
            if (option != parent->get_help_ptr() && option != parent->get_version_ptr()) options.push_back(option);
    return options;
}

std::vector<const CLI::Option*> positionals(const CLI::App* command) {
    return command->get_options([](const CLI::Option* option) { return !option->nonpositional(); });
}

std::vector<std::string> option_words(const CLI::Option* option) {
    std::vector<std::string> words;
    for (const auto& name : option->get_snames()) words.push_back("-" + name);
    for (const auto& name : option->get_lnames()) words.push_back("--" + name);
    return words;
}

bool takes_value(const CLI::Option* option) { return option->get_expected_max() != 0; }

bool repeatable(const CLI::Option* option) {
    return option->get_expected_max() == CLI::detail::expected_max_vector_size;
}

std::string value_type(const CLI::Option* option) {
    const std::string type = option->get_type_name();
    return type.substr(0, type.find(':'));
}

std::string value_checks(const CLI::Option* option) {
    const std::string type = option->get_type_name();
    const auto colon = type.find(':');
    if (colon == std::string::npos) return "";
    std::string checks = type.substr(colon + 1);
    for (auto at = checks.find(':'); at != std::string::npos; at = checks.find(':', at)) checks.replace(at, 1, ", ");
    return checks;
}

std::string joined(const std::vector<std::string>& words, const std::string& separator) {
    std::string text;
    for (const auto& word : words) text += (text.empty() ? "" : separator) + word;
    return text;
}

std::string first_sentence(const std::string& description) {
    std::string text = description;
    for (char& c : text)
        if (c == '\n') c = ' ';
    const auto stop = text.find(". ");
    text = text.substr(0, stop);
    if (!text.empty() && text.back() == '.') text.pop_back();
    return text;
}

}  // namespace certfleet::app::docgen
