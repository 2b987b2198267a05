// At-least-once writing: a batch stored again in the same scan, as after a COMMIT whose answer the connection lost
// (the writer cannot tell it went through) or a place read again after --resume, leaves what storing it once
// leaves. On both stores.
#include <algorithm>
#include <catch2/catch.hpp>

#include "core/certificate.hpp"
#include "inventory/analysis.hpp"
#include "inventory/inventory.hpp"
#include "testkit/cert_factory.hpp"
#include "tests/unit/store_fixture.hpp"

using namespace certfleet;
using namespace certfleet::testing;

namespace {

}  // namespace

TEST_CASE("rewritten batch: files, keys, events, labels and endpoints stored twice are stored once",
          "[inventory][pg]") {
    TempDir dir;
    auto inv = inventory::open_inventory(new_inventory(GENERATE(Store::sqlite, Store::postgresql), dir));
    const auto chain = make_chain("twice.example");
    const auto scan = inv->begin_scan("files+network", "{}", {});

    FileObservations file;
    file.certificates = {pem_sighting(chain.leaf, "/srv/tls.pem", 0), pem_sighting(chain.intermediate, "/srv/tls.pem", 1)};
    file.keys = {KeySighting{"/srv/tls.pem", SourceFormat::pem, chain.leaf_key.spki_sha256(), KeyState::readable},
                 KeySighting{"/srv/old.key", SourceFormat::pem, std::nullopt, KeyState::encrypted},
                 KeySighting{"/srv/old.key", SourceFormat::pem, std::nullopt, KeyState::encrypted}};
    file.events = {ScanEvent{"/srv/big.bin", "too_large", "11 MiB", EventLevel::error},
                   ScanEvent{"/srv/store.jks", "integrity_unverified", "no password", EventLevel::note}};
    file.labels = {{"owner", "payments"}};
    EndpointObservationRecord endpoint;
    endpoint.facts.host = endpoint.facts.address = "10.0.0.7";
    endpoint.facts.port = 443;
    endpoint.facts.status = EndpointStatus::tls;
    endpoint.chain = {{file.certificates[0].cert, file.certificates[0].der}};
    endpoint.labels = {{"owner", "payments"}};
    for (int attempt = 0; attempt < 2; ++attempt) {
        inv->record(scan, {file});
        inv->record_endpoints(scan, {endpoint});
    }
    inv->finish_scan(scan, inventory::ScanStatus::complete,
                     {.files_walked = 3, .certificates_seen = 2, .keys_seen = 1, .errors = 1, .notes = 1});

    const auto contents = inv->queries().scan_contents(scan);
    REQUIRE(contents.certificates.size() == 2);
    CHECK(contents.certificates[0].sightings.size() == 1);
    CHECK(contents.certificates[0].endpoint_sightings.size() == 1);
    CHECK(contents.certificates[1].sightings.size() == 1);
    // The readable key once; the two encrypted keys of one file, each unknown, are two keys still.
    REQUIRE(contents.keys.size() == 3);
    CHECK(contents.keys[0].spki_sha256 == chain.leaf_key.spki_sha256());
    CHECK(contents.keys[0].locations.size() == 1);
    CHECK(contents.events.size() == 2);
    REQUIRE(contents.endpoints.size() == 1);
    CHECK(contents.endpoints[0].chain.size() == 1);
    CHECK(contents.certificates[0].sightings[0].labels == Labels{{"owner", "payments"}});
}

TEST_CASE("rewritten batch: an endpoint probed twice in one batch is stored once, as the later probe found it",
          "[inventory][pg]") {
    TempDir dir;
    auto inv = inventory::open_inventory(new_inventory(GENERATE(Store::sqlite, Store::postgresql), dir));
    const auto chain = make_chain("twice-in-one.example");
    const auto scan = inv->begin_scan("network", "{}", {});
    EndpointObservationRecord timed_out;
    timed_out.facts.host = timed_out.facts.address = "10.0.0.8";
    timed_out.facts.port = 8443;
    timed_out.facts.status = EndpointStatus::timeout;
    EndpointObservationRecord answered = timed_out;
    answered.facts.status = EndpointStatus::tls;
    answered.chain = {{std::make_shared<const CertInfo>(describe_certificate(chain.leaf.der)),
                       std::make_shared<const Bytes>(chain.leaf.der)}};
    // Both within the rows the writer sends in one statement (it sends 64 at a time).
    std::vector<EndpointObservationRecord> batch{timed_out};
    for (int i = 1; i < 70; ++i) {
        EndpointObservationRecord other = timed_out;
        other.facts.host = other.facts.address = "10.0.1." + std::to_string(i);
        batch.push_back(other);
        if (i == 10) batch.push_back(answered);
    }
    inv->record_endpoints(scan, batch);
    inv->finish_scan(scan, inventory::ScanStatus::complete, {});

    const auto contents = inv->queries().scan_contents(scan);
    REQUIRE(contents.endpoints.size() == 70);
    const auto probe = std::find_if(contents.endpoints.begin(), contents.endpoints.end(),
                                    [](const auto& e) { return e.facts.address == "10.0.0.8"; });
    REQUIRE(probe != contents.endpoints.end());
    CHECK(probe->facts.status == EndpointStatus::tls);
    CHECK(probe->facts.port == 8443);
    CHECK(probe->chain == std::vector<std::string>{chain.leaf.sha256()});
}

TEST_CASE("rewritten batch: a place twice in one batch keeps one sighting per position and its later labels",
          "[inventory][pg]") {
    TempDir dir;
    auto inv = inventory::open_inventory(new_inventory(GENERATE(Store::sqlite, Store::postgresql), dir));
    const auto chain = make_chain("twice-in-batch.example");
    const auto scan = inv->begin_scan("files", "{}", {});
    // Roots that overlap (--files /etc --files /etc/ssl) meet the same file twice, here in one batch, and a path
    // with the characters a bulk copy escapes.
    const std::string path = "/etc/ssl/odd\tname\\with\nbreaks.pem";
    FileObservations first;
    first.certificates = {pem_sighting(chain.leaf, path, 0), pem_sighting(chain.intermediate, path, 1)};
    first.labels = {{"owner", "payments"}, {"env", "prod"}};
    FileObservations again = first;
    again.labels = {{"owner", "platform"}, {"env", "prod"}};
    inv->record(scan, {first, again});
    inv->finish_scan(scan, inventory::ScanStatus::complete, {});

    const auto contents = inv->queries().scan_contents(scan);
    REQUIRE(contents.certificates.size() == 2);
    for (const auto& certificate : contents.certificates) {
        REQUIRE(certificate.sightings.size() == 1);
        CHECK(certificate.sightings[0].location.path == path);
        CHECK(certificate.sightings[0].labels == Labels{{"env", "prod"}, {"owner", "platform"}});
    }
}
