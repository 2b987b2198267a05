// The whole decoder a file walk runs on every file: formats recognised by content, trust stores by path.
#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace certfleet;
    // A path under a trust store directory, so the trust-anchor rules of trust_store.cpp run too.
    scanner::decode_file_content(fuzz::bytes(data, size), "/etc/ssl/certs/fuzz-input", fuzz::decode_options());
    return 0;
}
