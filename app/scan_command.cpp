#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <tuple>
#include <unordered_map>

#include "app/commands.hpp"
#include "app/progress_line.hpp"
#include "core/certificate.hpp"
#include "core/encoding.hpp"
#include "inventory/inventory.hpp"
#include "report/text_escape.hpp"
#include "scanner/chain_verifier.hpp"
#include "scanner/file_walker.hpp"
#include "scanner/network_scan.hpp"
#include "scanner/owner_map.hpp"
#include "scanner/targets.hpp"

namespace certfleet::app {

namespace {

std::atomic<bool> g_stop_requested{false};
extern "C" void request_stop(int) { g_stop_requested = true; }

constexpr std::size_t kDryRunShown = 20;

// Bounds on the operator's list files, which are read whole before the scan starts: far above any real list,
// yet a mistake (a log file, /dev/zero) is refused in a moment instead of filling memory. Every password is
// tried on every locked file, so a list longer than this would mostly burn --file-timeout.
constexpr std::uint64_t kMaxListFileBytes = 1 << 20;
constexpr std::size_t kMaxListFileLines = 10'000;

std::vector<std::string> read_lines(const std::string& path, const std::string& flag) {
    std::string content;
    try {
        content = scanner::read_operator_file(path, kMaxListFileBytes);
    } catch (const scanner::InputFileError& e) {
        throw UsageError(flag + " " + path + ": " + e.what());
    }
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < content.size()) {
        std::size_t end = content.find('\n', start);
        if (end == std::string::npos) end = content.size();
        std::string line = content.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        lines.push_back(std::move(line));
        if (lines.size() > kMaxListFileLines)
            throw UsageError(flag + " " + path + ": more than " + std::to_string(kMaxListFileLines) + " lines");
        start = end + 1;
    }
    return lines;
}

// Stores results in batches, one transaction each: at most every half second, so a crash loses at most that
// much work, and at most kMaxItems at a time, which bounds the memory held (a few MiB of certificates). Each
// commit rewrites the last pages of every index, so fewer, larger batches store a fast scan faster
// (bench/inventory: 4,096 rather than 512 saved a tenth of the ingest time).
template <typename Item>
class Batcher {
public:
    static constexpr std::size_t kMaxItems = 4096;
    explicit Batcher(std::function<void(const std::vector<Item>&)> store) : store_(std::move(store)) {}
    void add(Item&& item) {
        batch_.push_back(std::move(item));
        const auto now = std::chrono::steady_clock::now();
        if (batch_.size() >= kMaxItems || now - last_flush_ > std::chrono::milliseconds(500)) flush();
    }
    void flush() {
        if (!batch_.empty()) store_(batch_);
        batch_.clear();
        last_flush_ = std::chrono::steady_clock::now();
    }

private:
    std::function<void(const std::vector<Item>&)> store_;
    std::vector<Item> batch_;
    std::chrono::steady_clock::time_point last_flush_ = std::chrono::steady_clock::now();
};

// Each probe in flight holds a socket. The soft descriptor limit (often 1024) is raised to the hard one, and the
// concurrency lowered to fit what is left, so no probe fails with EMFILE and is misreported as a closed port.
unsigned fit_concurrency_to_descriptors(unsigned wanted) {
    constexpr rlim_t kReserved = 128;  // the database, the decoder threads' files, the resolver
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return wanted;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
        ::getrlimit(RLIMIT_NOFILE, &limit);
    }
    if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur > wanted + kReserved) return wanted;
    const unsigned fitted = limit.rlim_cur > kReserved * 2 ? static_cast<unsigned>(limit.rlim_cur - kReserved) : 64;
    std::cerr << "certfleet: --concurrency " << wanted << " lowered to " << fitted << ": the open-files limit is "
              << limit.rlim_cur << "\n";
    return fitted;
}

std::optional<scanner::WalkOptions> plan_files(const ScanOptions& options) {
    scanner::WalkOptions walk;
    // Absolute paths, so the inventory names a file the same way whichever directory a scan ran from.
    for (const auto& file : options.files) {
        std::string absolute = std::filesystem::absolute(file).lexically_normal().string();
        while (absolute.size() > 1 && absolute.ends_with('/')) absolute.pop_back();
        walk.roots.push_back(absolute);
    }
    if (options.system_dirs) {
        for (const auto& dir : system_certificate_dirs())
            if (std::filesystem::is_directory(dir)) walk.roots.push_back(dir);
        if (walk.roots.empty()) std::cerr << "certfleet: none of the usual certificate directories exists here\n";
    }
    if (walk.roots.empty()) return std::nullopt;
    walk.exclude_globs = options.exclude_paths;
    walk.max_file_size = options.max_file_size;
    walk.decoder_threads = options.threads;
    walk.max_kdf_iterations = options.max_kdf_iterations;
    walk.file_time_limit = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::duration<double>(options.file_timeout_seconds));
    if (!options.password_file.empty()) walk.passwords = read_lines(options.password_file, "--password-file");
    return walk;
}

struct NetworkPlan {
    std::vector<std::string> specs;
    std::vector<std::uint16_t> ports;
    scanner::TargetSet targets;
    scanner::NetworkScanOptions options;
    scanner::TrustOptions trust;
    // This shard's targets times the --sni names: what kLargeScanProbes measures. A host name counts once, though
    // it is probed on every address it resolves to, which is not known before the scan.
    std::uint64_t probes = 0;
};

// 16777216 -> "16,777,216"
std::string grouped(std::uint64_t number) {
    const std::string digits = std::to_string(number);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

std::string about_duration(double seconds) {
    char text[48];
    if (seconds < 90) std::snprintf(text, sizeof text, "about %.0f seconds", seconds);
    else if (seconds < 90 * 60) std::snprintf(text, sizeof text, "about %.0f minutes", seconds / 60);
    else if (seconds < 24 * 3600) std::snprintf(text, sizeof text, "about %.1f hours", seconds / 3600);
    else if (seconds < 365 * 86400) std::snprintf(text, sizeof text, "about %.1f days", seconds / 86400);
    else std::snprintf(text, sizeof text, "about %.1f years", seconds / (365.25 * 86400));
    return text;
}

// "16,777,216 targets at 1,000/s: about 4.7 hours"
std::string size_and_duration(const NetworkPlan& plan) {
    std::string text = grouped(plan.probes);
    if (plan.options.sni_names.size() > 1)
        text += " probes (" + grouped(plan.targets.shard_size(plan.options.shard)) +
                " targets, IP targets once per --sni name)";
    else
        text += " targets";
    const double rate = plan.options.rate;
    if (rate <= 0) return text + " with no rate limit";
    char fractional[32];
    std::snprintf(fractional, sizeof fractional, "%g", rate);
    const bool whole = rate == std::floor(rate) && rate < 1e15;
    return text + " at " + (whole ? grouped(static_cast<std::uint64_t>(rate)) : fractional) + "/s: " +
           about_duration(static_cast<double>(plan.probes) / rate);
}

// Called before anything is sent or the inventory is opened: a scan bigger than asked for stops here.
void confirm_size(const NetworkPlan& plan, const ScanOptions& options) {
    if (options.yes) return;
    const std::uint64_t limit = options.max_targets.value_or(kLargeScanProbes);
    if (plan.probes <= limit) return;
    throw UsageError(size_and_duration(plan) + "; add --yes to go ahead" +
                     (options.max_targets ? ", or raise --max-targets " + grouped(limit)
                                          : " (a scan of over " + grouped(kLargeScanProbes) +
                                                " probes asks first; --max-targets N raises that)"));
}

std::optional<NetworkPlan> plan_network(const ScanOptions& options) {
    std::vector<std::string> specs = options.targets;
    std::vector<std::string> excludes = options.excludes;
    try {
        if (!options.targets_file.empty())
            for (auto& spec : scanner::read_target_file(options.targets_file)) specs.push_back(std::move(spec));
        if (!options.exclude_file.empty())
            for (auto& spec : scanner::read_exclude_file(options.exclude_file)) excludes.push_back(std::move(spec));
        if (options.localhost) specs.push_back("localhost");
        if (specs.empty()) return std::nullopt;

        std::vector<std::uint16_t> ports;
        if (options.ports.empty()) {
            ports.assign(scanner::kDefaultTlsPorts.begin(), scanner::kDefaultTlsPorts.end());
            ports.insert(ports.end(), scanner::kDefaultStartTlsPorts.begin(), scanner::kDefaultStartTlsPorts.end());
            std::sort(ports.begin(), ports.end());
        } else {
            ports = scanner::parse_ports(options.ports);
        }
        // Every bad target is reported at once, and before anything is sent.
        if (const auto errors = scanner::validate_all(specs, ports, excludes); !errors.empty()) {
            std::string message;
            for (const auto& e : errors) message += (message.empty() ? "" : "\n  ") + e;
            throw UsageError(message);
        }
        NetworkPlan plan{specs, ports, scanner::TargetSet::parse(specs, ports, excludes), {}, {}};
        auto& o = plan.options;
        o.concurrency = fit_concurrency_to_descriptors(options.concurrency);
        o.max_per_host = options.max_per_host;
        o.retries = options.retries;
        const auto ms = [&](unsigned v) { return std::chrono::milliseconds(v ? v : options.timeout_ms); };
        o.timeouts = {ms(options.timeout_ms), ms(options.connect_timeout_ms), ms(options.starttls_timeout_ms),
                      ms(options.handshake_timeout_ms)};
        o.sni_names = options.sni_names;
        if (!options.sni_file.empty())
            for (auto& line : read_lines(options.sni_file, "--sni-file"))
                if (!line.empty() && line[0] != '#') o.sni_names.push_back(line);
        if (!options.starttls.empty()) {
            o.starttls = parse_enum<StartTls>(options.starttls);
            if (!o.starttls) throw UsageError("--starttls " + options.starttls + ": unknown protocol");
        }
        if (!options.shard.empty()) o.shard = scanner::parse_shard(options.shard);
        if (options.seed) o.seed = *options.seed;
        const std::uint64_t targets = plan.targets.shard_size(o.shard);
        const std::uint64_t names = std::max<std::size_t>(1, o.sni_names.size());
        plan.probes = targets > UINT64_MAX / names ? UINT64_MAX : targets * names;
        o.rate = options.rate.value_or(plan.probes > kLargeScanProbes ? kLargeScanRate : 0);
        plan.trust = {!options.no_system_trust, options.trust};
        return plan;
    } catch (const scanner::TargetError& e) {
        throw UsageError(e.what());
    }
}

// What the user may not expect of the plan: "never probed: 224.0.0.0/4 (multicast): 268,435,456 addresses,
// 268,435,456 targets", one line per blocked range, and the pace a large scan gets by default.
void print_plan_notes(std::ostream& out, const NetworkPlan& plan, const ScanOptions& options,
                      const std::string& prefix) {
    for (const auto& blocked : plan.targets.blocked())
        out << prefix << "never probed: " << blocked.range.block << " (" << blocked.range.reason
            << "): " << grouped(blocked.addresses) << " addresses, " << grouped(blocked.targets) << " targets\n";
    if (plan.probes > kLargeScanProbes && !options.rate)
        out << prefix << "rate: " << grouped(static_cast<std::uint64_t>(kLargeScanRate))
            << " new connections/s, the default for a scan of over " << grouped(kLargeScanProbes)
            << " probes (--rate changes it)\n";
}

int dry_run(const std::optional<scanner::WalkOptions>& files, const std::optional<NetworkPlan>& network,
            const ScanOptions& options) {
    if (files)
        for (const auto& root : files->roots) std::cout << "files " << report::visible_text(root) << "\n";
    if (network) {
        std::cout << network->targets.shard_size(network->options.shard) << " network targets";
        if (!network->options.sni_names.empty())
            std::cout << " (IP targets probed once per --sni name: " << network->options.sni_names.size() << ")";
        std::cout << "\n";
        print_plan_notes(std::cout, *network, options, "");
        try {
            confirm_size(*network, options);
        } catch (const UsageError& refusal) {
            std::cout << "without --dry-run, refused: " << refusal.what() << "\n";
        }
        auto cursor = network->targets.iterate(network->options.seed, network->options.shard);
        for (std::size_t i = 0; i < kDryRunShown; ++i) {
            auto target = cursor.next();
            if (!target) break;
            const bool v6 = !target->is_name && target->address.find(':') != std::string::npos;
            std::cout << "  " << (v6 ? "[" + target->address + "]" : target->address) << ":" << target->port << "\n";
        }
    }
    return kExitOk;
}

// Described chain certificates by sha256: the same certificate on thousands of endpoints is described once, from
// the certificate the handshake parsed.
class ChainCertificates {
public:
    std::vector<ChainCertificate> parse(const scanner::PresentedChain& chain) {
        if (known_.size() > 100'000) known_.clear();
        std::vector<ChainCertificate> out;
        for (std::size_t i = 0; i < chain.size(); ++i) {
            const Bytes& der = chain.der()[i];
            const std::string sha256 = sha256_hex(der);
            auto it = known_.find(sha256);
            if (it == known_.end()) {
                try {
                    it = known_.emplace(sha256, ChainCertificate{std::make_shared<const CertInfo>(chain.describe(i)),
                                                                 std::make_shared<const Bytes>(der)})
                             .first;
                } catch (const CertificateParseError&) {
                    continue;  // the verdict reports a chain whose certificates do not parse
                }
            }
            out.push_back(it->second);
        }
        return out;
    }

private:
    std::unordered_map<std::string, ChainCertificate> known_;
};

EndpointObservationRecord to_record(scanner::EndpointObservation&& o, scanner::ChainVerifier& verifier,
                                    ChainCertificates& certificates) {
    EndpointObservationRecord record;
    EndpointFacts& f = record.facts;
    f.host = std::move(o.host);
    f.address = std::move(o.address);
    f.port = o.port;
    f.server_name = std::move(o.server_name);
    f.status = o.status;
    f.detail = std::move(o.detail);
    f.starttls = o.starttls;
    f.tls_version = std::move(o.tls_version);
    f.cipher = std::move(o.cipher);
    f.ocsp_stapled = o.ocsp_stapled;
    f.elapsed_ms = o.elapsed_ms;
    if (o.status == EndpointStatus::tls) {
        f.verdict = verifier.verify(o.chain, f.server_name.empty() ? f.address : f.server_name);
        record.chain = certificates.parse(o.chain);
    }
    return record;
}

// The file an input's observations came from: every sighting, key and event of one input names the same path.
const std::string& file_path_of(const FileObservations& obs) {
    static const std::string none;
    if (!obs.certificates.empty()) return obs.certificates.front().location.path;
    if (!obs.keys.empty()) return obs.keys.front().path;
    if (!obs.events.empty()) return obs.events.front().location;
    return none;
}

}  // namespace

const std::vector<std::string>& system_certificate_dirs() {
    static const std::vector<std::string> dirs{
        "/etc/ssl",          "/etc/pki",           "/usr/local/share/ca-certificates", "/usr/share/ca-certificates",
        "/etc/ca-certificates", "/etc/kubernetes/pki", "/var/lib/kubelet/pki",          "/etc/letsencrypt",
        "/etc/docker/certs.d",  "/etc/containerd/certs.d", "/etc/nginx",                "/etc/apache2",
        "/etc/httpd",        "/etc/haproxy",       "/etc/postfix",                    "/etc/dovecot",
        "/etc/openvpn",      "/etc/ipsec.d",
    };
    return dirs;
}

int run_scan(const ScanOptions& options, const std::string& db_path) {
    // First thing: a Ctrl-C that comes while the inventory is being opened must still end the scan cleanly.
    std::signal(SIGINT, request_stop);
    std::signal(SIGTERM, request_stop);
    const auto files = plan_files(options);
    const auto network = plan_network(options);
    if (!files && !network && !options.system_dirs)
        throw UsageError("nothing to scan: give TARGETs, --targets-file, --localhost, --files PATH or --system-dirs");
    if (options.dry_run) return dry_run(files, network, options);
    if (network) {
        confirm_size(*network, options);
        print_plan_notes(std::cerr, *network, options, "certfleet: ");
    }
    std::optional<scanner::ChainVerifier> verifier;
    try {
        if (network) verifier.emplace(network->trust);
    } catch (const scanner::TrustError& e) {
        throw UsageError(e.what());
    }

    Labels scan_labels;
    scanner::OwnerMap owners;
    try {
        for (const auto& text : options.labels) scan_labels.push_back(scanner::parse_label(text));
        if (!options.owner_map.empty()) owners = scanner::OwnerMap::read(options.owner_map);
    } catch (const scanner::LabelError& e) {
        throw UsageError(e.what());
    }
    // A rules file with a mistake is found before the scan, not after an hour of probing.
    const auto evaluate_rules = findings_evaluator(load_rules(options.rules));

    nlohmann::json parameters = nlohmann::json::object();
    if (!options.owner_map.empty()) parameters["owner_map"] = options.owner_map;
    if (files) {
        parameters["files"] = files->roots;
        parameters["exclude_paths"] = files->exclude_globs;
        parameters["max_file_size"] = files->max_file_size;
        parameters["password_file"] =
            options.password_file.empty() ? nlohmann::json() : nlohmann::json(options.password_file);
    }
    if (network) {
        parameters["targets"] = network->specs;
        parameters["ports"] = network->ports;
        parameters["sni"] = network->options.sni_names;
        parameters["trust_anchors"] = verifier->anchors();
        parameters["shard"] = std::to_string(network->options.shard.index + 1) + "/" +
                              std::to_string(network->options.shard.count);
    }
    const std::string kind = files && network ? "files+network" : network ? "network" : "files";
    auto inv = inventory::open_sqlite_inventory(db_path);
    inventory::ScanId scan = 0;
    std::uint64_t start_position = 0;
    std::string resume_key;
    if (network) {
        resume_key = nlohmann::json{{"targets", network->specs},       {"ports", network->ports},
                                    {"sni", network->options.sni_names}, {"shard", parameters["shard"]},
                                    {"seed", network->options.seed},
                                    {"starttls", options.starttls}}
                         .dump();
    }
    if (options.resume) {
        if (!network) throw UsageError("--resume continues a network scan: give the same targets as before");
        if (const auto found = inv->find_resumable(resume_key)) {
            std::tie(scan, start_position) = *found;
            inv->reopen_scan(scan);
            std::cerr << "certfleet: resuming scan " << scan << " at target " << start_position << "\n";
        } else {
            std::cerr << "certfleet: no interrupted scan of these targets to resume; starting a new one\n";
        }
    }
    // A root whose name is not UTF-8 is recorded with U+FFFD for the bytes that are not, rather than failing the scan.
    if (scan == 0)
        scan = inv->begin_scan(kind, parameters.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                               scan_labels);

    const auto started = std::chrono::steady_clock::now();
    ProgressLine progress(!options.no_progress && ::isatty(STDERR_FILENO));
    scanner::WalkStats file_stats;
    scanner::NetworkScanStats network_stats;
    std::string summary;
    try {
        if (files) {
            Batcher<FileObservations> writer([&](const std::vector<FileObservations>& b) { inv->record(scan, b); });
            file_stats = scanner::walk_files(
                *files,
                [&](FileObservations&& obs) {
                    if (!owners.empty()) obs.labels = owners.for_path(file_path_of(obs));
                    writer.add(std::move(obs));
                },
                [&](const scanner::WalkStats& s) {
                    progress.show([&] {
                        return "files: " + std::to_string(s.files_walked) + " read, " + std::to_string(s.certificates) +
                               " certificates, " + std::to_string(s.errors) + " errors";
                    });
                },
                g_stop_requested);
            writer.flush();
            summary += std::to_string(file_stats.files_walked) + " files read, " +
                       std::to_string(file_stats.certificates) + " certificates, " + std::to_string(file_stats.keys) +
                       " keys, " + std::to_string(file_stats.errors) + " errors, " +
                       std::to_string(file_stats.skipped) + " skipped";
        }
        if (network && !g_stop_requested) {
            verifier->add_known_intermediates(inv->intermediate_certificates());
            const std::uint64_t total = network->targets.shard_size(network->options.shard);
            ChainCertificates certificates;
            // Stored with each batch: a position no later than the batch's own results, so a resumed scan never
            // skips a target whose result was lost with the process.
            std::uint64_t reached = start_position;
            Batcher<EndpointObservationRecord> writer([&](const std::vector<EndpointObservationRecord>& b) {
                inv->record_endpoints(scan, b);
                inv->record_progress(scan, resume_key, reached);
            });
            scanner::NetworkScanOptions probe_options = network->options;
            probe_options.start_position = start_position;
            network_stats = scanner::run_network_scan(
                network->targets, probe_options,
                [&](scanner::EndpointObservation&& o) {
                    auto record = to_record(std::move(o), *verifier, certificates);
                    const auto& f = record.facts;
                    if (!owners.empty()) record.labels = owners.for_endpoint(f.host, f.address, f.server_name);
                    writer.add(std::move(record));
                },
                [&](const scanner::NetworkScanStats& s) {
                    reached = s.position;
                    progress.show([&] {
                        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
                        const double rate = seconds > 0 ? s.targets_done / seconds : 0;
                        const double eta = rate > 0 ? (total - s.targets_done) / rate : 0;
                        return "network: " + std::to_string(s.targets_done) + "/" + std::to_string(total) + " targets, " +
                               std::to_string(static_cast<long long>(rate)) + "/s, " +
                               std::to_string(s.count(EndpointStatus::tls) +
                                              s.count(EndpointStatus::not_tls) +
                                              s.count(EndpointStatus::handshake_failed)) + " open, " +
                               std::to_string(s.count(EndpointStatus::tls)) + " TLS, ETA " +
                               std::to_string(static_cast<long long>(eta)) + "s";
                    });
                },
                g_stop_requested);
            writer.flush();
            inv->record_progress(scan, resume_key, network_stats.position);
            summary += std::string(summary.empty() ? "" : "; ") + std::to_string(network_stats.targets_done) + "/" +
                       std::to_string(total) + " targets, " + std::to_string(network_stats.probes) + " probes: ";
            for (const auto& [status, name] : kEndpointStatusNames)
                summary += std::string(status == kEndpointStatusNames.front().value ? "" : ", ") +
                           std::to_string(network_stats.count(status)) + " " + name;
        }
    } catch (const std::exception& e) {
        progress.clear();
        std::cerr << "certfleet: scan " << scan << " failed: " << report::visible_text(e.what()) << "\n";
        try {
            inv->finish_scan(scan, inventory::ScanStatus::failed, {});
        } catch (const std::exception&) {
            // The database is what failed; the scan stays 'running' and the next scan marks it interrupted.
        }
        return kExitFailure;
    }
    progress.clear();

    const bool interrupted = g_stop_requested.load();
    const inventory::ScanCounts counts{file_stats.files_walked, file_stats.skipped, file_stats.certificates,
                                       file_stats.keys,         file_stats.errors,  file_stats.notes};
    if (interrupted) {
        inv->finish_scan(scan, inventory::ScanStatus::interrupted, counts);
    } else {
        // The findings are stored in the transaction that completes the scan: a scan is never complete without them.
        std::optional<std::size_t> findings;
        std::string rules_error;
        inv->finish_scan(scan, inventory::ScanStatus::complete, counts,
                         [&](inventory::InventoryQueries& queries, inventory::ScanId id) {
                             try {
                                 auto found = evaluate_rules(queries, id);
                                 findings = found.size();
                                 return found;
                             } catch (const std::exception& e) {
                                 rules_error = e.what();
                                 return std::vector<Finding>{};
                             }
                         });
        if (findings)
            summary += "; " + std::to_string(*findings) + " findings";
        else  // The scan is stored whatever the rules say; `certfleet check` can evaluate it again.
            std::cerr << "certfleet: scan " << scan << ": rules not evaluated: " << report::visible_text(rules_error)
                      << "\n";
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    char elapsed[32];
    std::snprintf(elapsed, sizeof elapsed, "%.1fs", seconds);
    std::cerr << "certfleet: scan " << scan << (interrupted ? " interrupted" : " complete") << ": " << summary
              << " in " << elapsed << " -> " << report::visible_text(db_path) << "\n";
    return interrupted ? kExitInterrupted : kExitOk;
}

}  // namespace certfleet::app
