#include "core/path_exclusion.hpp"

#include <fnmatch.h>

#include <algorithm>

namespace certfleet {

bool excluded_entry(const std::vector<std::string>& globs, const std::string& path, const std::string& name) {
    return std::any_of(globs.begin(), globs.end(), [&](const std::string& glob) {
        return ::fnmatch(glob.c_str(), path.c_str(), 0) == 0 || ::fnmatch(glob.c_str(), name.c_str(), 0) == 0;
    });
}

bool excluded_under_root(const std::vector<std::string>& globs, const std::string& root, const std::string& path) {
    if (globs.empty() || path.size() <= root.size()) return false;
    // Each entry below the root, from the root's children down to `path`, as the walk meets them.
    for (std::size_t end = root.size() + (root.ends_with('/') ? 0 : 1); end <= path.size();) {
        std::size_t next = path.find('/', end);
        if (next == std::string::npos) next = path.size();
        if (next > end && excluded_entry(globs, path.substr(0, next), path.substr(end, next - end))) return true;
        end = next + 1;
    }
    return false;
}

}  // namespace certfleet
