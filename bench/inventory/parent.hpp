#pragma once
// bench/inventory: the parent. Its options, what it learns of each measured run, and the report it prints
// (report.cpp).
#include <cstddef>
#include <string>
#include <vector>

#include "bench/inventory/fleet.hpp"

namespace certfleet::bench::inventory {

struct Options {
    unsigned runs = 3;
    Scale scale;
    std::string cache_root;
    std::string keep_db;  // copy the last full database here, for EXPLAIN QUERY PLAN
    bool explain = false;
    std::string sqlite_pragma;  // applied to every connection the children open
    bool quick = false;
    // Child mode.
    bool child = false;
    std::string child_cache, child_db, child_out;
    bool child_ingest_only = false;  // profiling the writer alone
    bool child_queries_only = false;  // on the database an earlier run made
    double ingest_budget = 150;       // seconds of ingest after which further runs reuse the database
    std::vector<std::size_t> child_skip;  // queries that ran out of time in an earlier run
    double query_timeout = 60;
};

// A measured run, as the parent saw it.
struct ChildResult {
    json figures;
    double wall = 0;
    double others = 0;  // cores the rest of the machine kept busy meanwhile
};

// `value` rounded, with thousands separated by commas.
std::string thousands(double value);

// The table of runs: its heading, then a line a run as each ends (`full` tells the full fleet's runs apart).
void print_run_header();
void print_run(const std::string& label, const ChildResult& r, const Scale& full);

// The figures against their targets, from the runs of the full fleet (`ingests` of them ingesting it anew) and
// the run of the 1/10 fleet; with --explain, where the writer and the missed queries spent their time.
void print_report(const Options& o, const ChildResult& small_run, const std::vector<ChildResult>& runs,
                  unsigned ingests);

}  // namespace certfleet::bench::inventory
