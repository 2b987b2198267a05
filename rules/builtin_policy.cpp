// The built-in hygiene policy, written in the rules file format and read by the same parser, so built-in and
// user rules have one representation and `include: builtin` can be overridden rule by rule. The advice names the
// failure class (chain trust, hostname, validity window: RFC 5280 section 6 and RFC 6125 keep them apart), says
// what to fix, and never suggests turning verification off — repair trust, do not silence the check.
#include "rules/rules.hpp"

namespace certfleet::rules {

namespace {

// Trust anchors are left out of the expiry and signature rules on purpose: a trust store is refreshed by its
// owner (the distribution, the JRE), its roots' self-signatures are never checked by anyone, and an anchor that
// has actually expired has its own rule. A leaf is known by its use as well as by its CA flag (acts_as_leaf), so
// a service's self-signed certificate made CA:TRUE is still a self-signed leaf, and pinned when a store holds it.
constexpr const char* builtin_policy_yaml = R"yaml(
rules:
  - id: expired
    description: Certificate has expired
    severity: critical
    match: {expired: true, trust_anchor: false}
    advice: >-
      Clients refuse this certificate now; its validity window has ended. Issue a replacement, deploy it
      everywhere the inventory lists this fingerprint, reload the services, and automate renewal so it does
      not happen again. Do not tell clients to ignore expiry.

  - id: expires-within-14-days
    description: Certificate expires within 14 days
    severity: critical
    match: {expires_within: 14d, trust_anchor: false}
    advice: >-
      Renew now and deploy to every place this certificate is found, then confirm each endpoint presents the
      new one. Two weeks is little margin once caches, restarts and stale copies are counted.

  - id: expires-within-30-days
    description: Certificate expires within 30 days
    severity: high
    match: {expires_within: 30d, not: {expires_within: 14d}, trust_anchor: false}
    advice: >-
      Schedule the renewal and the rollout to every place that holds this certificate; if renewal should
      have been automatic, find out why it has not happened yet.

  - id: not-yet-valid
    description: Certificate is not valid yet
    severity: high
    match: {not_yet_valid: true}
    advice: >-
      Clients reject a certificate before its notBefore date. Check the clocks of the issuing system and of
      the host serving it; deploy a certificate whose validity has started, or wait for it before deploying.

  - id: self-signed-leaf
    description: A service uses a self-signed leaf certificate
    severity: high
    match: {leaf: true, self_signed: true}
    advice: >-
      Each client has to pin this exact certificate or stop verifying, and both fail at scale. Issue the
      service a certificate from your internal CA or a public CA, and have clients trust that CA. Repair
      trust, do not silence the check.

  # The chain classes only: a self-signed leaf, a hostname mismatch, expiry and weak keys or signatures have
  # rules of their own with their own advice, so they are not reported twice here.
  - id: chain-not-trusted
    description: Endpoint chain does not verify to a trusted root
    severity: high
    match:
      leaf: true
      location_kind: endpoint
      verify_error: [untrusted-root, untrusted-issuer, invalid-chain, bad-signature]
    advice: >-
      Clients cannot build a path from this leaf to a root they trust. Serve the full chain (leaf and
      intermediates, in order), issue from a CA the clients trust, or add the right root to the clients'
      trust stores. Do not disable verification: that removes authentication, not the error.

  - id: hostname-mismatch
    description: Endpoint certificate does not cover the name or address clients use
    severity: high
    match: {leaf: true, location_kind: endpoint, hostname_match: false}
    advice: >-
      The certificate is valid for other names than the one clients connect to. Reissue it with every DNS
      name (and IP address, if clients use one) in the subjectAltName, or point clients at a name it covers.

  - id: weak-key
    description: RSA key shorter than 2048 bits or EC key shorter than 256 bits
    severity: high
    match:
      any:
        - {key_type: "RSA*", key_bits_below: 2048}
        - {key_type: EC, key_bits_below: 256}
    advice: >-
      Keys this short can be broken or are refused by current clients. Generate a new key (RSA 2048+ or
      EC P-256+) and reissue the certificate; do not reuse the old key.

  # Only signatures somebody verifies: a self-signed certificate's own signature is never relied on for trust.
  - id: weak-signature
    description: Certificate signed with SHA-1 or MD5
    severity: high
    match:
      signature_algorithm: ["*sha1*", "*md5*", "*md4*", "*md2*"]
      trust_anchor: false
      self_signed: false
    advice: >-
      SHA-1 and MD5 signatures can be forged and current clients reject them. Reissue the certificate from a
      CA that signs with SHA-256 or better.

  # NIST IR 8547 (initial public draft, 2024) deprecates 112-bit classical security after 2030 and disallows
  # quantum-vulnerable signatures (RSA, ECDSA, EdDSA, DSA) after 2035: a certificate valid past either date
  # will be out of policy before it expires. Low, under check's default warning level: years ahead of the date,
  # a monitor that stayed yellow until then would teach its readers to ignore it. Planners see them in reports
  # and burn-downs; a team that wants them to alarm raises the severity in its rules file.
  - id: key-112-bit-beyond-2030
    description: Key of 112-bit security in a certificate valid beyond 2030
    severity: low
    match: {trust_anchor: false, security_bits_below: 128, valid_beyond: 2030-12-31}
    advice: >-
      NIST deprecates 112-bit security (RSA-2048, DSA-2048, P-224) after 2030, and this certificate is still
      valid then. Reissue it before then with a key of 128 bits or more (RSA-3072, P-256) or a post-quantum
      algorithm, or with a validity that ends by 2030-12-31.

  - id: quantum-vulnerable-beyond-2035
    description: Quantum-vulnerable key in a certificate valid beyond 2035
    severity: low
    match: {trust_anchor: false, quantum_vulnerable: true, valid_beyond: 2035-12-31}
    advice: >-
      NIST plans to disallow RSA, ECDSA and EdDSA signatures after 2035, when a quantum computer may break
      them, and this certificate is still valid then. Plan its replacement with ML-DSA (FIPS 204) or
      SLH-DSA (FIPS 205), or a composite of one with the current algorithm, and shorten its validity meanwhile.

  # Harvest now, decrypt later: a recording of today's session is read once a quantum computer breaks its key
  # exchange. Nothing to do about it in OpenSSL 3.0 alone, so info: the inventory of where it will matter.
  - id: quantum-vulnerable-key-exchange
    description: Endpoint agrees its session keys by a quantum-vulnerable key exchange
    severity: info
    match: {leaf: true, location_kind: endpoint, key_exchange_quantum_vulnerable: true}
    advice: >-
      Traffic recorded today can be decrypted once a quantum computer breaks this exchange (ECDHE, DHE or RSA
      key transport). Where the data must stay secret for years, offer the hybrid X25519MLKEM768 group
      (OpenSSL 3.5, BoringSSL, recent Go and Java) and keep a classical one for older clients.

  # Baseline Requirements 6.3.2 as ballot SC-081 amended it: the most a public TLS certificate may be valid for,
  # by the date it was issued, counted inclusively (notAfter - notBefore + 1 s).
  - id: public-leaf-over-cabf-maximum
    description: Public TLS certificate valid for longer than the CA/Browser Forum allows for its issuance date
    severity: high
    match:
      leaf: true
      public_root: true
      any:
        - {issued_before: 2026-03-15, lifetime_days: "> 398"}
        - {issued_on_or_after: 2026-03-15, issued_before: 2027-03-15, lifetime_days: "> 200"}
        - {issued_on_or_after: 2027-03-15, issued_before: 2029-03-15, lifetime_days: "> 100"}
        - {issued_on_or_after: 2029-03-15, lifetime_days: "> 47"}
    advice: >-
      The Baseline Requirements (6.3.2, ballot SC-081) cap a public TLS certificate at 398 days when issued
      before 2026-03-15, 200 days from then, 100 days from 2027-03-15 and 47 days from 2029-03-15; clients
      and root programs may refuse one issued over the limit. Ask the CA to revoke and reissue it within the
      limit, and renew through ACME (RFC 8555) so every later certificate is short-lived too.

  - id: public-leaf-renewal-outlasts-next-cabf-step
    description: Public TLS certificate renews on a cycle longer than the CA/Browser Forum's next maximum
    severity: low
    match:
      leaf: true
      public_root: true
      any:
        - {issued_before: 2026-03-15, lifetime_days: "> 200"}
        - {issued_on_or_after: 2026-03-15, issued_before: 2027-03-15, lifetime_days: "> 100"}
        - {issued_on_or_after: 2027-03-15, issued_before: 2029-03-15, lifetime_days: "> 47"}
    advice: >-
      Within today's limit, but its next renewal falls under a shorter one (200 days from 2026-03-15, 100 from
      2027-03-15, 47 from 2029-03-15): a renewal scheduled by calendar, a manual step, or an alert set for
      the old cycle will break. Automate renewal (ACME, RFC 8555; ARI, RFC 9773) and time it by the
      certificate's own lifetime, e.g. at two thirds of it.

  - id: leaf-validity-too-long
    description: Leaf certificate valid for more than 398 days
    severity: medium
    match: {leaf: true, is_ca: false, trust_anchor: false, validity_longer_than: 398d}
    advice: >-
      Public CAs and browsers cap leaf lifetimes at 398 days, and long lifetimes mean renewal is rare enough
      to be forgotten. Issue shorter-lived certificates and automate their renewal.

  # Endpoints only: client certificates in files legitimately name their holder in the subject alone.
  - id: leaf-without-san
    description: Endpoint leaf certificate has no subjectAltName
    severity: medium
    match: {leaf: true, is_ca: false, has_san: false, location_kind: endpoint}
    advice: >-
      Clients match hostnames against the subjectAltName only and ignore the subject CN. Reissue the
      certificate with the DNS names and addresses it serves in the subjectAltName.

  - id: ca-served-as-leaf
    description: Endpoint presents a CA certificate (CA:TRUE) as its leaf
    severity: high
    match: {leaf: true, is_ca: true, location_kind: endpoint}
    advice: >-
      A CA certificate in a server's place means its key sits on that server and can sign certificates for
      any name. Issue the service a leaf certificate (CA:FALSE) and keep CA keys off servers.

  - id: chain-out-of-order
    description: Endpoint sends its chain out of order
    severity: low
    match: {leaf: true, location_kind: endpoint, order_correct: false}
    advice: >-
      Some clients accept a misordered chain and some do not. Serve the leaf first, then each issuer in turn.

  - id: intermediate-missing
    description: Endpoint does not send an intermediate certificate its chain needs
    severity: medium
    match: {leaf: true, location_kind: endpoint, intermediates_missing_at_least: 1}
    advice: >-
      Clients that do not already hold the missing intermediate cannot build a path to the root and fail.
      Serve the full chain: the leaf, then every intermediate up to (not including) the root.

  - id: intermediate-expires-before-leaf
    description: An intermediate in the chain expires before the leaf
    severity: medium
    match: {leaf: true, intermediate_expires_before_leaf: true}
    advice: >-
      The chain breaks when the intermediate expires, whatever the leaf's own date says. Serve the CA's
      current intermediate, or reissue the leaf under it.

  - id: serves-default-certificate
    description: Endpoint answers every server name with the same certificate
    severity: low
    match: {leaf: true, location_kind: endpoint, serves_default: true}
    advice: >-
      Clients asking for a name this certificate does not cover get it anyway and fail the hostname check.
      Configure a certificate for each name the service hosts, or make the default one cover them.

  - id: shared-across-owners
    description: One certificate is deployed by several owners
    severity: medium
    match: {leaf: true, shared_across_label: owner}
    advice: >-
      Its key is spread across teams, and revoking or rotating it needs all of them at once. Give each owner
      its own certificate and key, then retire the shared one.

  - id: shared-across-environments
    description: One certificate is deployed in several environments
    severity: medium
    match: {leaf: true, shared_across_label: env}
    advice: >-
      A key copied from a test environment into production is only as safe as the test environment. Issue a
      separate certificate and key per environment.

  - id: key-reused
    description: One private key is used in several places or by several certificates
    severity: medium
    match: {leaf: true, key_reused: true}
    advice: >-
      Every copy of the key widens the blast radius of a leak, and renewing the certificate without a new key
      does not contain it. Generate a new key at each renewal and give each service its own.

  - id: self-signed-leaf-pinned
    description: A self-signed leaf certificate is pinned in a trust store
    severity: medium
    match: {pinned_in_trust_store: true}
    advice: >-
      Every client that pins this certificate has to be updated by hand when it changes, and stale copies
      break traffic long after the rotation. Issue the service a certificate from an internal CA and trust
      that CA instead of the leaf.

  # A store an OS package maintains is the distribution's to refresh: its expired roots alarm only when the
  # fleet relies on one or one is a pinned service certificate; the rest are the info rule below.
  - id: expired-trust-anchor
    description: A trust store holds an expired certificate
    severity: high
    match:
      trust_anchor: true
      expired: true
      any: [{system_store: false}, {stale: false}, {pinned_in_trust_store: true}]
    advice: >-
      Nothing verifies against an expired anchor; whoever relies on it is already failing or about to fall
      back to something worse. Replace it with the CA's current root and remove the expired copy.

  - id: expired-system-trust-anchor
    description: An OS package's trust store holds an expired root nothing in the fleet uses
    severity: info
    match: {trust_anchor: true, expired: true, system_store: true, stale: true, pinned_in_trust_store: false}
    advice: >-
      The distribution ships and refreshes this store (ca-certificates, the JRE's cacerts); nothing seen
      chains to the root. Keep the package updated; there is nothing to edit by hand.
)yaml";

// Built-in rules have no file position worth showing: they print as "built-in".
void mark_builtin(Match& match) {
    match.mark = SourceMark{"built-in", 0, 0};
    for (auto& child : match.children) mark_builtin(child);
}

RuleSet parse_builtin_policy() {
    RuleSet policy = parse_rules(builtin_policy_yaml, "built-in");
    for (auto& rule : policy.rules) {
        rule.mark = SourceMark{"built-in", 0, 0};
        mark_builtin(rule.match);
    }
    return policy;
}

}  // namespace

const RuleSet& builtin_policy() {
    static const RuleSet policy = parse_builtin_policy();
    return policy;
}

}  // namespace certfleet::rules
