#pragma once
// A scan's plan: every input a ScanRequest names read and checked once, before anything is sent or stored.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/observation.hpp"
#include "inventory/inventory.hpp"
#include "pipeline/scan_request.hpp"
#include "rules/rules.hpp"
#include "scanner/chain_verifier.hpp"
#include "scanner/file_walker.hpp"
#include "scanner/network_scan.hpp"
#include "scanner/owner_map.hpp"
#include "scanner/targets.hpp"

namespace certfleet::pipeline {

// A request that cannot be planned: a bad target, flag value, list file, label or rules file. The message names
// the input and the problem (every bad target at once, one a line).
class PlanError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A list file the scan was told to read (--targets-file, --exclude-file, --sni-file) that could not be read at
// all: the scan cannot say what it should have looked at, so it is recorded as failed for check to see.
class UnreadableListError : public PlanError {
public:
    UnreadableListError(std::string flag, std::string path, const std::string& problem)
        : PlanError(flag + " " + problem), flag_(std::move(flag)), path_(std::move(path)) {}
    const std::string& flag() const { return flag_; }
    const std::string& path() const { return path_; }

private:
    std::string flag_, path_;
};

struct NetworkPlan {
    std::vector<std::string> specs;  // the targets as given (arguments, --targets-file, --localhost)
    std::vector<std::uint16_t> ports;
    scanner::TargetSet targets;
    scanner::NetworkScanOptions options;
    scanner::TrustOptions trust;
    // This shard's targets times the SNI names: what kLargeScanProbes measures. A host name counts once, though
    // it is probed on every address it resolves to, which is not known before the scan.
    std::uint64_t probes = 0;
    bool default_rate = false;  // paced at kLargeScanRate because it is large and no --rate was given
    // Which earlier scans probed "the same targets": an endpoint they saw that this one does not is gone.
    std::string target_set;
    std::uint64_t shard_targets() const { return targets.shard_size(options.shard); }
};

struct ScanPlan {
    std::optional<scanner::WalkOptions> files;
    std::optional<NetworkPlan> network;
    Labels labels;            // for every sighting of the scan
    scanner::OwnerMap owners;  // labels by location
    rules::RuleSet rules;     // evaluated when the scan completes
    bool resume = false;
    // A large network scan the user has not agreed to: it must not start.
    bool needs_confirmation = false;
    std::uint64_t confirmation_limit = kLargeScanProbes;  // the most probes that go ahead without --yes
    // Things the user may not expect (a lowered --concurrency, no system directory found), for them to read.
    std::vector<std::string> notes;
    std::string owner_map_file, password_file;  // as given, for the scan's stored parameters
    std::string host;  // the machine the files are on: --host, a "host" label, or this one
    std::string site;  // the network the endpoints are in: --site, a "site" label, or none (empty)
    std::vector<std::string> list_files;  // --targets-file, --exclude-file and --sni-file as given
    std::string run;                       // --run NAME

    std::string kind() const;  // files, network or files+network
    // What the scan stores as its parameters; `trust_anchors` is how many the verifier loaded.
    std::string parameters_json(std::size_t trust_anchors) const;
    // What identifies "the same network scan" for --resume: targets, ports, names, shard, seed, STARTTLS, site.
    std::string resume_key() const;
    // The scan's place in its run: the slot is what it looks at (kind, host, roots, targets, ports, names, shard, site),
    // so the same command run again fills the same slot. Empty without --run.
    inventory::RunMembership run_membership() const;
};

// Reads the list files, parses every target, label, owner map and rules file. Throws PlanError when any of them
// is bad; finds nothing to scan to be a PlanError too.
ScanPlan plan_scan(const ScanRequest& request);

// A scan refused because it could not read `error.path()`: its kind and the parameters it is stored with.
std::pair<std::string, std::string> refused_scan_kind_and_parameters(const ScanRequest& request,
                                                                     const UnreadableListError& error);

// Where certificates live on common Linux hosts; --system-dirs scans those that exist.
const std::vector<std::string>& system_certificate_dirs();

}  // namespace certfleet::pipeline
