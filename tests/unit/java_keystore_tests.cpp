// The JKS and JCEKS decoder on the keystore's own structure: entries in file order, trust anchors, the integrity
// digest and its passwords, versions, and keystores that are cut, corrupted, oversized or not keystores at all.
#include <random>

#include "tests/unit/java_keystore_test_support.hpp"

using namespace certfleet;
using namespace certfleet::scanner;
using namespace certfleet::testing;
using namespace certfleet::testing::java_keystore;

namespace {

// Where `needle` ends in `haystack`; the test data is built so each needle occurs once.
std::size_t end_of(const Bytes& haystack, const Bytes& needle) {
    const auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end());
    REQUIRE(it != haystack.end());
    return static_cast<std::size_t>(it - haystack.begin()) + needle.size();
}

void put_u32(Bytes& bytes, std::size_t offset, std::uint32_t value) {
    for (int i = 0; i < 4; ++i) bytes[offset + i] = static_cast<std::uint8_t>(value >> (24 - 8 * i));
}

// A JCEKS file holding every kind of entry, in the order: trusted root, secret key, private key (leaf,
// intermediate), trusted other.
Bytes every_entry_kind_jceks() {
    return KeystoreWriter(KeystoreType::jceks)
        .add_trusted_cert("root", chain().root)
        .add_secret_key("aes")
        .add_private_key("server", {chain().leaf, chain().intermediate})
        .add_trusted_cert("other", other_cert())
        .build(u"");
}

}  // namespace

TEST_CASE("jks: trusted certificates and a private key entry are read in file order") {
    const Bytes image = KeystoreWriter(KeystoreType::jks)
                            .add_trusted_cert("root", chain().root)
                            .add_private_key("server", {chain().leaf, chain().intermediate})
                            .add_trusted_cert("other", other_cert())
                            .build(u"");
    CertificateCache cache;
    for (CertificateCache* const cache_in_use : {static_cast<CertificateCache*>(nullptr), &cache}) {
        INFO((cache_in_use ? "with" : "without") << " a certificate cache");
        const auto [recognised, result] = decode(image, {""}, cache_in_use);

        REQUIRE(recognised);
        CHECK(result.events.empty());
        const std::vector<std::string> expected{chain().root.sha256(), chain().leaf.sha256(),
                                                chain().intermediate.sha256(), other_cert().sha256()};
        CHECK(sha256s(result) == expected);
        for (std::size_t i = 0; i < result.certificates.size(); ++i) {
            CHECK(result.certificates[i].location.format == SourceFormat::jks);
            CHECK(result.certificates[i].location.index == static_cast<int>(i));
            CHECK(result.certificates[i].location.path == "store");
        }
        REQUIRE(result.keys.size() == 1);
        CHECK(result.keys[0].format == SourceFormat::jks);
        CHECK(result.keys[0].state == KeyState::in_keystore);
        CHECK(result.keys[0].spki_sha256 == chain().leaf.spki_sha256());
    }
}

TEST_CASE("jks: trusted certificate entries are trust anchors, private key chains are not") {
    SECTION("JKS with one trusted entry and one private key entry") {
        const Bytes image = KeystoreWriter(KeystoreType::jks)
                                .add_trusted_cert("root", chain().root)
                                .add_private_key("server", {chain().leaf, chain().intermediate})
                                .build(u"");
        const auto [recognised, result] = decode(image);
        REQUIRE(recognised);
        CHECK(sha256s(result) ==
              std::vector<std::string>{chain().root.sha256(), chain().leaf.sha256(), chain().intermediate.sha256()});
        CHECK(trust_anchor_flags(result) == std::vector<bool>{true, false, false});
    }
    SECTION("JCEKS, around a secret key entry") {
        const auto [recognised, result] = decode(every_entry_kind_jceks());
        REQUIRE(recognised);
        CHECK(sha256s(result) == std::vector<std::string>{chain().root.sha256(), chain().leaf.sha256(),
                                                          chain().intermediate.sha256(), other_cert().sha256()});
        CHECK(trust_anchor_flags(result) == std::vector<bool>{true, false, false, true});
    }
    SECTION("a self-signed leaf pinned as a trusted entry is an anchor") {
        const auto [recognised, result] = decode(KeystoreWriter(KeystoreType::jks)
                                                     .add_trusted_cert("pinned", other_cert())
                                                     .build(u""));
        REQUIRE(recognised);
        REQUIRE(result.certificates.size() == 1);
        CHECK_FALSE(result.certificates[0].cert->is_ca);
        CHECK(result.certificates[0].cert->self_signed);
        CHECK(result.certificates[0].trust_anchor);
    }
}

TEST_CASE("jks: the integrity digest is checked against every known password") {
    const Bytes image = KeystoreWriter(KeystoreType::jks).add_trusted_cert("root", chain().root).build(u"s3cret");

    SECTION("a known password matches: nothing to note") {
        const auto [recognised, result] = decode(image, {"", "wrong", "s3cret"});
        REQUIRE(recognised);
        CHECK(result.events.empty());
        CHECK(result.certificates.size() == 1);
    }
    SECTION("no known password matches: a note, and the certificates are still reported") {
        const auto [recognised, result] = decode(image, {"", "wrong"});
        REQUIRE(recognised);
        REQUIRE(result.events.size() == 1);
        CHECK(result.events[0].reason == "integrity_unverified");
        CHECK(result.events[0].level == EventLevel::note);
        CHECK(result.events[0].detail.find("no known password matches") != std::string::npos);
        CHECK(sha256s(result) == std::vector<std::string>{chain().root.sha256()});
    }
    SECTION("an empty password is hashed as an empty prefix") {
        const Bytes unprotected = KeystoreWriter(KeystoreType::jks).add_trusted_cert("r", chain().root).build(u"");
        CHECK(decode(unprotected, {""}).result.events.empty());
        CHECK(count_events(decode(unprotected, {"s3cret"}).result, "integrity_unverified") == 1);
    }
}

TEST_CASE("jks: non-ASCII passwords are hashed as UTF-16BE, as Java hashes its chars") {
    // U+00E4 and U+1F511, the latter a surrogate pair in UTF-16.
    const Bytes image =
        KeystoreWriter(KeystoreType::jceks).add_trusted_cert("r", chain().root).build(u"p\u00e4\U0001F511");
    CHECK(decode(image, {"", "p\xC3\xA4\xF0\x9F\x94\x91"}).result.events.empty());
    CHECK(count_events(decode(image, {"", "p\xC3\xA4"}).result, "integrity_unverified") == 1);
}

TEST_CASE("jks: a JCEKS secret key entry is skipped with a note and the certificates around it are kept") {
    const auto [recognised, result] = decode(every_entry_kind_jceks());

    REQUIRE(recognised);
    const std::vector<std::string> expected{chain().root.sha256(), chain().leaf.sha256(),
                                            chain().intermediate.sha256(), other_cert().sha256()};
    CHECK(sha256s(result) == expected);
    for (const auto& sighting : result.certificates) CHECK(sighting.location.format == SourceFormat::jceks);
    REQUIRE(result.keys.size() == 1);
    CHECK(result.keys[0].format == SourceFormat::jceks);
    CHECK(result.keys[0].spki_sha256 == chain().leaf.spki_sha256());
    CHECK(events(result, EventLevel::error).empty());
    REQUIRE(result.events.size() == 1);
    CHECK(result.events[0].reason == "jceks_secret_key_skipped");
    CHECK(result.events[0].level == EventLevel::note);
    CHECK(result.events[0].detail.find("'aes'") != std::string::npos);
}

TEST_CASE("jks: version 1 keystores, which have no certificate type strings, are read") {
    const KeystoreType type = GENERATE(KeystoreType::jks, KeystoreType::jceks);
    const Bytes image = KeystoreWriter(type, 1)
                            .add_private_key("server", {chain().leaf, chain().intermediate})
                            .add_trusted_cert("root", chain().root)
                            .build(u"changeit");
    const auto [recognised, result] = decode(image, {"", "changeit"});

    REQUIRE(recognised);
    CHECK(result.events.empty());
    CHECK(sha256s(result) == std::vector<std::string>{chain().leaf.sha256(), chain().intermediate.sha256(),
                                                      chain().root.sha256()});
    const SourceFormat format = type == KeystoreType::jks ? SourceFormat::jks : SourceFormat::jceks;
    for (const auto& sighting : result.certificates) CHECK(sighting.location.format == format);
    REQUIRE(result.keys.size() == 1);
    CHECK(result.keys[0].spki_sha256 == chain().leaf.spki_sha256());
}

TEST_CASE("jks: a private key entry without a chain is recorded with no public key") {
    const Bytes image = KeystoreWriter(KeystoreType::jks).add_private_key("lonely", {}).build(u"");
    const auto [recognised, result] = decode(image);

    REQUIRE(recognised);
    CHECK(result.events.empty());
    CHECK(result.certificates.empty());
    REQUIRE(result.keys.size() == 1);
    CHECK(result.keys[0].state == KeyState::in_keystore);
    CHECK_FALSE(result.keys[0].spki_sha256.has_value());
}

TEST_CASE("jks: an empty keystore and trailing bytes after the digest") {
    const Bytes empty = KeystoreWriter(KeystoreType::jks).build(u"");
    CHECK(empty.size() == 12 + 20);
    const auto [recognised, result] = decode(empty);
    CHECK(recognised);
    CHECK(result.certificates.empty());
    CHECK(result.events.empty());

    Bytes padded = KeystoreWriter(KeystoreType::jks).add_trusted_cert("r", chain().root).build(u"");
    padded.insert(padded.end(), {0, 0, 0});
    const auto padded_result = decode(padded).result;
    CHECK(padded_result.certificates.size() == 1);
    REQUIRE(padded_result.events.size() == 1);
    CHECK(padded_result.events[0].reason == "trailing_data");
    CHECK(padded_result.events[0].level == EventLevel::note);
}

TEST_CASE("jks: a keystore cut at every byte offset keeps the certificates read before the cut") {
    const Bytes image = every_entry_kind_jceks();
    const std::vector<TestCert> in_order{chain().root, chain().leaf, chain().intermediate, other_cert()};
    std::vector<std::size_t> cert_ends;
    for (const auto& cert : in_order) cert_ends.push_back(end_of(image, cert.der));
    const std::size_t secret_key_end = end_of(image, sealed_secret_key_stream());
    CertificateCache cache;

    for (std::size_t length = 0; length < image.size(); ++length) {
        INFO("cut at " << length << " of " << image.size());
        const Bytes prefix(image.begin(), image.begin() + static_cast<std::ptrdiff_t>(length));
        const auto [recognised, result] = decode(prefix, {""}, &cache);
        if (length < 4) {
            REQUIRE_FALSE(recognised);
            REQUIRE(result.events.empty());
            continue;
        }
        REQUIRE(recognised);
        const auto errors = events(result, EventLevel::error);
        REQUIRE(errors.size() == 1);
        REQUIRE(errors[0]->reason == "truncated");
        REQUIRE(errors[0]->detail.find("byte offset") != std::string::npos);

        const auto complete = static_cast<std::size_t>(
            std::count_if(cert_ends.begin(), cert_ends.end(), [&](std::size_t end) { return end <= length; }));
        const auto found = sha256s(result);
        REQUIRE(found.size() == complete);
        for (std::size_t i = 0; i < complete; ++i) REQUIRE(found[i] == in_order[i].sha256());
        REQUIRE(result.keys.size() == (length >= cert_ends[1] ? 1u : 0u));
        REQUIRE(count_events(result, "jceks_secret_key_skipped") == (length >= secret_key_end ? 1u : 0u));
        REQUIRE(count_events(result, "integrity_unverified") == 0);
    }
}

TEST_CASE("jks: random byte corruption never crashes the decoder") {
    const Bytes image = every_entry_kind_jceks();
    // Half the flips land outside certificate bodies, where the lengths, tags and serialization typecodes are.
    std::vector<std::size_t> structure;
    std::vector<std::pair<std::size_t, std::size_t>> cert_spans;
    for (const auto* cert : {&chain().root, &chain().leaf, &chain().intermediate, &other_cert()}) {
        const std::size_t end = end_of(image, cert->der);
        cert_spans.emplace_back(end - cert->der.size(), end);
    }
    for (std::size_t i = 0; i < image.size(); ++i)
        if (std::none_of(cert_spans.begin(), cert_spans.end(),
                         [&](const auto& span) { return i >= span.first && i < span.second; }))
            structure.push_back(i);

    std::mt19937 rng(20240611);
    std::uniform_int_distribution<std::size_t> anywhere(0, image.size() - 1);
    std::uniform_int_distribution<std::size_t> in_structure(0, structure.size() - 1);
    std::uniform_int_distribution<int> flips(1, 3);
    std::uniform_int_distribution<int> nonzero_byte(1, 255);
    CertificateCache cache;
    for (int iteration = 0; iteration < 4000; ++iteration) {
        Bytes damaged = image;
        for (int n = flips(rng); n > 0; --n) {
            const std::size_t at = iteration % 2 ? anywhere(rng) : structure[in_structure(rng)];
            damaged[at] ^= static_cast<std::uint8_t>(nonzero_byte(rng));
        }
        INFO("iteration " << iteration);
        const auto [recognised, result] = decode(damaged, {""}, &cache);
        const bool magic_intact = std::equal(damaged.begin(), damaged.begin() + 4, image.begin());
        REQUIRE(recognised == magic_intact);
        for (const auto& event : result.events) REQUIRE_FALSE(event.detail.empty());
    }
}

TEST_CASE("jks: huge declared lengths and counts end in an error, never an allocation or a long loop") {
    struct Case {
        const char* name;
        Bytes entry;
        const char* reason;
    };
    const auto entry = [](std::uint32_t tag, const std::string& alias) {
        JavaDataWriter w;
        w.u32(tag).utf(alias).u64(0);
        return w;
    };
    const auto secret = [&](const JavaDataWriter& stream) {
        return entry(3, "sk").bytes(stream.data()).data();
    };
    const std::vector<Case> cases{
        {"alias length", JavaDataWriter().u32(2).u16(0xFFFF).bytes({'a', 'b'}).data(), "truncated"},
        {"protected key length", entry(1, "k").u32(0xFFFFFFFF).bytes({1, 2, 3}).data(), "truncated"},
        {"chain length",
         entry(1, "k").u32(1).u8(0).u32(0xFFFFFFFF).utf("X.509")
             .u32(static_cast<std::uint32_t>(chain().leaf.der.size())).bytes(chain().leaf.der).data(),
         "truncated"},
        {"certificate type length", entry(2, "c").u16(0xFFFF).data(), "truncated"},
        {"certificate length", entry(2, "c").utf("X.509").u32(0xFFFFFFFF).bytes({0x30}).data(), "truncated"},
        {"primitive array length",
         secret(stream_header().u8(TC_ARRAY).u8(TC_CLASSDESC).utf("[J").u64(0).u8(SC_SERIALIZABLE).u16(0)
                    .u8(TC_ENDBLOCKDATA).u8(TC_NULL).u32(0x7FFFFFFF)),
         "truncated"},
        {"object array length",
         secret(stream_header().u8(TC_ARRAY).u8(TC_CLASSDESC).utf("[Ljava.lang.Object;").u64(0)
                    .u8(SC_SERIALIZABLE).u16(0).u8(TC_ENDBLOCKDATA).u8(TC_NULL).u32(0x7FFFFFFF).u8(TC_NULL)),
         "truncated"},
        {"negative array length",
         secret(stream_header().u8(TC_ARRAY).u8(TC_CLASSDESC).utf("[B").u64(0).u8(SC_SERIALIZABLE).u16(0)
                    .u8(TC_ENDBLOCKDATA).u8(TC_NULL).u32(0x80000000)),
         "corrupt_keystore"},
        {"long string length", secret(stream_header().u8(TC_LONGSTRING).u64(0x7FFFFFFFFFFFFFFF)), "truncated"},
        {"negative long string length", secret(stream_header().u8(TC_LONGSTRING).u64(~0ULL)), "corrupt_keystore"},
        {"field count",
         secret(stream_header().u8(TC_OBJECT).u8(TC_CLASSDESC).utf("x.Y").u64(0).u8(SC_SERIALIZABLE).u16(0xFFFF)
                    .u8('I').utf("f")),
         "truncated"},
        {"proxy interface count", secret(stream_header().u8(TC_CLASS).u8(TC_PROXYCLASSDESC).u32(0xFFFFFFFF)),
         "truncated"},
        {"negative block data length",
         secret(stream_header().u8(TC_OBJECT).u8(TC_CLASSDESC).utf("x.Ext").u64(0)
                    .u8(SC_EXTERNALIZABLE | SC_BLOCK_DATA).u16(0).u8(TC_ENDBLOCKDATA).u8(TC_NULL)
                    .u8(TC_BLOCKDATALONG).u32(0xFFFFFFFF)),
         "corrupt_keystore"},
    };
    // Each hostile entry ends the file (the digest is cut off too), so its declared size can only be believed
    // by reading past the end.
    const auto without_digest = [](Bytes image) {
        image.resize(image.size() - 20);
        return image;
    };
    for (const auto& c : cases) {
        INFO(c.name);
        const Bytes image = without_digest(KeystoreWriter(KeystoreType::jceks)
                                               .add_trusted_cert("before", chain().root)
                                               .add_raw_entry(c.entry)
                                               .build(u""));
        const auto [recognised, result] = decode(image);
        REQUIRE(recognised);
        CHECK(sha256s(result).front() == chain().root.sha256());
        const auto errors = events(result, EventLevel::error);
        REQUIRE(errors.size() == 1);
        CHECK(errors[0]->reason == c.reason);
        CHECK(errors[0]->detail.find("byte offset") != std::string::npos);
    }

    INFO("an entry count far beyond the content");
    Bytes image = without_digest(KeystoreWriter(KeystoreType::jks).add_trusted_cert("root", chain().root).build(u""));
    put_u32(image, 8, 0xFFFFFFFF);
    const auto [recognised, result] = decode(image);
    REQUIRE(recognised);
    CHECK(sha256s(result) == std::vector<std::string>{chain().root.sha256()});
    CHECK(count_events(result, "truncated") == 1);
}

TEST_CASE("jks: unknown entry tags and versions stop the decoder with an error") {
    SECTION("an unknown tag after a good entry") {
        const Bytes image = KeystoreWriter(KeystoreType::jks)
                                .add_trusted_cert("root", chain().root)
                                .add_raw_entry(JavaDataWriter().u32(9).utf("what").u64(0).data())
                                .add_trusted_cert("other", other_cert())
                                .build(u"");
        const auto [recognised, result] = decode(image);
        REQUIRE(recognised);
        CHECK(sha256s(result) == std::vector<std::string>{chain().root.sha256()});
        REQUIRE(result.events.size() == 1);
        CHECK(result.events[0].reason == "corrupt_keystore");
        CHECK(result.events[0].detail.find("unknown entry tag 9") != std::string::npos);
    }
    SECTION("a secret key entry in a JKS file, where only JCEKS has them") {
        Bytes image = KeystoreWriter(KeystoreType::jceks).add_secret_key("aes").build(u"");
        put_u32(image, 0, 0xFEEDFEED);
        const auto [recognised, result] = decode(image);
        REQUIRE(recognised);
        CHECK(count_events(result, "corrupt_keystore") == 1);
        CHECK(count_events(result, "jceks_secret_key_skipped") == 0);
    }
    SECTION("an unsupported version") {
        const Bytes image = KeystoreWriter(KeystoreType::jks, 3).add_trusted_cert("root", chain().root).build(u"");
        const auto [recognised, result] = decode(image);
        REQUIRE(recognised);
        CHECK(result.certificates.empty());
        REQUIRE(result.events.size() == 1);
        CHECK(result.events[0].reason == "corrupt_keystore");
        CHECK(result.events[0].detail.find("version 3") != std::string::npos);
    }
}

TEST_CASE("jks: content without a keystore magic is not recognised and adds nothing") {
    const Bytes keystore = KeystoreWriter(KeystoreType::jks).add_trusted_cert("root", chain().root).build(u"");
    Bytes near_miss = keystore;
    near_miss[3] = 0xEE;
    const std::vector<Bytes> not_keystores{
        {}, {0xFE, 0xED, 0xFE}, near_miss, chain().root.der, to_bytes(chain().root.pem()),
        {0xCE, 0xCE, 0xCE, 0xCF, 0, 0, 0, 2}, {0xAC, 0xED, 0x00, 0x05}};
    for (const auto& content : not_keystores) {
        const auto [recognised, result] = decode(content);
        CHECK_FALSE(recognised);
        CHECK(result.certificates.empty());
        CHECK(result.keys.empty());
        CHECK(result.events.empty());
    }
}
