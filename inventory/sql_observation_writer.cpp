// What a scan writes as it goes: each batch of file and endpoint observations, with the certificates, places and
// issuer checks they bring.
#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "core/issuance.hpp"
#include "inventory/sql_inventory.hpp"

namespace certfleet::inventory {

namespace {

using Repeats = BulkTable::Repeats;
constexpr const char* kKeepFirst = " ON CONFLICT DO NOTHING";

// A scan's row for each place; a place recorded again in one scan (a batch stored again) is at its later version.
constexpr BulkTable kLocationScans{"location_scans", "(scan_id, location_id, version_id)", 3, 2, Repeats::keep_last,
                                   " ON CONFLICT (scan_id, location_id) DO UPDATE SET version_id = excluded.version_id",
                                   true};
// A version's rows are written by the one writer whose insert made it (record_versions), once.
constexpr BulkTable kVersionSightings{"version_sightings",
                                      "(version_id, position, location_id, certificate_id, anchor, system_anchor, "
                                      "with_key)",
                                      7, 2, Repeats::keep_first, kKeepFirst, true};
constexpr BulkTable kVersionKeys{"version_keys", "(version_id, position, spki_sha256, state)", 4, 2,
                                 Repeats::keep_first, kKeepFirst, true};
constexpr BulkTable kVersionLabels{"version_labels", "(version_id, key, value)", 3, 2, Repeats::keep_first, kKeepFirst,
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
      location_scans(db, kLocationScans),
      version_sightings(db, kVersionSightings),
      version_keys(db, kVersionKeys),
      version_labels(db, kVersionLabels),
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

// A place's content already stored as a version (an unchanged place: most of a scan's) costs the scan one row.
// Versions are looked up first, so only the certificates of new contents are looked up or stored.
void SqlInventory::record(ScanId scan, const std::vector<FileObservations>& batch) {
    const auto contents = place_contents(batch);
    std::unordered_map<std::string, std::int64_t> stored_versions;  // by version key: versions before this batch
    in_transaction([&] {
        resolve_places(contents);
        find_versions(contents, stored_versions);
    });
    std::vector<CertificateRef> certificates;
    for (const auto& content : contents)
        if (!stored_versions.contains(key_text(version_key(content))))
            for (const auto* sighting : content.certificates)
                certificates.push_back({sighting->cert.get(), &sighting->der});
    if (!certificates.empty()) store_certificates(scan, certificates);
    in_transaction([&] {
        if (place_ids_.empty()) resolve_places(contents);  // a rollback forgot them
        if (certificate_ids_.empty() && !certificates.empty()) resolve_certificates(scan, certificates);
        store_issuer_links();
        record_versions(scan, contents, stored_versions);
        for (const auto& observations : batch) record_events(scan, observations);
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

void SqlInventory::record_versions(ScanId scan, const std::vector<PlaceContent>& contents,
                                   const std::unordered_map<std::string, std::int64_t>& stored_versions) {
    std::vector<std::vector<BulkInsert::Value>> missing;
    for (const auto& content : contents)
        if (auto key = version_key(content); !stored_versions.contains(key_text(key))) missing.push_back(std::move(key));
    std::unordered_map<std::string, std::int64_t> new_versions;
    std::unordered_set<std::string> inserted_here;
    store_versions(missing, new_versions, inserted_here);
    for (const auto& content : contents) {
        const std::string key = key_text(version_key(content));
        const auto stored = stored_versions.find(key);
        const std::int64_t version = stored != stored_versions.end() ? stored->second : new_versions.at(key);
        const std::int64_t place = location_id(content.path, content.format);
        if (inserted_here.contains(key)) record_version_rows(version, place, content);
        rows_->location_scans.add(scan, place, version);
    }
}

void SqlInventory::record_version_rows(std::int64_t version, std::int64_t place, const PlaceContent& content) {
    for (const auto* sighting : content.certificates)
        rows_->version_sightings.add(version, static_cast<std::int64_t>(sighting->location.index), place,
                                     certificate_id(*sighting->cert), static_cast<std::int64_t>(sighting->trust_anchor),
                                     static_cast<std::int64_t>(sighting->trust_anchor && sighting->system_store),
                                     static_cast<std::int64_t>(sighting->with_private_key));
    for (const auto& [position, key] : content.keys)
        rows_->version_keys.add(version, position, key->spki_sha256, std::string(to_string(key->state)));
    for (const auto& label : content.labels) rows_->version_labels.add(version, label.key, label.value);
}

void SqlInventory::record_events(ScanId scan, const FileObservations& observations) {
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

}  // namespace certfleet::inventory
