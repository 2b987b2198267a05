#include <catch2/catch.hpp>

#include "scanner/owner_map.hpp"
#include "testkit/cert_factory.hpp"

using namespace certfleet;
using certfleet::LabelError;
using certfleet::scanner::OwnerMap;

TEST_CASE("owner map: labels by CIDR, host glob and path glob, the first line to set a key wins", "[owner_map]") {
    const auto map = OwnerMap::parse(
        "# who owns what\n"
        "10.20.0.0/16            owner=payments env=prod\n"
        "10.0.0.0/8              owner=platform   # everything else in 10/8\n"
        "2001:db8::/32           owner=v6team\n"
        "*.search.example.com    owner=search\n"
        "/etc/payments/*         owner=payments tier=1\n"
        "\n",
        "owners.txt");
    CHECK(map.for_endpoint("10.20.3.4", "10.20.3.4", "") == Labels{{"env", "prod"}, {"owner", "payments"}});
    CHECK(map.for_endpoint("10.99.0.1", "10.99.0.1", "") == Labels{{"owner", "platform"}});
    CHECK(map.for_endpoint("2001:db8::7", "2001:db8::7", "") == Labels{{"owner", "v6team"}});
    CHECK(map.for_endpoint("api.search.example.com", "192.0.2.1", "") == Labels{{"owner", "search"}});
    CHECK(map.for_endpoint("192.0.2.1", "192.0.2.1", "API.Search.Example.com") == Labels{{"owner", "search"}});
    CHECK(map.for_endpoint("192.0.2.1", "192.0.2.1", "").empty());
    CHECK(map.for_path("/etc/payments/tls/server.pem") == Labels{{"owner", "payments"}, {"tier", "1"}});
    CHECK(map.for_path("/etc/other/server.pem").empty());
    // A path never matches an address rule, nor an address a path rule.
    CHECK(map.for_path("10.20.0.1").empty());
}

namespace {

// The text of the LabelError an owner map of the one line `line` is refused with.
std::string problem_of(const std::string& line) {
    try {
        OwnerMap::parse("# owners\n" + line + "\n", "owners.txt");
    } catch (const LabelError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("owner map: a mistake is named by file, line and column, with what was expected and the fix",
          "[owner_map]") {
    CHECK(problem_of("/srv/*  owner") == "owners.txt:2:9: label 'owner': expected key=value, got no '=' (write owner=VALUE)");
    CHECK(problem_of("/srv/* owner=a =b") ==
          "owners.txt:2:16: label '=b': expected key=value, the key is empty (write KEY=b)");
    CHECK(problem_of("/srv/* env=") == "owners.txt:2:8: label 'env=': expected key=value, the value is empty (write env=VALUE)");
    CHECK(problem_of("/srv/* own:er=a") ==
          "owners.txt:2:8: label 'own:er=a': the key may hold letters, digits, '_', '-', '.' and '/' only");
    CHECK(problem_of("/srv/* owner=a env=prod owner=b") ==
          "owners.txt:2:25: label key 'owner' is set twice on this line (first at column 8): keep one");
    CHECK(problem_of("  *.example.com   # no labels") ==
          "owners.txt:2:16: '*.example.com' has no labels: add key=value labels after it, such as owner=payments");
    CHECK(problem_of("owner=payments 10.0.0.0/8") ==
          "owners.txt:2:1: 'owner=payments' is a label where the selector belongs: start the line with an address or "
          "CIDR block, a host glob or a /path glob, then its key=value labels");
    CHECK(problem_of("etc/payments/* owner=payments") ==
          "owners.txt:2:1: 'etc/payments/*' is neither a host glob (a host name has no '/') nor a path glob (which "
          "starts with '/'): write /etc/payments/* for files");
    CHECK(problem_of("\t10.0.0.0/33 owner=x") ==
          "owners.txt:2:2: '10.0.0.0/33': the prefix length is at most 32 for IPv4 and 128 for IPv6");
    CHECK(problem_of("2001:db8::/129 owner=x") ==
          "owners.txt:2:1: '2001:db8::/129': the prefix length is at most 32 for IPv4 and 128 for IPv6");
    CHECK(problem_of("10.0.0.1-10.0.0.9 owner=x") ==
          "owners.txt:2:1: '10.0.0.1-10.0.0.9' is a range: give the CIDR blocks that cover it, one line each, such "
          "as 10.0.0.0/24");
    CHECK(problem_of("mail.example.com:443 owner=x") ==
          "owners.txt:2:1: 'mail.example.com:443': a selector has no port: write mail.example.com");
    CHECK(problem_of("300.1.1.1 owner=x") ==
          "owners.txt:2:1: '300.1.1.1' is not an address or CIDR block, such as 10.20.0.0/16 or 2001:db8::/32");
    // The first mistake is the one reported, as in a rules file.
    CHECK_THROWS_WITH(OwnerMap::parse("/a/* owner\n/b/* env=\n", "owners.txt"), Catch::StartsWith("owners.txt:1:6: "));
    CHECK_THROWS_WITH(OwnerMap::read("/no/such/owners.txt"), Catch::Contains("/no/such/owners.txt"));
}

TEST_CASE("labels: key=value with a plain key", "[owner_map]") {
    CHECK(parse_label("env=prod") == Label{"env", "prod"});
    CHECK(parse_label("team/owner=a=b") == Label{"team/owner", "a=b"});
    CHECK_THROWS_AS(parse_label("env"), LabelError);
    CHECK_THROWS_AS(parse_label("=prod"), LabelError);
    CHECK_THROWS_AS(parse_label("env="), LabelError);
    CHECK_THROWS_WITH(parse_label("e nv=prod"), Catch::Contains("'e nv=prod'"));
}
