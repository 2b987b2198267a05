// The JKS and JCEKS decoder on the Java serialization streams inside JCEKS entries, hostile ones included, and
// on keystores written by keytool.
#include <cstdlib>

#include "tests/unit/java_keystore_test_support.hpp"

using namespace certfleet;
using namespace certfleet::scanner;
using namespace certfleet::testing;
using namespace certfleet::testing::java_keystore;

namespace {

// A JCEKS file with `stream` as a secret-key entry between two trusted certificates.
Bytes jceks_around(const Bytes& stream) {
    return KeystoreWriter(KeystoreType::jceks)
        .add_trusted_cert("before", chain().root)
        .add_secret_key("odd", stream)
        .add_trusted_cert("after", other_cert())
        .build(u"");
}

}  // namespace

TEST_CASE("jks: serialized objects using the rest of the stream protocol are delimited exactly") {
    // Handles are numbered in the order the stream creates them, from 0x7E0000.
    std::uint32_t next_handle = 0x7E0000;
    const auto handle = [&] { return next_handle++; };

    JavaDataWriter s = stream_header();
    s.u8(TC_OBJECT).u8(TC_CLASSDESC).utf("test.Holder").u64(1);
    const std::uint32_t holder_class = handle();
    s.u8(SC_SERIALIZABLE | SC_WRITE_METHOD).u16(6);
    s.u8('I').utf("count");
    s.u8('Z').utf("flag");
    s.u8('[').utf("numbers").u8(TC_STRING).utf("[J");
    handle();
    s.u8('L').utf("colour").u8(TC_STRING).utf("Ltest/Colour;");
    handle();
    s.u8('L').utf("items").u8(TC_STRING).utf("[Ljava/lang/Object;");
    handle();
    s.u8('L').utf("ext").u8(TC_STRING).utf("Ltest/Ext;");
    handle();
    s.u8(TC_ENDBLOCKDATA).u8(TC_NULL);
    handle();  // the Holder

    s.u32(0x78).u8(1);  // count, flag
    // numbers: a long[] whose elements contain typecode-like bytes
    s.u8(TC_ARRAY).u8(TC_CLASSDESC).utf("[J").u64(2).u8(SC_SERIALIZABLE).u16(0).u8(TC_ENDBLOCKDATA).u8(TC_NULL);
    handle();
    handle();
    s.u32(2).u64(0x7878787878787878).u64(0x7071727374757677);
    // colour: an enum constant, its class descriptor chain ending in java.lang.Enum
    s.u8(TC_ENUM).u8(TC_CLASSDESC).utf("test.Colour").u64(0).u8(SC_SERIALIZABLE | SC_ENUM).u16(0).u8(TC_ENDBLOCKDATA);
    handle();
    s.u8(TC_CLASSDESC).utf("java.lang.Enum").u64(0).u8(SC_SERIALIZABLE | SC_ENUM).u16(0).u8(TC_ENDBLOCKDATA);
    handle();
    s.u8(TC_NULL);
    const std::uint32_t red = handle();
    s.u8(TC_STRING).utf("RED");
    handle();
    // items: an Object[] of strings, a back-reference, null, a proxy class and a nested Holder
    s.u8(TC_ARRAY).u8(TC_CLASSDESC).utf("[Ljava.lang.Object;").u64(3).u8(SC_SERIALIZABLE).u16(0);
    const std::uint32_t object_array_class = handle();
    s.u8(TC_ENDBLOCKDATA).u8(TC_NULL);
    handle();
    s.u32(6);
    s.u8(TC_STRING).utf("one");
    const std::uint32_t one = handle();
    s.u8(TC_LONGSTRING).u64(5).bytes({'t', 'h', 'r', 'e', 'e'});
    handle();
    s.u8(TC_REFERENCE).u32(one);
    s.u8(TC_NULL);
    s.u8(TC_CLASS).u8(TC_PROXYCLASSDESC);
    handle();
    s.u32(2).utf("java.lang.Runnable").utf("java.io.Closeable").u8(TC_ENDBLOCKDATA);
    s.u8(TC_CLASSDESC).utf("java.lang.reflect.Proxy").u64(4);
    handle();
    s.u8(SC_SERIALIZABLE).u16(1).u8('L').utf("h").u8(TC_STRING).utf("Ljava/lang/reflect/InvocationHandler;");
    handle();
    s.u8(TC_ENDBLOCKDATA).u8(TC_NULL);
    handle();  // the proxy class
    s.u8(TC_ARRAY).u8(TC_REFERENCE).u32(object_array_class);
    handle();
    s.u32(1).u8(TC_OBJECT).u8(TC_REFERENCE).u32(holder_class);
    handle();
    s.u32(7).u8(0).u8(TC_NULL).u8(TC_REFERENCE).u32(red).u8(TC_NULL).u8(TC_NULL);
    s.u8(TC_ENDBLOCKDATA);  // the nested Holder's writeObject wrote nothing extra
    // ext: an Externalizable object whose data is block data
    s.u8(TC_OBJECT).u8(TC_CLASSDESC).utf("test.Ext").u64(5).u8(SC_EXTERNALIZABLE | SC_BLOCK_DATA).u16(0);
    handle();
    s.u8(TC_ENDBLOCKDATA).u8(TC_NULL);
    handle();
    s.u8(TC_BLOCKDATA).u8(4).bytes({TC_ENDBLOCKDATA, TC_ENDBLOCKDATA, TC_NULL, TC_REFERENCE});
    s.u8(TC_BLOCKDATALONG).u32(3).bytes({TC_OBJECT, TC_CLASSDESC, TC_ARRAY});
    s.u8(TC_ENDBLOCKDATA);
    // The outer Holder's writeObject data: raw bytes and an object
    s.u8(TC_BLOCKDATA).u8(2).bytes({0xCA, 0xFE}).u8(TC_STRING).utf("extra").u8(TC_ENDBLOCKDATA);

    const auto [recognised, result] = decode(jceks_around(s.data()));

    REQUIRE(recognised);
    CHECK(events(result, EventLevel::error).empty());
    CHECK(sha256s(result) == std::vector<std::string>{chain().root.sha256(), other_cert().sha256()});
    REQUIRE(count_events(result, "jceks_secret_key_skipped") == 1);
    CHECK(result.events[0].detail.find(std::to_string(s.size()) + " bytes") != std::string::npos);
}

TEST_CASE("jks: hostile serialization streams end in an error, not a crash or a hang") {
    struct Case {
        const char* name;
        Bytes stream;
    };
    JavaDataWriter self_super = stream_header();
    self_super.u8(TC_OBJECT).u8(TC_CLASSDESC).utf("test.Loop").u64(0).u8(SC_SERIALIZABLE).u16(0);
    self_super.u8(TC_ENDBLOCKDATA).u8(TC_REFERENCE).u32(0x7E0000);  // its own superclass

    JavaDataWriter nested = stream_header();
    nested.u8(TC_ARRAY).u8(TC_CLASSDESC).utf("[Ljava.lang.Object;").u64(0).u8(SC_SERIALIZABLE).u16(0);
    nested.u8(TC_ENDBLOCKDATA).u8(TC_NULL).u32(1);
    for (int i = 0; i < 100'000; ++i) nested.u8(TC_ARRAY).u8(TC_REFERENCE).u32(0x7E0000).u32(1);
    nested.u8(TC_NULL);

    const std::vector<Case> cases{
        {"not a serialization stream", {0xAC, 0xED, 0x00, 0x04, TC_NULL}},
        {"a superclass cycle", self_super.data()},
        {"nesting beyond the depth limit", nested.data()},
        {"a reference to a handle never assigned",
         stream_header().u8(TC_OBJECT).u8(TC_REFERENCE).u32(0x7E0005).data()},
        {"a reference to a string where a class descriptor belongs",
         stream_header().u8(TC_OBJECT).u8(TC_CLASSDESC).utf("x.Y").u64(0).u8(SC_SERIALIZABLE).u16(1).u8('L')
             .utf("f").u8(TC_STRING).utf("Lx/Z;").u8(TC_ENDBLOCKDATA).u8(TC_NULL)
             .u8(TC_OBJECT).u8(TC_REFERENCE).u32(0x7E0001).data()},
        {"an unknown typecode", stream_header().u8(0x6F).data()},
        {"block data where an object belongs", stream_header().u8(TC_BLOCKDATA).u8(0).data()},
        {"an unknown field typecode",
         stream_header().u8(TC_OBJECT).u8(TC_CLASSDESC).utf("x.Y").u64(0).u8(SC_SERIALIZABLE).u16(1).u8('Q')
             .utf("f").data()},
        {"externalizable data without block data mode",
         stream_header().u8(TC_OBJECT).u8(TC_CLASSDESC).utf("x.Old").u64(0).u8(SC_EXTERNALIZABLE).u16(0)
             .u8(TC_ENDBLOCKDATA).u8(TC_NULL).u32(0).data()},
        {"an array whose class is not an array type",
         stream_header().u8(TC_ARRAY).u8(TC_CLASSDESC).utf("x.Y").u64(0).u8(SC_SERIALIZABLE).u16(0)
             .u8(TC_ENDBLOCKDATA).u8(TC_NULL).u32(1).data()},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        const auto [recognised, result] = decode(jceks_around(c.stream));
        REQUIRE(recognised);
        CHECK(sha256s(result) == std::vector<std::string>{chain().root.sha256()});
        CHECK(count_events(result, "jceks_secret_key_skipped") == 0);
        const auto errors = events(result, EventLevel::error);
        REQUIRE(errors.size() == 1);
        CHECK(errors[0]->reason == "corrupt_keystore");
        CHECK(errors[0]->detail.find("entry #1 'odd'") != std::string::npos);
    }
}

TEST_CASE("jks: keystores written by keytool are decoded") {
    // Java is slow to start, so both files come from four keytool runs and there are no SECTIONs to repeat them.
    if (std::system("command -v keytool >/dev/null 2>&1") != 0) {
        WARN("keytool is not on PATH; skipping the keytool interoperability test");
        return;
    }
    TempDir dir;
    const std::string password = "keytool-pass";
    const std::string jks = (dir / "store.jks").string();
    const std::string jceks = (dir / "store.jceks").string();
    const std::string trusted_pem = (dir / "trusted.pem").string();
    write_file(trusted_pem, other_cert().pem());
    const auto log = dir / "keytool.log";
    const auto keytool = [&](const std::string& arguments) {
        const std::string command =
            "keytool " + arguments + " -storepass " + password + " -noprompt >'" + log.string() + "' 2>&1";
        if (std::system(command.c_str()) == 0) return true;
        FAIL_CHECK(command << " failed:\n" << to_string(read_file(log)));
        return false;
    };
    REQUIRE(keytool("-genkeypair -alias server -keyalg EC -keysize 256 -dname CN=keytool.example -validity 30"
                    " -storetype JKS -keystore '" + jks + "' -keypass " + password));
    REQUIRE(keytool("-importcert -alias trusted -file '" + trusted_pem + "' -storetype JKS -keystore '" + jks + "'"));
    REQUIRE(keytool("-genseckey -alias secret -keyalg AES -keysize 128 -storetype JCEKS -keystore '" + jceks +
                    "' -keypass " + password));
    REQUIRE(keytool("-importcert -alias trusted -file '" + trusted_pem + "' -storetype JCEKS -keystore '" + jceks +
                    "'"));

    {
        INFO("JKS with a key pair and a trusted certificate");
        const auto [recognised, result] = decode(read_file(jks), {"", password});
        REQUIRE(recognised);
        CHECK(result.events.empty());
        // keytool writes entries in hash table order, not insertion order.
        const auto found = sha256s(result);
        REQUIRE(found.size() == 2);
        const auto trusted = std::find(found.begin(), found.end(), other_cert().sha256());
        REQUIRE(trusted != found.end());
        const auto& generated = result.certificates[trusted == found.begin() ? 1 : 0];
        CHECK(generated.cert->subject == "CN=keytool.example");
        for (const auto& sighting : result.certificates) CHECK(sighting.location.format == SourceFormat::jks);
        REQUIRE(result.keys.size() == 1);
        CHECK(result.keys[0].format == SourceFormat::jks);
        CHECK(result.keys[0].spki_sha256 == generated.cert->spki_sha256);
    }
    {
        INFO("JCEKS with a secret key and a trusted certificate");
        const auto [recognised, result] = decode(read_file(jceks), {"", password});
        REQUIRE(recognised);
        CHECK(sha256s(result) == std::vector<std::string>{other_cert().sha256()});
        CHECK(result.certificates.at(0).location.format == SourceFormat::jceks);
        CHECK(result.keys.empty());
        CHECK(events(result, EventLevel::error).empty());
        REQUIRE(result.events.size() == 1);
        CHECK(result.events[0].reason == "jceks_secret_key_skipped");
        CHECK(result.events[0].detail.find("'secret'") != std::string::npos);
    }
    {
        INFO("without the password the integrity digest is unverified");
        const auto [recognised, result] = decode(read_file(jks), {""});
        REQUIRE(recognised);
        CHECK(result.certificates.size() == 2);
        CHECK(count_events(result, "integrity_unverified") == 1);
    }
}
