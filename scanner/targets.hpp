#pragma once
// What the network scanner probes: target specs and port lists in, a stream of (address or host name, port) out.
// Nothing here sends traffic or resolves names; host names stay names, and the prober resolves every A and AAAA
// record itself.
//
// Target syntax:
//   192.0.2.7   2001:db8::7   [2001:db8::7]       one address
//   192.0.2.0/24   2001:db8::/120                 CIDR; host bits may be set, the block is taken from its network
//   192.0.2.1-192.0.2.40   2001:db8::1-2001:db8::ff   inclusive range of full addresses
//   mail.example.com   mail.example.com.          host name (RFC 1123 labels, trailing dot allowed)
//   host:993   192.0.2.7:443   192.0.2.0/30:8443   [2001:db8::7]:443   [2001:db8::/120]:443   only that port
//   https://host:8443/path   ldaps://192.0.2.7   wss://[2001:db8::7]/   a URL: one host, on its port or else its
//                                                 scheme's TLS port (https 443, ldaps 636...); user and password
//                                                 are ignored, never shown; http:// and the like need a port
// A target without a port is scanned on every port of the port list. Excludes are addresses, CIDR blocks and
// ranges (no ports, no names); excluded addresses are never produced, and neither are blocked ones (kBlockedRanges).
//
// The targets are a stream, never a list in memory: addresses are held as sorted disjoint intervals, so a /8 costs
// what a /24 costs, and the n-th target is found by arithmetic. The order is a seeded permutation of all targets,
// which spreads the load over subnets instead of sweeping one at a time, and is the same for the same seed, so a
// scan can be split into shards and resumed from a position.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/observation.hpp"
#include "scanner/known_ports.hpp"

namespace certfleet::scanner {

// A target spec, port list, shard or targets file that cannot be used. Each problem quotes the input and says what
// is wrong with it, e.g. "target '10.0.0.0/33': prefix length 33 is over 32"; what() is every problem, one a line.
class TargetError : public std::runtime_error {
public:
    explicit TargetError(const std::string& problem) : TargetError(std::vector<std::string>{problem}) {}
    explicit TargetError(std::vector<std::string> problems);
    const std::vector<std::string>& problems() const { return problems_; }

private:
    std::vector<std::string> problems_;
};

// A list file that could not be read at all (missing, unreadable, too large), as opposed to one with bad lines.
class TargetFileError : public TargetError {
public:
    using TargetError::TargetError;
};

// Addresses no scan probes, whatever its targets say: they reach no single host, or reach the scanning host
// itself (Linux connects 0.0.0.0 to the local host). zmap's default blocklist without its private ranges, which
// fleets are made of, and with the IPv4-mapped IPv6 forms of the IPv4 ranges. They are taken out of a target set
// like an exclude, so its size and shards stay exact; a target with no other address is an error. Loopback and
// private ranges may be scanned.
struct BlockedRange {
    const char* block;   // CIDR
    const char* reason;  // what the addresses are, for messages
};
inline constexpr std::array<BlockedRange, 8> kBlockedRanges{{
    {"0.0.0.0/8", "this network"},
    {"224.0.0.0/4", "multicast"},
    {"240.0.0.0/4", "reserved, and the broadcast address 255.255.255.255"},
    {"::/128", "unspecified"},
    {"::ffff:0.0.0.0/104", "IPv4-mapped this network"},
    {"::ffff:224.0.0.0/100", "IPv4-mapped multicast"},
    {"::ffff:240.0.0.0/100", "IPv4-mapped reserved and broadcast"},
    {"ff00::/8", "multicast"},
}};

// The blocked range that holds an address as a resolver returns it (192.0.2.7, 2001:db8::7); nullopt when the
// address may be probed or is not an IP address.
std::optional<BlockedRange> blocked_range_of(const std::string& address);

// The scan order is the same for the same seed, which is what lets --resume continue a scan; this is the seed when
// none is given. Any fixed value would do.
inline constexpr std::uint64_t kDefaultShuffleSeed = 0x2545f4914f6cdd1d;

// A URL spec without its user name and password, which no probe needs and no inventory should keep:
// "https://user:pw@host/" -> "https://host/". Any other spec is returned as it is.
std::string without_userinfo(const std::string& spec);

// "443,8443,9000-9010", "web,9000-9010" -> sorted, without duplicates. An entry is a port, a range, or the name of a
// port list (kPortListNames, any case). Throws TargetError naming the bad entry.
std::vector<std::uint16_t> parse_ports(const std::string& list);

struct Target {
    std::string address;  // IP literal (IPv6 in RFC 5952 form, without brackets) or a host name
    bool is_name = false;
    std::uint16_t port = 0;
    std::string server_name;  // the host name (lowercase, no trailing dot) for name targets, else empty
    std::string spec;         // the target spec it came from
};

// This scanner's share of the targets: the positions p with p % count == index.
struct Shard {
    std::uint64_t index = 0;  // 0-based
    std::uint64_t count = 1;
};

// "K/N" with 1 <= K <= N, K 1-based as people count shards.
Shard parse_shard(const std::string& text);

// One spec per line; '#' starts a comment; blank lines are skipped and whitespace is trimmed. A line "HOST PORT", as
// ssl-cert-check's files have them, is read as HOST:PORT. Every line is checked as a target (or an exclude) here, so
// a mistake is reported by line: "targets.txt:12: target '300.1.1.1': ...". Files over 64 MiB are refused.
std::vector<std::string> read_target_file(const std::string& path);
std::vector<std::string> read_exclude_file(const std::string& path);

class TargetSet {
    struct Data;

public:
    // What the blocklist took out of the targets: one entry per blocked range that overlapped them.
    struct Blocked {
        BlockedRange range;
        std::uint64_t addresses = 0;  // distinct addresses of the targets in the range
        std::uint64_t targets = 0;    // those addresses on their ports, counted in no shard's size
    };

    // Throws TargetError listing every bad spec, exclude and port (each target whose every address is blocked
    // among them), or, when all parse, that there would be more than 2^40 targets (counted before the
    // blocklist, so a typo is not hidden).
    // An address or name given more than once is scanned once per port.
    static TargetSet parse(const std::vector<std::string>& specs, const std::vector<std::uint16_t>& ports,
                           const std::vector<std::string>& excludes);

    std::uint64_t size() const;
    const std::vector<Blocked>& blocked() const;
    std::uint64_t shard_size(Shard shard) const;
    // How many address intervals the set holds: its memory, which grows with the number of specs and excludes,
    // never with the number of addresses they cover.
    std::size_t interval_count() const;

    // Walks one shard's targets in the seeded order. It shares the set's data, so it stays valid on its own.
    class Cursor {
    public:
        std::optional<Target> next();
        // The position of the target next() returns next; every position of the shard below it has been returned.
        // Starting a new cursor there (same seed and shard) continues where this one stopped.
        std::uint64_t position() const { return position_; }

    private:
        friend class TargetSet;
        Cursor(std::shared_ptr<const Data> data, std::uint64_t seed, Shard shard, std::uint64_t start_position);
        std::uint64_t shuffled(std::uint64_t position) const;

        std::shared_ptr<const Data> data_;
        std::array<std::uint64_t, 4> round_keys_{};
        unsigned half_bits_ = 0;
        std::uint64_t stride_ = 1;
        std::uint64_t position_ = 0;
    };

    // Throws TargetError when the shard is not one of count shards.
    Cursor iterate(std::uint64_t seed, Shard shard = {}, std::uint64_t start_position = 0) const;

private:
    explicit TargetSet(std::shared_ptr<const Data> data) : data_(std::move(data)) {}
    std::shared_ptr<const Data> data_;
};

}  // namespace certfleet::scanner
