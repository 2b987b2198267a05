// certfleet command line: parses flags (command_line.cpp defines them) and runs the command.
#include <iostream>

#include "app/cli_hints.hpp"
#include "app/command_line.hpp"
#include "report/text_escape.hpp"

using namespace certfleet::app;

int main(int argc, char** argv) {
    const auto command_line = make_command_line();
    CommandLine& cli = *command_line;
    CLI::App& app = cli.app;

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const bool unexpected_word = dynamic_cast<const CLI::ExtrasError*>(&e) || dynamic_cast<const CLI::RequiredError*>(&e);
        const auto hint = unexpected_word ? typo_hint(app, argc, argv) : std::nullopt;
        if (hint) std::cerr << "certfleet: " << *hint << "\nRun with --help for more information.\n";
        const int code = hint ? kExitUsage : app.exit(e);
        if (code == 0) return kExitOk;
        // A monitoring system reads any exit code of `check` as a status: a bad command line is UNKNOWN.
        for (int i = 1; i < argc; ++i)
            if (std::string(argv[i]) == "check") return 3;
        return kExitUsage;
    }

    try {
        if (cli.scan_cmd->parsed()) return run_scan(cli.scan, cli.db_path);
        if (cli.report_cmd->parsed()) return run_report(cli.report, cli.db_path);
        if (cli.diff_cmd->parsed()) return run_diff(cli.diff, cli.db_path);
        if (cli.check_cmd->parsed()) {
            // Only thresholds the user typed judge: without them, check says what it always said.
            auto& judged = cli.check.policy.days_left;
            if (cli.warning_days->count()) judged.warning_days = cli.check.perfdata_days.warning_days;
            if (cli.critical_days->count()) judged.critical_days = cli.check.perfdata_days.critical_days;
            return run_check(cli.check, cli.db_path);
        }
        if (cli.progress_cmd->parsed()) return run_progress(cli.progress, cli.db_path);
        if (cli.forget_cmd->parsed()) return run_forget(cli.forget, cli.db_path);
        if (cli.push_cmd->parsed()) return run_push(cli.push, cli.db_path);
        if (cli.serve_cmd->parsed()) return run_serve(cli.serve, cli.db_path);
        cli.inventory.question = cli.inventory_cmd->get_subcommands().front()->get_name();
        return run_inventory(cli.inventory, cli.db_path);
    } catch (const UsageError& e) {
        std::cerr << "certfleet: " << certfleet::report::visible_lines(e.what()) << "\n";
        return kExitUsage;
    } catch (const std::exception& e) {
        std::cerr << "certfleet: " << certfleet::report::visible_lines(e.what()) << "\n";
        return kExitFailure;
    }
}
