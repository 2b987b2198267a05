// PKCS#12 without decode_der's gate in front: every input reaches d2i_PKCS12 and, past it, the MAC check
// with each password (where a hostile iteration count costs time: the fuzzer's -timeout catches that).
#include "fuzz/fuzz_support.hpp"
#include "scanner/containers.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace certfleet;
    scanner::FileObservationBuilder out("fuzz-input.p12", fuzz::decode_options());
    scanner::record_pkcs12(fuzz::bytes(data, size), out);
    return 0;
}
