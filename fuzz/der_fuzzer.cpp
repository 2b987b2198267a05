// One DER object: certificate, PKCS#7 (walked by hand first, then by OpenSSL), PKCS#12 or a PKCS#8 key.
#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace certfleet;
    scanner::FileObservationBuilder out("fuzz-input.der", fuzz::decode_options());
    scanner::decode_der(fuzz::bytes(data, size), out);
    return 0;
}
