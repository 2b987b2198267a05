// The blocklist of targets.hpp (kBlockedRanges): as intervals for target sets, and for single addresses.
#include <arpa/inet.h>

#include <algorithm>

#include "scanner/target_spec.hpp"
#include "scanner/targets.hpp"

namespace certfleet::scanner {

namespace target_spec {

const BlockedIntervals& blocked_intervals() {
    static const BlockedIntervals intervals = [] {
        BlockedIntervals parsed;
        for (std::size_t i = 0; i < kBlockedRanges.size(); ++i) {
            const Hosts hosts = parse_spec(kBlockedRanges[i].block).hosts;
            if (const auto* v4 = std::get_if<Interval<std::uint32_t>>(&hosts))
                parsed.v4.push_back({v4->first, v4->last, i});
            if (const auto* v6 = std::get_if<Interval<uint128>>(&hosts))
                parsed.v6.push_back({v6->first, v6->last, i});
        }
        const auto by_first = [](const auto& a, const auto& b) { return a.first < b.first; };
        std::sort(parsed.v4.begin(), parsed.v4.end(), by_first);
        std::sort(parsed.v6.begin(), parsed.v6.end(), by_first);
        return parsed;
    }();
    return intervals;
}

namespace {

// The blocked ranges that together hold every address from first to last; empty when some address is not blocked.
template <typename Address>
std::vector<std::size_t> covering(const std::vector<BlockedInterval<Address>>& blocked, Address first, Address last) {
    std::vector<std::size_t> ranges;
    for (const auto& range : blocked) {
        if (range.last < first) continue;
        if (range.first > first) return {};
        ranges.push_back(range.range);
        if (range.last >= last) return ranges;
        first = range.last + 1;
    }
    return {};
}

template <typename Address>
std::optional<BlockedRange> range_holding(const std::vector<BlockedInterval<Address>>& blocked, Address address) {
    for (const auto& range : blocked)
        if (range.first <= address && address <= range.last) return kBlockedRanges[range.range];
    return std::nullopt;
}

}  // namespace

void refuse_only_blocked(const Hosts& hosts) {
    std::vector<std::size_t> ranges;
    if (const auto* v4 = std::get_if<Interval<std::uint32_t>>(&hosts))
        ranges = covering(blocked_intervals().v4, v4->first, v4->last);
    if (const auto* v6 = std::get_if<Interval<uint128>>(&hosts))
        ranges = covering(blocked_intervals().v6, v6->first, v6->last);
    if (ranges.empty()) return;
    std::string named;
    for (std::size_t i = 0; i < ranges.size(); ++i) {
        if (i > 0) named += i + 1 == ranges.size() ? " and " : ", ";
        named += std::string(kBlockedRanges[ranges[i]].block) + " (" + kBlockedRanges[ranges[i]].reason + ")";
    }
    throw Problem{"it is all in " + named + ", which certfleet never probes"};
}

}  // namespace target_spec

std::optional<BlockedRange> blocked_range_of(const std::string& address) {
    using namespace target_spec;
    unsigned char bytes[16];
    if (inet_pton(AF_INET, address.c_str(), bytes) == 1) {
        std::uint32_t value = 0;
        for (int i = 0; i < 4; ++i) value = value << 8 | bytes[i];
        return range_holding(blocked_intervals().v4, value);
    }
    // A link-local address may carry its zone ("fe80::1%eth0"), which says nothing about the address.
    if (inet_pton(AF_INET6, address.substr(0, address.find('%')).c_str(), bytes) == 1) {
        uint128 value = 0;
        for (const unsigned char byte : bytes) value = value << 8 | byte;
        return range_holding(blocked_intervals().v6, value);
    }
    return std::nullopt;
}

}  // namespace certfleet::scanner
