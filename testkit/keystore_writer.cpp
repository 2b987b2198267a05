#include "testkit/keystore_writer.hpp"

#include <openssl/evp.h>

#include <array>
#include <stdexcept>

namespace certfleet::testing {

JavaDataWriter& JavaDataWriter::u8(std::uint8_t value) {
    data_.push_back(value);
    return *this;
}

JavaDataWriter& JavaDataWriter::u16(std::uint16_t value) {
    return u8(static_cast<std::uint8_t>(value >> 8)).u8(static_cast<std::uint8_t>(value));
}

JavaDataWriter& JavaDataWriter::u32(std::uint32_t value) {
    return u16(static_cast<std::uint16_t>(value >> 16)).u16(static_cast<std::uint16_t>(value));
}

JavaDataWriter& JavaDataWriter::u64(std::uint64_t value) {
    return u32(static_cast<std::uint32_t>(value >> 32)).u32(static_cast<std::uint32_t>(value));
}

JavaDataWriter& JavaDataWriter::bytes(const Bytes& value) {
    data_.insert(data_.end(), value.begin(), value.end());
    return *this;
}

JavaDataWriter& JavaDataWriter::utf(std::string_view text) {
    if (text.size() > 0xFFFF) throw std::invalid_argument("Java UTF strings hold at most 65535 bytes");
    u16(static_cast<std::uint16_t>(text.size()));
    data_.insert(data_.end(), text.begin(), text.end());
    return *this;
}

namespace {

constexpr std::uint32_t kPrivateKeyTag = 1;
constexpr std::uint32_t kTrustedCertTag = 2;
constexpr std::uint32_t kSecretKeyTag = 3;
constexpr std::uint64_t kCreationTime = 1'700'000'000'000;  // ms since the epoch, as Java stores it

// Stand-in ciphertext: every byte value, so it holds bytes that look like serialization typecodes and magic.
Bytes pattern_bytes(std::size_t size, std::uint8_t seed) {
    Bytes out(size);
    for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<std::uint8_t>(seed + i * 37);
    return out;
}

}  // namespace

KeystoreWriter::KeystoreWriter(KeystoreType type, std::uint32_t version) : type_(type), version_(version) {}

Bytes KeystoreWriter::placeholder_protected_key() {
    // Shaped like an EncryptedPrivateKeyInfo (SEQUENCE { AlgorithmIdentifier, OCTET STRING }) but meaningless.
    Bytes key{0x30, 0x81, 0x8A, 0x30, 0x0E, 0x06, 0x0A, 0x2B, 0x06, 0x01, 0x04, 0x01, 0x2A, 0x02, 0x11,
              0x01, 0x01, 0x05, 0x00, 0x04, 0x78};
    const Bytes ciphertext = pattern_bytes(0x78, 0x5A);
    key.insert(key.end(), ciphertext.begin(), ciphertext.end());
    return key;
}

JavaDataWriter& KeystoreWriter::entry_header(std::uint32_t tag, const std::string& alias) {
    ++entry_count_;
    return entries_.u32(tag).utf(alias).u64(kCreationTime);
}

void KeystoreWriter::certificate(const TestCert& cert) {
    if (version_ == 2) entries_.utf("X.509");
    entries_.u32(static_cast<std::uint32_t>(cert.der.size())).bytes(cert.der);
}

KeystoreWriter& KeystoreWriter::add_private_key(const std::string& alias, const std::vector<TestCert>& chain,
                                                const Bytes& protected_key) {
    entry_header(kPrivateKeyTag, alias)
        .u32(static_cast<std::uint32_t>(protected_key.size()))
        .bytes(protected_key)
        .u32(static_cast<std::uint32_t>(chain.size()));
    for (const auto& cert : chain) certificate(cert);
    return *this;
}

KeystoreWriter& KeystoreWriter::add_trusted_cert(const std::string& alias, const TestCert& cert) {
    entry_header(kTrustedCertTag, alias);
    certificate(cert);
    return *this;
}

KeystoreWriter& KeystoreWriter::add_secret_key(const std::string& alias) {
    return add_secret_key(alias, sealed_secret_key_stream());
}

KeystoreWriter& KeystoreWriter::add_secret_key(const std::string& alias, const Bytes& serialization_stream) {
    if (type_ != KeystoreType::jceks) throw std::logic_error("only JCEKS keystores hold secret keys");
    entry_header(kSecretKeyTag, alias).bytes(serialization_stream);
    return *this;
}

KeystoreWriter& KeystoreWriter::add_raw_entry(const Bytes& entry) {
    ++entry_count_;
    entries_.bytes(entry);
    return *this;
}

Bytes KeystoreWriter::build(std::u16string_view password) const {
    JavaDataWriter out;
    out.u32(type_ == KeystoreType::jks ? 0xFEEDFEED : 0xCECECECE).u32(version_).u32(entry_count_);
    out.bytes(entries_.data());
    out.bytes(keystore_digest(password, out.data()));
    return out.data();
}

Bytes sealed_secret_key_stream(std::size_t encrypted_size) {
    // Byte for byte what JDK 17's JceKeyStore.engineStore writes (a fresh ObjectOutputStream per entry, so
    // handles restart at 0x7E0000), apart from the salt and ciphertext.
    constexpr std::uint8_t TC_NULL = 0x70, TC_REFERENCE = 0x71, TC_CLASSDESC = 0x72, TC_OBJECT = 0x73,
                           TC_STRING = 0x74, TC_ARRAY = 0x75, TC_ENDBLOCKDATA = 0x78, SC_SERIALIZABLE = 0x02;
    constexpr std::uint32_t kByteArrayTypeHandle = 0x7E0002;  // the "[B" field type string
    constexpr std::uint32_t kStringTypeHandle = 0x7E0003;     // the "Ljava/lang/String;" field type string
    constexpr std::uint32_t kByteArrayClassHandle = 0x7E0005;  // the class descriptor of byte[]
    // DER PBEParameter: SEQUENCE { OCTET STRING salt (8), INTEGER iterationCount 200000 }
    const Bytes encoded_params{0x30, 0x0F, 0x04, 0x08, 0x7B, 0x6E, 0x02, 0x13, 0x48,
                               0x2C, 0xB9, 0x0B, 0x02, 0x03, 0x03, 0x0D, 0x40};
    const Bytes encrypted_content = pattern_bytes(encrypted_size, 0xCE);

    JavaDataWriter s;
    s.u16(0xACED).u16(5);
    s.u8(TC_OBJECT);
    s.u8(TC_CLASSDESC).utf("com.sun.crypto.provider.SealedObjectForKeyProtector");  // 0x7E0000
    s.u64(0xCD57CA59E730BB53);                                                        // serialVersionUID
    s.u8(SC_SERIALIZABLE).u16(0);  // no fields of its own
    s.u8(TC_ENDBLOCKDATA);         // no class annotation
    s.u8(TC_CLASSDESC).utf("javax.crypto.SealedObject").u64(0x3E363DA6C3B75470);  // superclass, 0x7E0001
    s.u8(SC_SERIALIZABLE).u16(4);
    s.u8('[').utf("encodedParams").u8(TC_STRING).utf("[B");  // 0x7E0002
    s.u8('[').utf("encryptedContent").u8(TC_REFERENCE).u32(kByteArrayTypeHandle);
    s.u8('L').utf("paramsAlg").u8(TC_STRING).utf("Ljava/lang/String;");  // 0x7E0003
    s.u8('L').utf("sealAlg").u8(TC_REFERENCE).u32(kStringTypeHandle);
    s.u8(TC_ENDBLOCKDATA);
    s.u8(TC_NULL);  // java.lang.Object is not serializable: the descriptor chain ends
    // The object itself is 0x7E0004; its SealedObject field values follow in descriptor order.
    s.u8(TC_ARRAY).u8(TC_CLASSDESC).utf("[B").u64(0xACF317F8060854E0);  // byte[] descriptor, 0x7E0005
    s.u8(SC_SERIALIZABLE).u16(0).u8(TC_ENDBLOCKDATA).u8(TC_NULL);
    s.u32(static_cast<std::uint32_t>(encoded_params.size())).bytes(encoded_params);  // array 0x7E0006
    s.u8(TC_ARRAY).u8(TC_REFERENCE).u32(kByteArrayClassHandle);                      // array 0x7E0007
    s.u32(static_cast<std::uint32_t>(encrypted_content.size())).bytes(encrypted_content);
    s.u8(TC_STRING).utf("PBEWithMD5AndTripleDES");  // paramsAlg, 0x7E0008
    s.u8(TC_STRING).utf("PBEWithMD5AndTripleDES");  // sealAlg, 0x7E0009
    return s.data();
}

Bytes keystore_digest(std::u16string_view password, const Bytes& content) {
    static constexpr std::string_view kWhitener = "Mighty Aphrodite";
    Bytes input;
    for (const char16_t unit : password) {
        input.push_back(static_cast<std::uint8_t>(unit >> 8));
        input.push_back(static_cast<std::uint8_t>(unit & 0xFF));
    }
    input.insert(input.end(), kWhitener.begin(), kWhitener.end());
    input.insert(input.end(), content.begin(), content.end());
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(input.data(), input.size(), digest.data(), &length, EVP_sha1(), nullptr) != 1)
        throw std::runtime_error("SHA-1 failed");
    return Bytes(digest.begin(), digest.begin() + length);
}

}  // namespace certfleet::testing
