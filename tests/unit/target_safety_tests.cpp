// What keeps a scan from probing what it must not: the blocklist of unspecified, multicast, reserved and broadcast
// addresses, and the status of a connect that found no route.
#include <catch2/catch.hpp>

#include <cerrno>
#include <set>
#include <string>

#include "scanner/network_scan.hpp"
#include "scanner/targets.hpp"
#include "testkit/cert_factory.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using scanner::TargetError;
using scanner::TargetSet;

namespace {

constexpr std::uint64_t kThisNetwork = 1ull << 24;  // 0.0.0.0/8
constexpr std::uint64_t kSlash4 = 1ull << 28;       // 224.0.0.0/4, 240.0.0.0/4

std::string blocked_block(const std::string& address) {
    const auto range = scanner::blocked_range_of(address);
    return range ? range->block : "";
}

}  // namespace

TEST_CASE("target safety: 0.0.0.0/0 leaves out exactly the blocked ranges, and says how much", "[targets][safety]") {
    const auto all = TargetSet::parse({"0.0.0.0/0"}, {443, 8443}, {});
    const std::uint64_t allowed = (1ull << 32) - kThisNetwork - 2 * kSlash4;
    CHECK(all.size() == allowed * 2);
    REQUIRE(all.blocked().size() == 3);
    const auto& blocked = all.blocked();
    CHECK(std::string(blocked[0].range.block) == "0.0.0.0/8");
    CHECK(blocked[0].addresses == kThisNetwork);
    CHECK(blocked[0].targets == kThisNetwork * 2);
    CHECK(std::string(blocked[1].range.block) == "224.0.0.0/4");
    CHECK(std::string(blocked[1].range.reason) == "multicast");
    CHECK(blocked[1].addresses == kSlash4);
    CHECK(std::string(blocked[2].range.block) == "240.0.0.0/4");
    CHECK(blocked[2].targets == kSlash4 * 2);
    // Shards split what is left, exactly.
    std::uint64_t in_shards = 0;
    for (std::uint64_t k = 0; k < 7; ++k) in_shards += all.shard_size({k, 7});
    CHECK(in_shards == all.size());

    // No blocked address comes out, however far the shuffle reaches.
    auto cursor = all.iterate(scanner::kDefaultShuffleSeed);
    std::set<std::string> first_octets;
    for (int i = 0; i < 200'000; ++i) {
        const auto target = cursor.next();
        REQUIRE(target);
        REQUIRE(blocked_block(target->address).empty());
        first_octets.insert(target->address.substr(0, target->address.find('.')));
    }
    CHECK(first_octets.size() == 223);  // every allowed first octet, 1 to 223, is reached

    // Excludes come first: what they removed is not counted again. An address on two port lists is one address.
    const auto trimmed = TargetSet::parse({"0.0.0.0/0", "0.0.0.0/7:993"}, {443}, {"224.0.0.0/8"});
    REQUIRE(trimmed.blocked().size() == 3);
    CHECK(trimmed.blocked()[0].addresses == kThisNetwork);
    CHECK(trimmed.blocked()[0].targets == kThisNetwork * 2);
    CHECK(trimmed.blocked()[1].addresses == kSlash4 - kThisNetwork);
    CHECK(trimmed.size() == allowed + (1ull << 24));  // and 1.0.0.0/8 on 993
    // A set that never touches a blocked range reports none.
    CHECK(TargetSet::parse({"10.0.0.0/8", "example.com"}, {443}, {}).blocked().empty());
}

TEST_CASE("target safety: IPv6 unspecified, multicast and mapped blocked IPv4 are left out", "[targets][safety]") {
    const std::vector<std::string> specs{"::/120", "feff:ffff:ffff:ffff:ffff:ffff:ffff:fffe-ff00::1", "2001:db8::1",
                                         "::ffff:223.255.255.254/127"};
    const auto set = TargetSet::parse(specs, {443}, {});
    CHECK(set.size() == 255 + 2 + 1 + 2);
    REQUIRE(set.blocked().size() == 2);
    CHECK(std::string(set.blocked()[0].range.block) == "::/128");
    CHECK(set.blocked()[0].addresses == 1);
    CHECK(std::string(set.blocked()[1].range.block) == "ff00::/8");
    CHECK(set.blocked()[1].addresses == 2);
    const auto mapped =
        TargetSet::parse({"::ffff:223.255.255.0-::ffff:224.0.0.255"}, {443}, {"::ffff:224.0.0.0/121"});
    CHECK(mapped.size() == 256);
    REQUIRE(mapped.blocked().size() == 1);
    CHECK(std::string(mapped.blocked()[0].range.block) == "::ffff:224.0.0.0/100");
    CHECK(mapped.blocked()[0].addresses == 128);
}

TEST_CASE("target safety: a target of blocked addresses only is refused, saying why", "[targets][safety]") {
    CHECK_THROWS_WITH(TargetSet::parse({"224.0.0.1"}, {443}, {}),
                      "target '224.0.0.1': it is all in 224.0.0.0/4 (multicast), which certfleet never probes");
    CHECK_THROWS_WITH(TargetSet::parse({"ff02::1"}, {443}, {}),
                      "target 'ff02::1': it is all in ff00::/8 (multicast), which certfleet never probes");
    CHECK_THROWS_WITH(TargetSet::parse({"224.0.0.0/3"}, {443}, {}),
                      "target '224.0.0.0/3': it is all in 224.0.0.0/4 (multicast) and 240.0.0.0/4 (reserved, and "
                      "the broadcast address 255.255.255.255), which certfleet never probes");
    for (const std::string spec : {"0.0.0.0", "0.0.0.0:443", "0.1.2.3-0.1.2.9", "255.255.255.255", "239.1.2.3/16",
                                   "::", "[::]:443", "[ff05::/16]:443", "::ffff:0.0.0.0", "::ffff:224.0.0.1",
                                   "::ffff:255.255.255.255"}) {
        INFO(spec);
        CHECK_THROWS_WITH(TargetSet::parse({"127.0.0.1", spec}, {443}, {}),
                          Catch::StartsWith("target '" + spec + "': it is all in ") &&
                              Catch::EndsWith("which certfleet never probes"));
    }
    // Loopback, private, link-local, the edges of the blocked ranges and mapped allowed addresses may be scanned.
    for (const std::string spec : {"127.0.0.1", "127.0.0.0/8", "::1", "10.0.0.0/8", "192.168.1.1", "169.254.1.1",
                                   "1.0.0.0", "223.255.255.255", "::2", "::ffff:127.0.0.1", "feff::1", "0.0.0.0/7"}) {
        INFO(spec);
        CHECK_NOTHROW(TargetSet::parse({spec}, {443}, {}));
    }
    // Blocked ranges may be excluded: that changes nothing, and is no mistake.
    CHECK(TargetSet::parse({"223.0.0.0-224.255.255.255"}, {443}, {"224.0.0.0/4"}).size() == 1ull << 24);

    TempDir dir;
    const std::string file = (dir / "targets.txt").string();
    write_file(file, "10.0.0.1\n# multicast by mistake\n224.0.0.251\n");
    CHECK_THROWS_WITH(scanner::read_target_file(file),
                      file + ":3: target '224.0.0.251': it is all in 224.0.0.0/4 (multicast), which certfleet never "
                             "probes");
}

TEST_CASE("target safety: blocked_range_of tells the prober which resolved addresses to leave alone",
          "[targets][safety]") {
    CHECK(blocked_block("0.0.0.0") == "0.0.0.0/8");
    CHECK(blocked_block("0.255.255.255") == "0.0.0.0/8");
    CHECK(blocked_block("224.0.0.1") == "224.0.0.0/4");
    CHECK(blocked_block("239.255.255.255") == "224.0.0.0/4");
    CHECK(blocked_block("240.0.0.1") == "240.0.0.0/4");
    CHECK(blocked_block("255.255.255.255") == "240.0.0.0/4");
    CHECK(blocked_block("::") == "::/128");
    CHECK(blocked_block("ff02::1") == "ff00::/8");
    CHECK(blocked_block("::ffff:0.0.0.0") == "::ffff:0.0.0.0/104");
    CHECK(blocked_block("::ffff:224.0.0.1") == "::ffff:224.0.0.0/100");
    CHECK(blocked_block("::ffff:255.255.255.255") == "::ffff:240.0.0.0/100");
    CHECK(blocked_block("ff02::1%2") == "ff00::/8");
    for (const std::string allowed : {"127.0.0.1", "::1", "10.1.2.3", "1.0.0.0", "223.255.255.255", "::ffff:127.0.0.1",
                                      "fe80::1%eth0", "2001:db8::1", "example.com", "", "224.0.0.1:443"}) {
        INFO(allowed);
        CHECK(blocked_block(allowed).empty());
    }
}

TEST_CASE("target safety: a connect with no route is unreachable, not closed", "[targets][safety]") {
    CHECK(scanner::connect_failure_status(ENETUNREACH) == EndpointStatus::unreachable);
    CHECK(scanner::connect_failure_status(EHOSTUNREACH) == EndpointStatus::unreachable);
    CHECK(scanner::connect_failure_status(ENETDOWN) == EndpointStatus::unreachable);
    CHECK(scanner::connect_failure_status(EHOSTDOWN) == EndpointStatus::unreachable);
    CHECK(scanner::connect_failure_status(EADDRNOTAVAIL) == EndpointStatus::unreachable);
    CHECK(scanner::connect_failure_status(ECONNREFUSED) == EndpointStatus::closed);
    CHECK(scanner::connect_failure_status(ECONNRESET) == EndpointStatus::closed);
    CHECK(std::string(to_string(EndpointStatus::unreachable)) == "unreachable");
    // Every status once in the table the summary and the counters use, at its value's index, with its own name.
    std::set<std::string> names;
    for (std::size_t i = 0; i < kEndpointStatusNames.size(); ++i) {
        CHECK(static_cast<std::size_t>(kEndpointStatusNames[i].value) == i);
        names.insert(kEndpointStatusNames[i].name);
    }
    CHECK(names.size() == kEndpointStatusNames.size());
    CHECK(names.count("unreachable") == 1);
}
