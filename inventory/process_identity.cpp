#include "inventory/process_identity.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

namespace certfleet::inventory {

namespace {

std::string boot_id() {
    std::ifstream in("/proc/sys/kernel/random/boot_id");
    std::string id;
    std::getline(in, id);
    return id;
}

// Field 22 of /proc/PID/stat; the command name (field 2) is in parentheses and may hold spaces or ')', so the
// fields are counted from the last ')'.
std::optional<std::uint64_t> start_ticks(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    if (!std::getline(in, stat)) return std::nullopt;
    const auto close = stat.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(stat.substr(close + 1));
    std::string field;
    for (int i = 3; i < 22; ++i) fields >> field;  // fields 3 (state) .. 21
    std::uint64_t ticks = 0;
    if (!(fields >> ticks)) return std::nullopt;
    return ticks;
}

}  // namespace

ProcessIdentity current_process() {
    const pid_t pid = ::getpid();
    return ProcessIdentity{pid, boot_id(), start_ticks(pid).value_or(0)};
}

bool still_running(const ProcessIdentity& owner) {
    if (::kill(owner.pid, 0) != 0 && errno == ESRCH) return false;
    if (owner.boot_id.empty() || owner.start_ticks == 0) return true;
    if (owner.boot_id != boot_id()) return false;
    const auto now = start_ticks(owner.pid);
    return !now || *now == owner.start_ticks;
}

}  // namespace certfleet::inventory
