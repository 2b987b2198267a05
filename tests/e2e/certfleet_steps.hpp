#pragma once
// Steps the end-to-end tests repeat: a scan that must succeed, a command whose JSON answer is wanted.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/e2e/certfleet_binary.hpp"

namespace certfleet::testing {

// `certfleet --db DB scan ARGS --no-progress`, which must exit 0.
inline void scan_ok(const std::string& db, std::vector<std::string> args) {
    args.insert(args.begin(), "scan");
    args.push_back("--no-progress");
    const auto r = run_certfleet(db, args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
}

// `certfleet --db DB ARGS --format json`, parsed whatever its exit code (check's says the status).
inline nlohmann::json json_of(const std::string& db, std::vector<std::string> args) {
    args.push_back("--format");
    args.push_back("json");
    const auto r = run_certfleet(db, args);
    INFO(r.err);
    return nlohmann::json::parse(r.out);
}

}  // namespace certfleet::testing
