#pragma once
// Who runs a scan, well enough to tell later whether that process is still alive: a pid alone is reused by the
// kernel, so the boot it ran in and its start time (in clock ticks after boot) go with it.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace certfleet::inventory {

struct ProcessIdentity {
    pid_t pid = 0;
    std::string boot_id;          // /proc/sys/kernel/random/boot_id
    std::uint64_t start_ticks = 0;  // /proc/PID/stat field 22
};

// This process; the fields /proc cannot tell stay empty (boot_id "") or zero.
ProcessIdentity current_process();

// False only when `owner` certainly no longer runs: no process has its pid, or the process that has it started
// at another time or in another boot. A scan whose identity is unknown (a pid only) is judged by the pid.
bool still_running(const ProcessIdentity& owner);

}  // namespace certfleet::inventory
