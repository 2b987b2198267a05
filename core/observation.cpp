#include "core/observation.hpp"

#include <array>
#include <utility>

namespace certfleet {

namespace {
constexpr std::array<std::pair<SourceFormat, const char*>, 8> kFormatNames{{
    {SourceFormat::pem, "pem"},
    {SourceFormat::der, "der"},
    {SourceFormat::pkcs7, "pkcs7"},
    {SourceFormat::pkcs12, "pkcs12"},
    {SourceFormat::jks, "jks"},
    {SourceFormat::jceks, "jceks"},
    {SourceFormat::k8s, "k8s"},
    {SourceFormat::embedded, "embedded"},
}};
}  // namespace

const char* to_string(SourceFormat f) {
    for (const auto& [format, name] : kFormatNames)
        if (format == f) return name;
    return "unknown";
}

std::optional<SourceFormat> source_format_from_string(const std::string& s) {
    for (const auto& [format, name] : kFormatNames)
        if (s == name) return format;
    return std::nullopt;
}

const char* to_string(KeyState s) {
    switch (s) {
        case KeyState::readable: return "readable";
        case KeyState::encrypted: return "encrypted";
        case KeyState::in_keystore: return "in_keystore";
    }
    return "unknown";
}

}  // namespace certfleet
