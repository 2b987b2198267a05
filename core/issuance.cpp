#include "core/issuance.hpp"

#include <openssl/objects.h>

#include <optional>
#include <span>
#include <unordered_map>

#include "core/openssl_handles.hpp"

namespace certfleet {

namespace {

// Enough for every issuer of a large fleet; beyond it the cache starts over rather than grow without bound.
constexpr std::size_t kMaxIssuers = 4096;

using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, ossl::Deleter<EVP_MD_CTX_free>>;
using AlgorPtr = std::unique_ptr<X509_ALGOR, ossl::Deleter<X509_ALGOR_free>>;

ossl::X509Ptr parse(const Bytes& der) {
    const unsigned char* cursor = der.data();
    return ossl::X509Ptr(d2i_X509(nullptr, &cursor, static_cast<long>(der.size())));
}

// The three parts of a certificate's DER (RFC 5280 4.1): the signed bytes, the algorithm and the signature. Read
// without decoding the certificate, because decoding its public key is most of what d2i_X509 costs in OpenSSL 3,
// and checking who signed it does not need that key.
struct SignedParts {
    std::span<const std::uint8_t> tbs;
    AlgorPtr algorithm;
    std::span<const std::uint8_t> signature;
};

std::optional<SignedParts> split_certificate(const Bytes& der) {
    const unsigned char* p = der.data();
    long length = 0;
    int tag = 0, cls = 0;
    const long total = static_cast<long>(der.size());
    if (ASN1_get_object(&p, &length, &tag, &cls, total) & 0x80 || tag != V_ASN1_SEQUENCE) return std::nullopt;
    const unsigned char* end = p + length;
    if (end > der.data() + der.size()) return std::nullopt;

    SignedParts parts;
    const unsigned char* tbs_start = p;
    if (ASN1_get_object(&p, &length, &tag, &cls, end - p) & 0x80 || tag != V_ASN1_SEQUENCE) return std::nullopt;
    p += length;
    parts.tbs = {tbs_start, static_cast<std::size_t>(p - tbs_start)};

    parts.algorithm.reset(d2i_X509_ALGOR(nullptr, &p, end - p));
    if (!parts.algorithm) return std::nullopt;

    if (ASN1_get_object(&p, &length, &tag, &cls, end - p) & 0x80 || tag != V_ASN1_BIT_STRING || length < 1 || p[0] != 0)
        return std::nullopt;  // the signature is a whole number of bytes: no unused bits
    parts.signature = {p + 1, static_cast<std::size_t>(length - 1)};
    return parts;
}

// Verifies `parts` with `key`; nullopt when the algorithm needs the full path (RSA-PSS carries parameters).
std::optional<bool> verify_parts(const SignedParts& parts, EVP_PKEY* key) {
    const ASN1_OBJECT* oid = nullptr;
    X509_ALGOR_get0(&oid, nullptr, nullptr, parts.algorithm.get());
    int digest_nid = NID_undef, key_nid = NID_undef;
    if (!OBJ_find_sigid_algs(OBJ_obj2nid(oid), &digest_nid, &key_nid) || key_nid == NID_rsassaPss) return std::nullopt;
    const EVP_MD* digest = digest_nid == NID_undef ? nullptr : EVP_get_digestbynid(digest_nid);
    if (digest_nid != NID_undef && !digest) return std::nullopt;
    MdCtxPtr context(EVP_MD_CTX_new());
    if (!context || EVP_DigestVerifyInit(context.get(), nullptr, digest, nullptr, key) != 1) return false;
    return EVP_DigestVerify(context.get(), parts.signature.data(), parts.signature.size(), parts.tbs.data(),
                            parts.tbs.size()) == 1;
}

struct Issuer {
    ossl::X509Ptr cert;
    bool may_sign = false;  // its key usage, when it has one, allows signing certificates
};

}  // namespace

struct IssuanceChecker::Parsed {
    std::unordered_map<std::string, Issuer> issuers;

    const Issuer& issuer(const std::string& key, const Bytes& der) {
        if (auto it = issuers.find(key); it != issuers.end()) return it->second;
        if (issuers.size() >= kMaxIssuers) issuers.clear();
        Issuer issuer{parse(der), false};
        issuer.may_sign = issuer.cert && (X509_get_key_usage(issuer.cert.get()) & KU_KEY_CERT_SIGN) != 0;
        return issuers.emplace(key, std::move(issuer)).first->second;
    }
};

IssuanceChecker::IssuanceChecker() : parsed_(std::make_unique<Parsed>()) {}
IssuanceChecker::~IssuanceChecker() = default;

bool IssuanceChecker::issued(const Bytes& cert_der, const std::string& issuer_key, const Bytes& issuer_der) {
    const Issuer& issuer = parsed_->issuer(issuer_key, issuer_der);
    EVP_PKEY* key = issuer.may_sign ? X509_get0_pubkey(issuer.cert.get()) : nullptr;
    if (!key) return false;
    if (const auto parts = split_certificate(cert_der))
        if (const auto verified = verify_parts(*parts, key)) return *verified;
    // What the fast path does not handle (RSA-PSS, odd encodings) takes OpenSSL's own path.
    const auto cert = parse(cert_der);
    return cert && X509_check_issued(issuer.cert.get(), cert.get()) == X509_V_OK && X509_verify(cert.get(), key) == 1;
}

}  // namespace certfleet
