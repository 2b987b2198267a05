#include "scanner/containers.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "core/encoding.hpp"
#include "core/openssl_handles.hpp"

namespace certfleet::scanner {

namespace {

std::string openssl_reason() {
    const char* text = ERR_reason_error_string(ERR_peek_last_error());
    std::string reason = text ? text : "unknown reason";
    ERR_clear_error();
    return reason;
}

std::optional<std::string> spki_sha256_of(EVP_PKEY* key) {
    unsigned char* spki = nullptr;
    const int length = i2d_PUBKEY(key, &spki);
    if (length <= 0) return std::nullopt;
    std::string out = sha256_hex(std::span(spki, static_cast<std::size_t>(length)));
    OPENSSL_free(spki);
    return out;
}

void add_certificate_from_x509(X509* cert, SourceFormat format, FileObservationBuilder& out) {
    unsigned char* der = nullptr;
    const int length = i2d_X509(cert, &der);
    if (length <= 0) {
        out.add_error("corrupt_certificate", "a certificate in the container cannot be re-encoded");
        return;
    }
    out.add_certificate(std::span(der, static_cast<std::size_t>(length)), format);
    OPENSSL_free(der);
}

void record_key(EVP_PKEY* key, SourceFormat format, FileObservationBuilder& out) {
    out.add_key(format, spki_sha256_of(key), KeyState::readable);
}

// Tries each known password in turn: the key is recorded readable with the first that opens it, or as
// encrypted (fingerprint unknown) when none does.
template <typename Decrypt>
void record_protected_key(Decrypt&& decrypt, SourceFormat format, FileObservationBuilder& out) {
    for (const auto& password : out.options().passwords) {
        if (ossl::EvpPkeyPtr key = decrypt(password)) {
            ERR_clear_error();
            record_key(key.get(), format, out);
            return;
        }
    }
    ERR_clear_error();
    out.add_key(format, std::nullopt, KeyState::encrypted);
}

}  // namespace

std::optional<std::size_t> der_object_size(std::span<const std::uint8_t> bytes) {
    if (bytes.size() < 2) return std::nullopt;
    const std::uint8_t first_length_byte = bytes[1];
    if (first_length_byte < 0x80) return 2 + static_cast<std::size_t>(first_length_byte);
    const std::size_t length_bytes = first_length_byte & 0x7f;
    // Indefinite lengths (0x80) are BER, not DER; more than 4 length bytes is no certificate file.
    if (length_bytes == 0 || length_bytes > 4 || bytes.size() < 2 + length_bytes) return std::nullopt;
    std::size_t length = 0;
    for (std::size_t i = 0; i < length_bytes; ++i) length = (length << 8) | bytes[2 + i];
    return 2 + length_bytes + length;
}

void record_pkcs7(std::span<const std::uint8_t> der, FileObservationBuilder& out) {
    const unsigned char* cursor = der.data();
    ossl::Pkcs7Ptr p7(d2i_PKCS7(nullptr, &cursor, static_cast<long>(der.size())));
    if (!p7) {
        out.add_error("corrupt_pkcs7", "not a readable PKCS#7 structure: " + openssl_reason());
        return;
    }
    STACK_OF(X509)* certs = nullptr;
    const int type = OBJ_obj2nid(p7->type);
    if (type == NID_pkcs7_signed && p7->d.sign != nullptr) certs = p7->d.sign->cert;
    else if (type == NID_pkcs7_signedAndEnveloped && p7->d.signed_and_enveloped != nullptr)
        certs = p7->d.signed_and_enveloped->cert;
    for (int i = 0; i < sk_X509_num(certs); ++i) add_certificate_from_x509(sk_X509_value(certs, i), SourceFormat::pkcs7, out);
}

void record_pkcs12(std::span<const std::uint8_t> der, FileObservationBuilder& out) {
    ossl::load_legacy_provider();
    const unsigned char* cursor = der.data();
    ossl::Pkcs12Ptr p12(d2i_PKCS12(nullptr, &cursor, static_cast<long>(der.size())));
    if (!p12) {
        out.add_error("corrupt_pkcs12", "not a readable PKCS#12 structure: " + openssl_reason());
        return;
    }
    // Tools disagree on whether "no password" means an empty or an absent one, so both are tried for "".
    std::optional<std::string> opened_with;
    bool absent_password = false;
    const bool has_mac = PKCS12_mac_present(p12.get()) == 1;
    for (const auto& password : out.options().passwords) {
        if (!has_mac) break;
        if (PKCS12_verify_mac(p12.get(), password.c_str(), static_cast<int>(password.size())) == 1) {
            opened_with = password;
            break;
        }
        if (password.empty() && PKCS12_verify_mac(p12.get(), nullptr, 0) == 1) {
            opened_with = password;
            absent_password = true;
            break;
        }
    }
    ERR_clear_error();
    if (has_mac && !opened_with) {
        out.add_error("locked", "PKCS#12: no password from --password-file (nor the empty one) opens it");
        return;
    }
    EVP_PKEY* raw_key = nullptr;
    X509* raw_cert = nullptr;
    STACK_OF(X509)* raw_ca = nullptr;
    const char* password = absent_password ? nullptr : (opened_with ? opened_with->c_str() : "");
    if (PKCS12_parse(p12.get(), password, &raw_key, &raw_cert, &raw_ca) != 1) {
        out.add_error("unsupported_pkcs12", "PKCS#12 opened but its contents cannot be decrypted: " + openssl_reason());
        return;
    }
    ossl::EvpPkeyPtr key(raw_key);
    ossl::X509Ptr cert(raw_cert);
    ossl::X509StackPtr ca(raw_ca);
    if (cert) add_certificate_from_x509(cert.get(), SourceFormat::pkcs12, out);
    for (int i = 0; i < sk_X509_num(ca.get()); ++i) add_certificate_from_x509(sk_X509_value(ca.get(), i), SourceFormat::pkcs12, out);
    if (key) record_key(key.get(), SourceFormat::pkcs12, out);
}

void record_private_key(std::span<const std::uint8_t> der, PrivateKeyEncoding encoding, std::string_view pem_headers,
                        SourceFormat format, FileObservationBuilder& out) {
    const unsigned char* cursor = der.data();
    const long length = static_cast<long>(der.size());
    switch (encoding) {
        case PrivateKeyEncoding::pkcs8: {
            ossl::Pkcs8InfoPtr info(d2i_PKCS8_PRIV_KEY_INFO(nullptr, &cursor, length));
            ossl::EvpPkeyPtr key(info ? EVP_PKCS82PKEY(info.get()) : nullptr);
            if (!key) {
                out.add_error("corrupt_key", "unreadable PKCS#8 private key: " + openssl_reason());
                return;
            }
            record_key(key.get(), format, out);
            return;
        }
        case PrivateKeyEncoding::encrypted_pkcs8: {
            ossl::X509SigPtr sealed(d2i_X509_SIG(nullptr, &cursor, length));
            if (!sealed) {
                out.add_error("corrupt_key", "unreadable encrypted PKCS#8 private key: " + openssl_reason());
                return;
            }
            record_protected_key(
                [&](const std::string& password) {
                    ossl::Pkcs8InfoPtr info(
                        PKCS8_decrypt(sealed.get(), password.c_str(), static_cast<int>(password.size())));
                    return ossl::EvpPkeyPtr(info ? EVP_PKCS82PKEY(info.get()) : nullptr);
                },
                format, out);
            return;
        }
        case PrivateKeyEncoding::traditional: {
            if (pem_headers.find("ENCRYPTED") == std::string_view::npos) {
                ossl::EvpPkeyPtr key(d2i_AutoPrivateKey(nullptr, &cursor, length));
                if (!key) {
                    out.add_error("corrupt_key", "unreadable private key: " + openssl_reason());
                    return;
                }
                record_key(key.get(), format, out);
                return;
            }
            EVP_CIPHER_INFO cipher;
            std::string headers(pem_headers);
            if (PEM_get_EVP_CIPHER_INFO(headers.data(), &cipher) != 1) {
                ERR_clear_error();
                out.add_error("corrupt_key", "encrypted private key with an unreadable DEK-Info header");
                return;
            }
            record_protected_key(
                [&](const std::string& password) {
                    Bytes scratch(der.begin(), der.end());
                    long scratch_length = static_cast<long>(scratch.size());
                    auto supply = [](char* buffer, int size, int, void* user) -> int {
                        const auto* pass = static_cast<const std::string*>(user);
                        const int n = std::min<int>(size, static_cast<int>(pass->size()));
                        std::memcpy(buffer, pass->data(), static_cast<std::size_t>(n));
                        return n;
                    };
                    const bool decrypted = PEM_do_header(&cipher, scratch.data(), &scratch_length, supply,
                                                         const_cast<std::string*>(&password)) == 1;
                    const unsigned char* plain = scratch.data();
                    ossl::EvpPkeyPtr key(decrypted ? d2i_AutoPrivateKey(nullptr, &plain, scratch_length) : nullptr);
                    OPENSSL_cleanse(scratch.data(), scratch.size());
                    return key;
                },
                format, out);
            return;
        }
    }
}

}  // namespace certfleet::scanner
