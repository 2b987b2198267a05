#pragma once
// Runs the certfleet binary under test, as a user would from a shell.
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "testkit/process.hpp"

namespace certfleet::testing {

inline const std::string kBinary = CERTFLEET_BINARY;

// `certfleet --db DB ARGS...`
inline std::vector<std::string> certfleet_argv(const std::string& db, std::vector<std::string> args) {
    std::vector<std::string> argv{kBinary, "--db", db};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

// This machine's name as certfleet names the host of its files: the host name in lowercase.
inline std::string this_host_name() {
    char name[256] = {};
    ::gethostname(name, sizeof name - 1);
    std::string host = name;
    for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return host.empty() ? "localhost" : host;
}

inline ProcessResult run_certfleet(const std::string& db, std::vector<std::string> args, ProcessOptions options = {}) {
    return run_process(certfleet_argv(db, std::move(args)), options);
}

// A spawned certfleet, killed by PID if the test ends (or fails) while it still runs.
class RunningCertfleet {
public:
    RunningCertfleet(const std::string& db, std::vector<std::string> args)
        : pid_(spawn_process(certfleet_argv(db, std::move(args)))) {}
    ~RunningCertfleet() {
        if (exit_code_) return;
        ::kill(pid_, SIGKILL);
        wait_process(pid_, std::chrono::seconds(10));
    }
    RunningCertfleet(const RunningCertfleet&) = delete;
    RunningCertfleet& operator=(const RunningCertfleet&) = delete;

    pid_t pid() const { return pid_; }

    // Whether it has ended by itself, without waiting. Once it has, its PID is never signalled again.
    bool has_exited() {
        if (!exit_code_) exit_code_ = wait_process(pid_, std::chrono::seconds(0));
        return exit_code_.has_value();
    }

    // Waits for it to end by itself: its exit code, or nullopt if it still runs after `timeout`.
    std::optional<int> wait_for_exit(std::chrono::seconds timeout) {
        if (!exit_code_) exit_code_ = wait_process(pid_, timeout);
        return exit_code_;
    }

    // Sends `signal` unless it has already ended, and waits for its exit code: nullopt if it still runs after
    // `timeout`.
    std::optional<int> stop_with(int signal, std::chrono::seconds timeout = std::chrono::seconds(10)) {
        if (!has_exited()) {
            ::kill(pid_, signal);
            exit_code_ = wait_process(pid_, timeout);
        }
        return exit_code_;
    }

private:
    pid_t pid_;
    std::optional<int> exit_code_;
};

}  // namespace certfleet::testing
