#pragma once
// The inventory: scans, certificates, where each was seen, private keys by fingerprint, and scan problems.
// This interface is all the rest of certfleet sees; SQL stays inside inventory/ so another store (PostgreSQL
// for a central fleet inventory) can stand behind it.
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/cert_info.hpp"
#include "core/finding.hpp"
#include "core/observation.hpp"

namespace certfleet::inventory {

struct InventoryError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

using ScanId = std::int64_t;

struct ScanCounts {
    std::uint64_t files_walked = 0;
    std::uint64_t files_skipped = 0;
    std::uint64_t certificates_seen = 0;
    std::uint64_t keys_seen = 0;
    std::uint64_t errors = 0;
    std::uint64_t notes = 0;
};

enum class ScanStatus { running, complete, interrupted, failed };
inline constexpr std::array<EnumName<ScanStatus>, 4> kScanStatusNames{{
    {ScanStatus::running, "running"},
    {ScanStatus::complete, "complete"},
    {ScanStatus::interrupted, "interrupted"},
    {ScanStatus::failed, "failed"},
}};
constexpr const auto& enum_names(ScanStatus) { return kScanStatusNames; }

// A scan's part in a run (`scan --run NAME`): scans users see as one, such as the shards of one network scan or
// the file scans of many hosts. The slot is what the scan looked at, so a rerun of a shard fills the same slot.
struct RunMembership {
    std::string run;  // empty: the scan is in no run
    std::string slot;
    int shard = 0;  // K of --shard K/N; 0 when the scan is not a shard
    int shards = 0;  // N
};

struct ScanRecord {
    ScanId id = 0;
    std::string kind;
    ScanStatus status = ScanStatus::running;
    UnixTime started_at = 0;
    std::optional<UnixTime> finished_at;
    std::string parameters_json;
    ScanCounts counts;
    RunMembership run;
    std::string uuid;  // its identity wherever it is copied (push)
};

// A run (`scan --run NAME`) as its users see it: one scan made of several. In each slot (what one of its scans
// looked at: a shard, a host's files, a site's targets) the latest of its scans to end complete or interrupted
// stands for the slot, so a shard rerun after a failure, or run twice, counts once.
struct RunSummary {
    std::string name;
    std::vector<ScanRecord> members;      // the scan standing for each slot, oldest first
    std::vector<ScanRecord> pending;      // the latest scan of each slot none has ended in (running or failed)
    std::vector<ScanId> superseded;       // scans a later one of the same slot stands in for
    int shards = 0;                       // N, when the run's scans are shards (--shard K/N) of one scan
    std::vector<int> missing_shards;      // K in 1..N no member stands for
    UnixTime started_at = 0;              // of the run's first scan
    std::optional<UnixTime> finished_at;  // of its last member to end
    // Every slot ended complete and no shard is missing: what monitors may call done.
    bool complete() const;
    // What keeps it from being complete, in words: "shard 2/4 missing; scan 7 interrupted". Empty when complete.
    std::string gaps() const;
};

struct StoredSighting {
    FileLocation location;
    bool system_store = false;      // a trust-store entry of a store an OS package maintains
    bool with_private_key = false;  // the certificate of a private key in the same file
    std::string host;               // the machine the file is on
    Labels labels;                  // the place's, with the scan's for keys it has none of
};

struct StoredEndpointSighting {
    std::string host;
    std::string address;
    std::uint16_t port = 0;
    std::string server_name;
    int chain_position = 0;
    Labels labels;  // the place's, with the scan's for keys it has none of
    std::string site;
};

struct StoredCertificate {
    CertInfo cert;
    std::vector<StoredSighting> sightings;  // in this scan, ordered by path and position
    std::vector<StoredEndpointSighting> endpoint_sightings;  // ordered by host, port, name
    UnixTime first_seen = 0;  // start of the first scan, of any kind, that saw it anywhere
    UnixTime last_seen = 0;   // start of the latest such scan
};

struct StoredEndpoint {
    EndpointFacts facts;
    std::vector<std::string> chain;  // sha256 of each presented certificate, leaf first
};

struct StoredKey {
    std::optional<std::string> spki_sha256;
    KeyState state = KeyState::readable;
    std::vector<FileLocation> locations;  // index is 0 for keys
};

// What a report shows: the view after a scan (each place as the latest scan up to it that looked at it left it),
// or only what one scan saw.
enum class ContentsScope { view, one_scan };

// Everything a view or one scan holds, for the reports.
struct ScanContents {
    ScanRecord scan;                              // the scan the view is after, or the one scan
    ContentsScope scope = ContentsScope::one_scan;
    std::vector<StoredCertificate> certificates;  // ordered by not_after, then sha256
    std::vector<StoredKey> keys;                  // one per spki (or per location when the spki is unknown)
    std::vector<ScanEvent> events;                // errors and notes of `scan`
    std::vector<StoredEndpoint> endpoints;        // ordered by host, port, server name; in a view, each as its
                                                  // latest probe that presented certificates found it
    std::vector<Finding> findings;                // as the latest evaluation stored them, most severe first;
                                                  // their subject is not stored
    std::optional<RunSummary> run;                // when these are a run's contents: its members and gaps
    std::uint64_t distinct_certificates() const { return certificates.size(); }
};

// One scan as the observations that made it (InventoryQueries::scan_observations), handed over a batch at a time
// so a scan of any size is copied in bounded memory: replayed into another inventory with begin_copied_scan,
// record, record_endpoints and finish_scan, they store what they stored here.
struct ObservationBatches {
    std::function<void(const std::vector<FileObservations>&)> files;  // file places, then the scan's events
    std::function<void(const std::vector<EndpointObservationRecord>&)> endpoints;
};

class InventoryQueries;
struct Place;
struct Forgotten;

// What the rules found in the view after a scan, asked of `queries` (the inventory as the scan's conclusions
// left it, not yet committed) when the scan finishes.
using FindingsEvaluator = std::function<std::vector<Finding>(InventoryQueries& queries, ScanId scan)>;

// Not thread-safe: one thread at a time may use an Inventory (it caches ids, and its connection takes no locks).
class Inventory {
public:
    virtual ~Inventory() = default;

    // Starts a scan, its sightings tagged with `labels`, in `run` when it names one. Scans left 'running' by a
    // process that no longer exists become 'interrupted' first.
    virtual ScanId begin_scan(const std::string& kind, const std::string& parameters_json, const Labels& labels,
                              const RunMembership& run = {}) = 0;
    // Starts the copy of a scan another inventory recorded (push): under its UUID, kind, parameters, run and start
    // time. nullopt when a scan with that UUID is here already: each scan is copied once. A copy left unended by a
    // pusher that died is taken up again, to be copied whole over what it holds.
    virtual std::optional<ScanId> begin_copied_scan(const ScanRecord& origin, const Labels& labels) = 0;
    // Stores one batch atomically: all of it or, if the process dies, none of it.
    virtual void record(ScanId scan, const std::vector<FileObservations>& batch) = 0;
    virtual void record_endpoints(ScanId scan, const std::vector<EndpointObservationRecord>& batch) = 0;
    // Ends a scan in one transaction: its counts, its conclusions (the views across scans) and, given an evaluator,
    // its findings. A process killed meanwhile leaves it 'running', and the next scan marks it interrupted.
    // A copied scan keeps the time it ended (`finished_at`); others end now.
    virtual void finish_scan(ScanId scan, ScanStatus status, const ScanCounts& counts,
                             const FindingsEvaluator& evaluate = {},
                             std::optional<UnixTime> finished_at = std::nullopt) = 0;
    // A scan that could not start because an input it needed could not be read: stored as failed, with the error,
    // so `check` does not judge a view the scan never refreshed as if it had.
    virtual ScanId record_refused_scan(const std::string& kind, const std::string& parameters_json, const Labels& labels,
                                       const ScanEvent& error, const RunMembership& run = {}) = 0;
    // Replaces the findings stored for a scan with these, in one transaction.
    virtual void record_findings(ScanId scan, const std::vector<Finding>& findings) = 0;

    // --resume: the latest interrupted scan with this resume key and the position it reached; reopening it makes
    // it running again under this process.
    virtual std::optional<std::pair<ScanId, std::uint64_t>> find_resumable(const std::string& resume_key) = 0;
    virtual void reopen_scan(ScanId scan) = 0;
    virtual void record_progress(ScanId scan, const std::string& resume_key, std::uint64_t position) = 0;

    // The DER of every CA certificate in the inventory that is not self-signed: the intermediates the fleet has.
    virtual std::vector<Bytes> intermediate_certificates() = 0;

    // The places of the current view `matches` accepts, forgotten unless `dry_run`: each leaves the view as gone
    // (reason "forgotten") after the latest scan, in one transaction, and history records it; a later scan that
    // sees it again brings it back. So do the files roots and list files the view holds as unreadable (each as a
    // file place at its path): coverage leaves them out until a scan names them again.
    virtual Forgotten forget(const std::function<bool(const Place&)>& matches, bool dry_run) = 0;

    // Questions on this inventory's own connection: they see what it has written, committed or not.
    virtual InventoryQueries& queries() = 0;
};

// Opens (creating mode 0600, and migrating) an SQLite inventory. Throws InventoryError naming the file and the
// problem when it cannot be opened or is not a certfleet inventory.
std::unique_ptr<Inventory> open_sqlite_inventory(const std::string& path);
// Opens the inventory `db` names: a PostgreSQL server for a connection string (a postgresql:// URI or a libpq
// keyword string), else the SQLite file at that path. Throws InventoryError naming it, without its password.
std::unique_ptr<Inventory> open_inventory(const std::string& db);
// Whether `db` names a PostgreSQL server rather than an SQLite file.
bool is_server_inventory(const std::string& db);
// `db` as messages and logs show it: a connection string without its password.
std::string display_name(const std::string& db);

}  // namespace certfleet::inventory
