#pragma once
// The CLI's commands: option structs filled from the flags, and the functions that run them.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace certfleet::app {

constexpr int kExitOk = 0, kExitFailure = 1, kExitUsage = 2, kExitInterrupted = 130;

// Bad flags or inputs found before any work starts: exit code 2.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct ScanOptions {
    // file trees
    std::vector<std::string> files;
    bool system_dirs = false;
    std::vector<std::string> exclude_paths;
    std::string password_file;
    std::uint64_t max_file_size = 10ull << 20;
    unsigned threads = 0;
    // network targets
    std::vector<std::string> targets;
    std::string targets_file;
    bool localhost = false;
    std::string ports;  // empty: the default TLS and STARTTLS ports
    std::vector<std::string> excludes;
    std::string exclude_file;
    unsigned concurrency = 512;
    double rate = 0;
    unsigned max_per_host = 0;
    unsigned timeout_ms = 5000;
    unsigned connect_timeout_ms = 0, starttls_timeout_ms = 0, handshake_timeout_ms = 0;  // 0: --timeout-ms
    unsigned retries = 0;
    std::vector<std::string> sni_names;
    std::string sni_file;
    std::string starttls;
    std::vector<std::string> trust;
    bool no_system_trust = false;
    std::string shard;
    std::optional<std::uint64_t> seed;
    bool dry_run = false;
    bool resume = false;
    // both
    std::vector<std::string> labels;  // key=value, for every sighting of the scan
    std::string owner_map;            // file of location pattern -> labels
    bool no_progress = false;
};

struct ReportOptions {
    std::string format = "table";
    std::int64_t scan = 0;  // 0: the latest
    std::string output;
};

int run_scan(const ScanOptions& options, const std::string& db_path);
int run_report(const ReportOptions& options, const std::string& db_path);

// Where certificates live on common Linux hosts; --system-dirs scans those that exist.
const std::vector<std::string>& system_certificate_dirs();

}  // namespace certfleet::app
