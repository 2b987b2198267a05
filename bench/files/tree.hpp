#pragma once
// bench/files: the benchmark's options, the tree it scans and what the tree holds.
#include <fcntl.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace certfleet::bench::files {

namespace fs = std::filesystem;

struct Options {
    std::string tree;
    std::uint64_t files = 100'000;
    std::uint64_t certs = 20'000;
    unsigned runs = 3;
    std::string certfleet = CERTFLEET_BINARY;
    unsigned threads = 0;  // 0: certfleet's own default
    bool keep = false;
    bool quick = false;
};

// What the tree holds, counted while it was written; certfleet's figures are checked against these.
struct Expected {
    std::uint64_t files = 0;
    std::uint64_t directories = 0;
    std::uint64_t bytes = 0;
    std::uint64_t certificates = 0;
    std::uint64_t distinct = 0;
    std::uint64_t keys = 0;
    std::uint64_t certificate_files = 0;
    std::map<std::string, std::uint64_t> by_format;  // spelled as certfleet's JSON report spells formats
};

[[noreturn]] inline void die(const std::string& message) { throw std::runtime_error(message); }

// The tree the options name, under the temp directory unless --tree says where.
fs::path default_tree(const Options& o);
// Reuses a complete tree made with the same parameters; otherwise makes one. Returns the expected counts and
// whether this run made the tree (and so may remove it).
std::pair<Expected, bool> prepare_tree(const Options& o, const fs::path& tree);

// What prepare_tree's generator needs of the tree's marker file and of writing files.
void write_whole_file(const fs::path& path, std::string_view content, int flags = O_EXCL);
// The marker records the options and `state`; with `expected` (a complete tree) what the tree holds too.
void write_marker(const fs::path& tree, const Options& options, const std::string& state, const Expected* expected);
// Writes a new tree at `root` as the options ask, deterministically, and counts what it wrote.
Expected generate_tree(const fs::path& root, const Options& options);

}  // namespace certfleet::bench::files
