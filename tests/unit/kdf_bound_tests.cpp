// Key-derivation bombs and the per-file time budget: a 1 KB file that asks for 2^31 iterations is refused before
// any derivation runs, what lies outside its encrypted part is still read, real-world counts still open, and a
// long password list ends in a `timeout` event rather than holding a decoder.
#include <catch2/catch.hpp>

#include <openssl/obj_mac.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "scanner/decode.hpp"
#include "testkit/cert_factory.hpp"
#include "testkit/pbe_files.hpp"

using namespace certfleet;
using namespace certfleet::scanner;
using namespace certfleet::testing;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::uint64_t kBomb = 0x7FFFFFFF;

const TestChain& chain() {
    static const TestChain shared = make_chain("kdf.example");
    return shared;
}

Pkcs12Spec leaf_spec(const std::string& password) {
    return {.key = &chain().leaf_key, .cert = &chain().leaf, .extra_certs = {chain().intermediate, chain().root},
            .password = password};
}

struct Decoded {
    FileObservations result;
    double seconds;
};

Decoded decode(const Bytes& content, const DecodeOptions& options) {
    const auto started = Clock::now();
    FileObservations result = decode_file_content(content, "/srv/bomb", options);
    return {std::move(result), std::chrono::duration<double>(Clock::now() - started).count()};
}

Decoded decode(const Bytes& content, const std::vector<std::string>& passwords) {
    return decode(content, DecodeOptions{.passwords = passwords});
}

std::vector<std::string> reasons(const FileObservations& result) {
    std::vector<std::string> out;
    for (const auto& event : result.events) out.push_back(event.reason);
    return out;
}

const ScanEvent& only_event(const FileObservations& result, const std::string& reason) {
    REQUIRE(reasons(result) == std::vector<std::string>{reason});
    return result.events.front();
}

std::set<std::string> sha256_set(const FileObservations& result) {
    std::set<std::string> out;
    for (const auto& sighting : result.certificates) out.insert(sighting.cert->sha256);
    return out;
}

std::set<std::string> chain_sha256s() {
    return {chain().leaf.sha256(), chain().intermediate.sha256(), chain().root.sha256()};
}

// Wrong passwords first, so each is one more derivation a bomb would cost.
const std::vector<std::string> kPasswords{"", "wrong 1", "wrong 2", "pass"};

}  // namespace

TEST_CASE("kdf bound: a PKCS#12 whose MAC asks for 2^31-1 iterations is refused and its open part read", "[kdf]") {
    Pkcs12Spec spec = leaf_spec("pass");
    spec.certificate_pbe = -1;  // the certificates lie outside the encrypted part
    const Bytes bomb = with_kdf_iterations(make_pkcs12(spec), Pkcs12Kdf::mac, kBomb);
    REQUIRE(bomb.size() < 4096);

    const auto [result, seconds] = decode(bomb, kPasswords);
    CHECK(seconds < 0.5);
    const auto& event = only_event(result, "excessive_kdf_iterations");
    CHECK(event.detail.find("MAC") != std::string::npos);
    CHECK(event.detail.find("2147483647") != std::string::npos);
    CHECK(event.detail.find("--max-kdf-iterations 1000000") != std::string::npos);
    CHECK(sha256_set(result) == chain_sha256s());
    // The file holds a (shrouded) key, so its certificates are a chain, not a truststore's anchors.
    CHECK(std::none_of(result.certificates.begin(), result.certificates.end(),
                       [](const CertificateSighting& s) { return s.trust_anchor; }));
    CHECK(result.keys.empty());
}

TEST_CASE("kdf bound: a PKCS#12 encrypted safe asking for 2^31-1 iterations is refused, the rest opens", "[kdf]") {
    SECTION("PBES2 with PBKDF2, as OpenSSL 3 writes it") {
        const Bytes bomb =
            with_kdf_iterations(make_pkcs12(leaf_spec("pass")), Pkcs12Kdf::encrypted_safes, kBomb, "pass");
        const auto [result, seconds] = decode(bomb, kPasswords);
        CHECK(seconds < 0.5);
        const auto& event = only_event(result, "excessive_kdf_iterations");
        CHECK(event.detail.find("encrypted safe #1: PBKDF2 with 2147483647 iterations") != std::string::npos);
        CHECK(result.certificates.empty());  // all of them were in the refused safe
        REQUIRE(result.keys.size() == 1);
        CHECK(result.keys[0].state == KeyState::readable);
        CHECK(result.keys[0].spki_sha256 == chain().leaf_key.spki_sha256());
    }
    SECTION("PKCS#12 PBE with 3DES, as older tools write it") {
        Pkcs12Spec spec = leaf_spec("pass");
        spec.certificate_pbe = NID_pbe_WithSHA1And3_Key_TripleDES_CBC;
        const Bytes bomb = with_kdf_iterations(make_pkcs12(spec), Pkcs12Kdf::encrypted_safes, kBomb, "pass");
        const auto [result, seconds] = decode(bomb, kPasswords);
        CHECK(seconds < 0.5);
        const auto& event = only_event(result, "excessive_kdf_iterations");
        CHECK(event.detail.find("PKCS#12 KDF with 2147483647 iterations") != std::string::npos);
        CHECK(result.keys.size() == 1);
    }
}

TEST_CASE("kdf bound: a PKCS#12 shrouded key asking for 2^31-1 iterations is refused, its certificates read",
          "[kdf]") {
    Pkcs12Spec spec = leaf_spec("pass");
    spec.certificate_pbe = -1;
    const Bytes bomb = with_kdf_iterations(make_pkcs12(spec), Pkcs12Kdf::shrouded_keys, kBomb, "pass");
    const auto [result, seconds] = decode(bomb, kPasswords);
    CHECK(seconds < 0.5);
    const auto& event = only_event(result, "excessive_kdf_iterations");
    CHECK(event.detail.find("private key: PBKDF2 with 2147483647") != std::string::npos);
    CHECK(sha256_set(result) == chain_sha256s());
    CHECK(result.keys.empty());
}

TEST_CASE("kdf bound: an encrypted PKCS#8 key asking for 2^31-1 iterations is refused, PEM or DER", "[kdf]") {
    const TestKey& key = chain().leaf_key;
    const Bytes bomb = with_pkcs8_iterations(encrypted_pkcs8_der(key, "pass", 2048), kBomb);
    REQUIRE(bomb.size() < 1024);
    const Bytes pem = to_bytes(pem_block("ENCRYPTED PRIVATE KEY", bomb));
    for (const Bytes& file : {bomb, pem}) {
        const auto [result, seconds] = decode(file, kPasswords);
        CHECK(seconds < 0.5);
        const auto& event = only_event(result, "excessive_kdf_iterations");
        CHECK(event.detail.find("PBKDF2 with 2147483647 iterations") != std::string::npos);
        REQUIRE(result.keys.size() == 1);
        CHECK(result.keys[0].state == KeyState::encrypted);
    }
}

TEST_CASE("kdf bound: scrypt is bounded by N*r*p", "[kdf]") {
    const Bytes cheap = scrypt_pkcs8_der(chain().leaf_key, "pass", 1024, 8, 1);
    const auto [opened, opened_seconds] = decode(cheap, kPasswords);
    CHECK(reasons(opened).empty());
    REQUIRE(opened.keys.size() == 1);
    CHECK(opened.keys[0].state == KeyState::readable);

    const auto [result, seconds] = decode(with_scrypt_parallelization(cheap, 1u << 30), kPasswords);
    CHECK(seconds < 0.5);
    const auto& event = only_event(result, "excessive_kdf_iterations");
    CHECK(event.detail.find("scrypt with 8796093022208 (N*r*p)") != std::string::npos);
}

TEST_CASE("kdf bound: the counts real files use still open", "[kdf]") {
    SECTION("PKCS#12 with OpenSSL's 2,048 and Java keytool's 10,000") {
        for (const int iterations : {2048, 10'000}) {
            Pkcs12Spec spec = leaf_spec("pass");
            spec.iterations = spec.mac_iterations = iterations;
            const auto [result, seconds] = decode(make_pkcs12(spec), kPasswords);
            CHECK(reasons(result).empty());
            CHECK(sha256_set(result) == chain_sha256s());
            CHECK(result.keys.size() == 1);
        }
    }
    SECTION("PKCS#12 and an encrypted PKCS#8 key with OWASP 2023's 600,000 for PBKDF2-HMAC-SHA256") {
        Pkcs12Spec spec = leaf_spec("pass");
        spec.iterations = spec.mac_iterations = 600'000;
        const auto [p12, p12_seconds] = decode(make_pkcs12(spec), {"pass"});
        CHECK(reasons(p12).empty());
        CHECK(sha256_set(p12) == chain_sha256s());
        CHECK(p12.keys.size() == 1);
        const auto [key, key_seconds] = decode(encrypted_pkcs8_der(chain().leaf_key, "pass", 600'000), {"pass"});
        CHECK(reasons(key).empty());
        REQUIRE(key.keys.size() == 1);
        CHECK(key.keys[0].state == KeyState::readable);
    }
}

TEST_CASE("kdf bound: --max-kdf-iterations sets the bound", "[kdf]") {
    Pkcs12Spec spec = leaf_spec("pass");
    spec.mac_iterations = 5000;
    const Bytes file = make_pkcs12(spec);
    DecodeOptions options{.passwords = {"pass"}, .max_kdf_iterations = 4999};
    const auto [refused, refused_seconds] = decode(file, options);
    const auto& event = only_event(refused, "excessive_kdf_iterations");
    CHECK(event.detail.find("--max-kdf-iterations 4999") != std::string::npos);
    options.max_kdf_iterations = 5000;
    const auto [opened, opened_seconds] = decode(file, options);
    CHECK(reasons(opened).empty());
    CHECK(opened.keys.size() == 1);
}

TEST_CASE("file time limit: password tries past the budget end in a timeout, keeping what was found", "[kdf]") {
    // About 20 ms a try: 400 wrong passwords are 8 s of work against a 1 s budget.
    std::vector<std::string> passwords(400);
    for (std::size_t i = 0; i < passwords.size(); ++i) passwords[i] = "wrong " + std::to_string(i);
    DecodeOptions options{.passwords = passwords, .file_time_limit = std::chrono::seconds(1)};

    SECTION("an encrypted key after a certificate in one PEM file") {
        const Bytes key = encrypted_pkcs8_der(chain().leaf_key, "right", 60'000);
        const std::string pem = chain().leaf.pem() + pem_block("ENCRYPTED PRIVATE KEY", key);
        const auto [result, seconds] = decode(to_bytes(pem), options);
        CHECK(seconds < 2.0);
        const auto& event = only_event(result, "timeout");
        CHECK(event.detail.find("--file-timeout 1 s") != std::string::npos);
        CHECK(event.detail.find("on an encrypted private key") != std::string::npos);
        CHECK(sha256_set(result) == std::set<std::string>{chain().leaf.sha256()});
        REQUIRE(result.keys.size() == 1);
        CHECK(result.keys[0].state == KeyState::encrypted);
    }
    SECTION("a PKCS#12 MAC") {
        Pkcs12Spec spec = leaf_spec("right");
        spec.mac_iterations = 200'000;
        const auto [result, seconds] = decode(make_pkcs12(spec), options);
        CHECK(seconds < 2.0);
        CHECK(only_event(result, "timeout").detail.find("on the PKCS#12 MAC") != std::string::npos);
    }
}

TEST_CASE("stop: a stopping scan abandons the file at the next password try", "[kdf]") {
    std::vector<std::string> passwords(400, "wrong");
    const std::atomic<bool> stop{true};
    const DecodeOptions options{.passwords = passwords, .file_time_limit = std::chrono::seconds(0), .stop = &stop};
    const auto [result, seconds] = decode(encrypted_pkcs8_der(chain().leaf_key, "right", 60'000), options);
    CHECK(seconds < 0.2);
    CHECK(reasons(result).empty());  // a stop is the scan's, not the file's: no timeout event
}
