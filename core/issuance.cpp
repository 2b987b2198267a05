#include "core/issuance.hpp"

#include <unordered_map>

#include "core/openssl_handles.hpp"

namespace certfleet {

namespace {
// Enough for every issuer of a large fleet and a batch of new certificates; beyond it the cache starts over
// rather than grow without bound.
constexpr std::size_t kMaxParsed = 4096;

ossl::X509Ptr parse(const Bytes& der) {
    const unsigned char* cursor = der.data();
    return ossl::X509Ptr(d2i_X509(nullptr, &cursor, static_cast<long>(der.size())));
}
}  // namespace

struct IssuanceChecker::Parsed {
    std::unordered_map<std::string, ossl::X509Ptr> issuers;

    X509* issuer(const std::string& key, const Bytes& der) {
        if (auto it = issuers.find(key); it != issuers.end()) return it->second.get();
        if (issuers.size() >= kMaxParsed) issuers.clear();
        return issuers.emplace(key, parse(der)).first->second.get();
    }
};

IssuanceChecker::IssuanceChecker() : parsed_(std::make_unique<Parsed>()) {}
IssuanceChecker::~IssuanceChecker() = default;

bool IssuanceChecker::issued(const Bytes& cert_der, const std::string& issuer_key, const Bytes& issuer_der) {
    X509* issuer = parsed_->issuer(issuer_key, issuer_der);
    const auto cert = parse(cert_der);
    if (!issuer || !cert) return false;
    // X509_check_issued compares the names and the key identifiers (and the issuer's key usage).
    if (X509_check_issued(issuer, cert.get()) != X509_V_OK) return false;
    EVP_PKEY* key = X509_get0_pubkey(issuer);
    return key != nullptr && X509_verify(cert.get(), key) == 1;
}

}  // namespace certfleet
