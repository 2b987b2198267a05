// Runs (`scan --run NAME`): which scans stand for a run, and what they saw together, on both stores.
#include <catch2/catch.hpp>
#include <set>

#include "core/certificate.hpp"
#include "inventory/analysis.hpp"
#include "inventory/inventory.hpp"
#include "testkit/cert_factory.hpp"
#include "tests/unit/store_fixture.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using inventory::RunMembership;
using inventory::ScanRecord;
using inventory::ScanStatus;

namespace {

ScanRecord shard_scan(inventory::ScanId id, int shard, int shards, ScanStatus status, UnixTime finished = 0) {
    ScanRecord scan;
    scan.id = id;
    scan.status = status;
    scan.started_at = 1'000 + id;
    if (finished) scan.finished_at = finished;
    scan.run = {"nightly", "shard " + std::to_string(shard), shard, shards};
    return scan;
}

std::vector<inventory::ScanId> ids(const std::vector<ScanRecord>& scans) {
    std::vector<inventory::ScanId> out;
    for (const auto& s : scans) out.push_back(s.id);
    return out;
}

FileObservations file_with(const std::string& path, const TestCert& cert) {
    FileObservations obs;
    obs.certificates.push_back(CertificateSighting{std::make_shared<const CertInfo>(describe_certificate(cert.der)),
                                                   std::make_shared<const Bytes>(cert.der),
                                                   FileLocation{path, SourceFormat::pem, 0}});
    return obs;
}

}  // namespace

TEST_CASE("runs: the latest scan to end in each slot stands for it, a rerun counts once", "[runs]") {
    ScanRecord outside = shard_scan(5, 1, 3, ScanStatus::complete, 2'000);
    outside.run = {};
    std::vector<ScanRecord> scans{shard_scan(1, 1, 3, ScanStatus::complete, 1'100),
                                  shard_scan(2, 2, 3, ScanStatus::failed, 1'200),
                                  shard_scan(3, 3, 3, ScanStatus::interrupted, 1'300),
                                  shard_scan(4, 1, 3, ScanStatus::complete, 1'400), outside};
    auto runs = inventory::summarize_runs(scans);
    REQUIRE(runs.size() == 1);
    const auto& partial = runs.front();
    CHECK(partial.name == "nightly");
    CHECK(ids(partial.members) == std::vector<inventory::ScanId>{3, 4});
    CHECK(ids(partial.pending) == std::vector<inventory::ScanId>{2});
    CHECK(partial.superseded == std::vector<inventory::ScanId>{1});
    CHECK(partial.shards == 3);
    CHECK(partial.missing_shards == std::vector<int>{2});
    CHECK_FALSE(partial.complete());
    CHECK_FALSE(partial.finished_at);
    CHECK(partial.gaps() == "shard 2/3: scan 2 failed; shard 3/3: scan 3 interrupted");

    // Shard 2 rerun after its failure and shard 3 run again to the end: complete, each shard once.
    scans.push_back(shard_scan(6, 2, 3, ScanStatus::complete, 2'100));
    scans.push_back(shard_scan(7, 3, 3, ScanStatus::complete, 2'200));
    scans.push_back(shard_scan(8, 1, 3, ScanStatus::running));  // a third run of shard 1, not ended: 4 still stands
    runs = inventory::summarize_runs(scans);
    REQUIRE(runs.size() == 1);
    const auto& whole = runs.front();
    CHECK(ids(whole.members) == std::vector<inventory::ScanId>{4, 6, 7});
    CHECK(whole.pending.empty());
    CHECK(whole.superseded == std::vector<inventory::ScanId>{1, 3});
    CHECK(whole.missing_shards.empty());
    CHECK(whole.complete());
    CHECK(whole.gaps().empty());
    CHECK(whole.finished_at == 2'200);
    CHECK(whole.started_at == 1'001);

    // A shard no scan has started is missing by name.
    const auto alone = inventory::summarize_runs({shard_scan(9, 2, 2, ScanStatus::complete, 3'000)});
    CHECK(alone.front().gaps() == "shard 1/2 has no scan");
}

TEST_CASE("runs: a run's contents are its members' sightings as one scan, on both stores", "[runs][pg]") {
    const Store store = GENERATE(Store::sqlite, Store::postgresql);
    INFO((store == Store::sqlite ? "sqlite" : "postgresql"));
    TempDir dir;
    const std::string db = new_inventory(store, dir);
    const TestCert shared = TestCert::make({.subject_cn = "shared.example"}, TestKey::shared({}, 11));
    const TestCert only_b = TestCert::make({.subject_cn = "b.example"}, TestKey::shared({}, 12));
    const TestCert outside = TestCert::make({.subject_cn = "outside.example"}, TestKey::shared({}, 13));
    auto inv = inventory::open_inventory(db);
    const auto scan_of = [&](const std::string& host, const RunMembership& run,
                             const std::vector<FileObservations>& files) {
        const auto scan = inv->begin_scan("files", R"({"host":")" + host + R"("})", {}, run);
        inv->record(scan, files);
        inv->finish_scan(scan, ScanStatus::complete, {.files_walked = files.size(), .certificates_seen = files.size()});
        return scan;
    };
    const RunMembership on_a{"nightly", R"({"host":"a"})", 0, 0}, on_b{"nightly", R"({"host":"b"})", 0, 0};
    const auto first_a = scan_of("host-a", on_a, {file_with("/etc/tls/app.pem", shared)});
    const auto b = scan_of("host-b", on_b, {file_with("/etc/tls/app.pem", shared), file_with("/etc/tls/b.pem", only_b)});
    scan_of("host-c", {}, {file_with("/etc/tls/c.pem", outside)});
    const auto second_a = scan_of("host-a", on_a, {file_with("/etc/tls/app.pem", shared)});  // host a's scan rerun

    auto& queries = inv->queries();
    CHECK_FALSE(queries.find_run("weekly"));
    const auto run = queries.find_run("nightly");
    REQUIRE(run);
    CHECK(ids(run->members) == std::vector<inventory::ScanId>{b, second_a});
    CHECK(run->superseded == std::vector<inventory::ScanId>{first_a});
    CHECK(run->complete());
    REQUIRE(queries.runs().size() == 1);
    const auto stored = queries.find_scan(b);
    REQUIRE(stored);
    CHECK(stored->run.run == "nightly");
    CHECK(stored->run.slot == on_b.slot);

    const auto contents = queries.run_contents(*run);
    REQUIRE(contents.run);
    CHECK(contents.scan.status == ScanStatus::complete);
    CHECK(contents.scan.counts.files_walked == 3);  // 2 of b, 1 of a's standing scan: the superseded one not again
    std::set<std::string> hosts_of_shared, subjects;
    for (const auto& c : contents.certificates) {
        subjects.insert(c.cert.subject);
        if (c.cert.sha256 == shared.sha256())
            for (const auto& s : c.sightings) hosts_of_shared.insert(s.host);
    }
    CHECK(subjects == std::set<std::string>{"CN=shared.example", "CN=b.example"});
    CHECK(hosts_of_shared == std::set<std::string>{"host-a", "host-b"});

    inventory::Filter of_run;
    of_run.scans = {b, second_a};
    std::set<std::string> listed;
    for (const auto& c : queries.certificates(of_run)) listed.insert(c.cert.sha256);
    CHECK(listed == std::set<std::string>{shared.sha256(), only_b.sha256()});
}
