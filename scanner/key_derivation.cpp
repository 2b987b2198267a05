#include "scanner/key_derivation.hpp"

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <memory>

#include "core/openssl_handles.hpp"

namespace certfleet::scanner {

namespace {

using Pbes2Ptr = std::unique_ptr<PBE2PARAM, ossl::Deleter<PBE2PARAM_free>>;
using Pbkdf2Ptr = std::unique_ptr<PBKDF2PARAM, ossl::Deleter<PBKDF2PARAM_free>>;
using ScryptPtr = std::unique_ptr<SCRYPT_PARAMS, ossl::Deleter<SCRYPT_PARAMS_free>>;
using PbeParamPtr = std::unique_ptr<PBEPARAM, ossl::Deleter<PBEPARAM_free>>;

template <typename T>
T* unpack(const ASN1_ITEM* item, const ASN1_TYPE* parameter) {
    return parameter ? static_cast<T*>(ASN1_TYPE_unpack_sequence(item, parameter)) : nullptr;
}

// A count OpenSSL cannot read as a positive number it refuses on its own, cheaply.
std::optional<std::uint64_t> count_of(const ASN1_INTEGER* value) {
    std::uint64_t count = 0;
    if (!value || ASN1_INTEGER_get_uint64(&count, value) != 1) return std::nullopt;
    return count;
}

std::optional<std::string> excessive_iterations(const ASN1_INTEGER* value, const char* kdf) {
    const auto iterations = count_of(value);
    if (!iterations || *iterations <= kMostKdfIterations) return std::nullopt;
    return std::to_string(*iterations) + " " + kdf + " iterations per password, over the " +
           std::to_string(kMostKdfIterations) + " certfleet allows";
}

std::optional<std::string> excessive_scrypt(const SCRYPT_PARAMS& params) {
    const auto n = count_of(params.costParameter), r = count_of(params.blockSize),
               p = count_of(params.parallelizationParameter);
    if (!n || !r || !p) return std::nullopt;
    // In floating point: the product of three 64-bit values may not fit 64 bits.
    const long double work = static_cast<long double>(*n) * static_cast<long double>(*r) * static_cast<long double>(*p);
    if (work <= static_cast<long double>(kMostScryptWork)) return std::nullopt;
    return "scrypt N=" + std::to_string(*n) + " r=" + std::to_string(*r) + " p=" + std::to_string(*p) +
           " per password, over the N * r * p of " + std::to_string(kMostScryptWork) + " certfleet allows";
}

std::optional<std::string> excessive_pbes2(const ASN1_TYPE* parameter) {
    const Pbes2Ptr scheme(unpack<PBE2PARAM>(ASN1_ITEM_rptr(PBE2PARAM), parameter));
    if (!scheme || !scheme->keyfunc) return std::nullopt;
    switch (OBJ_obj2nid(scheme->keyfunc->algorithm)) {
        case NID_id_pbkdf2: {
            const Pbkdf2Ptr kdf(unpack<PBKDF2PARAM>(ASN1_ITEM_rptr(PBKDF2PARAM), scheme->keyfunc->parameter));
            return kdf ? excessive_iterations(kdf->iter, "PBKDF2") : std::nullopt;
        }
        case NID_id_scrypt: {
            const ScryptPtr kdf(unpack<SCRYPT_PARAMS>(ASN1_ITEM_rptr(SCRYPT_PARAMS), scheme->keyfunc->parameter));
            return kdf ? excessive_scrypt(*kdf) : std::nullopt;
        }
        default:
            return std::nullopt;
    }
}

}  // namespace

std::optional<std::string> excessive_key_derivation(const X509_ALGOR* algorithm) {
    if (!algorithm) return std::nullopt;
    const int nid = OBJ_obj2nid(algorithm->algorithm);
    if (nid == NID_pbes2) return excessive_pbes2(algorithm->parameter);
    // PKCS#5 v1 and PKCS#12 PBEs (pbeWithSHAAnd3-KeyTripleDES-CBC and the like) share one parameter layout.
    if (EVP_PBE_find(EVP_PBE_TYPE_OUTER, nid, nullptr, nullptr, nullptr) != 1) return std::nullopt;
    const PbeParamPtr params(unpack<PBEPARAM>(ASN1_ITEM_rptr(PBEPARAM), algorithm->parameter));
    return params ? excessive_iterations(params->iter, "PBE") : std::nullopt;
}

}  // namespace certfleet::scanner
