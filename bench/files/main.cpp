// bench/files: how fast `certfleet scan --files` goes through a large tree that is mostly not certificates,
// judged against how long merely reading the same tree takes on the same machine in the same run, so the
// figure means the same on a fast laptop and a slow CI box.
//
// The tree: N files in ~1000 nested directories holding C certificate occurrences in every container certfleet
// reads (PEM, PEM bundles, DER, PKCS#7 DER and PEM, PKCS#12, JKS, JCEKS, Kubernetes secrets and kubeconfigs),
// private keys, and noise (configs, logs, manifests, scripts, small binaries). Every certificate written is
// counted, so the scan's result is checked exactly, not just timed.
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_support.hpp"
#include "bench/files/tree.hpp"
#include "testkit/cert_factory.hpp"

namespace {

using namespace certfleet::bench;
using namespace certfleet::bench::files;
using Clock = std::chrono::steady_clock;

constexpr double kTargetRatio = 2.0;
constexpr double kTargetRssMiB = 200.0;

// ---------------------------------------------------------------------------------------------------------------
// Running children.

struct ChildRun {
    int status = 0;
    double wall = 0;     // seconds
    double cpu = 0;      // user + system seconds, including the child's own children
    double rss_mib = 0;  // peak resident set of the child (or of its largest child)
    double others = 0;   // CPU seconds the rest of the machine used meanwhile
};


ChildRun run_child(const std::vector<std::string>& args, const fs::path& out, const fs::path& err) {
    // Everything the child needs is prepared before fork: only async-signal-safe calls may follow it.
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const std::string out_path = out.string(), err_path = err.string();

    const double busy_before = machine_busy_seconds();
    const auto started = Clock::now();
    const pid_t pid = ::fork();
    if (pid < 0) die(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        const int o = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int e = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (o < 0 || e < 0 || ::dup2(o, STDOUT_FILENO) < 0 || ::dup2(e, STDERR_FILENO) < 0) ::_exit(126);
        // An ignored SIGPIPE survives exec; the floor's pipeline must see the default.
        ::signal(SIGPIPE, SIG_DFL);
        ::close(o);
        ::close(e);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    const ChildUsage child = reap_child(pid);
    ChildRun run{.status = child.status, .cpu = child.cpu, .rss_mib = child.rss_mib};
    run.wall = std::chrono::duration<double>(Clock::now() - started).count();
    run.others = std::max(0.0, machine_busy_seconds() - busy_before - run.cpu);
    return run;
}


std::string describe_status(int status) {
    if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return std::string("signal ") + ::strsignal(WTERMSIG(status));
    return "status " + std::to_string(status);
}

struct ScanSummary {
    std::uint64_t files = 0, certificates = 0, keys = 0, errors = 0, skipped = 0;
};

// certfleet prints "certfleet: scan N complete: F files read, C certificates, K keys, E errors, S skipped in ...".
std::optional<ScanSummary> parse_summary(const std::string& stderr_text) {
    static const std::regex kLine(
        R"(certfleet: scan \d+ complete: (\d+) files read, (\d+) certificates, (\d+) keys, (\d+) errors, (\d+) skipped)");
    std::smatch m;
    if (!std::regex_search(stderr_text, m, kLine)) return std::nullopt;
    return ScanSummary{std::stoull(m[1]), std::stoull(m[2]), std::stoull(m[3]), std::stoull(m[4]), std::stoull(m[5])};
}

// A directory for the run's files, removed on every way out.
using ScratchDir = certfleet::testing::TempDir;


double mib(std::uint64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

// ---------------------------------------------------------------------------------------------------------------
// Checking what certfleet found against what was written, through its JSON report of the last run.

struct Check {
    bool fewer = false;  // fewer certificates than written: the scan missed something
    std::vector<std::string> lines;
};

Check check_report(const Options& options, const fs::path& db, const fs::path& scratch, const Expected& expected) {
    Check check;
    const fs::path report = scratch / "report.json";
    const ChildRun r = run_child({options.certfleet, "--db", db.string(), "report", "--format", "json", "-o",
                                  report.string()},
                                 scratch / "report.out", scratch / "report.err");
    if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0) {
        check.lines.push_back("certfleet report failed (" + describe_status(r.status) +
                              "): " + read_text(scratch / "report.err"));
        check.fewer = true;
        return check;
    }
    const auto json = nlohmann::json::parse(read_text(report));
    const auto& scan = json.at("scan");
    const auto seen = scan.at("certificates_seen").get<std::uint64_t>();
    const auto distinct = scan.at("distinct_certificates").get<std::uint64_t>();
    const auto keys = scan.at("keys_seen").get<std::uint64_t>();
    const auto errors = scan.at("errors").get<std::uint64_t>();
    std::map<std::string, std::uint64_t> by_format;
    for (const auto& cert : json.at("certificates"))
        for (const auto& s : cert.at("sightings"))
            if (s.value("kind", "") == "file") ++by_format[s.at("format").get<std::string>()];

    const auto line = [&](const std::string& what, std::uint64_t found, std::uint64_t wanted) {
        char buffer[160];
        std::snprintf(buffer, sizeof buffer, "  %-22s %8llu found, %8llu expected  %s", what.c_str(),
                      static_cast<unsigned long long>(found), static_cast<unsigned long long>(wanted),
                      found == wanted ? "ok" : "MISMATCH");
        check.lines.emplace_back(buffer);
    };
    line("certificate sightings", seen, expected.certificates);
    line("distinct certificates", distinct, expected.distinct);
    line("keys", keys, expected.keys);
    line("errors", errors, 0);
    std::map<std::string, std::uint64_t> formats = expected.by_format;
    for (const auto& [format, n] : by_format) formats.try_emplace(format, 0);
    for (const auto& [format, wanted] : formats) {
        const auto it = by_format.find(format);
        line("  as " + format, it == by_format.end() ? 0 : it->second, wanted);
    }
    if (errors > 0) {
        int shown = 0;
        for (const auto& e : json.at("errors")) {
            if (shown++ == 5) break;
            check.lines.push_back("  error: " + e.value("location", "") + ": " + e.value("reason", "") + ": " +
                                  e.value("detail", ""));
        }
    }
    check.fewer = seen < expected.certificates || distinct < expected.distinct;
    return check;
}

int run(const Options& o) {
    if (::access(o.certfleet.c_str(), X_OK) != 0)
        die("--certfleet " + o.certfleet + ": not an executable file (build the certfleet target first)");
    const fs::path tree = o.tree.empty() ? default_tree(o) : fs::absolute(o.tree);
    const auto [expected, generated] = prepare_tree(o, tree);
    // Removes a tree this run made, unless asked to keep it for later runs.
    struct TreeCleanup {
        fs::path tree;
        bool active;
        ~TreeCleanup() {
            std::error_code ec;
            if (active) fs::remove_all(tree, ec);
        }
    } cleanup{tree, generated && !o.keep};

    char line[512];
    std::snprintf(line, sizeof line,
                  "files            %llu in %llu directories, %.1f MiB\n"
                  "certificates     %llu in %llu files (%llu distinct), %llu keys\n"
                  "certfleet        %s (threads: %s; %u cores)\n\n",
                  static_cast<unsigned long long>(expected.files), static_cast<unsigned long long>(expected.directories),
                  mib(expected.bytes), static_cast<unsigned long long>(expected.certificates),
                  static_cast<unsigned long long>(expected.certificate_files),
                  static_cast<unsigned long long>(expected.distinct), static_cast<unsigned long long>(expected.keys),
                  o.certfleet.c_str(), o.threads ? std::to_string(o.threads).c_str() : "default",
                  std::thread::hardware_concurrency());
    std::cout << line << std::flush;

    ScratchDir scratch;
    const std::vector<std::string> floor_command{"/bin/sh", "-c",
                                                 "find \"$1\" -type f -print0 | xargs -0 cat >/dev/null", "sh",
                                                 tree.string()};
    const auto floor_run = [&] {
        const ChildRun r = run_child(floor_command, scratch.path() / "floor.out", scratch.path() / "floor.err");
        if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0)
            die("the raw-read floor failed (" + describe_status(r.status) + "): " +
                read_text(scratch.path() / "floor.err"));
        return r;
    };
    floor_run();  // warms the page cache so neither side pays for the disk

    std::vector<double> floor_walls, scan_walls;
    std::vector<double> others;  // cores the rest of the machine kept busy during each run
    double peak_rss = 0;
    ScanSummary summary;
    fs::path last_db;
    std::cout << "run   floor s  floor cpu   certfleet s  certfleet cpu   RSS MiB     files  certificates   others\n";
    for (unsigned i = 1; i <= o.runs; ++i) {
        const ChildRun floor = floor_run();
        const fs::path db = scratch.path() / ("run-" + std::to_string(i) + ".db");
        std::vector<std::string> command{o.certfleet, "--db", db.string(), "scan", "--files", tree.string(),
                                         "--no-progress"};
        if (o.threads) command.insert(command.end(), {"--threads", std::to_string(o.threads)});
        const fs::path err = scratch.path() / "scan.err";
        const ChildRun scan = run_child(command, scratch.path() / "scan.out", err);
        const std::string err_text = read_text(err);
        if (!WIFEXITED(scan.status) || WEXITSTATUS(scan.status) != 0) {
            std::cerr << "bench_files: certfleet scan failed (" << describe_status(scan.status) << "):\n" << err_text;
            return 1;
        }
        const auto parsed = parse_summary(err_text);
        if (!parsed) {
            std::cerr << "bench_files: no summary line in certfleet's output:\n" << err_text;
            return 1;
        }
        summary = *parsed;
        floor_walls.push_back(floor.wall);
        scan_walls.push_back(scan.wall);
        peak_rss = std::max(peak_rss, scan.rss_mib);
        others.push_back((floor.others + scan.others) / (floor.wall + scan.wall));
        std::snprintf(line, sizeof line, "%-3u %9.3f %10.3f %13.3f %14.3f %9.1f %9llu %13llu %8.2f\n", i, floor.wall,
                      floor.cpu, scan.wall, scan.cpu, scan.rss_mib, static_cast<unsigned long long>(parsed->files),
                      static_cast<unsigned long long>(parsed->certificates), others.back());
        std::cout << line << std::flush;
        if (!last_db.empty()) fs::remove(last_db);  // one database at a time: they are large
        last_db = db;
    }

    const double floor_median = median(floor_walls), scan_median = median(scan_walls);
    const double ratio = scan_median / floor_median;
    const bool ratio_ok = ratio <= kTargetRatio, rss_ok = peak_rss <= kTargetRssMiB;
    std::snprintf(line, sizeof line,
                  "median %7.3f %24.3f\n\n"
                  "files/s          %.0f\n"
                  "certificates/s   %.0f\n"
                  "peak RSS         %.1f MiB    (target <= %.0f MiB)  %s\n"
                  "ratio            %.2f        (target <= %.1f)      %s    certfleet %.3f s / floor %.3f s, "
                  "median of %u\n",
                  floor_median, scan_median, static_cast<double>(summary.files) / scan_median,
                  static_cast<double>(summary.certificates) / scan_median, peak_rss, kTargetRssMiB,
                  rss_ok ? "PASS" : "MISS", ratio, kTargetRatio, ratio_ok ? "PASS" : "MISS", scan_median,
                  floor_median, o.runs);
    std::cout << line;
    std::snprintf(line, sizeof line, "database         %.1f MiB after one scan\n", mib(fs::file_size(last_db)));
    std::cout << line;
    // Other work on the machine slows certfleet (several threads) more than the mostly serial floor, so a busy
    // machine makes the ratio look worse than it is.
    if (const double busy = median(others); busy > 0.25) {
        std::snprintf(line, sizeof line,
                      "note             other processes kept %.2f of %u cores busy during the runs (median): the "
                      "figures are pessimistic\n",
                      busy, std::thread::hardware_concurrency());
        std::cout << line;
    }

    const Check check = check_report(o, last_db, scratch.path(), expected);
    std::cout << "\ncheck (JSON report of the last run):\n";
    for (const auto& l : check.lines) std::cout << l << "\n";
    if (summary.files != expected.files)
        std::cout << "  note: certfleet read " << summary.files << " files; the tree has " << expected.files << "\n";
    if (check.fewer || summary.certificates < expected.certificates) {
        std::cerr << "bench_files: certfleet found fewer certificates than the tree holds\n";
        return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app{"bench/files: certfleet scan throughput on a generated tree, against a raw-read floor.\n"
                 "Exits 0 whether or not the targets are met; non-zero when certfleet fails or misses certificates."};
    app.add_option("--tree", o.tree,
                   "Tree to scan: generated if absent, reused when its marker says it is complete with the same "
                   "parameters (default: a directory under the temp dir named after --files and --certs)");
    auto* files = app.add_option("--files", o.files, "Files in the tree")->capture_default_str()->check(CLI::Range(100ull, 100'000'000ull));
    auto* certs = app.add_option("--certs", o.certs, "Certificate occurrences in the tree")->capture_default_str()->check(CLI::Range(1ull, 10'000'000ull));
    auto* runs = app.add_option("--runs", o.runs, "Timed runs; medians are reported")->capture_default_str()->check(CLI::Range(1u, 100u));
    app.add_option("--certfleet", o.certfleet, "certfleet binary")->capture_default_str();
    app.add_option("--threads", o.threads, "Passed to certfleet scan --threads (default: certfleet's own)")
        ->check(CLI::Range(1u, 64u));
    app.add_flag("--keep", o.keep, "Leave a tree this run generated in place, so later runs reuse it");
    app.add_flag("--quick", o.quick, "10,000 files, 2,000 certificates, 1 run (unless given explicitly)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    if (o.quick) {
        if (!files->count()) o.files = 10'000;
        if (!certs->count()) o.certs = 2'000;
        if (!runs->count()) o.runs = 1;
    }
    // Output piped into `head` must not kill the benchmark before it removes its databases and tree.
    ::signal(SIGPIPE, SIG_IGN);
    try {
        return run(o);
    } catch (const std::exception& e) {
        std::cerr << "bench_files: " << e.what() << "\n";
        return 1;
    }
}
