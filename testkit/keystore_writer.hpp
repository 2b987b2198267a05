#pragma once
// Builds Java keystore (JKS, JCEKS) byte images the way the JDK writes them, so the keystore decoder can be
// tested on exact, and deliberately damaged, input without running Java.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/cert_info.hpp"
#include "testkit/cert_factory.hpp"

namespace certfleet::testing {

// Big-endian output in the layout of java.io.DataOutputStream.
class JavaDataWriter {
public:
    JavaDataWriter& u8(std::uint8_t value);
    JavaDataWriter& u16(std::uint16_t value);
    JavaDataWriter& u32(std::uint32_t value);
    JavaDataWriter& u64(std::uint64_t value);
    JavaDataWriter& bytes(const Bytes& value);
    JavaDataWriter& utf(std::string_view text);  // writeUTF: u16 length, then the bytes (ASCII in tests)
    std::size_t size() const { return data_.size(); }
    const Bytes& data() const { return data_; }

private:
    Bytes data_;
};

enum class KeystoreType { jks, jceks };

class KeystoreWriter {
public:
    explicit KeystoreWriter(KeystoreType type, std::uint32_t version = 2);

    // `protected_key` stands in for the EncryptedPrivateKeyInfo, which the decoder must skip unread.
    KeystoreWriter& add_private_key(const std::string& alias, const std::vector<TestCert>& chain,
                                    const Bytes& protected_key = placeholder_protected_key());
    KeystoreWriter& add_trusted_cert(const std::string& alias, const TestCert& cert);
    // A secret key sealed as the SunJCE provider seals it (see sealed_secret_key_stream).
    KeystoreWriter& add_secret_key(const std::string& alias);
    // A secret-key entry whose content is `serialization_stream`, verbatim.
    KeystoreWriter& add_secret_key(const std::string& alias, const Bytes& serialization_stream);
    // Raw bytes in place of the next entry (tag included), counted as one entry.
    KeystoreWriter& add_raw_entry(const Bytes& entry);

    // The whole file, closed by the integrity digest for `password`.
    Bytes build(std::u16string_view password) const;

    static Bytes placeholder_protected_key();

private:
    JavaDataWriter& entry_header(std::uint32_t tag, const std::string& alias);
    void certificate(const TestCert& cert);

    KeystoreType type_;
    std::uint32_t version_;
    std::uint32_t entry_count_ = 0;
    JavaDataWriter entries_;
};

// The Java serialization stream JceKeyStore writes for a secret key: a
// com.sun.crypto.provider.SealedObjectForKeyProtector (extends javax.crypto.SealedObject) with an 8-byte salt
// PBE parameter block and `encrypted_size` bytes of ciphertext.
Bytes sealed_secret_key_stream(std::size_t encrypted_size = 144);

// SHA-1(password as UTF-16BE || "Mighty Aphrodite" || content): the keystore integrity digest.
Bytes keystore_digest(std::u16string_view password, const Bytes& content);

}  // namespace certfleet::testing
