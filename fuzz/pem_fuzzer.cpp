// PEM blocks anywhere in text: certificates, PKCS#7, PKCS#8 and traditional (optionally encrypted) keys.
#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace certfleet;
    scanner::FileObservationBuilder out("fuzz-input.pem", fuzz::decode_options());
    scanner::decode_pem_text(fuzz::text(data, size), out, SourceFormat::pem);
    return 0;
}
