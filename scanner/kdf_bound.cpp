#include "scanner/kdf_bound.hpp"

#include <openssl/objects.h>

#include <array>
#include <algorithm>
#include <limits>
#include <string>

#include "core/openssl_handles.hpp"

namespace certfleet::scanner {

namespace {

constexpr std::uint64_t kUnbounded = std::numeric_limits<std::uint64_t>::max();

// A count as the derivation would read it. Negative counts OpenSSL refuses on its own; one too large for 64
// bits is at least as costly as the largest.
std::uint64_t count_of(const ASN1_INTEGER* value) {
    std::uint64_t count = 0;
    if (ASN1_INTEGER_get_uint64(&count, value) == 1) return count;
    return ASN1_STRING_type(value) == V_ASN1_NEG_INTEGER ? 0 : kUnbounded;
}

std::uint64_t saturating_product(std::initializer_list<std::uint64_t> factors) {
    std::uint64_t product = 1;
    for (const std::uint64_t factor : factors) {
        if (factor != 0 && product > kUnbounded / factor) return kUnbounded;
        product *= factor;
    }
    return product;
}

template <typename Params>
Params* unpack(const ASN1_ITEM* item, const ASN1_TYPE* parameter) {
    if (parameter == nullptr || parameter->type != V_ASN1_SEQUENCE) return nullptr;
    return static_cast<Params*>(ASN1_TYPE_unpack_sequence(item, parameter));
}

std::optional<KdfCost> pbes2_kdf_cost(const ASN1_TYPE* parameter) {
    const ossl::Pbe2ParamPtr pbes2(unpack<PBE2PARAM>(ASN1_ITEM_rptr(PBE2PARAM), parameter));
    if (!pbes2 || pbes2->keyfunc == nullptr) return std::nullopt;
    switch (OBJ_obj2nid(pbes2->keyfunc->algorithm)) {
        case NID_id_pbkdf2: {
            const ossl::Pbkdf2ParamPtr pbkdf2(
                unpack<PBKDF2PARAM>(ASN1_ITEM_rptr(PBKDF2PARAM), pbes2->keyfunc->parameter));
            if (!pbkdf2 || pbkdf2->iter == nullptr) return std::nullopt;
            return KdfCost{"PBKDF2", count_of(pbkdf2->iter)};
        }
        case NID_id_scrypt: {
            const ossl::ScryptParamsPtr scrypt(
                unpack<SCRYPT_PARAMS>(ASN1_ITEM_rptr(SCRYPT_PARAMS), pbes2->keyfunc->parameter));
            if (!scrypt) return std::nullopt;
            return KdfCost{"scrypt", saturating_product({count_of(scrypt->costParameter), count_of(scrypt->blockSize),
                                                         count_of(scrypt->parallelizationParameter)})};
        }
        default: return std::nullopt;
    }
}

bool is_pkcs12_pbe(int nid) {
    static constexpr std::array kPkcs12Pbes{
        NID_pbe_WithSHA1And128BitRC4,           NID_pbe_WithSHA1And40BitRC4,
        NID_pbe_WithSHA1And3_Key_TripleDES_CBC, NID_pbe_WithSHA1And2_Key_TripleDES_CBC,
        NID_pbe_WithSHA1And128BitRC2_CBC,       NID_pbe_WithSHA1And40BitRC2_CBC};
    return std::find(kPkcs12Pbes.begin(), kPkcs12Pbes.end(), nid) != kPkcs12Pbes.end();
}

}  // namespace

std::optional<KdfCost> pbe_kdf_cost(const X509_ALGOR* algorithm) {
    if (algorithm == nullptr) return std::nullopt;
    const int nid = OBJ_obj2nid(algorithm->algorithm);
    if (nid == NID_pbes2) return pbes2_kdf_cost(algorithm->parameter);
    // PKCS#12 PBE and PBES1 share PBEParameter; OpenSSL derives with 1 iteration when the count is absent.
    if (!EVP_PBE_find(EVP_PBE_TYPE_OUTER, nid, nullptr, nullptr, nullptr)) return std::nullopt;
    const ossl::PbeParamPtr pbe(unpack<PBEPARAM>(ASN1_ITEM_rptr(PBEPARAM), algorithm->parameter));
    if (!pbe) return std::nullopt;
    return KdfCost{is_pkcs12_pbe(nid) ? "PKCS#12 KDF" : "PBES1", pbe->iter ? count_of(pbe->iter) : 1};
}

KdfCost pkcs12_mac_kdf_cost(const ASN1_INTEGER* iterations) {
    return KdfCost{"PKCS#12 KDF", iterations ? count_of(iterations) : 1};
}

bool refuse_costly_kdf(const std::optional<KdfCost>& cost, std::string_view what, FileObservationBuilder& out) {
    const std::uint64_t bound = out.options().max_kdf_iterations;
    if (!cost || cost->iterations <= bound) return false;
    const std::string count = cost->iterations == kUnbounded ? "more than 2^64" : std::to_string(cost->iterations);
    const std::string unit = cost->kdf == "scrypt" ? " (N*r*p)" : " iterations";
    out.add_error("excessive_kdf_iterations",
                  std::string(what) + ": " + std::string(cost->kdf) + " with " + count + unit +
                      " exceeds --max-kdf-iterations " + std::to_string(bound) +
                      "; not derived (raise --max-kdf-iterations for a file you trust)");
    return true;
}

}  // namespace certfleet::scanner
