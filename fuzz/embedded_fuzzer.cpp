// Base64 values in text (Kubernetes secrets, kubeconfigs, Helm values, JSON) holding PEM or binary containers.
#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace certfleet;
    scanner::FileObservationBuilder out("fuzz-input.yaml", fuzz::decode_options());
    scanner::decode_embedded_base64(fuzz::text(data, size), out, SourceFormat::embedded);
    return 0;
}
