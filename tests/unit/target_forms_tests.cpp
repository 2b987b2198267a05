// Targets in the forms people copy from elsewhere: URLs from a browser or a service's configuration, and the
// "HOST PORT" lines of ssl-cert-check's files.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "scanner/targets.hpp"
#include "testkit/cert_factory.hpp"
#include "tests/unit/target_test_support.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using scanner::TargetError;
using scanner::TargetSet;

TEST_CASE("targets: a URL is one host on its port, or else on its scheme's TLS port", "[targets]") {
    const std::vector<std::uint16_t> listed{1, 2};
    // A host name is the server name, as for a name target.
    const auto set = TargetSet::parse({"https://API.example.com:8443/health?full=1#top"}, listed, {});
    REQUIRE(set.size() == 1);
    const auto api = set.iterate(1).next();
    REQUIRE(api);
    CHECK(api->address == "api.example.com");
    CHECK(api->is_name);
    CHECK(api->server_name == "api.example.com");
    CHECK(api->port == 8443);

    CHECK(endpoints_of({"https://api.example.com"}, listed) == std::set<Endpoint>{{"api.example.com", 443}});
    CHECK(endpoints_of({"https://api.example.com/"}, listed) == std::set<Endpoint>{{"api.example.com", 443}});
    CHECK(endpoints_of({"ldaps://192.0.2.7"}, listed) == std::set<Endpoint>{{"192.0.2.7", 636}});
    CHECK(endpoints_of({"IMAPS://mail.example.com"}, listed) == std::set<Endpoint>{{"mail.example.com", 993}});
    CHECK(endpoints_of({"rediss://cache.example"}, listed) == std::set<Endpoint>{{"cache.example", 6380}});
    CHECK(endpoints_of({"https://[::1]:8443/"}, listed) == std::set<Endpoint>{{"::1", 8443}});
    CHECK(endpoints_of({"wss://[2001:db8::7]/socket"}, listed) == std::set<Endpoint>{{"2001:db8::7", 443}});
    // A plaintext or unknown scheme is fine with a port: the port is what is probed.
    CHECK(endpoints_of({"http://192.0.2.7:8443"}, listed) == std::set<Endpoint>{{"192.0.2.7", 8443}});
    CHECK(endpoints_of({"gopher://h.example:7070/1"}, listed) == std::set<Endpoint>{{"h.example", 7070}});
    // The same endpoint given as a URL and as host:port is scanned once.
    CHECK(TargetSet::parse({"https://a.example/", "a.example:443"}, listed, {}).size() == 1);
}

TEST_CASE("targets: a URL's user name and password are ignored and never shown", "[targets]") {
    CHECK(endpoints_of({"https://admin:s3cret@api.example.com:8443/"}, {443}) ==
          std::set<Endpoint>{{"api.example.com", 8443}});
    const std::string bad_host = error_of([] { TargetSet::parse({"https://admin:s3cret@bad_host/"}, {443}, {}); });
    CHECK_THAT(bad_host, Catch::StartsWith("target 'https://***@bad_host/': '_' is not allowed"));
    // A '/' in a password would make it read as host and port; such a URL is refused, the password masked.
    const std::string slash = error_of([] { TargetSet::parse({"https://admin:12/ab@api.example.com/"}, {443}, {}); });
    CHECK_THAT(slash, Catch::StartsWith("target 'https://***@api.example.com/': ") && Catch::Contains("%2F"));
    for (const auto& error : {bad_host, slash}) CHECK(error.find("s3cret") == std::string::npos);
    CHECK(slash.find("12/ab") == std::string::npos);

    CHECK(scanner::without_userinfo("https://admin:s3cret@api.example.com:8443/x") == "https://api.example.com:8443/x");
    CHECK(scanner::without_userinfo("https://api.example.com/") == "https://api.example.com/");
    CHECK(scanner::without_userinfo("10.0.0.0/24") == "10.0.0.0/24");
}

TEST_CASE("targets: a URL without a TLS port, or naming more than one host, is refused with the fix",
          "[targets]") {
    CHECK(error_of([] { TargetSet::parse({"http://x.example/health"}, {443}, {}); }) ==
          "target 'http://x.example/health': http is not TLS; give https://x.example or x.example:PORT");
    CHECK(error_of([] { TargetSet::parse({"ldap://[::1]"}, {443}, {}); }) ==
          "target 'ldap://[::1]': ldap is not TLS; give ldaps://[::1] or [::1]:PORT");
    CHECK(error_of([] { TargetSet::parse({"gopher://h.example"}, {443}, {}); }) ==
          "target 'gopher://h.example': certfleet does not know which port gopher:// URLs use for TLS; give it: "
          "gopher://h.example:PORT");
    CHECK(error_of([] { TargetSet::parse({"https://10.0.0.0/24"}, {443}, {}); }) ==
          "target 'https://10.0.0.0/24': a URL names one host, not a CIDR block: give it without https://, as in "
          "10.0.0.0/24:443");
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"https://[2001:db8::/120]:8443/", "not a CIDR block: give it without https://, as in [2001:db8::/120]:8443"},
        {"https://10.0.0.1-10.0.0.9/", "not a range: give it without https://, as in 10.0.0.1-10.0.0.9:443"},
        {"https://", "the URL has no host"},
        {"https://:443/", "the URL has no host"},
        {"https://x.example:0/", "port 0 is not a valid port"},
        {"https://x.example:/", "the port is missing"},
        {"https://[::1]x", "'x' after ']' is not ':port' or a path"},
        {"https://300.1.1.1/", "300 is over 255"},
        {"1https://x.example", "'1https' is not a URL scheme"},
        {"https://224.0.0.1/", "which certfleet never probes"},
    };
    for (const auto& [spec, problem] : cases) {
        INFO("spec: " << spec);
        CHECK_THAT(error_of([&spec = spec] { TargetSet::parse({spec}, {443}, {}); }),
                   Catch::StartsWith("target '" + spec + "': ") && Catch::Contains(problem));
    }
    CHECK(error_of([] { TargetSet::parse({"10.0.0.1"}, {443}, {"https://10.0.0.1/"}); }) ==
          "exclude 'https://10.0.0.1/': an exclude is an address, CIDR block or range, not a URL");
}

TEST_CASE("targets: a targets file line HOST PORT is HOST:PORT, and a line of other words is refused by number",
          "[targets]") {
    TempDir dir;
    const std::string pairs = (dir / "pairs.txt").string();
    write_file(pairs, "127.0.0.2 8443\nmail.example.com\t993  # imaps\n::1 443\n10.0.0.0/30 25\nhttps://a.example/\n");
    CHECK(scanner::read_target_file(pairs) == std::vector<std::string>{"127.0.0.2:8443", "mail.example.com:993",
                                                                       "[::1]:443", "10.0.0.0/30:25",
                                                                       "https://a.example/"});
    write_file(pairs, "127.0.0.2 8443\na b c\n");
    CHECK(error_of([&] { scanner::read_target_file(pairs); }) ==
          pairs + ":2: target 'a b c': a line holds one target, or a host and a port such as 'mail.example.com 993'");
    write_file(pairs, "host.example https\n");
    CHECK_THAT(error_of([&] { scanner::read_target_file(pairs); }),
               Catch::StartsWith(pairs + ":1: target 'host.example https': a line holds one target"));
    write_file(pairs, "127.0.0.2 70000\n");
    CHECK(error_of([&] { scanner::read_target_file(pairs); }) ==
          pairs + ":1: target '127.0.0.2:70000': port 70000 is over 65535");

    // Excludes have no port, so such a line is refused as one.
    const std::string excludes = (dir / "excludes.txt").string();
    write_file(excludes, "10.0.0.0/26\n10.0.0.1 443\n");
    CHECK_THAT(error_of([&] { scanner::read_exclude_file(excludes); }),
               Catch::StartsWith(excludes + ":2: exclude '10.0.0.1:443': an exclude cannot have a port"));
    write_file(excludes, "10.0.0.1 10.0.0.2\n");
    CHECK(error_of([&] { scanner::read_exclude_file(excludes); }) ==
          excludes + ":1: exclude '10.0.0.1 10.0.0.2': a line holds one exclude: an address, CIDR block or range");
}
