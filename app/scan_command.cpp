// `certfleet scan`: plans the scan from the flags, runs it through the pipeline, and prints its progress and end.
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <cstdio>
#include <functional>
#include <iostream>

#include "app/commands.hpp"
#include "app/progress_line.hpp"
#include "app/scan_text.hpp"
#include "pipeline/scan_run.hpp"
#include "report/text_escape.hpp"

namespace certfleet::app {

namespace {

// Enough to say what went wrong in a cron mail; a tree with many unreadable files has the rest in the report.
constexpr std::uint64_t kQuietFileErrorsShown = 20;

std::atomic<bool> g_stop_requested{false};
extern "C" void request_stop(int) { g_stop_requested = true; }

// A list the scan was told to read and could not is stored in an existing inventory as a failed scan, so check
// turns UNKNOWN rather than judge a view this scan never refreshed; the rest of a bad request stores nothing, and
// no inventory is made only to hold a failure.
pipeline::ScanPlan plan_or_usage_error(const pipeline::ScanRequest& request, const std::string& db_path, bool dry_run) {
    try {
        return pipeline::plan_scan(request);
    } catch (const pipeline::UnreadableListError& e) {
        if (dry_run || (!inventory::is_server_inventory(db_path) && !std::filesystem::exists(db_path))) throw UsageError(e.what());
        std::string recorded;
        try {
            const auto [kind, parameters] = pipeline::refused_scan_kind_and_parameters(request, e);
            auto inventory = inventory::open_inventory(db_path);
            const auto scan = inventory->record_refused_scan(
                kind, parameters, {}, ScanEvent{e.path(), "unreadable", e.what(), EventLevel::error});
            recorded = " (stored as failed scan " + std::to_string(scan) +
                       ": 'certfleet check' is UNKNOWN until a scan reads it)";
        } catch (const std::exception&) {
            // The inventory cannot take it either: the message about the list is the one that matters.
        }
        throw UsageError(e.what() + recorded);
    } catch (const pipeline::PlanError& e) {
        throw UsageError(e.what());
    }
}

}  // namespace

int run_scan(const ScanOptions& options, const std::string& db_path) {
    // First thing: a Ctrl-C that comes while the inventory is being opened must still end the scan cleanly.
    std::signal(SIGINT, request_stop);
    std::signal(SIGTERM, request_stop);
    // --quiet is for cron, which mails whatever is printed: what is only worth knowing stays unsaid.
    const auto note = [&](const std::string& text) {
        if (!options.quiet) std::cerr << "certfleet: " << text << "\n";
    };
    const auto plan = plan_or_usage_error(options.request, db_path, options.dry_run);
    for (const auto& plan_note : plan.notes) note(plan_note);
    if (options.dry_run) {
        print_dry_run(std::cout, plan);
        return kExitOk;
    }
    if (plan.needs_confirmation) throw UsageError(confirmation_refusal(plan));
    if (!options.quiet) print_plan_notes(std::cerr, plan, "certfleet: ");

    auto inventory = inventory::open_inventory(db_path);
    const auto started = std::chrono::steady_clock::now();
    ProgressLine progress(!options.no_progress && !options.quiet && ::isatty(STDERR_FILENO));
    const std::uint64_t network_targets = plan.network ? plan.network->shard_targets() : 0;
    // Quiet, the mail names the inputs that could not be read, not only how many; without --quiet the summary
    // counts them and the report lists them.
    std::uint64_t file_errors = 0;
    const auto show_file_error = [&](const ScanEvent& error) {
        if (++file_errors <= kQuietFileErrorsShown) std::cerr << "certfleet: " << file_error_line(error) << "\n";
    };
    const pipeline::ScanProgress events{
        [&](const std::string& text) {
            progress.clear();
            note(text);
        },
        [&](const scanner::WalkStats& s) { progress.show([&] { return files_progress(s); }); },
        [&](const scanner::NetworkScanStats& s) {
            progress.show([&] { return network_progress(s, network_targets, std::chrono::steady_clock::now() - started); });
        },
        options.quiet ? std::function<void(const ScanEvent&)>(show_file_error) : nullptr,
        [&](const std::string& problem) {
            progress.clear();
            std::cerr << "certfleet: " << problem << "\n";
        }};
    pipeline::ScanOutcome outcome;
    try {
        outcome = pipeline::run_scan(plan, *inventory, events, g_stop_requested);
    } catch (const pipeline::PlanError& e) {
        throw UsageError(e.what());
    }
    progress.clear();

    if (outcome.status == inventory::ScanStatus::failed) {
        std::cerr << "certfleet: scan " << outcome.scan << " failed: " << report::visible_text(outcome.failure) << "\n";
        return kExitFailure;
    }
    if (outcome.status == inventory::ScanStatus::complete && !outcome.rules.findings)
        std::cerr << "certfleet: scan " << outcome.scan << ": rules not evaluated: "
                  << report::visible_text(outcome.rules.error) << "\n";
    const bool interrupted = outcome.status == inventory::ScanStatus::interrupted;
    if (options.quiet && !interrupted && outcome.rules.findings && file_errors == 0)
        return outcome.no_target_resolved() ? kExitFailure : kExitOk;
    if (file_errors > kQuietFileErrorsShown)
        std::cerr << "certfleet: " << file_errors - kQuietFileErrorsShown << " more errors: 'certfleet report --scan "
                  << outcome.scan << " --format json' lists them all\n";
    char elapsed[32];
    std::snprintf(elapsed, sizeof elapsed, "%.1fs",
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    std::cerr << "certfleet: scan " << outcome.scan << (interrupted ? " interrupted" : " complete") << ": "
              << scan_summary(plan, outcome) << " in " << elapsed << " -> " << report::visible_text(inventory::display_name(db_path)) << "\n";
    if (interrupted) return kExitInterrupted;
    // Each name that did not resolve has had its line; a scan that could look at nothing else has failed.
    return outcome.no_target_resolved() ? kExitFailure : kExitOk;
}

}  // namespace certfleet::app
