// bench/inventory: what the parent prints. A line a measured run, then each figure against its target, then (with
// --explain) the SQL behind the writer's time and behind each missed query.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <thread>

#include "bench/bench_support.hpp"
#include "bench/inventory/parent.hpp"

namespace certfleet::bench::inventory {
namespace {

const char* verdict(bool ok) { return ok ? "PASS" : "MISS"; }

}  // namespace

std::string thousands(double value) {
    const auto n = static_cast<long long>(value + 0.5);
    std::string digits = std::to_string(n < 0 ? -n : n), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return n < 0 ? "-" + out : out;
}

void print_run_header() {
    std::cout << "\nrun  fleet   sightings  ingest s  finish_scan s  sightings/s    DB MiB  RSS ingest  queries s  wall s  "
                 "others\n";
}

void print_run(const std::string& label, const ChildResult& r, const Scale& full) {
    const auto& f = r.figures;
    double query_total = 0;
    for (const auto& q : f["queries"]) query_total += q["seconds"].get<double>();
    char line[256];
    if (!f["ingested"].get<bool>()) {
        std::snprintf(line, sizeof line, "%-4s %-6s %11s %9s %14s %12s %9s %10s %10.2f %7.1f %7.2f\n", label.c_str(),
                      "full", "(queries", "only,", "same", "database)", "", "", query_total, r.wall, r.others);
    } else {
        std::snprintf(line, sizeof line, "%-4s %-6s %11s %9.2f %14.2f %12s %9.1f %8.1f M %10.2f %7.1f %7.2f\n",
                      label.c_str(), f["locations"].get<std::uint64_t>() == full.locations ? "full" : "1/10",
                      thousands(f["sightings"].get<double>()).c_str(), f["ingest_api_seconds"].get<double>(),
                      f["ingest_finish_seconds"].get<double>(),
                      thousands(f["sightings"].get<double>() / f["ingest_api_seconds"].get<double>()).c_str(),
                      f["db_bytes"].get<double>() / 1048576.0, f["rss_ingest_kib"].get<double>() / 1024.0,
                      query_total, r.wall, r.others);
    }
    std::cout << line << std::flush;
}

double print_report(const Options& o, const ChildResult& small_run, const std::vector<ChildResult>& runs,
                    unsigned ingests) {
    const auto median_of = [&](auto&& get, bool ingested_only) {
        std::vector<double> values;
        for (const auto& r : runs)
            if (!ingested_only || r.figures["ingested"].get<bool>()) values.push_back(get(r));
        return median(values);
    };
    const auto ingest_median = [&](const char* key) {
        return median_of([&](const ChildResult& r) { return r.figures[key].get<double>(); }, true);
    };
    const auto& first = runs.front().figures;
    const double sightings = first["sightings"].get<double>();
    const double ingest_seconds = ingest_median("ingest_api_seconds");
    const double finish_seconds = ingest_median("ingest_finish_seconds");
    const double ingest_wall = ingest_median("ingest_wall_seconds");
    const double rate = sightings / ingest_seconds;
    const double db_bytes = ingest_median("db_bytes");
    // Memory: the peak of the ingesting process, and what the writer added to the bench's own (libraries and the
    // fleet model, measured before the inventory opened); for queries, the most any one query's process grew.
    const double rss_ingest = ingest_median("rss_ingest_kib") / 1024.0;
    const double writer = (ingest_median("rss_ingest_kib") - ingest_median("rss_base_kib")) / 1024.0;
    // A query's memory: what its process added to the connection's. A query returning every certificate of the
    // view holds its answer, which grows with the fleet as it should; what must not grow is the rest. So each
    // query is judged by the smaller of two growths from the 1/10 fleet to the full one: of what it added, and of
    // what it added per row of its answer.
    struct QueryMemory {
        std::string name;
        double full_mib = 0, small_mib = 0, full_rows = 0, small_rows = 0, growth = 0;
    };
    const auto added_mib = [](const json& q) { return (q.value("rss_kib", 0.0) - q.value("rss_base_kib", 0.0)) / 1024.0; };
    QueryMemory most_grown, most_added;
    const auto& small_queries = small_run.figures["queries"];
    for (std::size_t i = 0; i < first["queries"].size() && i < small_queries.size(); ++i) {
        const auto &big = first["queries"][i], &small = small_queries[i];
        if (!big.contains("rss_base_kib") || !small.contains("rss_base_kib")) continue;
        QueryMemory m{big["name"], added_mib(big), added_mib(small), big.value("rows", 0.0), small.value("rows", 0.0)};
        const double whole = m.full_mib / std::max(m.small_mib, 0.1);  // 0.1 MiB: below what RSS resolves here
        m.growth = std::min(whole, whole * std::max(m.small_rows, 1.0) / std::max(m.full_rows, 1.0));
        if (m.growth > most_grown.growth) most_grown = m;
        if (m.full_mib > most_added.full_mib) most_added = m;
    }
    const double small_writer =
        (small_run.figures["rss_ingest_kib"].get<double>() - small_run.figures["rss_base_kib"].get<double>()) / 1024.0;
    const double small_rate = small_run.figures["sightings"].get<double>() / small_run.figures["ingest_api_seconds"].get<double>();

    const auto mib = [](double value) {
        const int tenths = static_cast<int>(value * 10 + 0.5);
        return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " MiB";
    };
    char line[512];
    std::cout << "\nfleet            " << thousands(first["locations"].get<double>()) << " certificate files + "
              << first["stores"].get<int>() << " trust stores, " << thousands(first["endpoints"].get<double>())
              << " endpoints, " << o.scale.scans << " scans; " << thousands(first["certificates"].get<double>())
              << " distinct certificates\n";
    std::snprintf(line, sizeof line,
                  "sightings        %s (%s in files, %s of them trust-store anchors; %s at endpoints), plus %s key "
                  "sightings; %.1f%% of deployments rotate per scan\n",
                  thousands(sightings).c_str(), thousands(first["file_sightings"].get<double>()).c_str(),
                  thousands(first["anchor_sightings"].get<double>()).c_str(),
                  thousands(first["endpoint_sightings"].get<double>()).c_str(),
                  thousands(first["key_sightings"].get<double>()).c_str(), 100 * first["rotation_rate"].get<double>());
    std::cout << line;
    std::snprintf(line, sizeof line,
                  "runs             %u: %u ingesting the fleet anew (--ingest-budget %.0f s), %u timing the queries on "
                  "the last database\n",
                  o.runs, ingests, o.ingest_budget, o.runs - ingests);
    std::cout << line << "\nfigure (ingest: median of " << ingests << ")          value                 target\n";
    std::snprintf(line, sizeof line,
                  "ingest rate                          %-21s >= %s/s  %s   (%.2f s in the API, of which finish_scan "
                  "%.2f s; %.2f s with batch building)\n",
                  (thousands(rate) + " sightings/s").c_str(), thousands(kTargetIngest).c_str(),
                  verdict(rate >= kTargetIngest), ingest_seconds, finish_seconds, ingest_wall);
    std::cout << line;
    std::snprintf(line, sizeof line, "database size                        %-21s (%.1f MiB)\n",
                  (std::to_string(static_cast<int>(db_bytes / sightings + 0.5)) + " B/sighting").c_str(),
                  db_bytes / 1048576.0);
    std::cout << line;
    std::snprintf(line, sizeof line,
                  "peak RSS, ingest                     %-21s (the bench's own fleet model and libraries: %.1f MiB)\n",
                  mib(rss_ingest).c_str(),
                  rss_ingest - writer);
    std::cout << line;
    const double ratio_writer = writer / small_writer;
    std::snprintf(line, sizeof line,
                  "RSS the writer added                 %-21s <= %.1fx the 1/10 fleet's (%.1f MiB): %.2fx  %s\n",
                  mib(writer).c_str(),
                  kTargetRssRatio, small_writer, ratio_writer, verdict(ratio_writer <= kTargetRssRatio));
    std::cout << line;
    std::snprintf(line, sizeof line,
                  "RSS a query added, at most           %-21s (%s: %s rows; 1/10 fleet: %s for %s rows)\n",
                  mib(most_added.full_mib).c_str(), most_added.name.c_str(), thousands(most_added.full_rows).c_str(),
                  mib(most_added.small_mib).c_str(), thousands(most_added.small_rows).c_str());
    std::cout << line;
    char growth[32];
    std::snprintf(growth, sizeof growth, "%.2fx", most_grown.growth);
    std::snprintf(line, sizeof line,
                  "RSS a query added, growth            %-21s <= %.1fx the 1/10 fleet's, in all or per row of the answer  "
                  "%s   (%s: %s for %s rows; 1/10 fleet: %s for %s rows)\n",
                  growth, kTargetRssRatio,
                  verdict(most_grown.growth <= kTargetRssRatio), most_grown.name.c_str(), mib(most_grown.full_mib).c_str(),
                  thousands(most_grown.full_rows).c_str(), mib(most_grown.small_mib).c_str(),
                  thousands(most_grown.small_rows).c_str());
    std::cout << line;
    std::snprintf(line, sizeof line, "ingest rate of the 1/10 fleet        %s sightings/s\n", thousands(small_rate).c_str());
    std::cout << line;
    if (o.explain && first.contains("writer_statements")) {
        std::cout << "\nwriter statements (first run, by total time):\n";
        for (const auto& st : first["writer_statements"]) {
            std::snprintf(line, sizeof line, "  %8.2f s %10s runs  %6.1f us each  ", st["seconds"].get<double>(),
                          thousands(st["runs"].get<double>()).c_str(),
                          1e6 * st["seconds"].get<double>() / std::max(1.0, st["runs"].get<double>()));
            std::cout << line << st["sql"].get<std::string>().substr(0, 160) << "\n";
        }
        std::cout << "\n";
    }
    if (const double busy = median_of([](const ChildResult& r) { return r.others; }, false); busy > 0.25) {
        std::snprintf(line, sizeof line,
                      "note             other processes kept %.2f of %u cores busy during the runs (median): the "
                      "figures are pessimistic\n",
                      busy, std::thread::hardware_concurrency());
        std::cout << line;
    }

    const auto misses = print_query_table(o, runs, small_run);
    std::cout << (misses.empty() ? std::string("every query within ") + std::to_string(static_cast<int>(kTargetQuery)) + " s\n"
                                 : std::to_string(misses.size()) + " queries over target\n");
    if (misses.empty()) return rate;
    if (!o.explain) {
        std::cout << "(--explain shows the slowest SQL statements of each miss and how SQLite plans them)\n";
        return rate;
    }
    const auto& names = first["queries"];
    // From the first run: the statement a stopped query was running, and the slowest ones of each miss.
    const auto print_statement = [](const std::string& heading, const std::string& sql,
                                    const std::vector<std::string>& plan) {
        std::cout << "  " << heading << "\n    " << sql << "\n";
        for (const auto& step : plan) std::cout << "      " << step << "\n";
    };
    for (std::size_t i = 0; i < names.size(); ++i) {
        const std::string name = names[i]["name"];
        if (std::find(misses.begin(), misses.end(), name) == misses.end()) continue;
        const json* entry = nullptr;
        for (const auto& r : runs)
            if (!r.figures["queries"][i].value("skipped", false)) {
                entry = &r.figures["queries"][i];
                break;
            }
        std::cout << "\n" << name << "\n";
        if (!entry) continue;
        if (entry->contains("running") && !(*entry)["running"].get<std::string>().empty())
            print_statement("running when stopped:", (*entry)["running"], (*entry)["running_plan"]);
        for (const auto& st : entry->value("statements", json::array())) {
            char heading[128];
            std::snprintf(heading, sizeof heading, "%.3f s in %lld run%s:", st["seconds"].get<double>(),
                          static_cast<long long>(st["runs"].get<std::int64_t>()), st["runs"] == 1 ? "" : "s");
            print_statement(heading, st["sql"], st["plan"]);
        }
    }
    return rate;
}

std::vector<std::string> print_query_table(const Options& o, const std::vector<ChildResult>& runs,
                                           const ChildResult& small_run) {
    const auto median_of = [&](auto&& get) {
        std::vector<double> values;
        for (const auto& r : runs) values.push_back(get(r));
        return median(values);
    };
    char line[512];
    std::cout << "\nquery (median of " << runs.size() << ", fresh connection each)    seconds      rows   target     +RSS MiB   1/10 fleet s\n";
    std::vector<std::string> misses;
    const auto& names = runs.front().figures["queries"];
    for (std::size_t i = 0; i < names.size(); ++i) {
        const std::string name = names[i]["name"];
        std::string error;
        bool timed_out = false;
        const double seconds = median_of([&](const ChildResult& r) {
            const auto& entry = r.figures["queries"][i];
            if (entry.contains("error")) error = entry["error"];
            if (entry.value("timed_out", false)) timed_out = true;
            return entry["seconds"].get<double>();
        });
        const auto& last = runs.front().figures["queries"][i];
        const std::string rows = last.contains("rows") ? thousands(last["rows"].get<double>()) : "-";
        const auto& small_entry = small_run.figures["queries"][i];
        const bool ok = error.empty() && !timed_out && seconds <= kTargetQuery;
        if (!ok) misses.push_back(name);
        char time_text[32];
        if (timed_out)
            std::snprintf(time_text, sizeof time_text, "> %.0f", o.query_timeout);
        else
            std::snprintf(time_text, sizeof time_text, "%.3f", seconds);
        std::snprintf(line, sizeof line, "%-44s %8s %9s   <= %.0f s %s %9.1f %13.3f%s%s\n", name.c_str(), time_text,
                      rows.c_str(), kTargetQuery, verdict(ok),
                      (last.value("rss_kib", 0.0) - last.value("rss_base_kib", last.value("rss_kib", 0.0))) / 1024.0,
                      small_entry["seconds"].get<double>(), timed_out ? "   stopped: over the time limit" : "",
                      error.empty() ? "" : ("   error: " + error).c_str());
        std::cout << line;
    }
    std::cout << "\n";
    return misses;
}

}  // namespace certfleet::bench::inventory
