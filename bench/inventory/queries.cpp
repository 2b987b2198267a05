// bench/inventory: the queries' side of a measured run. Every question of InventoryQueries is asked of the stored
// fleet, each in a process of its own.
#include <poll.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <functional>
#include <iostream>
#include <thread>
#include <utility>

#include "bench/bench_support.hpp"
#include "bench/inventory/measured_run.hpp"
#include "bench/inventory/sql_trace.hpp"
#include "inventory/analysis.hpp"

namespace certfleet::bench::inventory {
namespace {

// Runs one query in a child of its own on a fresh connection, as each `certfleet` command opens the inventory
// anew: its peak memory is its own, and one that runs away is stopped after `timeout` seconds rather than
// holding up the rest. The child's figures come back as JSON through a pipe.
json run_query_isolated(const std::string& db, const std::function<std::size_t(InventoryQueries&)>& query, double timeout) {
    int fds[2];
    if (::pipe(fds) != 0) die(std::string("pipe: ") + std::strerror(errno));
    std::cout.flush();
    const pid_t pid = ::fork();
    if (pid < 0) die(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        ::close(fds[0]);
        json r;
        const auto write_result = [&](const json& result) {
            const std::string text = result.dump();
            std::size_t done = 0;
            while (done < text.size()) {
                const ssize_t n = ::write(fds[1], text.data() + done, text.size() - done);
                if (n <= 0 && errno != EINTR) break;
                if (n > 0) done += static_cast<std::size_t>(n);
            }
        };
        // Shortly before the parent would stop it, a query still running reports what it is running and how
        // SQLite plans that, through a connection of its own (the traced one is busy), then ends the process.
        std::thread([&, timeout] {
            std::this_thread::sleep_for(std::chrono::duration<double>(std::max(0.5, timeout - 1.0)));
            std::lock_guard lock(g_trace_mutex);
            sqlite3_reset_auto_extension();  // the planning connection is not traced
            sqlite3* own = nullptr;
            sqlite3_open_v2(db.c_str(), &own, SQLITE_OPEN_READONLY, nullptr);
            json late{{"timed_out", true}, {"seconds", timeout}, {"running", g_running},
                      {"running_plan", own ? query_plan(own, g_running) : std::vector<std::string>{}},
                      {"statements", slowest_statements(3, own)}, {"rss_kib", proc_status_kib("VmHWM")}};
            sqlite3_close(own);
            write_result(late);
            ::_exit(0);
        }).detach();
        try {
            sqlite3_auto_extension(reinterpret_cast<void (*)()>(trace_connection));
            r["rss_base_kib"] = proc_status_kib("VmRSS");
            auto q = open_queries(db);
            reset_peak_rss();
            {
                std::lock_guard lock(g_trace_mutex);
                g_statements.clear();
            }
            const auto t = Clock::now();
            r["rows"] = query(*q);
            r["seconds"] = seconds_since(t);
            r["rss_kib"] = proc_status_kib("VmHWM");
            // Planning is not part of the query. A PostgreSQL inventory has no SQLite connection to trace.
            if (g_traced_db) sqlite3_trace_v2(g_traced_db, 0, nullptr, nullptr);
            std::lock_guard lock(g_trace_mutex);
            r["statements"] = slowest_statements(3, g_traced_db);
        } catch (const std::exception& e) {
            r["error"] = e.what();
            r["seconds"] = 0.0;
        }
        if (!r.contains("rss_kib")) r["rss_kib"] = proc_status_kib("VmHWM");
        std::lock_guard lock(g_trace_mutex);  // not while the watchdog writes
        write_result(r);
        ::_exit(0);
    }
    ::close(fds[1]);
    const auto started = Clock::now();
    std::string text;
    bool timed_out = false;
    for (;;) {
        const double left = timeout + 10 - seconds_since(started);  // the child reports itself at `timeout`
        if (left <= 0) {
            timed_out = true;
            break;
        }
        pollfd p{fds[0], POLLIN, 0};
        const int ready = ::poll(&p, 1, static_cast<int>(left * 1000) + 1);
        if (ready < 0 && errno == EINTR) continue;
        if (ready == 0) continue;
        char buffer[4096];
        const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    if (timed_out) ::kill(pid, SIGKILL);
    const int status = reap_child(pid).status;
    if (timed_out) return json{{"timed_out", true}, {"seconds", timeout}};
    if (text.empty()) return json{{"error", "the query's process died (status " + std::to_string(status) + ")"}, {"seconds", 0.0}};
    return json::parse(text);
}

}  // namespace

json time_queries(const std::string& db_path, const QuerySubjects& subjects, double timeout,
                  const std::vector<std::size_t>& skip) {
    auto scans_connection = open_queries(db_path);
    const auto scan_records = scans_connection->scans();
    scans_connection.reset();  // closed before the queries fork
    const auto filter = [&](auto&& adjust) {
        Filter f;
        f.now = subjects.now;
        adjust(f);
        return f;
    };
    const Filter view = filter([](Filter&) {});
    std::vector<ScanId> scan_ids;
    for (const auto& r : scan_records) scan_ids.push_back(r.id);
    std::sort(scan_ids.begin(), scan_ids.end());
    const ScanId latest = scan_ids.empty() ? 0 : scan_ids.back();
    const ScanId previous = scan_ids.size() < 2 ? latest : scan_ids[scan_ids.size() - 2];
    const ScanId middle = scan_ids.empty() ? 0 : scan_ids[scan_ids.size() / 2];  // burn-downs ask "as of" a past scan

    using Query = std::pair<std::string, std::function<std::size_t(InventoryQueries&)>>;
    const std::vector<Query> list{
        {"scans()", [&](InventoryQueries& q) { return q.scans().size(); }},
        {"certificates (view, no filter)", [&](InventoryQueries& q) { return q.certificates(view).size(); }},
        {"certificates expiring 30 d",
         [&](InventoryQueries& q) { return q.certificates(filter([](Filter& f) { f.expiring_within = 30 * 86400; })).size(); }},
        {"certificates self_signed",
         [&](InventoryQueries& q) { return q.certificates(filter([](Filter& f) { f.self_signed = true; })).size(); }},
        {"certificates label owner=team-07",
         [&](InventoryQueries& q) { return q.certificates(filter([](Filter& f) { f.labels = {{"owner", "team-07"}}; })).size(); }},
        {"certificates label env=staging",
         [&](InventoryQueries& q) { return q.certificates(filter([](Filter& f) { f.labels = {{"env", "staging"}}; })).size(); }},
        {"certificates issuer 'issuing ca 2'",
         [&](InventoryQueries& q) { return q.certificates(filter([](Filter& f) { f.issuer = "issuing ca 2"; })).size(); }},
        {"certificates of the latest scan",
         [&](InventoryQueries& q) { return q.certificates(filter([&](Filter& f) { f.scans = {latest}; })).size(); }},
        {"certificates as of the middle scan",
         [&](InventoryQueries& q) { return q.certificates(filter([&](Filter& f) { f.as_of = middle; })).size(); }},
        {"shared as of the middle scan",
         [&](InventoryQueries& q) { return q.shared(filter([&](Filter& f) { f.as_of = middle; }), 2).size(); }},
        {"certificates all filters",
         [&](InventoryQueries& q) {
             return q.certificates(filter([](Filter& f) {
                         f.expiring_within = 30 * 86400;
                         f.issuer = "issuing ca";
                         f.labels = {{"owner", "team-07"}, {"env", "prod"}};
                     }))
                 .size();
         }},
        {"fingerprints_starting_with(\"ab\", 20)", [&](InventoryQueries& q) { return q.fingerprints_starting_with("ab", 20).size(); }},
        {"certificate(shared leaf)", [&](InventoryQueries& q) { return q.certificate(subjects.shared_leaf, view) ? 1ul : 0ul; }},
        {"certificate(issuing CA)", [&](InventoryQueries& q) { return q.certificate(subjects.issuing_ca, view) ? 1ul : 0ul; }},
        {"endpoints (view)", [&](InventoryQueries& q) { return q.endpoints(view).size(); }},
        {"endpoints label owner=team-07",
         [&](InventoryQueries& q) { return q.endpoints(filter([](Filter& f) { f.labels = {{"owner", "team-07"}}; })).size(); }},
        {"shared (min 2 places)", [&](InventoryQueries& q) { return q.shared(view, 2).size(); }},
        {"reused_keys", [&](InventoryQueries& q) { return q.reused_keys(view).size(); }},
        {"anchors", [&](InventoryQueries& q) { return q.anchors(view).size(); }},
        {"stores", [&](InventoryQueries& q) { return q.stores(view).size(); }},
        {"path_to_anchor(leaf)", [&](InventoryQueries& q) { return q.path_to_anchor(subjects.sample_leaf, view).chain.size(); }},
        {"history(rotated leaf)",
         [&](InventoryQueries& q) {
             const auto h = q.history(subjects.rotated_leaf);
             return h ? h->scans.size() : 0;
         }},
        {"history(issuing CA)",
         [&](InventoryQueries& q) {
             const auto h = q.history(subjects.issuing_ca);
             return h ? h->places.size() : 0;
         }},
        {"scan_contents(latest)", [&](InventoryQueries& q) { return q.scan_contents(latest).certificates.size(); }},
        {"view_contents(latest), as report reads it",
         [&](InventoryQueries& q) { return q.view_contents(latest).certificates.size(); }},
        {"diff(latest two scans)",
         [&](InventoryQueries& q) {
             const auto d = q.diff(previous, latest);
             return d.new_certificates.size() + d.gone_certificates.size() + d.new_places.size() +
                    d.gone_places.size() + d.rotated.size() + d.changed_verdicts.size();
         }},
    };
    json queries = json::array();
    for (std::size_t i = 0; i < list.size(); ++i) {
        json entry;
        if (std::find(skip.begin(), skip.end(), i) != skip.end()) {
            entry = json{{"timed_out", true}, {"skipped", true}, {"seconds", timeout}};
        } else {
            entry = run_query_isolated(db_path, list[i].second, timeout);
        }
        entry["name"] = list[i].first;
        queries.push_back(std::move(entry));
    }
    return queries;
}

}  // namespace certfleet::bench::inventory
