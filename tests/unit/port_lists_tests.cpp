// The named port lists of --ports and the one table of known ports they come from: what each list holds, how list
// names mix with ports and ranges, the STARTTLS protocol each port gets, and the docs' copy of the table.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "scanner/targets.hpp"

using namespace certfleet;
using scanner::PortList;
using Ports = std::vector<std::uint16_t>;

namespace {

bool contains(const Ports& ports, std::uint16_t port) { return std::ranges::binary_search(ports, port); }

// A row of the port table in docs/network-scanning.md as it should read for `known`.
std::string docs_row(const scanner::KnownPort& known) {
    const std::string starts =
        known.starttls ? std::string("STARTTLS `") + to_string(*known.starttls) + "`" : "at once";
    std::string lists;
    if (known.lists & scanner::kOnDefault) lists = "`default`";
    if (known.lists & scanner::kOnWeb) lists += (lists.empty() ? "" : ", ") + std::string("`web`");
    if (lists.empty()) lists = "only `all-tls`";
    return "| " + std::to_string(known.port) + " | " + known.service + " | " + starts + " | " + lists + " |";
}

}  // namespace

TEST_CASE("port lists: default keeps the ports it had and adds the infrastructure most fleets run", "[targets]") {
    const Ports defaults = scanner::ports_on(PortList::default_ports);
    CHECK(std::ranges::is_sorted(defaults));
    CHECK(defaults.size() == 41);
    const Ports before_issue_17{21,   25,   110,  143,  389,  443,  465,  587,  636,  853,  989,  990,  992,  993, 994,
                                995,  2376, 3269, 3306, 5061, 5222, 5432, 5986, 6443, 6697, 8443, 8883, 9443, 10250};
    // etcd, NATS, AMQP, Redis, Vault, Consul, Kafka, Elasticsearch and OpenSearch, MongoDB, gRPC.
    const Ports infrastructure{2379, 2380, 4222, 5671, 6380, 8200, 8501, 9093, 9200, 9300, 27017, 50051};
    for (const Ports* group : {&before_issue_17, &infrastructure}) {
        for (const auto port : *group) {
            INFO("port " << port);
            CHECK(contains(defaults, port));
        }
    }
}

TEST_CASE("port lists: web is HTTPS and its alternatives, all-tls every known port", "[targets]") {
    CHECK(scanner::ports_on(PortList::web) == Ports{443, 4443, 8443, 9443});
    const Ports all = scanner::ports_on(PortList::all_tls);
    CHECK(all.size() == scanner::kKnownPorts.size());
    CHECK(all.size() > scanner::ports_on(PortList::default_ports).size());
    for (const PortList list : {PortList::default_ports, PortList::web})
        for (const auto port : scanner::ports_on(list)) CHECK(contains(all, port));
}

TEST_CASE("port lists: --ports mixes list names, in any case, with ports and ranges", "[targets]") {
    CHECK(scanner::parse_ports("web,9000-9002") == Ports{443, 4443, 8443, 9000, 9001, 9002, 9443});
    CHECK(scanner::parse_ports("WEB") == scanner::ports_on(PortList::web));
    CHECK(scanner::parse_ports("Default") == scanner::ports_on(PortList::default_ports));
    CHECK(scanner::parse_ports("web, All-TLS ,443") == scanner::ports_on(PortList::all_tls));
    const Ports with_extra = scanner::parse_ports("default,8080");
    CHECK(with_extra.size() == scanner::ports_on(PortList::default_ports).size() + 1);
    CHECK(contains(with_extra, 8080));

    const std::string lists = "; the lists are default, web, all-tls";
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"wbe", "ports 'wbe': 'wbe' is neither a port number nor a port list (did you mean 'web'?)" + lists},
        {"443,alltls",
         "ports '443,alltls': 'alltls' is neither a port number nor a port list (did you mean 'all-tls'?)" + lists},
        {"https", "ports 'https': 'https' is neither a port number nor a port list" + lists},
        {"web-9000", "ports 'web-9000': 'web-9000' is neither a port number nor a port list" + lists},
    };
    for (const auto& [list, message] : bad) {
        INFO("list: " << list);
        CHECK_THROWS_WITH(scanner::parse_ports(list), message);
    }
}

TEST_CASE("known ports: each STARTTLS port speaks its protocol, every other port TLS at once", "[targets]") {
    const std::vector<std::pair<std::uint16_t, StartTls>> expected = {
        {21, StartTls::ftp},    {25, StartTls::smtp},   {110, StartTls::pop3},     {143, StartTls::imap},
        {389, StartTls::ldap},  {587, StartTls::smtp},  {3306, StartTls::mysql},   {4222, StartTls::nats},
        {5222, StartTls::xmpp}, {5432, StartTls::postgres}};
    for (const auto& [port, protocol] : expected) {
        INFO("port " << port);
        CHECK(scanner::starttls_protocol_for_port(port) == protocol);
    }
    const auto starttls_ports =
        std::ranges::count_if(scanner::kKnownPorts, [](const auto& known) { return known.starttls.has_value(); });
    CHECK(starttls_ports == static_cast<std::ptrdiff_t>(expected.size()));
    for (const std::uint16_t port : {443, 27017, 9093, 80, 1, 65535})
        CHECK_FALSE(scanner::starttls_protocol_for_port(port));

    // `--starttls` takes the same names the table is shown with.
    for (const auto& [port, protocol] : expected) CHECK(parse_enum<StartTls>(to_string(protocol)) == protocol);
    CHECK_FALSE(parse_enum<StartTls>("smtps"));
    CHECK_FALSE(parse_enum<StartTls>(""));
}

TEST_CASE("known ports: docs/network-scanning.md shows the table as the code has it", "[targets]") {
    std::ifstream docs(std::string(CERTFLEET_SOURCE_DIR) + "/docs/network-scanning.md");
    REQUIRE(docs);
    const std::regex port_row(R"(\| \d+ \| .*)");
    std::vector<std::string> shown;
    for (std::string line; std::getline(docs, line);)
        if (std::regex_match(line, port_row)) shown.push_back(line);
    std::vector<std::string> expected;
    for (const auto& known : scanner::kKnownPorts) expected.push_back(docs_row(known));
    CHECK(shown == expected);
}
