#include "app/docgen/bash_completion.hpp"

#include "app/docgen/command_tree.hpp"

namespace certfleet::app::docgen {

namespace {

// The completion function itself: it finds the command path in the words before the cursor (skipping option
// values), then completes a value, an option, a command or an argument there. The case tables it asks come
// before it in the script, written from the command line.
constexpr const char* kCompleter = R"BASH(
# Completes the value kind in $1: a path, free text (nothing), or a list of words.
_certfleet_value_words() {
    local cur=$2
    case $1 in
    @path)
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
    @text) COMPREPLY=() ;;
    *) mapfile -t COMPREPLY < <(compgen -W "$1" -- "$cur") ;;
    esac
}

_certfleet() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev="" option="" path="" word i REPLY
    COMPREPLY=()
    for (( i = 1; i < COMP_CWORD; i++ )); do
        word=${COMP_WORDS[i]}
        if [[ $word == -* ]]; then
            # An option's value is its next word, or the one after '=' (a word of its own to bash).
            if _certfleet_value "$path" "$word"; then
                [[ ${COMP_WORDS[i+1]} == = ]] && (( i += 1 ))
                (( i += 1 ))
            fi
            continue
        fi
        _certfleet_commands "$path"
        [[ " $REPLY " == *" $word "* ]] && path=${path:+$path }$word
    done
    (( COMP_CWORD > 1 )) && prev=${COMP_WORDS[COMP_CWORD-1]}
    if [[ $prev == -* ]]; then
        option=$prev
    elif [[ $prev == = ]] && (( COMP_CWORD > 2 )); then
        option=${COMP_WORDS[COMP_CWORD-2]}
    elif [[ $cur == = ]]; then
        option=$prev
        cur=""
    fi
    if [[ -n $option ]] && _certfleet_value "$path" "$option"; then
        _certfleet_value_words "$REPLY" "$cur"
        return 0
    fi
    if [[ $cur == -* ]]; then
        _certfleet_options "$path"
        mapfile -t COMPREPLY < <(compgen -W "$REPLY" -- "$cur")
        return 0
    fi
    _certfleet_commands "$path"
    if [[ -n $REPLY ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$REPLY" -- "$cur")
        return 0
    fi
    _certfleet_arguments "$path"
    _certfleet_value_words "$REPLY" "$cur"
}

complete -F _certfleet certfleet
)BASH";

// A case pattern or REPLY value: single-quoted, so that no word of it is expanded.
std::string quoted(const std::string& text) {
    std::string out = "'";
    for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

// "@path", "@text", or the words the value is one of.
std::string value_kind(const CommandLine& cli, const CLI::Option* option) {
    const ValueHints* hints = cli.hints_for(option);
    if (hints && hints->path) return "@path";
    if (hints && !hints->words.empty()) return joined(hints->words, " ");
    return "@text";
}

std::vector<const CLI::Option*> options_taken(const CLI::App* command) {
    auto options = own_options(command);
    const auto inherited = inherited_options(command);
    options.insert(options.end(), inherited.begin(), inherited.end());
    return options;
}

// case "$1" in 'scan') REPLY='...' ;; esac, one line per command.
std::string table(const std::string& function, const std::string& comment,
                  const std::vector<std::pair<std::string, std::string>>& rows, const std::string& otherwise) {
    std::string text = "\n# " + comment + "\n" + function + "() {\n    case $1 in\n";
    for (const auto& [key, value] : rows) text += "    " + quoted(key) + ") REPLY=" + quoted(value) + " ;;\n";
    return text + "    *) " + otherwise + " ;;\n    esac\n}\n";
}

}  // namespace

std::string bash_completion(const CommandLine& cli) {
    std::vector<std::pair<std::string, std::string>> commands, options, values, arguments;
    for (const CLI::App* command : command_and_descendants(&cli.app)) {
        const std::string path = command_words(command);
        std::vector<std::string> sub_names, option_names;
        for (const CLI::App* sub : subcommands_of(command)) sub_names.push_back(sub->get_name());
        if (!sub_names.empty()) commands.emplace_back(path, joined(sub_names, " "));
        for (const CLI::Option* option : options_taken(command)) {
            for (const auto& word : option_words(option)) {
                option_names.push_back(word);
                if (takes_value(option)) values.emplace_back(path + " " + word, value_kind(cli, option));
            }
        }
        options.emplace_back(path, joined(option_names, " "));
        const auto arguments_of = positionals(command);
        if (!arguments_of.empty()) arguments.emplace_back(path, value_kind(cli, arguments_of.front()));
    }
    std::string script =
        "# bash completion for certfleet, written by certfleet-docgen from certfleet's command-line definition.\n"
        "# Source it (source completions/certfleet), or install it as\n"
        "# /usr/share/bash-completion/completions/certfleet. Plain bash: complete -F, no other helpers.\n"
        "# Each function takes a command path (\"\", \"scan\", \"inventory certs\") and sets REPLY.\n";
    script += table("_certfleet_commands", "The commands under a command path.", commands, "REPLY=''");
    script += table("_certfleet_options", "The options a command path takes, its parents' too.", options, "REPLY=''");
    // Keyed by "PATH OPTION": one case matches both words at once.
    script += table("_certfleet_value_kind",
                    "How the value of an option (\"PATH OPTION\") completes: @path, @text or its words. "
                    "Status 1: no such option, or one that takes no value.",
                    values, "return 1");
    script += "\n# How the value of option $2 of command path $1 completes.\n"
              "_certfleet_value() { _certfleet_value_kind \"$1 $2\"; }\n";
    script += table("_certfleet_arguments", "How a command path's arguments complete.", arguments, "REPLY='@text'");
    return script + kCompleter;
}

}  // namespace certfleet::app::docgen
