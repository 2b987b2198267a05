// push: a local inventory's scans copied into another, on either store, each once.
#include <catch2/catch.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <set>

#include "core/certificate.hpp"
#include "inventory/analysis.hpp"
#include "inventory/inventory.hpp"
#include "pipeline/findings.hpp"
#include "pipeline/push.hpp"
#include "rules/rules.hpp"
#include "testkit/cert_factory.hpp"
#include "tests/unit/store_fixture.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using inventory::ScanStatus;

namespace {

// What a scan's contents say, as comparable text: ids and times left out, everything stored kept.
std::multiset<std::string> facts_of(const inventory::ScanContents& contents) {
    std::multiset<std::string> out;
    for (const auto& c : contents.certificates) {
        for (const auto& s : c.sightings) {
            std::string labels;
            for (const auto& l : s.labels) labels += l.key + "=" + l.value + " ";
            out.insert("file " + c.cert.sha256 + " " + s.host + ":" + s.location.path + "#" +
                       std::to_string(s.location.index) + " system=" + std::to_string(s.system_store) +
                       " key=" + std::to_string(s.with_private_key) + " " + labels);
        }
        for (const auto& e : c.endpoint_sightings)
            out.insert("at " + c.cert.sha256 + " " + e.address + ":" + std::to_string(e.port) + " @" +
                       std::to_string(e.chain_position));
    }
    for (const auto& k : contents.keys)
        for (const auto& place : k.locations) out.insert("key " + k.spki_sha256.value_or("?") + " " + place.path);
    for (const auto& e : contents.events) out.insert("event " + e.location + " " + e.reason + " " + e.detail);
    for (const auto& e : contents.endpoints) {
        std::string chain;
        for (const auto& sha : e.chain) chain += sha + " ";
        out.insert("endpoint " + e.facts.address + ":" + std::to_string(e.facts.port) + " " +
                   std::string(to_string(e.facts.status)) + " " + e.facts.verdict.verify_error + " " + chain);
    }
    for (const auto& f : contents.findings) out.insert("finding " + f.rule_id + " " + f.location);
    return out;
}

}  // namespace

TEST_CASE("push: every ended scan is copied once, as it was stored, into either store", "[push][pg]") {
    const Store store = GENERATE(Store::sqlite, Store::postgresql);
    INFO((store == Store::sqlite ? "sqlite" : "postgresql"));
    TempDir dir;
    const std::string local = (dir / "local.db").string();
    const std::string central = new_inventory(store, dir);

    const auto rules = rules::builtin_policy();
    pipeline::RulesOutcome judged;
    const TestKey server_key = TestKey::shared({}, 191);
    const TestCert root = TestCert::make({.subject_cn = "Push Root", .is_ca = true}, TestKey::shared({}, 192));
    const TestCert leaf = TestCert::make({.subject_cn = "push.example", .not_after_days = 20}, server_key);
    std::vector<inventory::ScanId> local_scans;
    {
        auto inv = inventory::open_sqlite_inventory(local);
        const auto files = inv->begin_scan("files", R"({"host":"laptop"})", {{"env", "dev"}}, {"audit", "files", 0, 0});
        FileObservations with_key;
        with_key.certificates = {pem_sighting(leaf, "/srv/tls/server.pem", 0)};
        with_key.certificates[0].with_private_key = true;
        with_key.keys = {KeySighting{"/srv/tls/server.pem", SourceFormat::pem, server_key.spki_sha256(), KeyState::readable}};
        with_key.labels = {{"owner", "payments"}};
        FileObservations store_entry;
        store_entry.certificates = {pem_sighting(root, "/etc/ssl/certs/ca-certificates.crt", 0)};
        store_entry.certificates[0].trust_anchor = true;
        store_entry.certificates[0].system_store = true;
        FileObservations unreadable;
        unreadable.events = {ScanEvent{"/srv/secret.p12", "unreadable", "permission denied", EventLevel::error}};
        inv->record(files, {with_key, store_entry, unreadable});
        inv->finish_scan(files, ScanStatus::complete, {.files_walked = 3, .certificates_seen = 2, .keys_seen = 1, .errors = 1},
                         pipeline::findings_evaluator(rules, judged));

        const auto network = inv->begin_scan("network", R"({"host":"laptop"})", {});
        EndpointObservationRecord probe;
        probe.facts.host = probe.facts.address = "127.0.0.1";
        probe.facts.port = 8443;
        probe.facts.status = EndpointStatus::tls;
        probe.facts.verdict.verify_error = "self-signed";
        probe.chain = {ChainCertificate{std::make_shared<const CertInfo>(describe_certificate(leaf.der)),
                                        std::make_shared<const Bytes>(leaf.der)}};
        inv->record_endpoints(network, {probe});
        inv->finish_scan(network, ScanStatus::interrupted, {}, pipeline::findings_evaluator(rules, judged));
        inv->begin_scan("files", "{}", {});  // still running: left for a later push
        local_scans = {files, network};
    }

    const auto from = inventory::open_queries(local);
    auto to = inventory::open_inventory(central);
    const auto first = pipeline::push_scans(*from, *to, rules);
    REQUIRE(first.scans.size() == 2);
    CHECK(first.still_running.size() == 1);
    for (std::size_t i = 0; i < first.scans.size(); ++i) {
        const auto& pushed = first.scans[i];
        REQUIRE(pushed.copy);
        const auto original = from->scan_contents(local_scans[i]);
        const auto copy = to->queries().scan_contents(*pushed.copy);
        CHECK(facts_of(copy) == facts_of(original));
        CHECK(copy.scan.uuid == original.scan.uuid);
        CHECK(copy.scan.status == original.scan.status);
        CHECK(copy.scan.started_at == original.scan.started_at);
        CHECK(copy.scan.finished_at == original.scan.finished_at);
        CHECK(copy.scan.counts.errors == original.scan.counts.errors);
        CHECK(copy.scan.run.run == original.scan.run.run);
        CHECK(pushed.rules.error.empty());
        CHECK(pushed.rules.findings == copy.findings.size());
    }
    CHECK_FALSE(to->queries().find_run("audit")->members.empty());

    // Pushed again: nothing is copied twice.
    const auto again = pipeline::push_scans(*from, *to, rules);
    REQUIRE(again.scans.size() == 2);
    for (const auto& pushed : again.scans) CHECK_FALSE(pushed.copy);
    CHECK(to->queries().scans().size() == 2);
}

TEST_CASE("push: a copy its pusher left unended is taken up again and copied whole", "[push][pg]") {
    const Store store = GENERATE(Store::sqlite, Store::postgresql);
    INFO((store == Store::sqlite ? "sqlite" : "postgresql"));
    TempDir dir;
    const std::string local = (dir / "local.db").string();
    const std::string central = new_inventory(store, dir);
    const auto rules = rules::builtin_policy();
    pipeline::RulesOutcome judged;
    inventory::ScanId local_scan = 0;
    {
        auto inv = inventory::open_sqlite_inventory(local);
        local_scan = inv->begin_scan("files", R"({"host":"agent"})", {{"env", "prod"}});
        std::vector<FileObservations> places(3);
        for (int i = 0; i < 3; ++i) {
            const TestCert cert = TestCert::make({.subject_cn = "resume" + std::to_string(i) + ".example"}, TestKey::shared({}, 193));
            places[i].certificates = {pem_sighting(cert, "/srv/tls/" + std::to_string(i) + ".pem", 0)};
        }
        places[2].events = {ScanEvent{"/srv/tls/3.pem", "unreadable", "permission denied", EventLevel::error}};
        inv->record(local_scan, places);
        inv->finish_scan(local_scan, ScanStatus::complete, {.files_walked = 4, .certificates_seen = 3, .errors = 1},
                         pipeline::findings_evaluator(rules, judged));
    }
    // A pusher that dies after the first of the scan's batches: the copy stays begun, not ended.
    const pid_t pusher = ::fork();
    REQUIRE(pusher >= 0);
    if (pusher == 0) {
        try {
            const auto from = inventory::open_queries(local);
            const auto origin = from->scans().at(0);
            auto to = inventory::open_inventory(central);
            const auto copy = to->begin_copied_scan(origin, from->scan_labels(origin.id));
            bool first = true;
            from->scan_observations(origin.id, 1, {[&](const std::vector<FileObservations>& batch) {
                                                       if (first) to->record(*copy, batch);
                                                       first = false;
                                                   },
                                                   [](const std::vector<EndpointObservationRecord>&) {}});
        } catch (...) {
            ::_exit(1);
        }
        ::_exit(0);
    }
    int status = 0;
    REQUIRE(::waitpid(pusher, &status, 0) == pusher);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);

    const auto from = inventory::open_queries(local);
    const auto origin = from->scans().at(0);
    // The server lets go of the dead pusher's claim when it notices the connection closed: poll for that.
    auto to = inventory::open_inventory(central);
    std::optional<inventory::ScanId> copy;
    const auto ceiling = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!copy && std::chrono::steady_clock::now() < ceiling) {
        const auto pushed = pipeline::push_scans(*from, *to, rules);
        REQUIRE(pushed.scans.size() == 1);
        copy = pushed.scans[0].copy;
    }
    REQUIRE(copy);
    const auto stored = to->queries().scan_contents(*copy);
    CHECK(facts_of(stored) == facts_of(from->scan_contents(local_scan)));
    CHECK(stored.scan.status == ScanStatus::complete);
    CHECK(stored.scan.finished_at == origin.finished_at);
    CHECK(to->queries().scans().size() == 1);
    CHECK_FALSE(pipeline::push_scans(*from, *to, rules).scans.at(0).copy);
}

// Rules that fail at a copy's end (on PostgreSQL a statement they need fails) do not hold back what the scan
// recorded: the copy ends as the scan did, without findings, and the push says why.
TEST_CASE("push: rules that fail leave the copy stored without findings, and say so", "[push][pg]") {
    const Store store = GENERATE(Store::sqlite, Store::postgresql);
    INFO((store == Store::sqlite ? "sqlite" : "postgresql"));
    TempDir dir;
    const std::string local = (dir / "local.db").string();
    const std::string central = new_inventory(store, dir);
    const TestCert cert = TestCert::make({.subject_cn = "late.example", .not_after_days = 5}, TestKey::shared({}, 194));
    {
        auto inv = inventory::open_sqlite_inventory(local);
        const auto scan = inv->begin_scan("files", R"({"host":"agent"})", {});
        FileObservations place;
        place.certificates = {pem_sighting(cert, "/srv/tls/late.pem", 0)};
        inv->record(scan, {place});
        inv->finish_scan(scan, ScanStatus::complete, {.files_walked = 1, .certificates_seen = 1});
    }
    const auto from = inventory::open_queries(local);
    auto to = inventory::open_inventory(central);
    const auto pushed = [&] {
        const FailingJsonValid failing(store, central);
        return pipeline::push_scans(*from, *to, rules::builtin_policy());
    }();
    REQUIRE(pushed.scans.size() == 1);
    REQUIRE(pushed.scans[0].copy);
    const auto copy = to->queries().scan_contents(*pushed.scans[0].copy);
    CHECK(copy.scan.status == ScanStatus::complete);
    CHECK(copy.certificates.size() == 1);
    if (store == Store::postgresql) {
        CHECK_THAT(pushed.scans[0].rules.error, Catch::Contains("json_valid failed"));
        CHECK_FALSE(pushed.scans[0].rules.findings);
        CHECK(copy.findings.empty());
    } else {
        CHECK(pushed.scans[0].rules.error.empty());
        CHECK(pushed.scans[0].rules.findings == copy.findings.size());
    }
}
