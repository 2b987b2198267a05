#pragma once
// certfleet's bash completion, written from its command-line definition: commands, nested commands, each
// command's options (its parents' too), the words of fixed-set values and file names for paths. Plain bash
// (complete -F): it needs no bash-completion helpers.
#include <string>

#include "app/command_line.hpp"

namespace certfleet::app::docgen {

std::string bash_completion(const CommandLine& cli);

}  // namespace certfleet::app::docgen
