// bench/inventory --postgres: the PostgreSQL inventory beside SQLite's, in the same run. A private server (initdb
// into a temporary directory, its socket there, PostgreSQL's default settings, fsync on) shares the machine with
// the writers, as a server beside one scanner would. Measured: one writer storing the fleet, then every question
// on what it stored; a 1/10 fleet for memory growth; then several writers at once, each a part of the fleet's
// hosts, into one inventory, their rate counted over the time from the first one's start to the last one's end.
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "bench/bench_support.hpp"
#include "bench/inventory/parent.hpp"
#include "testkit/cert_factory.hpp"
#include "testkit/postgres_cluster.hpp"

namespace certfleet::bench::inventory {
namespace {

double rate_of(const ChildResult& r) {
    return r.figures["sightings"].get<double>() / r.figures["ingest_api_seconds"].get<double>();
}

double writer_mib(const ChildResult& r) {
    return (r.figures["rss_ingest_kib"].get<double>() - r.figures["rss_base_kib"].get<double>()) / 1024.0;
}

}  // namespace

void run_postgres(const Options& o, const fs::path& small_cache, const fs::path& full_cache, double sqlite_rate) {
    using testing::PostgresCluster;
    std::unique_ptr<PostgresCluster> server;
    try {
        server = std::make_unique<PostgresCluster>(PostgresCluster::Durability::production);
    } catch (const testing::PostgresUnavailable& e) {
        die(std::string("--postgres: cannot start a PostgreSQL server: ") + e.what());
    }
    const Scale full = o.scale, small = o.scale.smaller();
    testing::TempDir scratch;
    std::cout << "\nPostgreSQL: a private server on this machine (PostgreSQL's defaults, fsync on); 'others' counts "
                 "its work\n";
    print_run_header();
    const ChildResult small_run =
        run_child(o, small, small_cache, {.db = server->create_database("small"), .out = scratch.path() / "pg-small.json"});
    print_run("s", small_run, full);
    const ChildResult one =
        run_child(o, full, full_cache, {.db = server->create_database("one_writer"), .out = scratch.path() / "pg-1.json"});
    print_run("1", one, full);

    const std::string shared_db = server->create_database("writers");
    std::vector<StartedChild> started;
    for (std::uint32_t k = 1; k <= o.writers; ++k)
        started.push_back(start_child(o, full, full_cache,
                                      {.db = shared_db,
                                       .out = scratch.path() / ("pg-writer-" + std::to_string(k) + ".json"),
                                       .queries = false,
                                       .part = {k, o.writers}}));
    std::vector<ChildResult> writers;
    for (const auto& child : started) writers.push_back(finish_child(child));
    double first_start = writers.front().figures["ingest_started_at"].get<double>(), last_end = 0, sightings = 0;
    double most_writer_mib = 0;
    for (std::size_t k = 0; k < writers.size(); ++k) {
        print_run("w" + std::to_string(k + 1), writers[k], full);
        const auto& f = writers[k].figures;
        first_start = std::min(first_start, f["ingest_started_at"].get<double>());
        last_end = std::max(last_end, f["ingest_ended_at"].get<double>());
        sightings += f["sightings"].get<double>();
        most_writer_mib = std::max(most_writer_mib, writer_mib(writers[k]));
    }
    const double together = sightings / (last_end - first_start);
    const double one_rate = rate_of(one);
    const double growth = writer_mib(one) / writer_mib(small_run);

    char line[512];
    std::cout << "\nPostgreSQL figure                    value                 target\n";
    std::snprintf(line, sizeof line,
                  "ingest rate, 1 writer                %-21s %.2fx SQLite's 1 writer (%s/s)   (%.2f s in the API, of "
                  "which finish_scan %.2f s)\n",
                  (thousands(one_rate) + " sightings/s").c_str(), one_rate / sqlite_rate, thousands(sqlite_rate).c_str(),
                  one.figures["ingest_api_seconds"].get<double>(),
                  one.figures["ingest_finish_seconds"].get<double>());
    std::cout << line;
    std::snprintf(line, sizeof line,
                  "ingest rate, %u writers at once      %-21s >= %s/s  %s   %.2fx SQLite's 1 writer, %.2fx 1 PostgreSQL "
                  "writer (%s sightings in %.1f s)\n",
                  o.writers, (thousands(together) + " sightings/s").c_str(), thousands(kTargetIngest).c_str(),
                  together >= kTargetIngest ? "PASS" : "MISS", together / sqlite_rate, together / one_rate,
                  thousands(sightings).c_str(), last_end - first_start);
    std::cout << line;
    std::snprintf(line, sizeof line,
                  "RSS the writer added                 %-21s <= %.1fx the 1/10 fleet's (%.1f MiB): %.2fx  %s   (%u "
                  "writers at once: %.1f MiB each at most)\n",
                  (std::to_string(static_cast<int>(writer_mib(one) + 0.5)) + " MiB").c_str(), kTargetRssRatio,
                  writer_mib(small_run), growth, growth <= kTargetRssRatio ? "PASS" : "MISS", o.writers, most_writer_mib);
    std::cout << line;
    const auto misses = print_query_table(o, {one}, small_run);
    std::cout << (misses.empty() ? std::string("every query within 1 s on PostgreSQL\n")
                                 : std::to_string(misses.size()) + " queries over target on PostgreSQL\n");
}

}  // namespace certfleet::bench::inventory
