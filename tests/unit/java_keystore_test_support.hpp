#pragma once
// What the Java keystore tests share: decode() through the JKS/JCEKS decoder alone, the test certificates,
// questions to the observations, and the Java serialization stream's constants.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "scanner/decode.hpp"
#include "scanner/java_keystore.hpp"
#include "testkit/cert_factory.hpp"
#include "testkit/keystore_writer.hpp"
#include "testkit/observations.hpp"

namespace certfleet::testing::java_keystore {

using namespace certfleet::scanner;

struct Decoded {
    bool recognised = false;
    FileObservations result;
};

// The content through the JKS/JCEKS decoder alone: whether it took it for a keystore, and what it found.
inline Decoded decode(const Bytes& content, std::vector<std::string> passwords = {""},
                      CertificateCache* cache = nullptr) {
    DecodeOptions options;
    options.passwords = std::move(passwords);
    options.cache = cache;
    FileObservationBuilder out("store", options);
    const bool recognised = decode_java_keystore(content, out);
    return {recognised, out.take()};
}

inline const TestChain& chain() {
    static const TestChain shared = make_chain("keystore.example");
    return shared;
}

inline const TestCert& other_cert() {
    static const TestCert shared = [] {
        CertSpec spec;
        spec.subject_cn = "other.example";
        return TestCert::make(spec, TestKey::shared({}, 4));
    }();
    return shared;
}

inline std::vector<std::string> sha256s(const FileObservations& result) {
    std::vector<std::string> out;
    for (const auto& sighting : result.certificates) out.push_back(sighting.cert->sha256);
    return out;
}

inline std::vector<const ScanEvent*> events(const FileObservations& result, EventLevel level) {
    std::vector<const ScanEvent*> out;
    for (const auto& event : result.events)
        if (event.level == level) out.push_back(&event);
    return out;
}

inline std::size_t count_events(const FileObservations& result, const std::string& reason) {
    return static_cast<std::size_t>(std::count_if(result.events.begin(), result.events.end(),
                                                  [&](const ScanEvent& e) { return e.reason == reason; }));
}

// java.io.ObjectStreamConstants: the typecodes and class descriptor flags of a serialization stream.
inline constexpr std::uint8_t TC_NULL = 0x70, TC_REFERENCE = 0x71, TC_CLASSDESC = 0x72, TC_OBJECT = 0x73,
                              TC_STRING = 0x74, TC_ARRAY = 0x75, TC_CLASS = 0x76, TC_BLOCKDATA = 0x77,
                              TC_ENDBLOCKDATA = 0x78, TC_BLOCKDATALONG = 0x7A, TC_LONGSTRING = 0x7C,
                              TC_PROXYCLASSDESC = 0x7D, TC_ENUM = 0x7E;
inline constexpr std::uint8_t SC_WRITE_METHOD = 0x01, SC_SERIALIZABLE = 0x02, SC_EXTERNALIZABLE = 0x04,
                              SC_BLOCK_DATA = 0x08, SC_ENUM = 0x10;

// The serialization stream's magic and version, as every stream starts.
inline JavaDataWriter stream_header() {
    JavaDataWriter s;
    s.u16(0xACED).u16(5);
    return s;
}

}  // namespace certfleet::testing::java_keystore
