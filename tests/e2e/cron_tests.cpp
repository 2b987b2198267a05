// End-to-end: certfleet as a nightly cron job runs it. `scan --quiet` says nothing unless something went wrong.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "testkit/cert_factory.hpp"
#include "tests/e2e/certfleet_binary.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using nlohmann::json;

namespace {

// A CA-issued leaf with 89 days left (make_chain's leaf runs 90 days from yesterday) and its intermediate: nothing
// the built-in policy flags.
struct Fleet {
    TempDir dir;
    std::string db = (dir / "inventory.db").string();
    std::string tree = (dir / "tree").string();
    std::string leaf_path = (dir / "tree/app/fullchain.pem").string();
    TestChain chain = make_chain("app.example");

    Fleet() { write_file(leaf_path, chain.leaf.pem() + chain.intermediate.pem()); }

    void scan() {
        const auto r = run_certfleet(db, {"scan", "--files", tree, "--no-progress"});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }
};

}  // namespace

TEST_CASE("e2e: cron: scan --quiet prints nothing when the scan goes well", "[e2e][cron]") {
    Fleet fleet;
    const auto quiet = run_certfleet(fleet.db, {"scan", "--files", fleet.tree, "--quiet"});
    INFO(quiet.err);
    CHECK(quiet.exit_code == 0);
    CHECK(quiet.out.empty());
    CHECK(quiet.err.empty());
    // The scan is stored all the same.
    const auto scans = json::parse(run_certfleet(fleet.db, {"inventory", "scans", "--format", "json"}).out)["scans"];
    REQUIRE(scans.size() == 1);
    CHECK(scans[0]["status"] == "complete");

    // Without --quiet the summary is there, so the silence above is --quiet's doing.
    const auto loud = run_certfleet(fleet.db, {"scan", "--files", fleet.tree, "--no-progress"});
    CHECK_THAT(loud.err, Catch::Contains("certfleet: scan 2 complete:"));
}

TEST_CASE("e2e: cron: scan --quiet still says what went wrong", "[e2e][cron]") {
    Fleet fleet;
    // A root that does not exist: the error names it and its reason, and the summary says which scan it was.
    const std::string missing = (fleet.dir / "nonexistent").string();
    const auto gone = run_certfleet(fleet.db, {"scan", "--quiet", "--files", missing});
    INFO(gone.err);
    CHECK(gone.out.empty());
    CHECK_THAT(gone.err, Catch::Contains(missing + ": not_found"));
    CHECK_THAT(gone.err, Catch::Contains("certfleet: scan 1 complete:"));

    // A usage error too, with its usual exit code.
    const auto bad_target = run_certfleet(fleet.db, {"scan", "--quiet", "10.0.0.0/33"});
    CHECK(bad_target.exit_code == 2);
    CHECK_THAT(bad_target.err, Catch::Contains("10.0.0.0/33"));
}
