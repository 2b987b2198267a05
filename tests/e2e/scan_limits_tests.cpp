// End-to-end: the bounds a scan keeps whatever it is fed. Key-derivation bombs among ordinary certificates,
// Ctrl-C while a decoder tries passwords and while probes wait on a silent server, list files that are not
// files, and negative numbers on the command line.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/e2e/certfleet_binary.hpp"
#include "tests/e2e/silent_listener.hpp"
#include "testkit/cert_factory.hpp"
#include "testkit/pbe_files.hpp"
#include "testkit/wait.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kBomb = 0x7FFFFFFF;

json report_json(const std::string& db) {
    const auto r = run_certfleet(db, {"report", "--format", "json"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return json::parse(r.out);
}

const json* error_at(const json& report, const std::string& path_suffix) {
    for (const auto& e : report["errors"])
        if (e["location"].get<std::string>().ends_with(path_suffix)) return &e;
    return nullptr;
}

// CPU seconds a process has used, from /proc/PID/stat (utime and stime, fields 14 and 15).
double cpu_seconds(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto after_name = stat.rfind(')');
    if (after_name == std::string::npos) return 0;
    std::istringstream fields(stat.substr(after_name + 2));
    std::string field;
    long ticks = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i)
        if (i >= 14) ticks += std::stol(field);
    return static_cast<double>(ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// Sends SIGINT and returns the exit code with the seconds it took to come, or nothing after 10 seconds.
std::pair<std::optional<int>, double> interrupt(RunningCertfleet& scan) {
    const auto sent = Clock::now();
    const auto exit_code = scan.stop_with(SIGINT);
    return {exit_code, std::chrono::duration<double>(Clock::now() - sent).count()};
}

std::string lines(const std::string& prefix, int count) {
    std::string out;
    for (int i = 0; i < count; ++i) out += prefix + std::to_string(i) + "\n";
    return out;
}

}  // namespace

// A stop takes under a second. A sanitizer build also checks every allocation for leaks as it exits, which on a
// busy machine takes seconds of its own, so there the bound is only a ceiling against a stop that never comes.
#ifdef __SANITIZE_ADDRESS__
constexpr double kStopSeconds = 5.0;
#else
constexpr double kStopSeconds = 1.0;
#endif

TEST_CASE("e2e limits: two KDF bombs among 1,000 certificates are refused and the scan finishes", "[e2e][limits]") {
    TempDir dir;
    const fs::path tree = dir / "tree";
    const TestKey key = TestKey::shared();
    for (int i = 0; i < 1000; ++i)
        write_file(tree / ("d" + std::to_string(i % 10)) / ("host" + std::to_string(i) + ".pem"),
                   TestCert::make({.subject_cn = "host" + std::to_string(i) + ".example"}, key).pem());
    const TestChain chain = make_chain("bomb.example");
    const Bytes p12 = make_pkcs12({.key = &chain.leaf_key, .cert = &chain.leaf, .extra_certs = {chain.intermediate},
                                   .password = "pass", .certificate_pbe = -1});
    write_file(tree / "bombs/mac.p12", with_kdf_iterations(p12, Pkcs12Kdf::mac, kBomb));
    write_file(tree / "bombs/key.pem",
               pem_block("ENCRYPTED PRIVATE KEY", with_pkcs8_iterations(encrypted_pkcs8_der(key, "pass", 2048), kBomb)));
    write_file(dir / "passwords.txt", "one\ntwo\npass\n");
    const std::string db = (dir / "inventory.db").string();

    const auto scan = run_certfleet(db,
                                    {"scan", "--files", tree.string(), "--password-file",
                                     (dir / "passwords.txt").string(), "--no-progress"},
                                    {.timeout = std::chrono::seconds(60)});
    INFO(scan.err);
    REQUIRE_FALSE(scan.timed_out);
    REQUIRE(scan.exit_code == 0);
    const json report = report_json(db);
    CHECK(report["scan"]["status"] == "complete");
    CHECK(report["certificates"].size() == 1002);  // the 1,000, and the bomb's leaf and intermediate
    for (const std::string bomb : {"/bombs/mac.p12", "/bombs/key.pem"}) {
        const json* error = error_at(report, bomb);
        REQUIRE(error);
        CHECK((*error)["reason"] == "excessive_kdf_iterations");
        CHECK((*error)["detail"].get<std::string>().find("2147483647") != std::string::npos);
    }
}

TEST_CASE("e2e limits: Ctrl-C while a decoder tries passwords ends the scan within a second", "[e2e][limits]") {
    TempDir dir;
    const TestChain chain = make_chain("slow.example");
    // A MAC just under the default bound of 1,000,000 iterations, and 2,000 wrong passwords with no
    // --file-timeout: minutes of work, each try one derivation.
    write_file(dir / "tree/slow.p12", make_pkcs12({.key = &chain.leaf_key, .cert = &chain.leaf, .password = "right",
                                                   .mac_iterations = 999'999}));
    write_file(dir / "passwords.txt", lines("wrong ", 2000));
    const std::string db = (dir / "inventory.db").string();

    RunningCertfleet scan(db, {"scan", "--files", (dir / "tree").string(), "--password-file",
                               (dir / "passwords.txt").string(), "--file-timeout", "0", "--no-progress"});
    // Decoding is under way once the process, its inventory made, has burned half a second more: counted from
    // the inventory's appearance, as a sanitizer build may spend that much on starting alone.
    REQUIRE(wait_until([&] { return fs::exists(db); }, std::chrono::seconds(30)));
    const double started = cpu_seconds(scan.pid());
    REQUIRE(wait_until([&] { return cpu_seconds(scan.pid()) >= started + 0.5; }, std::chrono::seconds(30)));

    const auto [exit_code, seconds] = interrupt(scan);
    REQUIRE(exit_code);
    CHECK(*exit_code == 130);
    CHECK(seconds < kStopSeconds);
    const json report = report_json(db);
    CHECK(report["scan"]["status"] == "interrupted");
    CHECK(report["certificates"].empty());  // the abandoned file is not stored in part
}

TEST_CASE("e2e limits: Ctrl-C while a probe waits on a silent server ends the scan within a second",
          "[e2e][limits][network]") {
    // A server that accepts and never answers the ClientHello: the probe would wait out --timeout-ms.
    SilentListener silent;
    TempDir dir;
    const std::string db = (dir / "inventory.db").string();
    RunningCertfleet scan(db, {"scan", "127.0.0.1", "--ports", silent.port(), "--timeout-ms", "60000", "--no-progress"});
    REQUIRE(silent.wait_for_connection(std::chrono::seconds(30)));  // the probe has connected

    const auto [exit_code, seconds] = interrupt(scan);
    REQUIRE(exit_code);
    CHECK(*exit_code == 130);
    CHECK(seconds < kStopSeconds);
    CHECK(report_json(db)["scan"]["status"] == "interrupted");
}

TEST_CASE("e2e limits: --password-file must be a small regular file, refused at once otherwise", "[e2e][limits]") {
    TempDir dir;
    write_file(dir / "tree/a.pem", TestCert::make({}, TestKey::shared()).pem());
    const std::string db = (dir / "inventory.db").string();
    REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
    write_file(dir / "huge.txt", std::string((1 << 20) + 1, 'x'));
    write_file(dir / "long.txt", lines("p", 10'001));

    const std::vector<std::pair<std::string, std::string>> cases{
        {(dir / "fifo").string(), "is a FIFO, not a regular file"},
        {"/dev/zero", "is a character device, not a regular file"},
        {(dir / "huge.txt").string(), "is over 1048576 bytes"},
        {(dir / "long.txt").string(), "more than 10000 lines"},
    };
    for (const auto& [path, message] : cases) {
        INFO(path);
        const auto r = run_certfleet(db, {"scan", "--files", (dir / "tree").string(), "--password-file", path},
                                     {.timeout = std::chrono::seconds(10)});
        INFO(r.err);
        CHECK_FALSE(r.timed_out);
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("--password-file " + path + ": " + message) != std::string::npos);
    }
    CHECK_FALSE(fs::exists(db));  // refused before the inventory was touched
}

TEST_CASE("e2e limits: negative sizes, counts and ids are refused in a few words naming the flag", "[e2e][limits]") {
    TempDir dir;
    const std::string db = (dir / "inventory.db").string();
    const std::string tree = dir.path().string();
    const std::vector<std::vector<std::string>> cases{
        {"scan", "--files", tree, "--max-file-size", "-1"},
        {"scan", "--files", tree, "--rate", "-1"},
        {"scan", "--files", tree, "--max-kdf-iterations", "-1"},
        {"scan", "--files", tree, "--file-timeout", "-1"},
        {"scan", "127.0.0.1", "--max-per-host", "-1"},
        {"report", "--scan", "-1"},
        {"inventory", "certs", "--scan", "-1"},
        {"inventory", "shared", "--min-places", "-1"},
    };
    for (const auto& args : cases) {
        const std::string flag = args[args.size() - 2];
        INFO(flag);
        const auto r = run_certfleet(db, args, {.timeout = std::chrono::seconds(10)});
        INFO(r.err);
        CHECK(r.exit_code == 2);
        CHECK(r.err.find(flag + ": -1: must be ") != std::string::npos);
        CHECK_FALSE(std::regex_search(r.err, std::regex("[0-9]{21}")));  // no 2^64-1, no 309-digit bound
        CHECK(r.err.size() < 200);
    }
    CHECK_FALSE(fs::exists(db));
}
