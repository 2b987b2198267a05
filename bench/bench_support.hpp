#pragma once
// Helpers the benchmarks share: medians, reading a child's output, how busy the machine was, a scratch directory,
// work spread over every core.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace certfleet::bench {

inline double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

inline std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// CPU seconds all processors have spent busy since boot. On a shared machine (a build running beside the
// benchmark) what the measured processes did not use shows how much other work inflated the wall times.
inline double machine_busy_seconds() {
    std::ifstream in("/proc/stat");
    std::string cpu;
    unsigned long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    if (!(in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal) || cpu != "cpu") return 0;
    const auto busy = user + nice + system + irq + softirq + steal;
    return static_cast<double>(busy) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// A "VmHWM"/"VmRSS"-style field of /proc/self/status, in KiB (0 when absent).
inline double proc_status_kib(const std::string& field) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(field + ":", 0) != 0) continue;
        std::istringstream values(line.substr(field.size() + 1));
        double kib = 0;
        values >> kib;
        return kib;
    }
    return 0;
}

// Starts the peak resident set (VmHWM) over from the current one, so one phase of a process can be measured
// apart from the phases before it (Linux 4.0+). False when the kernel refuses.
inline bool reset_peak_rss() {
    std::ofstream out("/proc/self/clear_refs");
    out << "5";
    out.flush();
    return static_cast<bool>(out);
}

// Runs `work(i)` for i in [0, n) on every core.
inline void parallel_for(std::size_t n, const std::function<void(std::size_t)>& work) {
    std::atomic<std::size_t> next{0};
    std::exception_ptr failure;
    std::mutex failure_mutex;
    std::vector<std::thread> workers;
    for (unsigned t = 0; t < std::max(1u, std::thread::hardware_concurrency()); ++t) {
        workers.emplace_back([&] {
            try {
                for (std::size_t i = next++; i < n; i = next++) work(i);
            } catch (...) {
                std::lock_guard lock(failure_mutex);
                failure = std::current_exception();
                next = n;
            }
        });
    }
    for (auto& w : workers) w.join();
    if (failure) std::rethrow_exception(failure);
}

// What the kernel counted for a child that has ended, its own children included.
struct ChildUsage {
    int status = 0;      // as wait4 reports it
    double cpu = 0;      // user + system seconds
    double rss_mib = 0;  // peak resident set of the child (or of its largest child)
};

// Waits for child `pid` to end and reaps it.
inline ChildUsage reap_child(pid_t pid) {
    ChildUsage child;
    struct rusage usage {};
    while (::wait4(pid, &child.status, 0, &usage) < 0) {
        if (errno != EINTR) throw std::runtime_error(std::string("wait4: ") + std::strerror(errno));
    }
    const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    child.cpu = seconds(usage.ru_utime) + seconds(usage.ru_stime);
    child.rss_mib = static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
    return child;
}

}  // namespace certfleet::bench
