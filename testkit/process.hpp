#pragma once
// Runs a program as a test would from a shell, with a deadline, capturing its output.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace certfleet::testing {

struct ProcessResult {
    int exit_code = -1;  // 128 + signal number when killed by a signal
    std::string out;
    std::string err;
    bool timed_out = false;
};

struct ProcessOptions {
    std::map<std::string, std::string> env;  // added to (or replacing in) the inherited environment
    std::chrono::seconds timeout{120};
    std::string working_directory;  // empty: the test's own
};

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// Starts a program in the background with its output discarded; the caller ends it by PID.
pid_t spawn_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});
// Waits for a spawned process, up to the deadline; returns its exit code as run_process reports it.
std::optional<int> wait_process(pid_t pid, std::chrono::seconds timeout);

}  // namespace certfleet::testing
