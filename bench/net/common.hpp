#pragma once
// bench/net: the options, the loopback addresses and ports, the targets, and small text helpers.
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

namespace certfleet::bench::net {

using namespace certfleet::testing;
using namespace certfleet::bench;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

inline constexpr std::uint16_t kTlsPort = 14443;
inline constexpr std::uint16_t kClosedPort = 9;
inline constexpr std::uint32_t kFirstTlsAddress = 0x7F430001;     // 127.67.0.1
inline constexpr std::uint32_t kFirstTarpitAddress = 0x7F450001;  // 127.69.0.1
inline constexpr unsigned kSubset = 100;  // TLS endpoints of the tarpit and peer comparisons; also the tarpit count
inline constexpr unsigned kTarpitTimeoutMs = 1000;
inline constexpr double kTargetCpuRatio = 2.0;
inline constexpr double kTargetSweepRate = 20'000;
inline constexpr double kTargetDryRunRssMiB = 64;
inline constexpr double kTargetTarpitCost = kTarpitTimeoutMs / 1000.0;
// For a child that does not talk to the fleet: no fleet CPU to measure meanwhile.
inline constexpr pid_t kNoFleet = -1;
// A hung child must not hang the benchmark; every child here normally ends within seconds.
inline constexpr std::chrono::seconds kChildDeadline{300};

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
[[noreturn]] inline void die(const std::string& message) { throw std::runtime_error(message); }

__attribute__((format(printf, 1, 2))) inline std::string format(const char* pattern, ...) {
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
inline std::string grouped(std::uint64_t value) {
    std::string digits = std::to_string(value), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

inline std::string address(std::uint32_t value) {
    return format("%u.%u.%u.%u", value >> 24, (value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff);
}

inline std::string address_range(std::uint32_t first, unsigned count) {
    return address(first) + "-" + address(first + count - 1);
}



inline std::size_t occurrences(const std::string& text, std::string_view needle) {
    std::size_t count = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++count;
    return count;
}

// Children are started with execv, whose path must be resolved before fork.
inline std::optional<std::string> find_program(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        const fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
    return std::nullopt;
}

}  // namespace certfleet::bench::net
