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
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/certificate.hpp"
#include "core/encoding.hpp"
#include "core/openssl_handles.hpp"

namespace certfleet::scanner {
namespace {

constexpr std::uint32_t kJksMagic = 0xFEEDFEED;
constexpr std::uint32_t kJceksMagic = 0xCECECECE;
constexpr std::size_t kDigestSize = 20;
constexpr std::string_view kDigestWhitener = "Mighty Aphrodite";

template <typename... Parts>
std::string concat(const Parts&... parts) {
    std::ostringstream out;
    (out << ... << parts);
    return out.str();
}

// "0x" and the value's bytes, e.g. 0x7e, 0xaced, 0x007e0005.
template <typename Unsigned>
std::string hex(Unsigned value) {
    std::array<std::uint8_t, sizeof(Unsigned)> bytes{};
    for (std::size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = static_cast<std::uint8_t>(value >> (8 * (bytes.size() - 1 - i)));
    return "0x" + to_hex(bytes);
}

// Damage found while parsing. It unwinds to decode_java_keystore, which records it and keeps what was read.
struct Damage {
    std::string reason;  // "truncated" or "corrupt_keystore"
    std::string detail;
};

[[noreturn]] void corrupt(std::string detail) {
    throw Damage{"corrupt_keystore", std::move(detail)};
}

// Bounds-checked big-endian reads. Offsets in messages are from the start of the file.
class Reader {
public:
    explicit Reader(std::span<const std::uint8_t> data) : data_(data) {}

    std::size_t offset() const { return pos_; }
    std::size_t remaining() const { return data_.size() - pos_; }

    std::span<const std::uint8_t> bytes(std::uint64_t count, std::string_view what) {
        if (count > remaining())
            throw Damage{"truncated", concat(what, " at byte offset ", pos_, " needs ", count, " bytes but only ",
                                             remaining(), " remain")};
        const auto out = data_.subspan(pos_, static_cast<std::size_t>(count));
        pos_ += out.size();
        return out;
    }

    std::uint8_t u8(std::string_view what) { return static_cast<std::uint8_t>(unsigned_int(1, what)); }
    std::uint16_t u16(std::string_view what) { return static_cast<std::uint16_t>(unsigned_int(2, what)); }
    std::uint32_t u32(std::string_view what) { return static_cast<std::uint32_t>(unsigned_int(4, what)); }
    std::uint64_t u64(std::string_view what) { return unsigned_int(8, what); }
    std::int32_t i32(std::string_view what) { return static_cast<std::int32_t>(u32(what)); }
    std::int64_t i64(std::string_view what) { return static_cast<std::int64_t>(u64(what)); }

    // A Java "UTF" string's bytes, undecoded.
    std::span<const std::uint8_t> utf(std::string_view what) { return bytes(u16(what), what); }

private:
    std::uint64_t unsigned_int(std::size_t width, std::string_view what) {
        std::uint64_t value = 0;
        for (const auto b : bytes(width, what)) value = (value << 8) | b;
        return value;
    }

    std::span<const std::uint8_t> data_;
    std::size_t pos_ = 0;
};

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

// Just enough of the Java Object Serialization Stream Protocol (Java SE "Object Serialization Specification",
// chapter 6) to find where one serialized object ends, since a JCEKS secret-key entry has no length prefix.
// Values are read and dropped. Class descriptors are kept, because the layout of an object's or array's data
// is given by a descriptor that may be named later by a back-reference.
class SerializedObjectSkipper {
public:
    explicit SerializedObjectSkipper(Reader& in) : in_(in) {}

    // The stream header and exactly one object, as one ObjectInputStream.readObject() call consumes them.
    void skip_stream() {
        const auto offset = in_.offset();
        const std::uint16_t magic = in_.u16("serialization stream magic");
        const std::uint16_t version = in_.u16("serialization stream version");
        if (magic != 0xACED || version != 5)
            corrupt(concat("no Java serialization stream (magic ", hex(magic), ", version ", version,
                           ") at byte offset ", offset));
        object(0);
    }

private:
    static constexpr std::uint8_t TC_NULL = 0x70;
    static constexpr std::uint8_t TC_REFERENCE = 0x71;
    static constexpr std::uint8_t TC_CLASSDESC = 0x72;
    static constexpr std::uint8_t TC_OBJECT = 0x73;
    static constexpr std::uint8_t TC_STRING = 0x74;
    static constexpr std::uint8_t TC_ARRAY = 0x75;
    static constexpr std::uint8_t TC_CLASS = 0x76;
    static constexpr std::uint8_t TC_BLOCKDATA = 0x77;
    static constexpr std::uint8_t TC_ENDBLOCKDATA = 0x78;
    static constexpr std::uint8_t TC_BLOCKDATALONG = 0x7A;
    static constexpr std::uint8_t TC_LONGSTRING = 0x7C;
    static constexpr std::uint8_t TC_PROXYCLASSDESC = 0x7D;
    static constexpr std::uint8_t TC_ENUM = 0x7E;

    static constexpr std::uint8_t SC_WRITE_METHOD = 0x01;
    static constexpr std::uint8_t SC_SERIALIZABLE = 0x02;
    static constexpr std::uint8_t SC_EXTERNALIZABLE = 0x04;
    static constexpr std::uint8_t SC_BLOCK_DATA = 0x08;

    static constexpr std::uint32_t kBaseHandle = 0x7E0000;
    // A SealedObject nests four levels deep and real class hierarchies are shallow; these only stop hostile
    // input from exhausting the stack or looping through a descriptor that names itself as its superclass.
    static constexpr int kMaxDepth = 64;
    static constexpr std::size_t kMaxHierarchy = 64;

    enum class HandleKind { class_desc, string, other };
    struct Handle {
        HandleKind kind = HandleKind::other;
        std::size_t desc = 0;  // index into descs_ when kind is class_desc
    };
    struct ClassDesc {
        std::string name;
        std::uint8_t flags = 0;
        std::string field_types;  // one typecode per field, in stream order
        std::optional<std::size_t> super;
    };

    void check_depth(int depth) const {
        if (depth > kMaxDepth)
            corrupt(concat("serialized object nested deeper than ", kMaxDepth, " levels at byte offset ",
                           in_.offset()));
    }

    void new_handle(HandleKind kind, std::size_t desc = 0) { handles_.push_back(Handle{kind, desc}); }

    const Handle& reference() {
        const auto offset = in_.offset();
        const std::uint32_t handle = in_.u32("serialization back-reference");
        if (handle < kBaseHandle || handle - kBaseHandle >= handles_.size())
            corrupt(concat("serialization back-reference to unknown handle ", hex(handle), " at byte offset ",
                           offset));
        return handles_[handle - kBaseHandle];
    }

    void object(int depth) {
        const auto offset = in_.offset();
        object_after_typecode(in_.u8("serialization typecode"), offset, depth);
    }

    void object_after_typecode(std::uint8_t typecode, std::size_t offset, int depth) {
        check_depth(depth);
        switch (typecode) {
            case TC_NULL:
                return;
            case TC_REFERENCE:
                reference();
                return;
            case TC_OBJECT: {
                const std::size_t desc = required_class_desc(depth + 1);
                new_handle(HandleKind::other);
                class_data(desc, depth + 1);
                return;
            }
            case TC_CLASS:
                required_class_desc(depth + 1);
                new_handle(HandleKind::other);
                return;
            case TC_ARRAY: {
                const std::size_t desc = required_class_desc(depth + 1);
                new_handle(HandleKind::other);
                array_elements(desc, depth + 1);
                return;
            }
            case TC_STRING:
            case TC_LONGSTRING:
                string_after_typecode(typecode);
                return;
            case TC_ENUM:
                required_class_desc(depth + 1);
                new_handle(HandleKind::other);
                string_object(depth + 1);
                return;
            case TC_CLASSDESC:
            case TC_PROXYCLASSDESC:
                new_class_desc(typecode, depth);
                return;
            default:
                corrupt(concat("unexpected serialization typecode ", hex(typecode), " at byte offset ", offset));
        }
    }

    void string_after_typecode(std::uint8_t typecode) {
        new_handle(HandleKind::string);
        if (typecode == TC_STRING) {
            in_.utf("serialized string");
            return;
        }
        const std::int64_t length = in_.i64("serialized long string length");
        if (length < 0) corrupt(concat("negative serialized string length at byte offset ", in_.offset() - 8));
        in_.bytes(static_cast<std::uint64_t>(length), "serialized long string");
    }

    // Field type names and enum constant names: a string, or null.
    void string_object(int depth) {
        check_depth(depth);
        const auto offset = in_.offset();
        const std::uint8_t typecode = in_.u8("serialization typecode");
        if (typecode == TC_STRING || typecode == TC_LONGSTRING)
            string_after_typecode(typecode);
        else if (typecode == TC_REFERENCE && reference().kind != HandleKind::string)
            corrupt(concat("back-reference at byte offset ", offset, " does not name a string"));
        else if (typecode != TC_NULL && typecode != TC_REFERENCE)
            corrupt(concat("expected a serialized string at byte offset ", offset, ", found typecode ",
                           hex(typecode)));
    }

    std::optional<std::size_t> class_desc(int depth) {
        check_depth(depth);
        const auto offset = in_.offset();
        const std::uint8_t typecode = in_.u8("serialization typecode");
        switch (typecode) {
            case TC_NULL:
                return std::nullopt;
            case TC_REFERENCE: {
                const Handle& handle = reference();
                if (handle.kind != HandleKind::class_desc)
                    corrupt(concat("back-reference at byte offset ", offset, " does not name a class descriptor"));
                return handle.desc;
            }
            case TC_CLASSDESC:
            case TC_PROXYCLASSDESC:
                return new_class_desc(typecode, depth);
            default:
                corrupt(concat("expected a class descriptor at byte offset ", offset, ", found typecode ",
                               hex(typecode)));
        }
    }

    std::size_t required_class_desc(int depth) {
        const auto offset = in_.offset();
        const auto desc = class_desc(depth);
        if (!desc) corrupt(concat("null class descriptor at byte offset ", offset));
        return *desc;
    }

    // descs_ may grow while this descriptor's annotation and superclass are read, so it is addressed by index.
    std::size_t new_class_desc(std::uint8_t typecode, int depth) {
        const std::size_t index = descs_.size();
        if (typecode == TC_PROXYCLASSDESC) {
            descs_.push_back(ClassDesc{{}, SC_SERIALIZABLE, {}, std::nullopt});
            new_handle(HandleKind::class_desc, index);
            const std::uint32_t interfaces = in_.u32("proxy interface count");
            for (std::uint32_t i = 0; i < interfaces; ++i) in_.utf("proxy interface name");
        } else {
            const auto name = in_.utf("serialized class name");
            in_.u64("serialVersionUID");
            descs_.push_back(ClassDesc{std::string(name.begin(), name.end()), 0, {}, std::nullopt});
            new_handle(HandleKind::class_desc, index);
            descs_[index].flags = in_.u8("class descriptor flags");
            const std::uint16_t fields = in_.u16("field count");
            for (std::uint16_t i = 0; i < fields; ++i) {
                const auto offset = in_.offset();
                const std::uint8_t type = in_.u8("field typecode");
                in_.utf("field name");
                if (type == '[' || type == 'L')
                    string_object(depth + 1);
                else if (primitive_size(type) == 0)
                    corrupt(concat("unknown field typecode ", hex(type), " at byte offset ", offset));
                descs_[index].field_types.push_back(static_cast<char>(type));
            }
        }
        annotation(depth + 1);
        descs_[index].super = class_desc(depth + 1);
        return index;
    }

    // Contents (objects and block data) up to TC_ENDBLOCKDATA: class annotations and writeObject data.
    void annotation(int depth) {
        check_depth(depth);
        for (;;) {
            const auto offset = in_.offset();
            const std::uint8_t typecode = in_.u8("serialization typecode");
            if (typecode == TC_ENDBLOCKDATA) return;
            if (typecode == TC_BLOCKDATA) {
                in_.bytes(in_.u8("block data length"), "block data");
            } else if (typecode == TC_BLOCKDATALONG) {
                const std::int32_t length = in_.i32("block data length");
                if (length < 0) corrupt(concat("negative block data length at byte offset ", offset + 1));
                in_.bytes(static_cast<std::uint64_t>(length), "block data");
            } else {
                object_after_typecode(typecode, offset, depth + 1);
            }
        }
    }

    // Serializable objects carry each class's fields from the topmost superclass down; externalizable ones
    // carry one block of data written by writeExternal.
    void class_data(std::size_t desc, int depth) {
        if (descs_[desc].flags & SC_EXTERNALIZABLE) {
            if (!(descs_[desc].flags & SC_BLOCK_DATA))
                corrupt(concat("externalizable object without block data (stream protocol 1) at byte offset ",
                               in_.offset(), " cannot be delimited"));
            annotation(depth);
            return;
        }
        std::vector<std::size_t> hierarchy;
        for (std::optional<std::size_t> cls = desc; cls; cls = descs_[*cls].super) {
            if (hierarchy.size() == kMaxHierarchy)
                corrupt(concat("class hierarchy deeper than ", kMaxHierarchy, " (a cycle?) before byte offset ",
                               in_.offset()));
            hierarchy.push_back(*cls);
        }
        for (auto cls = hierarchy.rbegin(); cls != hierarchy.rend(); ++cls) {
            for (std::size_t field = 0; field < descs_[*cls].field_types.size(); ++field) {
                const auto type = static_cast<std::uint8_t>(descs_[*cls].field_types[field]);
                if (type == '[' || type == 'L')
                    object(depth + 1);
                else
                    in_.bytes(primitive_size(type), "serialized field value");
            }
            if (descs_[*cls].flags & SC_WRITE_METHOD) annotation(depth);
        }
    }

    void array_elements(std::size_t desc, int depth) {
        const auto offset = in_.offset();
        const std::int32_t length = in_.i32("array length");
        if (length < 0) corrupt(concat("negative array length at byte offset ", offset));
        const std::string& name = descs_[desc].name;  // only valid until the elements are read
        const std::uint8_t element = name.size() >= 2 && name[0] == '[' ? static_cast<std::uint8_t>(name[1]) : 0;
        if (element == '[' || element == 'L') {
            for (std::int32_t i = 0; i < length; ++i) object(depth + 1);
        } else if (const std::size_t size = primitive_size(element); size != 0) {
            in_.bytes(static_cast<std::uint64_t>(length) * size, "array elements");
        } else {
            corrupt(concat("array at byte offset ", offset, " has a class descriptor that is not an array type"));
        }
    }

    static std::size_t primitive_size(std::uint8_t typecode) {
        switch (typecode) {
            case 'B': case 'Z': return 1;
            case 'C': case 'S': return 2;
            case 'F': case 'I': return 4;
            case 'D': case 'J': return 8;
            default: return 0;
        }
    }

    Reader& in_;
    std::vector<Handle> handles_;
    std::vector<ClassDesc> descs_;
};

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
        SerializedObjectSkipper(in_).skip_stream();
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
