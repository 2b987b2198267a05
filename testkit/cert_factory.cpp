#include "testkit/cert_factory.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>

#include "core/encoding.hpp"
#include "core/openssl_handles.hpp"
#include "testkit/openssl_failure.hpp"

namespace certfleet::testing {

namespace {

[[noreturn]] void factory_failure(const std::string& what) { fail_with_openssl_reason("test cert factory: " + what); }

std::string bio_to_string(BIO* bio) {
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(length));
}

template <typename Writer>
std::string to_pem(Writer&& write) {
    ossl::BioPtr bio(BIO_new(BIO_s_mem()));
    if (!write(bio.get())) factory_failure("PEM write");
    return bio_to_string(bio.get());
}

std::shared_ptr<EVP_PKEY> wrap(EVP_PKEY* key) {
    if (!key) factory_failure("key generation");
    return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
    if (value.empty()) return;
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (!ext) factory_failure("extension " + value);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

std::string join_sans(const CertSpec& spec) {
    std::string out;
    auto add = [&](const std::string& prefix, const std::vector<std::string>& values) {
        for (const auto& v : values) out += (out.empty() ? "" : ",") + prefix + v;
    };
    add("DNS:", spec.dns_names);
    add("IP:", spec.ip_addresses);
    add("URI:", spec.uris);
    add("email:", spec.emails);
    return out;
}

}  // namespace

TestKey TestKey::generate(const KeySpec& spec) {
    TestKey key;
    switch (spec.kind) {
        case KeyKind::rsa: key.key_ = wrap(EVP_RSA_gen(static_cast<unsigned>(spec.bits))); break;
        case KeyKind::ec: key.key_ = wrap(EVP_EC_gen(spec.curve.c_str())); break;
        case KeyKind::ed25519: key.key_ = wrap(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")); break;
        case KeyKind::ed448: key.key_ = wrap(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED448")); break;
        case KeyKind::dsa: {
            std::unique_ptr<EVP_PKEY_CTX, ossl::Deleter<EVP_PKEY_CTX_free>> pctx(
                EVP_PKEY_CTX_new_from_name(nullptr, "DSA", nullptr));
            EVP_PKEY* params = nullptr;
            if (!pctx || EVP_PKEY_paramgen_init(pctx.get()) <= 0 ||
                EVP_PKEY_CTX_set_dsa_paramgen_bits(pctx.get(), spec.bits) <= 0 ||
                EVP_PKEY_paramgen(pctx.get(), &params) <= 0)
                factory_failure("DSA parameters");
            ossl::EvpPkeyPtr owned_params(params);
            std::unique_ptr<EVP_PKEY_CTX, ossl::Deleter<EVP_PKEY_CTX_free>> kctx(
                EVP_PKEY_CTX_new(params, nullptr));
            EVP_PKEY* generated = nullptr;
            if (!kctx || EVP_PKEY_keygen_init(kctx.get()) <= 0 || EVP_PKEY_keygen(kctx.get(), &generated) <= 0)
                factory_failure("DSA key");
            key.key_ = wrap(generated);
            break;
        }
    }
    return key;
}

TestKey TestKey::shared(const KeySpec& spec, int slot) {
    static std::mutex mutex;
    static std::map<std::tuple<int, int, std::string, int>, TestKey> pool;
    std::lock_guard lock(mutex);
    auto id = std::make_tuple(static_cast<int>(spec.kind), spec.bits, spec.curve, slot);
    auto it = pool.find(id);
    if (it == pool.end()) it = pool.emplace(id, generate(spec)).first;
    return it->second;
}

std::string TestKey::pkcs8_pem() const {
    return to_pem([&](BIO* b) {
        return PEM_write_bio_PKCS8PrivateKey(b, key_.get(), nullptr, nullptr, 0, nullptr, nullptr);
    });
}

std::string TestKey::encrypted_pkcs8_pem(const std::string& password) const {
    return to_pem([&](BIO* b) {
        return PEM_write_bio_PKCS8PrivateKey(b, key_.get(), EVP_aes_256_cbc(), password.data(),
                                             static_cast<int>(password.size()), nullptr, nullptr);
    });
}

std::string TestKey::traditional_pem() const {
    return to_pem([&](BIO* b) {
        return PEM_write_bio_PrivateKey_traditional(b, key_.get(), nullptr, nullptr, 0, nullptr, nullptr);
    });
}

std::string TestKey::traditional_encrypted_pem(const std::string& password) const {
    return to_pem([&](BIO* b) {
        auto* pass = reinterpret_cast<unsigned char*>(const_cast<char*>(password.data()));
        return PEM_write_bio_PrivateKey_traditional(b, key_.get(), EVP_aes_128_cbc(), pass,
                                                    static_cast<int>(password.size()), nullptr, nullptr);
    });
}

Bytes TestKey::pkcs8_der() const {
    unsigned char* buffer = nullptr;
    std::unique_ptr<PKCS8_PRIV_KEY_INFO, ossl::Deleter<PKCS8_PRIV_KEY_INFO_free>> info(EVP_PKEY2PKCS8(key_.get()));
    const int length = i2d_PKCS8_PRIV_KEY_INFO(info.get(), &buffer);
    if (length <= 0) factory_failure("PKCS#8 DER");
    Bytes out(buffer, buffer + length);
    OPENSSL_free(buffer);
    return out;
}

Bytes TestKey::spki_der() const {
    unsigned char* buffer = nullptr;
    const int length = i2d_PUBKEY(key_.get(), &buffer);
    if (length <= 0) factory_failure("SPKI DER");
    Bytes out(buffer, buffer + length);
    OPENSSL_free(buffer);
    return out;
}

Bytes TestKey::private_component() const {
    const char* name = EVP_PKEY_get_base_id(key_.get()) == EVP_PKEY_RSA ? OSSL_PKEY_PARAM_RSA_D : OSSL_PKEY_PARAM_PRIV_KEY;
    BIGNUM* secret = nullptr;
    if (EVP_PKEY_get_bn_param(key_.get(), name, &secret) != 1) factory_failure("private component");
    Bytes out(static_cast<std::size_t>(BN_num_bytes(secret)));
    BN_bn2bin(secret, out.data());
    BN_clear_free(secret);
    return out;
}

std::string TestKey::spki_sha256() const { return sha256_hex(spki_der()); }

std::string TestCert::pem() const {
    return to_pem([&](BIO* b) { return PEM_write_bio_X509(b, cert_.get()); });
}

std::string TestCert::sha256() const { return sha256_hex(der); }

std::string TestCert::spki_sha256() const {
    unsigned char* buffer = nullptr;
    const int length = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert_.get()), &buffer);
    std::string out = sha256_hex(std::span(buffer, static_cast<std::size_t>(length)));
    OPENSSL_free(buffer);
    return out;
}

TestCert TestCert::make(const CertSpec& spec, const TestKey& subject_key, const TestCert* issuer,
                        const TestKey* issuer_key) {
    ossl::X509Ptr cert(X509_new());
    X509_set_version(cert.get(), X509_VERSION_3);
    long serial = spec.serial;
    if (serial == 0) {
        RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof serial);
        serial = (serial & 0x7fffffffffffL) | 1;
    }
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
    X509_time_adj_ex(X509_getm_notBefore(cert.get()), static_cast<int>(spec.not_before_days), 0, nullptr);
    X509_time_adj_ex(X509_getm_notAfter(cert.get()), static_cast<int>(spec.not_after_days), 0, nullptr);
    X509_set_pubkey(cert.get(), subject_key.get());

    X509_NAME* name = X509_get_subject_name(cert.get());
    if (!spec.subject_o.empty())
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(spec.subject_o.c_str()), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(spec.subject_cn.c_str()), -1, -1, 0);
    if (issuer) {
        X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer->get()));
    } else if (spec.issuer_cn_override) {
        ossl::X509Ptr scratch(X509_new());
        X509_NAME* issuer_name = X509_get_subject_name(scratch.get());
        X509_NAME_add_entry_by_txt(issuer_name, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(spec.issuer_cn_override->c_str()), -1, -1, 0);
        X509_set_issuer_name(cert.get(), issuer_name);
    } else {
        X509_set_issuer_name(cert.get(), name);
    }

    X509* issuer_cert = issuer ? issuer->get() : cert.get();
    std::string constraints = spec.is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE";
    if (spec.is_ca && spec.path_length) constraints += ",pathlen:" + std::to_string(*spec.path_length);
    add_extension(cert.get(), issuer_cert, NID_basic_constraints, constraints);
    add_extension(cert.get(), issuer_cert, NID_key_usage, spec.key_usage);
    add_extension(cert.get(), issuer_cert, NID_ext_key_usage, spec.ext_key_usage);
    add_extension(cert.get(), issuer_cert, NID_subject_alt_name, join_sans(spec));
    if (spec.subject_key_id) add_extension(cert.get(), issuer_cert, NID_subject_key_identifier, "hash");
    if (spec.authority_key_id && issuer) add_extension(cert.get(), issuer_cert, NID_authority_key_identifier, "keyid:always");

    const TestKey& signer = issuer_key ? *issuer_key : subject_key;
    const int base = EVP_PKEY_get_base_id(signer.get());
    const EVP_MD* md = (base == EVP_PKEY_ED25519 || base == EVP_PKEY_ED448)
                           ? nullptr
                           : EVP_get_digestbyname(spec.digest.c_str());
    if (X509_sign(cert.get(), signer.get(), md) <= 0) factory_failure("sign " + spec.subject_cn);

    TestCert out;
    unsigned char* buffer = nullptr;
    const int length = i2d_X509(cert.get(), &buffer);
    out.der.assign(buffer, buffer + length);
    OPENSSL_free(buffer);
    out.cert_ = std::shared_ptr<X509>(cert.release(), X509_free);
    return out;
}

TestChain make_chain(const std::string& leaf_cn, const std::string& ca_name) {
    const bool usual = ca_name == "Test";
    TestChain chain{usual ? TestKey::shared({}, 1) : TestKey::generate(), usual ? TestKey::shared({}, 2) : TestKey::generate(),
                    TestKey::shared({}, 3), {}, {}, {}};
    CertSpec root{.subject_cn = ca_name + " Root CA", .subject_o = "certfleet tests", .not_after_days = 3650,
                  .is_ca = true, .key_usage = "critical,keyCertSign,cRLSign"};
    chain.root = TestCert::make(root, chain.root_key);
    CertSpec intermediate{.subject_cn = ca_name + " Intermediate CA", .subject_o = "certfleet tests",
                          .not_after_days = 1825, .is_ca = true, .path_length = 0,
                          .key_usage = "critical,keyCertSign,cRLSign"};
    chain.intermediate = TestCert::make(intermediate, chain.intermediate_key, &chain.root, &chain.root_key);
    CertSpec leaf{.subject_cn = leaf_cn, .dns_names = {leaf_cn}, .not_after_days = 90,
                  .key_usage = "critical,digitalSignature", .ext_key_usage = "serverAuth"};
    chain.leaf = TestCert::make(leaf, chain.leaf_key, &chain.intermediate, &chain.intermediate_key);
    return chain;
}

namespace {
std::unique_ptr<PKCS7, ossl::Deleter<PKCS7_free>> build_pkcs7(const std::vector<TestCert>& certs) {
    std::unique_ptr<PKCS7, ossl::Deleter<PKCS7_free>> p7(PKCS7_new());
    PKCS7_set_type(p7.get(), NID_pkcs7_signed);
    PKCS7_content_new(p7.get(), NID_pkcs7_data);
    for (const auto& c : certs) PKCS7_add_certificate(p7.get(), c.get());
    return p7;
}
}  // namespace

Bytes pkcs7_der(const std::vector<TestCert>& certs) {
    auto p7 = build_pkcs7(certs);
    unsigned char* buffer = nullptr;
    const int length = i2d_PKCS7(p7.get(), &buffer);
    if (length <= 0) factory_failure("PKCS#7 DER");
    Bytes out(buffer, buffer + length);
    OPENSSL_free(buffer);
    return out;
}

std::string pkcs7_pem(const std::vector<TestCert>& certs) {
    auto p7 = build_pkcs7(certs);
    return to_pem([&](BIO* b) { return PEM_write_bio_PKCS7(b, p7.get()); });
}

Bytes pkcs12_der(const TestKey* key, const TestCert* cert, const std::vector<TestCert>& extra_certs,
                 const std::string& password, bool legacy_rc2) {
    if (legacy_rc2) ossl::load_legacy_provider();
    ossl::X509StackPtr ca(sk_X509_new_null());
    for (const auto& c : extra_certs) {
        X509_up_ref(c.get());
        sk_X509_push(ca.get(), c.get());
    }
    const int cert_pbe = legacy_rc2 ? NID_pbe_WithSHA1And40BitRC2_CBC : 0;
    const int key_pbe = legacy_rc2 ? NID_pbe_WithSHA1And3_Key_TripleDES_CBC : 0;
    ossl::Pkcs12Ptr p12(PKCS12_create(password.c_str(), "certfleet test", key ? key->get() : nullptr,
                                      cert ? cert->get() : nullptr, ca.get(), key_pbe, cert_pbe, 0, 0, 0));
    if (!p12) factory_failure("PKCS#12 create");
    unsigned char* buffer = nullptr;
    const int length = i2d_PKCS12(p12.get(), &buffer);
    Bytes out(buffer, buffer + length);
    OPENSSL_free(buffer);
    return out;
}

std::string base64(const Bytes& bytes) { return base64_encode(bytes); }

std::string base64(const std::string& text) { return base64(to_bytes(text)); }
std::string to_string(const Bytes& bytes) { return std::string(bytes.begin(), bytes.end()); }
Bytes to_bytes(const std::string& text) { return Bytes(text.begin(), text.end()); }

void write_file(const std::filesystem::path& path, const std::string& content) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

void write_file(const std::filesystem::path& path, const Bytes& content) { write_file(path, to_string(content)); }

Bytes read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TempDir::TempDir() {
    static std::mt19937_64 rng(std::random_device{}());
    for (;;) {
        path_ = std::filesystem::temp_directory_path() / ("certfleet-test-" + std::to_string(rng()));
        if (std::filesystem::create_directory(path_)) break;
    }
}

TempDir::~TempDir() {
    std::error_code ec;
    // Tests make directories unreadable on purpose; give them back their permissions so removal succeeds.
    for (auto it = std::filesystem::recursive_directory_iterator(
             path_, std::filesystem::directory_options::skip_permission_denied, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_directory(ec) && !it->is_symlink(ec)) chmod(it->path().c_str(), 0700);
    }
    chmod(path_.c_str(), 0700);
    std::filesystem::remove_all(path_, ec);
}

}  // namespace certfleet::testing
