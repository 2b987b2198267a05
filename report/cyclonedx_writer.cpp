#include "report/cyclonedx_writer.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <random>
#include <set>

#include "core/algorithms.hpp"
#include "core/encoding.hpp"
#include "report/json_support.hpp"
#include "report/model_support.hpp"
#include "report/table_support.hpp"

namespace certfleet::report {

namespace {

// What a certificate's key does: signs (or, for ML-KEM and DH keys, agrees keys).
const char* key_primitive(AlgorithmFamily family) {
    switch (family) {
        case AlgorithmFamily::ml_kem: return "kem";
        case AlgorithmFamily::dh:
        case AlgorithmFamily::ecdh: return "key-agree";
        case AlgorithmFamily::unknown: return "unknown";
        default: return "signature";
    }
}

// What a TLS key exchange is: RSA key transport encrypts, a hybrid with ML-KEM encapsulates, the rest agree.
const char* key_exchange_primitive(AlgorithmFamily family) {
    switch (family) {
        case AlgorithmFamily::rsa: return "pke";
        case AlgorithmFamily::ml_kem: return "kem";
        case AlgorithmFamily::unknown: return "unknown";
        default: return "key-agree";
    }
}

// A bom-ref made of a kind and a stable name: fingerprints, OIDs and places, never ids of this inventory.
std::string ref(const std::string& kind, const std::string& name) {
    std::string out = kind + ":";
    for (const char c : name) out += std::isspace(static_cast<unsigned char>(c)) ? '-' : c;
    return out;
}

std::string random_uuid() {
    std::random_device random;
    std::uniform_int_distribution<int> nibble(0, 15);
    const char* hex = "0123456789abcdef";
    std::string uuid;
    for (int i = 0; i < 32; ++i) {
        if (i == 8 || i == 12 || i == 16 || i == 20) uuid += '-';
        int value = nibble(random);
        if (i == 12) value = 4;                     // version 4
        if (i == 16) value = 8 + (value & 3);       // the RFC 4122 variant
        uuid += hex[value];
    }
    return uuid;
}

// Where a place is, as one line that names its machine too: "web1:/etc/ssl/x.pem", "10.0.0.5:443 sni=a site=b".
std::string occurrence(const inventory::Place& place) {
    return place.kind == inventory::Place::Kind::file ? place.host + ":" + place.path : place.display();
}

ordered_json occurrences(const std::set<std::string>& locations) {
    ordered_json out = ordered_json::array();
    for (const auto& location : locations) out.push_back({{"location", location}});
    return out;
}

class Bom {
public:
    // A key's or key exchange's algorithm, once: its ref.
    std::string key_algorithm(const AlgorithmJudgement& key, const char* primitive) {
        const std::string id = ref("algorithm", key.name);
        if (components_.contains(id)) return id;
        ordered_json properties{{"primitive", primitive}};
        if (!key.parameter_set.empty() && key.family != AlgorithmFamily::ecdsa && key.family != AlgorithmFamily::ecdh)
            properties["parameterSetIdentifier"] = key.parameter_set;
        if (key.family == AlgorithmFamily::ecdsa || key.family == AlgorithmFamily::ecdh)
            properties["curve"] = key.parameter_set;
        if (key.classical_bits > 0) properties["classicalSecurityLevel"] = key.classical_bits;
        if (key.quantum_vulnerable) properties["nistQuantumSecurityLevel"] = key.nist_quantum_level;
        ordered_json crypto{{"assetType", "algorithm"}, {"algorithmProperties", properties}};
        if (!key.oid.empty()) crypto["oid"] = key.oid;
        add(id, key.name, std::move(crypto));
        return id;
    }

    // A certificate's signature algorithm, once, judged by the name alone: a post-quantum one by its category,
    // a classical one as vulnerable; the strength depends on the signer's key, which another component gives.
    std::string signature_algorithm(const std::string& name) {
        const std::string id = ref("algorithm", name);
        if (components_.contains(id)) return id;
        ordered_json properties{{"primitive", "signature"}};
        const auto post_quantum = judge_key(name, "", 0);
        std::string lower = name;
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
        if (post_quantum.nist_quantum_level > 0)
            properties["nistQuantumSecurityLevel"] = post_quantum.nist_quantum_level;
        else if (lower.find("rsa") != std::string::npos || lower.find("dsa") != std::string::npos ||
                 lower.find("ed25519") != std::string::npos || lower.find("ed448") != std::string::npos)
            properties["nistQuantumSecurityLevel"] = 0;
        ordered_json crypto{{"assetType", "algorithm"}, {"algorithmProperties", properties}};
        if (const auto oid = signature_algorithm_oid(name); !oid.empty()) crypto["oid"] = oid;
        add(id, name, std::move(crypto));
        return id;
    }

    std::string public_key(const CertInfo& c) {
        const AlgorithmJudgement judged = judge_key(c);
        const std::string algorithm = key_algorithm(judged, key_primitive(judged.family));
        const std::string id = ref("public-key", "spki-sha256:" + c.spki_sha256);
        if (components_.contains(id)) return id;
        ordered_json material{{"type", "public-key"}, {"id", c.spki_sha256}, {"algorithmRef", algorithm}};
        if (c.key_bits > 0) material["size"] = c.key_bits;
        add(id, judged.name + " public key",
            {{"assetType", "related-crypto-material"}, {"relatedCryptoMaterialProperties", material}});
        depends(id, algorithm);
        key_algorithms_[c.spki_sha256] = algorithm;
        return id;
    }

    void certificate(const inventory::StoredCertificate& stored, const std::set<std::string>& locations) {
        const CertInfo& c = stored.cert;
        const std::string id = certificate_ref(c.sha256);
        const std::string key = public_key(c);
        const std::string signature = signature_algorithm(c.signature_algorithm);
        ordered_json properties{{"subjectName", c.subject},
                                {"issuerName", c.issuer},
                                {"notValidBefore", format_rfc3339(c.not_before)},
                                {"notValidAfter", format_rfc3339(c.not_after)},
                                {"signatureAlgorithmRef", signature},
                                {"subjectPublicKeyRef", key},
                                {"certificateFormat", "X.509"}};
        for (const auto& s : stored.sightings)
            if (const auto dot = s.location.path.rfind('.'); dot != std::string::npos && s.location.path.find('/', dot) == std::string::npos) {
                properties["certificateExtension"] = s.location.path.substr(dot + 1);
                break;
            }
        auto& component = add(id, common_name_or_subject(c.subject),
                               {{"assetType", "certificate"}, {"certificateProperties", properties}});
        component["hashes"] = ordered_json::array({{{"alg", "SHA-256"}, {"content", c.sha256}}});
        component["evidence"] = {{"occurrences", occurrences(locations)}};
        depends(id, key);
        depends(id, signature);
    }

    void private_key(const inventory::StoredKey& key) {
        std::set<std::string> paths;
        for (const auto& location : key.locations) paths.insert(location.path);
        std::string joined;
        for (const auto& path : paths) joined += path + '\n';
        const std::string id = key.spki_sha256 ? ref("private-key", "spki-sha256:" + *key.spki_sha256)
                                               : ref("private-key", "locations-sha256:" +
                                                                        sha256_hex(std::span(reinterpret_cast<const std::uint8_t*>(joined.data()), joined.size())));
        ordered_json material{{"type", "private-key"}};
        if (key.spki_sha256) {
            material["id"] = *key.spki_sha256;
            if (const auto it = key_algorithms_.find(*key.spki_sha256); it != key_algorithms_.end())
                material["algorithmRef"] = it->second;
        }
        auto& component = add(id, "private key",
                               {{"assetType", "related-crypto-material"}, {"relatedCryptoMaterialProperties", material}});
        component["evidence"] = {{"occurrences", occurrences(paths)}};
        component["properties"] = ordered_json::array({{{"name", "certfleet:state"}, {"value", to_string(key.state)}}});
    }

    void protocol(const inventory::StoredEndpoint& endpoint) {
        const EndpointFacts& f = endpoint.facts;
        const std::string where = endpoint_place(f).display();
        const std::string id = ref("protocol", "tls:" + where);
        ordered_json properties{{"type", "tls"}};
        if (f.tls_version.starts_with("TLSv")) properties["version"] = f.tls_version.substr(4);
        if (!f.cipher.empty()) {
            ordered_json suite{{"name", f.cipher}};
            if (!f.key_exchange.empty()) {
                const auto exchange = judge_key_exchange(f.key_exchange);
                suite["algorithms"] = ordered_json::array({key_algorithm(exchange, key_exchange_primitive(exchange.family))});
            }
            properties["cipherSuites"] = ordered_json::array({suite});
        }
        // The hybrid groups the server would choose are not the suite certfleet's session used: the protocol's own.
        if (!f.hybrid_groups.empty()) {
            ordered_json hybrids = ordered_json::array();
            for (const auto& group : f.hybrid_groups) {
                const auto exchange = judge_key_exchange(group);
                hybrids.push_back(key_algorithm(exchange, key_exchange_primitive(exchange.family)));
            }
            properties["cryptoRefArray"] = hybrids;
        }
        auto& component = add(id, "TLS", {{"assetType", "protocol"}, {"protocolProperties", properties}});
        component["evidence"] = {{"occurrences", occurrences({where})}};
        if (!endpoint.chain.empty() && components_.contains(certificate_ref(endpoint.chain.front())))
            depends(id, certificate_ref(endpoint.chain.front()));
    }

    // Each certificate on its issuer, when the issuer is in the BOM: same name, and the key identifier agrees.
    void link_issuers(const std::vector<inventory::StoredCertificate>& certificates) {
        std::multimap<std::string, const CertInfo*> by_subject;
        for (const auto& stored : certificates) by_subject.emplace(stored.cert.subject, &stored.cert);
        for (const auto& stored : certificates) {
            const CertInfo& c = stored.cert;
            if (c.self_issued) continue;
            const auto [first, last] = by_subject.equal_range(c.issuer);
            for (auto it = first; it != last; ++it)
                if (c.authority_key_id.empty() || it->second->subject_key_id.empty() ||
                    c.authority_key_id == it->second->subject_key_id) {
                    depends(certificate_ref(c.sha256), certificate_ref(it->second->sha256));
                    break;
                }
        }
    }

    ordered_json document(const ReportContext& context) const {
        ordered_json tool{{"type", "application"}, {"name", "certfleet"}};
        if (!context.tool_version.empty()) tool["version"] = context.tool_version;
        ordered_json bom{{"bomFormat", "CycloneDX"},
                         {"specVersion", "1.6"},
                         {"serialNumber", "urn:uuid:" + random_uuid()},
                         {"version", 1},
                         {"metadata", {{"timestamp", format_rfc3339(context.now)}, {"tools", {{"components", {tool}}}}}}};
        ordered_json components = ordered_json::array();
        for (const auto& [id, component] : components_) components.push_back(component);
        bom["components"] = std::move(components);
        ordered_json dependencies = ordered_json::array();
        for (const auto& [id, on] : dependencies_) dependencies.push_back({{"ref", id}, {"dependsOn", on}});
        bom["dependencies"] = std::move(dependencies);
        return bom;
    }

private:
    static std::string certificate_ref(const std::string& sha256) { return ref("certificate", "sha256:" + sha256); }

    ordered_json& add(const std::string& id, const std::string& name, ordered_json crypto) {
        return components_[id] = ordered_json{{"type", "cryptographic-asset"},
                                              {"bom-ref", id},
                                              {"name", name},
                                              {"cryptoProperties", std::move(crypto)}};
    }

    void depends(const std::string& from, const std::string& on) {
        auto& list = dependencies_[from];
        if (std::find(list.begin(), list.end(), on) == list.end()) list.push_back(on);
    }

    std::map<std::string, ordered_json> components_;                  // by bom-ref: sorted, each once
    std::map<std::string, std::vector<std::string>> dependencies_;     // by bom-ref
    std::map<std::string, std::string> key_algorithms_;                // spki sha256 -> its algorithm's ref
};

}  // namespace

void CycloneDxWriter::write(const ReportModel& model, const ReportContext& context, std::ostream& out) const {
    Bom bom;
    const AnchorStores anchors(model.anchors);
    for (const auto& stored : model.contents.certificates) {
        std::set<std::string> locations;
        for (const auto& seen : distinct_places(sighting_places(stored, anchors))) locations.insert(occurrence(seen.place));
        bom.certificate(stored, locations);
    }
    bom.link_issuers(model.contents.certificates);
    for (const auto& key : model.contents.keys) bom.private_key(key);
    for (const auto& endpoint : model.contents.endpoints)
        if (endpoint.facts.status == EndpointStatus::tls) bom.protocol(endpoint);
    out << bom.document(context).dump(2) << "\n";
}

}  // namespace certfleet::report
