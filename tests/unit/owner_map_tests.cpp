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

TEST_CASE("owner map: mistakes are reported with file and line", "[owner_map]") {
    CHECK_THROWS_WITH(OwnerMap::parse("10.0.0.0/33 owner=x\n", "owners.txt"),
                      Catch::Contains("owners.txt:1") && Catch::Contains("10.0.0.0/33"));
    CHECK_THROWS_WITH(OwnerMap::parse("# ok\n/srv/* owner\n", "owners.txt"),
                      Catch::Contains("owners.txt:2") && Catch::Contains("key=value"));
    CHECK_THROWS_WITH(OwnerMap::parse("*.example.com\n", "owners.txt"),
                      Catch::Contains("owners.txt:1") && Catch::Contains("no key=value"));
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
