#include "core/replacing_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

namespace certfleet {

namespace {

// The process's umask, read without changing it (umask(2) can only be read by setting it, which races threads).
mode_t current_umask() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.starts_with("Umask:")) return static_cast<mode_t>(std::stoul(line.substr(6), nullptr, 8));
    return 022;
}

// The temporary file: removed when it goes out of scope unless it was renamed into place.
class TemporaryFile {
public:
    explicit TemporaryFile(const std::filesystem::path& target)
        : path_((target.parent_path().empty() ? std::filesystem::path(".") : target.parent_path()) /
                ("." + target.filename().string() + ".XXXXXX")) {
        std::string name = path_.string();
        fd_ = ::mkostemp(name.data(), O_CLOEXEC);
        if (fd_ < 0) throw FileWriteError(target.string() + ": cannot create a file beside it: " + std::strerror(errno));
        path_ = name;
    }
    ~TemporaryFile() {
        if (fd_ >= 0) ::close(fd_);
        if (!renamed_) ::unlink(path_.c_str());
    }
    TemporaryFile(const TemporaryFile&) = delete;
    TemporaryFile& operator=(const TemporaryFile&) = delete;

    int fd() const { return fd_; }
    const std::filesystem::path& path() const { return path_; }
    void mark_renamed() { renamed_ = true; }

private:
    std::filesystem::path path_;
    int fd_ = -1;
    bool renamed_ = false;
};

}  // namespace

void replace_file(const std::filesystem::path& target, std::string_view content) {
    const auto fail = [&](const std::string& what) {
        throw FileWriteError(target.string() + ": " + what + ": " + std::strerror(errno));
    };
    struct stat existing {};
    const bool exists = ::stat(target.c_str(), &existing) == 0;
    if (exists && S_ISDIR(existing.st_mode)) throw FileWriteError(target.string() + ": is a directory; give a file name");
    const mode_t mode = exists ? existing.st_mode & 07777 : 0666 & ~current_umask();

    TemporaryFile temporary(target);
    for (std::size_t written = 0; written < content.size();) {
        const ssize_t n = ::write(temporary.fd(), content.data() + written, content.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail("cannot write");
        written += static_cast<std::size_t>(n);
    }
    if (::fchmod(temporary.fd(), mode) != 0) fail("cannot set the mode");
    if (::fsync(temporary.fd()) != 0) fail("cannot write");
    if (::rename(temporary.path().c_str(), target.c_str()) != 0) fail("cannot replace");
    temporary.mark_renamed();
}

}  // namespace certfleet
