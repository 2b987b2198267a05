#pragma once
// The server side of one TLS endpoint: its default chain, the chains it picks by SNI, and an optional OCSP staple.
#include <boost/asio/ssl/context.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "testkit/fleet/fleet_config.hpp"

namespace certfleet::fleet {

class TlsEndpointContext {
public:
    explicit TlsEndpointContext(const TlsSettings& settings);  // throws std::runtime_error naming the file
    TlsEndpointContext(const TlsEndpointContext&) = delete;  // OpenSSL callbacks hold pointers into it
    TlsEndpointContext& operator=(const TlsEndpointContext&) = delete;

    // The context every connection starts with; its SNI callback moves a connection to a named chain.
    boost::asio::ssl::context& initial() { return chains_.front()->context; }

private:
    struct Chain {
        boost::asio::ssl::context context{boost::asio::ssl::context::tls_server};
        std::vector<unsigned char> ocsp_response;  // DER; empty when not stapling
    };

    std::unique_ptr<Chain> load(const ChainFiles& files, const TlsSettings& settings);
    static int select_by_name(SSL* ssl, int* alert, void* self);

    std::vector<std::unique_ptr<Chain>> chains_;  // the default chain first
    std::map<std::string, Chain*> by_name_;
};

}  // namespace certfleet::fleet
