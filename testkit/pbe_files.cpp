#include "testkit/pbe_files.hpp"

#include <openssl/err.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include <stdexcept>

#include "core/openssl_handles.hpp"
#include "testkit/openssl_failure.hpp"

namespace certfleet::testing {

namespace {

[[noreturn]] void pbe_failure(const std::string& what) { fail_with_openssl_reason("test PBE files: " + what); }

template <typename T, typename Encode>
Bytes encode(const T* object, Encode&& i2d) {
    unsigned char* buffer = nullptr;
    const int length = i2d(object, &buffer);
    if (length <= 0) pbe_failure("DER encoding");
    Bytes out(buffer, buffer + length);
    OPENSSL_free(buffer);
    return out;
}

template <typename Params>
Params* unpack(const ASN1_ITEM* item, const ASN1_TYPE* parameter) {
    auto* params = static_cast<Params*>(ASN1_TYPE_unpack_sequence(item, parameter));
    if (!params) pbe_failure("PBE parameters");
    return params;
}

void set_count(ASN1_INTEGER* count, std::uint64_t value) {
    if (ASN1_INTEGER_set_uint64(count, value) != 1) pbe_failure("iteration count");
}

// Sets the iteration count of a PBES2-with-PBKDF2 or PBEParameter (PKCS#12 PBE, PBES1) AlgorithmIdentifier.
void set_kdf_iterations(X509_ALGOR* algorithm, std::uint64_t iterations) {
    if (OBJ_obj2nid(algorithm->algorithm) == NID_pbes2) {
        ossl::Pbe2ParamPtr pbes2(unpack<PBE2PARAM>(ASN1_ITEM_rptr(PBE2PARAM), algorithm->parameter));
        if (OBJ_obj2nid(pbes2->keyfunc->algorithm) != NID_id_pbkdf2)
            pbe_failure("a PBES2 key function other than PBKDF2");
        ossl::Pbkdf2ParamPtr pbkdf2(unpack<PBKDF2PARAM>(ASN1_ITEM_rptr(PBKDF2PARAM), pbes2->keyfunc->parameter));
        set_count(pbkdf2->iter, iterations);
        ASN1_TYPE_pack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), pbkdf2.get(), &pbes2->keyfunc->parameter);
        ASN1_TYPE_pack_sequence(ASN1_ITEM_rptr(PBE2PARAM), pbes2.get(), &algorithm->parameter);
        return;
    }
    ossl::PbeParamPtr pbe(unpack<PBEPARAM>(ASN1_ITEM_rptr(PBEPARAM), algorithm->parameter));
    set_count(pbe->iter, iterations);
    ASN1_TYPE_pack_sequence(ASN1_ITEM_rptr(PBEPARAM), pbe.get(), &algorithm->parameter);
}

ossl::Pkcs12Ptr parse_pkcs12(const Bytes& der) {
    const unsigned char* cursor = der.data();
    ossl::Pkcs12Ptr p12(d2i_PKCS12(nullptr, &cursor, static_cast<long>(der.size())));
    if (!p12) pbe_failure("PKCS#12 parse");
    return p12;
}

ossl::X509SigPtr parse_encrypted_key(const Bytes& der) {
    const unsigned char* cursor = der.data();
    ossl::X509SigPtr sig(d2i_X509_SIG(nullptr, &cursor, static_cast<long>(der.size())));
    if (!sig) pbe_failure("EncryptedPrivateKeyInfo parse");
    return sig;
}

// Rewrites the PBE of every shrouded key bag of a plain safe; the safe is packed anew.
void set_shrouded_key_iterations(STACK_OF(PKCS7)* safes, int index, std::uint64_t iterations) {
    PKCS7* safe = sk_PKCS7_value(safes, index);
    ossl::SafeBagStackPtr bags(PKCS12_unpack_p7data(safe));
    if (!bags) pbe_failure("PKCS#12 safe");
    for (int i = 0; i < sk_PKCS12_SAFEBAG_num(bags.get()); ++i) {
        PKCS12_SAFEBAG* bag = sk_PKCS12_SAFEBAG_value(bags.get(), i);
        if (PKCS12_SAFEBAG_get_nid(bag) != NID_pkcs8ShroudedKeyBag) continue;
        X509_ALGOR* algorithm = nullptr;
        X509_SIG_getm(const_cast<X509_SIG*>(PKCS12_SAFEBAG_get0_pkcs8(bag)), &algorithm, nullptr);
        set_kdf_iterations(algorithm, iterations);
    }
    PKCS7* repacked = PKCS12_pack_p7data(bags.get());
    if (!repacked) pbe_failure("PKCS#12 safe packing");
    sk_PKCS7_set(safes, index, repacked);
    PKCS7_free(safe);
}

}  // namespace

Bytes make_pkcs12(const Pkcs12Spec& spec) {
    ossl::X509StackPtr extra(sk_X509_new_null());
    for (const auto& cert : spec.extra_certs) {
        X509_up_ref(cert.get());
        sk_X509_push(extra.get(), cert.get());
    }
    ossl::Pkcs12Ptr p12(PKCS12_create(spec.password.c_str(), "certfleet test", spec.key ? spec.key->get() : nullptr,
                                      spec.cert ? spec.cert->get() : nullptr, extra.get(), 0, spec.certificate_pbe,
                                      spec.iterations, spec.mac_iterations, 0));
    if (!p12) pbe_failure("PKCS#12 create");
    return encode(p12.get(), i2d_PKCS12);
}

Bytes with_kdf_iterations(const Bytes& pkcs12, Pkcs12Kdf where, std::uint64_t iterations,
                          const std::string& password) {
    ossl::Pkcs12Ptr p12 = parse_pkcs12(pkcs12);
    if (where == Pkcs12Kdf::mac) {
        const ASN1_INTEGER* count = nullptr;
        PKCS12_get0_mac(nullptr, nullptr, nullptr, &count, p12.get());
        if (!count) pbe_failure("PKCS#12 MAC iteration count");
        set_count(const_cast<ASN1_INTEGER*>(count), iterations);
        return encode(p12.get(), i2d_PKCS12);
    }
    ossl::Pkcs7StackPtr safes(PKCS12_unpack_authsafes(p12.get()));
    if (!safes) pbe_failure("PKCS#12 contents");
    for (int i = 0; i < sk_PKCS7_num(safes.get()); ++i) {
        PKCS7* safe = sk_PKCS7_value(safes.get(), i);
        const int type = OBJ_obj2nid(safe->type);
        if (where == Pkcs12Kdf::encrypted_safes && type == NID_pkcs7_encrypted)
            set_kdf_iterations(safe->d.encrypted->enc_data->algorithm, iterations);
        else if (where == Pkcs12Kdf::shrouded_keys && type == NID_pkcs7_data)
            set_shrouded_key_iterations(safes.get(), i, iterations);
    }
    if (PKCS12_pack_authsafes(p12.get(), safes.get()) != 1) pbe_failure("PKCS#12 contents packing");
    if (PKCS12_set_mac(p12.get(), password.c_str(), -1, nullptr, 0, 2048, nullptr) != 1) pbe_failure("PKCS#12 MAC");
    return encode(p12.get(), i2d_PKCS12);
}

Bytes encrypted_pkcs8_der(const TestKey& key, const std::string& password, int iterations) {
    ossl::Pkcs8InfoPtr info(EVP_PKEY2PKCS8(key.get()));
    if (!info) pbe_failure("PKCS#8");
    ossl::X509SigPtr sealed(PKCS8_encrypt(-1, EVP_aes_256_cbc(), password.data(), static_cast<int>(password.size()),
                                          nullptr, 0, iterations, info.get()));
    if (!sealed) pbe_failure("PKCS#8 encryption");
    return encode(sealed.get(), i2d_X509_SIG);
}

Bytes scrypt_pkcs8_der(const TestKey& key, const std::string& password, std::uint64_t n, std::uint64_t r,
                       std::uint64_t p) {
    ossl::Pkcs8InfoPtr info(EVP_PKEY2PKCS8(key.get()));
    X509_ALGOR* scrypt = PKCS5_pbe2_set_scrypt(EVP_aes_256_cbc(), nullptr, 0, nullptr, n, r, p);
    if (!info || !scrypt) pbe_failure("scrypt parameters");
    ossl::X509SigPtr sealed(PKCS8_set0_pbe(password.data(), static_cast<int>(password.size()), info.get(), scrypt));
    if (!sealed) {
        X509_ALGOR_free(scrypt);
        pbe_failure("PKCS#8 scrypt encryption");
    }
    return encode(sealed.get(), i2d_X509_SIG);
}

Bytes with_pkcs8_iterations(const Bytes& der, std::uint64_t iterations) {
    ossl::X509SigPtr sealed = parse_encrypted_key(der);
    X509_ALGOR* algorithm = nullptr;
    X509_SIG_getm(sealed.get(), &algorithm, nullptr);
    set_kdf_iterations(algorithm, iterations);
    return encode(sealed.get(), i2d_X509_SIG);
}

Bytes with_scrypt_parallelization(const Bytes& der, std::uint64_t parallelization) {
    ossl::X509SigPtr sealed = parse_encrypted_key(der);
    X509_ALGOR* algorithm = nullptr;
    X509_SIG_getm(sealed.get(), &algorithm, nullptr);
    ossl::Pbe2ParamPtr pbes2(unpack<PBE2PARAM>(ASN1_ITEM_rptr(PBE2PARAM), algorithm->parameter));
    ossl::ScryptParamsPtr scrypt(unpack<SCRYPT_PARAMS>(ASN1_ITEM_rptr(SCRYPT_PARAMS), pbes2->keyfunc->parameter));
    set_count(scrypt->parallelizationParameter, parallelization);
    ASN1_TYPE_pack_sequence(ASN1_ITEM_rptr(SCRYPT_PARAMS), scrypt.get(), &pbes2->keyfunc->parameter);
    ASN1_TYPE_pack_sequence(ASN1_ITEM_rptr(PBE2PARAM), pbes2.get(), &algorithm->parameter);
    return encode(sealed.get(), i2d_X509_SIG);
}

std::string pem_block(const std::string& label, const Bytes& der) {
    const std::string body = base64(der);
    std::string pem = "-----BEGIN " + label + "-----\n";
    for (std::size_t i = 0; i < body.size(); i += 64) pem += body.substr(i, 64) + "\n";
    return pem + "-----END " + label + "-----\n";
}

}  // namespace certfleet::testing
