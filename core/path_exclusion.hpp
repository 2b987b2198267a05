#pragma once
// Which paths a file scan's --exclude globs keep it from: shared by the walker, which skips them, and the
// inventory, which must not call a place gone when the scan was told not to look there.
#include <string>
#include <vector>

namespace certfleet {

// An entry is excluded when a glob (fnmatch(3), no flags) matches its full path or its name.
bool excluded_entry(const std::vector<std::string>& globs, const std::string& path, const std::string& name);

// Whether a walk from `root` skips `path` (at or under root): an entry on the way down, or `path` itself, excluded.
bool excluded_under_root(const std::vector<std::string>& globs, const std::string& root, const std::string& path);

}  // namespace certfleet
