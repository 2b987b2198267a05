#pragma once
// The versions of the libraries the scanner runs with, for `certfleet --version`: a bug report names them.
#include <string>
#include <vector>

namespace certfleet::scanner {

// "OpenSSL 3.0.15 3 Sep 2024" (the library loaded, which a security update may have changed since the build),
// "Boost 1.81" (compiled in).
std::vector<std::string> library_versions();

}  // namespace certfleet::scanner
