#pragma once
// Walks file trees and decodes every regular file by content on a small thread pool.
//
// Symbolic links are followed. Directories are entered once each, by (device, inode), so link cycles and
// bind mounts cannot loop or double-count; a link back to an ancestor is recorded as a "directory_cycle"
// error. A file reached through a link is recorded under its resolved path and read once, however many links
// lead to it (a CA in /etc/ssl/certs is reached by name and by hash link). FIFOs, sockets and devices are
// never opened. Entries are visited in name order, so repeated scans of an unchanged tree match.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/observation.hpp"
#include "scanner/decode.hpp"

namespace certfleet::scanner {

struct WalkOptions {
    std::vector<std::string> roots;
    std::vector<std::string> exclude_globs;  // fnmatch(3) against the full path and against the entry name
    std::uint64_t max_file_size = 10ull << 20;
    unsigned decoder_threads = 0;  // 0: one per core
    unsigned max_depth = 256;
    // For PKCS#12, Java keystores and encrypted keys; "" is always tried first and "changeit" (the JDK's
    // default keystore password) last.
    std::vector<std::string> passwords;
    std::uint64_t max_kdf_iterations = kDefaultMaxKdfIterations;  // see DecodeOptions
    std::chrono::milliseconds file_time_limit = kDefaultFileTimeLimit;
    // Certificates already described in this scan (shared with its network side); the walk's own when null.
    CertificateCache* cache = nullptr;
};

struct WalkStats {
    std::uint64_t files_walked = 0;   // regular files read and decoded
    std::uint64_t certificates = 0;   // certificate sightings
    std::uint64_t keys = 0;
    std::uint64_t errors = 0;
    std::uint64_t notes = 0;
    std::uint64_t skipped = 0;        // too large, excluded, not a regular file
};

// Everything found comes to `sink` on the calling thread, one file at a time, so the sink needs no locking.
// `progress` is called on the same thread after each file. Setting `stop` ends the walk within about one key
// derivation: no file is opened after it, a file being decoded is abandoned (and not handed over), and what was
// already handed to the sink stays handed over.
WalkStats walk_files(const WalkOptions& options, const std::function<void(FileObservations&&)>& sink,
                     const std::function<void(const WalkStats&)>& progress, const std::atomic<bool>& stop);

class InputFileError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Reads a small file an operator named (a password list). Only a regular file is read: the type is checked
// before the open, which does not block, and again on the open descriptor, so a FIFO cannot hang the scan and a
// device cannot feed it without end; more than `max_bytes` is refused. Throws InputFileError saying why.
std::string read_operator_file(const std::string& path, std::uint64_t max_bytes);

}  // namespace certfleet::scanner
