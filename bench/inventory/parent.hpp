#pragma once
// bench/inventory: the parent. Its options, what it learns of each measured run, and the report it prints
// (report.cpp).
#include <cstddef>
#include <string>
#include <vector>

#include <sys/types.h>

#include "bench/inventory/fleet.hpp"
#include "bench/inventory/measured_run.hpp"

namespace certfleet::bench::inventory {

// The targets the figures are held to: sightings per second (all writers together on PostgreSQL), seconds per
// query, and peak RSS of the full fleet over that of a 10x smaller one.
inline constexpr double kTargetIngest = 100'000;
inline constexpr double kTargetQuery = 1.0;
inline constexpr double kTargetRssRatio = 2.0;

struct Options {
    unsigned runs = 3;
    Scale scale;
    std::string cache_root;
    std::string keep_db;  // copy the last full database here, for EXPLAIN QUERY PLAN
    bool explain = false;
    std::string sqlite_pragma;  // applied to every connection the children open
    bool quick = false;
    bool postgres = false;  // also measure a PostgreSQL inventory (postgres.cpp)
    unsigned writers = 4;   // of the PostgreSQL inventory at once
    // Child mode.
    bool child = false;
    std::string child_cache, child_db, child_out;
    bool child_ingest_only = false;  // profiling the writer alone
    bool child_queries_only = false;  // on the database an earlier run made
    double ingest_budget = 150;       // seconds of ingest after which further runs reuse the database
    std::vector<std::size_t> child_skip;  // queries that ran out of time in an earlier run
    double query_timeout = 60;
    FleetPart child_part;
};

// A measured run, as the parent saw it.
struct ChildResult {
    json figures;
    double wall = 0;
    double others = 0;  // cores the rest of the machine kept busy meanwhile
};

// What a measured run is to do: on which database (a file, or a PostgreSQL connection string), with its
// figures written as JSON to `out`.
struct ChildTask {
    std::string db;
    fs::path out;
    std::vector<std::size_t> skip;  // queries that ran out of time in an earlier run
    bool ingest = true;             // false: time the queries on the database an earlier run made
    bool queries = true;            // false: ingest only
    FleetPart part;                 // of the fleet, for one of several writers at once
};

// A measured run started as a child process (children.cpp); finish_child waits for it and reads its figures.
struct StartedChild {
    pid_t pid = 0;
    double busy_before = 0;
    Clock::time_point started;
    fs::path out;
};
StartedChild start_child(const Options& o, const Scale& scale, const fs::path& cache_dir, const ChildTask& task);
ChildResult finish_child(const StartedChild& child);
ChildResult run_child(const Options& o, const Scale& scale, const fs::path& cache_dir, const ChildTask& task);

// One line a query: its median time over `runs` against the target, rows, memory, and the 1/10 fleet's time.
// Returns the names of the queries over target.
std::vector<std::string> print_query_table(const Options& o, const std::vector<ChildResult>& runs,
                                           const ChildResult& small_run);

// The PostgreSQL inventory beside SQLite's (postgres.cpp): one writer ingesting the fleet and the queries on it,
// then `o.writers` writers at once; `sqlite_rate` is SQLite's median ingest rate, the baseline of the ratios.
void run_postgres(const Options& o, const fs::path& small_cache, const fs::path& full_cache, double sqlite_rate);

// `value` rounded, with thousands separated by commas.
std::string thousands(double value);

// The table of runs: its heading, then a line a run as each ends (`full` tells the full fleet's runs apart).
void print_run_header();
void print_run(const std::string& label, const ChildResult& r, const Scale& full);

// The figures against their targets, from the runs of the full fleet (`ingests` of them ingesting it anew) and
// the run of the 1/10 fleet; with --explain, where the writer and the missed queries spent their time. Returns the
// median ingest rate.
double print_report(const Options& o, const ChildResult& small_run, const std::vector<ChildResult>& runs,
                  unsigned ingests);

}  // namespace certfleet::bench::inventory
