#pragma once
// What a user asked a scan to do, as given: the flags of `certfleet scan`, before anything is read or checked.
// plan_scan (scan_plan.hpp) turns it into the plan a scan runs.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scanner/chain_verifier.hpp"
#include "scanner/decode.hpp"

namespace certfleet::pipeline {

// A network scan of more probes than this is large: it does not start without --yes (or a --max-targets it fits),
// so a typo in a target cannot start a sweep, and it is paced at kLargeScanRate unless --rate is given.
constexpr std::uint64_t kLargeScanProbes = std::uint64_t{1} << 20;
constexpr double kLargeScanRate = 1000;  // new connections per second

struct ScanRequest {
    // file trees
    std::vector<std::string> files;
    bool system_dirs = false;
    std::vector<std::string> exclude_paths;
    std::string password_file;
    std::uint64_t max_file_size = 10ull << 20;
    unsigned threads = 0;
    std::uint64_t max_kdf_iterations = scanner::kDefaultMaxKdfIterations;
    double file_timeout_seconds = scanner::kDefaultFileTimeLimit.count();  // 0: no limit
    // network targets
    std::vector<std::string> targets;
    std::string targets_file;
    bool localhost = false;
    std::string ports;  // empty: the default TLS and STARTTLS ports
    std::vector<std::string> excludes;
    std::string exclude_file;
    unsigned concurrency = 512;
    std::optional<double> rate;  // empty: kLargeScanRate for a large scan, else no limit; 0: no limit
    bool yes = false;            // go ahead with a large scan
    std::optional<std::uint64_t> max_targets;  // the most probes to go ahead with without --yes
    unsigned max_per_host = 0;
    unsigned timeout_ms = 5000;
    unsigned connect_timeout_ms = 0, starttls_timeout_ms = 0, handshake_timeout_ms = 0;  // 0: timeout_ms
    unsigned retries = 0;
    bool no_hybrid_probe = false;  // skip asking TLS 1.3 servers about hybrid post-quantum key exchanges
    std::vector<std::string> sni_names;
    std::string sni_file;
    std::string starttls;
    std::vector<std::string> trust;
    bool no_system_trust = false;
    std::string public_roots = scanner::kPublicRootsPath;
    std::string shard;
    std::optional<std::uint64_t> seed;
    bool resume = false;
    // both
    std::vector<std::string> labels;  // key=value, for every sighting of the scan
    std::string host;                 // the machine the files are on (empty: a "host" label, else this one)
    std::string site;                 // the network the targets are probed from (empty: a "site" label, else none)
    std::string owner_map;            // file of location pattern -> labels
    std::string rules;                // rules evaluated when the scan ends (empty: the built-in policy)
    std::string run;                  // the run this scan is part of (empty: none)
};

}  // namespace certfleet::pipeline
