// Content decoders on damaged or hostile input (empty, random, cut, flipped), and the certificate model and cache.
#include <random>

#include "tests/unit/decoder_test_support.hpp"

using namespace certfleet;
using namespace certfleet::scanner;
using namespace certfleet::testing;
using namespace certfleet::testing::decoding;

namespace {

std::size_t occurrences(std::string_view text, std::string_view needle) {
    std::size_t count = 0;
    for (std::size_t pos = text.find(needle); pos != std::string_view::npos; pos = text.find(needle, pos + 1))
        ++count;
    return count;
}

Bytes random_bytes(std::mt19937& rng, std::size_t size) {
    std::uniform_int_distribution<int> byte(0, 255);
    Bytes out(size);
    for (auto& b : out) b = static_cast<std::uint8_t>(byte(rng));
    return out;
}

// 0, step, 2*step, ... and always the last two lengths below `size`.
std::vector<std::size_t> prefix_lengths(std::size_t size, std::size_t step) {
    std::vector<std::size_t> out;
    for (std::size_t length = 0; length < size; length += step) out.push_back(length);
    if (size >= 2) out.push_back(size - 2);
    if (size >= 1) out.push_back(size - 1);
    return out;
}

bool nothing_found(const FileObservations& result) {
    return result.certificates.empty() && result.keys.empty() && result.events.empty();
}

}  // namespace

// ---- bad input ------------------------------------------------------------------------------------------

TEST_CASE("decode: an empty file yields nothing", "[decode]") {
    CHECK(nothing_found(decode(Bytes{})));
}

TEST_CASE("decode: random bytes yield no certificates and do not crash", "[decode]") {
    std::mt19937 rng(20240611);
    const std::string base64_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (const std::size_t size : {1, 2, 7, 8, 9, 64, 130, 1000, 4096, 65536}) {
        for (int round = 0; round < 3; ++round) {
            INFO("size " << size << ", round " << round);
            Bytes garbage = random_bytes(rng, size);
            CHECK(decode(garbage).certificates.empty());
            // The same bytes dressed as a long-form DER SEQUENCE, to get past the first format checks.
            if (size >= 4) {
                garbage[0] = 0x30;
                garbage[1] = 0x82;
                const auto result = decode(garbage);
                CHECK(result.certificates.empty());
                CHECK(result.keys.empty());
            }
            // And as a base64 run that starts like DER, so the embedded decoder decodes it.
            std::string run = "value: MII";
            for (const auto byte : garbage) run.push_back(base64_alphabet[byte % 64]);
            const auto result = decode(run + "\n");
            CHECK(result.certificates.empty());
            CHECK(result.keys.empty());
        }
    }
}

TEST_CASE("decode: text starting with '0' is not mistaken for DER", "[decode]") {
    const std::string text = GENERATE(std::string("0\n"), std::string("0 errors, 0 warnings\n"),
                                      std::string("0123456789abcdef0123456789abcdef\n"),
                                      std::string("0,1,2\n3,4,5\n"), std::string("0\x82 bytes of latin-1 text\n"));
    CHECK(nothing_found(decode(text)));
}

TEST_CASE("decode: PEM with a corrupt base64 body", "[decode]") {
    std::string pem = chain().leaf.pem();
    const std::size_t middle = pem.size() / 2;
    REQUIRE(pem[middle] != '\n');
    pem[middle] = '!';
    const auto result = decode(pem);
    CHECK(result.certificates.empty());
    CHECK(reasons(result) == std::vector<std::string>{"corrupt_pem"});
}

TEST_CASE("decode: PEM cut in the middle keeps the blocks before the cut", "[decode]") {
    const std::string second = chain().intermediate.pem();
    const auto result = decode(chain().leaf.pem() + second.substr(0, second.size() / 2));
    check_certificates(result, {chain().leaf}, SourceFormat::pem);
    CHECK(reasons(result) == std::vector<std::string>{"truncated_pem"});
}

TEST_CASE("decode: a CERTIFICATE block holding something else", "[decode]") {
    std::mt19937 rng(7);
    const std::string pem =
        "-----BEGIN CERTIFICATE-----\n" + base64(random_bytes(rng, 300)) + "\n-----END CERTIFICATE-----\n";
    const auto result = decode(pem);
    CHECK(result.certificates.empty());
    CHECK(reasons(result) == std::vector<std::string>{"corrupt_certificate"});
}

TEST_CASE("decode: every prefix of a PEM bundle", "[decode]") {
    const std::string bundle = bundle_pem();
    const auto all = sha256s(chain_certs());
    for (const std::size_t length : prefix_lengths(bundle.size(), 3)) {
        INFO("prefix length " << length << " of " << bundle.size());
        const std::string prefix = bundle.substr(0, length);
        const auto complete = static_cast<std::ptrdiff_t>(occurrences(prefix, "-----END CERTIFICATE-----"));
        const auto result = decode(prefix);
        CHECK(sha256s(result) == std::vector<std::string>(all.begin(), all.begin() + complete));
        CHECK(result.events.size() <= 1);
        for (const auto& reason : reasons(result)) CHECK(reason == "truncated_pem");
    }
}

namespace {
// A proper prefix of a one-object DER file is either too short to look at or a "truncated" error.
void check_der_prefixes(const Bytes& content) {
    for (const std::size_t length : prefix_lengths(content.size(), 1)) {
        INFO("prefix length " << length << " of " << content.size());
        const auto result = decode(Bytes(content.begin(), content.begin() + static_cast<std::ptrdiff_t>(length)));
        CHECK(result.certificates.empty());
        CHECK(result.keys.empty());
        CHECK(reasons(result) == (length >= 8 ? std::vector<std::string>{"truncated"} : std::vector<std::string>{}));
    }
}
}  // namespace

TEST_CASE("decode: every prefix of a DER certificate", "[decode]") { check_der_prefixes(chain().leaf.der); }

TEST_CASE("decode: every prefix of a PKCS#12 file", "[decode]") { check_der_prefixes(leaf_pkcs12("")); }

namespace {
// Flips one to three random bytes per round; whatever comes out must be well formed (decode checks that).
template <typename Check>
void flip_bytes(const Bytes& original, std::uint32_t seed, int rounds, Check&& check) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<std::size_t> position(0, original.size() - 1);
    std::uniform_int_distribution<int> mask(1, 255);
    std::uniform_int_distribution<int> flips(1, 3);
    for (int round = 0; round < rounds; ++round) {
        Bytes damaged = original;
        for (int i = flips(rng); i > 0; --i) damaged[position(rng)] ^= static_cast<std::uint8_t>(mask(rng));
        INFO("round " << round);
        check(decode(damaged, {"", "changeit"}));
    }
}
}  // namespace

TEST_CASE("decode: random byte flips in a PKCS#12 file", "[decode]") {
    const auto genuine = sha256s(chain_certs());
    // The MAC covers every certificate, so a damaged file yields the genuine certificates or none.
    flip_bytes(leaf_pkcs12("changeit"), 1234, 300, [&](const FileObservations& result) {
        for (const auto& sha256 : sha256s(result))
            CHECK(std::find(genuine.begin(), genuine.end(), sha256) != genuine.end());
    });
}

TEST_CASE("decode: random byte flips in a PKCS#7 file", "[decode]") {
    flip_bytes(pkcs7_der(chain_certs()), 5678, 300, [](const FileObservations& result) {
        CHECK(result.certificates.size() <= 3);
    });
}

// ---- the model and the cache ----------------------------------------------------------------------------

TEST_CASE("decode: observations carry whether a certificate is self-signed", "[decode]") {
    CertSpec spec;
    spec.subject_cn = "self-issued.example";
    spec.issuer_cn_override = "self-issued.example";
    const TestCert self_issued = TestCert::make(spec, key_of(KeyKind::ec), nullptr, &chain().root_key);

    const auto result = decode(bundle_pem() + self_issued.pem());
    REQUIRE(result.certificates.size() == 4);
    const CertInfo& leaf = *result.certificates[0].cert;
    const CertInfo& root = *result.certificates[2].cert;
    const CertInfo& other = *result.certificates[3].cert;
    CHECK(root.self_issued);
    CHECK(root.self_signed);
    CHECK_FALSE(leaf.self_issued);
    CHECK_FALSE(leaf.self_signed);
    CHECK(other.self_issued);  // issuer name equals subject name, but another key signed it
    CHECK_FALSE(other.self_signed);
}

TEST_CASE("decode: one cache shares a certificate's model between files", "[decode]") {
    CertificateCache cache;
    const auto bundle = decode(bundle_pem(), {""}, &cache, "/etc/ssl/bundle.pem");
    const auto single = decode(chain().root.der, {""}, &cache, "/etc/ssl/certs/root.der");
    REQUIRE(bundle.certificates.size() == 3);
    REQUIRE(single.certificates.size() == 1);
    CHECK(bundle.certificates[2].cert == single.certificates[0].cert);
    CHECK(bundle.certificates[2].der == single.certificates[0].der);
    CHECK(bundle.certificates[2].location.path == "/etc/ssl/bundle.pem");
    CHECK(single.certificates[0].location.path == "/etc/ssl/certs/root.der");
    CHECK(single.certificates[0].location.format == SourceFormat::der);

    const auto uncached = decode(chain().root.der);
    REQUIRE(uncached.certificates.size() == 1);
    CHECK(uncached.certificates[0].cert != single.certificates[0].cert);
}
