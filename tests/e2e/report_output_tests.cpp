// End-to-end: `report -o FILE` replaces the file whole, never writes through a file or link someone planted
// beside it, and leaves nothing behind when it cannot write.
#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/e2e/certfleet_binary.hpp"
#include "testkit/cert_factory.hpp"

using namespace certfleet;
using namespace certfleet::testing;

namespace {

std::vector<std::string> names_in(const std::filesystem::path& dir) {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace

TEST_CASE("e2e: report -o never follows a planted link and leaves no temporary file", "[e2e][report]") {
    TempDir dir;
    const std::string db = (dir / "inventory.db").string();
    write_file(dir / "tree/a.pem", TestCert::make({.subject_cn = "a.example"}, TestKey::shared()).pem());
    REQUIRE(run_certfleet(db, {"scan", "--files", (dir / "tree").string(), "--no-progress"}).exit_code == 0);

    const auto out = dir / "out";
    std::filesystem::create_directory(out);
    write_file(dir / "victim.txt", std::string("precious\n"));
    // Where the report used to write before renaming: a link planted there must not be written through.
    std::filesystem::create_symlink(dir / "victim.txt", out / "report.txt.tmp");
    const auto r = run_certfleet(db, {"report", "-o", (out / "report.txt").string()});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(to_string(read_file(dir / "victim.txt")) == "precious\n");
    CHECK(to_string(read_file(out / "report.txt")).find("a.example") != std::string::npos);
    CHECK(names_in(out) == std::vector<std::string>{"report.txt", "report.txt.tmp"});

    // A directory given as the file: a clear error, and nothing left beside it.
    std::filesystem::create_directory(out / "dir");
    const auto into_dir = run_certfleet(db, {"report", "-o", (out / "dir").string()});
    CHECK(into_dir.exit_code == 1);
    CHECK(into_dir.err.find("-o " + (out / "dir").string() + ": is a directory") != std::string::npos);
    CHECK(names_in(out) == std::vector<std::string>{"dir", "report.txt", "report.txt.tmp"});

    // A directory it cannot write to: the same.
    const auto missing = run_certfleet(db, {"report", "-o", (out / "no/such/report.txt").string()});
    CHECK(missing.exit_code == 1);
    CHECK(missing.err.find("cannot create a file beside it") != std::string::npos);
    CHECK(names_in(out) == std::vector<std::string>{"dir", "report.txt", "report.txt.tmp"});
}
