// What a scan writes as it goes: each batch of file and endpoint observations, with the certificates, places and
// issuer checks they bring.
#include <unordered_map>

#include "core/issuance.hpp"
#include "inventory/sql_inventory.hpp"

namespace certfleet::inventory {

void SqlInventory::record(ScanId scan, const std::vector<FileObservations>& batch) {
    std::vector<CertificateRef> certificates;
    for (const auto& observations : batch)
        for (const auto& sighting : observations.certificates) certificates.push_back({sighting.cert.get(), &sighting.der});
    in_transaction([&] {
        store_issuer_links();
        resolve_certificates(scan, certificates);
        resolve_places(batch);
        for (const auto& observations : batch) record_one(scan, observations);
        rows_->flush();
    });
}

void SqlInventory::record_endpoints(ScanId scan, const std::vector<EndpointObservationRecord>& batch) {
    std::vector<CertificateRef> certificates;
    for (const auto& record : batch)
        for (const auto& link : record.chain) certificates.push_back({link.cert.get(), &link.der});
    in_transaction([&] {
        store_issuer_links();
        resolve_certificates(scan, certificates);
        for (const auto& record : batch) record_endpoint(scan, record);
        rows_->flush();
    });
}

// Asks the workers to check the new certificate's signature against each certificate in the inventory that
// could have issued it (the same pairing link_issuers makes), so that check is done by the scan's end.
void SqlInventory::ask_who_issued(std::int64_t id, const CertInfo& c, const std::shared_ptr<const Bytes>& der) {
    auto it = issuer_candidates_.find(c.issuer);
    if (it == issuer_candidates_.end()) {
        if (issuer_candidates_.size() >= kMaxCachedIssuerNames) issuer_candidates_.clear();
        // The key-usage condition is the subject index's (schema.sql): only such certificates may sign.
        auto& select = statement(
            "SELECT id, sha256, subject_key_id, der FROM certificates WHERE subject = ? AND (key_usage = '[]' OR "
            "instr(key_usage, '\"keyCertSign\"') > 0)");
        select.bind(1, c.issuer);
        std::vector<IssuerCandidate> candidates;
        while (select.step())
            candidates.push_back(IssuerCandidate{select.integer(0), select.text(1), select.text(2),
                                                 std::make_shared<const Bytes>(select.blob(3))});
        it = issuer_candidates_.emplace(c.issuer, std::move(candidates)).first;
    }
    for (const auto& issuer : it->second) {
        if (issuer.id == id) continue;
        if (!c.authority_key_id.empty() && !issuer.subject_key_id.empty() && c.authority_key_id != issuer.subject_key_id)
            continue;
        issuance_checks_.ask(IssuanceQuestion{id, issuer.id, der, issuer.sha256, issuer.der});
    }
}

void SqlInventory::store_issuer_links() {
    for (const auto& [certificate, issuer] : issuance_checks_.take_issued()) rows_->issuer_links.add(certificate, issuer);
}

void SqlInventory::record_one(ScanId scan, const FileObservations& observations) {
    // Each place once: a file's certificates share it, and a keystore's keys are where its certificates are.
    std::int64_t labelled = 0;
    const auto place = [&](const std::string& path, SourceFormat format) {
        const std::int64_t id = location_id(path, format);
        if (id != labelled) label_location(scan, id, observations.labels);
        labelled = id;
        return id;
    };
    for (const auto& sighting : observations.certificates) {
        const std::int64_t cert = certificate_id(*sighting.cert);
        const std::int64_t location = place(sighting.location.path, sighting.location.format);
        const auto position = static_cast<std::int64_t>(sighting.location.index);
        rows_->sightings.add(scan, location, position, cert);
        if (sighting.trust_anchor) rows_->anchors.add(scan, location, position);
        if (sighting.trust_anchor && sighting.system_store) rows_->system_anchors.add(scan, location, position);
        if (sighting.with_private_key) rows_->key_certificates.add(scan, location, position);
    }
    std::unordered_map<std::int64_t, std::int64_t> keys_at;  // place -> its keys so far
    for (const auto& key : observations.keys) {
        const std::int64_t location = place(key.path, key.format);
        rows_->keys.add(scan, location, keys_at[location]++, key.spki_sha256, std::string(to_string(key.state)));
    }
    for (const auto& event : observations.events) {
        statement("INSERT INTO scan_events (scan_id, level, location, reason, detail) VALUES (?,?,?,?,?) "
                  "ON CONFLICT DO NOTHING")
            .bind(1, scan)
            .bind(2, std::string(to_string(event.level)))
            .bind(3, event.location)
            .bind(4, event.reason)
            .bind(5, event.detail)
            .run();
    }
}

// Not cached: a scan probes each endpoint once.
std::int64_t SqlInventory::endpoint_id(const EndpointFacts& f) {
    const auto bind_endpoint = [&](Statement& query) -> Statement& {
        return query.bind(1, f.host).bind(2, f.address).bind(3, static_cast<std::int64_t>(f.port)).bind(4, f.server_name)
            .bind(5, f.site);
    };
    return stored_id(
        [&] {
            return returned_id(bind_endpoint(statement("INSERT INTO endpoints (host, address, port, server_name, site) "
                                                       "VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING RETURNING id")));
        },
        "SELECT id FROM endpoints WHERE host = ? AND address = ? AND port = ? AND server_name = ? AND site = ?",
        bind_endpoint);
}

void SqlInventory::record_endpoint(ScanId scan, const EndpointObservationRecord& record) {
    const EndpointFacts& f = record.facts;
    const std::int64_t endpoint = endpoint_id(f);
    auto& insert = statement(
        "INSERT INTO endpoint_observations (scan_id, endpoint_id, status, detail, starttls, "
        "tls_version, cipher, ocsp_stapled, verified, verify_error, verify_detail, verify_errors, hostname_match, "
        "chain_trusted, order_correct, root_included, intermediates_missing, earliest_expiry, "
        "earliest_expiry_sha256, serves_default, elapsed_ms, name_check, name_check_detail, key_exchange, public_root, client_auth, client_ca_names, "
        "hybrid_groups) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (scan_id, endpoint_id) DO UPDATE SET "
        "status = excluded.status, detail = excluded.detail, starttls = excluded.starttls, tls_version = "
        "excluded.tls_version, cipher = excluded.cipher, ocsp_stapled = excluded.ocsp_stapled, verified = "
        "excluded.verified, verify_error = excluded.verify_error, verify_detail = excluded.verify_detail, "
        "verify_errors = excluded.verify_errors, hostname_match = excluded.hostname_match, chain_trusted = "
        "excluded.chain_trusted, order_correct = excluded.order_correct, root_included = excluded.root_included, "
        "intermediates_missing = excluded.intermediates_missing, earliest_expiry = excluded.earliest_expiry, "
        "earliest_expiry_sha256 = excluded.earliest_expiry_sha256, serves_default = excluded.serves_default, "
        "elapsed_ms = excluded.elapsed_ms, name_check = excluded.name_check, name_check_detail = "
        "excluded.name_check_detail, key_exchange = excluded.key_exchange, public_root = excluded.public_root, client_auth = excluded.client_auth, "
        "client_ca_names = excluded.client_ca_names, hybrid_groups = excluded.hybrid_groups");
    const ChainVerdict& v = f.verdict;
    insert.bind(1, scan).bind(2, endpoint).bind(3, std::string(to_string(f.status))).bind(4, f.detail);
    insert.bind(5, f.starttls ? std::optional<std::string>(to_string(*f.starttls)) : std::nullopt);
    insert.bind(6, f.tls_version).bind(7, f.cipher).bind(8, static_cast<std::int64_t>(f.ocsp_stapled));
    insert.bind(9, static_cast<std::int64_t>(v.verified)).bind(10, v.verify_error).bind(11, v.verify_detail);
    insert.bind(12, json_list(v.errors)).bind(13, static_cast<std::int64_t>(v.hostname_match()));
    insert.bind(14, static_cast<std::int64_t>(v.chain_trusted)).bind(15, static_cast<std::int64_t>(v.order_correct));
    insert.bind(16, static_cast<std::int64_t>(v.root_included));
    insert.bind(17, static_cast<std::int64_t>(v.intermediates_missing)).bind(18, v.earliest_expiry);
    insert.bind(19, v.earliest_expiry_sha256.empty() ? std::nullopt : std::optional<std::string>(v.earliest_expiry_sha256));
    insert.bind(20, static_cast<std::int64_t>(f.serves_default)).bind(21, f.elapsed_ms);
    insert.bind(22, std::string(to_string(v.name_check))).bind(23, v.name_check_detail).bind(24, f.key_exchange);
    insert.bind(25, static_cast<std::int64_t>(v.public_root)).bind(26, std::string(to_string(f.client_auth)));
    insert.bind(27, json_list(f.client_ca_names)).bind(28, json_list(f.hybrid_groups));
    insert.run();
    for (std::size_t position = 0; position < record.chain.size(); ++position) {
        const auto& link = record.chain[position];
        rows_->endpoint_sightings.add(scan, endpoint, static_cast<std::int64_t>(position),
                                      certificate_id(*link.cert));
    }
    for (const auto& l : record.labels) rows_->endpoint_labels.add(scan, endpoint, l.key, l.value);
}

void SqlInventory::label_location(ScanId scan, std::int64_t location, const Labels& labels) {
    for (const auto& l : labels) rows_->location_labels.add(scan, location, l.key, l.value);
}

}  // namespace certfleet::inventory
