#pragma once
// Whether one certificate issued another: names, key identifiers and the signature itself, as a path builder
// checks them. The inventory links its certificates with this so chains can be followed to their anchors.
#include <memory>
#include <string>

#include "core/cert_info.hpp"

namespace certfleet {

class IssuanceChecker {
public:
    IssuanceChecker();
    ~IssuanceChecker();
    IssuanceChecker(const IssuanceChecker&) = delete;
    IssuanceChecker& operator=(const IssuanceChecker&) = delete;

    // True when `issuer` may sign certificates (its key usage, if any, says keyCertSign) and the certificate's
    // signature verifies with the issuer's public key. Names and key identifiers are the caller's candidate
    // selection: the inventory pairs certificates by them before asking.
    // Both are DER. The issuer is parsed once and kept by `issuer_key` (e.g. its sha256) while the checker
    // lives, since one issuer typically signs many of the certificates checked together. Undecodable is "no".
    bool issued(const Bytes& cert_der, const std::string& issuer_key, const Bytes& issuer_der);

private:
    struct Parsed;
    std::unique_ptr<Parsed> parsed_;
};

}  // namespace certfleet
