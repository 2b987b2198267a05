#pragma once
// The versions of the store libraries certfleet runs with, for `certfleet --version`.
#include <string>
#include <vector>

namespace certfleet::inventory {

// "SQLite 3.40.1", "libpq 15.10": the libraries loaded, not the headers built against.
std::vector<std::string> library_versions();

}  // namespace certfleet::inventory
