#pragma once
// Parsing one target spec, exclude or port, and the blocklist as intervals, for targets.cpp: each piece of input
// is checked here, with a message saying what is wrong with it. targets.hpp describes the syntax and the
// blocklist; this header is internal to the scanner.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "scanner/targets.hpp"

namespace certfleet::scanner::target_spec {

__extension__ typedef unsigned __int128 uint128;

// Thrown by the parsers with what is wrong; the caller adds which input it was about.
struct Problem {
    std::string message;
};

// Inputs come from files too, so what is echoed back is kept printable and short; a URL's password is masked.
std::string quoted(std::string_view text);

// Runs `parse`, turning its Problem into a TargetError that names the input: "target '10.0.0.0/33': ...".
template <typename Parse>
auto about(const char* kind, std::string_view input, Parse parse) {
    try {
        return parse();
    } catch (const Problem& problem) {
        throw TargetError(std::string(kind) + " " + quoted(input) + ": " + problem.message);
    }
}

// Plain decimal only: no sign, spaces or hex. nullopt also when it does not fit in 64 bits.
std::optional<std::uint64_t> parse_decimal(std::string_view text);
std::uint16_t parse_port(std::string_view text);

std::string format_ipv4(std::uint32_t address);
std::string format_ipv6(uint128 address);

template <typename Address>
struct Interval {
    Address first;
    Address last;  // inclusive, so the whole address space has a last address
};

struct HostName {
    std::string name;         // lowercase, trailing dot kept: it keeps resolver search domains out
    std::string server_name;  // lowercase, no trailing dot, as SNI wants it
};

using Hosts = std::variant<Interval<std::uint32_t>, Interval<uint128>, HostName>;

struct ParsedSpec {
    Hosts hosts;
    std::optional<std::uint16_t> port;
};

// Any spec of the syntax, whatever it is used for; throws Problem. A URL always has a port: its own or its
// scheme's.
ParsedSpec parse_spec(std::string_view spec);
// A trimmed line of a list file as a spec: the line itself, or ssl-cert-check's "HOST PORT" as HOST:PORT
// ([HOST]:PORT for IPv6). Any other line with spaces throws Problem saying it holds `a_line_holds`.
std::string spec_of_line(std::string_view line, std::string_view a_line_holds);
// A target to scan: also needs a port, its own or the list's. Throws TargetError naming the spec.
ParsedSpec parse_target(const std::string& spec, const std::vector<std::uint16_t>& ports);
// Addresses, blocks and ranges, without a port. Throws TargetError naming the spec.
Hosts parse_exclude(const std::string& spec);
void check_port_list(const std::vector<std::uint16_t>& ports);

// A range of kBlockedRanges as an interval, with its index there.
template <typename Address>
struct BlockedInterval {
    Address first;
    Address last;
    std::size_t range;
};

struct BlockedIntervals {
    std::vector<BlockedInterval<std::uint32_t>> v4;  // each sorted and disjoint
    std::vector<BlockedInterval<uint128>> v6;
};

const BlockedIntervals& blocked_intervals();

// Throws Problem, naming the blocked ranges, when every address of `hosts` is blocked: such a target is a mistake,
// not something to scan quietly as nothing.
void refuse_only_blocked(const Hosts& hosts);

}  // namespace certfleet::scanner::target_spec
