// What `certfleet forget` takes as a place: paths and globs, hosts and addresses with or without a port, blocks.
#include <catch2/catch.hpp>

#include "core/host_identity.hpp"
#include "pipeline/place_selector.hpp"

using namespace certfleet;
using inventory::Place;
using pipeline::PlaceSelector;

namespace {

Place file_on(const std::string& host, const std::string& path) {
    Place p;
    p.host = host;
    p.path = path;
    return p;
}

Place file(const std::string& path) { return file_on(this_host().name, path); }

Place endpoint(const std::string& host, const std::string& address, std::uint16_t port) {
    Place p;
    p.kind = Place::Kind::endpoint;
    p.host = host;
    p.address = address;
    p.port = port;
    return p;
}

}  // namespace

TEST_CASE("place selector: paths, directories and globs match files only") {
    const auto dir = PlaceSelector::parse("/srv/legacy/");
    CHECK(dir.matches(file("/srv/legacy")));
    CHECK(dir.matches(file("/srv/legacy/old.crt")));
    CHECK_FALSE(dir.matches(file("/srv/legacy2/old.crt")));
    CHECK_FALSE(dir.matches(endpoint("srv", "127.0.0.1", 443)));
    const auto glob = PlaceSelector::parse("/srv/*/old.crt");
    CHECK(glob.matches(file("/srv/a/old.crt")));
    CHECK(glob.matches(file("/srv/a/b/old.crt")));
    CHECK_FALSE(glob.matches(file("/srv/a/new.crt")));
}

TEST_CASE("place selector: hosts, addresses, ports and blocks match endpoints") {
    const auto web = endpoint("Web1.Internal", "192.0.2.7", 8443);
    const auto v6 = endpoint("2001:db8::7", "2001:db8::7", 443);
    CHECK(PlaceSelector::parse("web1.internal").matches(web));
    CHECK(PlaceSelector::parse("web1.internal:8443").matches(web));
    CHECK_FALSE(PlaceSelector::parse("web1.internal:443").matches(web));
    CHECK(PlaceSelector::parse("192.0.2.7").matches(web));
    CHECK(PlaceSelector::parse("192.0.2.0/24").matches(web));
    CHECK_FALSE(PlaceSelector::parse("192.0.3.0/24").matches(web));
    CHECK(PlaceSelector::parse("[2001:db8::7]:443").matches(v6));
    CHECK(PlaceSelector::parse("2001:db8:0::7").matches(v6));
    CHECK(PlaceSelector::parse("2001:db8::/64").matches(v6));
    CHECK_FALSE(PlaceSelector::parse("2001:db8::/64").matches(web));
    CHECK_FALSE(PlaceSelector::parse("web1.internal").matches(file("web1.internal")));
}

TEST_CASE("place selector: files are of this machine unless a host is named") {
    const std::string other = this_host().name == "web2" ? "web3" : "web2";
    CHECK_FALSE(PlaceSelector::parse("/etc/nginx").matches(file_on(other, "/etc/nginx/server.crt")));
    CHECK(PlaceSelector::parse(other + ":/etc/nginx").matches(file_on(other, "/etc/nginx/server.crt")));
    CHECK(PlaceSelector::parse(other + ":/etc/*.crt").matches(file_on(other, "/etc/nginx/server.crt")));
    CHECK_FALSE(PlaceSelector::parse(other + ":/etc/nginx").matches(file("/etc/nginx/server.crt")));
    // A host names its files as well as its endpoints; with a port, only endpoints.
    CHECK(PlaceSelector::parse(other).matches(file_on(other, "/etc/nginx/server.crt")));
    CHECK_FALSE(PlaceSelector::parse(other + ":443").matches(file_on(other, "/etc/nginx/server.crt")));
    CHECK(PlaceSelector::parse("2001:db8::/64").matches(endpoint("h", "2001:db8::9", 443)));
}

TEST_CASE("place selector: a mistake names the text and what is wrong") {
    CHECK_THROWS_WITH(PlaceSelector::parse("10.0.0.0/33"), Catch::Contains("'10.0.0.0/33'") && Catch::Contains("prefix"));
    CHECK_THROWS_WITH(PlaceSelector::parse("srv/legacy"), Catch::Contains("a file path starts with /"));
    CHECK_THROWS_WITH(PlaceSelector::parse("host:99999"), Catch::Contains("port"));
    CHECK_THROWS_WITH(PlaceSelector::parse("[::1"), Catch::Contains("]"));
    CHECK_THROWS_WITH(PlaceSelector::parse(""), Catch::Contains("empty"));
}
