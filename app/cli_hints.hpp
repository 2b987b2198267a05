#pragma once
// What a mistyped command line most likely meant: CLI11 says "A subcommand is required" for `certfleet scna` and
// "not expected: --file" for `scan --file`; this names the word and suggests the command or option within reach.
#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace certfleet::app {

// A message for the first unknown subcommand or option word of `argv` that is a likely typo of a known one, read
// against the subcommands `argv` names; nullopt when there is none (CLI11's own message then stands).
std::optional<std::string> typo_hint(const CLI::App& app, int argc, const char* const* argv);

}  // namespace certfleet::app
