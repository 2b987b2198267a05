// JKS and JCEKS, as written by sun.security.provider.JavaKeyStore and com.sun.crypto.provider.JceKeyStore.
// Every integer is big-endian; strings are Java "UTF" (u16 byte length, then modified UTF-8).
//
//   magic u32 (FEEDFEED or CECECECE), version u32 (1 or 2), entry count u32, entries, SHA-1 digest (20 bytes)
//   entry: tag u32, alias UTF, creation time u64 (ms), then by tag:
//     1 private key:  u32 length + EncryptedPrivateKeyInfo, u32 chain length, that many certificates
//     2 trusted cert: one certificate
//     3 secret key (JCEKS only): a Java serialization stream holding a SealedObject, with no length prefix
//   certificate: (version 2 only: type UTF, always "X.509") u32 length + DER
//   digest: SHA-1(password as UTF-16BE || "Mighty Aphrodite" || every byte before the digest)
#include "scanner/java_keystore.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/certificate.hpp"
#include "core/encoding.hpp"
#include "core/openssl_handles.hpp"
#include "scanner/java_serialization.hpp"
#include "scanner/java_stream_reader.hpp"

namespace certfleet::scanner {
namespace {

using java::concat;
using java::corrupt;
using java::Damage;
using java::Reader;

constexpr std::uint32_t kJksMagic = 0xFEEDFEED;
constexpr std::uint32_t kJceksMagic = 0xCECECECE;
constexpr std::size_t kDigestSize = 20;
constexpr std::string_view kDigestWhitener = "Mighty Aphrodite";

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

constexpr char32_t kReplacement = 0xFFFD;

bool is_high_surrogate(char32_t c) { return c >= 0xD800 && c <= 0xDBFF; }
bool is_low_surrogate(char32_t c) { return c >= 0xDC00 && c <= 0xDFFF; }

// Modified UTF-8 (NUL as C0 80, supplementary characters as two encoded surrogates) to UTF-8. Aliases only
// appear in messages, so a malformed one is shown with replacement characters rather than rejected.
std::string java_utf_to_utf8(std::span<const std::uint8_t> bytes) {
    std::vector<char16_t> units;
    for (std::size_t i = 0; i < bytes.size();) {
        const auto continuation = [&](std::size_t k) {
            return i + k < bytes.size() && (bytes[i + k] & 0xC0) == 0x80;
        };
        const std::uint8_t b = bytes[i];
        if (b < 0x80) {
            units.push_back(b);
            i += 1;
        } else if ((b & 0xE0) == 0xC0 && continuation(1)) {
            units.push_back(static_cast<char16_t>(((b & 0x1F) << 6) | (bytes[i + 1] & 0x3F)));
            i += 2;
        } else if ((b & 0xF0) == 0xE0 && continuation(1) && continuation(2)) {
            units.push_back(
                static_cast<char16_t>(((b & 0x0F) << 12) | ((bytes[i + 1] & 0x3F) << 6) | (bytes[i + 2] & 0x3F)));
            i += 3;
        } else {
            units.push_back(static_cast<char16_t>(kReplacement));
            i += 1;
        }
    }
    std::string out;
    for (std::size_t i = 0; i < units.size(); ++i) {
        const char32_t unit = units[i];
        if (is_high_surrogate(unit) && i + 1 < units.size() && is_low_surrogate(units[i + 1])) {
            append_utf8(out, 0x10000 + ((unit - 0xD800) << 10) + (units[i + 1] - 0xDC00));
            ++i;
        } else {
            append_utf8(out, is_high_surrogate(unit) || is_low_surrogate(unit) ? kReplacement : unit);
        }
    }
    return out;
}

// One code point from UTF-8 at `i`, advancing past it. Malformed input yields U+FFFD and advances one byte, as
// it would on its way into a Java String.
char32_t next_code_point(std::string_view text, std::size_t& i) {
    const auto lead = static_cast<std::uint8_t>(text[i]);
    std::size_t length = 0;
    char32_t cp = 0;
    if (lead < 0x80) {
        length = 1;
        cp = lead;
    } else if ((lead & 0xE0) == 0xC0) {
        length = 2;
        cp = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
        length = 3;
        cp = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
        length = 4;
        cp = lead & 0x07;
    }
    bool valid = length != 0 && i + length <= text.size();
    for (std::size_t k = 1; valid && k < length; ++k) {
        const auto next = static_cast<std::uint8_t>(text[i + k]);
        valid = (next & 0xC0) == 0x80;
        cp = (cp << 6) | (next & 0x3F);
    }
    static constexpr std::array<char32_t, 5> kShortestFormMinimum{0, 0, 0x80, 0x800, 0x10000};
    valid = valid && cp >= kShortestFormMinimum[length] && cp <= 0x10FFFF && !is_high_surrogate(cp) &&
            !is_low_surrogate(cp);
    i += valid ? length : 1;
    return valid ? cp : kReplacement;
}

// Java hashes the password's chars, so a UTF-8 password is hashed as UTF-16BE.
Bytes utf8_to_utf16be(std::string_view text) {
    Bytes out;
    const auto push_unit = [&](char32_t unit) {
        out.push_back(static_cast<std::uint8_t>(unit >> 8));
        out.push_back(static_cast<std::uint8_t>(unit & 0xFF));
    };
    for (std::size_t i = 0; i < text.size();) {
        const char32_t cp = next_code_point(text, i);
        if (cp >= 0x10000) {
            push_unit(0xD800 + ((cp - 0x10000) >> 10));
            push_unit(0xDC00 + ((cp - 0x10000) & 0x3FF));
        } else {
            push_unit(cp);
        }
    }
    return out;
}

bool digest_matches(const std::string& password, std::span<const std::uint8_t> signed_part,
                    std::span<const std::uint8_t> expected) {
    using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, ossl::Deleter<EVP_MD_CTX_free>>;
    const MdCtxPtr ctx(EVP_MD_CTX_new());
    const Bytes prefix = utf8_to_utf16be(password);
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    const bool computed = ctx && EVP_DigestInit_ex(ctx.get(), EVP_sha1(), nullptr) == 1 &&
                          EVP_DigestUpdate(ctx.get(), prefix.data(), prefix.size()) == 1 &&
                          EVP_DigestUpdate(ctx.get(), kDigestWhitener.data(), kDigestWhitener.size()) == 1 &&
                          EVP_DigestUpdate(ctx.get(), signed_part.data(), signed_part.size()) == 1 &&
                          EVP_DigestFinal_ex(ctx.get(), digest.data(), &length) == 1;
    return computed && length == expected.size() && std::equal(expected.begin(), expected.end(), digest.begin());
}


class KeystoreParser {
public:
    KeystoreParser(std::span<const std::uint8_t> content, SourceFormat format, FileObservationBuilder& out)
        : content_(content), in_(content), format_(format), out_(out) {}

    void parse() {
        in_.u32("magic");
        version_ = in_.u32("version");
        if (version_ != 1 && version_ != 2)
            corrupt(concat("unsupported keystore version ", version_, " at byte offset 4"));
        const std::uint32_t entries = in_.u32("entry count");
        // Nothing is sized from the count: every entry consumes bytes, so a false count ends in truncation.
        for (std::uint32_t i = 0; i < entries; ++i) {
            if (out_.must_stop([&] { return concat("reading keystore entry #", i); })) return;
            entry(i);
        }
        const std::size_t signed_length = in_.offset();
        const auto digest = in_.bytes(kDigestSize, "integrity digest");
        if (in_.remaining() != 0)
            out_.add_note("trailing_data", concat(in_.remaining(), " bytes after the integrity digest at byte offset ",
                                                  in_.offset(), " ignored"));
        check_integrity(content_.first(signed_length), digest);
    }

private:
    static constexpr std::uint32_t kPrivateKeyEntry = 1;
    static constexpr std::uint32_t kTrustedCertificateEntry = 2;
    static constexpr std::uint32_t kSecretKeyEntry = 3;

    void entry(std::uint32_t number) {
        std::string label = concat("entry #", number);
        try {
            const auto tag_offset = in_.offset();
            const std::uint32_t tag = in_.u32("entry tag");
            const bool known = tag == kPrivateKeyEntry || tag == kTrustedCertificateEntry ||
                               (tag == kSecretKeyEntry && format_ == SourceFormat::jceks);
            if (!known) corrupt(concat("unknown entry tag ", tag, " at byte offset ", tag_offset));
            const std::string alias = java_utf_to_utf8(in_.utf("entry alias"));
            label += concat(" '", alias, "'");
            in_.u64("entry creation time");
            if (tag == kPrivateKeyEntry)
                private_key_entry();
            else if (tag == kTrustedCertificateEntry)
                out_.add_certificate(certificate(), format_, /*trust_anchor=*/true);
            else
                secret_key_entry(alias);
        } catch (Damage& damage) {
            damage.detail = concat(label, ": ", damage.detail);
            throw;
        }
    }

    void private_key_entry() {
        // The protected key is passed over unread: key material is never decoded or kept.
        in_.bytes(in_.u32("protected key length"), "protected key");
        const std::uint32_t chain_length = in_.u32("certificate chain length");
        if (chain_length == 0) out_.add_key(format_, std::nullopt, KeyState::in_keystore);
        for (std::uint32_t i = 0; i < chain_length; ++i) {
            const auto der = certificate();
            out_.add_certificate(der, format_);
            if (i == 0) out_.add_key(format_, spki_sha256_of(der), KeyState::in_keystore);
        }
    }

    std::span<const std::uint8_t> certificate() {
        // Java only ever writes "X.509"; any other type would fail as DER in add_certificate and be reported there.
        if (version_ == 2) in_.utf("certificate type");
        return in_.bytes(in_.u32("certificate length"), "certificate");
    }

    void secret_key_entry(const std::string& alias) {
        const auto start = in_.offset();
        java::skip_serialization_stream(in_);
        out_.add_note("jceks_secret_key_skipped",
                      concat("entry '", alias, "': secret key (", in_.offset() - start,
                             " bytes of serialized SealedObject at byte offset ", start,
                             ") skipped; only certificates and private keys are inventoried"));
    }

    // add_certificate has usually just parsed this certificate into the cache.
    std::optional<std::string> spki_sha256_of(std::span<const std::uint8_t> der) const {
        if (CertificateCache* cache = out_.options().cache)
            if (const auto hit = cache->find(sha256_hex(der))) return hit->cert->spki_sha256;
        try {
            return describe_certificate(der).spki_sha256;
        } catch (const CertificateParseError&) {
            return std::nullopt;
        }
    }

    void check_integrity(std::span<const std::uint8_t> signed_part, std::span<const std::uint8_t> digest) {
        // Each try hashes the whole keystore: a long password list on a large one takes time.
        const auto& passwords = out_.options().passwords;
        bool verified = false;
        for (std::size_t i = 0; i < passwords.size() && !verified; ++i) {
            if (out_.must_stop([&] { return password_try(i, passwords.size(), "the keystore integrity digest"); }))
                return;
            verified = digest_matches(passwords[i], signed_part, digest);
        }
        if (!verified)
            out_.add_note("integrity_unverified",
                          concat("no known password matches the keystore integrity digest (", passwords.size(),
                                 " tried); its certificates are reported but could be altered"));
    }

    std::span<const std::uint8_t> content_;
    Reader in_;
    SourceFormat format_;
    FileObservationBuilder& out_;
    std::uint32_t version_ = 0;
};

}  // namespace

bool decode_java_keystore(std::span<const std::uint8_t> content, FileObservationBuilder& out) {
    if (content.size() < 4) return false;
    const std::uint32_t magic = (std::uint32_t{content[0]} << 24) | (std::uint32_t{content[1]} << 16) |
                                (std::uint32_t{content[2]} << 8) | content[3];
    SourceFormat format;
    if (magic == kJksMagic)
        format = SourceFormat::jks;
    else if (magic == kJceksMagic)
        format = SourceFormat::jceks;
    else
        return false;
    try {
        KeystoreParser(content, format, out).parse();
    } catch (const Damage& damage) {
        out.add_error(damage.reason, damage.detail);
    } catch (const std::exception& e) {
        out.add_error("corrupt_keystore", concat("keystore could not be read: ", e.what()));
    }
    return true;
}

}  // namespace certfleet::scanner
