#include "pipeline/scan_plan.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/host_identity.hpp"
#include "core/suggestion.hpp"

namespace certfleet::pipeline {

namespace {

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
        throw UnreadableListError(flag, path, path + ": " + e.what());
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
            throw PlanError(flag + " " + path + ": more than " + std::to_string(kMaxListFileLines) + " lines");
        start = end + 1;
    }
    return lines;
}

// Each probe in flight holds a socket. The soft descriptor limit (often 1024) is raised to the hard one, and the
// concurrency lowered to fit what is left, so no probe fails with EMFILE and is misreported as a closed port.
unsigned fit_concurrency_to_descriptors(unsigned wanted, std::vector<std::string>& notes) {
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
    notes.push_back("--concurrency " + std::to_string(wanted) + " lowered to " + std::to_string(fitted) +
                    ": the open-files limit is " + std::to_string(limit.rlim_cur));
    return fitted;
}

// `--files` takes every word after it, so `scan --files /etc/ssl 10.0.0.5:443` makes the target a path that does
// not exist. An address or host:port in that place is refused with the fix; a plain missing name stays a path.
void refuse_target_given_as_path(const std::string& file) {
    std::error_code ignored;
    if (std::filesystem::exists(file, ignored)) return;
    const bool target_shaped = !file.empty() && (std::isdigit(static_cast<unsigned char>(file.front())) ||
                                                 file.front() == '[' || file.find(':') != std::string::npos);
    if (!target_shaped) return;
    try {
        scanner::TargetSet::parse({file}, {443}, {});
    } catch (const scanner::TargetError&) {
        return;
    }
    const std::string target = scanner::without_userinfo(file);
    throw PlanError("--files " + target + ": no such file or directory, and it reads as a scan target; --files takes "
                    "every word after it, so give targets first: certfleet scan " + target + " --files PATH");
}

// The mirror case: `scan c/srv` names a directory where a target goes. A word that names a file or directory here
// is refused with --files as the fix: as a target it is either no target at all, or a bare host name (`scan certs`
// in /etc/ssl) that a user far more likely meant as the directory. A name with a port, an address or a URL is a
// target whatever the working directory holds.
std::optional<std::string> path_given_as_target(const std::string& spec, const std::vector<std::uint16_t>& ports) {
    std::error_code error;
    const auto status = std::filesystem::status(spec, error);
    if (error || !std::filesystem::exists(status)) return std::nullopt;
    const char* kind = std::filesystem::is_directory(status) ? "a directory" : "a file";
    const std::string refused = "target '" + spec + "': " + spec + " is " + kind;
    try {
        scanner::TargetSet::parse({spec}, ports, {});
    } catch (const scanner::TargetError&) {
        return refused + ", not a network target: scan it with --files " + spec;
    }
    const bool bare_name = spec.find_first_of(":/[") == std::string::npos &&
                           spec.find_first_not_of("0123456789.-") != std::string::npos;
    if (!bare_name) return std::nullopt;
    return refused + " here: scan it with --files " + spec + ", or give " + spec + ":PORT to probe a host of that name";
}

// Every bad target at once, as TargetSet::parse gives them, with the arguments that name files or directories first.
scanner::TargetSet parse_targets(const std::vector<std::string>& specs, std::size_t arguments,
                                 const std::vector<std::uint16_t>& ports, const std::vector<std::string>& excludes) {
    std::vector<std::string> problems;
    std::vector<std::string> network_specs;
    for (std::size_t i = 0; i < specs.size(); ++i) {
        const auto path_problem = i < arguments ? path_given_as_target(specs[i], ports) : std::nullopt;
        if (path_problem)
            problems.push_back(*path_problem);
        else
            network_specs.push_back(specs[i]);
    }
    try {
        auto targets = scanner::TargetSet::parse(network_specs, ports, excludes);
        if (problems.empty()) return targets;
    } catch (const scanner::TargetError& e) {
        problems.insert(problems.end(), e.problems().begin(), e.problems().end());
    }
    throw scanner::TargetError(std::move(problems));
}

// A URL's user name and password are not needed to probe it, and are never stored with the scan.
std::vector<std::string> without_userinfo(const std::vector<std::string>& specs) {
    std::vector<std::string> stripped;
    for (const auto& spec : specs) stripped.push_back(scanner::without_userinfo(spec));
    return stripped;
}

std::optional<scanner::WalkOptions> plan_files(const ScanRequest& request, std::vector<std::string>& notes) {
    scanner::WalkOptions walk;
    // Absolute paths, so the inventory names a file the same way whichever directory a scan ran from.
    for (const auto& file : request.files) {
        refuse_target_given_as_path(file);
        std::string absolute = std::filesystem::absolute(file).lexically_normal().string();
        while (absolute.size() > 1 && absolute.ends_with('/')) absolute.pop_back();
        walk.roots.push_back(absolute);
    }
    if (request.system_dirs) {
        for (const auto& dir : system_certificate_dirs())
            if (std::filesystem::is_directory(dir)) walk.roots.push_back(dir);
        if (walk.roots.empty()) notes.emplace_back("none of the usual certificate directories exists here");
    }
    if (walk.roots.empty()) return std::nullopt;
    walk.exclude_globs = request.exclude_paths;
    walk.max_file_size = request.max_file_size;
    walk.decoder_threads = request.threads;
    walk.max_kdf_iterations = request.max_kdf_iterations;
    walk.file_time_limit = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::duration<double>(request.file_timeout_seconds));
    if (!request.password_file.empty()) walk.passwords = read_lines(request.password_file, "--password-file");
    return walk;
}

std::vector<std::uint16_t> ports_to_probe(const std::string& ports) {
    return ports.empty() ? scanner::ports_on(scanner::PortList::default_ports) : scanner::parse_ports(ports);
}

// "The same targets" as the user names them: the arguments and the targets file by its path (its lines may
// change: a host dropped from it is gone), the shard, and the site (the same addresses elsewhere are other
// endpoints). Ports and names are left out, so a port or name no longer probed is gone too.
std::string target_set_of(const ScanRequest& request, const scanner::Shard& shard, const std::string& site) {
    const std::string file =
        request.targets_file.empty() ? "" : std::filesystem::absolute(request.targets_file).lexically_normal().string();
    nlohmann::json set{{"targets", without_userinfo(request.targets)},
                       {"targets_file", file},
                       {"localhost", request.localhost},
                       {"shard", std::to_string(shard.index + 1) + "/" + std::to_string(shard.count)}};
    if (!site.empty()) set["site"] = site;
    return set.dump();
}

std::optional<NetworkPlan> plan_network(const ScanRequest& request, const std::string& site,
                                        std::vector<std::string>& notes) {
    std::vector<std::string> specs = without_userinfo(request.targets);
    std::vector<std::string> excludes = request.excludes;
    try {
        if (!request.targets_file.empty())
            for (auto& spec : scanner::read_target_file(request.targets_file))
                specs.push_back(scanner::without_userinfo(spec));
    } catch (const scanner::TargetFileError& e) {
        throw UnreadableListError("--targets-file", request.targets_file, e.what());
    }
    try {
        if (!request.exclude_file.empty())
            for (auto& spec : scanner::read_exclude_file(request.exclude_file)) excludes.push_back(std::move(spec));
    } catch (const scanner::TargetFileError& e) {
        throw UnreadableListError("--exclude-file", request.exclude_file, e.what());
    }
    if (request.localhost) specs.push_back("localhost");
    if (specs.empty()) return std::nullopt;

    auto ports = ports_to_probe(request.ports);
    auto targets = parse_targets(specs, request.targets.size(), ports, excludes);
    NetworkPlan plan{std::move(specs), std::move(ports), std::move(targets), {}, {}, 0, false, {}};
    auto& o = plan.options;
    o.concurrency = fit_concurrency_to_descriptors(request.concurrency, notes);
    o.max_per_host = request.max_per_host;
    o.retries = request.retries;
    o.probe_hybrid_groups = !request.no_hybrid_probe;
    const auto ms = [&](unsigned v) { return std::chrono::milliseconds(v ? v : request.timeout_ms); };
    o.timeouts = {ms(request.timeout_ms), ms(request.connect_timeout_ms), ms(request.starttls_timeout_ms),
                  ms(request.handshake_timeout_ms)};
    o.sni_names = request.sni_names;
    if (!request.sni_file.empty())
        for (auto& line : read_lines(request.sni_file, "--sni-file"))
            if (!line.empty() && line[0] != '#') o.sni_names.push_back(line);
    if (!request.starttls.empty()) {
        o.starttls = parse_enum<StartTls>(request.starttls);
        const auto known = names_of<StartTls>();
        if (!o.starttls)
            throw PlanError("--starttls " + request.starttls + ": unknown protocol" + suggestion(request.starttls, known) +
                            "; the protocols are " + joined(known));
    }
    if (!request.shard.empty()) o.shard = scanner::parse_shard(request.shard);
    if (request.seed) o.seed = *request.seed;
    plan.target_set = target_set_of(request, o.shard, site);
    const std::uint64_t targets_in_shard = plan.shard_targets();
    const std::uint64_t names = std::max<std::size_t>(1, o.sni_names.size());
    plan.probes = targets_in_shard > UINT64_MAX / names ? UINT64_MAX : targets_in_shard * names;
    plan.default_rate = !request.rate && plan.probes > kLargeScanProbes;
    o.rate = request.rate.value_or(plan.default_rate ? kLargeScanRate : 0);
    plan.trust = {!request.no_system_trust, request.trust, request.public_roots};
    return plan;
}

// The machine a scan's files are on: --host (a mounted image or a copied tree is of the host it came from), else
// a "host" label the user gave them, else this one.
std::string files_host(const ScanRequest& request, const Labels& labels, bool scans_files) {
    if (!request.host.empty() && !scans_files)
        throw PlanError("--host " + request.host + ": it names the machine the files are on; give --files PATH");
    std::string host = request.host;
    std::string given_as = "--host " + request.host;
    if (host.empty())
        for (const auto& label : labels)
            if (label.key == "host" && scans_files) host = label.value, given_as = "--label host=" + label.value;
    if (host.empty()) return this_host().name;
    if (const auto problem = host_name_problem(host))
        throw PlanError(given_as + ": not a host name (" + *problem + ")");
    return normalized_host_name(host);
}

// A run or site name is shown in reports and given again to later commands: printable, one line, of a sensible
// length.
std::string checked_name(const std::string& flag, const std::string& name) {
    constexpr std::size_t kLongest = 200;
    if (name.size() > kLongest)
        throw PlanError(flag + ": a name of " + std::to_string(name.size()) + " bytes is too long (at most " +
                        std::to_string(kLongest) + ")");
    for (const unsigned char c : name)
        if (c < 0x20 || c == 0x7f) throw PlanError(flag + ": control characters are not allowed in a name");
    if (!name.empty() && name.find_first_not_of(' ') == std::string::npos) throw PlanError(flag + ": the name is blank");
    return name;
}

// The network a scan's endpoints are in: --site (which also labels the scan site=NAME), else a "site" label the
// user gave the scan; empty for none.
std::string network_site(const ScanRequest& request, Labels& labels) {
    const auto label = std::find_if(labels.begin(), labels.end(), [](const Label& l) { return l.key == "site"; });
    if (request.site.empty()) return label == labels.end() ? "" : checked_name("--label site", label->value);
    if (label != labels.end() && label->value != request.site)
        throw PlanError("--site " + request.site + " and --label site=" + label->value +
                        " name two sites: give one of them");
    if (label == labels.end()) labels.push_back(Label{"site", request.site});
    return checked_name("--site", request.site);
}

}  // namespace

ScanPlan plan_scan(const ScanRequest& request) {
    ScanPlan plan;
    try {
        for (const auto& text : request.labels) plan.labels.push_back(parse_label(text));
        plan.site = network_site(request, plan.labels);
        plan.files = plan_files(request, plan.notes);
        plan.network = plan_network(request, plan.site, plan.notes);
        if (!request.owner_map.empty()) plan.owners = scanner::OwnerMap::read(request.owner_map);
        // A rules file with a mistake is found before the scan, not after an hour of probing.
        plan.rules = request.rules.empty() ? rules::builtin_policy() : rules::read_rules_file(request.rules);
    } catch (const scanner::TargetError& e) {
        throw PlanError(e.what());
    } catch (const LabelError& e) {
        throw PlanError(e.what());
    } catch (const rules::RulesError& e) {
        throw PlanError(e.what());
    }
    if (!plan.files && !plan.network && !request.system_dirs)
        throw PlanError("nothing to scan: give TARGETs, --targets-file, --localhost, --files PATH or --system-dirs");
    for (const auto* list : {&request.targets_file, &request.exclude_file, &request.sni_file, &request.password_file})
        if (!list->empty()) plan.list_files.push_back(*list);
    plan.host = files_host(request, plan.labels, plan.files.has_value() || request.system_dirs);
    plan.run = checked_name("--run", request.run);
    if (!request.site.empty() && !plan.network)
        throw PlanError("--site " + request.site + ": it names the network the TARGETs are probed from; give TARGETs, "
                        "--targets-file or --localhost");
    if (request.resume && !plan.network)
        throw PlanError("--resume continues a network scan: give the same targets as before");
    plan.resume = request.resume;
    plan.owner_map_file = request.owner_map;
    plan.password_file = request.password_file;
    plan.confirmation_limit = request.max_targets.value_or(kLargeScanProbes);
    plan.needs_confirmation = plan.network && !request.yes && plan.network->probes > plan.confirmation_limit;
    return plan;
}

std::pair<std::string, std::string> refused_scan_kind_and_parameters(const ScanRequest& request,
                                                                     const UnreadableListError& error) {
    const bool network = !request.targets.empty() || !request.targets_file.empty() || request.localhost;
    const bool files = !request.files.empty() || request.system_dirs;
    nlohmann::json parameters{{"lists", {error.path()}}};
    if (!request.targets.empty()) parameters["targets"] = without_userinfo(request.targets);
    const std::string kind = files && network ? "files+network" : network ? "network" : "files";
    return {kind, parameters.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

std::string ScanPlan::kind() const { return files && network ? "files+network" : network ? "network" : "files"; }

std::string ScanPlan::parameters_json(std::size_t trust_anchors) const {
    nlohmann::json parameters = nlohmann::json::object();
    if (!owner_map_file.empty()) parameters["owner_map"] = owner_map_file;
    // Whose files these are, and which machine scanned (its name may change; its machine id does not).
    parameters["host"] = host;
    if (!list_files.empty()) parameters["lists"] = list_files;
    if (!run.empty()) parameters["run"] = run;
    parameters["scanner"] = {{"host", this_host().name}, {"machine_id", this_host().machine_id}};
    if (files) {
        parameters["files"] = files->roots;
        parameters["exclude_paths"] = files->exclude_globs;
        parameters["max_file_size"] = files->max_file_size;
        parameters["password_file"] = password_file.empty() ? nlohmann::json() : nlohmann::json(password_file);
    }
    if (network) {
        parameters["targets"] = network->specs;
        parameters["ports"] = network->ports;
        parameters["sni"] = network->options.sni_names;
        parameters["trust_anchors"] = trust_anchors;
        parameters["shard"] = std::to_string(network->options.shard.index + 1) + "/" +
                              std::to_string(network->options.shard.count);
        parameters["target_set"] = network->target_set;
        if (!site.empty()) parameters["site"] = site;
    }
    // A root whose name is not UTF-8 is recorded with U+FFFD for the bytes that are not, rather than failing the scan.
    return parameters.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

inventory::RunMembership ScanPlan::run_membership() const {
    if (run.empty()) return {};
    nlohmann::json slot{{"kind", kind()}, {"host", host}};
    if (files) slot["files"] = files->roots;
    inventory::RunMembership membership{run, "", 0, 0};
    if (network) {
        const auto& o = network->options;
        slot["targets"] = network->specs;
        slot["ports"] = network->ports;
        slot["sni"] = o.sni_names;
        slot["starttls"] = o.starttls ? to_string(*o.starttls) : "";
        slot["shard"] = std::to_string(o.shard.index + 1) + "/" + std::to_string(o.shard.count);
        if (!site.empty()) slot["site"] = site;
        if (o.shard.count > 1) {
            membership.shard = static_cast<int>(o.shard.index + 1);
            membership.shards = static_cast<int>(o.shard.count);
        }
    }
    membership.slot = slot.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return membership;
}

std::string ScanPlan::resume_key() const {
    if (!network) return {};
    const auto& o = network->options;
    nlohmann::json key{{"targets", network->specs},
                       {"ports", network->ports},
                       {"sni", o.sni_names},
                       {"shard", std::to_string(o.shard.index + 1) + "/" + std::to_string(o.shard.count)},
                       {"seed", o.seed},
                       {"starttls", o.starttls ? to_string(*o.starttls) : ""}};
    if (!site.empty()) key["site"] = site;
    return key.dump();
}

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

}  // namespace certfleet::pipeline
