#include "testkit/fleet/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/ssl.h>

#include <stdexcept>

#include "core/openssl_handles.hpp"
#include "testkit/openssl_failure.hpp"

namespace certfleet::fleet {

namespace {

using OcspCertIdPtr = std::unique_ptr<OCSP_CERTID, ossl::Deleter<OCSP_CERTID_free>>;
using OcspBasicResponsePtr = std::unique_ptr<OCSP_BASICRESP, ossl::Deleter<OCSP_BASICRESP_free>>;
using OcspResponsePtr = std::unique_ptr<OCSP_RESPONSE, ossl::Deleter<OCSP_RESPONSE_free>>;
using Asn1TimePtr = std::unique_ptr<ASN1_TIME, ossl::Deleter<ASN1_TIME_free>>;

// A "good" response for the leaf, signed by the leaf's own key: well formed, so clients parse and report it,
// but deliberately not from an authorised responder, so nothing should trust it.
std::vector<unsigned char> dummy_ocsp_response(SSL_CTX* ctx) {
    X509* leaf = SSL_CTX_get0_certificate(ctx);
    STACK_OF(X509)* intermediates = nullptr;
    SSL_CTX_get0_chain_certs(ctx, &intermediates);
    // The certificate ID hashes the issuer's name and key; a chain without its issuer lets the leaf stand in.
    X509* issuer = sk_X509_num(intermediates) > 0 ? sk_X509_value(intermediates, 0) : leaf;
    EVP_PKEY* key = SSL_CTX_get0_privatekey(ctx);

    OcspCertIdPtr id(OCSP_cert_to_id(EVP_sha1(), leaf, issuer));
    OcspBasicResponsePtr basic(OCSP_BASICRESP_new());
    const Asn1TimePtr this_update(X509_gmtime_adj(nullptr, 0));
    const Asn1TimePtr next_update(X509_gmtime_adj(nullptr, 7L * 24 * 3600));
    if (!id || !basic || !this_update || !next_update ||
        !OCSP_basic_add1_status(basic.get(), id.get(), V_OCSP_CERTSTATUS_GOOD, 0, nullptr, this_update.get(),
                                next_update.get()))
        testing::fail_with_openssl_reason("cannot build the OCSP response");
    const bool implicit_digest = EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448");
    if (!OCSP_basic_sign(basic.get(), leaf, key, implicit_digest ? nullptr : EVP_sha256(), nullptr, OCSP_NOCERTS))
        testing::fail_with_openssl_reason("cannot sign the OCSP response");
    const OcspResponsePtr response(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
    const int length = response ? i2d_OCSP_RESPONSE(response.get(), nullptr) : -1;
    if (length <= 0) testing::fail_with_openssl_reason("cannot encode the OCSP response");
    std::vector<unsigned char> der(static_cast<std::size_t>(length));
    unsigned char* out = der.data();
    i2d_OCSP_RESPONSE(response.get(), &out);
    return der;
}

int staple_ocsp(SSL* ssl, void* response) {
    const auto& der = *static_cast<const std::vector<unsigned char>*>(response);
    // OpenSSL frees the staple with the connection, so each connection gets its own copy.
    void* copy = OPENSSL_memdup(der.data(), der.size());
    if (!copy) return SSL_TLSEXT_ERR_NOACK;
    SSL_set_tlsext_status_ocsp_resp(ssl, copy, static_cast<long>(der.size()));
    return SSL_TLSEXT_ERR_OK;
}

}  // namespace

TlsEndpointContext::TlsEndpointContext(const TlsSettings& settings) {
    chains_.push_back(load(settings.default_chain, settings));
    for (const auto& [name, files] : settings.sni) {
        chains_.push_back(load(files, settings));
        by_name_[name] = chains_.back().get();
    }
    if (!by_name_.empty()) {
        SSL_CTX_set_tlsext_servername_callback(initial().native_handle(), select_by_name);
        SSL_CTX_set_tlsext_servername_arg(initial().native_handle(), this);
    }
}

std::unique_ptr<TlsEndpointContext::Chain> TlsEndpointContext::load(const ChainFiles& files,
                                                                     const TlsSettings& settings) {
    auto chain = std::make_unique<Chain>();
    SSL_CTX* ctx = chain->context.native_handle();
    if (SSL_CTX_use_certificate_chain_file(ctx, files.cert_chain.c_str()) != 1)
        testing::fail_with_openssl_reason("cannot load certificate chain " + files.cert_chain.string());
    if (SSL_CTX_use_PrivateKey_file(ctx, files.key.c_str(), SSL_FILETYPE_PEM) != 1)
        testing::fail_with_openssl_reason("cannot load key " + files.key.string());
    if (SSL_CTX_check_private_key(ctx) != 1)
        testing::fail_with_openssl_reason("key " + files.key.string() + " does not match the leaf of " +
                                          files.cert_chain.string());
    if (settings.min_version != 0 && SSL_CTX_set_min_proto_version(ctx, settings.min_version) != 1)
        testing::fail_with_openssl_reason("cannot set min_version");
    if (settings.max_version != 0 && SSL_CTX_set_max_proto_version(ctx, settings.max_version) != 1)
        testing::fail_with_openssl_reason("cannot set max_version");
    if (!settings.groups.empty() && SSL_CTX_set1_groups_list(ctx, settings.groups.c_str()) != 1)
        testing::fail_with_openssl_reason("cannot set groups " + settings.groups);
    if (settings.client_auth != ClientAuthMode::none) {
        const bool required = settings.client_auth == ClientAuthMode::require;
        // Any certificate a client sends would do: the fleet tests what clients see, not whom it lets in.
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | (required ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
                           [](int, X509_STORE_CTX*) { return 1; });
    }
    if (!settings.client_cas.empty()) {
        STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(settings.client_cas.c_str());
        if (names == nullptr)
            testing::fail_with_openssl_reason("cannot load client CAs " + settings.client_cas.string());
        SSL_CTX_set_client_CA_list(ctx, names);
    }
    if (settings.ocsp_staple) {
        chain->ocsp_response = dummy_ocsp_response(ctx);
        SSL_CTX_set_tlsext_status_cb(ctx, staple_ocsp);
        SSL_CTX_set_tlsext_status_arg(ctx, &chain->ocsp_response);
    }
    return chain;
}

int TlsEndpointContext::select_by_name(SSL* ssl, int*, void* self) {
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (!name) return SSL_TLSEXT_ERR_NOACK;
    const auto& by_name = static_cast<TlsEndpointContext*>(self)->by_name_;
    const auto found = by_name.find(ascii_lower(name));
    // An unknown name keeps the default chain, as a real server's default virtual host would.
    if (found == by_name.end()) return SSL_TLSEXT_ERR_NOACK;
    SSL_set_SSL_CTX(ssl, found->second->context.native_handle());
    return SSL_TLSEXT_ERR_OK;
}

}  // namespace certfleet::fleet
