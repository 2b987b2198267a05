#include "scanner/chain_verifier.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <sys/stat.h>

#include <algorithm>
#include <ctime>
#include <set>

#include "core/certificate.hpp"
#include "core/encoding.hpp"
#include "core/openssl_handles.hpp"

namespace certfleet::scanner {

namespace {

using X509StorePtr = std::unique_ptr<X509_STORE, ossl::Deleter<X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, ossl::Deleter<X509_STORE_CTX_free>>;

std::string classify(int error) {
    switch (error) {
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT: return "self-signed";
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN: return "untrusted-root";
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE: return "untrusted-issuer";
        case X509_V_ERR_CERT_HAS_EXPIRED: return "expired";
        case X509_V_ERR_CERT_NOT_YET_VALID: return "not-yet-valid";
        case X509_V_ERR_CERT_SIGNATURE_FAILURE:
        case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
        case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: return "bad-signature";
        case X509_V_ERR_INVALID_CA:
        case X509_V_ERR_INVALID_PURPOSE:
        case X509_V_ERR_PATH_LENGTH_EXCEEDED:
        case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
        case X509_V_ERR_INVALID_NON_CA:
        case X509_V_ERR_INVALID_EXTENSION: return "invalid-chain";
        case X509_V_ERR_EE_KEY_TOO_SMALL:
        case X509_V_ERR_CA_KEY_TOO_SMALL:
        case X509_V_ERR_CA_MD_TOO_WEAK: return "weak-crypto";
        default: return "other";
    }
}

// Trust failures outrank validity ones: "untrusted and expired" is first of all untrusted.
int rank(const std::string& error_class) {
    static const std::vector<std::string> order{"self-signed", "untrusted-root", "untrusted-issuer", "bad-signature",
                                                "invalid-chain", "expired", "not-yet-valid", "weak-crypto", "other"};
    return static_cast<int>(std::find(order.begin(), order.end(), error_class) - order.begin());
}

// Every verification error, not only the first: verification goes on after each so the verdict can tell trust
// from validity.
int collect_errors(int ok, X509_STORE_CTX* ctx) {
    if (!ok) {
        auto* found = static_cast<std::vector<int>*>(X509_STORE_CTX_get_app_data(ctx));
        found->push_back(X509_STORE_CTX_get_error(ctx));
    }
    return 1;
}

// Read from the parsed certificate: parsing it again through the full model costs a public-key decode.
UnixTime not_after_of(X509* certificate) {
    std::tm tm{};
    return ASN1_TIME_to_tm(X509_get0_notAfter(certificate), &tm) == 1 ? static_cast<UnixTime>(timegm(&tm)) : 0;
}

ossl::X509Ptr parse(const Bytes& der) {
    const unsigned char* cursor = der.data();
    return ossl::X509Ptr(d2i_X509(nullptr, &cursor, static_cast<long>(der.size())));
}

// A mismatch quotes this many of the names the certificate does cover: enough to see what it is for.
constexpr std::size_t kQuotedNames = 5;

// "[a, b, c, d, e, +7 more]"
std::string quoted_list(const std::vector<std::string>& names) {
    std::string out = "[";
    for (std::size_t i = 0; i < names.size() && i < kQuotedNames; ++i) out += (i == 0 ? "" : ", ") + names[i];
    if (names.size() > kQuotedNames) out += ", +" + std::to_string(names.size() - kQuotedNames) + " more";
    return out + "]";
}

bool is_ip_literal(const std::string& name) {
    unsigned char address[16];
    return inet_pton(AF_INET, name.c_str(), address) == 1 || inet_pton(AF_INET6, name.c_str(), address) == 1;
}

}  // namespace

PresentedChain PresentedChain::from_parsed(const std::vector<X509*>& certificates) {
    PresentedChain chain;
    for (X509* certificate : certificates) {
        unsigned char* der = nullptr;
        const int length = i2d_X509(certificate, &der);
        if (length > 0) {
            chain.der_.emplace_back(der, der + length);
            X509_up_ref(certificate);
            chain.parsed_.emplace_back(certificate, X509_free);
        }
        OPENSSL_free(der);
    }
    return chain;
}

CertInfo PresentedChain::describe(std::size_t i) const {
    return parsed_.empty() ? describe_certificate(der_.at(i)) : describe_certificate(parsed_.at(i).get(), der_.at(i));
}

struct ChainVerifier::Store {
    X509StorePtr store{X509_STORE_new()};
    std::set<std::string> given_anchors;  // SHA-256 of each --trust anchor: the rest come from the system store
    std::set<std::string> public_roots;   // SHA-256 of each --public-roots certificate
    bool public_roots_listed = false;     // else the system store's roots are the public ones
};

namespace {
std::string sha256_of(X509* certificate) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    X509_digest(certificate, EVP_sha256(), digest, &length);
    return to_hex(std::span<const unsigned char>(digest, length));
}
}  // namespace

ChainVerifier::PathResult ChainVerifier::build_path(X509* leaf, const std::vector<X509*>& untrusted_certificates) {
    ossl::X509StackPtr untrusted(sk_X509_new_null());
    for (X509* certificate : untrusted_certificates) {
        X509_up_ref(certificate);
        sk_X509_push(untrusted.get(), certificate);
    }
    X509StoreCtxPtr ctx(X509_STORE_CTX_new());
    PathResult result;
    X509_STORE_CTX_init(ctx.get(), store_->store.get(), leaf, untrusted.get());
    X509_STORE_CTX_set_verify_cb(ctx.get(), collect_errors);
    X509_STORE_CTX_set_app_data(ctx.get(), &result.errors);
    X509_verify_cert(ctx.get());
    ERR_clear_error();
    if (STACK_OF(X509)* built = X509_STORE_CTX_get0_chain(ctx.get())) {
        result.length = sk_X509_num(built);
        if (result.length > 0) result.root_sha256 = sha256_of(sk_X509_value(built, result.length - 1));
    }
    return result;
}

void ChainVerifier::add_known_intermediates(const std::vector<Bytes>& certificates) {
    for (const auto& der : certificates)
        if (auto certificate = parse(der)) known_intermediates_.emplace_back(certificate.release(), X509_free);
    chain_verdicts_.clear();
}

namespace {
// The files of a FILE|DIR option: the file itself, or the directory's entries. Throws naming the option.
std::vector<std::string> files_of(const std::string& option, const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw TrustError(option + " " + path + ": no such file or directory");
    if (!S_ISDIR(st.st_mode)) return {path};
    std::unique_ptr<DIR, ossl::Deleter<closedir>> dir(::opendir(path.c_str()));
    if (!dir) throw TrustError(option + " " + path + ": cannot read the directory");
    std::vector<std::string> files;
    while (const dirent* entry = ::readdir(dir.get()))
        if (entry->d_name[0] != '.') files.push_back(path + "/" + entry->d_name);
    return files;
}

// SHA-256 of every PEM certificate in `files`.
std::set<std::string> fingerprints_in(const std::vector<std::string>& files) {
    std::set<std::string> out;
    for (const auto& file : files) {
        ossl::BioPtr bio(BIO_new_file(file.c_str(), "r"));
        if (!bio) continue;
        while (ossl::X509Ptr certificate{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)})
            out.insert(sha256_of(certificate.get()));
    }
    ERR_clear_error();
    return out;
}
}  // namespace

ChainVerifier::ChainVerifier(const TrustOptions& options)
    : store_(std::make_unique<Store>()), system_trust_(options.system_trust) {
    X509_STORE* store = store_->store.get();
    for (const auto& path : options.trust_paths) {
        std::size_t loaded = 0;
        for (const auto& file : files_of("--trust", path)) loaded += X509_STORE_load_file(store, file.c_str()) == 1;
        ERR_clear_error();
        if (loaded == 0) throw TrustError("--trust " + path + ": holds no PEM certificate");
    }
    struct stat st {};
    if (options.public_roots != kPublicRootsPath || ::stat(kPublicRootsPath, &st) == 0) {
        store_->public_roots = fingerprints_in(files_of("--public-roots", options.public_roots));
        if (store_->public_roots.empty())
            throw TrustError("--public-roots " + options.public_roots + ": holds no PEM certificate");
        store_->public_roots_listed = true;
    }
    // The anchors given so far are the user's; the system's are added after, some of them only as a path needs them.
    STACK_OF(X509_OBJECT)* given = X509_STORE_get0_objects(store);
    for (int i = 0; i < sk_X509_OBJECT_num(given); ++i)
        if (X509* anchor = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(given, i))) store_->given_anchors.insert(sha256_of(anchor));
    if (options.system_trust) X509_STORE_set_default_paths(store);
    STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(store);
    for (int i = 0; i < sk_X509_OBJECT_num(objects); ++i)
        anchor_count_ += X509_OBJECT_get_type(sk_X509_OBJECT_value(objects, i)) == X509_LU_X509;
}

ChainVerifier::~ChainVerifier() = default;

bool ChainVerifier::is_public_root(const std::string& root_sha256) const {
    if (root_sha256.empty()) return false;
    if (store_->public_roots_listed) return store_->public_roots.contains(root_sha256);
    return system_trust_ && !store_->given_anchors.contains(root_sha256);
}

ChainVerifier::NameCheckResult ChainVerifier::check_name(X509* leaf, const std::string& server_name,
                                                        const std::string& address) {
    const std::string& name = server_name.empty() ? address : server_name;
    if (name.empty()) return {NameCheck::not_checked, "no name to check"};
    const SubjectAltNames covered = subject_alt_names(leaf);
    if (is_ip_literal(name)) {
        if (server_name.empty() && covered.ip_addresses.empty())
            return {NameCheck::not_checked,
                    "no name to check: probed by address " + address + " and the certificate has no IP SANs"};
        if (X509_check_ip_asc(leaf, name.c_str(), 0) == 1) return {NameCheck::matched, name + " matches IP:" + name};
        return {NameCheck::mismatched, name + " not in IP SANs " + quoted_list(covered.ip_addresses)};
    }
    char* matched_by = nullptr;
    if (X509_check_host(leaf, name.c_str(), name.size(), 0, &matched_by) == 1) {
        const std::string covering = matched_by ? matched_by : name;
        OPENSSL_free(matched_by);
        // Without DNS SANs OpenSSL, like older clients, falls back to the subject CN.
        const std::string where = covered.dns_names.empty() ? "the subject CN " : "DNS:";
        return {NameCheck::matched, name + " matches " + where + covering};
    }
    if (covered.dns_names.empty()) return {NameCheck::mismatched, name + ": no DNS SANs, and the subject CN differs"};
    return {NameCheck::mismatched, name + " not in DNS SANs " + quoted_list(covered.dns_names)};
}

ChainVerdict ChainVerifier::verify(const PresentedChain& presented_chain, const std::string& server_name,
                                   const std::string& address) {
    const std::vector<Bytes>& chain = presented_chain.der();
    std::string fingerprint;
    for (const auto& der : chain) fingerprint += sha256_hex(der);
    auto cached = chain_verdicts_.find(fingerprint);
    // The handshake's parsed certificates when there are some; otherwise the DER is parsed here, up to the first
    // certificate that does not parse, and the leaf kept for the name check.
    std::vector<std::shared_ptr<X509>> certificates = presented_chain.parsed_;
    const auto parse_presented = [&](std::size_t count) {
        for (std::size_t i = certificates.size(); i < count && certificates.size() == i; ++i)
            if (auto certificate = parse(chain[i])) certificates.emplace_back(certificate.release(), X509_free);
    };
    if (cached == chain_verdicts_.end()) {
        ChainVerdict verdict;
        verdict.order_correct = true;  // until a certificate is found not issued by the next one
        parse_presented(chain.size());
        if (certificates.empty()) {
            verdict.verify_error = "empty-chain";
            verdict.verify_detail = "the server presented no certificate";
        } else {
            for (std::size_t i = 0; i + 1 < certificates.size(); ++i)
                verdict.order_correct &= X509_check_issued(certificates[i + 1].get(), certificates[i].get()) == X509_V_OK;
            X509* last = certificates.back().get();
            verdict.root_included = certificates.size() > 1 && X509_check_issued(last, last) == X509_V_OK &&
                                    X509_verify(last, X509_get0_pubkey(last)) == 1;
            for (std::size_t i = 0; i < certificates.size(); ++i) {
                const UnixTime not_after = not_after_of(certificates[i].get());
                if (i == 0 || not_after < *verdict.earliest_expiry) {
                    verdict.earliest_expiry = not_after;
                    verdict.earliest_expiry_sha256 = sha256_hex(chain[i]);
                }
            }

            std::vector<X509*> presented;
            for (std::size_t i = 1; i < certificates.size(); ++i) presented.push_back(certificates[i].get());
            const PathResult path = build_path(certificates.front().get(), presented);
            for (int error : path.errors) {
                const std::string error_class = classify(error);
                if (std::find(verdict.errors.begin(), verdict.errors.end(), error_class) == verdict.errors.end())
                    verdict.errors.push_back(error_class);
                if (verdict.verify_error.empty() || rank(error_class) < rank(verdict.verify_error)) {
                    verdict.verify_error = error_class;
                    verdict.verify_detail = X509_verify_cert_error_string(error);
                }
            }
            verdict.chain_trusted = std::none_of(verdict.errors.begin(), verdict.errors.end(), [](const std::string& e) {
                return rank(e) < rank("expired");
            });
            verdict.public_root = verdict.chain_trusted && is_public_root(path.root_sha256);
            // The path OpenSSL built holds whatever it took from the store beyond what was presented, and beyond
            // the anchor itself.
            const int anchor = verdict.root_included ? 0 : 1;
            verdict.intermediates_missing =
                std::max(0, path.length - static_cast<int>(certificates.size()) - anchor);
            // A client fails on a missing intermediate; still, saying which CA is missing (one seen elsewhere in the
            // fleet) tells the operator what to add to the server's chain.
            if (verdict.verify_error == "untrusted-issuer" && !known_intermediates_.empty()) {
                std::vector<X509*> with_known = presented;
                for (const auto& known : known_intermediates_) with_known.push_back(known.get());
                const PathResult completed = build_path(certificates.front().get(), with_known);
                const bool trusted_now = std::none_of(completed.errors.begin(), completed.errors.end(),
                                                      [](int e) { return rank(classify(e)) < rank("expired"); });
                if (trusted_now) {
                    verdict.intermediates_missing =
                        std::max(0, completed.length - static_cast<int>(certificates.size()) - anchor);
                    verdict.verify_detail += "; the missing intermediate is known from the inventory";
                }
            }
        }
        cached = chain_verdicts_.emplace(fingerprint, std::move(verdict)).first;
    }

    ChainVerdict verdict = cached->second;
    if (!chain.empty()) parse_presented(1);
    if (!certificates.empty()) {
        // The address is part of the key only when it is what gets checked.
        const std::string key =
            sha256_hex(chain.front()) + '\0' + server_name + '\0' + (server_name.empty() ? address : "");
        auto checked = name_checks_.find(key);
        if (checked == name_checks_.end())
            checked = name_checks_.emplace(key, check_name(certificates.front().get(), server_name, address)).first;
        verdict.name_check = checked->second.check;
        verdict.name_check_detail = checked->second.detail;
    } else {
        verdict.name_check_detail = "no certificate to check a name against";
    }
    if (verdict.name_check == NameCheck::mismatched) {
        if (verdict.verify_error.empty()) {
            verdict.verify_error = "hostname-mismatch";
            verdict.verify_detail = verdict.name_check_detail;
        }
        verdict.errors.push_back("hostname-mismatch");
    }
    verdict.verified = verdict.verify_error.empty();
    return verdict;
}

}  // namespace certfleet::scanner
