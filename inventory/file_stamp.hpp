#pragma once
// What changes whenever anything writes to an inventory: its database file and write-ahead log, by size,
// modification time and inode. Two stat calls, so a reader that keeps what it read (`serve`'s metrics) can tell
// whether it is still current without opening the database.
#include <cstdint>
#include <string>

namespace certfleet::inventory {

struct FileStamp {
    std::uint64_t inode = 0;  // all 0 while the file does not exist
    std::int64_t size = 0;
    std::int64_t modified_ns = 0;
    bool operator==(const FileStamp&) const = default;
};

struct InventoryStamp {
    FileStamp database;
    FileStamp write_ahead_log;  // SQLite's PATH-wal, where commits land until a checkpoint copies them over
    bool operator==(const InventoryStamp&) const = default;
};

InventoryStamp inventory_stamp(const std::string& path);

}  // namespace certfleet::inventory
