#pragma once
// Runs the certfleet binary under test, as a user would from a shell.
#include <string>
#include <vector>

#include "testkit/process.hpp"

namespace certfleet::testing {

inline const std::string kBinary = CERTFLEET_BINARY;

// `certfleet --db DB ARGS...`
inline ProcessResult run_certfleet(const std::string& db, std::vector<std::string> args, ProcessOptions options = {}) {
    std::vector<std::string> argv{kBinary, "--db", db};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, options);
}

}  // namespace certfleet::testing
