// Encrypted keys whose stated key derivation costs more than any tool writes (the KDF bombs the fuzzers'
// regression seeds hold) are refused before deriving, whatever password is tried; usual costs still open.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "scanner/decode.hpp"
#include "scanner/key_derivation.hpp"
#include "tests/support/cert_factory.hpp"
#include "tests/support/hostile_containers.hpp"

using namespace certfleet;
using namespace certfleet::scanner;
using namespace certfleet::testing;

namespace {

const TestKey& key() {
    static const TestKey shared = TestKey::shared({.kind = KeyKind::ec}, 7);
    return shared;
}

FileObservations decode(const Bytes& content, std::vector<std::string> passwords) {
    const DecodeOptions options{.passwords = std::move(passwords)};
    return decode_file_content(content, "/srv/key", options);
}

std::vector<std::string> reasons(const FileObservations& result) {
    std::vector<std::string> out;
    for (const auto& event : result.events) out.push_back(event.reason);
    return out;
}

// Refused as too costly: the key is reported encrypted (it is there), the error says what it asked for.
void check_refused(const Bytes& content, const std::string& asked_for) {
    const auto started = std::chrono::steady_clock::now();
    const auto result = decode(content, {"", "pass", "other"});
    // Each bomb costs minutes per password when derived; refusing it costs nothing like that.
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
    REQUIRE(result.keys.size() == 1);
    CHECK(result.keys[0].state == KeyState::encrypted);
    CHECK_FALSE(result.keys[0].spki_sha256.has_value());
    REQUIRE(reasons(result) == std::vector<std::string>{"kdf_too_costly"});
    CHECK_THAT(result.events[0].detail, Catch::Contains(asked_for));
}

}  // namespace

TEST_CASE("key derivation: an encrypted PKCS#8 key asking for 2^31 PBKDF2 iterations is refused", "[decode][kdf]") {
    const Bytes der = with_pbkdf2_iterations(encrypted_pkcs8_der(key(), "pass", 2048), 0x7FFFFFFF);
    SECTION("DER") { check_refused(der, "2147483647 PBKDF2 iterations per password"); }
    SECTION("PEM") {
        check_refused(to_bytes(pem_block("ENCRYPTED PRIVATE KEY", der)), "2147483647 PBKDF2 iterations per password");
    }
}

TEST_CASE("key derivation: an encrypted PKCS#8 key asking for 2^32 scrypt blocks is refused", "[decode][kdf]") {
    // Within OpenSSL's own 32 MiB memory bound, which is all it checks.
    const Bytes cheap = encrypted_pkcs8_der(key(), "pass", ScryptCost{.n = 1024, .r = 8, .p = 1});
    check_refused(with_scrypt_cost(cheap, {.n = 65536, .r = 2, .p = 32768}), "scrypt N=65536 r=2 p=32768");
}

TEST_CASE("key derivation: the PBKDF2 bound itself is allowed, one past it is not", "[decode][kdf]") {
    // The count changed after encrypting, so no password opens the key: only whether it is tried differs.
    const Bytes cheap = encrypted_pkcs8_der(key(), "pass", 2048);
    const auto at_bound = decode(with_pbkdf2_iterations(cheap, kMostKdfIterations), {""});
    CHECK(reasons(at_bound).empty());
    const auto past = decode(with_pbkdf2_iterations(cheap, kMostKdfIterations + 1), {""});
    CHECK(reasons(past) == std::vector<std::string>{"kdf_too_costly"});
}

TEST_CASE("key derivation: usual PBKDF2 and scrypt costs open with the right password", "[decode][kdf]") {
    const Bytes pbkdf2 = encrypted_pkcs8_der(key(), "pass", 600'000);
    const Bytes scrypt = encrypted_pkcs8_der(key(), "pass", ScryptCost{});  // N 16384, r 8, p 1
    for (const Bytes& der : {pbkdf2, scrypt}) {
        const auto result = decode(der, {"", "pass"});
        REQUIRE(result.keys.size() == 1);
        CHECK(result.keys[0].state == KeyState::readable);
        CHECK(result.keys[0].spki_sha256 == key().spki_sha256());
        CHECK(reasons(result).empty());
    }
}
