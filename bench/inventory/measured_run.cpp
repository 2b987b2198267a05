// bench/inventory: one measured run. It steps the simulation through every scan, stores each (unless it times the
// queries on a database an earlier run made), then reports its figures as JSON for the parent.
#include <sqlite3.h>

#include <algorithm>
#include <mutex>
#include <system_error>

#include "bench/bench_support.hpp"
#include "bench/inventory/measured_run.hpp"
#include "bench/inventory/sql_trace.hpp"

namespace certfleet::bench::inventory {

json run_measured(const Scale& scale, const CacheInfo& cache_info, const std::string& db_path, bool ingest,
                  bool queries_too, double timeout, const std::vector<std::size_t>& skip, bool trace_writer,
                  const FleetPart& part) {
    CertCache cache(cache_info);
    // The fleet's CA certificates are in every batch: kept, as the scanner's per-scan cache would.
    std::vector<LoadedCert> fixed;
    for (std::uint32_t i = 0; i < kFixedCount; ++i) fixed.push_back(cache.load(i));

    Simulation sim(scale);
    const double rss_base = proc_status_kib("VmRSS");  // the bench's own: libraries, the fleet model
    if (ingest && fs::exists(db_path)) die(db_path + " exists: a measured ingest starts from nothing");
    if (ingest && trace_writer) sqlite3_auto_extension(reinterpret_cast<void (*)()>(trace_connection));
    IngestTotals totals;
    const auto ingest_started = Clock::now();
    const double ingest_started_at = unix_seconds();
    std::uint32_t rotated_sample = 0;  // the certificate at the first location half-way through
    for (std::uint32_t s = 0; s < scale.scans; ++s) {
        sim.next_scan();
        if (s == scale.scans / 2) rotated_sample = sim.current(sim.locations()[0].deployment);
        if (ingest) ingest_scan(db_path, sim, s, cache, fixed, cache_info.created_at, part, totals);
    }
    const double ingest_wall = seconds_since(ingest_started);
    const double ingest_ended_at = unix_seconds();
    if (ingest && trace_writer) sqlite3_reset_auto_extension();

    json out;
    out["ingested"] = ingest;
    out["rss_base_kib"] = rss_base;
    out["file_sightings"] = totals.file_sightings;
    out["endpoint_sightings"] = totals.endpoint_sightings;
    out["anchor_sightings"] = totals.anchor_sightings;
    out["key_sightings"] = totals.key_sightings;
    out["sightings"] = totals.sightings();
    out["certificates"] = cache.size();
    out["locations"] = scale.locations;
    out["endpoints"] = sim.endpoints().size();
    out["stores"] = sim.stores().size();
    out["shared_deployments"] = sim.shared_deployments();
    out["rotation_rate"] = sim.rotation_rate();
    out["ingest_api_seconds"] = totals.api_seconds;
    out["ingest_finish_seconds"] = totals.finish_seconds;
    out["ingest_wall_seconds"] = ingest_wall;
    out["ingest_started_at"] = ingest_started_at;  // so the parent can time writers that ran at once
    out["ingest_ended_at"] = ingest_ended_at;
    std::uintmax_t db_bytes = 0;  // a server's files are not this process's to measure
    for (const char* suffix : {"", "-wal", "-shm"}) {
        std::error_code ec;
        const auto bytes = fs::file_size(db_path + suffix, ec);
        if (!ec) db_bytes += bytes;
    }
    out["db_bytes"] = db_bytes;
    if (ingest && trace_writer) {
        std::lock_guard lock(g_trace_mutex);
        out["writer_statements"] = slowest_statements(16, nullptr);
        g_statements.clear();
    }
    out["rss_ingest_kib"] = proc_status_kib("VmHWM");
    out["rss_reset"] = reset_peak_rss();

    if (!queries_too) {
        out["queries"] = json::array();
        out["queries_available"] = false;
        out["rss_queries_kib"] = proc_status_kib("VmHWM");
        return out;
    }
    const auto sha_of = [&](std::uint32_t index) { return cache.load(index).info->sha256; };
    const QuerySubjects subjects{cache_info.created_at, sha_of(sim.current(sim.first_shared())),
                                 sha_of(sim.current(sim.locations()[0].deployment)), sha_of(rotated_sample),
                                 sha_of(kCa1)};
    json queries = time_queries(db_path, subjects, timeout, skip);
    out["queries_available"] = true;
    double rss_queries = 0;
    for (const auto& q : queries) rss_queries = std::max(rss_queries, q.value("rss_kib", 0.0));
    out["queries"] = std::move(queries);
    out["rss_queries_kib"] = rss_queries;
    return out;
}

}  // namespace certfleet::bench::inventory
