// A scan finds the places an earlier scan stored by their keys (host, path and format; an endpoint's host, address,
// port, server name and site), whatever bytes those hold: on PostgreSQL the keys go to the server as array
// literals, in which quotes, backslashes, braces, commas, spaces and the word NULL mean something. On both stores.
#include <algorithm>
#include <catch2/catch.hpp>

#include "core/certificate.hpp"
#include "inventory/analysis.hpp"
#include "inventory/inventory.hpp"
#include "testkit/cert_factory.hpp"
#include "tests/unit/store_fixture.hpp"

using namespace certfleet;
using namespace certfleet::testing;

TEST_CASE("place keys: places and endpoints named with any bytes are found again by the next scan", "[inventory][pg]") {
    TempDir dir;
    auto inv = inventory::open_inventory(new_inventory(GENERATE(Store::sqlite, Store::postgresql), dir));
    const auto chain = make_chain("keys.example");
    const auto cert = std::make_shared<const CertInfo>(describe_certificate(chain.leaf.der));
    const auto der = std::make_shared<const Bytes>(chain.leaf.der);
    const std::vector<std::string> paths{"/srv/q\"uote.pem", "/srv/back\\slash.pem", "/srv/{brace},comma.pem",
                                         "/srv/sp ace .pem",  "NULL",                 "/srv/\xff\xfe-latin1.pem",
                                         "/srv/\"\\\"\\.pem", "/srv/caf\xc3\xa9.pem", "{}"};
    const std::vector<std::string> server_names{"", "NULL", "a\"b\\c", "{x,y}", "sp ace"};

    std::vector<FileObservations> files;
    for (const auto& path : paths) {
        FileObservations file;
        file.certificates = {CertificateSighting{cert, der, FileLocation{path, SourceFormat::pem, 0}}};
        files.push_back(file);
    }
    std::vector<EndpointObservationRecord> endpoints;
    for (const auto& server_name : server_names) {
        EndpointObservationRecord endpoint;
        endpoint.facts.host = "host \"" + server_name + "\"";
        endpoint.facts.address = "127.0.0.1";
        endpoint.facts.port = 443;
        endpoint.facts.server_name = server_name;
        endpoint.facts.site = server_name;
        endpoint.facts.status = EndpointStatus::tls;
        endpoint.chain = {{cert, der}};
        endpoints.push_back(endpoint);
    }
    // The second scan must find each place the first stored: the writer stores a place it did not find, and one
    // stored already but not found is an error there, never a second row.
    for (int round = 0; round < 2; ++round) {
        const auto scan = inv->begin_scan("files+network", "{}", {});
        inv->record(scan, files);
        inv->record_endpoints(scan, endpoints);
        inv->finish_scan(scan, inventory::ScanStatus::complete, {});

        const auto contents = inv->queries().scan_contents(scan);
        REQUIRE(contents.certificates.size() == 1);
        std::vector<std::string> seen_paths;
        for (const auto& sighting : contents.certificates[0].sightings) seen_paths.push_back(sighting.location.path);
        std::vector<std::string> expected_paths = paths;
        std::sort(seen_paths.begin(), seen_paths.end());
        std::sort(expected_paths.begin(), expected_paths.end());
        CHECK(seen_paths == expected_paths);
        std::vector<std::string> seen_names;
        for (const auto& endpoint : contents.endpoints) {
            CHECK(endpoint.facts.host == "host \"" + endpoint.facts.server_name + "\"");
            CHECK(endpoint.facts.site == endpoint.facts.server_name);
            seen_names.push_back(endpoint.facts.server_name);
        }
        std::vector<std::string> expected_names = server_names;
        std::sort(seen_names.begin(), seen_names.end());
        std::sort(expected_names.begin(), expected_names.end());
        CHECK(seen_names == expected_names);
    }
}
