// The target syntax: port lists, shards, target specs and excludes, then the set they make and its cursor.
// Input: the port list on the first line, the shard ("K/N") on the second, then one spec per line, where a
// line starting with '!' is an exclude. Besides the sanitizers, it checks what callers rely on:
//   - parse_ports returns the ports sorted, each once;
//   - TargetSet::parse throws only with at least one problem, each named;
//   - a shard's cursor yields shard_size targets and then nothing, each with an address and a port.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "scanner/targets.hpp"

namespace {

using namespace certfleet::scanner;

[[noreturn]] void broken(const char* what) {
    std::fprintf(stderr, "targets fuzzer: %s\n", what);
    std::abort();
}

std::vector<std::string> split_lines(std::string_view text) {
    std::vector<std::string> lines;
    while (!text.empty()) {
        const std::size_t end = std::min(text.find('\n'), text.size());
        lines.emplace_back(text.substr(0, end));
        text.remove_prefix(std::min(end + 1, text.size()));
    }
    return lines;
}

std::vector<std::uint16_t> ports_of(const std::string& list) {
    try {
        const auto ports = parse_ports(list);
        if (std::adjacent_find(ports.begin(), ports.end(), std::greater_equal<>()) != ports.end())
            broken("parse_ports returned ports out of order or twice");
        return ports;
    } catch (const TargetError&) {
        return {443};  // keep going with the specs
    }
}

Shard shard_of(const std::string& text) {
    try {
        return parse_shard(text);
    } catch (const TargetError&) {
        return {};
    }
}

// Walks the shard when it is small enough to walk whole in one input's time.
void walk(const TargetSet& set, Shard shard) {
    constexpr std::uint64_t kMostTargets = 256;
    const std::uint64_t expected = set.shard_size(shard);
    if (expected > kMostTargets) return;
    auto cursor = set.iterate(kDefaultShuffleSeed, shard);
    std::uint64_t produced = 0;
    while (const auto target = cursor.next()) {
        if (++produced > expected) broken("the cursor yields more targets than shard_size");
        if (target->address.empty() || target->port == 0) broken("the cursor yields a target without address or port");
    }
    if (produced != expected) broken("the cursor yields fewer targets than shard_size");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto lines = split_lines(std::string_view(reinterpret_cast<const char*>(data), size));
    if (lines.size() < 2) return 0;
    const auto ports = ports_of(lines[0]);
    const Shard shard = shard_of(lines[1]);
    std::vector<std::string> specs, excludes;
    for (std::size_t i = 2; i < lines.size(); ++i) {
        if (lines[i].starts_with('!')) excludes.push_back(lines[i].substr(1));
        else specs.push_back(lines[i]);
    }
    try {
        const TargetSet set = TargetSet::parse(specs, ports, excludes);
        walk(set, shard);
    } catch (const TargetError& e) {
        if (e.problems().empty() || std::any_of(e.problems().begin(), e.problems().end(),
                                                [](const std::string& p) { return p.empty(); }))
            broken("TargetSet::parse refuses without naming a problem");
    }
    return 0;
}
