#include "core/algorithms.hpp"

#include <openssl/objects.h>

#include <algorithm>
#include <cctype>
#include <cmath>

namespace certfleet {

namespace {

struct PostQuantumAlgorithm {
    std::string_view oid;
    std::string_view name;
    AlgorithmFamily family;
    std::string_view parameter_set;
    int classical_bits;
    int nist_level;
};

// FIPS 204 (ML-DSA) and FIPS 205 (SLH-DSA) by their NIST CSOR OIDs under sigAlgs (2.16.840.1.101.3.4.3), FIPS 203
// (ML-KEM) under kems (2.16.840.1.101.3.4.4). A category's classical strength is that of the AES or SHA-256
// search it is defined against.
constexpr PostQuantumAlgorithm kNistAlgorithms[] = {
    {"2.16.840.1.101.3.4.3.17", "ML-DSA-44", AlgorithmFamily::ml_dsa, "44", 128, 2},
    {"2.16.840.1.101.3.4.3.18", "ML-DSA-65", AlgorithmFamily::ml_dsa, "65", 192, 3},
    {"2.16.840.1.101.3.4.3.19", "ML-DSA-87", AlgorithmFamily::ml_dsa, "87", 256, 5},
    {"2.16.840.1.101.3.4.3.20", "SLH-DSA-SHA2-128s", AlgorithmFamily::slh_dsa, "SHA2-128s", 128, 1},
    {"2.16.840.1.101.3.4.3.21", "SLH-DSA-SHA2-128f", AlgorithmFamily::slh_dsa, "SHA2-128f", 128, 1},
    {"2.16.840.1.101.3.4.3.22", "SLH-DSA-SHA2-192s", AlgorithmFamily::slh_dsa, "SHA2-192s", 192, 3},
    {"2.16.840.1.101.3.4.3.23", "SLH-DSA-SHA2-192f", AlgorithmFamily::slh_dsa, "SHA2-192f", 192, 3},
    {"2.16.840.1.101.3.4.3.24", "SLH-DSA-SHA2-256s", AlgorithmFamily::slh_dsa, "SHA2-256s", 256, 5},
    {"2.16.840.1.101.3.4.3.25", "SLH-DSA-SHA2-256f", AlgorithmFamily::slh_dsa, "SHA2-256f", 256, 5},
    {"2.16.840.1.101.3.4.3.26", "SLH-DSA-SHAKE-128s", AlgorithmFamily::slh_dsa, "SHAKE-128s", 128, 1},
    {"2.16.840.1.101.3.4.3.27", "SLH-DSA-SHAKE-128f", AlgorithmFamily::slh_dsa, "SHAKE-128f", 128, 1},
    {"2.16.840.1.101.3.4.3.28", "SLH-DSA-SHAKE-192s", AlgorithmFamily::slh_dsa, "SHAKE-192s", 192, 3},
    {"2.16.840.1.101.3.4.3.29", "SLH-DSA-SHAKE-192f", AlgorithmFamily::slh_dsa, "SHAKE-192f", 192, 3},
    {"2.16.840.1.101.3.4.3.30", "SLH-DSA-SHAKE-256s", AlgorithmFamily::slh_dsa, "SHAKE-256s", 256, 5},
    {"2.16.840.1.101.3.4.3.31", "SLH-DSA-SHAKE-256f", AlgorithmFamily::slh_dsa, "SHAKE-256f", 256, 5},
    {"2.16.840.1.101.3.4.4.1", "ML-KEM-512", AlgorithmFamily::ml_kem, "512", 128, 1},
    {"2.16.840.1.101.3.4.4.2", "ML-KEM-768", AlgorithmFamily::ml_kem, "768", 192, 3},
    {"2.16.840.1.101.3.4.4.3", "ML-KEM-1024", AlgorithmFamily::ml_kem, "1024", 256, 5},
};

// The composite ML-DSA signatures of the IETF LAMPS draft (draft-ietf-lamps-pq-composite-sigs), in its order. The
// drafts gave them two arcs: Entrust's 2.16.840.1.114027.80.9.1.N (N from 0) while the draft was young, then
// 1.3.6.1.5.5.7.6.(37 + N). Each is judged by its ML-DSA part: it stands while either part does.
struct CompositeAlgorithm {
    std::string_view name;
    int ml_dsa;  // 44, 65 or 87
};
constexpr CompositeAlgorithm kCompositeAlgorithms[] = {
    {"MLDSA44-RSA2048-PSS-SHA256", 44},       {"MLDSA44-RSA2048-PKCS15-SHA256", 44},
    {"MLDSA44-Ed25519-SHA512", 44},           {"MLDSA44-ECDSA-P256-SHA256", 44},
    {"MLDSA65-RSA3072-PSS-SHA512", 65},       {"MLDSA65-RSA3072-PKCS15-SHA512", 65},
    {"MLDSA65-RSA4096-PSS-SHA512", 65},       {"MLDSA65-RSA4096-PKCS15-SHA512", 65},
    {"MLDSA65-ECDSA-P256-SHA512", 65},        {"MLDSA65-ECDSA-P384-SHA512", 65},
    {"MLDSA65-ECDSA-brainpoolP256r1-SHA512", 65}, {"MLDSA65-Ed25519-SHA512", 65},
    {"MLDSA87-ECDSA-P384-SHA512", 87},        {"MLDSA87-ECDSA-brainpoolP384r1-SHA512", 87},
    {"MLDSA87-Ed448-SHAKE256", 87},           {"MLDSA87-RSA3072-PSS-SHA512", 87},
    {"MLDSA87-RSA4096-PSS-SHA512", 87},       {"MLDSA87-ECDSA-P521-SHA512", 87},
};
constexpr std::string_view kCompositeArcs[] = {"1.3.6.1.5.5.7.6.", "2.16.840.1.114027.80.9.1."};
constexpr int kCompositeFirst[] = {37, 0};

const PostQuantumAlgorithm& ml_dsa(int parameter_set) {
    return kNistAlgorithms[parameter_set == 44 ? 0 : parameter_set == 65 ? 1 : 2];
}

// The composite algorithm an OID names, by its position in kCompositeAlgorithms.
std::optional<std::size_t> composite_index(std::string_view oid) {
    for (std::size_t arc = 0; arc < std::size(kCompositeArcs); ++arc) {
        if (!oid.starts_with(kCompositeArcs[arc])) continue;
        const std::string_view last = oid.substr(kCompositeArcs[arc].size());
        if (last.empty() || last.size() > 3 || !std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return std::nullopt;
        const int index = std::stoi(std::string(last)) - kCompositeFirst[arc];
        if (index >= 0 && index < static_cast<int>(std::size(kCompositeAlgorithms))) return static_cast<std::size_t>(index);
    }
    return std::nullopt;
}

AlgorithmJudgement post_quantum(const PostQuantumAlgorithm& a) {
    return {a.family, std::string(a.name), std::string(a.parameter_set), false, a.classical_bits, a.nist_level, false,
            std::string(a.oid)};
}

// Looked up by the name certfleet stores or by the OID older versions stored.
std::optional<AlgorithmJudgement> judge_post_quantum(const std::string& key_type) {
    for (const auto& a : kNistAlgorithms)
        if (key_type == a.oid || key_type == a.name) return post_quantum(a);
    for (std::size_t i = 0; i < std::size(kCompositeAlgorithms); ++i) {
        const auto& composite = kCompositeAlgorithms[i];
        if (key_type != composite.name && composite_index(key_type) != i) continue;
        AlgorithmJudgement judged = post_quantum(ml_dsa(composite.ml_dsa));
        judged.family = AlgorithmFamily::composite_ml_dsa;
        judged.name = judged.parameter_set = std::string(composite.name);
        judged.oid = std::string(kCompositeArcs[0]) + std::to_string(kCompositeFirst[0] + static_cast<int>(i));
        return judged;
    }
    return std::nullopt;
}

// NIST's names for the curves it names (SP 800-186), OpenSSL's for the rest.
std::string curve_name(const std::string& curve) {
    if (curve == "prime256v1" || curve == "secp256r1") return "P-256";
    if (curve == "secp384r1") return "P-384";
    if (curve == "secp521r1") return "P-521";
    if (curve == "secp224r1") return "P-224";
    if (curve == "prime192v1" || curve == "secp192r1") return "P-192";
    return curve;
}

// SP 800-57 Table 2 for elliptic curves: by the size of the group order, about the field size.
int elliptic_curve_strength(int bits) {
    if (bits >= 512) return 256;
    if (bits >= 384) return 192;
    if (bits >= 256) return 128;
    if (bits >= 224) return 112;
    if (bits >= 160) return 80;
    return bits / 2;
}

// OpenSSL's table of OIDs by short or long name ("rsaEncryption", "sha256WithRSAEncryption").
std::string openssl_oid(const std::string& name) {
    const int nid = OBJ_txt2nid(name.c_str());
    if (nid == NID_undef) return {};
    char oid[128];
    return OBJ_obj2txt(oid, sizeof oid, OBJ_nid2obj(nid), 1) > 0 ? std::string(oid) : std::string();
}

bool is_dotted_oid(const std::string& text) {
    return !text.empty() && std::isdigit(static_cast<unsigned char>(text.front())) &&
           text.find_first_not_of("0123456789.") == std::string::npos;
}

}  // namespace

std::optional<std::string> post_quantum_name(std::string_view oid) {
    for (const auto& a : kNistAlgorithms)
        if (oid == a.oid) return std::string(a.name);
    if (const auto index = composite_index(oid)) return std::string(kCompositeAlgorithms[*index].name);
    return std::nullopt;
}

std::string signature_algorithm_oid(const std::string& name) {
    if (is_dotted_oid(name)) return name;
    if (const auto judged = judge_post_quantum(name)) return judged->oid;
    return openssl_oid(name);
}

int finite_field_strength(int bits) {
    if (bits >= 15360) return 256;
    if (bits >= 7680) return 192;
    if (bits >= 3072) return 128;
    if (bits >= 2048) return 112;
    if (bits >= 1024) return 80;
    if (bits <= 0) return 0;
    const double n_ln2 = bits * std::log(2.0);
    const double estimate = (1.923 * std::cbrt(n_ln2) * std::cbrt(std::pow(std::log(n_ln2), 2)) - 4.69) / std::log(2.0);
    return std::max(0, static_cast<int>(estimate));
}

AlgorithmJudgement judge_key(const std::string& key_type, const std::string& key_curve, int key_bits) {
    const std::string bits = std::to_string(key_bits);
    const auto finite_field = [&](AlgorithmFamily family, const std::string& prefix, const char* oid_name) {
        return AlgorithmJudgement{family, prefix + "-" + bits, bits, true, finite_field_strength(key_bits), 0, true,
                                  openssl_oid(oid_name)};
    };
    if (key_type == "RSA") return finite_field(AlgorithmFamily::rsa, key_type, "rsaEncryption");
    if (key_type == "RSA-PSS") return finite_field(AlgorithmFamily::rsa, key_type, "RSASSA-PSS");
    if (key_type == "DSA") return finite_field(AlgorithmFamily::dsa, "DSA", "dsaEncryption");
    if (key_type == "DH" || key_type == "DHX") return finite_field(AlgorithmFamily::dh, "DH", "dhKeyAgreement");
    if (key_type == "EC") {
        const std::string curve = curve_name(key_curve);
        return {AlgorithmFamily::ecdsa, "ECDSA " + curve, curve, true, elliptic_curve_strength(key_bits), 0, true,
                openssl_oid("id-ecPublicKey")};
    }
    // SP 800-186: Ed25519 offers about 128 bits, Ed448 about 224.
    if (key_type == "Ed25519")
        return {AlgorithmFamily::eddsa, "Ed25519", "Ed25519", true, 128, 0, true, openssl_oid("ED25519")};
    if (key_type == "Ed448") return {AlgorithmFamily::eddsa, "Ed448", "Ed448", true, 224, 0, true, openssl_oid("ED448")};
    if (auto judged = judge_post_quantum(key_type)) return *judged;
    AlgorithmJudgement unknown;
    unknown.name = key_type;
    if (is_dotted_oid(key_type)) unknown.oid = key_type;
    return unknown;
}

AlgorithmJudgement judge_key_exchange(const std::string& name) {
    const auto elliptic = [&](int bits) {
        return AlgorithmJudgement{AlgorithmFamily::ecdh, name, name, true, bits, 0, true, {}};
    };
    if (name == "X25519" || name == "secp256r1" || name == "brainpoolP256r1") return elliptic(128);
    if (name == "X448") return elliptic(224);
    if (name == "secp384r1" || name == "brainpoolP384r1") return elliptic(192);
    if (name == "secp521r1" || name == "brainpoolP512r1") return elliptic(256);
    const auto finite_field = [&](std::string_view prefix) -> std::optional<AlgorithmJudgement> {
        if (!name.starts_with(prefix)) return std::nullopt;
        const std::string digits = name.substr(prefix.size());
        if (digits.empty() || digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos)
            return std::nullopt;
        return AlgorithmJudgement{AlgorithmFamily::dh, name, digits, true, finite_field_strength(std::stoi(digits)), 0,
                                  true, {}};
    };
    if (auto judged = finite_field("ffdhe")) return *judged;
    if (auto judged = finite_field("DH-")) return *judged;
    // RSA key transport: whoever later breaks the server's RSA key decrypts every recorded session.
    if (name == "RSA") return {AlgorithmFamily::rsa, "RSA", "", true, 0, 0, true, {}};
    // Hybrids of a classical exchange with ML-KEM (draft-ietf-tls-ecdhe-mlkem): safe while ML-KEM is.
    if (name.find("MLKEM768") != std::string::npos) return {AlgorithmFamily::ml_kem, name, "768", false, 192, 3, false, {}};
    if (name.find("MLKEM1024") != std::string::npos) return {AlgorithmFamily::ml_kem, name, "1024", false, 256, 5, false, {}};
    AlgorithmJudgement unknown;
    unknown.name = name;
    return unknown;
}

SelfSignature self_signature(const CertInfo& cert) {
    if (cert.self_signed) return SelfSignature::yes;
    if (!cert.self_issued) return SelfSignature::no;
    const bool same_key_named = cert.subject_key_id.empty() || cert.authority_key_id.empty() ||
                                cert.subject_key_id == cert.authority_key_id;
    return same_key_named && !judge_key(cert).verifiable_here ? SelfSignature::not_verifiable : SelfSignature::no;
}

std::int64_t lifetime_seconds(const CertInfo& cert) { return cert.not_after - cert.not_before + 1; }

double lifetime_used_percent(const CertInfo& cert, UnixTime now) {
    const auto lifetime = lifetime_seconds(cert);
    if (lifetime <= 0) return 100;
    return std::clamp(static_cast<double>(now - cert.not_before) * 100.0 / static_cast<double>(lifetime), 0.0, 100.0);
}

}  // namespace certfleet
