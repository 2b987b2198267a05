// bench/net: how fast `certfleet scan` probes a network, against a loopback test fleet, judged against figures
// measured on the same machine in the same run — OpenSSL's own speed for the public-key operations a handshake
// cannot avoid, and peer tools on the same endpoints — so the verdicts mean the same on a fast laptop and a slow
// CI box.
//
// Every packet stays on this machine, inside 127.0.0.0/8: the fleet listens on 127.67.0.0/16 (TLS) and
// 127.69.0.0/24 (tarpits), and the closed-port sweep knocks on 127.68.0.0/16, where nothing listens. The fleet
// and every child have a deadline, so nothing outlives the benchmark for long even if it is killed.
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include "bench/bench_support.hpp"
#include "testkit/fleet/fleet_control.hpp"
#include "testkit/cert_factory.hpp"

namespace {

using namespace certfleet::testing;
using namespace certfleet::bench;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::uint16_t kTlsPort = 14443;
constexpr std::uint16_t kClosedPort = 9;
constexpr std::uint32_t kFirstTlsAddress = 0x7F430001;     // 127.67.0.1
constexpr std::uint32_t kFirstTarpitAddress = 0x7F450001;  // 127.69.0.1
constexpr unsigned kSubset = 100;  // TLS endpoints of the tarpit and peer comparisons; also the tarpit count
constexpr unsigned kTarpitTimeoutMs = 1000;
constexpr double kTargetCpuRatio = 2.0;
constexpr double kTargetSweepRate = 20'000;
constexpr double kTargetDryRunRssMiB = 64;
constexpr double kTargetTarpitCost = kTarpitTimeoutMs / 1000.0;
// For a child that does not talk to the fleet: no fleet CPU to measure meanwhile.
constexpr pid_t kNoFleet = -1;
// A hung child must not hang the benchmark; every child here normally ends within seconds.
constexpr std::chrono::seconds kChildDeadline{300};

struct Options {
    unsigned runs = 3;
    bool quick = false;
    std::string certfleet = CERTFLEET_BINARY;
    unsigned endpoints = 1000;
    std::string sweep = "127.68.0.0/16";
    std::uint64_t sweep_targets = 65'536;
};

// Every failure ends the benchmark, certfleet's included (a failed or hung child, or results other than what the
// fleet serves): the figures of a run that went wrong would mean nothing.
[[noreturn]] void die(const std::string& message) { throw std::runtime_error(message); }

__attribute__((format(printf, 1, 2))) std::string format(const char* pattern, ...) {
    std::va_list arguments;
    va_start(arguments, pattern);
    std::va_list again;
    va_copy(again, arguments);
    const int length = std::vsnprintf(nullptr, 0, pattern, arguments);
    va_end(arguments);
    std::string out(static_cast<std::size_t>(std::max(length, 0)), '\0');
    std::vsnprintf(out.data(), out.size() + 1, pattern, again);
    va_end(again);
    return out;
}

// 16777216 -> "16,777,216": the counts here are large enough that grouping is what makes them readable.
std::string grouped(std::uint64_t value) {
    std::string digits = std::to_string(value), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

std::string address(std::uint32_t value) {
    return format("%u.%u.%u.%u", value >> 24, (value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff);
}

std::string address_range(std::uint32_t first, unsigned count) {
    return address(first) + "-" + address(first + count - 1);
}



std::size_t occurrences(const std::string& text, std::string_view needle) {
    std::size_t count = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++count;
    return count;
}

// Children are started with execv, whose path must be resolved before fork.
std::optional<std::string> find_program(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        const fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------------------------------
// Running children.

struct ChildRun {
    int status = 0;
    bool timed_out = false;
    double wall = 0;       // seconds
    double cpu = 0;        // user + system seconds, including the child's own children
    double rss_mib = 0;    // peak resident set of the child (or of its largest child)
    double fleet_cpu = 0;  // CPU seconds the fleet spent serving meanwhile
    double others = 0;     // CPU seconds the rest of the machine used meanwhile
};


// A running process's user + system seconds; wait4 only reports a child's once it has exited, and the fleet
// serves every run.
double process_cpu_seconds(pid_t pid) {
    if (pid == kNoFleet) return 0;
    const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
    const auto paren = stat.rfind(')');  // the command name may hold spaces
    if (paren == std::string::npos) return 0;
    std::istringstream fields(stat.substr(paren + 2));
    // After the name come fields 3 (state) to 13; utime and stime are fields 14 and 15.
    std::string skipped;
    for (int i = 3; i <= 13; ++i) fields >> skipped;
    unsigned long long utime = 0, stime = 0;
    if (!(fields >> utime >> stime)) return 0;
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

ChildRun spawn_and_wait(const std::vector<std::string>& args, const std::string& out_path, const std::string& err_path,
                        pid_t fleet) {
    // Everything the child needs is prepared before fork: only async-signal-safe calls may follow it.
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);

    const double busy_before = machine_busy_seconds();
    const double fleet_before = process_cpu_seconds(fleet);
    const auto started = Clock::now();
    const pid_t pid = ::fork();
    if (pid < 0) die(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        const int i = ::open("/dev/null", O_RDONLY);
        const int o = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int e = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (i < 0 || o < 0 || e < 0 || ::dup2(i, STDIN_FILENO) < 0 || ::dup2(o, STDOUT_FILENO) < 0 ||
            ::dup2(e, STDERR_FILENO) < 0)
            ::_exit(126);
        // An ignored SIGPIPE survives exec; the s_client loop's shell must see the default.
        ::signal(SIGPIPE, SIG_DFL);
        // Every probe in flight is a descriptor: --concurrency 2048 needs more than the usual soft limit of 1024.
        rlimit limit{};
        if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
            limit.rlim_cur = limit.rlim_max;
            ::setrlimit(RLIMIT_NOFILE, &limit);
        }
        ::close(i);
        ::close(o);
        ::close(e);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    ChildRun run;
    // Waited for through a pidfd, which has a timeout, and reaped only afterwards: until then the PID cannot be
    // reused, so the SIGKILL at the deadline always reaches our own child. syscall(), because glibc 2.36's
    // <sys/pidfd.h> declares pidfd_open without C linkage.
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd < 0) {
        const int error = errno;
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        die(std::string("pidfd_open: ") + std::strerror(error));
    }
    const auto deadline = started + kChildDeadline;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        pollfd ready{pidfd, POLLIN, 0};
        const int n = ::poll(&ready, 1, static_cast<int>(std::max<long long>(0, left)));
        if (n > 0) break;
        if (n == 0) {
            ::kill(pid, SIGKILL);
            run.timed_out = true;
            break;
        }
        if (errno != EINTR) {
            ::kill(pid, SIGKILL);
            break;
        }
    }
    ::close(pidfd);
    struct rusage usage {};
    while (::wait4(pid, &run.status, 0, &usage) < 0) {
        if (errno != EINTR) die(std::string("wait4: ") + std::strerror(errno));
    }
    run.wall = std::chrono::duration<double>(Clock::now() - started).count();
    const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    run.cpu = seconds(usage.ru_utime) + seconds(usage.ru_stime);
    run.rss_mib = static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
    run.fleet_cpu = std::max(0.0, process_cpu_seconds(fleet) - fleet_before);
    run.others = std::max(0.0, machine_busy_seconds() - busy_before - run.cpu - run.fleet_cpu);
    return run;
}

std::string describe_status(const ChildRun& run) {
    if (run.timed_out) return "killed after " + std::to_string(kChildDeadline.count()) + " s";
    if (WIFEXITED(run.status)) return "exit status " + std::to_string(WEXITSTATUS(run.status));
    if (WIFSIGNALED(run.status)) return std::string("signal ") + ::strsignal(WTERMSIG(run.status));
    return "status " + std::to_string(run.status);
}

bool succeeded(const ChildRun& run) { return !run.timed_out && WIFEXITED(run.status) && WEXITSTATUS(run.status) == 0; }

// Children are started by a launcher process forked at start-up, while this process is still small. Linux counts
// the pages a child inherits at fork in its peak RSS, and ru_maxrss survives exec: a child forked later from this
// process, which holds the fleet's certificates and, for a while, a 65,536-endpoint JSON report, would be charged
// with our memory, and a 6 MiB dry run would look like 180 MiB.
class Launcher {
public:
    Launcher() {
        int requests[2], replies[2];
        if (::pipe2(requests, O_CLOEXEC) != 0 || ::pipe2(replies, O_CLOEXEC) != 0)
            die(std::string("pipe: ") + std::strerror(errno));
        pid_ = ::fork();
        if (pid_ < 0) die(std::string("fork: ") + std::strerror(errno));
        if (pid_ == 0) {
            ::close(requests[1]);
            ::close(replies[0]);
            serve(requests[0], replies[1]);
        }
        ::close(requests[0]);
        ::close(replies[1]);
        requests_ = requests[1];
        replies_ = replies[0];
    }
    // Closing the request pipe is the launcher's signal to exit.
    ~Launcher() {
        ::close(requests_);
        ::close(replies_);
        while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) continue;
    }
    Launcher(const Launcher&) = delete;
    Launcher& operator=(const Launcher&) = delete;

    // Runs `args` with stdin from /dev/null and stdout and stderr into files; the fleet's CPU is measured meanwhile.
    ChildRun run(const std::vector<std::string>& args, const fs::path& out, const fs::path& err, pid_t fleet) {
        std::string request = std::to_string(fleet) + '\0' + out.string() + '\0' + err.string() + '\0';
        for (const auto& a : args) request += a + '\0';
        const auto length = static_cast<std::uint32_t>(request.size());
        Reply reply;
        if (!write_all(requests_, &length, sizeof length) || !write_all(requests_, request.data(), request.size()) ||
            !read_all(replies_, &reply, sizeof reply))
            die("the launcher process is gone");
        if (reply.error[0] != '\0') die(reply.error);
        return reply.run;
    }

private:
    struct Reply {
        ChildRun run;
        char error[256] = {};
    };
    static_assert(std::is_trivially_copyable_v<Reply>);

    static bool write_all(int fd, const void* data, std::size_t size) {
        for (auto* p = static_cast<const char*>(data); size > 0;) {
            const ssize_t n = ::write(fd, p, size);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            p += n;
            size -= static_cast<std::size_t>(n);
        }
        return true;
    }
    static bool read_all(int fd, void* data, std::size_t size) {
        for (auto* p = static_cast<char*>(data); size > 0;) {
            const ssize_t n = ::read(fd, p, size);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            p += n;
            size -= static_cast<std::size_t>(n);
        }
        return true;
    }

    [[noreturn]] static void serve(int requests, int replies) {
        for (;;) {
            std::uint32_t length = 0;
            if (!read_all(requests, &length, sizeof length)) ::_exit(0);
            std::string request(length, '\0');
            if (!read_all(requests, request.data(), request.size())) ::_exit(0);
            std::vector<std::string> fields;
            for (std::size_t at = 0; at < request.size();) {
                const auto end = request.find('\0', at);
                fields.push_back(request.substr(at, end - at));
                at = end + 1;
            }
            Reply reply;
            try {
                reply.run = spawn_and_wait({fields.begin() + 3, fields.end()}, fields[1], fields[2],
                                           static_cast<pid_t>(std::stol(fields[0])));
            } catch (const std::exception& e) {
                std::snprintf(reply.error, sizeof reply.error, "%s", e.what());
            }
            if (!write_all(replies, &reply, sizeof reply)) ::_exit(0);
        }
    }

    pid_t pid_ = -1;
    int requests_ = -1, replies_ = -1;
};

// A directory for the run's files, removed on every way out.
using ScratchDir = certfleet::testing::TempDir;

// ---------------------------------------------------------------------------------------------------------------
// certfleet runs.

struct NetSummary {
    std::uint64_t targets = 0, probes = 0, tls = 0, closed = 0, timeout = 0, not_tls = 0, handshake_failed = 0,
                  unresolved = 0;
};

// certfleet prints "certfleet: scan N complete: D/T targets, P probes: A tls, B closed, C timeout, D not-tls,
// E handshake-failed, F unresolved in 1.2s -> DB".
std::optional<NetSummary> parse_summary(const std::string& stderr_text) {
    static const std::regex kLine(
        R"(certfleet: scan \d+ complete: (\d+)/\d+ targets, (\d+) probes: (\d+) tls, (\d+) closed, (\d+) timeout, )"
        R"((\d+) not-tls, (\d+) handshake-failed, (\d+) unresolved)");
    std::smatch m;
    if (!std::regex_search(stderr_text, m, kLine)) return std::nullopt;
    const auto n = [&](int i) { return std::stoull(m[i]); };
    return NetSummary{n(1), n(2), n(3), n(4), n(5), n(6), n(7), n(8)};
}

std::string describe(const NetSummary& s) {
    return grouped(s.probes) + " probes: " + grouped(s.tls) + " tls, " + grouped(s.closed) + " closed, " +
           grouped(s.timeout) + " timeout, " + grouped(s.not_tls) + " not-tls, " + grouped(s.handshake_failed) +
           " handshake-failed, " + grouped(s.unresolved) + " unresolved";
}

struct Scan {
    ChildRun child;
    NetSummary summary;
    fs::path db;
    std::vector<std::string> notices;  // what else certfleet said on stderr, e.g. that it lowered --concurrency
};

// A notice can change what a figure means (a sweep run at a lower concurrency than asked), so it is shown.
void print_notices(const Scan& scan) {
    for (const auto& notice : scan.notices) std::cout << "certfleet said: " << notice << "\n";
}

class Certfleet {
public:
    Certfleet(std::string binary, Launcher& launcher, const ScratchDir& scratch, pid_t fleet)
        : binary_(std::move(binary)), launcher_(launcher), scratch_(scratch), fleet_(fleet) {}

    // A fresh database every time, so no run pays for (or profits from) an earlier one's rows.
    Scan scan(const std::string& name, const std::vector<std::string>& arguments) const {
        Scan result;
        result.db = scratch_ / (name + ".db");
        for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(result.db.string() + suffix);
        std::vector<std::string> command{binary_, "--db", result.db.string(), "scan"};
        command.insert(command.end(), arguments.begin(), arguments.end());
        command.push_back("--no-progress");
        const fs::path err = scratch_ / (name + ".err");
        result.child = launcher_.run(command, scratch_ / (name + ".out"), err, fleet_);
        const std::string err_text = read_text(err);
        if (!succeeded(result.child))
            die("certfleet scan (" + name + ") failed (" + describe_status(result.child) + "):\n" + err_text);
        const auto summary = parse_summary(err_text);
        if (!summary) die("no summary line in certfleet's output (" + name + "):\n" + err_text);
        result.summary = *summary;
        std::istringstream lines(err_text);
        for (std::string line; std::getline(lines, line);)
            if (!line.empty() && !parse_summary(line)) result.notices.push_back(line);
        return result;
    }

    // A dry run prints "N network targets" first; the count is checked so a dry run that planned something else
    // is not timed as if it had planned the right thing.
    ChildRun dry_run(const std::string& target, std::uint64_t expected) const {
        const std::vector<std::string> command{binary_, "--db", (scratch_ / "dry-run.db").string(), "scan", target,
                                               "--ports", "443", "--dry-run"};
        const ChildRun run = launcher_.run(command, scratch_ / "dry-run.out", scratch_ / "dry-run.err", fleet_);
        if (!succeeded(run))
            die("certfleet scan " + target + " --dry-run failed (" + describe_status(run) + "):\n" +
                read_text(scratch_ / "dry-run.err"));
        const std::string out = read_text(scratch_ / "dry-run.out");
        const std::string wanted = std::to_string(expected) + " network targets";
        if (!out.starts_with(wanted))
            die("certfleet scan " + target + " --dry-run: expected \"" + wanted + "\", got:\n" + out.substr(0, 200));
        return run;
    }

    nlohmann::json report(const fs::path& db) const {
        const fs::path json = scratch_ / "report.json";
        const ChildRun run =
            launcher_.run({binary_, "--db", db.string(), "report", "--format", "json", "-o", json.string()},
                          scratch_ / "report.out", scratch_ / "report.err", fleet_);
        if (!succeeded(run))
            die("certfleet report failed (" + describe_status(run) + "): " + read_text(scratch_ / "report.err"));
        auto parsed = nlohmann::json::parse(read_text(json));
        fs::remove(json);
        return parsed;
    }

private:
    std::string binary_;
    Launcher& launcher_;
    const ScratchDir& scratch_;
    pid_t fleet_;
};

void expect(const Scan& scan, const std::string& what, const NetSummary& wanted) {
    const NetSummary& s = scan.summary;
    if (s.targets != wanted.targets || s.probes != wanted.probes || s.tls != wanted.tls || s.closed != wanted.closed ||
        s.timeout != wanted.timeout || s.not_tls != wanted.not_tls || s.handshake_failed != wanted.handshake_failed ||
        s.unresolved != wanted.unresolved)
        die(what + ": certfleet reported " + describe(s) + "; the fleet serves " + describe(wanted));
}

NetSummary only_tls(std::uint64_t n) { return NetSummary{n, n, n, 0, 0, 0, 0, 0}; }

// ---------------------------------------------------------------------------------------------------------------
// The fleet: distinct ECDSA P-256 leaves under one intermediate, each naming its own address, so certfleet's
// verdict cache never hits and every grab pays for a full verification, as it would across a real fleet.

struct Pki {
    TestKey root_key, intermediate_key;
    TestCert root, intermediate;
    std::set<std::string> leaves;  // sha256
    std::vector<FleetEndpoint> endpoints;
};

Pki make_pki(unsigned tls_endpoints) {
    const KeySpec p256{KeyKind::ec, 2048, "prime256v1"};
    Pki pki{TestKey::generate(p256), TestKey::generate(p256), {}, {}, {}, {}};
    CertSpec root;
    root.subject_cn = "bench/net Root CA";
    root.subject_o = "certfleet bench";
    root.not_after_days = 3650;
    root.is_ca = true;
    root.key_usage = "critical,keyCertSign,cRLSign";
    pki.root = TestCert::make(root, pki.root_key);
    CertSpec intermediate = root;
    intermediate.subject_cn = "bench/net Issuing CA";
    intermediate.not_after_days = 1825;
    intermediate.path_length = 0;
    pki.intermediate = TestCert::make(intermediate, pki.intermediate_key, &pki.root, &pki.root_key);

    for (unsigned i = 0; i < tls_endpoints; ++i) {
        const std::string ip = address(kFirstTlsAddress + i);
        CertSpec leaf;
        leaf.subject_cn = "endpoint-" + std::to_string(i + 1) + ".bench.test";
        leaf.dns_names = {leaf.subject_cn};
        leaf.ip_addresses = {ip};  // probed by address without SNI: an IP SAN is what makes the verdict "verified"
        leaf.not_after_days = 90;
        leaf.key_usage = "critical,digitalSignature";
        leaf.ext_key_usage = "serverAuth";
        FleetEndpoint e;
        e.kind = "tls";
        e.address = ip;
        e.port = kTlsPort;
        e.key = TestKey::generate(p256);
        e.chain = {TestCert::make(leaf, e.key, &pki.intermediate, &pki.intermediate_key), pki.intermediate};
        pki.leaves.insert(e.chain.front().sha256());
        pki.endpoints.push_back(std::move(e));
    }
    for (unsigned i = 0; i < kSubset; ++i) {
        FleetEndpoint e;
        e.kind = "tarpit";
        e.address = address(kFirstTarpitAddress + i);
        e.port = kTlsPort;
        pki.endpoints.push_back(std::move(e));
    }
    return pki;
}

// ---------------------------------------------------------------------------------------------------------------
// The crypto floor: what the public-key operations of one grab cost on this machine, by OpenSSL's own count.

struct CryptoFloor {
    double x25519_ops = 0, verify_ops = 0;
    // One X25519 key agreement, and three ECDSA P-256 verifies: the TLS 1.3 CertificateVerify, the leaf's
    // signature by the intermediate and the intermediate's by the root.
    double per_grab() const { return 1 / x25519_ops + 3 / verify_ops; }
};

// The last number on the line naming `algorithm`: op/s for ecdh, verify/s for ecdsa.
double speed_figure(const std::string& output, const std::string& algorithm) {
    std::istringstream lines(output);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.find(algorithm) == std::string::npos) continue;
        const auto last = line.find_last_of(" \t");
        return std::stod(line.substr(last + 1));
    }
    die("openssl speed printed no " + algorithm + " line:\n" + output);
}

CryptoFloor measure_floor(Launcher& launcher, const std::string& openssl, const ScratchDir& scratch) {
    const auto speed = [&](const std::string& algorithm) {
        const fs::path out = scratch / "speed.out", err = scratch / "speed.err";
        const ChildRun run = launcher.run({openssl, "speed", "-seconds", "1", algorithm}, out, err, kNoFleet);
        if (!succeeded(run))
            die("openssl speed " + algorithm + " failed (" + describe_status(run) + "): " + read_text(err));
        return read_text(out);
    };
    return CryptoFloor{speed_figure(speed("ecdhx25519"), "(X25519)"), speed_figure(speed("ecdsap256"), "(nistp256)")};
}

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
