#pragma once
// What `certfleet scan` prints about a plan and a scan: sizes, notes, the dry run, progress and the summary.
#include <chrono>
#include <ostream>
#include <string>

#include "pipeline/scan_plan.hpp"
#include "pipeline/scan_run.hpp"

namespace certfleet::app {

// "16,777,216 targets at 1,000/s: about 4.7 hours; add --yes to go ahead ..." for a scan that needs --yes.
std::string confirmation_refusal(const pipeline::ScanPlan& plan);
// What the user may not expect of a network plan, one line each with `prefix`: every blocked range the targets
// overlap, and the pace a large scan gets by default.
void print_plan_notes(std::ostream& out, const pipeline::ScanPlan& plan, const std::string& prefix);
// The roots, the number of targets, the notes and the first targets in scan order.
void print_dry_run(std::ostream& out, const pipeline::ScanPlan& plan);

std::string files_progress(const scanner::WalkStats& stats);
std::string network_progress(const scanner::NetworkScanStats& stats, std::uint64_t total,
                             std::chrono::steady_clock::duration elapsed);
// "/srv/app/tls.pem: permission_denied (open: Permission denied)"
std::string file_error_line(const ScanEvent& error);
// "12 files read, ...; 40/40 targets, 40 probes: 3 tls, ...; 5 findings"
std::string scan_summary(const pipeline::ScanPlan& plan, const pipeline::ScanOutcome& outcome);

}  // namespace certfleet::app
