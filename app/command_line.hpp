#pragma once
// certfleet's command line, defined once: the certfleet executable parses with it, and certfleet-docgen walks it
// to write the manual pages and the shell completion, so neither can say other than --help.
#include <CLI/CLI.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "app/commands.hpp"

namespace certfleet::app {

// What an option's value is, beyond what CLI11 knows: the words it takes and whether it names a path.
struct ValueHints {
    std::vector<std::string> words;  // a fixed set, from the list its validator checks against
    bool other_values_too = false;   // the words are names beside free values (--ports takes numbers as well)
    bool path = false;               // a file or directory on this machine
};

// The CLI11 app with the option structs its flags fill and the commands main() dispatches on. Neither copied nor
// moved: the app holds pointers into the option structs.
struct CommandLine {
    CLI::App app{"certfleet: find every TLS certificate in a fleet, keep an inventory, say what to do."};
    std::string db_path = "./certfleet.db";

    ScanOptions scan;
    ReportOptions report;
    InventoryOptions inventory;
    DiffOptions diff;
    CheckOptions check;
    ServeOptions serve;
    ProgressOptions progress;
    ForgetOptions forget;
    PushOptions push;

    CLI::App* scan_cmd = nullptr;
    CLI::App* report_cmd = nullptr;
    CLI::App* inventory_cmd = nullptr;
    CLI::App* diff_cmd = nullptr;
    CLI::App* check_cmd = nullptr;
    CLI::App* serve_cmd = nullptr;
    CLI::App* progress_cmd = nullptr;
    CLI::App* forget_cmd = nullptr;
    CLI::App* push_cmd = nullptr;
    // check's day thresholds judge only when typed (CheckOptions::policy).
    CLI::Option* warning_days = nullptr;
    CLI::Option* critical_days = nullptr;

    std::map<const CLI::Option*, ValueHints> value_hints;

    CommandLine() = default;
    CommandLine(const CommandLine&) = delete;
    CommandLine& operator=(const CommandLine&) = delete;

    // The hints recorded for `option`, or nullptr for a free text or number.
    const ValueHints* hints_for(const CLI::Option* option) const;
};

// The whole command line: every command, its options, their validators and value hints.
std::unique_ptr<CommandLine> make_command_line();

// certfleet's version, then one line per library it runs with (--version).
std::string version_text();

}  // namespace certfleet::app
