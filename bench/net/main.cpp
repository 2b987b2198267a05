// bench/net: how fast `certfleet scan` probes a network, against a loopback test fleet, judged against figures
// measured on the same machine in the same run — OpenSSL's own speed for the public-key operations a handshake
// cannot avoid, and peer tools on the same endpoints — so the verdicts mean the same on a fast laptop and a slow
// CI box.
//
// Every packet stays on this machine, inside 127.0.0.0/8: the fleet listens on 127.67.0.0/16 (TLS) and
// 127.69.0.0/24 (tarpits), and the closed-port sweep knocks on 127.68.0.0/16, where nothing listens. The fleet
// and every child have a deadline, so nothing outlives the benchmark for long even if it is killed.
#include "bench/net/certfleet_runs.hpp"

namespace {

using namespace certfleet::bench::net;

// ---------------------------------------------------------------------------------------------------------------
// A table whose header and rows share one set of column widths: the first column left-aligned, numbers right.
class Table {
public:
    explicit Table(const std::vector<std::string>& headings) {
        for (std::size_t i = 0; i < headings.size(); ++i)
            widths_.push_back(std::max<std::size_t>(headings[i].size(), i == 0 ? 6 : 8));
        row(headings);
    }
    void row(const std::vector<std::string>& cells) const {
        std::string line;
        for (std::size_t i = 0; i < cells.size() && i < widths_.size(); ++i) {
            const std::string pad(widths_[i] > cells[i].size() ? widths_[i] - cells[i].size() : 0, ' ');
            line += i == 0 ? cells[i] + pad : "  " + pad + cells[i];
        }
        std::cout << line << "\n" << std::flush;
    }

private:
    std::vector<std::size_t> widths_;
};

std::string fixed(double value, int decimals) { return format("%.*f", decimals, value); }

struct Verdict {
    std::string figure, value, target;
    std::optional<bool> pass;  // none: a figure or comparison without a target
};

// Other work on the machine slows certfleet and the fleet, so a busy machine makes every figure look worse.
void note_others(const std::vector<double>& others) {
    if (const double busy = median(others); busy > 0.25)
        std::cout << format("note: other processes kept %.2f of %u cores busy (median): these figures are "
                            "pessimistic\n",
                            busy, std::thread::hardware_concurrency());
}

struct Context {
    const Options& options;
    Launcher& launcher;
    const ScratchDir& scratch;
    const Pki& pki;
    const Certfleet& certfleet;
    pid_t fleet;
    std::vector<std::string> trust;  // what every scan of the fleet's TLS endpoints adds to its targets
    double floor_us;
    std::vector<Verdict> verdicts;
    double subset_wall = 0;  // certfleet on the 100 TLS endpoints: what the peers are compared with

    std::vector<std::string> with_trust(std::vector<std::string> arguments) const {
        arguments.insert(arguments.end(), trust.begin(), trust.end());
        return arguments;
    }
};

// 1 and 2: certificates grabbed per second, and the client's CPU per grab against the crypto floor.
void grabs(Context& c) {
    const unsigned n = c.options.endpoints;
    const std::string range = address_range(kFirstTlsAddress, n);
    std::cout << "1-2. grab " << n << " certificates: certfleet scan " << range << " --ports " << kTlsPort
              << " --trust root.pem --no-system-trust\n";
    const Table table({"run", "wall s", "grabs/s", "client cpu s", "us/grab", "x floor", "fleet cpu s",
                       "fleet us/grab", "RSS MiB", "others"});
    std::vector<double> walls, cpus, fleet_cpus, rss, others;
    Scan last;
    for (unsigned i = 1; i <= c.options.runs; ++i) {
        last = c.certfleet.scan("grab", c.with_trust({range}));
        expect(last, "grab scan", only_tls(n));
        const ChildRun& r = last.child;
        walls.push_back(r.wall);
        cpus.push_back(r.cpu);
        fleet_cpus.push_back(r.fleet_cpu);
        rss.push_back(r.rss_mib);
        others.push_back(r.others / r.wall);
        const double us = r.cpu / n * 1e6;
        table.row({std::to_string(i), fixed(r.wall, 3), fixed(n / r.wall, 0), fixed(r.cpu, 3), fixed(us, 0),
                   fixed(us / c.floor_us, 2), fixed(r.fleet_cpu, 3), fixed(r.fleet_cpu / n * 1e6, 0),
                   fixed(r.rss_mib, 1), fixed(others.back(), 2)});
    }
    const double wall = median(walls), us = median(cpus) / n * 1e6, fleet_us = median(fleet_cpus) / n * 1e6;
    table.row({"median", fixed(wall, 3), fixed(n / wall, 0), fixed(median(cpus), 3), fixed(us, 0),
               fixed(us / c.floor_us, 2), fixed(median(fleet_cpus), 3), fixed(fleet_us, 0), fixed(median(rss), 1)});
    print_notices(last);
    note_others(others);

    // The last run's JSON report: every endpoint's own leaf, the intermediate, and a verified verdict.
    const auto report = c.certfleet.report(last.db);
    std::set<std::string> leaves;
    std::size_t verified = 0, two_certificates = 0;
    for (const auto& e : report.at("endpoints")) {
        const auto& chain = e.at("chain");
        if (chain.size() == 2 && chain[1] == c.pki.intermediate.sha256()) ++two_certificates;
        if (!chain.empty()) leaves.insert(chain[0].get<std::string>());
        if (e.at("verified") == true) ++verified;
    }
    const bool ok = leaves == c.pki.leaves && verified == n && two_certificates == n;
    std::cout << format("check: %zu distinct leaves (%zu served), %zu chains of leaf + intermediate, %zu verified  "
                        "%s\n\n",
                        leaves.size(), c.pki.leaves.size(), two_certificates, verified, ok ? "ok" : "MISMATCH");
    if (!ok) die("the grab scan's report does not match what the fleet serves");

    c.verdicts.push_back({"certificates grabbed per second", format("%.0f grabs/s", n / wall),
                          format("%u TLS endpoints in %.3f s", n, wall), std::nullopt});
    c.verdicts.push_back({"client CPU per grab", format("%.0f us = %.2fx floor", us, us / c.floor_us),
                          format("<= %.1fx floor (%.0f us)", kTargetCpuRatio, c.floor_us),
                          us / c.floor_us <= kTargetCpuRatio});
    c.verdicts.push_back({"fleet server CPU per grab", format("%.0f us", fleet_us), "information, not a target",
                          std::nullopt});
}

// 3: the closed-port sweep.
void sweep(Context& c) {
    const Options& o = c.options;
    std::cout << "3. closed-port sweep: certfleet scan " << o.sweep << " --ports " << kClosedPort
              << " --concurrency 2048 --timeout-ms 2000\n";
    const Table table({"run", "wall s", "probes", "probes/s", "cpu s", "RSS MiB", "others"});
    std::vector<double> walls, rss, others;
    Scan last;
    for (unsigned i = 1; i <= o.runs; ++i) {
        last = c.certfleet.scan("sweep", {o.sweep, "--ports", std::to_string(kClosedPort), "--concurrency", "2048",
                                          "--timeout-ms", "2000"});
        expect(last, "closed-port sweep", NetSummary{o.sweep_targets, o.sweep_targets, 0, o.sweep_targets, 0, 0, 0, 0});
        const ChildRun& r = last.child;
        walls.push_back(r.wall);
        rss.push_back(r.rss_mib);
        others.push_back(r.others / r.wall);
        table.row({std::to_string(i), fixed(r.wall, 3), grouped(o.sweep_targets), fixed(o.sweep_targets / r.wall, 0),
                   fixed(r.cpu, 3), fixed(r.rss_mib, 1), fixed(others.back(), 2)});
    }
    const double rate = static_cast<double>(o.sweep_targets) / median(walls);
    table.row({"median", fixed(median(walls), 3), grouped(o.sweep_targets), fixed(rate, 0), "", fixed(median(rss), 1)});
    print_notices(last);
    note_others(others);

    // Statuses alone cannot tell refused from starved: a probe that runs out of descriptors also ends "closed".
    const auto report = c.certfleet.report(last.db);
    std::map<std::string, std::size_t> details;
    for (const auto& e : report.at("endpoints")) {
        const auto& detail = e.at("detail");
        ++details[e.at("status").get<std::string>() + ": " +
                  (detail.is_string() ? detail.get<std::string>() : std::string("(no detail)"))];
    }
    std::cout << "check: the last run's endpoints by status and detail:\n";
    std::size_t starved = 0;
    for (const auto& [detail, count] : details) {
        std::cout << format("  %9s  %s\n", grouped(count).c_str(), detail.c_str());
        if (detail.find("Too many open files") != std::string::npos) starved += count;
    }
    std::cout << "\n";
    if (starved > 0)
        die(grouped(starved) + " probes failed with EMFILE (too many open files) at --concurrency 2048, not on a "
                               "refused port");
    c.verdicts.push_back({"closed-port sweep", grouped(static_cast<std::uint64_t>(std::llround(rate))) + " probes/s",
                          ">= " + grouped(static_cast<std::uint64_t>(kTargetSweepRate)) + " probes/s",
                          rate >= kTargetSweepRate});
}

// 4: targets are a stream, so a dry run over a /8 should cost what one over a /22 costs.
void dry_runs(Context& c) {
    constexpr std::uint64_t kLarge = std::uint64_t{1} << 24, kSmall = 1024;
    std::cout << "4. dry runs: certfleet scan 10.0.0.0/8 (" << grouped(kLarge) << " targets) and 10.0.0.0/22 ("
              << grouped(kSmall) << ") --ports 443 --dry-run\n";
    const Table table({"run", "/8 wall s", "/8 RSS MiB", "/22 wall s", "/22 RSS MiB"});
    std::vector<double> large_walls, small_walls, large_rss, small_rss;
    for (unsigned i = 1; i <= c.options.runs; ++i) {
        const ChildRun large = c.certfleet.dry_run("10.0.0.0/8", kLarge);
        const ChildRun small = c.certfleet.dry_run("10.0.0.0/22", kSmall);
        large_walls.push_back(large.wall);
        small_walls.push_back(small.wall);
        large_rss.push_back(large.rss_mib);
        small_rss.push_back(small.rss_mib);
        table.row({std::to_string(i), fixed(large.wall, 3), fixed(large.rss_mib, 1), fixed(small.wall, 3),
                   fixed(small.rss_mib, 1)});
    }
    // The target is on the worst run, not the median: a peak is a peak.
    const double worst = *std::max_element(large_rss.begin(), large_rss.end());
    table.row({"median", fixed(median(large_walls), 3), fixed(median(large_rss), 1), fixed(median(small_walls), 3),
               fixed(median(small_rss), 1)});
    std::cout << "\n";
    c.verdicts.push_back({"dry-run peak RSS, 16,777,216 tgts",
                          format("%.1f MiB (1,024 targets: %.1f)", worst, median(small_rss)),
                          format("<= %.0f MiB (largest of the runs)", kTargetDryRunRssMiB),
                          worst <= kTargetDryRunRssMiB});
}

// 5: what tarpits add: each should cost one timeout, paid concurrently with everything else.
void tarpits(Context& c) {
    const std::string subset = address_range(kFirstTlsAddress, kSubset);
    const std::string tarpits = address_range(kFirstTarpitAddress, kSubset);
    const std::string timeout = std::to_string(kTarpitTimeoutMs);
    std::cout << "5. tarpit cost: certfleet scan " << subset << " [" << tarpits << "] --timeout-ms " << timeout << "\n";
    const Table table({"run", "TLS only s", "with tarpits s", "difference s"});
    std::vector<double> tls_walls, tarpit_walls;
    for (unsigned i = 1; i <= c.options.runs; ++i) {
        const Scan only = c.certfleet.scan("subset", c.with_trust({subset, "--timeout-ms", timeout}));
        expect(only, "TLS-only scan", only_tls(kSubset));
        const Scan both = c.certfleet.scan("tarpits", c.with_trust({subset, tarpits, "--timeout-ms", timeout}));
        expect(both, "scan with tarpits", NetSummary{2 * kSubset, 2 * kSubset, kSubset, 0, kSubset, 0, 0, 0});
        tls_walls.push_back(only.child.wall);
        tarpit_walls.push_back(both.child.wall);
        table.row({std::to_string(i), fixed(only.child.wall, 3), fixed(both.child.wall, 3),
                   fixed(both.child.wall - only.child.wall, 3)});
    }
    const double tls = median(tls_walls), with_tarpits = median(tarpit_walls), cost = with_tarpits - tls;
    table.row({"median", fixed(tls, 3), fixed(with_tarpits, 3), fixed(cost, 3)});
    std::cout << "\n";
    c.verdicts.push_back({"tarpit cost, 100 tarpits", format("%.3f s (%.3f - %.3f)", cost, with_tarpits, tls),
                          format("<= %.1f s (one timeout)", kTargetTarpitCost), cost <= kTargetTarpitCost});
    c.verdicts.push_back({"certfleet on the 100 TLS endpoints", format("%.3f s", tls), "the peers' yardstick",
                          std::nullopt});
    c.subset_wall = tls;
}

// 6: peers on the same 100 TLS endpoints, as certfleet's wall time over theirs.
void peers(Context& c, const std::string& sh, const std::string& openssl, const std::optional<std::string>& nmap) {
    const std::string port = std::to_string(kTlsPort);
    std::cout << "6. peers on the " << kSubset << " TLS endpoints " << address_range(kFirstTlsAddress, kSubset) << "\n"
              << "   s_client: sequential `openssl s_client -connect ADDR:" << port << " -servername x </dev/null`\n";
    std::vector<std::string> s_client{
        sh, "-c", "for a; do \"$0\" s_client -connect \"$a:" + port + "\" -servername x </dev/null; done", openssl};
    for (unsigned i = 0; i < kSubset; ++i) s_client.push_back(address(kFirstTlsAddress + i));
    // nmap's own range syntax: the last octet from 1 to 100.
    const std::vector<std::string> nmap_command{nmap.value_or(""), "-Pn", "-n", "-p", port, "--script", "ssl-cert",
                                                address(kFirstTlsAddress) + "-" + std::to_string(kSubset)};
    if (nmap)
        std::cout << "   nmap:     nmap -Pn -n -p " << port << " --script ssl-cert " << nmap_command.back() << "\n";
    else
        std::cout << "   nmap: not available\n";

    const auto run_peer = [&](const std::vector<std::string>& command, const std::string& name,
                              std::string_view certificate_marker) {
        const ChildRun r = c.launcher.run(command, c.scratch / (name + ".out"), c.scratch / (name + ".err"), c.fleet);
        if (!succeeded(r))
            die(name + " failed (" + describe_status(r) + "): " + read_text(c.scratch / (name + ".err")));
        return std::pair{r.wall, occurrences(read_text(c.scratch / (name + ".out")), certificate_marker)};
    };
    std::vector<std::string> headings{"run", "s_client s", "certificates"};
    if (nmap) headings.insert(headings.end(), {"nmap s", "certificates"});
    const Table table(headings);
    std::vector<double> s_client_walls, nmap_walls;
    for (unsigned i = 1; i <= c.options.runs; ++i) {
        const auto [s_client_wall, s_client_seen] = run_peer(s_client, "s_client", "-----BEGIN CERTIFICATE-----");
        s_client_walls.push_back(s_client_wall);
        std::vector<std::string> cells{std::to_string(i), fixed(s_client_wall, 3), std::to_string(s_client_seen)};
        if (nmap) {
            const auto [nmap_wall, nmap_seen] = run_peer(nmap_command, "nmap", "ssl-cert: Subject");
            nmap_walls.push_back(nmap_wall);
            cells.insert(cells.end(), {fixed(nmap_wall, 3), std::to_string(nmap_seen)});
        }
        table.row(cells);
    }
    std::vector<std::string> cells{"median", fixed(median(s_client_walls), 3), ""};
    if (nmap) cells.push_back(fixed(median(nmap_walls), 3));
    table.row(cells);
    std::cout << "\n";

    const auto compare = [&](const std::string& peer, double peer_wall) {
        c.verdicts.push_back({"certfleet / " + peer, format("%.3f (wall time)", c.subset_wall / peer_wall),
                              format("%s %.3f s", peer.c_str(), peer_wall), std::nullopt});
    };
    compare("sequential s_client", median(s_client_walls));
    if (nmap)
        compare("nmap --script ssl-cert", median(nmap_walls));
    else
        c.verdicts.push_back({"certfleet / nmap", "nmap: not available", "", std::nullopt});
}

int run(const Options& o, Launcher& launcher) {
    if (::access(o.certfleet.c_str(), X_OK) != 0)
        die("--certfleet " + o.certfleet + ": not an executable file (build the certfleet target first)");
    const auto openssl = find_program("openssl");
    if (!openssl) die("openssl is not on PATH: it measures the crypto floor");
    const auto sh = find_program("sh");
    if (!sh) die("sh is not on PATH");

    ScratchDir scratch;
    std::cout << "bench/net: certfleet network scanning on a loopback test fleet, median of " << o.runs << "\n"
              << "certfleet          " << o.certfleet << " (" << std::thread::hardware_concurrency() << " cores)\n";
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    std::cout << "descriptors        children run with a soft limit of "
              << (limit.rlim_max == RLIM_INFINITY ? std::string("unlimited") : grouped(limit.rlim_max)) << "\n";

    auto started = Clock::now();
    const Pki pki = make_pki(o.endpoints);
    const fs::path root_pem = scratch / "root.pem";
    write_file(root_pem, pki.root.pem());
    const double generated = std::chrono::duration<double>(Clock::now() - started).count();
    started = Clock::now();
    // The fleet ends by itself well after the benchmark should have, should the benchmark be killed.
    TestFleet fleet(pki.endpoints, static_cast<int>(180 + 120 * o.runs));
    std::cout << format("fleet              %u TLS endpoints %s:%u (ECDSA P-256 leaf + intermediate, every leaf "
                        "distinct; made in %.1f s)\n"
                        "                   %u tarpits %s:%u; fleet PID %d, ready in %.1f s\n",
                        o.endpoints, address_range(kFirstTlsAddress, o.endpoints).c_str(), kTlsPort, generated,
                        kSubset, address_range(kFirstTarpitAddress, kSubset).c_str(), kTlsPort,
                        static_cast<int>(fleet.pid()), std::chrono::duration<double>(Clock::now() - started).count());

    const CryptoFloor floor = measure_floor(launcher, *openssl, scratch);
    const double floor_us = floor.per_grab() * 1e6;
    std::cout << format("crypto floor       %.1f us per grab = 1 X25519 (openssl speed: %.0f op/s) + 3 ECDSA P-256 "
                        "verifies (%.0f verify/s):\n"
                        "                   the TLS 1.3 CertificateVerify, and the leaf's and the intermediate's "
                        "signatures\n\n",
                        floor_us, floor.x25519_ops, floor.verify_ops)
              << std::flush;

    const Certfleet certfleet(o.certfleet, launcher, scratch, fleet.pid());
    Context context{o,           launcher,
                    scratch,     pki,
                    certfleet,   fleet.pid(),
                    {"--ports", std::to_string(kTlsPort), "--trust", root_pem.string(), "--no-system-trust"},
                    floor_us,    {}};
    grabs(context);
    sweep(context);
    dry_runs(context);
    tarpits(context);
    peers(context, *sh, *openssl, find_program("nmap"));

    std::cout << "summary (median of " << o.runs << ")\n";
    const Verdict heading{"figure", "value", "target / compared with", std::nullopt};
    std::size_t figure = heading.figure.size(), value = heading.value.size(), target = heading.target.size();
    for (const auto& v : context.verdicts) {
        figure = std::max(figure, v.figure.size());
        value = std::max(value, v.value.size());
        target = std::max(target, v.target.size());
    }
    const auto line = [&](const Verdict& v, const char* verdict) {
        std::cout << format("%-*s  %-*s  %-*s  %s\n", static_cast<int>(figure), v.figure.c_str(),
                            static_cast<int>(value), v.value.c_str(), static_cast<int>(target), v.target.c_str(),
                            verdict);
    };
    line(heading, "verdict");
    for (const auto& v : context.verdicts) line(v, v.pass ? (*v.pass ? "PASS" : "MISS") : "");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app{"bench/net: certfleet network scanning on a loopback test fleet: grabs/s, client CPU against the\n"
                 "crypto floor, closed-port sweep rate, dry-run memory, tarpit cost, and peers (openssl s_client,\n"
                 "nmap). Exits 0 whether or not the targets are met; non-zero when certfleet fails."};
    auto* runs = app.add_option("--runs", o.runs, "Timed runs of each measurement; medians are reported")
                     ->capture_default_str()
                     ->check(CLI::Range(1u, 100u));
    app.add_option("--certfleet", o.certfleet, "certfleet binary")->capture_default_str();
    app.add_flag("--quick", o.quick, "100 TLS endpoints, a /20 sweep, 1 run (unless --runs is given)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    if (o.quick) {
        o.endpoints = kSubset;
        o.sweep = "127.68.0.0/20";
        o.sweep_targets = 4096;
        if (!runs->count()) o.runs = 1;
    }
    // Output piped into `head` must not kill the benchmark before it stops the fleet and removes its files.
    ::signal(SIGPIPE, SIG_IGN);
    try {
        Launcher launcher;
        return run(o, launcher);
    } catch (const std::exception& e) {
        std::cerr << "bench_net: " << e.what() << "\n";
        return 1;
    }
}
