#include "scanner/file_walker.hpp"

#include "core/openssl_handles.hpp"
#include "core/path_exclusion.hpp"
#include "scanner/bounded_queue.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>

namespace certfleet::scanner {

namespace {

// An open file handed from the walker to a decoder; the decoder owns and closes the descriptor.
struct FileJob {
    int fd = -1;
    std::string path;
};

struct WalkResult {
    FileObservations observations;
    bool file_read = false;
    bool skipped = false;
};

// Files travel between threads in batches: one queue hand-off (and one thread wake-up) per batch rather than
// per file keeps the pipeline's cost small next to reading and decoding.
using JobBatch = std::vector<FileJob>;
using WalkResultBatch = std::vector<WalkResult>;
constexpr std::size_t kBatchSize = 32;

using InodeKey = std::pair<dev_t, ino_t>;

constexpr const char* kJavaDefaultPassword = "changeit";

// The walk stops when the caller asks (Ctrl-C) or when the sink fails (the database is gone).
struct StopSignal {
    const std::atomic<bool>& requested;
    std::atomic<bool> sink_failed{false};
    bool operator()() const { return requested.load() || sink_failed.load(); }
};

class UniqueFd {
public:
    explicit UniqueFd(int fd = -1) : fd_(fd) {}
    ~UniqueFd() { reset(); }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }
    void reset() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_;
};

std::string errno_reason(int error) {
    switch (error) {
        case EACCES:
        case EPERM: return "permission_denied";
        case ENOENT: return "not_found";
        case ELOOP: return "symlink_loop";
        case ENAMETOOLONG: return "name_too_long";
        default: return "io_error";
    }
}

std::string file_kind(mode_t mode) {
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    return "not a regular file";
}

std::string join_path(const std::string& directory, const std::string& name) {
    return directory.ends_with('/') ? directory + name : directory + "/" + name;
}

bool is_under(const std::string& path, const std::string& directory) {
    if (directory == "/") return true;
    return path.starts_with(directory) && (path.size() == directory.size() || path[directory.size()] == '/');
}

class TreeWalker {
public:
    TreeWalker(const WalkOptions& options, BoundedQueue<JobBatch>& jobs, BoundedQueue<WalkResultBatch>& results,
               const StopSignal& stop)
        : options_(options), jobs_(jobs), results_(results), stop_(stop) {}

    void run() {
        for (const auto& root : options_.roots) {
            char resolved[PATH_MAX];
            if (::realpath(root.c_str(), resolved)) root_realpaths_.emplace_back(resolved);
        }
        for (const auto& root : options_.roots) {
            if (stop_()) break;
            walk_root(root);
        }
        if (!batch_.empty()) jobs_.push(std::move(batch_));
    }

private:
    void record(const std::string& path, std::string reason, std::string detail, bool skipped = false) {
        WalkResult result;
        result.skipped = skipped;
        result.observations.events.push_back(ScanEvent{path, std::move(reason), std::move(detail), EventLevel::error});
        WalkResultBatch single;
        single.push_back(std::move(result));
        results_.push(std::move(single));
    }

    void record_errno(const std::string& path, const std::string& action, int error) {
        record(path, errno_reason(error), action + ": " + std::strerror(error));
    }

    void walk_root(const std::string& root) {
        std::string path = root;
        while (path.size() > 1 && path.ends_with('/')) path.pop_back();
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0) {
            record_errno(path, "cannot scan", errno);
            return;
        }
        if (S_ISDIR(st.st_mode)) enter_directory(AT_FDCWD, path, path, st, 0);
        else if (S_ISREG(st.st_mode)) visit_file(AT_FDCWD, path, path, true);
        else record(path, "not_regular_file", file_kind(st.st_mode) + ", never opened", true);
    }

    // `name` is relative to `parent_fd` (or a full path with AT_FDCWD); opening relative to the parent keeps
    // working in trees nested deeper than PATH_MAX. `link_path` is the link that led here, if one did: a
    // cycle is reported where the link is, not where it points.
    void enter_directory(int parent_fd, const std::string& name, const std::string& path, const struct stat& st,
                         unsigned depth, const std::string& link_path = {}) {
        if (depth > options_.max_depth) {
            record(path, "too_deep", "more than " + std::to_string(options_.max_depth) + " directory levels", true);
            return;
        }
        const InodeKey key{st.st_dev, st.st_ino};
        if (std::find(ancestors_.begin(), ancestors_.end(), key) != ancestors_.end()) {
            record(link_path.empty() ? path : link_path, "directory_cycle",
                   "leads back to " + path + ", a directory above it; not followed", true);
            return;
        }
        if (!visited_directories_.insert(key).second) return;
        UniqueFd fd(::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (fd.get() < 0) {
            record_errno(path, "cannot open directory", errno);
            return;
        }
        DIR* dir = ::fdopendir(fd.get());
        if (dir == nullptr) {
            record_errno(path, "cannot read directory", errno);
            return;
        }
        fd.release();
        std::vector<std::pair<std::string, unsigned char>> entries;  // name and d_type
        errno = 0;
        while (const dirent* entry = ::readdir(dir)) {
            if (std::strcmp(entry->d_name, ".") != 0 && std::strcmp(entry->d_name, "..") != 0)
                entries.emplace_back(entry->d_name, entry->d_type);
        }
        if (errno != 0) record_errno(path, "directory listing cut short", errno);
        std::sort(entries.begin(), entries.end());

        ancestors_.push_back(key);
        for (const auto& [child, type] : entries) {
            if (stop_()) break;
            visit_entry(::dirfd(dir), child, join_path(path, child), depth, type);
        }
        ancestors_.pop_back();
        ::closedir(dir);
    }

    void visit_entry(int dir_fd, const std::string& name, const std::string& path, unsigned depth,
                     unsigned char type) {
        if (excluded_entry(options_.exclude_globs, path, name)) return;
        // Most entries are regular files and readdir says so: they are opened straight away and checked with
        // fstat on the open descriptor, which saves a stat call per file.
        if (type == DT_REG) {
            visit_file(dir_fd, name, path, false);
            return;
        }
        struct stat st {};
        if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            record_errno(path, "cannot stat", errno);
            return;
        }
        if (S_ISLNK(st.st_mode)) visit_link(dir_fd, name, path, depth);
        else if (S_ISDIR(st.st_mode)) enter_directory(dir_fd, name, path, st, depth + 1);
        else if (S_ISREG(st.st_mode)) visit_file(dir_fd, name, path, false);
        else record(path, "not_regular_file", file_kind(st.st_mode) + ", never opened", true);
    }

    void visit_link(int dir_fd, const std::string& name, const std::string& path, unsigned depth) {
        struct stat target {};
        if (::fstatat(dir_fd, name.c_str(), &target, 0) != 0) {
            const int error = errno;
            record(path, error == ENOENT ? "broken_symlink" : errno_reason(error),
                   std::string("link target unreachable: ") + std::strerror(error));
            return;
        }
        char buffer[PATH_MAX];
        const std::string resolved = ::realpath(path.c_str(), buffer) ? std::string(buffer) : path;
        if (S_ISDIR(target.st_mode)) {
            enter_directory(dir_fd, name, resolved, target, depth + 1, path);
        } else if (S_ISREG(target.st_mode)) {
            // The target is read where the walk meets it directly, if it does; reading it here too would count
            // one file twice.
            const bool reached_directly = std::any_of(root_realpaths_.begin(), root_realpaths_.end(),
                                                      [&](const std::string& r) { return is_under(resolved, r); });
            if (reached_directly && resolved != path) return;
            visit_file(dir_fd, name, resolved, true);
        } else {
            record(path, "not_regular_file", "link to " + file_kind(target.st_mode) + ", never opened", true);
        }
    }

    // `follow` is set when a link led here and has been checked; otherwise a link is never followed on open.
    void visit_file(int dir_fd, const std::string& name, const std::string& path, bool follow) {
        // O_NONBLOCK: should the entry be a FIFO after all (swapped since it was listed), opening must not hang.
        const int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW);
        UniqueFd fd(::openat(dir_fd, name.c_str(), flags));
        if (fd.get() < 0) {
            const int error = errno;
            if (error == ELOOP && !follow) record(path, "not_regular_file", "changed while scanning, not read", true);
            else record_errno(path, "cannot open", error);
            return;
        }
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
            record(path, "not_regular_file", "changed while scanning, not read", true);
            return;
        }
        if (st.st_nlink > 1 && !linked_files_.insert(InodeKey{st.st_dev, st.st_ino}).second) return;
        if (static_cast<std::uint64_t>(st.st_size) > options_.max_file_size) {
            record(path, "too_large", std::to_string(st.st_size) + " bytes exceeds --max-file-size " +
                                          std::to_string(options_.max_file_size), true);
            return;
        }
        batch_.push_back(FileJob{fd.release(), path});
        if (batch_.size() >= kBatchSize) {
            jobs_.push(std::move(batch_));
            batch_.clear();
        }
    }

    const WalkOptions& options_;
    BoundedQueue<JobBatch>& jobs_;
    BoundedQueue<WalkResultBatch>& results_;
    JobBatch batch_;
    const StopSignal& stop_;
    std::vector<std::string> root_realpaths_;
    std::set<InodeKey> visited_directories_;
    std::set<InodeKey> linked_files_;  // files with several names: read under the first one only
    std::vector<InodeKey> ancestors_;
};

// Reads at most `limit` + 1 bytes so a file that grew past the cap since it was stat'ed is still caught.
bool read_capped(int fd, std::uint64_t limit, Bytes& buffer, int& error) {
    buffer.clear();
    std::uint8_t chunk[65536];
    for (;;) {
        const ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n < 0) {
            if (errno == EINTR) continue;
            error = errno;
            return false;
        }
        if (n == 0) return true;
        buffer.insert(buffer.end(), chunk, chunk + n);
        if (buffer.size() > limit) return true;
    }
}

void decode_job(const FileJob& job, const WalkOptions& options, const DecodeOptions& decode_options,
                const StopSignal& stop, Bytes& buffer, WalkResultBatch& decoded) {
    UniqueFd fd(job.fd);
    if (stop()) return;
    WalkResult result;
    int error = 0;
    if (!read_capped(fd.get(), options.max_file_size, buffer, error)) {
        result.observations.events.push_back(
            ScanEvent{job.path, errno_reason(error), std::string("read failed: ") + std::strerror(error)});
    } else if (buffer.size() > options.max_file_size) {
        result.skipped = true;
        result.observations.events.push_back(
            ScanEvent{job.path, "too_large", "grew past --max-file-size while being read"});
    } else {
        result.file_read = true;
        try {
            result.observations = decode_file_content(buffer, job.path, decode_options);
        } catch (const std::exception& e) {  // OpenSSL itself failing (out of memory): this file, not the scan
            result.observations = FileObservations{};
            result.observations.events.push_back(ScanEvent{job.path, "internal_error", e.what()});
        }
        // A file whose decoding the stop cut short is left out whole rather than stored in part.
        if (stop()) return;
    }
    decoded.push_back(std::move(result));
}

void decode_jobs(BoundedQueue<JobBatch>& jobs, BoundedQueue<WalkResultBatch>& results, const WalkOptions& options,
                 const DecodeOptions& decode_options, const StopSignal& stop) {
    Bytes buffer;
    while (auto batch = jobs.pop()) {
        WalkResultBatch decoded;
        for (auto& job : *batch) decode_job(job, options, decode_options, stop, buffer, decoded);
        if (!decoded.empty()) results.push(std::move(decoded));
    }
}

}  // namespace

std::string read_operator_file(const std::string& path, std::uint64_t max_bytes) {
    const auto not_regular = [](mode_t mode) {
        return InputFileError(S_ISDIR(mode) ? "is a directory, not a file"
                                            : "is " + file_kind(mode) + ", not a regular file; not read");
    };
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw InputFileError(std::string("cannot read it: ") + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) throw not_regular(st.st_mode);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (fd.get() < 0) throw InputFileError(std::string("cannot read it: ") + std::strerror(errno));
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) throw not_regular(st.st_mode);
    const auto too_large = [&] {
        return InputFileError("is over " + std::to_string(max_bytes) + " bytes, the most read from this input");
    };
    if (static_cast<std::uint64_t>(st.st_size) > max_bytes) throw too_large();
    Bytes content;
    int error = 0;
    if (!read_capped(fd.get(), max_bytes, content, error))
        throw InputFileError(std::string("cannot read it: ") + std::strerror(error));
    if (content.size() > max_bytes) throw too_large();
    return std::string(content.begin(), content.end());
}

WalkStats walk_files(const WalkOptions& options, const std::function<void(FileObservations&&)>& sink,
                     const std::function<void(const WalkStats&)>& progress, const std::atomic<bool>& stop) {
    CertificateCache own_cache;
    DecodeOptions decode_options;
    decode_options.passwords.push_back("");
    for (const auto& p : options.passwords)
        if (!p.empty()) decode_options.passwords.push_back(p);
    // The JDK ships its truststores with this password and most Java keystores keep it; trying it lets their
    // integrity be checked without every user having to know it.
    if (std::find(decode_options.passwords.begin(), decode_options.passwords.end(), kJavaDefaultPassword) ==
        decode_options.passwords.end())
        decode_options.passwords.emplace_back(kJavaDefaultPassword);
    decode_options.cache = options.cache ? options.cache : &own_cache;
    decode_options.max_kdf_iterations = options.max_kdf_iterations;
    decode_options.file_time_limit = options.file_time_limit;
    decode_options.stop = &stop;

    // Before any decoder thread starts: loading the legacy provider replaces the default one in OpenSSL's store,
    // and a digest another thread fetched meanwhile failed (SHA-256 of a certificate came out empty).
    ossl::load_legacy_provider();

    // Bounded queues keep memory flat however large the tree; the job queue also bounds open descriptors.
    BoundedQueue<JobBatch> jobs(4);
    BoundedQueue<WalkResultBatch> results(16);
    StopSignal stop_signal{stop};

    const unsigned decoders = options.decoder_threads ? options.decoder_threads
                                                      : std::max(1u, std::thread::hardware_concurrency());
    std::atomic<unsigned> producers_left{decoders + 1};
    auto producer_done = [&] {
        if (--producers_left == 0) results.close();
    };

    std::thread walker([&] {
        try {
            TreeWalker(options, jobs, results, stop_signal).run();
        } catch (const std::exception& e) {
            WalkResultBatch failure(1);
            failure[0].observations.events.push_back(ScanEvent{"(walk)", "internal_error", e.what()});
            results.push(std::move(failure));
        }
        jobs.close();
        producer_done();
    });
    std::vector<std::thread> workers;
    for (unsigned i = 0; i < decoders; ++i) {
        workers.emplace_back([&] {
            decode_jobs(jobs, results, options, decode_options, stop_signal);
            producer_done();
        });
    }

    WalkStats stats;
    std::exception_ptr sink_failure;
    while (auto batch = results.pop()) {
        for (auto& result : *batch) {
            if (sink_failure) break;
            auto& obs = result.observations;
            stats.files_walked += result.file_read ? 1 : 0;
            stats.skipped += result.skipped ? 1 : 0;
            stats.certificates += obs.certificates.size();
            stats.keys += obs.keys.size();
            for (const auto& e : obs.events) (e.level == EventLevel::error ? stats.errors : stats.notes) += 1;
            try {
                sink(std::move(obs));
                progress(stats);
            } catch (...) {
                sink_failure = std::current_exception();
                stop_signal.sink_failed = true;
            }
        }
    }
    walker.join();
    for (auto& w : workers) w.join();
    if (sink_failure) std::rethrow_exception(sink_failure);
    return stats;
}

}  // namespace certfleet::scanner
