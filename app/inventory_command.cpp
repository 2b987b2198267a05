// `certfleet inventory QUESTION` and `certfleet diff`: questions to the inventory across scans, answered by
// inventory/analysis.hpp and printed by the analysis writers of report/.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <iostream>
#include <limits>

#include "app/commands.hpp"
#include "core/duration.hpp"
#include "core/encoding.hpp"
#include "inventory/analysis.hpp"
#include "report/analysis_report.hpp"
#include "report/cyclonedx_writer.hpp"
#include "core/label.hpp"
#include "rules/rules_values.hpp"

namespace certfleet::app {

namespace {

using inventory::InventoryQueries;
using inventory::ScanRecord;

// A prefix this short already names one certificate in most fleets, and is still easy to type.
constexpr std::size_t kMinPrefixDigits = 4;
// An ambiguous prefix lists at most this many candidates: enough to pick from, or to see more digits are needed.
constexpr std::size_t kMaxCandidates = 10;

// Every answer of one command reads the inventory as of one moment, whatever scans write meanwhile.
struct OpenedInventory {
    std::unique_ptr<InventoryQueries> queries;
    std::unique_ptr<inventory::ReadSnapshot> snapshot;
    std::vector<ScanRecord> scans;  // by id, oldest first
};

OpenedInventory open_inventory(const std::string& db_path) {
    require_inventory_file(db_path);
    auto queries = inventory::open_queries(db_path);
    auto snapshot = queries->snapshot();
    OpenedInventory opened{std::move(queries), std::move(snapshot), {}};
    opened.scans = opened.queries->scans();
    if (opened.scans.empty())
        throw UsageError("the inventory at " + inventory::display_name(db_path) + " has no scans yet: run 'certfleet scan' first");
    return opened;
}

bool has_scan(const std::vector<ScanRecord>& scans, std::int64_t id) {
    return std::any_of(scans.begin(), scans.end(), [&](const ScanRecord& s) { return s.id == id; });
}

std::int64_t parsed_duration(const std::string& option, const std::string& text) {
    if (const auto seconds = parse_duration(text)) return *seconds;
    throw UsageError(option + ": " + duration_problem(text));
}

inventory::Filter make_filter(const InventoryOptions& options, const OpenedInventory& opened,
                              const std::string& db_path) {
    inventory::Filter filter;
    if (options.scan > 0) {
        if (!has_scan(opened.scans, options.scan))
            throw UsageError("no scan " + std::to_string(options.scan) + " in " + inventory::display_name(db_path));
        filter.scans = {options.scan};
    }
    if (!options.run.empty()) {
        const auto run = chosen_run(*opened.queries, options.run, db_path);
        if (run.members.empty())
            throw UsageError("no scan of run '" + options.run + "' in " + inventory::display_name(db_path) +
                             " has ended yet (" + run.gaps() + ")");
        for (const auto& member : run.members) filter.scans.push_back(member.id);
    }
    if (!options.expiring.empty()) filter.expiring_within = parsed_duration("--expiring", options.expiring);
    filter.self_signed = options.self_signed;
    filter.issuer = options.issuer;
    try {
        for (const auto& text : options.labels) filter.labels.push_back(parse_label(text));
    } catch (const LabelError& e) {
        throw UsageError(std::string("--label: ") + e.what());
    }
    filter.now = now_utc();
    return filter;
}

// The full sha256 a fingerprint or prefix names, as git resolves an abbreviated commit. Accepts the
// colon-separated uppercase form openssl prints ("AB:CD:...").
std::string resolve_fingerprint(InventoryQueries& queries, const std::string& text, const std::string& db_path) {
    std::string prefix;
    for (unsigned char c : text)
        if (c != ':') prefix.push_back(static_cast<char>(std::tolower(c)));
    const bool hex = std::all_of(prefix.begin(), prefix.end(), [](unsigned char c) { return std::isxdigit(c); });
    if (!hex || prefix.size() < kMinPrefixDigits || prefix.size() > 64)
        throw UsageError("'" + text + "' is not a sha256 fingerprint or a prefix of one (4 to 64 hex digits)");
    const auto matches = queries.fingerprints_starting_with(prefix, kMaxCandidates);
    if (matches.empty())
        throw std::runtime_error("no certificate in " + inventory::display_name(db_path) + " has a fingerprint starting with " + prefix);
    if (matches.size() > 1) {
        std::string message = "fingerprint prefix " + prefix + " is ambiguous; it starts";
        message += matches.size() == kMaxCandidates ? " at least" : "";
        message += " " + std::to_string(matches.size()) + " certificates:";
        for (const auto& sha256 : matches) message += "\n  " + sha256;
        throw UsageError(message);
    }
    return matches.front();
}

// The certificates a detail names only by fingerprint, so the writers can show what they are.
std::map<std::string, inventory::CertificateSummary> related_summaries(InventoryQueries& queries,
                                                                       const inventory::CertificateDetail& detail) {
    std::vector<std::string> named = detail.issuers;
    named.insert(named.end(), detail.path.chain.begin(), detail.path.chain.end());
    if (detail.path.anchor) named.push_back(*detail.path.anchor);
    named.insert(named.end(), detail.same_key.begin(), detail.same_key.end());
    std::map<std::string, inventory::CertificateSummary> related;
    for (const auto& sha256 : named) {
        if (related.count(sha256)) continue;
        if (auto history = queries.history(sha256)) related.emplace(sha256, std::move(history->summary));
    }
    return related;
}

int finish_output() {
    std::cout.flush();
    return std::cout ? kExitOk : kExitFailure;
}

}  // namespace

void require_inventory_file(const std::string& db_path) {
    if (!inventory::is_server_inventory(db_path) && !std::filesystem::exists(db_path))
        throw UsageError("no inventory at " + inventory::display_name(db_path) + ": run 'certfleet scan' first (or give --db)");
}

int run_inventory(const InventoryOptions& options, const std::string& db_path) {
    // A BOM is a report of the view, not an answer of the analysis writers: the report's CBOM writer makes it.
    if (options.question == "bom") {
        const report::CycloneDxWriter writer;
        const report::ReportContext context{now_utc(), CERTFLEET_VERSION};
        writer.write(load_report(db_path, options.scan, options.run, "", context.now, writer.parts()), context, std::cout);
        return finish_output();
    }
    const auto writer = report::make_analysis_writer(options.format, report::ReportContext{now_utc(), CERTFLEET_VERSION});
    if (!writer) throw UsageError("unknown format " + options.format);
    const OpenedInventory opened = open_inventory(db_path);
    InventoryQueries& queries = *opened.queries;
    const inventory::Filter filter = make_filter(options, opened, db_path);
    const std::string& question = options.question;
    auto& out = std::cout;

    if (question == "scans") {
        writer->scans(opened.scans, out);
    } else if (question == "runs") {
        writer->runs(inventory::summarize_runs(opened.scans), out);
    } else if (question == "certs") {
        writer->certificates(queries.certificates(filter), out);
    } else if (question == "cert") {
        const std::string sha256 = resolve_fingerprint(queries, options.fingerprint, db_path);
        auto detail = queries.certificate(sha256, filter);
        if (!detail) {
            const std::string view = !options.run.empty()     ? "run " + options.run
                                     : !filter.scans.empty() ? "scan " + std::to_string(filter.scans.front())
                                                             : "the current view";
            throw std::runtime_error("certificate " + sha256 + " is not in " + view + " (see 'inventory history')");
        }
        auto related = related_summaries(queries, *detail);
        writer->certificate(report::CertificateReport{std::move(*detail), std::move(related)}, out);
    } else if (question == "history") {
        const std::string sha256 = resolve_fingerprint(queries, options.fingerprint, db_path);
        const auto history = queries.history(sha256);
        if (!history) throw std::runtime_error("no history of certificate " + sha256 + " in " + inventory::display_name(db_path));
        writer->history(*history, out);
    } else if (question == "endpoints") {
        writer->endpoints(queries.endpoints(filter), out);
    } else if (question == "shared") {
        auto shared = queries.shared(filter, options.min_places);
        if (!options.across.empty()) {
            std::erase_if(shared, [&](const inventory::SharedCertificate& s) { return !s.split.count(options.across); });
        }
        writer->shared(shared, out);
    } else if (question == "keys") {
        writer->reused_keys(queries.reused_keys(filter), out);
    } else if (question == "anchors") {
        writer->anchors(queries.anchors(filter), out);
    } else if (question == "stores") {
        writer->stores(queries.stores(filter), out);
    } else if (question == "client-cas") {
        writer->client_trust(queries.client_trust(filter), out);
    } else {
        throw UsageError("unknown question " + question);
    }
    return finish_output();
}

namespace {

// FROM or TO of diff as a scan id: a scan id itself, a day (YYYY-MM-DD, the view at its end, UTC) or an age ("7d",
// "2w": the view that long ago).
std::int64_t diff_scan(const std::string& text, const std::vector<ScanRecord>& scans, const std::string& db_path,
                       UnixTime now) {
    const bool all_digits = std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
    if (all_digits) {
        const auto id = rules::values::parse_positive(text);
        if (!id || !has_scan(scans, *id)) throw UsageError("no scan " + text + " in " + inventory::display_name(db_path));
        return *id;
    }
    std::optional<UnixTime> moment = rules::values::parse_end_of_day(text);
    if (!moment) {
        if (const auto age = parse_duration(text)) moment = now - *age;
    }
    if (!moment)
        throw UsageError("diff: '" + text + "' is not a scan id, a date (YYYY-MM-DD) or an age (12h, 7d, 2w, 1y)");
    const auto scan = inventory::scan_current_at(scans, *moment);
    if (scan) return scan->id;
    const auto first = inventory::scan_current_at(scans, std::numeric_limits<UnixTime>::max());
    throw UsageError("no scan in " + inventory::display_name(db_path) + " had finished by " + format_rfc3339(*moment) +
                     (first && first->finished_at ? "; the first finished at " + format_rfc3339(*first->finished_at)
                                                  : std::string("; none has finished yet")));
}

}  // namespace

int run_diff(const DiffOptions& options, const std::string& db_path) {
    const UnixTime now = now_utc();
    const auto writer = report::make_analysis_writer(options.format, report::ReportContext{now, CERTFLEET_VERSION});
    if (!writer) throw UsageError("unknown format " + options.format);
    const OpenedInventory opened = open_inventory(db_path);
    const auto& scans = opened.scans;
    if (!options.runs.empty()) {
        if (options.runs.size() > 2) throw UsageError("diff takes --run once (before and after that run) or twice");
        const auto to = scan_ending_run(*opened.queries, options.runs.back(), db_path);
        std::optional<std::int64_t> from;
        if (options.runs.size() == 2) {
            from = scan_ending_run(*opened.queries, options.runs.front(), db_path);
        } else {
            // Before the run: after the latest scan outside it that began before the run's first scan did.
            const std::string& name = options.runs.front();
            const auto first = std::find_if(scans.begin(), scans.end(), [&](const ScanRecord& s) { return s.run.run == name; });
            for (auto it = scans.begin(); it != first; ++it)
                if (it->finished_at) from = it->id;
            if (!from)
                throw UsageError("run '" + name + "' holds the first scans of " + inventory::display_name(db_path) +
                                 ": there is no view before it to compare with");
        }
        writer->diff(opened.queries->diff(*from, to), std::cout);
        return finish_output();
    }
    if (scans.size() < 2)
        throw UsageError("diff compares two scans and the inventory at " + inventory::display_name(db_path) + " has only scan " +
                         std::to_string(scans.front().id) + ": scan again first");
    const std::int64_t from =
        options.from.empty() ? scans[scans.size() - 2].id : diff_scan(options.from, scans, db_path, now);
    const std::int64_t to = options.to.empty() ? scans.back().id : diff_scan(options.to, scans, db_path, now);
    writer->diff(opened.queries->diff(from, to), std::cout);
    return finish_output();
}

}  // namespace certfleet::app
