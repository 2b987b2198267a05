#include "tests/support/hostile_containers.hpp"

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include <memory>
#include <stdexcept>

#include "core/openssl_handles.hpp"

namespace certfleet::testing {

namespace {

using Pbes2Ptr = std::unique_ptr<PBE2PARAM, ossl::Deleter<PBE2PARAM_free>>;
using Pbkdf2Ptr = std::unique_ptr<PBKDF2PARAM, ossl::Deleter<PBKDF2PARAM_free>>;
using ScryptPtr = std::unique_ptr<SCRYPT_PARAMS, ossl::Deleter<SCRYPT_PARAMS_free>>;
void free_safes(STACK_OF(PKCS7)* safes) { sk_PKCS7_pop_free(safes, PKCS7_free); }
using SafesPtr = std::unique_ptr<STACK_OF(PKCS7), ossl::Deleter<free_safes>>;

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error("hostile containers: " + what); }

template <typename T>
Bytes der_of(T* object, int (*encode)(const T*, unsigned char**)) {
    unsigned char* der = nullptr;
    const int length = encode(object, &der);
    if (length <= 0) fail("cannot re-encode the patched container");
    Bytes out(der, der + length);
    OPENSSL_free(der);
    return out;
}

ossl::Pkcs12Ptr read_pkcs12(const Bytes& der) {
    const unsigned char* cursor = der.data();
    ossl::Pkcs12Ptr p12(d2i_PKCS12(nullptr, &cursor, static_cast<long>(der.size())));
    if (!p12) fail("not a PKCS#12");
    return p12;
}

// The PBES2 parameters of `algorithm`, and writing them back once changed.
Pbes2Ptr pbes2_of(const X509_ALGOR* algorithm) {
    Pbes2Ptr scheme(
        static_cast<PBE2PARAM*>(ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), algorithm->parameter)));
    if (!scheme) fail("not PBES2");
    return scheme;
}

void store(X509_ALGOR* algorithm, const Pbes2Ptr& scheme) {
    if (!ASN1_TYPE_pack_sequence(ASN1_ITEM_rptr(PBE2PARAM), scheme.get(), &algorithm->parameter))
        fail("cannot re-encode PBES2 parameters");
}

void set_pbkdf2_iterations(X509_ALGOR* algorithm, long iterations) {
    const Pbes2Ptr scheme = pbes2_of(algorithm);
    Pbkdf2Ptr kdf(static_cast<PBKDF2PARAM*>(
        ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), scheme->keyfunc->parameter)));
    if (!kdf || ASN1_INTEGER_set(kdf->iter, iterations) != 1 ||
        !ASN1_TYPE_pack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), kdf.get(), &scheme->keyfunc->parameter))
        fail("cannot patch a PBKDF2 iteration count");
    store(algorithm, scheme);
}

void set_scrypt_cost(X509_ALGOR* algorithm, ScryptCost cost) {
    const Pbes2Ptr scheme = pbes2_of(algorithm);
    ScryptPtr kdf(static_cast<SCRYPT_PARAMS*>(
        ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(SCRYPT_PARAMS), scheme->keyfunc->parameter)));
    if (!kdf || ASN1_INTEGER_set_uint64(kdf->costParameter, cost.n) != 1 ||
        ASN1_INTEGER_set_uint64(kdf->blockSize, cost.r) != 1 ||
        ASN1_INTEGER_set_uint64(kdf->parallelizationParameter, cost.p) != 1 ||
        !ASN1_TYPE_pack_sequence(ASN1_ITEM_rptr(SCRYPT_PARAMS), kdf.get(), &scheme->keyfunc->parameter))
        fail("cannot patch scrypt parameters");
    store(algorithm, scheme);
}

Bytes seal(const TestKey& key, const std::string& password, X509_ALGOR* pbe) {
    ossl::Pkcs8InfoPtr info(EVP_PKEY2PKCS8(key.get()));
    ossl::X509SigPtr sealed(info && pbe ? PKCS8_set0_pbe(password.c_str(), static_cast<int>(password.size()),
                                                         info.get(), pbe)
                                        : nullptr);
    if (!sealed) {
        X509_ALGOR_free(pbe);
        fail("cannot encrypt the key");
    }
    return der_of(sealed.get(), i2d_X509_SIG);
}

// Patches the encryption algorithm of an EncryptedPrivateKeyInfo.
template <typename Patch>
Bytes patched_pkcs8(const Bytes& der, Patch patch) {
    const unsigned char* cursor = der.data();
    ossl::X509SigPtr sealed(d2i_X509_SIG(nullptr, &cursor, static_cast<long>(der.size())));
    X509_ALGOR* algorithm = nullptr;
    if (sealed) X509_SIG_getm(sealed.get(), &algorithm, nullptr);
    if (!algorithm) fail("not an EncryptedPrivateKeyInfo");
    patch(algorithm);
    return der_of(sealed.get(), i2d_X509_SIG);
}

}  // namespace

Bytes pkcs12_with_mac_iterations(const Bytes& pkcs12, long iterations) {
    const ossl::Pkcs12Ptr p12 = read_pkcs12(pkcs12);
    const ASN1_INTEGER* count = nullptr;
    PKCS12_get0_mac(nullptr, nullptr, nullptr, &count, p12.get());
    // OpenSSL hands the count out read-only; it is the file's own field, and changing it is the point here.
    if (!count || ASN1_INTEGER_set(const_cast<ASN1_INTEGER*>(count), iterations) != 1)
        fail("cannot patch the PKCS#12 MAC iteration count");
    return der_of(p12.get(), i2d_PKCS12);
}

Bytes pkcs12_without_mac_with_bag_iterations(const Bytes& pkcs12, long iterations) {
    const ossl::Pkcs12Ptr p12 = read_pkcs12(pkcs12);
    const SafesPtr safes(PKCS12_unpack_authsafes(p12.get()));
    if (!safes) fail("cannot read the safes of a PKCS#12");
    bool patched = false;
    for (int i = 0; i < sk_PKCS7_num(safes.get()); ++i) {
        PKCS7* safe = sk_PKCS7_value(safes.get(), i);
        if (OBJ_obj2nid(safe->type) != NID_pkcs7_encrypted) continue;
        set_pbkdf2_iterations(safe->d.encrypted->enc_data->algorithm, iterations);
        patched = true;
    }
    const ossl::Pkcs12Ptr without_mac(PKCS12_init(NID_pkcs7_data));
    if (!patched || !without_mac || PKCS12_pack_authsafes(without_mac.get(), safes.get()) != 1)
        fail("cannot repack the PKCS#12 without a MAC");
    return der_of(without_mac.get(), i2d_PKCS12);
}

Bytes encrypted_pkcs8_der(const TestKey& key, const std::string& password, int pbkdf2_iterations) {
    return seal(key, password,
                           PKCS5_pbe2_set_iv(EVP_aes_256_cbc(), pbkdf2_iterations, nullptr, 0, nullptr, NID_hmacWithSHA256));
}

Bytes encrypted_pkcs8_der(const TestKey& key, const std::string& password, ScryptCost scrypt) {
    return seal(key, password,
                           PKCS5_pbe2_set_scrypt(EVP_aes_256_cbc(), nullptr, 0, nullptr, scrypt.n, scrypt.r, scrypt.p));
}

Bytes with_pbkdf2_iterations(const Bytes& encrypted_pkcs8, long iterations) {
    return patched_pkcs8(encrypted_pkcs8, [&](X509_ALGOR* algorithm) { set_pbkdf2_iterations(algorithm, iterations); });
}

Bytes with_scrypt_cost(const Bytes& encrypted_pkcs8, ScryptCost scrypt) {
    return patched_pkcs8(encrypted_pkcs8, [&](X509_ALGOR* algorithm) { set_scrypt_cost(algorithm, scrypt); });
}

std::string pem_block(const std::string& label, const Bytes& der) {
    return "-----BEGIN " + label + "-----\n" + base64(der) + "\n-----END " + label + "-----\n";
}

}  // namespace certfleet::testing
