#include "scanner/known_ports.hpp"

#include <algorithm>

namespace certfleet::scanner {

namespace {

constexpr bool sorted_without_duplicates() {
    for (std::size_t i = 1; i < kKnownPorts.size(); ++i)
        if (kKnownPorts[i - 1].port >= kKnownPorts[i].port) return false;
    return true;
}
static_assert(sorted_without_duplicates(), "kKnownPorts must be sorted by port, each port once");

bool is_on(const KnownPort& known, PortList list) {
    switch (list) {
        case PortList::default_ports: return known.lists & kOnDefault;
        case PortList::web: return known.lists & kOnWeb;
        case PortList::all_tls: return true;
    }
    return false;
}

}  // namespace

std::vector<std::uint16_t> ports_on(PortList list) {
    std::vector<std::uint16_t> ports;
    for (const KnownPort& known : kKnownPorts)
        if (is_on(known, list)) ports.push_back(known.port);
    return ports;
}

std::optional<StartTls> starttls_protocol_for_port(std::uint16_t port) {
    const auto known = std::ranges::lower_bound(kKnownPorts, port, {}, &KnownPort::port);
    if (known == kKnownPorts.end() || known->port != port) return std::nullopt;
    return known->starttls;
}

}  // namespace certfleet::scanner
