#pragma once
// Runs the real certfleet binary against one inventory, as the end-to-end tests and a shell user do. Only the
// end-to-end tests include this: they are the ones built with CERTFLEET_BINARY.
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace certfleet::testing {

inline const std::string kCertfleetBinary = CERTFLEET_BINARY;

inline ProcessResult run_certfleet(const std::string& db, const std::vector<std::string>& args,
                                   const ProcessOptions& options = {}) {
    std::vector<std::string> argv{kCertfleetBinary, "--db", db};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, options);
}

}  // namespace certfleet::testing
