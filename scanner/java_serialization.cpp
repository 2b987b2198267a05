#include "scanner/java_serialization.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace certfleet::scanner::java {
namespace {

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

}  // namespace

void skip_serialization_stream(Reader& in) { SerializedObjectSkipper(in).skip_stream(); }

}  // namespace certfleet::scanner::java
