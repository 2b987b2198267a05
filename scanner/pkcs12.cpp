// PKCS#12 read part by part with OpenSSL's PKCS12_* calls rather than PKCS12_parse, so that the cost of every
// key derivation (the MAC's, each encrypted safe's, each shrouded key's) is checked before it runs, Ctrl-C and
// the file's time limit are honoured between derivations, and the certificates outside the encrypted parts are
// read even when no password opens the rest.
#include <openssl/err.h>
#include <openssl/pkcs12.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/openssl_handles.hpp"
#include "scanner/containers.hpp"
#include "scanner/kdf_bound.hpp"

namespace certfleet::scanner {

namespace {

// Safe contents may hold safe contents; no tool nests them, a hostile file could nest them thousands deep.
constexpr int kMaxBagNesting = 4;

// A password as OpenSSL takes it.
struct Secret {
    const char* text;
    int length;
};

// PKCS#12 derives different keys from an absent and an empty password and tools disagree on which one "no
// password" means, so "" stands for both (as PKCS12_parse has it).
std::vector<Secret> spellings(const std::string& password) {
    if (password.empty()) return {{nullptr, 0}, {"", 0}};
    return {{password.c_str(), static_cast<int>(password.size())}};
}

class Pkcs12Reader {
public:
    Pkcs12Reader(PKCS12* p12, FileObservationBuilder& out) : p12_(p12), out_(out) {}

    void read() {
        if (PKCS12_mac_present(p12_) && !check_mac()) return;
        const ossl::Pkcs7StackPtr safes(PKCS12_unpack_authsafes(p12_));
        if (!safes) {
            out_.add_error("corrupt_pkcs12", "the PKCS#12 contents do not parse: " + openssl_reason());
            return;
        }
        for (int i = 0; i < sk_PKCS7_num(safes.get()) && !out_.cut_short(); ++i)
            read_safe(sk_PKCS7_value(safes.get(), i), i + 1);
        record_findings();
    }

private:
    // How the encrypted parts can be opened.
    enum class Access {
        by_trial,  // no MAC: the first password that opens an encrypted part opens the rest
        open,      // password_ opens them (the MAC says so, or a trial found it)
        closed,    // no password can be tried: none matched, the MAC's derivation was refused
    };

    // Finds the password the MAC was made with. False when the file must be left: the MAC cannot be computed
    // or the tries were cut short. A file no password opens is `locked` and its unencrypted parts are still read.
    bool check_mac() {
        const ASN1_INTEGER* iterations = nullptr;
        PKCS12_get0_mac(nullptr, nullptr, nullptr, &iterations, p12_);
        if (refuse_costly_kdf(pkcs12_mac_kdf_cost(iterations), "PKCS#12 MAC", out_)) {
            access_ = Access::closed;
            return true;
        }
        const auto& passwords = out_.options().passwords;
        for (std::size_t i = 0; i < passwords.size(); ++i) {
            for (const Secret secret : spellings(passwords[i])) {
                if (out_.must_stop([&] { return password_try(i, passwords.size(), "the PKCS#12 MAC"); })) return false;
                ERR_clear_error();
                if (PKCS12_verify_mac(p12_, secret.text, secret.length) == 1) {
                    password_ = secret;
                    access_ = Access::open;
                    return true;
                }
                // A MAC that differs raises no error; one that cannot be computed does.
                if (ERR_peek_last_error() != 0) {
                    out_.add_error("unsupported_pkcs12", "PKCS#12 cannot be decrypted: " + openssl_reason());
                    return false;
                }
            }
        }
        record_locked();
        return true;
    }

    void record_locked() {
        access_ = Access::closed;
        out_.add_error("locked", "PKCS#12: no password from --password-file (nor the empty one) opens it");
    }

    void read_safe(PKCS7* safe, int ordinal) {
        switch (OBJ_obj2nid(safe->type)) {
            case NID_pkcs7_data: {
                const ossl::SafeBagStackPtr bags(PKCS12_unpack_p7data(safe));
                if (!bags) {
                    out_.add_error("corrupt_pkcs12", "PKCS#12 safe #" + std::to_string(ordinal) +
                                                         " does not parse: " + openssl_reason());
                    return;
                }
                read_bags(bags.get(), 0);
                return;
            }
            case NID_pkcs7_encrypted: {
                // Its contents stay unknown when no password can be tried; the MAC's event says why.
                if (access_ == Access::closed) return;
                const std::string what = "PKCS#12 encrypted safe #" + std::to_string(ordinal);
                const PKCS7_ENCRYPT* encrypted = safe->d.encrypted;
                const X509_ALGOR* algorithm =
                    encrypted && encrypted->enc_data ? encrypted->enc_data->algorithm : nullptr;
                if (refuse_costly_kdf(pbe_kdf_cost(algorithm), what, out_)) return;
                const ossl::SafeBagStackPtr bags = open_encrypted(what, [&](Secret secret) {
                    return ossl::SafeBagStackPtr(PKCS12_unpack_p7encdata(safe, secret.text, secret.length));
                });
                if (bags) read_bags(bags.get(), 0);
                return;
            }
            default: return;  // enveloped data is sealed to a recipient's key, not a password: never opened
        }
    }

    void read_bags(const STACK_OF(PKCS12_SAFEBAG)* bags, int depth) {
        if (depth > kMaxBagNesting) {
            out_.add_error("corrupt_pkcs12", "PKCS#12 safe contents nested more than " + std::to_string(kMaxBagNesting) +
                                                 " deep; the deeper ones are not read");
            return;
        }
        for (int i = 0; i < sk_PKCS12_SAFEBAG_num(bags) && !out_.cut_short(); ++i) {
            const PKCS12_SAFEBAG* bag = sk_PKCS12_SAFEBAG_value(bags, i);
            switch (PKCS12_SAFEBAG_get_nid(bag)) {
                case NID_certBag:
                    if (PKCS12_SAFEBAG_get_bag_nid(bag) != NID_x509Certificate) break;
                    if (ossl::X509Ptr cert{PKCS12_SAFEBAG_get1_cert(bag)})
                        certificates_.push_back(std::move(cert));
                    else
                        out_.add_error("corrupt_certificate",
                                       "a PKCS#12 certificate bag does not parse: " + openssl_reason());
                    break;
                case NID_keyBag:
                    holds_key_ = true;
                    if (!key_) set_key(PKCS12_SAFEBAG_get0_p8inf(bag));
                    break;
                case NID_pkcs8ShroudedKeyBag:
                    holds_key_ = true;
                    if (!key_ && access_ != Access::closed) open_shrouded_key(bag);
                    break;
                case NID_safeContentsBag: read_bags(PKCS12_SAFEBAG_get0_safes(bag), depth + 1); break;
                default: break;  // CRL and secret bags hold no certificate
            }
        }
    }

    void open_shrouded_key(const PKCS12_SAFEBAG* bag) {
        const X509_ALGOR* algorithm = nullptr;
        X509_SIG_get0(PKCS12_SAFEBAG_get0_pkcs8(bag), &algorithm, nullptr);
        const std::string what = "PKCS#12 private key";
        if (refuse_costly_kdf(pbe_kdf_cost(algorithm), what, out_)) return;
        const ossl::Pkcs8InfoPtr info = open_encrypted(what, [&](Secret secret) {
            return ossl::Pkcs8InfoPtr(PKCS12_decrypt_skey(bag, secret.text, secret.length));
        });
        if (info) set_key(info.get());
    }

    void set_key(const PKCS8_PRIV_KEY_INFO* info) {
        key_.reset(info ? EVP_PKCS82PKEY(info) : nullptr);
        if (!key_) out_.add_error("corrupt_key", "the PKCS#12 private key does not parse: " + openssl_reason());
    }

    // Opens one encrypted part (one key derivation per try) with the known password or, in a file without a MAC,
    // with each password in turn; the one that works opens the rest. Empty when the part stays closed.
    template <typename Open>
    auto open_encrypted(const std::string& what, Open&& open) -> decltype(open(Secret{})) {
        using Opened = decltype(open(Secret{}));
        if (access_ == Access::open) {
            if (out_.must_stop([&] { return "decrypting the " + what; })) return Opened{};
            ERR_clear_error();
            if (Opened opened = open(*password_)) return opened;
            out_.add_error("unsupported_pkcs12", what + " cannot be decrypted: " + openssl_reason());
            return Opened{};
        }
        const auto& passwords = out_.options().passwords;
        for (std::size_t i = 0; i < passwords.size(); ++i) {
            for (const Secret secret : spellings(passwords[i])) {
                if (out_.must_stop([&] { return password_try(i, passwords.size(), "the " + what); })) return Opened{};
                if (Opened opened = open(secret)) {
                    ERR_clear_error();
                    password_ = secret;
                    access_ = Access::open;
                    return opened;
                }
                ERR_clear_error();
            }
        }
        record_locked();
        return Opened{};
    }

    // With a private key the certificates are its chain, the one that matches it first (as PKCS12_parse orders
    // them); a file with no key at all is a truststore (keytool writes them so) and each certificate an anchor.
    void record_findings() {
        if (key_) {
            const auto matches_key = [&](const ossl::X509Ptr& cert) {
                const bool match = X509_check_private_key(cert.get(), key_.get()) == 1;
                ERR_clear_error();
                return match;
            };
            const auto leaf = std::find_if(certificates_.begin(), certificates_.end(), matches_key);
            if (leaf != certificates_.end()) std::rotate(certificates_.begin(), leaf, leaf + 1);
        }
        for (const auto& cert : certificates_)
            add_certificate_from_x509(cert.get(), SourceFormat::pkcs12, out_, /*trust_anchor=*/!holds_key_);
        if (key_) record_key(key_.get(), SourceFormat::pkcs12, out_);
    }

    PKCS12* p12_;
    FileObservationBuilder& out_;
    Access access_ = Access::by_trial;
    std::optional<Secret> password_;
    std::vector<ossl::X509Ptr> certificates_;
    ossl::EvpPkeyPtr key_;
    bool holds_key_ = false;  // a key bag was seen, whether or not it could be opened
};

}  // namespace

void record_pkcs12(std::span<const std::uint8_t> der, FileObservationBuilder& out) {
    ossl::load_legacy_provider();  // RC2-40 and 3DES safes of older Windows and Java exports
    const unsigned char* cursor = der.data();
    ossl::Pkcs12Ptr p12(d2i_PKCS12(nullptr, &cursor, static_cast<long>(der.size())));
    if (!p12) {
        out.add_error("corrupt_pkcs12", "not a readable PKCS#12 structure: " + openssl_reason());
        return;
    }
    Pkcs12Reader(p12.get(), out).read();
}

}  // namespace certfleet::scanner
