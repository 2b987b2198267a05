#include "app/scan_text.hpp"

#include <cmath>
#include <cstdio>

#include "report/text_escape.hpp"

namespace certfleet::app {

namespace {

constexpr std::size_t kDryRunShown = 20;

// 16777216 -> "16,777,216"
std::string grouped(std::uint64_t number) {
    const std::string digits = std::to_string(number);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

std::string about_duration(double seconds) {
    char text[48];
    if (seconds < 90) std::snprintf(text, sizeof text, "about %.0f seconds", seconds);
    else if (seconds < 90 * 60) std::snprintf(text, sizeof text, "about %.0f minutes", seconds / 60);
    else if (seconds < 24 * 3600) std::snprintf(text, sizeof text, "about %.1f hours", seconds / 3600);
    else if (seconds < 365 * 86400) std::snprintf(text, sizeof text, "about %.1f days", seconds / 86400);
    else std::snprintf(text, sizeof text, "about %.1f years", seconds / (365.25 * 86400));
    return text;
}

// "16,777,216 targets at 1,000/s: about 4.7 hours"
std::string size_and_duration(const pipeline::NetworkPlan& plan) {
    std::string text = grouped(plan.probes);
    if (plan.options.sni_names.size() > 1)
        text += " probes (" + grouped(plan.shard_targets()) + " targets, IP targets once per --sni name)";
    else
        text += " targets";
    const double rate = plan.options.rate;
    if (rate <= 0) return text + " with no rate limit";
    char fractional[32];
    std::snprintf(fractional, sizeof fractional, "%g", rate);
    const bool whole = rate == std::floor(rate) && rate < 1e15;
    return text + " at " + (whole ? grouped(static_cast<std::uint64_t>(rate)) : fractional) + "/s: " +
           about_duration(static_cast<double>(plan.probes) / rate);
}

}  // namespace

std::string confirmation_refusal(const pipeline::ScanPlan& plan) {
    const bool raised = plan.confirmation_limit != pipeline::kLargeScanProbes;
    return size_and_duration(*plan.network) + "; add --yes to go ahead" +
           (raised ? ", or raise --max-targets " + grouped(plan.confirmation_limit)
                   : " (a scan of over " + grouped(pipeline::kLargeScanProbes) +
                         " probes asks first; --max-targets N raises that)");
}

void print_plan_notes(std::ostream& out, const pipeline::ScanPlan& plan, const std::string& prefix) {
    if (!plan.network) return;
    for (const auto& blocked : plan.network->targets.blocked())
        out << prefix << "never probed: " << blocked.range.block << " (" << blocked.range.reason
            << "): " << grouped(blocked.addresses) << " addresses, " << grouped(blocked.targets) << " targets\n";
    if (plan.network->default_rate)
        out << prefix << "rate: " << grouped(static_cast<std::uint64_t>(pipeline::kLargeScanRate))
            << " new connections/s, the default for a scan of over " << grouped(pipeline::kLargeScanProbes)
            << " probes (--rate changes it)\n";
}

void print_dry_run(std::ostream& out, const pipeline::ScanPlan& plan) {
    if (const auto run = plan.run_membership(); !run.run.empty())
        out << "run " << report::visible_text(run.run)
            << (run.shards > 0 ? " (shard " + std::to_string(run.shard) + "/" + std::to_string(run.shards) + ")" : "")
            << "\n";
    if (plan.files)
        for (const auto& root : plan.files->roots) out << "files " << report::visible_text(root) << "\n";
    if (!plan.network) return;
    const auto& network = *plan.network;
    out << network.shard_targets() << " network targets";
    if (!network.options.sni_names.empty())
        out << " (IP targets probed once per --sni name: " << network.options.sni_names.size() << ")";
    out << "\n";
    print_plan_notes(out, plan, "");
    if (plan.needs_confirmation) out << "without --dry-run, refused: " << confirmation_refusal(plan) << "\n";
    auto cursor = network.targets.iterate(network.options.seed, network.options.shard);
    for (std::size_t i = 0; i < kDryRunShown; ++i) {
        auto target = cursor.next();
        if (!target) break;
        const bool v6 = !target->is_name && target->address.find(':') != std::string::npos;
        out << "  " << (v6 ? "[" + target->address + "]" : target->address) << ":" << target->port << "\n";
    }
}

std::string files_progress(const scanner::WalkStats& s) {
    return "files: " + std::to_string(s.files_walked) + " read, " + std::to_string(s.certificates) +
           " certificates, " + std::to_string(s.errors) + " errors";
}

std::string network_progress(const scanner::NetworkScanStats& s, std::uint64_t total,
                             std::chrono::steady_clock::duration elapsed) {
    const double seconds = std::chrono::duration<double>(elapsed).count();
    const double rate = seconds > 0 ? s.targets_done / seconds : 0;
    const double eta = rate > 0 ? (total - s.targets_done) / rate : 0;
    const auto open = s.count(EndpointStatus::tls) + s.count(EndpointStatus::not_tls) +
                      s.count(EndpointStatus::handshake_failed);
    return "network: " + std::to_string(s.targets_done) + "/" + std::to_string(total) + " targets, " +
           std::to_string(static_cast<long long>(rate)) + "/s, " + std::to_string(open) + " open, " +
           std::to_string(s.count(EndpointStatus::tls)) + " TLS, ETA " +
           std::to_string(static_cast<long long>(eta)) + "s";
}

std::string file_error_line(const ScanEvent& error) {
    return report::visible_text(error.location) + ": " + error.reason + " (" + report::visible_text(error.detail) + ")";
}

std::string scan_summary(const pipeline::ScanPlan& plan, const pipeline::ScanOutcome& outcome) {
    std::string summary;
    if (outcome.files) {
        const auto& f = *outcome.files;
        summary += std::to_string(f.files_walked) + " files read, " + std::to_string(f.certificates) +
                   " certificates, " + std::to_string(f.keys) + " keys, " + std::to_string(f.errors) + " errors, " +
                   std::to_string(f.skipped) + " skipped";
    }
    if (outcome.network) {
        const auto& n = *outcome.network;
        summary += std::string(summary.empty() ? "" : "; ") + std::to_string(n.targets_done) + "/" +
                   std::to_string(plan.network->shard_targets()) + " targets, " + std::to_string(n.probes) +
                   " probes: ";
        for (const auto& [status, name] : kEndpointStatusNames)
            summary += std::string(status == kEndpointStatusNames.front().value ? "" : ", ") +
                       std::to_string(n.count(status)) + " " + name;
    }
    if (outcome.rules.findings) summary += "; " + std::to_string(*outcome.rules.findings) + " findings";
    if (outcome.coverage) {
        // What the view lost sight of: places found gone by this scan, places it could not look at again.
        const auto& c = *outcome.coverage;
        const auto count = [](std::size_t n, const char* what) {
            return "; " + std::to_string(n) + " " + what + (n == 1 ? "" : "s");
        };
        if (c.gone_in_scan) summary += count(c.gone_in_scan, "place") + " gone";
        if (!c.unseen.empty()) summary += count(c.unseen.size(), "place") + " unseen";
        if (!c.unreadable_roots.empty()) summary += count(c.unreadable_roots.size(), "root") + " unreadable";
        // Sight compared with the previous look at the same targets: fewer places seen is worth a glance.
        if (c.previous_scan)
            summary += count(static_cast<std::size_t>(c.seen_in_scan), "place") + " seen (" +
                       std::to_string(c.seen_in_previous) + " in scan " + std::to_string(*c.previous_scan) +
                       " of the same targets)";
    }
    return summary;
}

}  // namespace certfleet::app
