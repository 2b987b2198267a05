#pragma once
// The inventory's questions (analysis.hpp) in SQL: one class whose members live in the sql_*_queries.cpp files
// by subject. Each question is one or a few statements over the indexes of schema.sql; C++ only assembles rows
// into answers (with the store-neutral steps of query_logic.hpp). Internal to inventory/.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "inventory/analysis.hpp"
#include "inventory/sqlite_support.hpp"

namespace certfleet::inventory {

inline constexpr int kFileKind = 0, kEndpointKind = 1;

// A place's identity within the inventory: its kind and row id.
struct PlaceKey {
    int kind = kFileKind;
    std::int64_t id = 0;
    bool operator==(const PlaceKey&) const = default;
    auto operator<=>(const PlaceKey&) const = default;
};

// The labels of a view's places: each place's own (owner map) in the scan that put it in the view, and each
// scan's (--label), which count for keys a place has none of.
struct ViewLabels {
    std::map<PlaceKey, Labels> own;
    std::map<ScanId, Labels> of_scan;
    Labels of(const PlaceKey& place, ScanId scan) const;
};

// One certificate at one place and position over the scans that saw it there.
struct PlaceRow {
    std::int64_t certificate_id = 0;
    PlaceKey key;
    PlaceSeen seen;
    bool in_view = false;
};

// Which places of a certificate: every one it was ever seen at, or those the filter's view holds.
enum class PlaceRows { all, in_view };

// Each place's latest scan in a view: the current view's tables, kept up to date by the writer, or for a view
// "as of" a past scan the connection's temporary tables of the same shape (SqlQueries::as_of_view).
struct LatestScans {
    const char* locations;
    const char* endpoints;
};
LatestScans latest_scans(const Filter& filter);

// The sightings a filter looks at, as the CTE `view(kind, scan_id, place_id, position, certificate_id, anchor)`:
// the current view, the view as of a past scan, or one scan, narrowed to places with the filter's labels and,
// when `certificate_condition` is given (e.g. "= :cert"), to those certificates.
std::string view_cte(const Filter& filter, const std::string& certificate_condition = "");
// The SQL condition that a place (`alias`.`place_column`) carries the filter's label `i` in its scan.
std::string label_condition(const char* own_table, const char* place_column, const char* alias, std::size_t i);
// Conditions on the certificate `c` from the filter.
std::string certificate_conditions(const Filter& filter);
// "1,2,3": row ids for an IN list (ids of 0, which name no row, left out).
std::string id_list(const std::vector<std::int64_t>& ids);
// "IN (1,2)": the condition that a scan id is one of the filter's scans.
inline std::string in_filter_scans(const Filter& filter) { return "IN (" + id_list(filter.scans) + ")"; }

// A files root a scan could not read at all, or a list file (targets, excludes, names, passwords) it could not
// read, as the view after a scan holds it.
struct UnreadableInput {
    enum class Kind { root, list } kind = Kind::root;
    std::string host, path;
    std::string detail;  // why, as the scan recorded it
    ScanId scan = 0;     // the latest scan that named it

    Place place() const {
        Place where;
        where.host = host;
        where.path = path;
        return where;
    }
};
// Those of the view after `scan` (the current view when `current_view`), roots first, less those forgotten.
std::vector<UnreadableInput> unreadable_inputs(SqlConnection& db, ScanId scan, bool current_view);

class SqlQueries final : public InventoryQueries {
public:
    // On `db`, which the caller keeps open while these queries live (the writer's connection), or on a connection
    // of their own. `where` names the inventory in messages (a path, or a connection string with no password).
    SqlQueries(SqlConnection& db, std::string where);
    SqlQueries(std::unique_ptr<SqlConnection> db, std::string where);
    ~SqlQueries() override;

    std::unique_ptr<ReadSnapshot> snapshot() override;
    std::vector<ScanRecord> scans() override;
    std::optional<ScanRecord> find_scan(ScanId scan) override;
    std::optional<ScanRecord> latest_scan() override;
    std::optional<ScanRecord> latest_finished_scan() override;
    ScanContents scan_contents(ScanId scan) override;
    ScanContents view_contents(ScanId scan) override;
    std::vector<RunSummary> runs() override;
    std::optional<RunSummary> find_run(const std::string& name) override;
    ScanContents run_contents(const RunSummary& run) override;
    Labels scan_labels(ScanId scan) override;
    void scan_observations(ScanId scan, std::size_t batch, const ObservationBatches& to) override;
    std::vector<CertificateSummary> certificates(const Filter& filter) override;
    std::vector<std::string> fingerprints_starting_with(const std::string& prefix, std::size_t limit) override;
    std::optional<CertificateDetail> certificate(const std::string& sha256, const Filter& filter) override;
    std::vector<EndpointSummary> endpoints(const Filter& filter) override;
    std::vector<SharedCertificate> shared(const Filter& filter, std::int64_t min_places) override;
    std::vector<ReusedKey> reused_keys(const Filter& filter) override;
    std::vector<AnchorSummary> anchors(const Filter& filter) override;
    std::vector<TrustStore> stores(const Filter& filter) override;
    ClientTrust client_trust(const Filter& filter) override;
    AnchorPath path_to_anchor(const std::string& sha256, const Filter& filter) override;
    std::vector<AbsentPlace> absent_places(const Filter& filter) override;
    Coverage coverage(ScanId scan) override;
    std::optional<CertificateHistory> history(const std::string& sha256) override;
    ScanDiff diff(ScanId from, ScanId to) override;
    std::vector<Placement> placements(const Filter& filter) override;
    std::map<std::string, std::vector<Ancestor>> ancestors(const std::vector<std::string>& sha256s) override;

private:
    // sql_view_queries.cpp: the view a filter looks at, and the certificate summaries in it.
    void bind_view(Statement& statement, const Filter& filter);
    void as_of_view(const Filter& filter);
    // `view_condition` (SQL on a certificate id, as view_cte's) narrows the view itself to some certificates.
    std::vector<CertificateSummary> summaries(const Filter& filter, const std::string& extra,
                                              const std::function<void(Statement&)>& bind_extra,
                                              const std::string& view_condition = "");
    std::vector<CertificateSummary> summaries_of(const std::vector<std::int64_t>& ids, const Filter& filter);
    CertificateSummary summary_of(std::int64_t id, const Filter& filter);
    // The certificates (of those `certificate_condition` selects, as in view_cte) used as a leaf somewhere in the
    // filter's view: presented first by an endpoint, or held with their private key in a file.
    std::unordered_set<std::int64_t> used_as_leaf(const Filter& filter, const std::string& certificate_condition = "");

    // sql_place_queries.cpp: where certificates and keys were seen.
    std::vector<PlaceRow> place_rows(const std::vector<std::int64_t>& ids, const Filter& filter, PlaceRows which);
    Place place_of(const PlaceKey& key);
    Labels labels_of(const PlaceKey& key, ScanId scan);
    // The same for many places, a chunk of them to a statement (on a server each statement is a round trip).
    std::map<PlaceKey, Place> places_of(const std::vector<PlaceKey>& keys);
    std::map<std::pair<PlaceKey, ScanId>, Labels> labels_of_places(const std::vector<std::pair<PlaceKey, ScanId>>& wanted);
    std::vector<std::pair<std::string, Place>> key_files(const Filter& filter, const std::string& spki_condition,
                                                         const std::function<void(Statement&)>& bind_extra);

    // sql_coverage_queries.cpp
    void compare_with_previous_look(ScanId scan, Coverage& coverage);

    // sql_scan_contents.cpp: what the reports show of a filter's view or scan.
    ScanContents contents(const Filter& filter, ScanId scan);
    std::string materialized_view(const Filter& filter);
    void load_certificates(const Filter& filter, const std::string& view, ScanContents& contents);
    void load_endpoints(const Filter& filter, ScanContents& contents);
    void load_keys(const Filter& filter, ScanContents& contents);
    ViewLabels place_labels(const Filter& filter, const std::string& view);

    // sql_anchor_queries.cpp
    std::unordered_map<std::int64_t, std::string> anchors_reached(const std::vector<std::int64_t>& ids,
                                                                  const Filter& filter);

    // sql_history_queries.cpp
    std::vector<Rotation> rotations_at(const PlaceKey& key);

    // sql_queries.cpp: row lookups by key.
    Statement& statement(const std::string& sql);
    std::optional<std::int64_t> certificate_id(const std::string& sha256);
    std::string sha256_of(std::int64_t id);
    std::vector<std::int64_t> issuers_of(std::int64_t id);
    UnixTime scan_started(ScanId scan);
    ScanRecord scan_record(ScanId scan);

    std::string path_;
    std::unique_ptr<SqlConnection> owned_;
    SqlConnection& db_;
    std::map<std::string, std::unique_ptr<Statement>> statements_;
    std::unordered_map<std::string, std::int64_t> summary_ids_;  // sha256 -> row id of every certificate summarised
    std::optional<ScanId> as_of_filled_;                         // the scan the as-of tables hold
};

}  // namespace certfleet::inventory
