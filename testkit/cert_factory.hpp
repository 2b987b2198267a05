#pragma once
// Generates keys, certificates and containers at test time, so expiry-relative cases never rot and no key
// file is ever committed.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/cert_info.hpp"

struct evp_pkey_st;
struct x509_st;

namespace certfleet::testing {

enum class KeyKind { rsa, ec, ed25519, ed448, dsa };

struct KeySpec {
    KeyKind kind = KeyKind::ec;
    int bits = 2048;                  // RSA and DSA
    std::string curve = "prime256v1"; // EC
};

class TestKey {
public:
    static TestKey generate(const KeySpec& spec = {});
    // A small pool of pre-generated keys per spec: RSA generation is slow and most tests do not care
    // which key they get.
    static TestKey shared(const KeySpec& spec = {}, int slot = 0);

    std::string pkcs8_pem() const;                                  // BEGIN PRIVATE KEY
    std::string encrypted_pkcs8_pem(const std::string& password) const;  // BEGIN ENCRYPTED PRIVATE KEY
    std::string traditional_pem() const;   // BEGIN RSA/EC PRIVATE KEY (RSA and EC only)
    std::string traditional_encrypted_pem(const std::string& password) const;  // Proc-Type: 4,ENCRYPTED
    Bytes pkcs8_der() const;
    Bytes spki_der() const;
    // The secret itself (RSA private exponent, EC private scalar), to prove it is stored nowhere.
    Bytes private_component() const;
    std::string spki_sha256() const;
    evp_pkey_st* get() const { return key_.get(); }

private:
    std::shared_ptr<evp_pkey_st> key_;
};

struct CertSpec {
    std::string subject_cn = "test.example";
    std::string subject_o;        // optional O=
    std::optional<std::string> issuer_cn_override;  // a self-issued cert signed by another key sets this
    std::vector<std::string> dns_names;
    std::vector<std::string> ip_addresses;
    std::vector<std::string> uris;
    std::vector<std::string> emails;
    long long not_before_days = -1;   // relative to now
    long long not_after_days = 365;
    bool is_ca = false;
    std::optional<int> path_length;
    std::string key_usage;            // OpenSSL config syntax, e.g. "critical,keyCertSign,cRLSign"
    std::string ext_key_usage;        // e.g. "serverAuth,clientAuth"
    bool subject_key_id = true;
    bool authority_key_id = true;
    std::string digest = "SHA256";    // "SHA1", "MD5", "SHA384"; ignored for Ed25519/Ed448
    long serial = 0;                  // 0 picks a random one
};

class TestCert {
public:
    Bytes der;
    std::string pem() const;
    std::string sha256() const;
    std::string spki_sha256() const;
    x509_st* get() const { return cert_.get(); }

    // Signs `spec` for `subject_key`. With no issuer it is self-signed (issuer name = subject name).
    static TestCert make(const CertSpec& spec, const TestKey& subject_key, const TestCert* issuer = nullptr,
                         const TestKey* issuer_key = nullptr);

private:
    std::shared_ptr<x509_st> cert_;
};

// A CA, an intermediate and a leaf signed in order; the common chain most tests need.
struct TestChain {
    TestKey root_key, intermediate_key, leaf_key;
    TestCert root, intermediate, leaf;
};
// A root, an intermediate and a leaf. Chains made with the same `ca_name` share their CAs' names and keys, so
// each verifies under the other's root; give another name for an unrelated PKI.
TestChain make_chain(const std::string& leaf_cn = "leaf.example", const std::string& ca_name = "Test");

Bytes pkcs7_der(const std::vector<TestCert>& certs);
std::string pkcs7_pem(const std::vector<TestCert>& certs);
// A PKCS#12 file. legacy_rc2 uses PBE-SHA1-RC2-40 for the certificates as pre-OpenSSL-3 tools did.
Bytes pkcs12_der(const TestKey* key, const TestCert* cert, const std::vector<TestCert>& extra_certs,
                 const std::string& password, bool legacy_rc2 = false);

std::string base64(const Bytes& bytes);  // one line, no newlines
std::string base64(const std::string& text);
std::string to_string(const Bytes& bytes);
Bytes to_bytes(const std::string& text);

void write_file(const std::filesystem::path& path, const std::string& content);
void write_file(const std::filesystem::path& path, const Bytes& content);
Bytes read_file(const std::filesystem::path& path);

// A fresh directory under the system temp dir, removed (permissions restored first) when it goes out of scope.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

}  // namespace certfleet::testing
