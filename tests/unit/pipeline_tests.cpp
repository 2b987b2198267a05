// The scan pipeline without the binary: plans from requests, and scans run into a real inventory.
#include <catch2/catch.hpp>

#include "inventory/analysis.hpp"
#include "pipeline/batcher.hpp"
#include "pipeline/scan_run.hpp"
#include "testkit/cert_factory.hpp"

using namespace certfleet;
using namespace certfleet::testing;

namespace {

std::string plan_error(const pipeline::ScanRequest& request) {
    try {
        pipeline::plan_scan(request);
    } catch (const pipeline::PlanError& e) {
        return e.what();
    }
    return {};
}

}  // namespace

TEST_CASE("pipeline: a plan names every bad target at once, and refuses what cannot run", "[pipeline]") {
    CHECK_THAT(plan_error({.targets = {"10.0.0.0/33", "300.1.1.1"}, .ports = "443"}),
               Catch::StartsWith("target '10.0.0.0/33': ") && Catch::Contains("\n  target '300.1.1.1': "));
    CHECK_THAT(plan_error({}), Catch::StartsWith("nothing to scan"));
    CHECK_THAT(plan_error({.files = {"/nonexistent"}, .resume = true}), Catch::StartsWith("--resume continues"));
    CHECK_THAT(plan_error({.targets = {"127.0.0.1"}, .starttls = "gopher"}), Catch::Contains("unknown protocol"));
    CHECK_THAT(plan_error({.targets = {"127.0.0.1"}, .labels = {"novalue"}}), Catch::Contains("expected key=value"));
}

TEST_CASE("pipeline: an unknown --starttls protocol is answered with the closest name and every known one",
          "[pipeline]") {
    CHECK(plan_error({.targets = {"127.0.0.1"}, .starttls = "stmp"}) ==
          "--starttls stmp: unknown protocol (did you mean 'smtp'?); the protocols are smtp, imap, pop3, ftp, ldap, "
          "postgres, xmpp, mysql, nats");
    // Nothing is close to gopher: the list alone, which is the StartTls enum's own names.
    const std::string gopher = plan_error({.targets = {"127.0.0.1"}, .starttls = "gopher"});
    CHECK_THAT(gopher, !Catch::Contains("did you mean"));
    for (const auto& name : names_of<StartTls>()) CHECK_THAT(gopher, Catch::Contains(name));
}

TEST_CASE("pipeline: a file or directory given as a target is refused with --files as the fix", "[pipeline]") {
    TempDir dir;
    write_file(dir / "srv/site.pem", "");
    const std::string srv = (dir / "srv").string(), pem = (dir / "srv/site.pem").string();
    CHECK(plan_error({.targets = {srv}}) ==
          "target '" + srv + "': " + srv + " is a directory, not a network target: scan it with --files " + srv);
    CHECK(plan_error({.targets = {"127.0.0.1", pem, "300.1.1.1"}}) ==
          "target '" + pem + "': " + pem + " is a file, not a network target: scan it with --files " + pem +
              "\n  target '300.1.1.1': '300.1.1.1' is not an IPv4 address: 300 is over 255");
    // A path that does not exist fails as the target it reads as.
    CHECK_THAT(plan_error({.targets = {(dir / "missing").string()}}), Catch::StartsWith("target '"));
    CHECK_THAT(plan_error({.targets = {(dir / "missing").string()}}), !Catch::Contains("--files"));
}

TEST_CASE("pipeline: a URL's user name and password are not kept with the scan", "[pipeline]") {
    const auto plan = pipeline::plan_scan({.targets = {"https://admin:s3cret@127.0.0.1:8443/"}});
    REQUIRE(plan.network);
    CHECK(plan.network->specs == std::vector<std::string>{"https://127.0.0.1:8443/"});
    CHECK(plan.network->shard_targets() == 1);
    CHECK(plan.parameters_json(0).find("s3cret") == std::string::npos);
    CHECK(plan.resume_key().find("s3cret") == std::string::npos);
}

TEST_CASE("pipeline: a large network plan needs confirmation and is paced", "[pipeline]") {
    const auto large = pipeline::plan_scan({.targets = {"10.0.0.0/8"}, .ports = "443"});
    CHECK(large.needs_confirmation);
    CHECK(large.network->default_rate);
    CHECK(large.network->options.rate == pipeline::kLargeScanRate);
    const auto agreed = pipeline::plan_scan({.targets = {"10.0.0.0/8"}, .ports = "443", .rate = 0, .yes = true});
    CHECK_FALSE(agreed.needs_confirmation);
    CHECK(agreed.network->options.rate == 0);
    const auto small = pipeline::plan_scan({.targets = {"127.0.0.1"}, .ports = "443,8443"});
    CHECK_FALSE(small.needs_confirmation);
    CHECK(small.network->shard_targets() == 2);
    CHECK(small.kind() == "network");
    CHECK(small.resume_key() == pipeline::plan_scan({.targets = {"127.0.0.1"}, .ports = "8443,443"}).resume_key());
}

TEST_CASE("pipeline: a file scan is stored, completed and its findings evaluated in one run", "[pipeline]") {
    TempDir dir;
    const auto cert = TestCert::make({.subject_cn = "one.example"}, TestKey::shared());
    write_file(dir / "tree/a.pem", cert.pem());
    write_file(dir / "tree/copy/a.pem", cert.pem());
    const auto plan = pipeline::plan_scan({.files = {(dir / "tree").string()}, .labels = {"env=test"}});
    CHECK(plan.kind() == "files");

    const std::string db = (dir / "inventory.db").string();
    std::vector<std::uint64_t> files_seen;
    const pipeline::ScanProgress progress{{}, [&](const scanner::WalkStats& s) { files_seen.push_back(s.files_walked); }, {}};
    std::atomic<bool> stop{false};
    pipeline::ScanOutcome outcome;
    {
        auto inventory = inventory::open_sqlite_inventory(db);
        outcome = pipeline::run_scan(plan, *inventory, progress, stop);
    }
    CHECK(outcome.status == inventory::ScanStatus::complete);
    REQUIRE(outcome.files);
    CHECK(outcome.files->certificates == 2);
    CHECK_FALSE(outcome.network);
    CHECK(outcome.rules.findings.has_value());
    CHECK_FALSE(files_seen.empty());

    const auto queries = inventory::open_sqlite_queries(db);
    const auto contents = queries->scan_contents(outcome.scan);
    CHECK(contents.scan.status == inventory::ScanStatus::complete);
    REQUIRE(contents.certificates.size() == 1);
    CHECK(contents.certificates[0].sightings.size() == 2);
    CHECK(contents.findings.size() == *outcome.rules.findings);
}

TEST_CASE("pipeline: a scan stopped before it starts is stored as interrupted, without findings", "[pipeline]") {
    TempDir dir;
    write_file(dir / "tree/a.pem", TestCert::make({.subject_cn = "a.example"}, TestKey::shared()).pem());
    const auto plan = pipeline::plan_scan({.files = {(dir / "tree").string()}});
    auto inventory = inventory::open_sqlite_inventory((dir / "inventory.db").string());
    std::atomic<bool> stop{true};
    const auto outcome = pipeline::run_scan(plan, *inventory, {}, stop);
    CHECK(outcome.status == inventory::ScanStatus::interrupted);
    CHECK_FALSE(outcome.rules.findings);
    CHECK(inventory->queries().find_scan(outcome.scan)->status == inventory::ScanStatus::interrupted);
}

TEST_CASE("pipeline: the batcher stores at its size bound and on flush, never an empty batch", "[pipeline]") {
    std::vector<std::size_t> stored;
    pipeline::Batcher<int> batcher([&](const std::vector<int>& batch) { stored.push_back(batch.size()); });
    for (std::size_t i = 0; i < pipeline::Batcher<int>::kMaxItems; ++i) batcher.add(1);
    REQUIRE_FALSE(stored.empty());
    std::size_t total = 0;
    for (auto n : stored) total += n;
    CHECK(total == pipeline::Batcher<int>::kMaxItems);
    batcher.flush();
    batcher.flush();
    CHECK(std::count(stored.begin(), stored.end(), 0u) == 0);
}

TEST_CASE("pipeline: a scan looked at nothing only when its every target was a name that did not resolve",
          "[pipeline]") {
    const auto outcome_of = [](std::initializer_list<std::pair<EndpointStatus, std::uint64_t>> counts) {
        pipeline::ScanOutcome outcome;
        outcome.network.emplace();
        for (const auto& [status, count] : counts) outcome.network->by_status[static_cast<int>(status)] = count;
        return outcome;
    };
    CHECK(outcome_of({{EndpointStatus::unresolved, 2}}).no_target_resolved());
    CHECK_FALSE(outcome_of({{EndpointStatus::unresolved, 2}, {EndpointStatus::closed, 1}}).no_target_resolved());
    // A name that resolved to an address no scan probes did resolve.
    CHECK_FALSE(outcome_of({{EndpointStatus::unresolved, 1}, {EndpointStatus::unreachable, 1}}).no_target_resolved());
    CHECK_FALSE(outcome_of({}).no_target_resolved());
    auto with_files = outcome_of({{EndpointStatus::unresolved, 1}});
    with_files.files.emplace();
    CHECK_FALSE(with_files.no_target_resolved());
}
