// Runs (`scan --run NAME`): which scans stand for a run's slots, and what they saw together.
#include <algorithm>
#include <map>
#include <set>

#include "inventory/sql_queries.hpp"

namespace certfleet::inventory {

namespace {

bool ended(const ScanRecord& scan) {
    return scan.status == ScanStatus::complete || scan.status == ScanStatus::interrupted;
}

RunSummary summarize_run(const std::string& name, const std::vector<const ScanRecord*>& scans) {
    RunSummary run;
    run.name = name;
    run.started_at = scans.front()->started_at;
    // Per slot, the latest scan that ended stands for it; scans are oldest first.
    std::map<std::string, const ScanRecord*> standing, latest;
    for (const ScanRecord* scan : scans) {
        run.shards = std::max(run.shards, scan->run.shards);
        latest[scan->run.slot] = scan;
        if (!ended(*scan)) continue;
        if (auto [it, added] = standing.emplace(scan->run.slot, scan); !added) {
            run.superseded.push_back(it->second->id);
            it->second = scan;
        }
    }
    std::set<int> shards_present;
    for (const auto& [slot, scan] : standing) {
        run.members.push_back(*scan);
        if (scan->run.shard > 0) shards_present.insert(scan->run.shard);
        if (scan->finished_at) run.finished_at = std::max(run.finished_at.value_or(0), *scan->finished_at);
    }
    for (const auto& [slot, scan] : latest)
        if (!standing.contains(slot)) run.pending.push_back(*scan);
    for (int k = 1; k <= run.shards; ++k)
        if (!shards_present.contains(k)) run.missing_shards.push_back(k);
    const auto by_id = [](const ScanRecord& a, const ScanRecord& b) { return a.id < b.id; };
    std::sort(run.members.begin(), run.members.end(), by_id);
    std::sort(run.pending.begin(), run.pending.end(), by_id);
    std::sort(run.superseded.begin(), run.superseded.end());
    if (!run.complete()) run.finished_at.reset();
    return run;
}

}  // namespace

bool RunSummary::complete() const {
    return !members.empty() && pending.empty() && missing_shards.empty() &&
           std::all_of(members.begin(), members.end(),
                       [](const ScanRecord& m) { return m.status == ScanStatus::complete; });
}

std::string RunSummary::gaps() const {
    std::vector<std::string> parts;
    const std::string of_n = "/" + std::to_string(shards);
    for (int k : missing_shards) {
        // A shard whose only scan is still running or failed is pending rather than missing.
        const auto pending_scan = std::find_if(pending.begin(), pending.end(), [&](const ScanRecord& p) {
            return p.run.shard == k;
        });
        if (pending_scan == pending.end())
            parts.push_back("shard " + std::to_string(k) + of_n + " has no scan");
    }
    for (const auto& p : pending)
        parts.push_back((p.run.shard > 0 ? "shard " + std::to_string(p.run.shard) + of_n + ": " : std::string()) +
                        "scan " + std::to_string(p.id) + " " + std::string(to_string(p.status)));
    for (const auto& m : members)
        if (m.status != ScanStatus::complete)
            parts.push_back((m.run.shard > 0 ? "shard " + std::to_string(m.run.shard) + of_n + ": " : std::string()) +
                            "scan " + std::to_string(m.id) + " " + std::string(to_string(m.status)));
    if (members.empty() && parts.empty()) parts.push_back("no scan of it has ended");
    std::string out;
    for (const auto& part : parts) out += (out.empty() ? "" : "; ") + part;
    return out;
}

std::vector<RunSummary> summarize_runs(const std::vector<ScanRecord>& scans) {
    std::map<std::string, std::vector<const ScanRecord*>> by_run;
    std::vector<std::string> order;
    for (const auto& scan : scans) {
        if (scan.run.run.empty()) continue;
        auto& members = by_run[scan.run.run];
        if (members.empty()) order.push_back(scan.run.run);
        members.push_back(&scan);
    }
    std::vector<RunSummary> out;
    for (const auto& name : order) out.push_back(summarize_run(name, by_run[name]));
    return out;
}

std::vector<RunSummary> SqlQueries::runs() {
    Statement select(db_, (std::string("SELECT ") + kScanColumns + " FROM " + kScanRows +
                           " WHERE r.run IS NOT NULL ORDER BY id")
                              .c_str());
    std::vector<ScanRecord> scans;
    while (select.step()) scans.push_back(read_scan_record(select));
    return summarize_runs(scans);
}

std::optional<RunSummary> SqlQueries::find_run(const std::string& name) {
    Statement select(db_, (std::string("SELECT ") + kScanColumns + " FROM " + kScanRows +
                           " WHERE r.run = ? ORDER BY id")
                              .c_str());
    select.bind(1, name);
    std::vector<ScanRecord> scans;
    while (select.step()) scans.push_back(read_scan_record(select));
    auto runs = summarize_runs(scans);
    if (runs.empty()) return std::nullopt;
    return std::move(runs.front());
}

ScanContents SqlQueries::run_contents(const RunSummary& run) {
    if (run.members.empty())
        throw InventoryError("no scan of run '" + run.name + "' in " + path_ + " has ended yet (" + run.gaps() + ")");
    Filter members;
    for (const auto& m : run.members) members.scans.push_back(m.id);
    ScanContents out = contents(members, run.members.back().id);
    ScanCounts total;
    for (const auto& m : run.members) {
        total.files_walked += m.counts.files_walked;
        total.files_skipped += m.counts.files_skipped;
        total.certificates_seen += m.counts.certificates_seen;
        total.keys_seen += m.counts.keys_seen;
        total.errors += m.counts.errors;
        total.notes += m.counts.notes;
    }
    out.scan.counts = total;
    out.scan.started_at = run.started_at;
    out.scan.finished_at = run.finished_at;
    // A run with a slot missing or cut short is, as one scan, an interrupted one.
    out.scan.status = run.complete() ? ScanStatus::complete : ScanStatus::interrupted;
    out.run = run;
    return out;
}

}  // namespace certfleet::inventory
