#include "inventory/file_stamp.hpp"

#include <sys/stat.h>

namespace certfleet::inventory {

namespace {

FileStamp file_stamp(const std::string& path) {
    struct stat status {};
    if (::stat(path.c_str(), &status) != 0) return {};
    return {static_cast<std::uint64_t>(status.st_ino), static_cast<std::int64_t>(status.st_size),
            static_cast<std::int64_t>(status.st_mtim.tv_sec) * 1'000'000'000 + status.st_mtim.tv_nsec};
}

}  // namespace

InventoryStamp inventory_stamp(const std::string& path) { return {file_stamp(path), file_stamp(path + "-wal")}; }

}  // namespace certfleet::inventory
