// JKS and JCEKS keystores, parsed by hand (entries, certificate chains, sealed secret keys, the digest).
#include "fuzz/fuzz_support.hpp"
#include "scanner/java_keystore.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace certfleet;
    scanner::FileObservationBuilder out("fuzz-input.jks", fuzz::decode_options());
    scanner::decode_java_keystore(fuzz::bytes(data, size), out);
    return 0;
}
