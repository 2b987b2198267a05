#pragma once
// bench/inventory: the certificate cache. certs.bin holds each certificate's DER and its CertInfo, index.bin the
// offsets, and marker says what made them (written last, so a half-made cache is never used).
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/inventory/fleet.hpp"
#include "core/cert_info.hpp"

namespace certfleet::bench::inventory {

struct LoadedCert {
    std::shared_ptr<const CertInfo> info;
    std::shared_ptr<const Bytes> der;
};

struct CacheInfo {
    fs::path dir;
    std::uint64_t count = 0;
    std::int64_t created_at = 0;  // when the certificates were made: their validity is relative to it
    double seconds = 0;           // how long making them took (0: reused)
};

// The key=value lines of the cache's marker (none when it has no marker).
std::map<std::string, std::string> read_marker(const fs::path& dir);

// Reads certificates by number, one pread each: nothing is kept, so the measured process holds no more than
// the scanner would (the file sits in the page cache, which is not the process's memory).
class CertCache {
public:
    explicit CertCache(const CacheInfo& info);
    ~CertCache();
    CertCache(const CertCache&) = delete;
    CertCache& operator=(const CertCache&) = delete;

    std::size_t size() const { return offsets_.size() - 1; }
    LoadedCert load(std::uint32_t index);

private:
    std::vector<std::uint64_t> offsets_;
    std::vector<char> buffer_;
    int fd_ = -1;
};

// The certificates of `scale`'s fleet under `root`: reused when a cache made by this version for the same scale is
// there, made anew otherwise.
CacheInfo prepare_cache(const Scale& scale, const fs::path& root);

}  // namespace certfleet::bench::inventory
