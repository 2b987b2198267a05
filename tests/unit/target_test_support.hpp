#pragma once
// What the target tests share: every target a set yields, as (address, port) endpoints, and the message of a
// TargetError.
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "scanner/targets.hpp"

namespace certfleet::testing {

using Endpoint = std::pair<std::string, std::uint16_t>;

inline std::vector<scanner::Target> all_targets(const scanner::TargetSet& set, std::uint64_t seed = 1,
                                                scanner::Shard shard = {}, std::uint64_t start = 0) {
    std::vector<scanner::Target> targets;
    auto cursor = set.iterate(seed, shard, start);
    while (auto target = cursor.next()) targets.push_back(*target);
    return targets;
}

inline std::set<Endpoint> endpoints(const std::vector<scanner::Target>& targets) {
    std::set<Endpoint> set;
    for (const auto& t : targets) set.emplace(t.address, t.port);
    return set;
}

inline std::set<Endpoint> endpoints_of(const std::vector<std::string>& specs, const std::vector<std::uint16_t>& ports,
                                       const std::vector<std::string>& excludes = {}) {
    return endpoints(all_targets(scanner::TargetSet::parse(specs, ports, excludes)));
}

// The message of the TargetError `f` throws; empty when it throws none.
template <typename F>
std::string error_of(F f) {
    try {
        f();
    } catch (const scanner::TargetError& e) {
        return e.what();
    }
    return "";
}

}  // namespace certfleet::testing
