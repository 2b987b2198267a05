#pragma once
// bench/inventory: one measured run, the child process: ingest every scan of the simulated fleet through the writer,
// then time every query.
#include <cstdint>
#include <string>
#include <vector>

#include "bench/inventory/cert_cache.hpp"
#include "bench/inventory/fleet.hpp"

namespace certfleet::bench::inventory {

// What the writer was given, and the seconds spent in its API (of them, in finish_scan).
struct IngestTotals {
    std::uint64_t file_sightings = 0, endpoint_sightings = 0, anchor_sightings = 0, key_sightings = 0;
    double api_seconds = 0, finish_seconds = 0;
    std::uint64_t sightings() const { return file_sightings + endpoint_sightings; }
};

// Which part of the fleet a writer stores: its hosts are those whose number is `index` - 1 modulo `count`, and
// the trust stores are the first part's. The default is the whole fleet.
struct FleetPart {
    std::uint32_t index = 1, count = 1;
    bool holds_host(std::uint32_t host) const { return host % count == index - 1; }
    bool whole() const { return count == 1; }
};

// Stores the simulation's current scan, number `scan_number`, in the database at `db_path` and adds to `totals`.
// `fixed` holds the fixed certificates; `created_at` is when the certificates were made (what "expired" is judged
// against).
void ingest_scan(const std::string& db_path, const Simulation& sim, std::uint32_t scan_number, CertCache& cache,
                 const std::vector<LoadedCert>& fixed, std::int64_t created_at, const FleetPart& part,
                 IngestTotals& totals);

// The certificates the queries ask about by fingerprint, and the time the queries' filters take as now.
struct QuerySubjects {
    std::int64_t now = 0;
    std::string shared_leaf;   // the most copied certificate
    std::string sample_leaf;   // at the first location, in the last scan
    std::string rotated_leaf;  // at the first location, half-way through the scans
    std::string issuing_ca;
};

// Times every query on the database at `db_path`, each in a process of its own; the queries numbered in `skip`
// ran out of time in an earlier run and are reported as stopped without being run.
json time_queries(const std::string& db_path, const QuerySubjects& subjects, double timeout,
                  const std::vector<std::size_t>& skip);

// Ingests every scan (of `part` of the fleet) into a fresh database at `db_path` (a file, or a PostgreSQL
// connection string) and then runs every query; with `ingest` false, only steps the simulation (to know which
// certificates to ask about) and queries the database a previous run made.
json run_measured(const Scale& scale, const CacheInfo& cache_info, const std::string& db_path, bool ingest,
                  bool queries_too, double timeout, const std::vector<std::size_t>& skip, bool trace_writer,
                  const FleetPart& part);

}  // namespace certfleet::bench::inventory
