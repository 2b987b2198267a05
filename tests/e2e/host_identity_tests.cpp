// End-to-end: a file place is (host, path). The same path scanned on two hosts into one inventory is two places,
// a rotation on one host is a rotation of that place only, and each host's scans look only at its own files.
#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/e2e/certfleet_steps.hpp"
#include "testkit/cert_factory.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

TestCert server_cert(const std::string& cn, int key) {
    return TestCert::make({.subject_cn = cn, .dns_names = {cn}, .not_before_days = -10, .not_after_days = 200},
                          TestKey::shared({}, key));
}

// The hosts each place of `sha256` is on, in the current view.
std::vector<std::string> hosts_of(const std::string& db, const std::string& sha256) {
    const json certificates = json_of(db, {"inventory", "certs"});
    const bool in_view = std::any_of(certificates["certificates"].begin(), certificates["certificates"].end(),
                                     [&](const json& c) { return c["sha256"] == sha256; });
    if (!in_view) return {};
    const json detail = json_of(db, {"inventory", "cert", sha256});
    std::vector<std::string> hosts;
    for (const auto& seen : detail["certificate"]["places"]) hosts.push_back(seen["place"]["host"].get<std::string>());
    return hosts;
}

}  // namespace

TEST_CASE("e2e host identity: the same path on two hosts is two places, a rotation on one is that place's only",
          "[e2e][hosts]") {
    TempDir dir;
    const std::string db = (dir / "inventory.db").string();
    const fs::path tree = dir / "etc/nginx";
    const std::string server = (tree / "server.crt").string();
    const auto web1 = server_cert("web1.example", 31), web2 = server_cert("web2.example", 32);
    const auto renewed = server_cert("web1.example", 33);

    write_file(server, web1.pem());
    scan_ok(db, {"--files", tree.string(), "--host", "web1"});
    write_file(server, web2.pem());
    scan_ok(db, {"--files", tree.string(), "--label", "host=WEB2"});  // a host label names the files' host too

    const json two_hosts = json_of(db, {"diff", "1", "2"})["diff"];
    INFO(two_hosts.dump(1));
    CHECK(two_hosts["rotated"].empty());
    CHECK(hosts_of(db, web1.sha256()) == std::vector<std::string>{"web1"});
    CHECK(hosts_of(db, web2.sha256()) == std::vector<std::string>{"web2"});
    const auto table = run_certfleet(db, {"inventory", "cert", web2.sha256()});
    CHECK(table.out.find("web2:" + server) != std::string::npos);

    // web1 renews its certificate: a rotation of web1's place; web2's certificate stays where it was.
    write_file(server, renewed.pem());
    scan_ok(db, {"--files", tree.string(), "--host", "web1"});
    const json rotation = json_of(db, {"diff", "1", "3"})["diff"];
    INFO(rotation.dump(1));
    REQUIRE(rotation["rotated"].size() == 1);
    CHECK(rotation["rotated"][0]["place"]["host"] == "web1");
    CHECK(rotation["rotated"][0]["place"]["display"] == "web1:" + server);
    CHECK(rotation["rotated"][0]["new_sha256"] == renewed.sha256());
    CHECK(hosts_of(db, web2.sha256()) == std::vector<std::string>{"web2"});
    CHECK(json_of(db, {"report"})["coverage"]["gone"] == 0);

    // The file is deleted on web1: gone there, and only there.
    fs::remove(server);
    scan_ok(db, {"--files", tree.string(), "--host", "web1"});
    CHECK(hosts_of(db, renewed.sha256()).empty());
    CHECK(hosts_of(db, web2.sha256()) == std::vector<std::string>{"web2"});

    // Forgetting web2's files by host leaves the inventory with none.
    const auto forget = run_certfleet(db, {"forget", "web2:" + tree.string()});
    INFO(forget.err);
    CHECK(forget.exit_code == 0);
    CHECK(hosts_of(db, web2.sha256()).empty());
}

TEST_CASE("e2e host identity: a host name that cannot be one is refused before the scan", "[e2e][hosts]") {
    TempDir dir;
    const std::string db = (dir / "inventory.db").string();
    write_file(dir / "srv/a.crt", server_cert("a.example", 34).pem());
    const auto bad = run_certfleet(db, {"scan", "--host", "web 1", "--files", (dir / "srv").string()});
    CHECK(bad.exit_code == 2);
    CHECK(bad.err.find("--host web 1") != std::string::npos);
    const auto no_files = run_certfleet(db, {"scan", "127.0.0.1", "--ports", "1", "--host", "web1"});
    CHECK(no_files.exit_code == 2);
    CHECK(no_files.err.find("--files") != std::string::npos);
    CHECK_FALSE(fs::exists(db));
}
