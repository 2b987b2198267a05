#include "scanner/containers.hpp"
#include "scanner/decode.hpp"

namespace certfleet::scanner {

namespace {
constexpr std::uint8_t kSequence = 0x30, kInteger = 0x02, kObjectId = 0x06, kContextZero = 0xa0;

std::size_t header_size(std::span<const std::uint8_t> bytes) {
    return bytes[1] < 0x80 ? 2 : 2 + (bytes[1] & 0x7f);
}
}  // namespace

bool decode_der(std::span<const std::uint8_t> content, FileObservationBuilder& out) {
    // Certificates, PKCS#7 and PKCS#12 files are over 127 bytes, so their outer SEQUENCE has a long-form length;
    // requiring one keeps text files that happen to start with '0' out. Small keys (Ed25519 PKCS#8 is 48 bytes)
    // are let in by their version INTEGER 0 or 1, control bytes no text file has.
    const bool small_key = content.size() >= 5 && content[1] < 0x80 && content[2] == kInteger && content[3] == 1 &&
                           content[4] <= 1;
    if (content.size() < 8 || content[0] != kSequence || (content[1] < 0x81 && !small_key)) return false;
    const auto size = der_object_size(content);
    if (!size) return false;
    const std::size_t outer_header = header_size(content);
    const std::uint8_t first_inner = content[outer_header];
    if (first_inner != kSequence && first_inner != kInteger && first_inner != kObjectId) return false;
    if (*size > content.size()) {
        out.add_error("truncated", "DER object declares " + std::to_string(*size) + " bytes but the file has " +
                                       std::to_string(content.size()));
        return true;
    }
    // Tools sometimes pad DER files with a newline or zeros; anything else after the object is not DER.
    for (auto byte : content.subspan(*size))
        if (byte != '\n' && byte != '\r' && byte != 0) return false;
    const auto object = content.first(*size);
    const auto inner = object.subspan(outer_header);

    switch (first_inner) {
        case kObjectId:
            record_pkcs7(object, out);
            return true;
        case kInteger: {
            // PFX starts with version 3; PrivateKeyInfo with 0 or 1 then an AlgorithmIdentifier SEQUENCE; the
            // traditional RSA and DSA forms continue with INTEGERs, the EC form with an OCTET STRING.
            if (inner.size() < 4 || inner[1] != 1) return false;
            const std::uint8_t version = inner[2];
            if (version == 3) {
                record_pkcs12(object, out);
                return true;
            }
            const auto encoding = inner[3] == kSequence ? PrivateKeyEncoding::pkcs8 : PrivateKeyEncoding::traditional;
            record_private_key(object, encoding, {}, SourceFormat::der, out);
            return true;
        }
        default: {
            // A certificate's TBSCertificate starts with [0] version or the serial INTEGER; an
            // EncryptedPrivateKeyInfo's AlgorithmIdentifier starts with an OID.
            const std::size_t nested_header = inner.size() >= 2 ? header_size(inner) : inner.size();
            if (nested_header >= inner.size()) return false;
            const std::uint8_t tag = inner[nested_header];
            if (tag == kContextZero || tag == kInteger) {
                out.add_certificate(object, SourceFormat::der);
                return true;
            }
            if (tag == kObjectId) {
                record_private_key(object, PrivateKeyEncoding::encrypted_pkcs8, {}, SourceFormat::der, out);
                return true;
            }
            return false;
        }
    }
}

}  // namespace certfleet::scanner
