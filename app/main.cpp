// certfleet command line: parses flags into plain option structs and hands them to the modules.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/encoding.hpp"
#include "inventory/inventory.hpp"
#include "report/report.hpp"
#include "scanner/file_walker.hpp"

namespace {

using namespace certfleet;

constexpr int kExitOk = 0, kExitFailure = 1, kExitUsage = 2, kExitInterrupted = 130;

// Where certificates live on common Linux hosts; --system-dirs scans those that exist.
const std::vector<std::string> kSystemCertificateDirs{
    "/etc/ssl",          "/etc/pki",           "/usr/local/share/ca-certificates", "/usr/share/ca-certificates",
    "/etc/ca-certificates", "/etc/kubernetes/pki", "/var/lib/kubelet/pki",          "/etc/letsencrypt",
    "/etc/docker/certs.d",  "/etc/containerd/certs.d", "/etc/nginx",                "/etc/apache2",
    "/etc/httpd",        "/etc/haproxy",       "/etc/postfix",                    "/etc/dovecot",
    "/etc/openvpn",      "/etc/ipsec.d",
};

std::atomic<bool> g_stop_requested{false};
extern "C" void request_stop(int) { g_stop_requested = true; }

struct ScanOptions {
    std::vector<std::string> files;
    bool system_dirs = false;
    std::vector<std::string> exclude_paths;
    std::string password_file;
    std::uint64_t max_file_size = 10ull << 20;
    unsigned threads = 0;
    bool no_progress = false;
};

struct ReportOptions {
    std::string format = "table";
    std::int64_t scan = 0;  // 0: the latest
    std::string output;
};

class UsageError : public std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::vector<std::string> read_passwords(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw UsageError("--password-file " + path + ": cannot read it: " + std::strerror(errno));
    std::vector<std::string> passwords;
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        passwords.push_back(line);
    }
    return passwords;
}

// A progress line that rewrites itself, shown only on a terminal.
class ProgressLine {
public:
    explicit ProgressLine(bool enabled) : enabled_(enabled) {}
    void update(const scanner::WalkStats& s) {
        if (!enabled_) return;
        const auto now = std::chrono::steady_clock::now();
        if (now - last_ < std::chrono::milliseconds(100)) return;
        last_ = now;
        std::cerr << "\r\033[Kscanning: " << s.files_walked << " files, " << s.certificates << " certificates, "
                  << s.keys << " keys, " << s.errors << " errors" << std::flush;
    }
    void clear() {
        if (enabled_) std::cerr << "\r\033[K" << std::flush;
    }

private:
    bool enabled_;
    std::chrono::steady_clock::time_point last_{};
};

// Accumulates observations and stores them in batches: one transaction per few hundred files keeps SQLite
// fast, and a crash loses at most the batch in flight.
class BatchingWriter {
public:
    BatchingWriter(inventory::Inventory& inv, inventory::ScanId scan) : inventory_(inv), scan_(scan) {}
    void add(FileObservations&& obs) {
        pending_certificates_ += obs.certificates.size();
        batch_.push_back(std::move(obs));
        const auto now = std::chrono::steady_clock::now();
        if (batch_.size() >= 512 || pending_certificates_ >= 4096 || now - last_flush_ > std::chrono::milliseconds(500))
            flush();
    }
    void flush() {
        if (!batch_.empty()) inventory_.record(scan_, batch_);
        batch_.clear();
        pending_certificates_ = 0;
        last_flush_ = std::chrono::steady_clock::now();
    }

private:
    inventory::Inventory& inventory_;
    inventory::ScanId scan_;
    std::vector<FileObservations> batch_;
    std::size_t pending_certificates_ = 0;
    std::chrono::steady_clock::time_point last_flush_ = std::chrono::steady_clock::now();
};

int run_scan(const ScanOptions& options, const std::string& db_path) {
    scanner::WalkOptions walk;
    // Absolute paths, so the inventory names a file the same way whichever directory a scan ran from.
    for (const auto& file : options.files) {
        std::string absolute = std::filesystem::absolute(file).lexically_normal().string();
        while (absolute.size() > 1 && absolute.ends_with('/')) absolute.pop_back();
        walk.roots.push_back(absolute);
    }
    if (options.system_dirs) {
        for (const auto& dir : kSystemCertificateDirs)
            if (std::filesystem::is_directory(dir)) walk.roots.push_back(dir);
    }
    if (walk.roots.empty()) {
        if (!options.system_dirs) throw UsageError("nothing to scan: give --files PATH or --system-dirs");
        std::cerr << "certfleet: none of the usual certificate directories exists on this host\n";
    }
    walk.exclude_globs = options.exclude_paths;
    walk.max_file_size = options.max_file_size;
    walk.decoder_threads = options.threads;
    if (!options.password_file.empty()) walk.passwords = read_passwords(options.password_file);

    const nlohmann::json parameters{{"files", walk.roots},
                                    {"exclude_paths", walk.exclude_globs},
                                    {"max_file_size", walk.max_file_size},
                                    {"password_file", options.password_file.empty()
                                                          ? nlohmann::json()
                                                          : nlohmann::json(options.password_file)}};
    auto inv = inventory::open_sqlite_inventory(db_path);
    const inventory::ScanId scan = inv->begin_scan("files", parameters.dump());

    std::signal(SIGINT, request_stop);
    std::signal(SIGTERM, request_stop);
    const auto started = std::chrono::steady_clock::now();
    ProgressLine progress(!options.no_progress && ::isatty(STDERR_FILENO));
    BatchingWriter writer(*inv, scan);
    scanner::WalkStats stats;
    try {
        stats = scanner::walk_files(
            walk, [&](FileObservations&& obs) { writer.add(std::move(obs)); },
            [&](const scanner::WalkStats& s) { progress.update(s); }, g_stop_requested);
        writer.flush();
    } catch (const std::exception& e) {
        progress.clear();
        std::cerr << "certfleet: scan " << scan << " failed: " << e.what() << "\n";
        try {
            inv->finish_scan(scan, inventory::ScanStatus::failed, {});
        } catch (const std::exception&) {
            // The database is what failed; the scan stays 'running' and the next scan marks it interrupted.
        }
        return kExitFailure;
    }
    progress.clear();

    const bool interrupted = g_stop_requested.load();
    const inventory::ScanCounts counts{stats.files_walked, stats.skipped, stats.certificates,
                                       stats.keys,         stats.errors,  stats.notes};
    inv->finish_scan(scan, interrupted ? inventory::ScanStatus::interrupted : inventory::ScanStatus::complete, counts);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    char elapsed[32];
    std::snprintf(elapsed, sizeof elapsed, "%.1fs", seconds);
    std::cerr << "certfleet: scan " << scan << (interrupted ? " interrupted" : " complete") << ": "
              << stats.files_walked << " files read, " << stats.certificates << " certificates, " << stats.keys
              << " keys, " << stats.errors << " errors, " << stats.skipped << " skipped in " << elapsed << " -> "
              << db_path << "\n";
    return interrupted ? kExitInterrupted : kExitOk;
}

int run_report(const ReportOptions& options, const std::string& db_path) {
    if (!std::filesystem::exists(db_path))
        throw UsageError("no inventory at " + db_path + ": run 'certfleet scan' first (or give --db)");
    auto writer = report::make_report_writer(options.format);
    auto inv = inventory::open_sqlite_inventory(db_path);
    const auto scan = options.scan > 0 ? inv->find_scan(options.scan) : inv->latest_scan();
    if (!scan) {
        throw UsageError(options.scan > 0 ? "no scan " + std::to_string(options.scan) + " in " + db_path
                                          : "no scans in " + db_path + " yet: run 'certfleet scan' first");
    }
    const auto contents = inv->scan_contents(scan->id);
    const report::ReportContext context{now_utc()};
    if (options.output.empty()) {
        writer->write(contents, context, std::cout);
        std::cout.flush();
        return std::cout ? kExitOk : kExitFailure;
    }
    // Write beside the target and rename, so a reader never sees half a report.
    const std::string temporary = options.output + ".tmp";
    {
        std::ofstream out(temporary, std::ios::trunc);
        if (!out) throw std::runtime_error("-o " + options.output + ": cannot write: " + std::strerror(errno));
        writer->write(contents, context, out);
        if (!out.flush()) throw std::runtime_error("-o " + options.output + ": write failed");
    }
    std::filesystem::rename(temporary, options.output);
    return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"certfleet: find every TLS certificate in a fleet, keep an inventory, say what to do."};
    app.set_version_flag("--version", std::string("certfleet ") + CERTFLEET_VERSION);
    app.require_subcommand(1);
    std::string db_path = "./certfleet.db";
    app.add_option("--db", db_path, "Inventory database file (created mode 0600)")
        ->envname("CERTFLEET_DB")
        ->capture_default_str();

    ScanOptions scan;
    auto* scan_cmd = app.add_subcommand("scan", "Scan file trees for certificates and keys into the inventory");
    scan_cmd->add_option("--files", scan.files, "File or directory tree to scan (repeatable)");
    scan_cmd->add_flag("--system-dirs", scan.system_dirs,
                       "Also scan this host's usual certificate directories (/etc/ssl, /etc/pki, ...) that exist");
    scan_cmd->add_option("--exclude-path", scan.exclude_paths,
                         "Skip files and subtrees whose path or name matches this glob (repeatable)");
    scan_cmd->add_option("--password-file", scan.password_file,
                         "Passwords to try on PKCS#12, keystores and encrypted keys, one per line")
        ->check(CLI::ExistingFile);
    scan_cmd->add_option("--max-file-size", scan.max_file_size, "Skip (and report) larger files; e.g. 10MiB, 512K")
        ->transform(CLI::AsSizeValue(false))
        ->default_str("10MiB");
    scan_cmd->add_option("--threads", scan.threads, "Decoder threads (default: one per core)")
        ->check(CLI::Range(0u, 64u));
    scan_cmd->add_flag("--no-progress", scan.no_progress, "No progress line on stderr");

    ReportOptions report_options;
    auto* report_cmd = app.add_subcommand("report", "Print a report of a scan from the inventory");
    report_cmd->add_option("--format", report_options.format, "Report format")
        ->check(CLI::IsMember(report::report_formats()))
        ->capture_default_str();
    report_cmd->add_option("--scan", report_options.scan, "Scan id (default: the latest)")->check(CLI::PositiveNumber);
    report_cmd->add_option("-o,--output", report_options.output, "Write to this file instead of stdout");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? kExitOk : kExitUsage;
    }

    try {
        if (scan_cmd->parsed()) return run_scan(scan, db_path);
        return run_report(report_options, db_path);
    } catch (const UsageError& e) {
        std::cerr << "certfleet: " << e.what() << "\n";
        return kExitUsage;
    } catch (const std::exception& e) {
        std::cerr << "certfleet: " << e.what() << "\n";
        return kExitFailure;
    }
}
