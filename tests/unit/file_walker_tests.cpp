#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fcntl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <thread>

#include "scanner/file_walker.hpp"
#include "testkit/cert_factory.hpp"
#include "testkit/pbe_files.hpp"
#include "testkit/wait.hpp"

using namespace certfleet;
using namespace certfleet::testing;
namespace fs = std::filesystem;

namespace {

struct WalkOutcome {
    scanner::WalkStats stats;
    std::vector<CertificateSighting> certificates;
    std::vector<ScanEvent> events;

    std::vector<std::string> certificate_paths() const {
        std::vector<std::string> paths;
        for (const auto& c : certificates) paths.push_back(c.location.path);
        return paths;
    }
    const ScanEvent* event_for(const std::string& path_suffix) const {
        for (const auto& e : events)
            if (e.location.ends_with(path_suffix)) return &e;
        return nullptr;
    }
};

WalkOutcome walk(scanner::WalkOptions options) {
    WalkOutcome outcome;
    const std::atomic<bool> stop{false};
    outcome.stats = scanner::walk_files(
        options,
        [&](FileObservations&& obs) {
            for (auto& c : obs.certificates) outcome.certificates.push_back(std::move(c));
            for (auto& e : obs.events) outcome.events.push_back(std::move(e));
        },
        [](const scanner::WalkStats&) {}, stop);
    return outcome;
}

WalkOutcome walk(const fs::path& root) { return walk(scanner::WalkOptions{.roots = {root.string()}}); }

std::string cert_pem(const std::string& cn) { return TestCert::make({.subject_cn = cn}, TestKey::shared()).pem(); }

}  // namespace

TEST_CASE("walk: finds certificates throughout a nested tree, in name order", "[walk]") {
    TempDir dir;
    write_file(dir / "b/leaf.pem", cert_pem("b"));
    write_file(dir / "a/deeper/ca.crt", cert_pem("a"));
    write_file(dir / "a/notes.txt", "nothing to see");
    write_file(dir / "c/empty", "");
    const auto outcome = walk(dir.path());
    CHECK(outcome.stats.files_walked == 4);
    CHECK(outcome.stats.certificates == 2);
    CHECK(outcome.stats.errors == 0);
    auto paths = outcome.certificate_paths();
    std::sort(paths.begin(), paths.end());
    CHECK(paths == std::vector<std::string>{(dir / "a/deeper/ca.crt").string(), (dir / "b/leaf.pem").string()});
}

TEST_CASE("walk: a file root and a missing root", "[walk]") {
    TempDir dir;
    write_file(dir / "one.pem", cert_pem("one"));
    const auto outcome = walk(scanner::WalkOptions{.roots = {(dir / "one.pem").string(), (dir / "missing").string()}});
    CHECK(outcome.stats.certificates == 1);
    const auto* missing = outcome.event_for("/missing");
    REQUIRE(missing);
    CHECK(missing->reason == "not_found");
}

TEST_CASE("walk: files over the size cap are reported and never read", "[walk]") {
    TempDir dir;
    write_file(dir / "big.pem", cert_pem("big") + std::string(5000, '\n'));
    write_file(dir / "small.pem", cert_pem("small"));
    const auto outcome = walk(scanner::WalkOptions{.roots = {dir.path().string()}, .max_file_size = 4096});
    CHECK(outcome.stats.certificates == 1);
    CHECK(outcome.stats.skipped == 1);
    const auto* big = outcome.event_for("/big.pem");
    REQUIRE(big);
    CHECK(big->reason == "too_large");
    CHECK(big->detail.find("4096") != std::string::npos);
}

TEST_CASE("walk: FIFOs and sockets are never opened", "[walk]") {
    TempDir dir;
    REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
    const int sock = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string socket_path = (dir / "sock").string();
    REQUIRE(socket_path.size() < sizeof address.sun_path);
    std::copy(socket_path.begin(), socket_path.end(), address.sun_path);
    REQUIRE(::bind(sock, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    write_file(dir / "real.pem", cert_pem("real"));
    // A FIFO with no writer would block an open() without O_NONBLOCK forever: finishing is the test.
    const auto outcome = walk(dir.path());
    ::close(sock);
    CHECK(outcome.stats.certificates == 1);
    REQUIRE(outcome.event_for("/fifo"));
    CHECK(outcome.event_for("/fifo")->reason == "not_regular_file");
    CHECK(outcome.event_for("/fifo")->detail.find("FIFO") != std::string::npos);
    REQUIRE(outcome.event_for("/sock"));
    CHECK(outcome.event_for("/sock")->detail.find("socket") != std::string::npos);
    // /dev/null reached through a link is a device: never opened either.
    fs::create_symlink("/dev/null", dir / "null-link");
    const auto second = walk(dir.path());
    REQUIRE(second.event_for("/null-link"));
    CHECK(second.event_for("/null-link")->detail.find("character device") != std::string::npos);
}

TEST_CASE("walk: symlink loops, cycles and broken links end with errors, not hangs", "[walk]") {
    TempDir dir;
    write_file(dir / "a/b/cert.pem", cert_pem("looped"));
    fs::create_directory_symlink(dir / "a", dir / "a/b/back-to-a");  // cycle through an ancestor
    fs::create_symlink(dir / "self", dir / "self");                   // ELOOP
    fs::create_symlink(dir / "nowhere", dir / "dangling");
    const auto outcome = walk(dir.path());
    CHECK(outcome.stats.certificates == 1);
    REQUIRE(outcome.event_for("/back-to-a"));
    CHECK(outcome.event_for("/back-to-a")->reason == "directory_cycle");
    REQUIRE(outcome.event_for("/self"));
    CHECK(outcome.event_for("/self")->reason == "symlink_loop");
    REQUIRE(outcome.event_for("/dangling"));
    CHECK(outcome.event_for("/dangling")->reason == "broken_symlink");
}

TEST_CASE("walk: a file reached by several names is read once", "[walk]") {
    TempDir dir, outside;
    write_file(dir / "certs/real.pem", cert_pem("real"));
    fs::create_symlink(dir / "certs/real.pem", dir / "certs/abcd1234.0");  // like c_rehash links
    fs::create_hard_link(dir / "certs/real.pem", dir / "certs/zz-hardlink.pem");
    fs::create_directory_symlink(dir / "certs", dir / "certs-alias");      // a second way into the directory
    write_file(outside / "external.pem", cert_pem("external"));
    fs::create_symlink(outside / "external.pem", dir / "certs/link-out.pem");
    const auto outcome = walk(dir.path());
    auto paths = outcome.certificate_paths();
    std::sort(paths.begin(), paths.end());
    char resolved[PATH_MAX];
    REQUIRE(::realpath((outside / "external.pem").c_str(), resolved));
    std::vector<std::string> expected{std::string(resolved), (dir / "certs/real.pem").string()};
    std::sort(expected.begin(), expected.end());
    CHECK(paths == expected);
    CHECK(outcome.stats.errors == 0);
}

TEST_CASE("walk: deep nesting past PATH_MAX and odd file names", "[walk]") {
    TempDir dir;
    fs::path deep = dir.path();
    // 60 levels of 100-character names: far past PATH_MAX, reachable only relative to an open directory.
    int fd = ::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY);
    const std::string level(100, 'd');
    for (int i = 0; i < 60; ++i) {
        REQUIRE(::mkdirat(fd, level.c_str(), 0700) == 0);
        const int next = ::openat(fd, level.c_str(), O_RDONLY | O_DIRECTORY);
        ::close(fd);
        fd = next;
    }
    const std::string pem = cert_pem("deep");
    const int file = ::openat(fd, "deep.pem", O_WRONLY | O_CREAT, 0600);
    REQUIRE(::write(file, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size()));
    ::close(file);
    ::close(fd);

    const std::vector<std::string> odd_names{" leading space.pem", "new\nline.pem", "-dash.pem", "\xff\xfe-not-utf8.pem",
                                             "quote\"and'apostrophe.pem"};
    for (const auto& name : odd_names) write_file(dir / "odd" / name, cert_pem(name));

    const auto outcome = walk(dir.path());
    CHECK(outcome.stats.errors == 0);
    CHECK(outcome.stats.certificates == 1 + odd_names.size());
    const auto paths = outcome.certificate_paths();
    CHECK(std::count_if(paths.begin(), paths.end(), [](const std::string& p) { return p.ends_with("/deep.pem"); }) == 1);
    for (const auto& name : odd_names)
        CHECK(std::count(paths.begin(), paths.end(), (dir / "odd" / name).string()) == 1);
}

TEST_CASE("walk: directories past the depth limit are reported", "[walk]") {
    TempDir dir;
    write_file(dir / "1/2/3/4/cert.pem", cert_pem("too deep"));
    write_file(dir / "1/ok.pem", cert_pem("ok"));
    const auto outcome = walk(scanner::WalkOptions{.roots = {dir.path().string()}, .max_depth = 2});
    CHECK(outcome.stats.certificates == 1);
    REQUIRE(outcome.event_for("/1/2/3"));
    CHECK(outcome.event_for("/1/2/3")->reason == "too_deep");
}

TEST_CASE("walk: --exclude-path globs skip files and whole subtrees", "[walk]") {
    TempDir dir;
    write_file(dir / "keep/a.pem", cert_pem("keep"));
    write_file(dir / "node_modules/pkg/test.pem", cert_pem("vendored"));
    write_file(dir / "keep/old.pem.bak", cert_pem("backup"));
    const auto outcome =
        walk(scanner::WalkOptions{.roots = {dir.path().string()}, .exclude_globs = {"node_modules", "*.bak"}});
    CHECK(outcome.certificate_paths() == std::vector<std::string>{(dir / "keep/a.pem").string()});
}

TEST_CASE("walk: unreadable files and directories are errors and the walk goes on", "[walk]") {
    if (::geteuid() == 0) {
        WARN("running as root, permissions do not stop reads; the end-to-end test covers this as an unprivileged user");
        return;
    }
    TempDir dir;
    write_file(dir / "locked/inside.pem", cert_pem("hidden"));
    write_file(dir / "secret.pem", cert_pem("secret"));
    write_file(dir / "open.pem", cert_pem("open"));
    ::chmod((dir / "locked").c_str(), 0);
    ::chmod((dir / "secret.pem").c_str(), 0);
    const auto outcome = walk(dir.path());
    CHECK(outcome.stats.certificates == 1);
    CHECK(outcome.event_for("/locked")->reason == "permission_denied");
    CHECK(outcome.event_for("/secret.pem")->reason == "permission_denied");
}

TEST_CASE("walk: a stop request ends the walk and a failing sink does not hang it", "[walk]") {
    TempDir dir;
    for (int i = 0; i < 200; ++i) write_file(dir / ("d" + std::to_string(i % 7)) / ("c" + std::to_string(i) + ".pem"), cert_pem("c"));
    const std::atomic<bool> stopped{true};
    std::size_t seen = 0;
    const auto stats = scanner::walk_files(
        scanner::WalkOptions{.roots = {dir.path().string()}}, [&](FileObservations&& obs) { seen += obs.certificates.size(); },
        [](const scanner::WalkStats&) {}, stopped);
    CHECK(stats.certificates == seen);
    CHECK(seen < 200);

    const std::atomic<bool> running{false};
    CHECK_THROWS_WITH(scanner::walk_files(
                          scanner::WalkOptions{.roots = {dir.path().string()}},
                          [](FileObservations&&) { throw std::runtime_error("disk full"); },
                          [](const scanner::WalkStats&) {}, running),
                      "disk full");
}

namespace {
// CPU time this process has used: it grows while a decoder thread derives keys.
std::chrono::duration<double> cpu_time_used() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
    return std::chrono::duration<double>(seconds(usage.ru_utime) + seconds(usage.ru_stime));
}
}  // namespace

TEST_CASE("walk: a stop while a decoder tries passwords ends the walk within a second", "[walk]") {
    TempDir dir;
    // 2,000 wrong passwords at some 15 ms a try: half a minute of work, and no --file-timeout to end it.
    const Bytes key = encrypted_pkcs8_der(TestKey::shared(), "right", 60'000);
    write_file(dir / "slow.pem", pem_block("ENCRYPTED PRIVATE KEY", key));
    scanner::WalkOptions options{.roots = {dir.path().string()}, .decoder_threads = 1};
    for (int i = 0; i < 2000; ++i) options.passwords.push_back("wrong " + std::to_string(i));
    options.file_time_limit = std::chrono::milliseconds(0);

    std::atomic<bool> stop{false};
    std::chrono::steady_clock::time_point stopped_at;
    std::thread stopper([&] {
        // The decoder is at work once this process has burned CPU beyond what starting the walk costs.
        const auto before = cpu_time_used();
        wait_until([&] { return cpu_time_used() - before >= std::chrono::milliseconds(300); }, std::chrono::seconds(20));
        stopped_at = std::chrono::steady_clock::now();
        stop = true;
    });
    std::size_t keys_handed_over = 0;
    scanner::walk_files(
        options, [&](FileObservations&& obs) { keys_handed_over += obs.keys.size(); }, [](const scanner::WalkStats&) {},
        stop);
    const auto returned_at = std::chrono::steady_clock::now();
    stopper.join();
    CHECK(std::chrono::duration<double>(returned_at - stopped_at).count() < 1.0);
    CHECK(keys_handed_over == 0);  // the abandoned file is left out whole
}
