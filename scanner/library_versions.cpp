#include "scanner/library_versions.hpp"

#include <openssl/crypto.h>

#include <boost/version.hpp>

namespace certfleet::scanner {

std::vector<std::string> library_versions() {
    return {OpenSSL_version(OPENSSL_VERSION),
            "Boost " + std::to_string(BOOST_VERSION / 100000) + "." + std::to_string(BOOST_VERSION / 100 % 1000)};
}

}  // namespace certfleet::scanner
