// bench/inventory: how the inventory holds up at fleet scale. It stores 30 scans of a simulated fleet (~30,000
// certificate files and ~3,000 TLS endpoints, ~1,000,000 certificate sightings of ~100,000 distinct certificates)
// through the real writer API in batches as the scanner does, then asks every question of InventoryQueries of the
// result, and reports the ingest rate, the database size per sighting, each query's time and the peak memory,
// each against its target.
//
// The certificates are real and signed (issuer links are checked by signature when a scan finishes), made once
// with OpenSSL and cached under the temp dir with their parsed model, so the timed runs pay neither for making
// nor for parsing them, just as the timed writer does not pay for the scanner's decoding.
//
// Each measured run is a child process (this program with --child) on a fresh database, so its peak memory is
// its own; a run of a fleet ten times smaller shows whether memory grows with the inventory. Each query runs in a
// process of its own on a fresh connection (as each certfleet command opens the inventory anew) and is stopped
// after --query-timeout. While ingesting takes minutes, runs after the first time the queries again on the last
// database rather than ingest anew (--ingest-budget). --explain traces the SQL (an SQLite auto-extension hooks
// every connection, so inventory/ needs no change) and prints where the writer and each missed query spend
// their time, with EXPLAIN QUERY PLAN.
//
// Here: the parent's runs and the options. The fleet is fleet.hpp, its certificates cert_cache.hpp, a measured run
// measured_run.hpp (ingest.cpp, queries.cpp, sql_trace.hpp), the printed figures report.cpp.
#include <sqlite3.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "bench/bench_support.hpp"
#include "bench/inventory/cert_cache.hpp"
#include "bench/inventory/measured_run.hpp"
#include "bench/inventory/parent.hpp"
#include "testkit/cert_factory.hpp"

namespace {

using namespace certfleet::bench;
using namespace certfleet::bench::inventory;
using certfleet::testing::TempDir;

// The parent: prepares the caches, runs the children, prints the table.
int run(const Options& o) {
    const fs::path cache_root = o.cache_root.empty() ? fs::temp_directory_path() : fs::path(o.cache_root);
    const Scale full = o.scale, small = o.scale.smaller();
    const auto prepare = [&](const Scale& scale, const char* fleet) {
        const CacheInfo info = prepare_cache(scale, cache_root);
        char line[256];
        std::snprintf(line, sizeof line, "certificates     %s for %s: %s\n",
                      thousands(static_cast<double>(info.count)).c_str(), fleet,
                      info.seconds > 0 ? ("made in " + std::to_string(static_cast<int>(info.seconds + 0.5)) + " s, " +
                                          info.dir.string())
                                             .c_str()
                                       : ("cached, " + info.dir.string()).c_str());
        std::cout << line << std::flush;
        return info.dir;
    };
    const fs::path small_cache = prepare(small, "the 10x smaller fleet");
    const fs::path full_cache = prepare(full, "the fleet");

    TempDir scratch;
    print_run_header();

    const ChildResult small_run = run_child(
        o, small, small_cache, {.db = (scratch.path() / "small.db").string(), .out = scratch.path() / "small.json"});
    print_run("s", small_run, full);
    fs::remove(scratch.path() / "small.db");
    // Each run ingests the fleet anew while that fits the budget; the rest time the queries on the last database.
    std::vector<ChildResult> runs;
    std::vector<std::size_t> skip;
    fs::path last_db;
    double ingest_spent = 0;
    unsigned ingests = 0;
    for (unsigned i = 1; i <= o.runs; ++i) {
        const bool ingest = ingests == 0 || ingest_spent + ingest_spent / ingests <= o.ingest_budget;
        const fs::path db = ingest ? scratch.path() / ("run-" + std::to_string(i) + ".db") : last_db;
        runs.push_back(run_child(o, full, full_cache,
                                 {.db = db.string(),
                                  .out = scratch.path() / ("run-" + std::to_string(i) + ".json"),
                                  .skip = skip,
                                  .ingest = ingest}));
        if (ingest) {
            ++ingests;
            ingest_spent += runs.back().figures["ingest_wall_seconds"].get<double>();
            if (!last_db.empty()) fs::remove(last_db);
            last_db = db;
        }
        const auto& queries = runs.back().figures["queries"];
        for (std::size_t q = 0; q < queries.size(); ++q)
            if (queries[q].value("timed_out", false) && std::find(skip.begin(), skip.end(), q) == skip.end())
                skip.push_back(q);
        print_run(std::to_string(i), runs.back(), full);
    }
    if (!o.keep_db.empty()) {
        fs::copy_file(last_db, o.keep_db, fs::copy_options::overwrite_existing);
        std::cout << "database kept    " << o.keep_db << "\n";
    }
    fs::remove(last_db);
    const double sqlite_rate = print_report(o, small_run, runs, ingests);
    if (o.postgres) run_postgres(o, small_cache, full_cache, sqlite_rate);
    return 0;
}

// --sqlite-pragma: an experiment on the inventory's connections without changing inventory/.
std::string g_pragma;
int apply_pragma(sqlite3* db, const char**, const sqlite3_api_routines*) {
    sqlite3_exec(db, ("PRAGMA " + g_pragma).c_str(), nullptr, nullptr, nullptr);
    return SQLITE_OK;
}

int child_main(const Options& o) {
    if (!o.sqlite_pragma.empty()) {
        g_pragma = o.sqlite_pragma;
        sqlite3_auto_extension(reinterpret_cast<void (*)()>(apply_pragma));
    }
    const auto marker = read_marker(o.child_cache);
    CacheInfo info{o.child_cache, std::stoull(marker.at("count")), std::stoll(marker.at("created_at")), 0};
    const json out = run_measured(o.scale, info, o.child_db, !o.child_queries_only, !o.child_ingest_only, o.query_timeout,
                                  o.child_skip, o.explain, o.child_part);
    std::ofstream file(o.child_out);
    file << out.dump(1) << "\n";
    return file ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app{"bench/inventory: the inventory at fleet scale. Stores 30 scans of a simulated fleet through the "
                 "writer API, then times every query;\nprints the ingest rate, database size, each query's time and "
                 "peak memory against their targets. Exits 0 whether or not the targets are met."};
    app.add_option("--runs", o.runs, "Measured runs of the full fleet; medians are reported")
        ->capture_default_str()
        ->check(CLI::Range(1u, 100u));
    auto* locations = app.add_option("--locations", o.scale.locations, "Certificate files in the fleet")
                          ->capture_default_str()
                          ->check(CLI::Range(20u, 10'000'000u));
    app.add_option("--endpoints", o.scale.endpoints, "TLS endpoints (at most one per 10 files)")
        ->capture_default_str()
        ->check(CLI::Range(1u, 1'000'000u));
    app.add_option("--scans", o.scale.scans, "Scans")->capture_default_str()->check(CLI::Range(2u, 10'000u));
    auto* certificates = app.add_option("--certificates", o.scale.certificates,
                                        "Distinct certificates to reach (sets the rotation rate)")
                             ->capture_default_str()
                             ->check(CLI::Range(100u, 100'000'000u));
    app.add_option("--cache", o.cache_root,
                   "Where the generated certificates are kept between runs (default: the temp dir)");
    app.add_option("--keep-db", o.keep_db, "Copy the last full run's database here (for EXPLAIN QUERY PLAN)");
    app.add_flag("--quick", o.quick, "3,000 files, 300 endpoints, 10,000 certificates, 1 run (unless given)");
    app.add_flag("--child", o.child)->group("");
    app.add_option("--child-cache", o.child_cache)->group("");
    app.add_option("--child-db", o.child_db)->group("");
    app.add_option("--child-out", o.child_out)->group("");
    app.add_flag("--child-ingest-only", o.child_ingest_only)->group("");
    app.add_option("--child-skip", o.child_skip)->group("")->delimiter(',');
    app.add_flag("--child-queries-only", o.child_queries_only)->group("");
    std::string child_part;
    app.add_option("--child-part", child_part)->group("");
    app.add_flag("--postgres", o.postgres,
                 "Also measure a PostgreSQL inventory on a private server started for the run (as root: it runs as "
                 "the postgres user): one writer with every query, then --writers writers at once");
    app.add_option("--writers", o.writers, "Writers of the PostgreSQL inventory at once")
        ->capture_default_str()
        ->check(CLI::Range(2u, 64u));
    app.add_option("--ingest-budget", o.ingest_budget,
                   "Seconds: a run ingests the fleet anew only while the ingests so far, plus one more like them, fit "
                   "in this; later runs time the queries on the last database")
        ->capture_default_str();
    app.add_option("--sqlite-pragma", o.sqlite_pragma,
                   "An experiment: PRAGMA applied to every SQLite connection the measured runs open, e.g. "
                   "'cache_size=-65536' (not for the reported figures)");
    app.add_flag("--explain", o.explain,
                 "After the table, the SQL statements the writer spent its time in (traced, so the ingest figures "
                 "carry the tracing's cost) and the slowest statements of each missed query with their EXPLAIN QUERY "
                 "PLAN");
    app.add_option("--query-timeout", o.query_timeout,
                   "Seconds after which a query is stopped and reported as a miss (and not tried again in later runs)")
        ->capture_default_str()
        ->check(CLI::Range(1.0, 3600.0));
    CLI::Option* runs = app.get_option("--runs");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    if (!child_part.empty()) {
        const auto slash = child_part.find('/');
        o.child_part = {static_cast<std::uint32_t>(std::stoul(child_part.substr(0, slash))),
                        static_cast<std::uint32_t>(std::stoul(child_part.substr(slash + 1)))};
    }
    if (o.quick) {
        if (!locations->count()) o.scale.locations = 3'000;
        if (!app.get_option("--endpoints")->count()) o.scale.endpoints = 300;
        if (!certificates->count()) o.scale.certificates = 10'000;
        if (!runs->count()) o.runs = 1;
    }
    ::signal(SIGPIPE, SIG_IGN);
    try {
        return o.child ? child_main(o) : run(o);
    } catch (const std::exception& e) {
        std::cerr << "bench_inventory: " << e.what() << "\n";
        return 1;
    }
}
