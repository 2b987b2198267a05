#pragma once
// What the decoder tests share: the test chain and keys, text helpers, decode() that checks the invariants of
// every decode, and checks of what a decode found.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/encoding.hpp"
#include "scanner/decode.hpp"
#include "testkit/cert_factory.hpp"
#include "testkit/keystore_writer.hpp"
#include "testkit/observations.hpp"

namespace Catch {
template <>
struct StringMaker<certfleet::SourceFormat> {
    static std::string convert(certfleet::SourceFormat f) { return certfleet::to_string(f); }
};
template <>
struct StringMaker<certfleet::KeyState> {
    static std::string convert(certfleet::KeyState s) { return certfleet::to_string(s); }
};
}  // namespace Catch

namespace certfleet::testing::decoding {

using namespace certfleet::scanner;

inline const std::string kPath = "/srv/input";

// ---- fixtures -------------------------------------------------------------------------------------------

inline const TestChain& chain() {
    static const TestChain shared = make_chain("decode.example");
    return shared;
}

// Leaf, intermediate, root: the order a server's bundle lists them in.
inline std::vector<TestCert> chain_certs() { return {chain().leaf, chain().intermediate, chain().root}; }

inline std::string bundle_pem() { return chain().leaf.pem() + chain().intermediate.pem() + chain().root.pem(); }

inline KeySpec spec_of(KeyKind kind) {
    KeySpec spec;
    spec.kind = kind;
    return spec;
}

inline TestKey key_of(KeyKind kind) { return TestKey::shared(spec_of(kind), 6); }

inline Bytes leaf_pkcs12(const std::string& password, bool legacy_rc2 = false) {
    return pkcs12_der(&chain().leaf_key, &chain().leaf, {chain().intermediate, chain().root}, password, legacy_rc2);
}

// ---- text helpers ---------------------------------------------------------------------------------------

inline std::string replace_all(std::string text, std::string_view from, std::string_view to) {
    for (std::size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size()))
        text.replace(pos, from.size(), to);
    return text;
}

inline std::string json_escaped(const std::string& text) { return replace_all(text, "\n", "\\n"); }

// Prefixes every line of `text` with `prefix`, as a YAML block scalar does.
inline std::string indented(const std::string& text, const std::string& prefix) {
    std::string out;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = std::min(text.find('\n', start), text.size());
        out += prefix + text.substr(start, end - start) + "\n";
        start = end + 1;
    }
    return out;
}

// The base64 body of a PEM block: every line that is neither a BEGIN/END line nor an RFC 1421 header.
inline std::string pem_body(const std::string& pem) {
    std::string body;
    std::size_t start = 0;
    while (start < pem.size()) {
        const std::size_t end = std::min(pem.find('\n', start), pem.size());
        const std::string line = pem.substr(start, end - start);
        if (!line.starts_with("-----") && line.find(':') == std::string::npos) body += line;
        start = end + 1;
    }
    return body;
}

// Base64 wrapped in 76-column lines, as `base64` and many Helm charts write it.
inline std::string wrapped_base64(const std::string& text, const std::string& indent) {
    const std::string encoded = base64(text);
    std::string out;
    for (std::size_t i = 0; i < encoded.size(); i += 76) out += indent + encoded.substr(i, 76) + "\n";
    return out;
}

// ---- decoding and checking ------------------------------------------------------------------------------

// Invariants of every decode whatever the input: certificates numbered in order, all attributed to the file,
// the parsed model matching the recorded DER, keys with a public key hash exactly when they were opened.
inline void check_well_formed(const FileObservations& result, const std::string& path) {
    for (std::size_t i = 0; i < result.certificates.size(); ++i) {
        const auto& sighting = result.certificates[i];
        REQUIRE(sighting.cert);
        REQUIRE(sighting.der);
        CHECK(sighting.location.index == static_cast<int>(i));
        CHECK(sighting.location.path == path);
        CHECK(sighting.cert->sha256 == sha256_hex(*sighting.der));
    }
    for (const auto& key : result.keys) {
        CHECK(key.path == path);
        CHECK(key.spki_sha256.has_value() == (key.state != KeyState::encrypted));
    }
    for (const auto& event : result.events) {
        CHECK(event.location == path);
        CHECK_FALSE(event.reason.empty());
    }
}

inline FileObservations decode(const Bytes& content, const std::vector<std::string>& passwords = {""},
                               CertificateCache* cache = nullptr, const std::string& path = kPath) {
    const DecodeOptions options{passwords, cache};
    FileObservations result = decode_file_content(content, path, options);
    check_well_formed(result, path);
    return result;
}

inline FileObservations decode(const std::string& text, const std::vector<std::string>& passwords = {""},
                               CertificateCache* cache = nullptr, const std::string& path = kPath) {
    return decode(to_bytes(text), passwords, cache, path);
}

inline std::vector<std::string> sha256s(const FileObservations& result) {
    std::vector<std::string> out;
    for (const auto& sighting : result.certificates) out.push_back(sighting.cert->sha256);
    return out;
}

inline std::vector<std::string> sha256s(const std::vector<TestCert>& certs) {
    std::vector<std::string> out;
    for (const auto& cert : certs) out.push_back(cert.sha256());
    return out;
}

inline std::set<std::string> sha256_set(const FileObservations& result) {
    const auto list = sha256s(result);
    return {list.begin(), list.end()};
}

inline std::vector<SourceFormat> formats(const FileObservations& result) {
    std::vector<SourceFormat> out;
    for (const auto& sighting : result.certificates) out.push_back(sighting.location.format);
    return out;
}

inline std::vector<std::string> reasons(const FileObservations& result) {
    std::vector<std::string> out;
    for (const auto& event : result.events) out.push_back(event.reason);
    return out;
}

// The certificates found are exactly `expected`, in order, all in `format`.
inline void check_certificates(const FileObservations& result, const std::vector<TestCert>& expected,
                               SourceFormat format) {
    CHECK(sha256s(result) == sha256s(expected));
    CHECK(formats(result) == std::vector<SourceFormat>(expected.size(), format));
}

inline void check_readable_key(const KeySighting& key, const TestKey& expected, SourceFormat format) {
    CHECK(key.state == KeyState::readable);
    CHECK(key.format == format);
    CHECK(key.spki_sha256.value_or("<none>") == expected.spki_sha256());
}

// The first `window`-long piece of `secret` that occurs in `haystack`, skipping pieces that also occur in
// `public_part` (they are not secret); empty when none does.
inline std::string first_shared_piece(std::string_view secret, std::string_view haystack,
                                      std::string_view public_part, std::size_t window) {
    for (std::size_t i = 0; i + window <= secret.size(); ++i) {
        const std::string_view piece = secret.substr(i, window);
        if (public_part.find(piece) == std::string_view::npos && haystack.find(piece) != std::string_view::npos)
            return std::string(piece);
    }
    return {};
}

inline std::string_view as_chars(const Bytes& bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Key material never leaves the decoder: no text field of the observations holds a piece of any of the
// key's textual `encodings` (PEM bodies, base64 values), and no field nor certificate DER holds a piece of
// the private key's DER (raw or hex) beyond what its public key shares with it.
inline void check_no_key_material(const FileObservations& result, const TestKey& key,
                                  const std::vector<std::string>& encodings) {
    std::string text;
    std::string binary;
    for (const auto& sighting : result.certificates) {
        text += sighting.location.path + "\n";
        binary += as_chars(*sighting.der);
    }
    for (const auto& sighting : result.keys) text += sighting.path + "\n" + sighting.spki_sha256.value_or("") + "\n";
    for (const auto& event : result.events) text += event.location + "\n" + event.reason + "\n" + event.detail + "\n";
    binary += text;

    for (const auto& encoding : encodings) CHECK(first_shared_piece(encoding, text, {}, 16).empty());
    const Bytes private_der = key.pkcs8_der();
    const Bytes public_der = key.spki_der();
    CHECK(first_shared_piece(as_chars(private_der), binary, as_chars(public_der), 12).empty());
    CHECK(first_shared_piece(to_hex(private_der), text, to_hex(public_der), 24).empty());
}

}  // namespace certfleet::testing::decoding
