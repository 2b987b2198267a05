#include "core/label.hpp"

#include <algorithm>
#include <cctype>

namespace certfleet {

Label parse_label(const std::string& text) {
    const auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
        throw LabelError("label '" + text + "': expected key=value");
    Label label{text.substr(0, eq), text.substr(eq + 1)};
    const bool key_ok = std::all_of(label.key.begin(), label.key.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '-' || c == '.' || c == '/';
    });
    if (!key_ok) throw LabelError("label '" + text + "': the key may hold letters, digits, '_', '-', '.' and '/' only");
    return label;
}

}  // namespace certfleet
