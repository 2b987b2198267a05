// The state of each place from what the scans looked at: a file gone from a walked root, an endpoint closed or no
// longer among the same targets leaves the current view; one that could not be looked at stays, as unseen, with
// its last certificates; `forget` removes what no scan revisits. Coverage counts all of it. On both stores.
#include <catch2/catch.hpp>
#include <set>

#include "core/certificate.hpp"
#include "inventory/analysis.hpp"
#include "inventory/inventory.hpp"
#include "testkit/cert_factory.hpp"
#include "tests/unit/store_fixture.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using inventory::Filter;
using inventory::PlaceState;

namespace {

FileObservations file(const std::string& path, const TestCert& cert) {
    FileObservations obs;
    obs.certificates.push_back(CertificateSighting{std::make_shared<const CertInfo>(describe_certificate(cert.der)),
                                                   std::make_shared<const Bytes>(cert.der),
                                                   FileLocation{path, SourceFormat::pem, 0}});
    return obs;
}

FileObservations unreadable(const std::string& path, const std::string& reason) {
    FileObservations obs;
    obs.events.push_back(ScanEvent{path, reason, "test", EventLevel::error});
    return obs;
}

EndpointObservationRecord probe(const std::string& address, EndpointStatus status, const TestCert* leaf = nullptr,
                                const std::string& site = "") {
    EndpointObservationRecord record;
    record.facts.site = site;
    record.facts.host = address;
    record.facts.address = address;
    record.facts.port = 443;
    record.facts.status = status;
    if (leaf)
        record.chain.push_back(ChainCertificate{std::make_shared<const CertInfo>(describe_certificate(leaf->der)),
                                                std::make_shared<const Bytes>(leaf->der)});
    return record;
}

struct Inventory {
    explicit Inventory(Store store) : inv(inventory::open_inventory(new_inventory(store, dir))) {}
    TempDir dir;
    std::unique_ptr<inventory::Inventory> inv;
    TestCert a = TestCert::make({.subject_cn = "a.example"}, TestKey::shared({}, 4));
    TestCert b = TestCert::make({.subject_cn = "b.example"}, TestKey::shared({}, 5));

    inventory::ScanId files_scan(const std::vector<FileObservations>& batch, const std::string& root = "/srv",
                                 inventory::ScanStatus status = inventory::ScanStatus::complete) {
        const auto scan = inv->begin_scan("files", R"({"files":[")" + root + R"("],"exclude_paths":[]})", {});
        inv->record(scan, batch);
        inv->finish_scan(scan, status, {});
        return scan;
    }
    inventory::ScanId network_scan(const std::vector<EndpointObservationRecord>& batch,
                                   const std::string& targets = "fleet") {
        const auto scan = inv->begin_scan("network", R"({"target_set":")" + targets + R"("})", {});
        inv->record_endpoints(scan, batch);
        inv->finish_scan(scan, inventory::ScanStatus::complete, {});
        return scan;
    }
    std::set<std::string> current_subjects() {
        std::set<std::string> out;
        for (const auto& c : inv->queries().certificates(Filter{})) out.insert(c.cert.subject);
        return out;
    }
    std::vector<inventory::AbsentPlace> absent() { return inv->queries().absent_places(Filter{}); }
};

}  // namespace

TEST_CASE("place states: a file deleted under a walked root is gone, one that cannot be read is unseen") {
    Inventory fleet(GENERATE(Store::sqlite, Store::postgresql));
    fleet.files_scan({file("/srv/a.pem", fleet.a), file("/srv/old/b.pem", fleet.b)});
    REQUIRE(fleet.current_subjects() == std::set<std::string>{"CN=a.example", "CN=b.example"});

    SECTION("deleted: out of the view, and said why") {
        const auto second = fleet.files_scan({file("/srv/a.pem", fleet.a)});
        CHECK(fleet.current_subjects() == std::set<std::string>{"CN=a.example"});
        const auto absent = fleet.absent();
        REQUIRE(absent.size() == 1);
        CHECK(absent[0].place.path == "/srv/old/b.pem");
        CHECK(absent[0].state == PlaceState::gone);
        CHECK(absent[0].reason == "not_found");
        CHECK(absent[0].since_scan == second);
        const auto coverage = fleet.inv->queries().coverage(second);
        CHECK(coverage.gone == 1);
        CHECK(coverage.gone_in_scan == 1);
        CHECK(coverage.unseen.empty());
        // The view as of the first scan still has it.
        Filter first;
        first.as_of = 1;
        CHECK(fleet.inv->queries().certificates(first).size() == 2);
        // ... and the view as of the second does not.
        Filter then;
        then.as_of = second;
        CHECK(fleet.inv->queries().certificates(then).size() == 1);

        SECTION("and back when a scan sees it again") {
            const auto third = fleet.files_scan({file("/srv/a.pem", fleet.a), file("/srv/old/b.pem", fleet.b)});
            CHECK(fleet.current_subjects().size() == 2);
            CHECK(fleet.absent().empty());
            // Gone as of the second scan still, back as of the third.
            CHECK(fleet.inv->queries().certificates(then).size() == 1);
            Filter back;
            back.as_of = third;
            CHECK(fleet.inv->queries().certificates(back).size() == 2);
        }
    }
    SECTION("unreadable, or under an unreadable directory: unseen, still in the view") {
        const auto second = fleet.files_scan({file("/srv/a.pem", fleet.a), unreadable("/srv/old", "permission_denied")});
        CHECK(fleet.current_subjects().size() == 2);
        const auto coverage = fleet.inv->queries().coverage(second);
        REQUIRE(coverage.unseen.size() == 1);
        CHECK(coverage.unseen[0].place.path == "/srv/old/b.pem");
        CHECK(coverage.unseen[0].reason == "permission_denied");
        CHECK(coverage.unreadable_files == 1);
        CHECK(coverage.unreadable_roots.empty());
    }
    SECTION("a root that is missing: everything under it unseen, and the root unreadable") {
        const auto second = fleet.files_scan({unreadable("/srv", "not_found")});
        const auto coverage = fleet.inv->queries().coverage(second);
        CHECK(coverage.unseen.size() == 2);
        CHECK(coverage.unreadable_roots == std::vector<std::string>{"/srv"});
        CHECK(fleet.current_subjects().size() == 2);
    }
    SECTION("an interrupted scan says nothing of what it did not reach") {
        fleet.files_scan({file("/srv/a.pem", fleet.a)}, "/srv", inventory::ScanStatus::interrupted);
        CHECK(fleet.current_subjects().size() == 2);
        CHECK(fleet.absent().empty());
    }
    SECTION("a scan of another root leaves these alone") {
        fleet.files_scan({file("/etc/ssl/a.pem", fleet.a)}, "/etc/ssl");
        CHECK(fleet.absent().empty());
        CHECK(fleet.current_subjects().size() == 2);
    }
}

TEST_CASE("place states: an endpoint that times out is unseen with its certificate, one closed or dropped is gone") {
    Inventory fleet(GENERATE(Store::sqlite, Store::postgresql));
    fleet.network_scan({probe("127.0.0.1", EndpointStatus::tls, &fleet.a), probe("127.0.0.2", EndpointStatus::tls, &fleet.b)});

    SECTION("a timeout keeps the certificate in the view, unseen") {
        const auto second = fleet.network_scan(
            {probe("127.0.0.1", EndpointStatus::timeout), probe("127.0.0.2", EndpointStatus::tls, &fleet.b)});
        CHECK(fleet.current_subjects().size() == 2);
        const auto endpoints = fleet.inv->queries().endpoints(Filter{});
        REQUIRE(endpoints.size() == 2);
        const auto& timed_out = endpoints[0].facts.address == "127.0.0.1" ? endpoints[0] : endpoints[1];
        CHECK(timed_out.state == PlaceState::unseen);
        CHECK(timed_out.state_reason == "timeout");
        CHECK(timed_out.facts.status == EndpointStatus::tls);  // as it last presented certificates
        const auto coverage = fleet.inv->queries().coverage(second);
        REQUIRE(coverage.unseen.size() == 1);
        CHECK(coverage.unreachable == 1);

        SECTION("closed after that: gone") {
            fleet.network_scan({probe("127.0.0.1", EndpointStatus::closed), probe("127.0.0.2", EndpointStatus::tls, &fleet.b)});
            CHECK(fleet.current_subjects() == std::set<std::string>{"CN=b.example"});
            REQUIRE(fleet.absent().size() == 1);
            CHECK(fleet.absent()[0].reason == "closed");
        }
    }
    SECTION("dropped from the same targets: gone; absent from other targets' scan: left alone") {
        fleet.network_scan({probe("127.0.0.2", EndpointStatus::tls, &fleet.b)}, "other");
        CHECK(fleet.absent().empty());
        fleet.network_scan({probe("127.0.0.2", EndpointStatus::tls, &fleet.b)});
        const auto absent = fleet.absent();
        REQUIRE(absent.size() == 1);
        CHECK(absent[0].place.address == "127.0.0.1");
        CHECK(absent[0].reason == "not_in_targets");
        CHECK(fleet.current_subjects() == std::set<std::string>{"CN=b.example"});
    }
}

TEST_CASE("place states: the same address at two sites is two endpoints, what one site's scans find leaves the "
          "other's alone") {
    Inventory fleet(GENERATE(Store::sqlite, Store::postgresql));
    // Both sites probe the same private address with the same targets, and find different servers there.
    fleet.network_scan({probe("10.0.0.5", EndpointStatus::tls, &fleet.a, "dc1")}, "fleet|dc1");
    fleet.network_scan({probe("10.0.0.5", EndpointStatus::tls, &fleet.b, "dc2")}, "fleet|dc2");
    CHECK(fleet.current_subjects() == std::set<std::string>{"CN=a.example", "CN=b.example"});
    const auto endpoints = fleet.inv->queries().endpoints(Filter{});
    REQUIRE(endpoints.size() == 2);
    CHECK(endpoints[0].facts.site == "dc1");
    CHECK(endpoints[1].facts.site == "dc2");
    const auto a = fleet.inv->queries().certificate(fleet.a.sha256(), Filter{});
    REQUIRE(a);
    REQUIRE(a->places.size() == 1);
    CHECK(a->places[0].place.display() == "10.0.0.5:443 site=dc1");

    // dc2's server closes its port: dc2's endpoint is gone, dc1's still serves its certificate.
    fleet.network_scan({probe("10.0.0.5", EndpointStatus::closed, nullptr, "dc2")}, "fleet|dc2");
    CHECK(fleet.current_subjects() == std::set<std::string>{"CN=a.example"});
    const auto absent = fleet.absent();
    REQUIRE(absent.size() == 1);
    CHECK(absent[0].place.site == "dc2");
}

TEST_CASE("place states: forget takes places out of the view, and a scan that sees one brings it back") {
    Inventory fleet(GENERATE(Store::sqlite, Store::postgresql));
    fleet.files_scan({file("/srv/a.pem", fleet.a)});
    fleet.network_scan({probe("127.0.0.2", EndpointStatus::tls, &fleet.b)});
    const auto endpoint_only = [](const inventory::Place& p) { return p.kind == inventory::Place::Kind::endpoint; };

    const auto listed = fleet.inv->forget(endpoint_only, true).places;
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].address == "127.0.0.2");
    CHECK(fleet.current_subjects().size() == 2);  // a dry run forgets nothing

    CHECK(fleet.inv->forget(endpoint_only, false).places.size() == 1);
    CHECK(fleet.current_subjects() == std::set<std::string>{"CN=a.example"});
    REQUIRE(fleet.absent().size() == 1);
    CHECK(fleet.absent()[0].reason == "forgotten");
    CHECK(fleet.inv->forget(endpoint_only, false).places.empty());

    fleet.network_scan({probe("127.0.0.2", EndpointStatus::tls, &fleet.b)});
    CHECK(fleet.current_subjects().size() == 2);
}
