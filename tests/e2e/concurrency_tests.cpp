// End-to-end: the deployment certfleet recommends — scans from cron while `serve` answers Prometheus and people
// run `report`, `inventory` and `check` — each command a process of its own on one inventory file. No reader may
// cost a scan what it stored, and no reader may see anything but a consistent inventory.
#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "tests/e2e/certfleet_binary.hpp"
#include "testkit/cert_factory.hpp"
#include "tests/e2e/serve_support.hpp"

using namespace certfleet;
using namespace certfleet::testing;

namespace {

// What readers saw that they should not have: a failed command or an error on stderr.
class Complaints {
public:
    void add(std::string what) {
        std::lock_guard lock(mutex_);
        list_.push_back(std::move(what));
    }
    std::vector<std::string> list() {
        std::lock_guard lock(mutex_);
        return list_;
    }

private:
    std::mutex mutex_;
    std::vector<std::string> list_;
};

// Runs `ask` over and over on a thread of its own until told to stop (or a bound on rounds is reached).
class ReaderLoop {
public:
    template <typename Ask>
    ReaderLoop(std::atomic<bool>& stop, Ask ask)
        : thread_([&stop, ask] {
              for (int round = 0; round < 400 && !stop; ++round) ask();
          }) {}
    ~ReaderLoop() { thread_.join(); }

private:
    std::thread thread_;
};

}  // namespace

TEST_CASE("e2e: readers beside a stream of scans never cost a scan its findings nor see an error",
          "[e2e][concurrency]") {
    TempDir dir;
    const std::string db = (dir / "inventory.db").string();
    const auto tree = dir / "tree";
    const auto key = TestKey::shared();
    // An expired certificate and a long-lived self-signed one give every scan findings to store.
    write_file(tree / "expired.pem", TestCert::make({.subject_cn = "old.example", .not_after_days = -3}, key).pem());
    write_file(tree / "long.pem", TestCert::make({.subject_cn = "long.example", .not_after_days = 900}, key).pem());
    for (int i = 0; i < 40; ++i)
        write_file(tree / ("svc" + std::to_string(i) + ".pem"),
                   TestCert::make({.subject_cn = "svc" + std::to_string(i) + ".example", .not_after_days = 20 + i}, key)
                       .pem());
    const auto scan = [&] { return run_certfleet(db, {"scan", "--files", tree.string(), "--no-progress"}); };
    REQUIRE(scan().exit_code == 0);

    const ServeProcess server(db);

    Complaints complaints;
    std::atomic<bool> stop{false};
    const auto reader = [&](std::vector<std::string> args, std::vector<int> good_exits) {
        return [&, args, good_exits] {
            const auto r = run_certfleet(db, args);
            if (std::find(good_exits.begin(), good_exits.end(), r.exit_code) == good_exits.end() || !r.err.empty())
                complaints.add(args.front() + " exit " + std::to_string(r.exit_code) + ": " + r.out.substr(0, 200) +
                               r.err);
        };
    };
    std::vector<std::pair<std::int64_t, std::size_t>> printed;  // scan id, findings it said it stored
    {
        ReaderLoop scans(stop, reader({"inventory", "scans"}, {0}));
        ReaderLoop reports(stop, reader({"report", "--format", "json"}, {0}));
        ReaderLoop checks(stop, reader({"check"}, {0, 1, 2}));
        ReaderLoop scrapes(stop, [&] {
            const auto response = server.get("/metrics");
            if (!response.starts_with("HTTP/1.1 200 ")) complaints.add("/metrics: " + response.substr(0, 300));
        });
        const std::regex done(R"(scan (\d+) complete: .*; (\d+) findings(;[^;]*)* in )");
        for (int round = 0; round < 12; ++round) {
            // Each scan differs from the last: a file comes and goes.
            const auto extra = tree / "extra.pem";
            if (round % 2 == 0)
                write_file(extra, TestCert::make({.subject_cn = "extra.example", .not_after_days = -1}, key).pem());
            else
                std::filesystem::remove(extra);
            const auto r = scan();
            INFO(r.err);
            REQUIRE(r.exit_code == 0);
            std::smatch m;
            REQUIRE(std::regex_search(r.err, m, done));
            printed.emplace_back(std::stoll(m[1]), std::stoull(m[2]));
        }
        stop = true;
    }
    for (const auto& [id, count] : printed) {
        const auto r = run_certfleet(db, {"report", "--scan", std::to_string(id), "--format", "json"});
        REQUIRE(r.exit_code == 0);
        INFO("scan " << id);
        CHECK(nlohmann::json::parse(r.out).at("findings").size() == count);
    }
    CHECK(complaints.list() == std::vector<std::string>{});
    const auto integrity = run_certfleet(db, {"inventory", "scans"});
    CHECK(integrity.exit_code == 0);
}
