// bench/files: the tree's marker, and preparing a tree: reused when complete, generated otherwise.
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "bench/files/tree.hpp"

namespace certfleet::bench::files {
namespace {

using Clock = std::chrono::steady_clock;

// Bump when the generator changes what it writes, so trees left by an older build are regenerated.
constexpr std::uint64_t kTreeVersion = 1;
// The marker is itself one of the tree's files (plain text, no certificate), so both the floor and certfleet
// read exactly `files` files.
constexpr std::string_view kMarkerName = ".certfleet-bench-tree";

// The marker: key=value lines. Written first as "generating" and last as "complete", so a half-written tree
// (an interrupted generation) is recognised as ours and regenerated rather than reused or refused.

struct Marker {
    std::map<std::string, std::string> values;
    std::string get(const std::string& key) const {
        auto it = values.find(key);
        return it == values.end() ? std::string() : it->second;
    }
    std::uint64_t number(const std::string& key) const {
        const std::string v = get(key);
        return v.empty() ? 0 : std::stoull(v);
    }
};

std::optional<Marker> read_marker(const fs::path& tree) {
    std::ifstream in(tree / kMarkerName);
    if (!in) return std::nullopt;
    Marker marker;
    std::string line;
    if (!std::getline(in, line) || line != "certfleet bench/files tree") return std::nullopt;
    while (std::getline(in, line)) {
        const auto eq = line.find('=');
        if (eq != std::string::npos) marker.values[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return marker;
}

std::string marker_text(const Options& o, const std::string& state, const Expected* e) {
    std::ostringstream out;
    out << "certfleet bench/files tree\n"
        << "state=" << state << "\nversion=" << kTreeVersion << "\nfiles=" << o.files << "\ncerts=" << o.certs
        << "\n";
    if (e) {
        out << "directories=" << e->directories << "\nbytes=" << e->bytes << "\nexpected_certificates="
            << e->certificates << "\nexpected_distinct=" << e->distinct << "\nexpected_keys=" << e->keys
            << "\ncertificate_files=" << e->certificate_files << "\n";
        for (const auto& [format, count] : e->by_format) out << "format." << format << "=" << count << "\n";
    }
    return out.str();
}

Expected expected_from_marker(const Marker& m) {
    Expected e;
    e.files = m.number("files");
    e.directories = m.number("directories");
    e.bytes = m.number("bytes");
    e.certificates = m.number("expected_certificates");
    e.distinct = m.number("expected_distinct");
    e.keys = m.number("expected_keys");
    e.certificate_files = m.number("certificate_files");
    for (const auto& [key, value] : m.values)
        if (key.starts_with("format.")) e.by_format[key.substr(7)] = std::stoull(value);
    return e;
}

}  // namespace

void write_whole_file(const fs::path& path, std::string_view content, int flags) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0644);
    if (fd < 0) die("cannot create " + path.string() + ": " + std::strerror(errno));
    std::size_t done = 0;
    while (done < content.size()) {
        const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int error = errno;
            ::close(fd);
            die("cannot write " + path.string() + ": " + std::strerror(error));
        }
        done += static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0) die("cannot write " + path.string() + ": " + std::strerror(errno));
}

void write_marker(const fs::path& tree, const Options& options, const std::string& state, const Expected* expected) {
    // Through a rename, so a reader never sees a half-written "complete".
    const fs::path temporary = tree / (std::string(kMarkerName) + ".tmp");
    write_whole_file(temporary, marker_text(options, state, expected), O_TRUNC);
    fs::rename(temporary, tree / kMarkerName);
}

fs::path default_tree(const Options& o) {
    return fs::temp_directory_path() /
           ("certfleet-bench-files-" + std::to_string(o.files) + "-" + std::to_string(o.certs));
}

std::pair<Expected, bool> prepare_tree(const Options& o, const fs::path& tree) {
    if (const auto marker = read_marker(tree)) {
        if (marker->get("state") == "complete" && marker->number("version") == kTreeVersion &&
            marker->number("files") == o.files && marker->number("certs") == o.certs) {
            std::cout << "tree             " << tree.string() << " (reused)\n";
            return {expected_from_marker(*marker), false};
        }
        std::cout << "tree             " << tree.string() << ": stale or incomplete, regenerating\n";
        fs::remove_all(tree);
    } else if (fs::exists(tree)) {
        if (!fs::is_directory(tree) || !fs::is_empty(tree))
            die(tree.string() + " exists and is not a bench tree (no " + std::string(kMarkerName) +
                "): refusing to write into it");
    }
    const auto started = Clock::now();
    Expected expected;
    try {
        expected = generate_tree(tree, o);
    } catch (...) {
        std::error_code ec;
        fs::remove_all(tree, ec);  // half a tree is no use to anyone
        throw;
    }
    char line[256];
    std::snprintf(line, sizeof line, "tree             %s (generated in %.1f s)\n", tree.c_str(),
                  std::chrono::duration<double>(Clock::now() - started).count());
    std::cout << line;
    return {expected, true};
}

}  // namespace certfleet::bench::files
