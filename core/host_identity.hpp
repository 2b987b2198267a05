#pragma once
// Which machine a file place is on. A file place is (host, path): the same path on two machines is two places,
// so a fleet of hosts can share one inventory.
#include <optional>
#include <string>
#include <string_view>

namespace certfleet {

struct HostIdentity {
    std::string name;        // this machine's host name, in lowercase
    std::string machine_id;  // /etc/machine-id where present (stable across renames); empty otherwise
};

// This machine, read once.
const HostIdentity& this_host();

// Why `name` cannot name a host (empty, too long, a character outside letters, digits, '-', '_', '.'), or
// nothing when it can.
std::optional<std::string> host_name_problem(std::string_view name);

// `name` as places store it: lowercase.
std::string normalized_host_name(std::string_view name);

}  // namespace certfleet
