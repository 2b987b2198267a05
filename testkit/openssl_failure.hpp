#pragma once
// What test helpers throw when OpenSSL refuses a step: the step and OpenSSL's reason.
#include <openssl/err.h>

#include <stdexcept>
#include <string>

namespace certfleet::testing {

[[noreturn]] inline void fail_with_openssl_reason(const std::string& what) {
    char reason[256];
    ERR_error_string_n(ERR_get_error(), reason, sizeof reason);
    ERR_clear_error();
    throw std::runtime_error(what + ": " + reason);
}

}  // namespace certfleet::testing
