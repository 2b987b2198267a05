#include "scanner/targets.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <string_view>
#include <tuple>
#include <unordered_set>
#include <variant>

#include "core/suggestion.hpp"
#include "scanner/target_spec.hpp"

namespace certfleet::scanner {

namespace {

std::string joined_lines(const std::vector<std::string>& lines) {
    std::string text;
    for (const auto& line : lines) text += (text.empty() ? "" : "\n  ") + line;
    return text;
}

using namespace target_spec;

// An entry of a port list that starts with a letter: the name of a named list, in any case.
std::vector<std::uint16_t> ports_of_list(std::string_view entry) {
    std::string name(entry);
    std::ranges::transform(name, name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (const auto list = parse_enum<PortList>(name)) return ports_on(*list);
    const auto names = names_of<PortList>();
    throw Problem{quoted(entry) + " is neither a port number nor a port list" + suggestion(name, names) +
                  "; the lists are " + joined(names)};
}

// More targets than anyone scans on purpose (years at thousands of probes a second), so a bigger set is a typo
// such as a /32 for a /120. The limit also keeps every count and position well inside 64 bits.
constexpr std::uint64_t kMaxTargets = std::uint64_t{1} << 40;
constexpr const char* kMaxTargetsText = "2^40";
constexpr std::size_t kMaxSpecFileSize = std::size_t{64} << 20;

// Part of the address space that came from one spec.
template <typename Address>
struct Span {
    Address first;
    Address last;
    std::size_t spec;
};

template <typename Address>
long double span_size(const Span<Address>& span) {
    return static_cast<long double>(span.last - span.first) + 1;
}

// Each address once: where specs overlap, the spec whose block starts lower keeps the shared addresses.
template <typename Address>
std::vector<Span<Address>> without_overlaps(std::vector<Span<Address>> spans) {
    std::sort(spans.begin(), spans.end(),
              [](const auto& a, const auto& b) { return std::tie(a.first, a.spec) < std::tie(b.first, b.spec); });
    std::vector<Span<Address>> disjoint;
    for (Span<Address> span : spans) {
        if (!disjoint.empty()) {
            const Address covered = disjoint.back().last;
            if (span.last <= covered) continue;
            if (span.first <= covered) span.first = covered + 1;
        }
        disjoint.push_back(span);
    }
    return disjoint;
}

template <typename Address>
std::vector<Interval<Address>> merged(std::vector<Interval<Address>> intervals) {
    std::sort(intervals.begin(), intervals.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<Interval<Address>> disjoint;
    for (const auto& interval : intervals) {
        if (!disjoint.empty() && interval.first <= disjoint.back().last)
            disjoint.back().last = std::max(disjoint.back().last, interval.last);
        else
            disjoint.push_back(interval);
    }
    return disjoint;
}

// Both sorted and disjoint; a linear sweep, so a million excludes cost no more than they take to read.
template <typename Address, typename Cut>
std::vector<Span<Address>> subtract(const std::vector<Span<Address>>& spans, const std::vector<Cut>& cuts) {
    std::vector<Span<Address>> left;
    std::size_t first_cut = 0;
    for (const auto& span : spans) {
        while (first_cut < cuts.size() && cuts[first_cut].last < span.first) ++first_cut;
        Address first = span.first;
        bool tail_left = true;
        for (std::size_t c = first_cut; c < cuts.size() && cuts[c].first <= span.last; ++c) {
            if (cuts[c].first > first) left.push_back({first, static_cast<Address>(cuts[c].first - 1), span.spec});
            if (cuts[c].last >= span.last) {
                tail_left = false;
                break;
            }
            first = cuts[c].last + 1;
        }
        if (tail_left) left.push_back({first, span.last, span.spec});
    }
    return left;
}

struct NamedHost {
    HostName host;
    std::size_t spec;
};

struct SpecsForPorts {
    std::vector<Span<std::uint32_t>> v4;
    std::vector<Span<uint128>> v6;
    std::vector<NamedHost> names;
};

// The hosts scanned on one list of ports: the --ports list, or the one port some targets carry. Targets are
// numbered host by host, each host's ports together, v4 before v6 before names.
struct PortGroup {
    std::vector<std::uint16_t> ports;
    std::vector<Span<std::uint32_t>> v4;
    std::vector<Span<uint128>> v6;
    std::vector<NamedHost> names;
    std::vector<std::uint64_t> v4_hosts_before;  // per span, for a binary search from host number to span
    std::vector<std::uint64_t> v6_hosts_before;
    std::uint64_t v4_hosts = 0;
    std::uint64_t v6_hosts = 0;

    std::uint64_t size() const { return (v4_hosts + v6_hosts + names.size()) * ports.size(); }
};

template <typename Address>
std::uint64_t number_hosts(const std::vector<Span<Address>>& spans, std::vector<std::uint64_t>& hosts_before) {
    std::uint64_t hosts = 0;
    for (const auto& span : spans) {
        hosts_before.push_back(hosts);
        hosts += static_cast<std::uint64_t>(span.last - span.first) + 1;
    }
    return hosts;
}

// `shadowing`: the --ports group when this group's port is also on that list, so a host given both with and
// without that port is scanned there once.
PortGroup make_group(SpecsForPorts specs, std::vector<std::uint16_t> ports,
                     const std::vector<Interval<std::uint32_t>>& excluded_v4,
                     const std::vector<Interval<uint128>>& excluded_v6, const PortGroup* shadowing) {
    PortGroup group;
    group.ports = std::move(ports);
    group.v4 = subtract(without_overlaps(std::move(specs.v4)), excluded_v4);
    group.v6 = subtract(without_overlaps(std::move(specs.v6)), excluded_v6);
    std::unordered_set<std::string> seen;
    if (shadowing) {
        group.v4 = subtract(group.v4, shadowing->v4);
        group.v6 = subtract(group.v6, shadowing->v6);
        for (const auto& named : shadowing->names) seen.insert(named.host.server_name);
    }
    for (auto& named : specs.names)
        if (seen.insert(named.host.server_name).second) group.names.push_back(std::move(named));
    return group;
}

std::string describe_count(long double count) {
    if (count < 0x1p64L) return std::to_string(static_cast<std::uint64_t>(count));
    int exponent = 0;
    if (std::frexp(count, &exponent) == 0.5L) return "2^" + std::to_string(exponent - 1);
    char text[32];
    std::snprintf(text, sizeof text, "about 2^%.1Lf", std::log2(count));
    return text;
}

// Measured after excludes and duplicates, so a block trimmed below the limit passes, but before the blocklist: a
// block too big to mean is refused even when it is mostly blocked addresses, such as fe00::/7. Counted in long
// double, exact up to 2^64, so absurd sets such as ::/0 are measured without overflowing.
void check_size(const std::vector<PortGroup>& groups, const std::vector<std::string>& specs) {
    std::vector<long double> per_spec(specs.size());
    for (const auto& group : groups) {
        const auto ports = static_cast<long double>(group.ports.size());
        for (const auto& span : group.v4) per_spec[span.spec] += span_size(span) * ports;
        for (const auto& span : group.v6) per_spec[span.spec] += span_size(span) * ports;
        for (const auto& named : group.names) per_spec[named.spec] += ports;
    }
    long double total = 0;
    for (const long double count : per_spec) total += count;
    const auto limit = static_cast<long double>(kMaxTargets);
    if (total <= limit) return;
    const auto largest = std::max_element(per_spec.begin(), per_spec.end());
    const std::string over = std::string(" is more than certfleet will scan (at most ") + kMaxTargetsText + ")";
    if (*largest > limit)
        throw TargetError("target " + quoted(specs[static_cast<std::size_t>(largest - per_spec.begin())]) + ": " +
                          describe_count(*largest) + " targets" + over);
    throw TargetError("targets: " + describe_count(total) + " targets in all" + over);
}

// How many addresses of the sorted, disjoint `intervals` are in `range`.
template <typename Intervals, typename Range>
std::uint64_t overlap(const Intervals& intervals, const Range& range) {
    std::uint64_t count = 0;
    for (const auto& interval : intervals) {
        const auto first = std::max(interval.first, range.first);
        const auto last = std::min(interval.last, range.last);
        if (first <= last) count += static_cast<std::uint64_t>(last - first) + 1;
    }
    return count;
}

// Counts, into `counts` (indexed like kBlockedRanges), what the blocklist takes out of one family's addresses,
// then takes it out. Run after check_size, so every count fits.
template <typename Address>
void take_out_blocked(std::vector<PortGroup>& groups, std::vector<Span<Address>> PortGroup::*spans,
                      const std::vector<BlockedInterval<Address>>& blocked, std::vector<TargetSet::Blocked>& counts) {
    std::vector<Interval<Address>> everywhere;  // an address scanned on several port lists is one address
    for (const auto& group : groups)
        for (const auto& span : group.*spans) everywhere.push_back({span.first, span.last});
    everywhere = merged(std::move(everywhere));
    for (const auto& range : blocked) {
        counts[range.range].addresses += overlap(everywhere, range);
        for (const auto& group : groups)
            counts[range.range].targets += overlap(group.*spans, range) * group.ports.size();
    }
    for (auto& group : groups) group.*spans = subtract(group.*spans, blocked);
}

// splitmix64's output function: every input bit flips each output bit with probability close to 1/2.
std::uint64_t mix64(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    return z ^ (z >> 31);
}

std::uint64_t splitmix64(std::uint64_t& state) { return mix64(state += 0x9e3779b97f4a7c15); }

void check_shard(Shard shard) {
    if (shard.count == 0 || shard.index >= shard.count)
        throw TargetError("shard " + std::to_string(shard.index + 1) + "/" + std::to_string(shard.count) +
                          ": there is no such shard");
}

class FileDescriptor {
public:
    explicit FileDescriptor(int fd) : fd_(fd) {}
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const { return fd_; }

private:
    int fd_;
};

// Read with a limit rather than checked by size first, so a FIFO such as <(generate-targets) works too.
std::string read_spec_file_content(const std::string& path) {
    const FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (file.get() < 0) {
        const int error = errno;
        throw TargetFileError(path + ": cannot open: " + std::strerror(error));
    }
    std::string content;
    char buffer[65536];
    for (;;) {
        const ssize_t got = ::read(file.get(), buffer, sizeof buffer);
        if (got == 0) return content;
        if (got < 0) {
            const int error = errno;
            if (error == EINTR) continue;
            throw TargetFileError(path + ": cannot read: " + std::strerror(error));
        }
        content.append(buffer, static_cast<std::size_t>(got));
        if (content.size() > kMaxSpecFileSize)
            throw TargetFileError(path + ": is over 64 MiB, the limit for a list of targets");
    }
}

// `kind` and `a_line_holds` name what a line is for messages: "target", "one target, or ...".
template <typename Check>
std::vector<std::string> read_spec_file(const std::string& path, const char* kind, std::string_view a_line_holds,
                                        Check check) {
    const std::string content = read_spec_file_content(path);
    std::vector<std::string> specs;
    std::size_t line_number = 0;
    for (std::size_t start = 0; start < content.size();) {
        const std::size_t end = std::min(content.find('\n', start), content.size());
        std::string_view line = std::string_view(content).substr(start, end - start);
        start = end + 1;
        ++line_number;
        line = line.substr(0, line.find('#'));
        constexpr const char* kSpace = " \t\r\f\v";
        const std::size_t first = line.find_first_not_of(kSpace);
        if (first == std::string_view::npos) continue;
        const std::string_view trimmed = line.substr(first, line.find_last_not_of(kSpace) - first + 1);
        std::string spec;
        try {
            spec = about(kind, trimmed, [&] { return spec_of_line(trimmed, a_line_holds); });
            check(spec);
        } catch (const TargetError& error) {
            throw TargetError(path + ":" + std::to_string(line_number) + ": " + error.what());
        }
        specs.push_back(std::move(spec));
    }
    return specs;
}

}  // namespace

TargetError::TargetError(std::vector<std::string> problems)
    : std::runtime_error(joined_lines(problems)), problems_(std::move(problems)) {}

std::vector<std::uint16_t> parse_ports(const std::string& list) {
    return about("ports", list, [&] {
        if (list.empty()) throw Problem{"no ports given"};
        std::vector<std::uint16_t> ports;
        for (std::size_t start = 0;;) {
            const std::size_t comma = list.find(',', start);
            std::string_view entry =
                std::string_view(list).substr(start, comma == std::string::npos ? comma : comma - start);
            while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
            while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
            if (entry.empty()) throw Problem{"an entry between commas is empty"};
            const std::size_t dash = entry.find('-');
            if (std::isalpha(static_cast<unsigned char>(entry.front()))) {
                const auto listed = ports_of_list(entry);
                ports.insert(ports.end(), listed.begin(), listed.end());
            } else if (dash == std::string_view::npos) {
                ports.push_back(parse_port(entry));
            } else {
                try {
                    const std::uint16_t first = parse_port(entry.substr(0, dash));
                    const std::uint16_t last = parse_port(entry.substr(dash + 1));
                    if (last < first) throw Problem{"it ends before it starts"};
                    for (unsigned port = first; port <= last; ++port) ports.push_back(static_cast<std::uint16_t>(port));
                } catch (const Problem& problem) {
                    throw Problem{"range " + quoted(entry) + ": " + problem.message};
                }
            }
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
        std::sort(ports.begin(), ports.end());
        ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
        return ports;
    });
}

Shard parse_shard(const std::string& text) {
    return about("shard", text, [&] {
        const std::size_t slash = text.find('/');
        const auto number = parse_decimal(std::string_view(text).substr(0, slash));
        const auto count =
            slash == std::string::npos ? std::nullopt : parse_decimal(std::string_view(text).substr(slash + 1));
        if (!number || !count) throw Problem{"expected K/N, shard K of N, such as 2/5"};
        if (*count == 0) throw Problem{"there must be at least one shard"};
        if (*number == 0 || *number > *count)
            throw Problem{"shard " + std::to_string(*number) + " of " + std::to_string(*count) +
                          " does not exist; shards are numbered from 1 to N"};
        return Shard{*number - 1, *count};
    });
}

std::vector<std::string> read_target_file(const std::string& path) {
    return read_spec_file(path, "target", "one target, or a host and a port such as 'mail.example.com 993'",
                          [](const std::string& spec) {
                              about("target", spec, [&] { refuse_only_blocked(parse_spec(spec).hosts); });
                          });
}

// "HOST PORT" is read here too, so such a line is refused as an exclude with a port.
std::vector<std::string> read_exclude_file(const std::string& path) {
    return read_spec_file(path, "exclude", "one exclude: an address, CIDR block or range",
                          [](const std::string& spec) { parse_exclude(spec); });
}

struct TargetSet::Data {
    std::vector<std::string> specs;
    std::vector<PortGroup> groups;           // none empty
    std::vector<std::uint64_t> group_first;  // the number of each group's first target
    std::uint64_t size = 0;
    std::vector<Blocked> blocked;

    Target target(std::uint64_t number) const {
        const auto group_index = static_cast<std::size_t>(
            std::upper_bound(group_first.begin(), group_first.end(), number) - group_first.begin() - 1);
        const PortGroup& group = groups[group_index];
        const std::uint64_t in_group = number - group_first[group_index];
        std::uint64_t host = in_group / group.ports.size();
        Target target;
        target.port = group.ports[in_group % group.ports.size()];
        const auto locate = [&](const auto& spans, const std::vector<std::uint64_t>& hosts_before) {
            const auto i = static_cast<std::size_t>(std::upper_bound(hosts_before.begin(), hosts_before.end(), host) -
                                                    hosts_before.begin() - 1);
            target.spec = specs[spans[i].spec];
            return spans[i].first + (host - hosts_before[i]);
        };
        if (host < group.v4_hosts) {
            target.address = format_ipv4(static_cast<std::uint32_t>(locate(group.v4, group.v4_hosts_before)));
            return target;
        }
        host -= group.v4_hosts;
        if (host < group.v6_hosts) {
            target.address = format_ipv6(locate(group.v6, group.v6_hosts_before));
            return target;
        }
        const NamedHost& named = group.names[host - group.v6_hosts];
        target.address = named.host.name;
        target.is_name = true;
        target.server_name = named.host.server_name;
        target.spec = specs[named.spec];
        return target;
    }
};

TargetSet TargetSet::parse(const std::vector<std::string>& specs, const std::vector<std::uint16_t>& ports,
                           const std::vector<std::string>& excludes) {
    // Every problem is collected in this one pass, so all of them can be shown at once.
    std::vector<std::string> problems;
    const auto collect = [&](const auto& check) {
        try {
            check();
        } catch (const TargetError& error) {
            problems.insert(problems.end(), error.problems().begin(), error.problems().end());
        }
    };
    collect([&] { check_port_list(ports); });
    std::vector<std::uint16_t> port_list = ports;
    std::sort(port_list.begin(), port_list.end());
    port_list.erase(std::unique(port_list.begin(), port_list.end()), port_list.end());

    SpecsForPorts on_port_list;
    std::map<std::uint16_t, SpecsForPorts> on_own_port;
    for (std::size_t i = 0; i < specs.size(); ++i) {
        collect([&] {
            ParsedSpec parsed = parse_target(specs[i], port_list);
            SpecsForPorts& into = parsed.port ? on_own_port[*parsed.port] : on_port_list;
            if (const auto* v4 = std::get_if<Interval<std::uint32_t>>(&parsed.hosts))
                into.v4.push_back({v4->first, v4->last, i});
            if (const auto* v6 = std::get_if<Interval<uint128>>(&parsed.hosts))
                into.v6.push_back({v6->first, v6->last, i});
            if (auto* name = std::get_if<HostName>(&parsed.hosts)) into.names.push_back({std::move(*name), i});
        });
    }

    std::vector<Interval<std::uint32_t>> excluded_v4;
    std::vector<Interval<uint128>> excluded_v6;
    for (const auto& spec : excludes) {
        collect([&] {
            const Hosts hosts = parse_exclude(spec);
            if (const auto* v4 = std::get_if<Interval<std::uint32_t>>(&hosts)) excluded_v4.push_back(*v4);
            if (const auto* v6 = std::get_if<Interval<uint128>>(&hosts)) excluded_v6.push_back(*v6);
        });
    }
    if (!problems.empty()) throw TargetError(std::move(problems));
    excluded_v4 = merged(std::move(excluded_v4));
    excluded_v6 = merged(std::move(excluded_v6));

    auto data = std::make_shared<Data>();
    data->specs = specs;
    std::vector<PortGroup> groups;
    groups.reserve(1 + on_own_port.size());  // the first group is pointed to while the others are added
    groups.push_back(make_group(std::move(on_port_list), port_list, excluded_v4, excluded_v6, nullptr));
    for (auto& [port, specs_for_port] : on_own_port) {
        const bool also_listed = std::binary_search(port_list.begin(), port_list.end(), port);
        groups.push_back(make_group(std::move(specs_for_port), {port}, excluded_v4, excluded_v6,
                                    also_listed ? &groups.front() : nullptr));
    }
    check_size(groups, specs);
    std::vector<Blocked> blocked(kBlockedRanges.size());
    take_out_blocked(groups, &PortGroup::v4, blocked_intervals().v4, blocked);
    take_out_blocked(groups, &PortGroup::v6, blocked_intervals().v6, blocked);
    for (std::size_t i = 0; i < blocked.size(); ++i) blocked[i].range = kBlockedRanges[i];
    std::erase_if(blocked, [](const Blocked& b) { return b.addresses == 0; });
    data->blocked = std::move(blocked);

    for (auto& group : groups) {
        group.v4_hosts = number_hosts(group.v4, group.v4_hosts_before);
        group.v6_hosts = number_hosts(group.v6, group.v6_hosts_before);
        if (group.size() == 0) continue;
        data->group_first.push_back(data->size);
        data->size += group.size();
        data->groups.push_back(std::move(group));
    }
    return TargetSet(std::move(data));
}

std::uint64_t TargetSet::size() const { return data_->size; }

const std::vector<TargetSet::Blocked>& TargetSet::blocked() const { return data_->blocked; }

std::uint64_t TargetSet::shard_size(Shard shard) const {
    check_shard(shard);
    return data_->size > shard.index ? (data_->size - shard.index - 1) / shard.count + 1 : 0;
}

std::size_t TargetSet::interval_count() const {
    std::size_t count = 0;
    for (const auto& group : data_->groups) count += group.v4.size() + group.v6.size();
    return count;
}

TargetSet::Cursor TargetSet::iterate(std::uint64_t seed, Shard shard, std::uint64_t start_position) const {
    check_shard(shard);
    return Cursor(data_, seed, shard, start_position);
}

// The shuffle is a Feistel network over the smallest even number of bits that covers every position: each round
// is invertible, so the whole is a permutation of that power-of-two domain. A result past the last target is fed
// through again (cycle-walking) until it lands inside; the domain is under 4x the size, so that takes few rounds.
TargetSet::Cursor::Cursor(std::shared_ptr<const Data> data, std::uint64_t seed, Shard shard,
                          std::uint64_t start_position)
    : data_(std::move(data)), stride_(shard.count) {
    unsigned bits = 2;
    while ((std::uint64_t{1} << bits) < data_->size) ++bits;
    half_bits_ = (bits + 1) / 2;
    std::uint64_t state = seed;
    for (auto& key : round_keys_) key = splitmix64(state);

    const std::uint64_t size = data_->size;
    const std::uint64_t behind = start_position % shard.count;
    const std::uint64_t to_shard = shard.index >= behind ? shard.index - behind : shard.count - (behind - shard.index);
    position_ = start_position >= size || to_shard >= size - start_position ? size : start_position + to_shard;
}

std::uint64_t TargetSet::Cursor::shuffled(std::uint64_t position) const {
    const std::uint64_t half_mask = (std::uint64_t{1} << half_bits_) - 1;
    std::uint64_t number = position;
    do {
        std::uint64_t left = number >> half_bits_;
        std::uint64_t right = number & half_mask;
        for (const std::uint64_t key : round_keys_) {
            const std::uint64_t next = left ^ (mix64(right ^ key) & half_mask);
            left = right;
            right = next;
        }
        number = left << half_bits_ | right;
    } while (number >= data_->size);
    return number;
}

std::optional<Target> TargetSet::Cursor::next() {
    const std::uint64_t size = data_->size;
    if (position_ >= size) return std::nullopt;
    Target target = data_->target(shuffled(position_));
    position_ = stride_ >= size - position_ ? size : position_ + stride_;
    return target;
}

}  // namespace certfleet::scanner
