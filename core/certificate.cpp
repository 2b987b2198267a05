#include "core/certificate.hpp"

#include <arpa/inet.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>

#include "core/algorithms.hpp"
#include "core/encoding.hpp"
#include "core/openssl_handles.hpp"

namespace certfleet {

std::string name_rfc2253(const X509_NAME* name) {
    ossl::BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) return {};
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(length));
}

namespace {

std::string serial_hex(const ASN1_INTEGER* serial) {
    std::unique_ptr<BIGNUM, ossl::Deleter<BN_free>> bn(ASN1_INTEGER_to_BN(serial, nullptr));
    if (!bn) return {};
    if (BN_is_zero(bn.get())) return "0";
    char* hex = BN_bn2hex(bn.get());
    std::string out = hex ? hex : "";
    OPENSSL_free(hex);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

UnixTime to_unix(const ASN1_TIME* time) {
    std::tm tm{};
    if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) return 0;
    return static_cast<UnixTime>(timegm(&tm));
}

std::string ip_to_string(const ASN1_OCTET_STRING* ip) {
    char buffer[INET6_ADDRSTRLEN] = {};
    const int length = ASN1_STRING_length(ip);
    const unsigned char* data = ASN1_STRING_get0_data(ip);
    if (length == 4 && inet_ntop(AF_INET, data, buffer, sizeof buffer)) return buffer;
    if (length == 16 && inet_ntop(AF_INET6, data, buffer, sizeof buffer)) return buffer;
    return "invalid:" + to_hex(std::span(data, static_cast<std::size_t>(length)));
}

std::string asn1_string(const ASN1_STRING* s) {
    return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                       static_cast<std::size_t>(ASN1_STRING_length(s)));
}

std::string object_name(const ASN1_OBJECT* object, bool short_name) {
    const int nid = OBJ_obj2nid(object);
    if (nid != NID_undef) return short_name ? OBJ_nid2sn(nid) : OBJ_nid2ln(nid);
    char buffer[128];
    OBJ_obj2txt(buffer, sizeof buffer, object, 1);
    return buffer;
}

void read_subject_alt_names(X509* x509, CertInfo& info) {
    SubjectAltNames names = subject_alt_names(x509);
    info.dns_names = std::move(names.dns_names);
    info.ip_addresses = std::move(names.ip_addresses);
    info.uris = std::move(names.uris);
    info.emails = std::move(names.emails);
}

// An algorithm OpenSSL has no name for: a post-quantum one by its name, any other by its short name or OID.
std::string algorithm_name(const ASN1_OBJECT* object, bool short_name) {
    char oid[128];
    OBJ_obj2txt(oid, sizeof oid, object, 1);
    if (auto name = post_quantum_name(oid)) return *name;
    return object_name(object, short_name);
}

void read_key(X509* x509, CertInfo& info) {
    EVP_PKEY* key = X509_get0_pubkey(x509);
    if (key == nullptr) {
        // OpenSSL 3.0 cannot load the key (ML-DSA, SLH-DSA, ...): named from its OID, sized by its encoding.
        ASN1_OBJECT* algorithm = nullptr;
        const unsigned char* encoded = nullptr;
        int length = 0;
        X509_PUBKEY_get0_param(&algorithm, &encoded, &length, nullptr, X509_get_X509_PUBKEY(x509));
        info.key_type = algorithm ? algorithm_name(algorithm, true) : "unknown";
        info.key_bits = length * 8;
        return;
    }
    info.key_bits = EVP_PKEY_get_bits(key);
    switch (EVP_PKEY_get_base_id(key)) {
        case EVP_PKEY_RSA: info.key_type = "RSA"; break;
        case EVP_PKEY_RSA_PSS: info.key_type = "RSA-PSS"; break;
        case EVP_PKEY_DSA: info.key_type = "DSA"; break;
        case EVP_PKEY_ED25519: info.key_type = "Ed25519"; break;
        case EVP_PKEY_ED448: info.key_type = "Ed448"; break;
        case EVP_PKEY_EC: {
            info.key_type = "EC";
            char group[80] = {};
            std::size_t length = 0;
            if (EVP_PKEY_get_group_name(key, group, sizeof group, &length) == 1) info.key_curve = group;
            break;
        }
        default: {
            const char* name = EVP_PKEY_get0_type_name(key);
            info.key_type = name ? name : "unknown";
        }
    }
}

void read_constraints_and_usages(X509* x509, CertInfo& info) {
    ossl::BasicConstraintsPtr constraints(
        static_cast<BASIC_CONSTRAINTS*>(X509_get_ext_d2i(x509, NID_basic_constraints, nullptr, nullptr)));
    if (constraints) {
        info.is_ca = constraints->ca != 0;
        if (constraints->pathlen != nullptr) info.path_length = static_cast<int>(ASN1_INTEGER_get(constraints->pathlen));
    }

    if (X509_get_extension_flags(x509) & EXFLAG_KUSAGE) {
        static constexpr std::array<std::pair<std::uint32_t, const char*>, 9> kUsages{{
            {KU_DIGITAL_SIGNATURE, "digitalSignature"},
            {KU_NON_REPUDIATION, "nonRepudiation"},
            {KU_KEY_ENCIPHERMENT, "keyEncipherment"},
            {KU_DATA_ENCIPHERMENT, "dataEncipherment"},
            {KU_KEY_AGREEMENT, "keyAgreement"},
            {KU_KEY_CERT_SIGN, "keyCertSign"},
            {KU_CRL_SIGN, "cRLSign"},
            {KU_ENCIPHER_ONLY, "encipherOnly"},
            {KU_DECIPHER_ONLY, "decipherOnly"},
        }};
        const std::uint32_t usage = X509_get_key_usage(x509);
        for (const auto& [bit, name] : kUsages)
            if (usage & bit) info.key_usage.emplace_back(name);
    }

    ossl::ExtKeyUsagePtr extended(
        static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(x509, NID_ext_key_usage, nullptr, nullptr)));
    if (extended) {
        for (int i = 0; i < sk_ASN1_OBJECT_num(extended.get()); ++i)
            info.ext_key_usage.push_back(object_name(sk_ASN1_OBJECT_value(extended.get(), i), true));
    }

    if (const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(x509))
        info.subject_key_id = to_hex(std::span(ASN1_STRING_get0_data(ski), static_cast<std::size_t>(ASN1_STRING_length(ski))));
    if (const ASN1_OCTET_STRING* aki = X509_get0_authority_key_id(x509))
        info.authority_key_id = to_hex(std::span(ASN1_STRING_get0_data(aki), static_cast<std::size_t>(ASN1_STRING_length(aki))));
}

}  // namespace

SubjectAltNames subject_alt_names(X509* certificate) {
    SubjectAltNames out;
    ossl::GeneralNamesPtr names(
        static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr)));
    if (!names) return out;
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
        switch (name->type) {
            case GEN_DNS: out.dns_names.push_back(asn1_string(name->d.dNSName)); break;
            case GEN_IPADD: out.ip_addresses.push_back(ip_to_string(name->d.iPAddress)); break;
            case GEN_URI: out.uris.push_back(asn1_string(name->d.uniformResourceIdentifier)); break;
            case GEN_EMAIL: out.emails.push_back(asn1_string(name->d.rfc822Name)); break;
            default: break;
        }
    }
    return out;
}

CertInfo describe_certificate(std::span<const std::uint8_t> der) {
    const unsigned char* cursor = der.data();
    ossl::X509Ptr x509(d2i_X509(nullptr, &cursor, static_cast<long>(der.size())));
    if (!x509) {
        ERR_clear_error();
        throw CertificateParseError("not a DER X.509 certificate");
    }
    if (cursor != der.data() + der.size()) throw CertificateParseError("trailing bytes after the certificate");
    return describe_certificate(x509.get(), der);
}

CertInfo describe_certificate(X509* x509, std::span<const std::uint8_t> der) {
    CertInfo info;
    info.sha256 = sha256_hex(der);
    {
        unsigned char* spki = nullptr;
        const int length = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x509), &spki);
        if (length <= 0) throw CertificateParseError("unreadable SubjectPublicKeyInfo");
        info.spki_sha256 = sha256_hex(std::span(spki, static_cast<std::size_t>(length)));
        OPENSSL_free(spki);
    }
    info.subject = name_rfc2253(X509_get_subject_name(x509));
    info.issuer = name_rfc2253(X509_get_issuer_name(x509));
    info.serial = serial_hex(X509_get0_serialNumber(x509));
    info.not_before = to_unix(X509_get0_notBefore(x509));
    info.not_after = to_unix(X509_get0_notAfter(x509));
    read_key(x509, info);
    info.signature_algorithm = object_name(OBJ_nid2obj(X509_get_signature_nid(x509)), false);
    if (X509_get_signature_nid(x509) == NID_undef) {
        const X509_ALGOR* algorithm = nullptr;
        X509_get0_signature(nullptr, &algorithm, x509);
        const ASN1_OBJECT* object = nullptr;
        X509_ALGOR_get0(&object, nullptr, nullptr, algorithm);
        info.signature_algorithm = object ? algorithm_name(object, false) : "unknown";
    }
    read_subject_alt_names(x509, info);
    read_constraints_and_usages(x509, info);

    info.self_issued = X509_NAME_cmp(X509_get_subject_name(x509), X509_get_issuer_name(x509)) == 0;
    if (info.self_issued) {
        EVP_PKEY* key = X509_get0_pubkey(x509);
        info.self_signed = key != nullptr && X509_verify(x509, key) == 1;
    }
    ERR_clear_error();
    return info;
}

Validity validity_at(const CertInfo& cert, UnixTime now) {
    Validity v;
    const std::int64_t seconds_left = cert.not_after - now;
    // Floor division: a certificate with 6 hours left has 0 days left, one expired 6 hours ago has -1.
    v.days_left = seconds_left >= 0 ? seconds_left / 86400 : -((-seconds_left + 86399) / 86400);
    v.expired = now > cert.not_after;
    v.not_yet_valid = now < cert.not_before;
    return v;
}

bool acts_as_leaf(const CertInfo& cert, bool used_as_leaf) {
    const bool made_to_sign =
        std::find(cert.key_usage.begin(), cert.key_usage.end(), "keyCertSign") != cert.key_usage.end();
    return !cert.is_ca || (used_as_leaf && !made_to_sign);
}

}  // namespace certfleet
