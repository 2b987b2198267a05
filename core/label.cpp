#include "core/label.hpp"

#include <algorithm>
#include <cctype>

namespace certfleet {

Label parse_label(const std::string& text) {
    const auto eq = text.find('=');
    const std::string problem = "label '" + text + "': expected key=value, ";
    if (eq == std::string::npos) throw LabelError(problem + "got no '=' (write " + text + "=VALUE)");
    if (eq == 0) throw LabelError(problem + "the key is empty (write KEY" + text + ")");
    if (eq + 1 == text.size()) throw LabelError(problem + "the value is empty (write " + text + "VALUE)");
    Label label{text.substr(0, eq), text.substr(eq + 1)};
    const bool key_ok = std::all_of(label.key.begin(), label.key.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '-' || c == '.' || c == '/';
    });
    if (!key_ok) throw LabelError("label '" + text + "': the key may hold letters, digits, '_', '-', '.' and '/' only");
    return label;
}

}  // namespace certfleet
