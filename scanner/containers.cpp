#include "scanner/containers.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "core/encoding.hpp"
#include "core/openssl_handles.hpp"
#include "scanner/kdf_bound.hpp"

namespace certfleet::scanner {

std::string openssl_reason() {
    const char* text = ERR_reason_error_string(ERR_peek_last_error());
    std::string reason = text ? text : "unknown reason";
    ERR_clear_error();
    return reason;
}

void add_certificate_from_x509(X509* cert, SourceFormat format, FileObservationBuilder& out, bool trust_anchor) {
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
    std::optional<std::string> spki_sha256;
    unsigned char* spki = nullptr;
    const int length = i2d_PUBKEY(key, &spki);
    if (length > 0) spki_sha256 = sha256_hex(std::span(spki, static_cast<std::size_t>(length)));
    OPENSSL_free(spki);
    out.add_key(format, std::move(spki_sha256), KeyState::readable);
}

namespace {

// Tries each known password in turn: the key is recorded readable with the first that opens it, or as
// encrypted (fingerprint unknown) when none does or the tries were cut short.
template <typename Decrypt>
void record_protected_key(Decrypt&& decrypt, SourceFormat format, FileObservationBuilder& out) {
    const auto& passwords = out.options().passwords;
    for (std::size_t i = 0; i < passwords.size(); ++i) {
        if (out.must_stop([&] { return password_try(i, passwords.size(), "an encrypted private key"); })) break;
        if (ossl::EvpPkeyPtr key = decrypt(passwords[i])) {
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

std::string pkcs7_activity(std::size_t index) {
    return "reading certificate #" + std::to_string(index + 1) + " of a PKCS#7 bundle";
}

}  // namespace

void record_pkcs7(std::span<const std::uint8_t> der, FileObservationBuilder& out) {
    if (const auto certificates = signed_data_certificates(der)) {
        for (std::size_t i = 0; i < certificates->size() && !out.must_stop([&] { return pkcs7_activity(i); }); ++i)
            out.add_certificate((*certificates)[i], SourceFormat::pkcs7);
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
    for (int i = 0; i < sk_X509_num(certs) && !out.must_stop([&] { return pkcs7_activity(i); }); ++i)
        add_certificate_from_x509(sk_X509_value(certs, i), SourceFormat::pkcs7, out);
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
            const X509_ALGOR* algorithm = nullptr;
            X509_SIG_get0(sealed.get(), &algorithm, nullptr);
            if (refuse_costly_kdf(pbe_kdf_cost(algorithm), "encrypted PKCS#8 private key", out)) {
                out.add_key(format, std::nullopt, KeyState::encrypted);
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
