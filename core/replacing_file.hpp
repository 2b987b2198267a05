#pragma once
// Writes a file whole or not at all, safely in a directory others can write to: the content goes to a new
// temporary file beside the target (created exclusively, so a planted file or link is never written through),
// which is then renamed over the target. A reader sees the old file or the new one, never half of one.
#include <filesystem>
#include <stdexcept>
#include <string_view>

namespace certfleet {

struct FileWriteError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Replaces `target` with `content`. The new file keeps the mode of the file it replaces, or gets 0666 less the
// umask. Throws FileWriteError naming the target and the problem; the temporary file is removed on every failure.
void replace_file(const std::filesystem::path& target, std::string_view content);

}  // namespace certfleet
