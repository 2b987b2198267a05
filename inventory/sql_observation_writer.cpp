// What a scan writes as it goes: each batch of file and endpoint observations, with the certificates, places and
// issuer checks they bring.
#include <algorithm>
#include <unordered_map>

#include "core/issuance.hpp"
#include "inventory/sql_inventory.hpp"

namespace certfleet::inventory {

namespace {

using Repeats = BulkTable::Repeats;
constexpr const char* kKeepFirst = " ON CONFLICT DO NOTHING";

constexpr BulkTable kSightings{"sightings", "(scan_id, location_id, position, certificate_id)", 4, 3,
                               Repeats::keep_first, kKeepFirst, true};
constexpr BulkTable kAnchors{"anchor_sightings", "(scan_id, location_id, position)", 3, 3, Repeats::keep_first,
                             kKeepFirst, true};
constexpr BulkTable kSystemAnchors{"system_anchor_sightings", "(scan_id, location_id, position)", 3, 3,
                                   Repeats::keep_first, kKeepFirst, true};
constexpr BulkTable kKeyCertificates{"key_certificate_sightings", "(scan_id, location_id, position)", 3, 3,
                                     Repeats::keep_first, kKeepFirst, true};
constexpr BulkTable kKeys{"key_sightings", "(scan_id, location_id, position, spki_sha256, state)", 5, 3,
                          Repeats::keep_first, kKeepFirst, true};
constexpr BulkTable kLocationLabels{"location_labels", "(scan_id, location_id, key, value)", 4, 3, Repeats::keep_last,
                                    " ON CONFLICT (scan_id, location_id, key) DO UPDATE SET value = excluded.value",
                                    true};
constexpr BulkTable kEndpointSightings{"endpoint_sightings", "(scan_id, endpoint_id, position, certificate_id)", 4, 3,
                                       Repeats::keep_first, kKeepFirst, true};
constexpr BulkTable kEndpointLabels{"endpoint_labels", "(scan_id, endpoint_id, key, value)", 4, 3, Repeats::keep_last,
                                    " ON CONFLICT (scan_id, endpoint_id, key) DO UPDATE SET value = excluded.value",
                                    true};
// Writers meet the same issuer pair at once (a CA's certificates copied to many hosts): statements only.
constexpr BulkTable kIssuerLinks{"certificate_issuers", "(certificate_id, issuer_id)", 2, 2, Repeats::keep_first,
                                 kKeepFirst, false};
// A probe stored again (a batch written twice) is the later one.
constexpr BulkTable kEndpointObservations{
    "endpoint_observations",
    "(scan_id, endpoint_id, status, detail, starttls, tls_version, cipher, ocsp_stapled, verified, verify_error, "
    "verify_detail, verify_errors, hostname_match, chain_trusted, order_correct, root_included, "
    "intermediates_missing, earliest_expiry, earliest_expiry_sha256, serves_default, elapsed_ms, name_check, "
    "name_check_detail, key_exchange, public_root, client_auth, client_ca_names, hybrid_groups)",
    28,
    2,
    Repeats::keep_last,
    " ON CONFLICT (scan_id, endpoint_id) DO UPDATE SET status = excluded.status, detail = excluded.detail, "
    "starttls = excluded.starttls, tls_version = excluded.tls_version, cipher = excluded.cipher, ocsp_stapled "
    "= excluded.ocsp_stapled, verified = excluded.verified, verify_error = excluded.verify_error, "
    "verify_detail = excluded.verify_detail, verify_errors = excluded.verify_errors, hostname_match = "
    "excluded.hostname_match, chain_trusted = excluded.chain_trusted, order_correct = excluded.order_correct, "
    "root_included = excluded.root_included, intermediates_missing = excluded.intermediates_missing, "
    "earliest_expiry = excluded.earliest_expiry, earliest_expiry_sha256 = excluded.earliest_expiry_sha256, "
    "serves_default = excluded.serves_default, elapsed_ms = excluded.elapsed_ms, name_check = "
    "excluded.name_check, name_check_detail = excluded.name_check_detail, key_exchange = "
    "excluded.key_exchange, public_root = excluded.public_root, client_auth = excluded.client_auth, "
    "client_ca_names = excluded.client_ca_names, hybrid_groups = excluded.hybrid_groups",
    true};

}  // namespace

SqlInventory::SightingRows::SightingRows(SqlConnection& connection)
    : db(connection),
      sightings(db, kSightings),
      anchors(db, kAnchors),
      system_anchors(db, kSystemAnchors),
      key_certificates(db, kKeyCertificates),
      keys(db, kKeys),
      location_labels(db, kLocationLabels),
      endpoint_sightings(db, kEndpointSightings),
      endpoint_labels(db, kEndpointLabels),
      issuer_links(db, kIssuerLinks),
      endpoint_observations(db, kEndpointObservations) {}

void SqlInventory::SightingRows::flush() {
    const auto rows = all();
    if (db.row_copier() && std::any_of(rows.begin(), rows.end(), [](auto* r) { return r->copies() && !r->empty(); })) {
        db.exec("SAVEPOINT batch_rows");
        bool copied = true;
        for (auto* rows : all())
            if (rows->copies() && !(copied = rows->copy())) break;
        db.exec(copied ? "RELEASE SAVEPOINT batch_rows" : "ROLLBACK TO SAVEPOINT batch_rows; RELEASE SAVEPOINT batch_rows");
        if (copied)
            for (auto* rows : all())
                if (rows->copies()) rows->discard();
    }
    for (auto* rows : all()) rows->flush();
}

void SqlInventory::SightingRows::discard() {
    for (auto* rows : all()) rows->discard();
}

void SqlInventory::record(ScanId scan, const std::vector<FileObservations>& batch) {
    std::vector<CertificateRef> certificates;
    for (const auto& observations : batch)
        for (const auto& sighting : observations.certificates) certificates.push_back({sighting.cert.get(), &sighting.der});
    store_certificates(scan, certificates);
    in_transaction([&] {
        if (certificate_ids_.empty()) resolve_certificates(scan, certificates);  // a rollback forgot them
        store_issuer_links();
        resolve_places(batch);
        for (const auto& observations : batch) record_one(scan, observations);
        rows_->flush();
    });
}

void SqlInventory::record_endpoints(ScanId scan, const std::vector<EndpointObservationRecord>& batch) {
    std::vector<CertificateRef> certificates;
    for (const auto& record : batch)
        for (const auto& link : record.chain) certificates.push_back({link.cert.get(), &link.der});
    store_certificates(scan, certificates);
    in_transaction([&] {
        if (certificate_ids_.empty()) resolve_certificates(scan, certificates);  // a rollback forgot them
        store_issuer_links();
        resolve_endpoints(batch);
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

void SqlInventory::record_endpoint(ScanId scan, const EndpointObservationRecord& record) {
    const EndpointFacts& f = record.facts;
    const std::int64_t endpoint = endpoint_id(f);
    const ChainVerdict& v = f.verdict;
    rows_->endpoint_observations.add(
        scan, endpoint, std::string(to_string(f.status)), f.detail,
        f.starttls ? std::optional<std::string>(to_string(*f.starttls)) : std::nullopt, f.tls_version, f.cipher,
        static_cast<std::int64_t>(f.ocsp_stapled), static_cast<std::int64_t>(v.verified), v.verify_error,
        v.verify_detail, json_list(v.errors), static_cast<std::int64_t>(v.hostname_match()),
        static_cast<std::int64_t>(v.chain_trusted), static_cast<std::int64_t>(v.order_correct),
        static_cast<std::int64_t>(v.root_included), static_cast<std::int64_t>(v.intermediates_missing),
        v.earliest_expiry,
        v.earliest_expiry_sha256.empty() ? std::nullopt : std::optional<std::string>(v.earliest_expiry_sha256),
        static_cast<std::int64_t>(f.serves_default), f.elapsed_ms, std::string(to_string(v.name_check)),
        v.name_check_detail, f.key_exchange, static_cast<std::int64_t>(v.public_root),
        std::string(to_string(f.client_auth)), json_list(f.client_ca_names), json_list(f.hybrid_groups));
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
