#pragma once
// The SQLite writer (inventory.hpp's Inventory): one class whose members live by subject in sqlite_inventory.cpp
// (connection and scan lifecycle), sqlite_observation_writer.cpp (a scan's batches) and sqlite_conclusions.cpp
// (what a scan's end adds). Internal to inventory/.
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
#include "inventory/wal_checkpointer.hpp"

namespace certfleet::inventory {

class SqliteInventory final : public Inventory {
public:
    explicit SqliteInventory(const std::string& path);
    ~SqliteInventory() override;

    ScanId begin_scan(const std::string& kind, const std::string& parameters_json, const Labels& labels) override;
    void record(ScanId scan, const std::vector<FileObservations>& batch) override;
    void record_endpoints(ScanId scan, const std::vector<EndpointObservationRecord>& batch) override;
    void finish_scan(ScanId scan, ScanStatus status, const ScanCounts& counts,
                     const FindingsEvaluator& evaluate) override;
    void record_findings(ScanId scan, const std::vector<Finding>& findings) override;
    ScanId record_refused_scan(const std::string& kind, const std::string& parameters_json, const Labels& labels,
                               const ScanEvent& error) override;
    std::optional<std::pair<ScanId, std::uint64_t>> find_resumable(const std::string& resume_key) override;
    void reopen_scan(ScanId scan) override;
    void record_progress(ScanId scan, const std::string& resume_key, std::uint64_t position) override;
    std::vector<Bytes> intermediate_certificates() override;
    Forgotten forget(const std::function<bool(const Place&)>& matches, bool dry_run) override;
    InventoryQueries& queries() override { return *queries_; }

private:
    // The rows a scan writes per sighting, many to a statement; flushed before each batch commits.
    struct SightingRows {
        explicit SightingRows(SqlConnection& db)
            : sightings(db, "INSERT INTO sightings (scan_id, location_id, position, certificate_id) VALUES", 4,
                        kKeepFirst),
              anchors(db, "INSERT INTO anchor_sightings (scan_id, location_id, position) VALUES", 3, kKeepFirst),
              system_anchors(db, "INSERT INTO system_anchor_sightings (scan_id, location_id, position) VALUES", 3,
                             kKeepFirst),
              key_certificates(db, "INSERT INTO key_certificate_sightings (scan_id, location_id, position) VALUES", 3,
                               kKeepFirst),
              keys(db, "INSERT INTO key_sightings (scan_id, location_id, spki_sha256, state) VALUES", 4),
              location_labels(db, "INSERT INTO location_labels (scan_id, location_id, key, value) VALUES", 4,
                              " ON CONFLICT (scan_id, location_id, key) DO UPDATE SET value = excluded.value"),
              endpoint_sightings(db,
                                 "INSERT INTO endpoint_sightings (scan_id, endpoint_id, position, certificate_id) "
                                 "VALUES",
                                 4, kKeepFirst),
              endpoint_labels(db, "INSERT INTO endpoint_labels (scan_id, endpoint_id, key, value) VALUES", 4,
                              " ON CONFLICT (scan_id, endpoint_id, key) DO UPDATE SET value = excluded.value") {}
        static constexpr const char* kKeepFirst = " ON CONFLICT DO NOTHING";
        void flush() {
            for (auto* rows : all()) rows->flush();
        }
        void discard() {
            for (auto* rows : all()) rows->discard();
        }
        std::array<BulkInsert*, 8> all() {
            return {&sightings, &anchors, &system_anchors, &key_certificates, &keys, &location_labels,
                    &endpoint_sightings, &endpoint_labels};
        }
        BulkInsert sightings, anchors, system_anchors, key_certificates, keys, location_labels, endpoint_sightings,
            endpoint_labels;
    };

    // A certificate that could have issued others: the certificates named as their issuer.
    struct IssuerCandidate {
        std::int64_t id = 0;
        std::string sha256;
        std::string subject_key_id;
        std::shared_ptr<const Bytes> der;
    };

    static constexpr std::size_t kMaxCachedIssuerNames = 4096;

    void exec(const char* sql) { db_.exec(sql); }

    template <typename Work>
    void in_transaction(Work&& work) {
        exec("BEGIN IMMEDIATE");
        try {
            work();
            exec("COMMIT");
        } catch (...) {
            sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
            rows_->discard();
            forget_cached_ids();  // they and the questions asked about them may name rows the rollback removed
            throw;
        }
    }

    // The id of a unique row: from the table by `select_sql`, else by inserting the row. Every caller is inside an
    // immediate transaction, so no other writer can add the row in between.
    template <typename Insert, typename BindKey>
    std::int64_t stored_id(Insert&& insert, const char* select_sql, BindKey&& bind_key) {
        auto& select = statement(select_sql);
        bind_key(select);
        if (select.step()) {
            const std::int64_t id = select.integer(0);
            select.reset();
            return id;
        }
        insert();
        return sqlite3_last_insert_rowid(db_.handle());
    }

    // sqlite_inventory.cpp
    void forget_cached_ids();
    void use_host_of(ScanId scan);
    void mark_abandoned_scans();
    void record_owner(ScanId scan);
    void checkpoint_without_waiting();
    Statement& statement(const char* sql);

    // sqlite_observation_writer.cpp
    void record_one(ScanId scan, const FileObservations& observations);
    void record_endpoint(ScanId scan, const EndpointObservationRecord& record);
    std::int64_t location_id(const std::string& path, SourceFormat format);
    std::int64_t certificate_id(ScanId scan, const CertInfo& c, const std::shared_ptr<const Bytes>& der);
    std::int64_t endpoint_id(const EndpointFacts& f);
    void insert_certificate(ScanId scan, const CertInfo& c, const Bytes& der);
    void label_location(ScanId scan, std::int64_t location, const Labels& labels);
    void ask_who_issued(std::int64_t id, const CertInfo& c, const std::shared_ptr<const Bytes>& der);
    void store_issuer_links();

    // sqlite_conclusions.cpp
    void mark_default_certificates(ScanId scan);
    void store_findings(ScanId scan, const std::vector<Finding>& findings);
    void conclude(ScanId scan, ScanStatus status);
    void link_issuers(ScanId scan);

    // sqlite_place_states.cpp
    void conclude_place_states(ScanId scan, ScanStatus status);
    void mark_present_again(ScanId scan);
    void stage_probe_outcomes(ScanId scan);
    void stage_missing_files(ScanId scan);
    void stage_dropped_endpoints(ScanId scan);

    std::string path_;
    SqliteConnection db_;
    std::unordered_map<const char*, std::unique_ptr<Statement>> statements_;
    struct LastLocation {
        std::string path;
        SourceFormat format = SourceFormat::pem;
        std::int64_t id = 0;
    } last_location_;
    std::string file_host_;  // the host of the file places the current scan records (its parameters' "host")
    std::unordered_map<std::string, std::vector<IssuerCandidate>> issuer_candidates_;  // by subject
    std::unique_ptr<SightingRows> rows_;
    std::unique_ptr<InventoryQueries> queries_;
    std::unique_ptr<WalCheckpointer> checkpointer_;
    // Declared last, so its workers stop first.
    ConcurrentIssuanceChecks issuance_checks_;
};

}  // namespace certfleet::inventory
