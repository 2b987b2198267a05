#pragma once
// Which certificates a file holds as trust anchors (entries of a trust store) rather than as a chain some
// service presents. Decided by content and context, so the inventory can say which stores exist on disk and
// what each one trusts, self-signed leaves pinned into them included:
//
//   - Keystores say so in their structure: a JKS/JCEKS trustedCertEntry is an anchor, the chain of a
//     PrivateKeyEntry is not; a PKCS#12 without a private key is a truststore (as keytool writes them) and all
//     its certificates are anchors, while one with a key holds that key's chain.
//   - Kubernetes, kubeconfig and Helm values (base64 or PEM, in YAML or JSON) say so in their key:
//     certificate-authority-data, ca.crt, ca-bundle.crt and caBundle hold anchors; client-certificate-data,
//     tls.crt and every other key do not, and a file of such values is judged by its keys alone.
//   - Plain certificate files (PEM, DER, PKCS#7) with no private key in them are stores when they sit in a
//     trust location, carry an OpenSSL hashed name (9d6523ce.0), or are bundles shaped like a store; see
//     mark_trust_store_anchors. A lone self-signed server certificate elsewhere is not an anchor, but the same
//     certificate copied into /etc/ssl/certs or into a truststore bundle is: it has been pinned there.
#include <cstddef>
#include <string_view>

#include "core/observation.hpp"

namespace certfleet::scanner {

// The key the YAML or JSON value starting at `value_start` in `text` is held under: `key: value`,
// `"key": "value"`, or a block scalar (`key: |`) whose first line starts there. Empty when it follows no key.
std::string_view key_of_value(std::string_view text, std::size_t value_start);

// Whether a value under `key` holds CA certificates: certificate-authority-data, ca.crt, ca-bundle.crt, caBundle.
bool key_holds_trust_anchors(std::string_view key);

// Marks the plain certificates (formats pem, der, pkcs7) of the file at `path` as anchors when the file is a
// trust store: it holds no private key, and it is in a trust location (under /etc/ssl/certs, /etc/pki/ca-trust,
// /etc/pki/tls/certs, or a path naming truststore, trust-store, cacerts, ca-bundle or ca-certificates), has an
// OpenSSL hashed name, or is a bundle of two or more CA or self-signed certificates that are not one issuance
// chain in order. Keystore and Kubernetes certificates keep what their structure or key decided, and a file
// whose certificates are values under keys (YAML, JSON) is judged by those keys, so it is not passed here.
void mark_trust_store_anchors(FileObservations& file, std::string_view path);

// Whether the trust store at `path` is one an OS package maintains, which the distribution refreshes and the
// host's people do not edit: Debian's ca-certificates (/etc/ssl/certs/ca-certificates.crt, /etc/ssl/certs/java,
// /usr/share/ca-certificates, /etc/ca-certificates), Red Hat's (/etc/pki/ca-trust, /usr/share/pki/ca-trust-source,
// /etc/pki/tls/certs/ca-bundle.crt and ca-bundle.trust.crt, /etc/pki/java/cacerts) and a JRE's own cacerts under
// /usr/lib/jvm. The other files of /etc/ssl/certs are links (recorded at their targets) or put there by hand, and
// /usr/local/share/ca-certificates and /etc/pki/ca-trust/source are where administrators add their own roots:
// stores there are theirs. Matched anywhere in the path, as trust locations are: a container image or a host's
// disk mounted elsewhere has a distribution of its own.
bool is_system_trust_store(std::string_view path);

// Marks the trust anchors of the file at `path` as entries of a system store when is_system_trust_store says so.
void mark_system_store_anchors(FileObservations& file, std::string_view path);

}  // namespace certfleet::scanner
