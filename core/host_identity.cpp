#include "core/host_identity.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>

namespace certfleet {

namespace {

HostIdentity read_this_host() {
    HostIdentity identity;
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) == 0) identity.name = normalized_host_name(name);
    if (identity.name.empty()) identity.name = "localhost";
    std::ifstream machine_id("/etc/machine-id");
    std::string line;
    if (machine_id && std::getline(machine_id, line) && line.size() <= 64) identity.machine_id = line;
    return identity;
}

}  // namespace

const HostIdentity& this_host() {
    static const HostIdentity identity = read_this_host();
    return identity;
}

std::string normalized_host_name(std::string_view name) {
    std::string out(name);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

std::optional<std::string> host_name_problem(std::string_view name) {
    if (name.empty()) return "empty";
    if (name.size() > 253) return "longer than 253 characters";
    for (const char c : name) {
        const auto u = static_cast<unsigned char>(c);
        if (!std::isalnum(u) && c != '-' && c != '_' && c != '.')
            return "'" + std::string(1, c) + "' is not a letter, a digit, '-', '_' or '.'";
    }
    return std::nullopt;
}

}  // namespace certfleet
