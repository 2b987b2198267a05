#pragma once
// The writer (inventory.hpp's Inventory) on either store: one class whose members live by subject in
// sql_inventory.cpp (scan lifecycle), sql_observation_writer.cpp (a scan's batches), sql_conclusions.cpp and
// sql_place_states.cpp (what a scan's end adds). What differs between stores (transactions, who owns a running
// scan, housekeeping) is left to SqliteInventory (sqlite_inventory.cpp) and PgInventory (pg_inventory.cpp).
// Internal to inventory/.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "inventory/bulk_insert.hpp"
#include "inventory/concurrent_issuance.hpp"
#include "inventory/inventory.hpp"
#include "inventory/sqlite_support.hpp"

namespace certfleet::inventory {

struct KeyedTable;  // sql_batch_ids.cpp

class SqlInventory : public Inventory {
public:
    ~SqlInventory() override;

    ScanId begin_scan(const std::string& kind, const std::string& parameters_json, const Labels& labels,
                      const RunMembership& run = {}) override;
    void record(ScanId scan, const std::vector<FileObservations>& batch) override;
    void record_endpoints(ScanId scan, const std::vector<EndpointObservationRecord>& batch) override;
    void finish_scan(ScanId scan, ScanStatus status, const ScanCounts& counts, const FindingsEvaluator& evaluate = {},
                     std::optional<UnixTime> finished_at = std::nullopt) override;
    std::optional<ScanId> begin_copied_scan(const ScanRecord& origin, const Labels& labels) override;
    void record_findings(ScanId scan, const std::vector<Finding>& findings) override;
    ScanId record_refused_scan(const std::string& kind, const std::string& parameters_json, const Labels& labels,
                               const ScanEvent& error, const RunMembership& run = {}) override;
    std::optional<std::pair<ScanId, std::uint64_t>> find_resumable(const std::string& resume_key) override;
    void reopen_scan(ScanId scan) override;
    void record_progress(ScanId scan, const std::string& resume_key, std::uint64_t position) override;
    std::vector<Bytes> intermediate_certificates() override;
    Forgotten forget(const std::function<bool(const Place&)>& matches, bool dry_run) override;
    InventoryQueries& queries() override { return *queries_; }

protected:
    // `db`: a connection to an inventory already at the current schema; `where` names it in messages.
    SqlInventory(std::unique_ptr<SqlConnection> db, const std::string& where);

    // Opens a write transaction: no other writer's may interleave with it where the store cannot order them.
    virtual void begin_transaction() = 0;
    // Whether a transaction that failed with `error` on attempt `attempt` (from 1) should run again, after the
    // wait this returns true after.
    virtual bool retry_after(const std::exception& error, int attempt) = 0;
    // Makes the current transaction the only one concluding scans or forgetting places until it ends.
    virtual void serialize_conclusions() = 0;
    // Records that this process runs `scan` (begun or reopened), inside the transaction that does so.
    virtual void claim_scan(ScanId scan) = 0;
    // Of the scans stored as running, those whose process is gone.
    virtual std::vector<ScanId> abandoned_scans() = 0;
    // Before a scan's end is concluded, outside any transaction.
    virtual void before_scan_end() {}
    // After a scan's end is committed.
    virtual void after_scan_end() {}

    std::unique_ptr<SqlConnection> connection_;  // declared first: every statement below is destroyed before it
    SqlConnection& db_;

private:
    // The rows a scan writes per sighting, and the issuer links its certificates bring, many at a time; stored
    // before each batch commits (sql_observation_writer.cpp).
    struct SightingRows {
        explicit SightingRows(SqlConnection& db);
        // Stores every pending row. Where the store can, each table's rows of the batch go in one COPY, inside a
        // savepoint; when one of them is stored already (a batch stored again: --resume, a resumed push, roots
        // that overlap) they go again as statements, which keep the row the table's conflict clause says.
        void flush();
        void discard();
        std::array<BulkInsert*, 10> all() {
            return {&sightings,          &anchors,         &system_anchors, &key_certificates,     &keys,
                    &location_labels,    &endpoint_sightings, &endpoint_labels, &issuer_links, &endpoint_observations};
        }
        SqlConnection& db;
        BulkInsert sightings, anchors, system_anchors, key_certificates, keys, location_labels, endpoint_sightings,
            endpoint_labels, issuer_links, endpoint_observations;
    };

    // A certificate that could have issued others: the certificates named as their issuer.
    struct IssuerCandidate {
        std::int64_t id = 0;
        std::string sha256;
        std::string subject_key_id;
        std::shared_ptr<const Bytes> der;
    };

    static constexpr std::size_t kMaxCachedIssuerNames = 4096;
    // Issuer pairs whose certificates a scan's end reads and checks at a time.
    static constexpr std::size_t kLinkChunk = 128;

    void exec(const char* sql) { db_.exec(sql); }

    // Runs `work` in a write transaction, again from the start when the store says a failure was a lost race.
    template <typename Work>
    void in_transaction(Work&& work) {
        for (int attempt = 1;; ++attempt) {
            try {
                begin_transaction();  // where a connection lost between transactions is found
                work();
                exec("COMMIT");
                return;
            } catch (const std::exception& error) {
                roll_back();
                if (!retry_after(error, attempt)) throw;
            }
        }
    }
    void roll_back();

    // The id an INSERT ... RETURNING id returned, if it inserted a row.
    static std::optional<std::int64_t> returned_id(Statement& insert);

    // sql_inventory.cpp
    void forget_cached_ids();
    std::vector<Finding> evaluated(ScanId scan, const FindingsEvaluator& evaluate);
    void use_host_of(ScanId scan);
    // A new scan row with the origin's identity and times (begin_scan's own, or a copied scan's); nullopt when
    // its UUID is here already.
    std::optional<ScanId> insert_scan(const ScanRecord& origin, const Labels& labels);
    std::optional<ScanId> committed_unanswered(std::optional<ScanId> earlier, const std::string& uuid);
    void mark_abandoned_scans();
    Statement& statement(const char* sql);

    // sql_observation_writer.cpp
    void record_one(ScanId scan, const FileObservations& observations);
    void record_endpoint(ScanId scan, const EndpointObservationRecord& record);
    void label_location(ScanId scan, std::int64_t location, const Labels& labels);
    void ask_who_issued(std::int64_t id, const CertInfo& c, const std::shared_ptr<const Bytes>& der);
    void store_issuer_links();

    // sql_batch_ids.cpp: the ids a batch's rows name, found or stored before the rows are written.
    struct CertificateRef {
        const CertInfo* cert;
        const std::shared_ptr<const Bytes>* der;
    };
    void resolve_certificates(ScanId scan, const std::vector<CertificateRef>& seen);
    void store_certificates(ScanId scan, const std::vector<CertificateRef>& seen);
    void resolve_keys(const KeyedTable& table, const std::vector<std::vector<BulkInsert::Value>>& keys,
                      std::unordered_map<std::string, std::int64_t>& ids);
    void resolve_places(const std::vector<FileObservations>& batch);
    void resolve_endpoints(const std::vector<EndpointObservationRecord>& batch);
    std::int64_t certificate_id(const CertInfo& c) const;
    std::int64_t location_id(const std::string& path, SourceFormat format) const;
    std::int64_t endpoint_id(const EndpointFacts& f) const;
    // A statement whose SQL is made at run time (a chunk's worth of rows), kept for the next chunk of that size.
    Statement& generated_statement(const std::string& sql);
    // The sha256 and DER of each of these certificates, by id.
    std::unordered_map<std::int64_t, std::pair<std::string, Bytes>> certificate_ders(std::vector<std::int64_t> ids);

    // sql_conclusions.cpp
    void mark_default_certificates(ScanId scan);
    void store_findings(ScanId scan, const std::vector<Finding>& findings);
    void conclude(ScanId scan, ScanStatus status);
    void link_issuers(ScanId scan);

    // sql_place_states.cpp
    void conclude_place_states(ScanId scan, ScanStatus status);
    void mark_present_again(ScanId scan);
    void stage_probe_outcomes(ScanId scan);
    void stage_missing_files(ScanId scan);
    void stage_dropped_endpoints(ScanId scan);

    std::unordered_map<const char*, std::unique_ptr<Statement>> statements_;
    std::unordered_map<std::string, std::unique_ptr<Statement>> generated_statements_;
    // The current batch's, by sha256 and by their keys (sql_batch_ids.cpp).
    std::unordered_map<std::string, std::int64_t> certificate_ids_;
    std::unordered_map<std::string, std::int64_t> place_ids_;
    std::unordered_map<std::string, std::int64_t> endpoint_ids_;
    std::string file_host_;  // the host of the file places the current scan records (its parameters' "host")
    std::unordered_map<std::string, std::vector<IssuerCandidate>> issuer_candidates_;  // by subject
    std::unique_ptr<SightingRows> rows_;
    std::unique_ptr<InventoryQueries> queries_;
    // Declared last, so its workers stop first.
    ConcurrentIssuanceChecks issuance_checks_;
};

}  // namespace certfleet::inventory
