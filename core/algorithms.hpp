#pragma once
// Public-key and signature algorithms, named and judged: what an algorithm is called, whether a quantum computer
// breaks it, its classical security strength (NIST SP 800-57 Part 1 Rev. 5, Table 2; SP 800-186 for EdDSA) and
// its NIST post-quantum security category (FIPS 203, 204, 205). Judged from what the model stores (key type,
// curve, bits), so certificates stored by an older certfleet are judged the same.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/cert_info.hpp"
#include "core/enum_names.hpp"

namespace certfleet {

enum class AlgorithmFamily { rsa, dsa, dh, ecdh, ecdsa, eddsa, ml_dsa, slh_dsa, ml_kem, composite_ml_dsa, unknown };
inline constexpr std::array<EnumName<AlgorithmFamily>, 11> kAlgorithmFamilyNames{{
    {AlgorithmFamily::rsa, "RSA"},
    {AlgorithmFamily::dsa, "DSA"},
    {AlgorithmFamily::dh, "DH"},
    {AlgorithmFamily::ecdh, "ECDH"},
    {AlgorithmFamily::ecdsa, "ECDSA"},
    {AlgorithmFamily::eddsa, "EdDSA"},
    {AlgorithmFamily::ml_dsa, "ML-DSA"},
    {AlgorithmFamily::slh_dsa, "SLH-DSA"},
    {AlgorithmFamily::ml_kem, "ML-KEM"},
    {AlgorithmFamily::composite_ml_dsa, "composite ML-DSA"},
    {AlgorithmFamily::unknown, "unknown"},
}};
constexpr const auto& enum_names(AlgorithmFamily) { return kAlgorithmFamilyNames; }

struct AlgorithmJudgement {
    AlgorithmFamily family = AlgorithmFamily::unknown;
    std::string name;                        // "RSA-2048", "ECDSA P-256", "Ed25519", "ML-DSA-65"; an unknown OID as is
    std::string parameter_set;               // "2048", "P-256", "65", "SHA2-128s"; empty where there is none
    std::optional<bool> quantum_vulnerable;  // unknown for an algorithm not named here
    int classical_bits = 0;                  // security strength against classical attack; 0 when unknown
    int nist_quantum_level = 0;              // NIST PQC category 1-5; 0 for a classical or an unknown algorithm
    bool verifiable_here = false;            // OpenSSL 3.0 can check signatures made with it
    std::string oid;                         // the key algorithm's OID; empty when unknown
};

// A post-quantum algorithm OpenSSL 3.0 does not know, by its dotted OID: its name ("ML-DSA-65",
// "SLH-DSA-SHAKE-256f", "MLDSA65-ECDSA-P256-SHA512"), or nullopt for any other OID.
std::optional<std::string> post_quantum_name(std::string_view oid);

// The dotted OID of a signature algorithm as CertInfo names it (OpenSSL's long name, a post-quantum name, or an
// OID already), or empty when it has none.
std::string signature_algorithm_oid(const std::string& name);

// The key of a certificate as CertInfo stores it: key_type ("RSA", "EC", a post-quantum name, or the dotted OID of
// an algorithm older versions could not name), key_curve and key_bits.
AlgorithmJudgement judge_key(const std::string& key_type, const std::string& key_curve, int key_bits);
inline AlgorithmJudgement judge_key(const CertInfo& cert) {
    return judge_key(cert.key_type, cert.key_curve, cert.key_bits);
}

// A TLS handshake's key exchange as EndpointFacts names it (X25519, secp256r1, ffdhe2048, DH-2048, RSA, or a
// hybrid with ML-KEM such as X25519MLKEM768), judged as a key is: whether a recording of the session can be
// decrypted once a quantum computer exists (harvest now, decrypt later), and its classical strength.
AlgorithmJudgement judge_key_exchange(const std::string& name);

// The classical security strength of an RSA, DSA or finite-field DH modulus of `bits` (SP 800-57 Table 2; below
// 1024 bits, the estimate of SP 800-56B Rev. 2 Appendix D, rounded down).
int finite_field_strength(int bits);

// Whether a certificate's own signature checks with its own key. not_verifiable: it names itself as issuer (with
// no different key identifier), but its algorithm is one OpenSSL 3.0 cannot check, so neither yes nor no is known.
enum class SelfSignature { no, yes, not_verifiable };
inline constexpr std::array<EnumName<SelfSignature>, 3> kSelfSignatureNames{{
    {SelfSignature::no, "false"},
    {SelfSignature::yes, "true"},
    {SelfSignature::not_verifiable, "not-verifiable"},
}};
constexpr const auto& enum_names(SelfSignature) { return kSelfSignatureNames; }
SelfSignature self_signature(const CertInfo& cert);

// How long a certificate is valid, counted inclusively as the CA/Browser Forum's Baseline Requirements count it
// (notAfter - notBefore + 1 second), in seconds; and how much of it has passed at `now`, in percent (0 before
// notBefore, 100 after notAfter).
std::int64_t lifetime_seconds(const CertInfo& cert);
double lifetime_used_percent(const CertInfo& cert, UnixTime now);

}  // namespace certfleet
