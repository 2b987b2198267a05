// What a scan's end adds: its status and counts, the views across scans (latest place, first and last seen,
// issuer links), default certificates, and the findings of the rules.
#include <algorithm>
#include <span>

#include "core/encoding.hpp"
#include "core/issuance.hpp"
#include "inventory/sql_inventory.hpp"

namespace certfleet::inventory {

void SqlInventory::finish_scan(ScanId scan, ScanStatus status, const ScanCounts& counts,
                               const FindingsEvaluator& evaluate, std::optional<UnixTime> finished_at) {
    before_scan_end();
    in_transaction([&] {
        Statement update(db_,
                         "UPDATE scans SET status = ?, files_walked = ?, files_skipped = ?, certificates_seen = ?, "
                         "keys_seen = ?, errors = ?, notes = ?, finished_at = ? WHERE id = ?");
        update.bind(1, std::string(to_string(status)))
            .bind(2, static_cast<std::int64_t>(counts.files_walked))
            .bind(3, static_cast<std::int64_t>(counts.files_skipped))
            .bind(4, static_cast<std::int64_t>(counts.certificates_seen))
            .bind(5, static_cast<std::int64_t>(counts.keys_seen))
            .bind(6, static_cast<std::int64_t>(counts.errors))
            .bind(7, static_cast<std::int64_t>(counts.notes))
            .bind(8, finished_at.value_or(now_utc()))
            .bind(9, scan)
            .run();
        mark_default_certificates(scan);
        conclude(scan, status);
        if (evaluate) store_findings(scan, evaluated(scan, evaluate));
    });
    after_scan_end();
}

// The rules' findings about the view after `scan`, evaluated in a savepoint: an evaluator that catches its own
// failure (the scan pipeline's, which reports it) returns none, and on PostgreSQL the statement that failed has
// failed the transaction too. Back at the savepoint the scan ends without findings, as on SQLite.
std::vector<Finding> SqlInventory::evaluated(ScanId scan, const FindingsEvaluator& evaluate) {
    exec("SAVEPOINT evaluation");
    auto findings = evaluate(*queries_, scan);
    if (db_.transaction_failed()) {
        exec("ROLLBACK TO SAVEPOINT evaluation");
        findings.clear();
    }
    exec("RELEASE SAVEPOINT evaluation");
    return findings;
}

void SqlInventory::record_findings(ScanId scan, const std::vector<Finding>& findings) {
    in_transaction([&] { store_findings(scan, findings); });
}

// An address and port that answered several SNI names, all with the same leaf, serves a default
// certificate whatever name is asked for. Those addresses are found once (MATERIALIZED): a planner that takes
// the scan for a few rows (PostgreSQL, whose statistics never know the newest scan) would find them again for
// every endpoint.
void SqlInventory::mark_default_certificates(ScanId scan) {
    Statement defaults(db_,
                       "WITH defaults AS MATERIALIZED (SELECT e2.address, e2.port FROM endpoint_observations o2 JOIN "
                       "endpoints e2 ON e2.id = o2.endpoint_id JOIN endpoint_sightings s2 ON s2.scan_id = o2.scan_id "
                       "AND s2.endpoint_id = o2.endpoint_id AND s2.position = 0 WHERE o2.scan_id = ?1 AND o2.status = "
                       "'tls' GROUP BY e2.address, e2.port HAVING count(DISTINCT e2.server_name) > 1 AND "
                       "count(DISTINCT s2.certificate_id) = 1) UPDATE endpoint_observations SET serves_default = 1 "
                       "WHERE scan_id = ?1 AND endpoint_id IN (SELECT e.id FROM endpoints e JOIN defaults d ON "
                       "d.address = e.address AND d.port = e.port)");
    defaults.bind(1, scan).run();
}

void SqlInventory::store_findings(ScanId scan, const std::vector<Finding>& findings) {
    Statement clear(db_, "DELETE FROM findings WHERE scan_id = ?");
    clear.bind(1, scan).run();
    Statement insert(db_,
                     "INSERT INTO findings (scan_id, rule_id, severity, sha256, location, message, days_left, "
                     "deadline, overdue, labels, evaluated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)");
    const UnixTime now = now_utc();
    for (const auto& f : findings) {
        insert.bind(1, scan).bind(2, f.rule_id).bind(3, std::string(to_string(f.severity))).bind(4, f.sha256).bind(5, f.location);
        insert.bind(6, f.message).bind(7, f.days_left).bind(8, f.deadline);
        insert.bind(9, static_cast<std::int64_t>(f.overdue)).bind(10, labels_json_text(f.labels)).bind(11, now).run();
    }
}

// What a scan adds to the views across scans, once it has ended (finished, interrupted, or found dead): the
// current view of each place it looked at and their states, the first and last scan of each certificate it saw,
// and the issuer links of the certificates it added. Set-based, once per scan, rather than once per sighting.
void SqlInventory::conclude(ScanId scan, ScanStatus status) {
    serialize_conclusions();
    // One statement per table the scan wrote, each reading it in its index's order (a UNION of two would sort
    // every row through a temporary B-tree first).
    // A row already as recent (or as old) as the scan is left alone, so the second table of a pair rewrites
    // only the rows the first did not bring.
    static constexpr const char* kLatestPlace =
        " GROUP BY location_id ORDER BY location_id ON CONFLICT (location_id) DO UPDATE SET scan_id = "
        "excluded.scan_id WHERE excluded.scan_id > location_latest.scan_id";
    static constexpr const char* kSeen =
        " GROUP BY certificate_id ORDER BY certificate_id ON CONFLICT (certificate_id) DO UPDATE SET first_scan = "
        "CASE WHEN excluded.first_scan < certificate_seen.first_scan THEN excluded.first_scan ELSE "
        "certificate_seen.first_scan END, last_scan = CASE WHEN excluded.last_scan > certificate_seen.last_scan THEN "
        "excluded.last_scan ELSE certificate_seen.last_scan END WHERE excluded.first_scan < "
        "certificate_seen.first_scan OR excluded.last_scan > certificate_seen.last_scan";
    const std::string conclusions[] = {
        std::string("INSERT INTO location_latest (location_id, scan_id) SELECT location_id, ?1 FROM sightings "
                    "WHERE scan_id = ?1") + kLatestPlace,
        std::string("INSERT INTO location_latest (location_id, scan_id) SELECT location_id, ?1 FROM key_sightings "
                    "WHERE scan_id = ?1") + kLatestPlace,
        // An endpoint keeps pointing at the certificates it last presented when this probe found none.
        "INSERT INTO endpoint_latest (endpoint_id, scan_id) SELECT endpoint_id, ?1 FROM endpoint_observations "
        "WHERE scan_id = ?1 ORDER BY endpoint_id ON CONFLICT (endpoint_id) DO UPDATE SET scan_id = "
        "excluded.scan_id WHERE excluded.scan_id > endpoint_latest.scan_id AND (EXISTS (SELECT 1 FROM endpoint_observations o "
        "WHERE o.scan_id = excluded.scan_id AND o.endpoint_id = excluded.endpoint_id AND o.status = 'tls') OR NOT "
        "EXISTS (SELECT 1 FROM endpoint_observations o WHERE o.scan_id = endpoint_latest.scan_id AND o.endpoint_id "
        "= endpoint_latest.endpoint_id AND o.status = 'tls'))",
        std::string("INSERT INTO certificate_seen (certificate_id, first_scan, last_scan) SELECT certificate_id, "
                    "?1, ?1 FROM sightings WHERE scan_id = ?1") + kSeen,
        std::string("INSERT INTO certificate_seen (certificate_id, first_scan, last_scan) SELECT certificate_id, "
                    "?1, ?1 FROM endpoint_sightings WHERE scan_id = ?1") + kSeen,
    };
    for (const auto& sql : conclusions) Statement(db_, sql.c_str()).bind(1, scan).run();
    conclude_place_states(scan, status);
    link_issuers(scan);
}

// Links the certificates this scan added to their issuers and to the certificates they issued, among
// everything in the inventory. Candidates come from names and key identifiers; the signature decides. The
// workers have checked most pairs already (those whose issuer was stored before the certificate, in this
// process); the rest, and the scans of processes that died, are checked here.
void SqlInventory::link_issuers(ScanId scan) {
    issuance_checks_.wait();
    store_issuer_links();
    // Pairs first, by id: their DER is read a chunk at a time below. A certificate authority first seen after
    // thousands of the certificates it issued pairs with each, and PostgreSQL's client holds a whole result.
    static constexpr const char* kCandidates[] = {
        "SELECT c.id, i.id FROM certificates c JOIN certificates i ON i.subject = c.issuer "
        "WHERE c.first_seen_scan = ?1 AND c.self_issued = 0 AND (i.key_usage = '[]' OR "
        "instr(i.key_usage, '\"keyCertSign\"') > 0) AND (c.authority_key_id = '' OR "
        "i.subject_key_id = '' OR c.authority_key_id = i.subject_key_id) AND NOT EXISTS (SELECT 1 FROM "
        "certificate_issuers ci WHERE ci.certificate_id = c.id AND ci.issuer_id = i.id) ORDER BY i.id",
        "SELECT c.id, i.id FROM certificates i JOIN certificates c ON c.issuer = i.subject "
        "WHERE i.first_seen_scan = ?1 AND c.first_seen_scan != ?1 AND c.self_issued = 0 AND (i.key_usage = '[]' "
        "OR instr(i.key_usage, '\"keyCertSign\"') > 0) AND "
        "(c.authority_key_id = '' OR i.subject_key_id = '' OR c.authority_key_id = i.subject_key_id) AND NOT EXISTS "
        "(SELECT 1 FROM certificate_issuers ci WHERE ci.certificate_id = c.id AND ci.issuer_id = i.id) ORDER BY i.id"};
    std::vector<IssuerLink> pairs;
    for (const char* sql : kCandidates) {
        Statement candidates(db_, sql);
        candidates.bind(1, scan);
        while (candidates.step()) {
            const IssuerLink pair{candidates.integer(0), candidates.integer(1)};
            if (!issuance_checks_.answered_no(pair)) pairs.push_back(pair);
        }
    }
    IssuanceChecker checker;
    for (std::size_t first = 0; first < pairs.size(); first += kLinkChunk) {
        const std::span<const IssuerLink> chunk(pairs.data() + first, std::min(kLinkChunk, pairs.size() - first));
        std::vector<std::int64_t> ids;
        for (const auto& [certificate, issuer] : chunk) ids.insert(ids.end(), {certificate, issuer});
        const auto stored = certificate_ders(ids);
        for (const auto& [certificate, issuer] : chunk) {
            const auto& [issuer_sha256, issuer_der] = stored.at(issuer);
            if (checker.issued(stored.at(certificate).second, issuer_sha256, issuer_der))
                rows_->issuer_links.add(certificate, issuer);
        }
    }
    rows_->issuer_links.flush();
}

}  // namespace certfleet::inventory
