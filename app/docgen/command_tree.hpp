#pragma once
// certfleet's commands and options as the manual pages and the shell completion walk them: the same CLI11 app
// that parses the command line.
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace certfleet::app::docgen {

// `command` and every command under it, depth first, in the order --help lists them.
std::vector<const CLI::App*> command_and_descendants(const CLI::App* command);
std::vector<const CLI::App*> subcommands_of(const CLI::App* command);
// "certfleet", "certfleet scan", "certfleet inventory certs".
std::string command_path(const CLI::App* command);
// The words after "certfleet": "", "scan", "inventory certs".
std::string command_words(const CLI::App* command);

// The options `command` --help lists (-h first), without positionals.
std::vector<const CLI::Option*> own_options(const CLI::App* command);
// The options of its parents it takes too (they fall through): --db, not their --help or --version.
std::vector<const CLI::Option*> inherited_options(const CLI::App* command);
std::vector<const CLI::Option*> positionals(const CLI::App* command);

// "-o", "--output": every name the option answers to.
std::vector<std::string> option_words(const CLI::Option* option);
bool takes_value(const CLI::Option* option);
bool repeatable(const CLI::Option* option);
// CLI11's name of the value's type ("TEXT", "UINT"), and what its validators check ("UINT in [0 - 64]",
// "POSITIVE"), which --help prints joined by ':' and these by ", ".
std::string value_type(const CLI::Option* option);
std::string value_checks(const CLI::Option* option);
// "a, b, c" with ", " as the separator.
std::string joined(const std::vector<std::string>& words, const std::string& separator);
// The first sentence of a description, without its full stop: a page's NAME line.
std::string first_sentence(const std::string& description);

}  // namespace certfleet::app::docgen
