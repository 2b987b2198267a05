#include "scanner/containers.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "core/encoding.hpp"
#include "core/openssl_handles.hpp"
#include "scanner/key_derivation.hpp"

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

void add_certificate_from_x509(X509* cert, SourceFormat format, FileObservationBuilder& out,
                               bool trust_anchor = false) {
    unsigned char* der = nullptr;
    const int length = i2d_X509(cert, &der);
    if (length <= 0) {
        out.add_error("corrupt_certificate", "a certificate in the container cannot be re-encoded");
        return;
    }
    out.add_certificate(std::span(der, static_cast<std::size_t>(length)), format, trust_anchor);
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

namespace {

// Reads DER elements one after another out of a span, checking every length against what is left.
class DerReader {
public:
    explicit DerReader(std::span<const std::uint8_t> bytes) : rest_(bytes) {}
    bool empty() const { return rest_.empty(); }
    std::uint8_t peek_tag() const { return rest_.empty() ? 0 : rest_[0]; }

    // The next element if it has this tag: its content, or with `whole` the element with its header.
    std::optional<std::span<const std::uint8_t>> next(std::uint8_t tag, bool whole = false) {
        if (rest_.size() < 2 || rest_[0] != tag) return std::nullopt;
        const auto size = der_object_size(rest_);
        if (!size || *size > rest_.size()) return std::nullopt;
        const std::size_t header = rest_[1] < 0x80 ? 2 : 2 + (rest_[1] & 0x7f);
        const auto element = rest_.first(*size);
        rest_ = rest_.subspan(*size);
        return whole ? element : element.subspan(header);
    }

private:
    std::span<const std::uint8_t> rest_;
};

// The certificates of a PKCS#7 SignedData, found by walking its DER so each reaches the certificate cache as
// bytes: a bundle seen before costs hashing, not parsing. Nothing when the layout is not the plain DER one
// (BER with indefinite lengths, for one), which OpenSSL's parser then handles.
std::optional<std::vector<std::span<const std::uint8_t>>> signed_data_certificates(std::span<const std::uint8_t> der) {
    static constexpr std::uint8_t kSignedDataOid[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02};
    auto content_info = DerReader(der).next(0x30);
    if (!content_info) return std::nullopt;
    DerReader info(*content_info);
    const auto oid = info.next(0x06);
    if (!oid || !std::equal(oid->begin(), oid->end(), std::begin(kSignedDataOid), std::end(kSignedDataOid)))
        return std::nullopt;
    const auto explicit_content = info.next(0xa0);
    if (!explicit_content) return std::nullopt;
    const auto signed_data = DerReader(*explicit_content).next(0x30);
    if (!signed_data) return std::nullopt;
    DerReader fields(*signed_data);
    if (!fields.next(0x02) || !fields.next(0x31) || !fields.next(0x30)) return std::nullopt;
    std::vector<std::span<const std::uint8_t>> certificates;
    if (fields.peek_tag() != 0xa0) return certificates;
    const auto set = fields.next(0xa0);
    if (!set) return std::nullopt;
    DerReader members(*set);
    while (!members.empty()) {
        const auto certificate = members.next(0x30, true);
        if (!certificate) return std::nullopt;  // attribute certificates and the like: leave them to OpenSSL
        certificates.push_back(*certificate);
    }
    return certificates;
}

}  // namespace

void record_pkcs7(std::span<const std::uint8_t> der, FileObservationBuilder& out) {
    if (const auto certificates = signed_data_certificates(der)) {
        for (const auto& certificate : *certificates) out.add_certificate(certificate, SourceFormat::pkcs7);
        return;
    }
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
    // PKCS12_parse checks the MAC first, so a wrong password costs one MAC computation and nothing more; for
    // "" it tries both the empty and the absent password, as tools disagree on which "no password" means.
    EVP_PKEY* raw_key = nullptr;
    X509* raw_cert = nullptr;
    STACK_OF(X509)* raw_ca = nullptr;
    bool opened = false;
    for (const auto& password : out.options().passwords) {
        if (PKCS12_parse(p12.get(), password.c_str(), &raw_key, &raw_cert, &raw_ca) == 1) {
            opened = true;
            break;
        }
        const bool wrong_password = ERR_GET_REASON(ERR_peek_last_error()) == PKCS12_R_MAC_VERIFY_FAILURE;
        if (!wrong_password) {
            out.add_error("unsupported_pkcs12", "PKCS#12 cannot be decrypted: " + openssl_reason());
            return;
        }
        ERR_clear_error();
    }
    if (!opened) {
        out.add_error("locked", "PKCS#12: no password from --password-file (nor the empty one) opens it");
        return;
    }
    ossl::EvpPkeyPtr key(raw_key);
    ossl::X509Ptr cert(raw_cert);
    ossl::X509StackPtr ca(raw_ca);
    // Without a private key the file is a truststore (keytool writes them so): every certificate is an anchor.
    // With one, the certificates are that key's chain. Java's per-bag trusted-certificate attribute would
    // tell a keystore's trusted entries from the chain too, but PKCS12_parse does not expose bag attributes.
    const bool truststore = !key;
    if (cert) add_certificate_from_x509(cert.get(), SourceFormat::pkcs12, out, truststore);
    for (int i = 0; i < sk_X509_num(ca.get()); ++i)
        add_certificate_from_x509(sk_X509_value(ca.get(), i), SourceFormat::pkcs12, out, truststore);
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
            const X509_ALGOR* encryption = nullptr;
            X509_SIG_get0(sealed.get(), &encryption, nullptr);
            if (const auto problem = excessive_key_derivation(encryption)) {
                out.add_key(format, std::nullopt, KeyState::encrypted);
                out.add_error("kdf_too_costly", "encrypted PKCS#8 private key not opened: it asks for " + *problem +
                                                    " (a hostile or damaged file; a real key can be re-encrypted "
                                                    "at a usual cost: openssl pkcs8 -topk8 -v2 aes-256-cbc)");
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
