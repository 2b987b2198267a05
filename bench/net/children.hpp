#pragma once
// bench/net: running children (certfleet, the peer tools, openssl speed) with deadlines, measuring them.

#include "bench/net/common.hpp"

namespace certfleet::bench::net {

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
inline double process_cpu_seconds(pid_t pid) {
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
    const ChildUsage child = reap_child(pid);
    run.status = child.status;
    run.cpu = child.cpu;
    run.rss_mib = child.rss_mib;
    run.wall = std::chrono::duration<double>(Clock::now() - started).count();
    run.fleet_cpu = std::max(0.0, process_cpu_seconds(fleet) - fleet_before);
    run.others = std::max(0.0, machine_busy_seconds() - busy_before - run.cpu - run.fleet_cpu);
    return run;
}

inline std::string describe_status(const ChildRun& run) {
    if (run.timed_out) return "killed after " + std::to_string(kChildDeadline.count()) + " s";
    if (WIFEXITED(run.status)) return "exit status " + std::to_string(WEXITSTATUS(run.status));
    if (WIFSIGNALED(run.status)) return std::string("signal ") + ::strsignal(WTERMSIG(run.status));
    return "status " + std::to_string(run.status);
}

inline bool succeeded(const ChildRun& run) { return !run.timed_out && WIFEXITED(run.status) && WEXITSTATUS(run.status) == 0; }

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

}  // namespace certfleet::bench::net
