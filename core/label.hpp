#pragma once
// Labels as users write them: `scan --label env=prod`, `inventory certs --label owner=payments`, owner maps.
#include <stdexcept>
#include <string>

#include "core/observation.hpp"

namespace certfleet {

class LabelError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// "key=value": key of letters, digits, '_', '-', '.', '/'; value not empty. Throws LabelError quoting the text.
Label parse_label(const std::string& text);

}  // namespace certfleet
