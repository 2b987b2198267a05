#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <tuple>

#include "scanner/targets.hpp"
#include "testkit/cert_factory.hpp"
#include "tests/unit/target_test_support.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using scanner::Shard;
using scanner::Target;
using scanner::TargetError;
using scanner::TargetSet;

namespace {

// Every address of the IPv4 range on every port, built without the module under test.
std::set<Endpoint> ipv4_block(std::uint32_t first, std::uint32_t last, const std::vector<std::uint16_t>& ports) {
    std::set<Endpoint> set;
    for (std::uint64_t a = first; a <= last; ++a)
        for (const auto port : ports)
            set.emplace(std::to_string(a >> 24) + "." + std::to_string(a >> 16 & 255) + "." +
                            std::to_string(a >> 8 & 255) + "." + std::to_string(a & 255),
                        port);
    return set;
}

std::uint32_t ipv4_value(const std::string& text) {
    unsigned a = 0, b = 0, c = 0, d = 0;
    REQUIRE(std::sscanf(text.c_str(), "%u.%u.%u.%u", &a, &b, &c, &d) == 4);
    return a << 24 | b << 16 | c << 8 | d;
}

std::vector<std::string> addresses(const std::vector<Target>& targets) {
    std::vector<std::string> out;
    for (const auto& t : targets) out.push_back(t.address);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

}  // namespace

TEST_CASE("targets: single addresses, IPv4 and IPv6, bare and bracketed", "[targets]") {
    const auto v4 = all_targets(TargetSet::parse({"192.0.2.7"}, {443, 8443}, {}));
    CHECK(endpoints(v4) == std::set<Endpoint>{{"192.0.2.7", 443}, {"192.0.2.7", 8443}});
    for (const auto& t : v4) {
        CHECK_FALSE(t.is_name);
        CHECK(t.server_name.empty());
        CHECK(t.spec == "192.0.2.7");
    }
    // IPv6 comes out in RFC 5952 form, without brackets, whatever form it went in.
    CHECK(endpoints_of({"2001:DB8:0:0:0:0:0:7"}, {443}) == std::set<Endpoint>{{"2001:db8::7", 443}});
    CHECK(endpoints_of({"[2001:db8::7]"}, {443}) == std::set<Endpoint>{{"2001:db8::7", 443}});
    CHECK(endpoints_of({"::1"}, {443}) == std::set<Endpoint>{{"::1", 443}});
    CHECK(endpoints_of({"::ffff:192.0.2.1"}, {443}) == std::set<Endpoint>{{"::ffff:192.0.2.1", 443}});
}

TEST_CASE("targets: CIDR blocks are taken from their network address", "[targets]") {
    CHECK(endpoints_of({"10.0.0.77/30"}, {443}) == ipv4_block(ipv4_value("10.0.0.76"), ipv4_value("10.0.0.79"), {443}));
    CHECK(endpoints_of({"10.0.0.77/32"}, {443}) == std::set<Endpoint>{{"10.0.0.77", 443}});
    CHECK(TargetSet::parse({"10.0.0.0/24"}, {443}, {}).size() == 256);
    // Less the blocked 0.0.0.0/8, 224.0.0.0/4 and 240.0.0.0/4 (target_safety_tests.cpp).
    CHECK(TargetSet::parse({"0.0.0.0/0"}, {443}, {}).size() == (1ull << 32) - (1ull << 24) - (2ull << 28));

    const auto v6 = all_targets(TargetSet::parse({"2001:db8::1234/120"}, {443}, {}));
    const auto v6_addresses = addresses(v6);
    REQUIRE(v6_addresses.size() == 256);
    CHECK(std::count(v6_addresses.begin(), v6_addresses.end(), "2001:db8::1200") == 1);
    CHECK(std::count(v6_addresses.begin(), v6_addresses.end(), "2001:db8::12ff") == 1);
    CHECK(std::count(v6_addresses.begin(), v6_addresses.end(), "2001:db8::1300") == 0);
    CHECK(TargetSet::parse({"2001:db8::/128"}, {443}, {}).size() == 1);
}

TEST_CASE("targets: ranges, IPv4 and IPv6, are inclusive", "[targets]") {
    CHECK(endpoints_of({"10.0.0.1-10.0.0.40"}, {443}) ==
          ipv4_block(ipv4_value("10.0.0.1"), ipv4_value("10.0.0.40"), {443}));
    CHECK(endpoints_of({"10.0.0.9-10.0.0.9"}, {443}) == std::set<Endpoint>{{"10.0.0.9", 443}});
    // Ranges cross octet boundaries.
    CHECK(TargetSet::parse({"10.0.0.250-10.0.1.5"}, {443}, {}).size() == 12);

    const auto v6 = addresses(all_targets(TargetSet::parse({"2001:db8::1-2001:db8::ff"}, {443}, {})));
    REQUIRE(v6.size() == 255);
    CHECK(std::count(v6.begin(), v6.end(), "2001:db8::1") == 1);
    CHECK(std::count(v6.begin(), v6.end(), "2001:db8::ff") == 1);
    CHECK(TargetSet::parse({"2001:db8::ffff-2001:db8::1:0"}, {443}, {}).size() == 2);
}

TEST_CASE("targets: host names stay names, on every listed port", "[targets]") {
    const auto targets = all_targets(TargetSet::parse({"Mail.Example.com", "www.example.org."}, {443, 993, 8443}, {}));
    REQUIRE(targets.size() == 6);
    std::set<std::tuple<std::string, std::string, std::uint16_t>> seen;
    for (const auto& t : targets) {
        CHECK(t.is_name);
        seen.emplace(t.address, t.server_name, t.port);
    }
    // The trailing dot stays for the resolver; SNI never has one.
    for (const std::uint16_t port : {443, 993, 8443}) {
        CHECK(seen.count({"mail.example.com", "mail.example.com", port}) == 1);
        CHECK(seen.count({"www.example.org.", "www.example.org", port}) == 1);
    }
    CHECK(targets.front().spec ==
          (targets.front().server_name == "mail.example.com" ? "Mail.Example.com" : "www.example.org."));

    CHECK(TargetSet::parse({"localhost", "a", "xn--bcher-kva.example", "1a.2b-c.example"}, {443}, {}).size() == 4);
    CHECK(TargetSet::parse({std::string(63, 'a') + ".example"}, {443}, {}).size() == 1);
}

TEST_CASE("targets: an explicit port replaces the port list for that target", "[targets]") {
    const std::vector<std::uint16_t> listed{1, 2};
    CHECK(endpoints_of({"192.0.2.7:443"}, listed) == std::set<Endpoint>{{"192.0.2.7", 443}});
    CHECK(endpoints_of({"[2001:db8::7]:8443"}, listed) == std::set<Endpoint>{{"2001:db8::7", 8443}});
    CHECK(endpoints_of({"10.0.0.0/30:8443"}, listed) ==
          ipv4_block(ipv4_value("10.0.0.0"), ipv4_value("10.0.0.3"), {8443}));
    CHECK(endpoints_of({"10.0.0.1-10.0.0.3:25"}, listed) ==
          ipv4_block(ipv4_value("10.0.0.1"), ipv4_value("10.0.0.3"), {25}));
    CHECK(endpoints_of({"[2001:db8::/127]:443"}, listed) ==
          std::set<Endpoint>{{"2001:db8::", 443}, {"2001:db8::1", 443}});

    const auto named = all_targets(TargetSet::parse({"imap.example.com:993"}, listed, {}));
    REQUIRE(named.size() == 1);
    CHECK(named[0].address == "imap.example.com");
    CHECK(named[0].server_name == "imap.example.com");
    CHECK(named[0].port == 993);
    CHECK(named[0].spec == "imap.example.com:993");

    // With an explicit port the port list may be empty; without one it may not.
    CHECK(TargetSet::parse({"192.0.2.7:443"}, {}, {}).size() == 1);
    CHECK(error_of([] { TargetSet::parse({"192.0.2.7"}, {}, {}); }) ==
          "target '192.0.2.7': it has no port and the port list is empty");
}

TEST_CASE("targets: an address or name given twice is scanned once per port", "[targets]") {
    CHECK(TargetSet::parse({"10.0.0.0/24", "10.0.0.5", "10.0.0.128/25"}, {443}, {}).size() == 256);
    CHECK(TargetSet::parse({"10.0.0.0/24", "10.0.0.200-10.0.1.9"}, {443}, {}).size() == 266);
    // 443 is on the list, so 10.0.0.5:443 is already covered; 444 is not.
    CHECK(TargetSet::parse({"10.0.0.0/24", "10.0.0.5:443"}, {443, 8443}, {}).size() == 512);
    CHECK(TargetSet::parse({"10.0.0.0/24", "10.0.0.5:444"}, {443, 8443}, {}).size() == 513);
    CHECK(TargetSet::parse({"a.example", "A.EXAMPLE.", "a.example:443", "a.example:444"}, {443}, {}).size() == 2);
    CHECK(TargetSet::parse({"2001:db8::/120", "2001:db8::1"}, {443}, {}).size() == 256);

    // Each address comes out once and names the spec it was taken from.
    const auto targets = all_targets(TargetSet::parse({"10.0.0.5", "10.0.0.0/30", "10.0.0.4/30"}, {443}, {}));
    REQUIRE(targets.size() == 8);
    for (const auto& t : targets)
        CHECK(t.spec == (ipv4_value(t.address) < ipv4_value("10.0.0.4") ? "10.0.0.0/30" : "10.0.0.4/30"));
}

TEST_CASE("targets: every kind of bad target is refused, naming it and what is wrong", "[targets]") {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"10.0.0.0/33", "prefix length 33 is over 32"},
        {"10.0.0.0/", "prefix length after '/' is missing"},
        {"10.0.0.0/x", "'x' is not a prefix length"},
        {"2001:db8::/129", "prefix length 129 is over 128"},
        {"300.1.1.1", "'300.1.1.1' is not an IPv4 address: 300 is over 255"},
        {"1.2.3", "it needs 4 numbers"},
        {"1.2.3.4.5", "more than 4 numbers"},
        {"1.2..4", "a number is missing"},
        {"010.0.0.1", "010 has a leading zero"},
        {"a..b", "empty label"},
        {".example.com", "empty label"},
        {"-host", "label '-host' starts with a hyphen"},
        {"host-.example", "label 'host-' ends with a hyphen"},
        {"under_score.example", "'_' is not allowed in a host name"},
        {"b\u00fccher.example", "write internationalised names in their xn-- form"},
        {std::string(64, 'a') + ".example", "is 64 characters long, over 63"},
        {std::string(200, 'a') + "." + std::string(53, 'b'), "254 characters long, over 253"},
        {"bad\x01host", "'\\x01' is not allowed"},
        {"10.0.0.40-10.0.0.1", "the range ends before it starts, so it is empty"},
        {"2001:db8::ff-2001:db8::1", "the range ends before it starts, so it is empty"},
        {"10.0.0.1-", "an address is missing"},
        {"[::1", "'[' has no matching ']'"},
        {"[::1]x", "'x' after ']' is not ':port'"},
        {"[10.0.0.1]", "'10.0.0.1' is not an IPv6 address"},
        {"2001:db8::g", "'2001:db8::g' is not an IPv6 address"},
        {"fe80::1%eth0", "zone indexes"},
        {"1.2.3.4:0", "port 0 is not a valid port"},
        {"1.2.3.4:70000", "port 70000 is over 65535"},
        {"example.com:", "the port is missing"},
        {"example.com:https", "'https' is not a port number"},
        {"[::1]:0", "port 0 is not a valid port"},
        {":443", "there is no host before the ':'"},
        {"", "the target is empty"},
        {".", "'.' is not an IPv4 address"},
    };
    for (const auto& [spec, problem] : cases) {
        INFO("spec: " << spec);
        const std::string error = error_of([&spec = spec] { TargetSet::parse({"192.0.2.1", spec}, {443}, {}); });
        CHECK_THAT(error, Catch::Contains(problem));
        const bool shown_as_is =
            spec.size() <= 200 && std::all_of(spec.begin(), spec.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
        if (shown_as_is) CHECK_THAT(error, Catch::StartsWith("target '" + spec + "': "));
    }
    CHECK(error_of([] { TargetSet::parse({"10.0.0.0/33"}, {443}, {}); }) ==
          "target '10.0.0.0/33': prefix length 33 is over 32");
    CHECK(error_of([] { TargetSet::parse({"192.0.2.1"}, {0, 443}, {}); }) == "ports: port 0 is not a valid port");
}

TEST_CASE("targets: parse lists every bad spec, exclude and port at once", "[targets]") {
    const std::vector<std::string> specs = {"10.0.0.0/33", "ok.example", "300.1.1.1", "-host", "10.0.0.0/24"};
    std::vector<std::string> problems;
    try {
        TargetSet::parse(specs, {443}, {"example.com", "10.0.0.0/8"});
    } catch (const scanner::TargetError& e) {
        problems = e.problems();
    }
    REQUIRE(problems.size() == 4);
    CHECK_THAT(problems[0], Catch::StartsWith("target '10.0.0.0/33': "));
    CHECK_THAT(problems[1], Catch::StartsWith("target '300.1.1.1': "));
    CHECK_THAT(problems[2], Catch::StartsWith("target '-host': "));
    CHECK_THAT(problems[3], Catch::StartsWith("exclude 'example.com': "));
    CHECK(error_of([&] { TargetSet::parse(specs, {443}, {"example.com", "10.0.0.0/8"}); }) ==
          problems[0] + "\n  " + problems[1] + "\n  " + problems[2] + "\n  " + problems[3]);

    CHECK(TargetSet::parse({"10.0.0.0/24", "example.com:993", "[::1]"}, {443}, {"10.0.0.1"}).size() > 0);
    CHECK_THAT(error_of([] { TargetSet::parse({"2001:db8::/32"}, {443}, {}); }),
               Catch::Contains("more than certfleet will scan"));
}

TEST_CASE("targets: parse_ports sorts, merges and checks each entry", "[targets]") {
    std::vector<std::uint16_t> expected{443, 8443};
    for (std::uint16_t p = 9000; p <= 9010; ++p) expected.push_back(p);
    CHECK(scanner::parse_ports("443,8443,9000-9010") == expected);
    CHECK(scanner::parse_ports("8443, 443,443,440-445") ==
          std::vector<std::uint16_t>{440, 441, 442, 443, 444, 445, 8443});
    CHECK(scanner::parse_ports("1-1,65535") == std::vector<std::uint16_t>{1, 65535});
    CHECK(scanner::parse_ports("1-65535").size() == 65535);

    const std::vector<std::pair<std::string, std::string>> bad = {
        {"0", "ports '0': port 0 is not a valid port"},
        {"443,70000", "ports '443,70000': port 70000 is over 65535"},
        {"9010-9000", "ports '9010-9000': range '9010-9000': it ends before it starts"},
        {"443,x", "ports '443,x': 'x' is neither a port number nor a port list"},
        {"443,,8443", "ports '443,,8443': an entry between commas is empty"},
        {"443,", "ports '443,': an entry between commas is empty"},
        {"", "ports '': no ports given"},
        {"443-", "ports '443-': range '443-': the port is missing"},
        {"0-10", "ports '0-10': range '0-10': port 0 is not a valid port"},
        {"-443", "ports '-443': range '-443': the port is missing"},
        {"+443", "ports '+443': '+443' is not a port number"},
        {"99999999999999999999999", "port 99999999999999999999999 is over 65535"},
    };
    for (const auto& [list, message] : bad) {
        INFO("list: " << list);
        CHECK_THAT(error_of([&list = list] { scanner::parse_ports(list); }), Catch::Contains(message));
    }
}

TEST_CASE("targets: excluded addresses are never produced", "[targets]") {
    const auto left = endpoints_of({"10.0.0.0/24"}, {443}, {"10.0.0.64/26"});
    CHECK(left.size() == 192);
    auto expected = ipv4_block(ipv4_value("10.0.0.0"), ipv4_value("10.0.0.63"), {443});
    expected.merge(ipv4_block(ipv4_value("10.0.0.128"), ipv4_value("10.0.0.255"), {443}));
    CHECK(left == expected);

    // Single addresses, ranges and overlapping excludes; excludes apply to explicit-port targets too.
    CHECK(endpoints_of({"10.0.0.0/29", "10.0.0.0/29:8443"}, {443}, {"10.0.0.0", "10.0.0.2-10.0.0.6", "10.0.0.5/32"}) ==
          std::set<Endpoint>{{"10.0.0.1", 443}, {"10.0.0.7", 443}, {"10.0.0.1", 8443}, {"10.0.0.7", 8443}});
    CHECK(endpoints_of({"2001:db8::/126"}, {443}, {"[2001:db8::1]", "2001:db8::2-2001:db8::3"}) ==
          std::set<Endpoint>{{"2001:db8::", 443}});
    // Excluding IPv4 space leaves IPv6 and names alone.
    CHECK(TargetSet::parse({"10.0.0.0/24", "::1", "example.com"}, {443}, {"0.0.0.0/0"}).size() == 2);
    const auto nothing = TargetSet::parse({"10.0.0.0/24"}, {443}, {"10.0.0.0/8"});
    CHECK(nothing.size() == 0);
    CHECK(all_targets(nothing).empty());
    CHECK(nothing.iterate(1).position() == 0);
    // A huge block trimmed under the limit by excludes is fine.
    CHECK(TargetSet::parse({"2001:db8::/32"}, {443}, {"2001:db8::100-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"}).size() ==
          256);

    CHECK(error_of([] { TargetSet::parse({"10.0.0.0/24"}, {443}, {"example.com"}); }) ==
          "exclude 'example.com': host names cannot be excluded, only addresses, CIDR blocks and ranges");
    CHECK_THAT(error_of([] { TargetSet::parse({"10.0.0.0/24"}, {443}, {"10.0.0.1:443"}); }),
               Catch::StartsWith("exclude '10.0.0.1:443': an exclude cannot have a port"));
    CHECK(error_of([] { TargetSet::parse({"10.0.0.0/24"}, {443}, {"10.0.0.0/40"}); }) ==
          "exclude '10.0.0.0/40': prefix length 40 is over 32");
}

TEST_CASE("targets: the shuffle is a bijection and spreads consecutive targets over subnets", "[targets]") {
    const std::vector<std::uint16_t> ports{443, 8443, 9443};
    const auto set = TargetSet::parse({"10.1.0.0/22"}, ports, {});
    REQUIRE(set.size() == 1024 * 3);
    const auto targets = all_targets(set, scanner::kDefaultShuffleSeed);
    REQUIRE(targets.size() == 1024 * 3);
    const auto unique = endpoints(targets);
    CHECK(unique.size() == targets.size());
    CHECK(unique == ipv4_block(ipv4_value("10.1.0.0"), ipv4_value("10.1.3.255"), ports));

    // A sweep would keep consecutive targets in one /28 nearly always; shuffled, it is about 1 in 64.
    std::size_t same_28 = 0;
    for (std::size_t i = 1; i < targets.size(); ++i)
        if (ipv4_value(targets[i].address) >> 4 == ipv4_value(targets[i - 1].address) >> 4) ++same_28;
    CHECK(same_28 < targets.size() / 20);

    // Small sets, down to one target, are permuted too.
    for (const char* spec : {"10.0.0.1", "10.0.0.0/31", "10.0.0.1-10.0.0.3", "10.0.0.0/30", "10.0.0.1-10.0.0.5"}) {
        INFO(spec);
        const auto small = TargetSet::parse({spec}, {443}, {});
        const auto small_targets = all_targets(small, 7);
        CHECK(small_targets.size() == small.size());
        CHECK(endpoints(small_targets).size() == small.size());
    }
}

TEST_CASE("targets: the same seed gives the same order, another seed another order", "[targets]") {
    const auto set = TargetSet::parse({"10.2.0.0/24", "2001:db8::/120", "a.example", "b.example:993"}, {443, 8443}, {});
    const auto first = all_targets(set, 42);
    CHECK(first.size() == set.size());
    const auto again = all_targets(
        TargetSet::parse({"10.2.0.0/24", "2001:db8::/120", "a.example", "b.example:993"}, {443, 8443}, {}), 42);
    const auto other = all_targets(set, 43);
    const auto order = [](const std::vector<Target>& targets) {
        std::vector<Endpoint> out;
        for (const auto& t : targets) out.emplace_back(t.address, t.port);
        return out;
    };
    CHECK(order(first) == order(again));
    CHECK(order(first) != order(other));
    CHECK(endpoints(first) == endpoints(other));
}

TEST_CASE("targets: shards are disjoint and together cover every target", "[targets]") {
    const auto set = TargetSet::parse({"10.3.0.0/23", "example.com"}, {443, 993}, {"10.3.1.0/28"});
    const auto whole = endpoints(all_targets(set));
    REQUIRE(whole.size() == set.size());
    for (const std::uint64_t count : {3u, 7u}) {
        std::set<Endpoint> covered;
        std::size_t produced = 0;
        for (std::uint64_t index = 0; index < count; ++index) {
            const auto part = all_targets(set, 1, {index, count});
            CHECK(part.size() == set.shard_size({index, count}));
            produced += part.size();
            for (const auto& t : part) covered.emplace(t.address, t.port);
        }
        CHECK(produced == set.size());
        CHECK(covered == whole);
    }
    CHECK(set.shard_size({}) == set.size());
    CHECK(TargetSet::parse({"10.0.0.1"}, {443}, {}).shard_size({4, 5}) == 0);
    CHECK(all_targets(TargetSet::parse({"10.0.0.1"}, {443}, {}), 1, {4, 5}).empty());
    CHECK_THROWS_AS(set.iterate(1, {3, 3}), TargetError);
    CHECK_THROWS_AS(set.iterate(1, {0, 0}), TargetError);
}

TEST_CASE("targets: parse_shard takes K/N counting from 1", "[targets]") {
    const auto shard = scanner::parse_shard("2/5");
    CHECK(shard.index == 1);
    CHECK(shard.count == 5);
    CHECK(scanner::parse_shard("1/1").index == 0);
    CHECK(scanner::parse_shard("7/7").index == 6);
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"0/3", "shard '0/3': shard 0 of 3 does not exist"},
        {"4/3", "shard '4/3': shard 4 of 3 does not exist"},
        {"1/0", "shard '1/0': there must be at least one shard"},
        {"3", "shard '3': expected K/N"},
        {"a/b", "shard 'a/b': expected K/N"},
        {"1/", "shard '1/': expected K/N"},
        {"-1/3", "shard '-1/3': expected K/N"},
        {"", "shard '': expected K/N"},
        {"1/99999999999999999999999", "shard '1/99999999999999999999999': expected K/N"},
    };
    for (const auto& [text, message] : bad) {
        INFO(text);
        CHECK_THAT(error_of([&text = text] { scanner::parse_shard(text); }), Catch::StartsWith(message));
    }
}

TEST_CASE("targets: a cursor resumed at its position yields exactly the rest", "[targets]") {
    const auto set = TargetSet::parse({"10.4.0.0/24", "2001:db8::/124"}, {443, 8443}, {});
    for (const Shard shard : {Shard{}, Shard{1, 3}}) {
        const auto whole = all_targets(set, 9, shard);
        auto cursor = set.iterate(9, shard);
        CHECK(cursor.position() == shard.index);
        const std::size_t taken = 100;
        for (std::size_t i = 0; i < taken; ++i) REQUIRE(cursor.next());
        const std::uint64_t position = cursor.position();
        CHECK(position == shard.index + taken * shard.count);

        const auto rest = all_targets(set, 9, shard, position);
        REQUIRE(rest.size() == whole.size() - taken);
        for (std::size_t i = 0; i < rest.size(); ++i) {
            CHECK(rest[i].address == whole[taken + i].address);
            CHECK(rest[i].port == whole[taken + i].port);
        }
        while (cursor.next()) {
        }
        CHECK(cursor.position() == set.size());
        CHECK(all_targets(set, 9, shard, cursor.position()).empty());
    }
    // A start between a shard's positions moves on to the shard's next one.
    CHECK(set.iterate(9, {1, 3}, 5).position() == 7);
    CHECK(set.iterate(9, {2, 3}, 5).position() == 5);
    CHECK(set.iterate(9, {}, set.size() + 10).position() == set.size());
    CHECK_FALSE(set.iterate(9, {}, set.size() + 10).next());
}

TEST_CASE("targets: a /8 on 10 ports is counted exactly and streamed without growing", "[targets]") {
    const std::vector<std::uint16_t> ten_ports{443, 465, 636, 853, 993, 995, 6443, 8443, 9443, 10250};
    const auto big = TargetSet::parse({"10.0.0.0/8"}, ten_ports, {});
    const auto small = TargetSet::parse({"10.0.0.0/24"}, ten_ports, {});
    CHECK(big.size() == 167772160);
    CHECK(big.interval_count() == 1);
    CHECK(small.interval_count() == big.interval_count());
    CHECK(TargetSet::parse({"10.0.0.0/8"}, ten_ports, {"10.1.0.0/16", "10.200.0.0/16"}).interval_count() == 3);

    auto cursor = big.iterate(scanner::kDefaultShuffleSeed);
    std::set<Endpoint> seen;
    std::set<std::uint32_t> slash16s;
    std::size_t outside = 0;
    for (int i = 0; i < 100'000; ++i) {
        const auto target = cursor.next();
        REQUIRE(target);
        const std::uint32_t address = ipv4_value(target->address);
        outside += address >> 24 != 10;
        seen.emplace(target->address, target->port);
        slash16s.insert(address >> 16);
    }
    CHECK(outside == 0);
    CHECK(seen.size() == 100'000);
    CHECK(cursor.position() == 100'000);
    // 100,000 draws from 256 /16s reach every one of them.
    CHECK(slash16s.size() == 256);
}

TEST_CASE("targets: sets over 2^40 targets are refused, naming the spec", "[targets]") {
    CHECK(error_of([] { TargetSet::parse({"2001:db8::/32"}, {443}, {}); }) ==
          "target '2001:db8::/32': 2^96 targets is more than certfleet will scan (at most 2^40)");
    const auto whole_v6 = [] { TargetSet::parse({"10.0.0.1", "::/0"}, {443}, {}); };
    CHECK(error_of(whole_v6) == "target '::/0': 2^128 targets is more than certfleet will scan (at most 2^40)");
    CHECK_THAT(error_of([] { TargetSet::parse({"2001:db8::/32"}, scanner::parse_ports("1-10"), {}); }),
               Catch::StartsWith("target '2001:db8::/32': about 2^99.3 targets is more"));
    // 2^40 exactly is allowed; each /88 alone is under the limit, together they are not.
    CHECK(TargetSet::parse({"2001:db8::/88"}, {443}, {}).size() == 1ull << 40);
    const auto two_at_the_limit = [] { TargetSet::parse({"2001:db8::/88", "2001:db9::/88"}, {443}, {}); };
    CHECK(error_of(two_at_the_limit) ==
          "targets: 2199023255552 targets in all is more than certfleet will scan (at most 2^40)");
    CHECK(error_of([] { TargetSet::parse({"0.0.0.0/0"}, scanner::parse_ports("1-257"), {}); }) ==
          "target '0.0.0.0/0': 1103806595072 targets is more than certfleet will scan (at most 2^40)");
}

TEST_CASE("targets: IPv6 blocks and names mix with IPv4 in one stream", "[targets]") {
    const auto set =
        TargetSet::parse({"192.0.2.0/30", "2001:db8::/126", "a.example", "b.example:993"}, {443, 8443}, {});
    CHECK(set.size() == (4 + 4 + 1) * 2 + 1);
    const auto targets = all_targets(set, 3);
    CHECK(endpoints(targets).size() == set.size());
    std::size_t names = 0, v6 = 0;
    for (const auto& t : targets) {
        names += t.is_name;
        v6 += t.address.find(':') != std::string::npos;
        if (t.address == "b.example") CHECK(t.port == 993);
    }
    CHECK(names == 3);
    CHECK(v6 == 8);
}

TEST_CASE("targets: target files skip comments and blanks and report bad lines by number", "[targets]") {
    TempDir dir;
    write_file(dir / "targets.txt",
               "# web tier\n"
               "10.0.0.0/24\n"
               "\n"
               "   mail.example.com:993   # trailing comment\r\n"
               "\t[2001:db8::1]:443\n"
               "last.example");
    CHECK(scanner::read_target_file((dir / "targets.txt").string()) ==
          std::vector<std::string>{"10.0.0.0/24", "mail.example.com:993", "[2001:db8::1]:443", "last.example"});

    const std::string bad = (dir / "bad.txt").string();
    write_file(bad, "10.0.0.1\n# fine\n\n300.1.1.1\n-host\n");
    CHECK(error_of([&] { scanner::read_target_file(bad); }) ==
          bad + ":4: target '300.1.1.1': '300.1.1.1' is not an IPv4 address: 300 is over 255");

    const std::string excludes = (dir / "excludes.txt").string();
    write_file(excludes, "10.0.0.0/26 # lab\n2001:db8::/64\n");
    CHECK(scanner::read_exclude_file(excludes) == std::vector<std::string>{"10.0.0.0/26", "2001:db8::/64"});
    write_file(excludes, "10.0.0.0/26\nexample.com\n");
    CHECK_THAT(error_of([&] { scanner::read_exclude_file(excludes); }),
               Catch::StartsWith(excludes + ":2: exclude 'example.com': host names cannot be excluded"));

    write_file(dir / "empty.txt", "");
    CHECK(scanner::read_target_file((dir / "empty.txt").string()).empty());

    const std::string missing = (dir / "missing.txt").string();
    CHECK(error_of([&] { scanner::read_target_file(missing); }) ==
          missing + ": cannot open: No such file or directory");
    CHECK_THAT(error_of([&] { scanner::read_target_file(dir.path().string()); }), Catch::Contains("cannot read"));

    const std::string huge = (dir / "huge.txt").string();
    { std::ofstream(huge) << "10.0.0.1\n"; }
    std::filesystem::resize_file(huge, (64u << 20) + 1);
    CHECK(error_of([&] { scanner::read_target_file(huge); }) ==
          huge + ": is over 64 MiB, the limit for a list of targets");
}
