#pragma once
// Questions the inventory answers across scans: what is deployed now and since when, what is shared or copied,
// which keys are reused, which trust stores hold which anchors, what changed between two scans. Every answer is
// a plain value; the queries run in SQL over indexes, never by loading the inventory into memory.
//
// The current view: a fleet is rarely scanned whole in one go (one scan per environment, files and network
// apart), so "now" is each place as the latest scan that looked at it left it. A file place is looked at by a
// scan that walks its root; an endpoint by a scan that probes it, or that scans the same targets. A place looked
// at and not found is gone and leaves the view; one that could not be looked at (unreadable, timed out) is unseen
// and stays with its last certificates. Every question can instead be asked of one scan.
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/cert_info.hpp"
#include "core/observation.hpp"
#include "inventory/inventory.hpp"

namespace certfleet::inventory {

// What a question looks at, and which of it.
struct Filter {
    std::vector<ScanId> scans;                   // these scans (one, or a run's) instead of the current view
    std::optional<ScanId> as_of;                 // the view as it stood after this scan (ignored with `scans`)
    std::optional<std::int64_t> expiring_within;  // seconds: certificates whose not_after is that close (expired too)
    bool self_signed = false;                    // only self-signed certificates
    std::string issuer;                          // issuer DN contains this, ignoring ASCII case
    Labels labels;                               // seen at a location carrying every one of these labels
    UnixTime now = 0;                            // for expiring_within; 0: the current time
};

// Where a certificate was seen: a file (path, format, position in the file) or an endpoint (host, address,
// port, SNI name, position in the presented chain).
struct Place {
    enum class Kind { file, endpoint };
    Kind kind = Kind::file;
    std::string path;
    SourceFormat format = SourceFormat::pem;
    std::string host;  // a file's machine; an endpoint's host as named
    std::string address;
    std::uint16_t port = 0;
    std::string server_name;
    std::string site;  // an endpoint's network (scan --site); empty for none
    int position = 0;
    bool trust_anchor = false;  // a trust-store entry, not a chain in use
    bool system_store = false;  // a trust-store entry of a store an OS package maintains (ca-certificates, cacerts)

    // For files "path" on this machine and "host:path" on another; for endpoints "host:port" (with "[addr]" for
    // IPv6, " sni=NAME" when a name was sent and " site=NAME" when the scan named its site).
    std::string display() const;
};

// What Inventory::forget took out of the view: places, files first, and unreadable files roots and list files.
struct Forgotten {
    std::vector<Place> places;
    std::vector<Place> unreadable_roots, unreadable_lists;
};

// As rules files, the CSV and JSON reports and the metrics name the kinds of place.
inline constexpr std::array<EnumName<Place::Kind>, 2> kPlaceKindNames{{
    {Place::Kind::file, "file"},
    {Place::Kind::endpoint, "endpoint"},
}};
constexpr const auto& enum_names(Place::Kind) { return kPlaceKindNames; }

// Whether the latest scan that looked at a place found it there.
enum class PlaceState { present, gone, unseen };
inline constexpr std::array<EnumName<PlaceState>, 3> kPlaceStateNames{{
    {PlaceState::present, "present"},
    {PlaceState::gone, "gone"},
    {PlaceState::unseen, "unseen"},
}};
constexpr const auto& enum_names(PlaceState) { return kPlaceStateNames; }

// A place that held certificates and is not seen as it was: gone (looked at, not there: out of the view) or
// unseen (could not be looked at: still in the view with what it last held).
struct AbsentPlace {
    Place place;
    PlaceState state = PlaceState::gone;
    // Why: not_found (a file), not_in_targets (a host, port or name the same targets no longer probe), closed,
    // not-tls; for unseen the probe's status (timeout, unresolved, ...) or the walk's error (permission_denied, ...).
    std::string reason;
    ScanId since_scan = 0;  // the first scan that found it so
    UnixTime since = 0;     // and its start
};

// What the scans behind a view could not look at: a verdict on that view is only as good as its coverage.
struct Coverage {
    std::vector<AbsentPlace> unseen;            // places in the view that the latest look could not see
    std::int64_t gone = 0;                      // places that have left the view
    std::int64_t gone_in_scan = 0;              // of those, the ones the scan asked about found gone
    std::int64_t unreadable_files = 0;          // errors under each root, in the latest scan that walked it
    std::vector<std::string> unreadable_roots;  // roots the latest scan that walked them could not read at all
    // List files (targets, excludes, names, passwords) the latest scan that named them could not read, so it never
    // started: "PATH: why (scan N)". A later scan that reads the file clears it, and so does forgetting it.
    std::vector<std::string> unreadable_lists;
    // Endpoints in the view whose latest probe could not reach them (timeout, unreachable, unresolved, a failed
    // handshake), whether or not they ever presented certificates.
    std::int64_t unreachable = 0;
    // Places the scan asked about saw (files holding certificates or keys, endpoints that spoke TLS), and as many
    // in the previous scan of the same targets (same target set, roots and host), when there is one: a drop is
    // sight lost, whatever the reason.
    std::int64_t seen_in_scan = 0;
    std::optional<ScanId> previous_scan;
    std::int64_t seen_in_previous = 0;
};

// A certificate at one place, over the scans that saw it there.
struct PlaceSeen {
    Place place;
    UnixTime first_seen = 0;
    UnixTime last_seen = 0;
    ScanId last_scan = 0;
    Labels labels;  // as the latest scan of the place labelled it
};

struct CertificateSummary {
    CertInfo cert;
    UnixTime first_seen = 0;  // start of the first scan that saw it anywhere
    UnixTime last_seen = 0;   // start of the latest one
    std::int64_t places = 0;  // distinct places in the view
};

// A certificate's way up to a trust anchor through the issuer links (names, key identifiers and signature
// checked): the certificate first, then each issuer; `anchor` is the top when a trust store seen in the fleet
// holds it.
struct AnchorPath {
    std::vector<std::string> chain;       // sha256, from the certificate up to the last issuer known
    std::optional<std::string> anchor;    // sha256 of the anchor reached, if any
    std::vector<std::string> stores;      // display of the stores that hold that anchor
};

struct CertificateDetail {
    CertificateSummary summary;
    std::vector<PlaceSeen> places;               // in the view, then every earlier place under `history`
    std::vector<std::string> issuers;            // sha256 of the certificates that issued it
    std::int64_t issued = 0;                     // certificates it issued, in the inventory
    AnchorPath path;
    std::vector<std::string> same_key;           // other certificates with the same spki_sha256
    std::vector<Place> key_files;                // private key files of this spki
};

struct EndpointSummary {
    EndpointFacts facts;  // as its latest probe that presented certificates found it, for an unseen endpoint
    PlaceState state = PlaceState::present;
    std::string state_reason;  // for unseen: what its latest probe found instead (timeout, unresolved, ...)
    UnixTime unseen_since = 0;
    std::vector<std::string> chain;  // sha256, leaf first
    ScanId scan = 0;                 // the scan this observation is from
    UnixTime observed_at = 0;
    Labels labels;
    // The trust anchor (sha256) the leaf chains up to through the inventory's issuer links, when a trust store
    // seen in the fleet holds one: which clients' stores can validate this endpoint.
    std::optional<std::string> anchor;
};

struct SharedCertificate {
    CertificateSummary summary;
    std::vector<PlaceSeen> places;                         // the blast radius: every place, anchors apart
    std::map<std::string, std::vector<std::string>> split; // label key -> its distinct values, when 2 or more
};

// One public key in two or more certificates, or one private key file copied to several paths.
struct ReusedKey {
    std::string spki_sha256;
    std::vector<CertificateSummary> certificates;  // distinct certificates with this key, in the view
    std::vector<Place> key_files;                  // readable private key files of this key, in the view
};

struct AnchorSummary {
    CertificateSummary summary;
    std::vector<std::string> stores;       // display of every store holding it
    std::vector<std::string> missing_from; // stores without it, when it issues live certificates
    std::int64_t issues_live = 0;          // unexpired non-anchor certificates in the view chaining up to it
    // A service certificate trusted directly: not a CA, or a CA:TRUE one used as a leaf in the view (acts_as_leaf).
    bool pinned_leaf = false;
    bool stale = false;                    // issues nothing seen in the view
    bool system_store = false;             // every store holding it is one an OS package maintains
};

struct TrustStore {
    Place place;  // position 0
    bool system_store = false;  // maintained by an OS package (ca-certificates, a JRE's cacerts)
    UnixTime last_seen = 0;
    std::vector<CertificateSummary> anchors;
};

// Who trusts whom for client certificates (mutual TLS), from the network side: each CA name servers listed as
// acceptable, the certificates in the view with that subject, and the endpoints that listed it.
struct ClientCa {
    std::string name;                       // RFC 2253, as the servers listed it
    std::vector<CertificateSummary> known;  // certificates in the view whose subject is that name
    std::vector<EndpointSummary> services;  // endpoints that accept client certificates from it
};

struct ClientTrust {
    std::vector<ClientCa> cas;              // by name
    std::vector<EndpointSummary> services;  // every endpoint that asked for a client certificate, as listed
};

// A place whose certificate changed between two scans that looked at it.
struct Rotation {
    Place place;
    ScanId from_scan = 0, to_scan = 0;
    UnixTime at = 0;  // start of to_scan
    std::string old_sha256, new_sha256;
    bool key_changed = false;  // false: re-issued with the same key
};

struct HistoryEntry {
    ScanId scan = 0;
    UnixTime at = 0;
    std::int64_t places = 0;
};

struct CertificateHistory {
    CertificateSummary summary;
    std::vector<HistoryEntry> scans;    // every scan that saw it, oldest first
    std::vector<PlaceSeen> places;      // every place it was ever seen at
    std::vector<Rotation> rotations;    // replacements of it, and by it
};

// One certificate at one place in the view: what rules are evaluated over.
struct Placement {
    std::string sha256;
    PlaceSeen seen;  // first/last seen: the scan of this placement
    // The certificate is used as a leaf somewhere in the view: presented first by an endpoint, or held with its
    // private key in a file.
    bool used_as_leaf = false;
};

// A certificate above another through the issuer links.
struct Ancestor {
    std::string sha256;
    std::string subject;
    std::string spki_sha256;
    int depth = 1;  // 1: a direct issuer
};

// What changed from the view after one scan to the view after another (each place as the latest scan up to
// then that looked at it left it).
struct ScanDiff {
    ScanRecord from, to;
    std::vector<CertificateSummary> new_certificates, gone_certificates;
    std::vector<PlaceSeen> new_places, gone_places;  // places (position 0 / leaf) in only one of the two views
    std::vector<Rotation> rotated;
    struct VerdictChange {
        Place place;
        std::string sha256;
        std::string old_verdict, new_verdict;  // e.g. "verified", "untrusted-issuer", "expired", "hostname-mismatch"
    };
    std::vector<VerdictChange> changed_verdicts;
};

// The runs `scans` (every scan of the inventory, oldest first) belong to, in the order each began.
std::vector<RunSummary> summarize_runs(const std::vector<ScanRecord>& scans);

// The scan whose view was current at `moment`: the latest to end complete or interrupted by then (`scans` oldest
// first, as InventoryQueries::scans gives them); nullopt when none had.
std::optional<ScanRecord> scan_current_at(const std::vector<ScanRecord>& scans, UnixTime moment);

// While it lives, every question asked of the InventoryQueries that made it reads the inventory as of one moment
// (one read transaction), so the answers agree with each other while scans are written beside them.
class ReadSnapshot {
public:
    virtual ~ReadSnapshot() = default;
};

class InventoryQueries {
public:
    virtual ~InventoryQueries() = default;

    // Within a snapshot already open on the same connection (or the writer's transaction), a no-op.
    virtual std::unique_ptr<ReadSnapshot> snapshot() = 0;

    virtual std::vector<ScanRecord> scans() = 0;
    virtual std::optional<ScanRecord> find_scan(ScanId scan) = 0;
    // The latest scan, running or not; latest_finished_scan the latest that ended complete or interrupted (a
    // running scan's findings and share of the views come only when it ends; a failed one has none).
    virtual std::optional<ScanRecord> latest_scan() = 0;
    virtual std::optional<ScanRecord> latest_finished_scan() = 0;
    virtual std::vector<RunSummary> runs() = 0;
    virtual std::optional<RunSummary> find_run(const std::string& name) = 0;
    // Everything one scan saw. Throws InventoryError when there is no such scan.
    virtual ScanContents scan_contents(ScanId scan) = 0;
    // Everything in the view after `scan` (the current view when it is the latest finished scan), with that scan's
    // events and findings. Throws InventoryError when there is no such scan.
    virtual ScanContents view_contents(ScanId scan) = 0;
    // Everything the run's members saw, as one scan: each certificate once with its sightings in all of them,
    // every probe, every member's events and findings. Its record is its latest member's, with the counts summed.
    virtual ScanContents run_contents(const RunSummary& run) = 0;
    // One scan's own labels (scan --label). Throws InventoryError when there is no such scan.
    virtual Labels scan_labels(ScanId scan) = 0;
    // What one scan recorded, as the observations that made it (for push), at most `batch` places, probes or
    // events at a time. Throws InventoryError when there is no such scan.
    virtual void scan_observations(ScanId scan, std::size_t batch, const ObservationBatches& to) = 0;
    virtual std::vector<CertificateSummary> certificates(const Filter& filter) = 0;
    // Full sha256 fingerprints starting with `prefix` (hex, any case), at most `limit`.
    virtual std::vector<std::string> fingerprints_starting_with(const std::string& prefix, std::size_t limit) = 0;
    virtual std::optional<CertificateDetail> certificate(const std::string& sha256, const Filter& filter) = 0;
    virtual std::vector<EndpointSummary> endpoints(const Filter& filter) = 0;
    // Certificates seen at `min_places` or more distinct places (trust-store entries not counted), largest first.
    virtual std::vector<SharedCertificate> shared(const Filter& filter, std::int64_t min_places) = 0;
    virtual std::vector<ReusedKey> reused_keys(const Filter& filter) = 0;
    virtual std::vector<AnchorSummary> anchors(const Filter& filter) = 0;
    virtual std::vector<TrustStore> stores(const Filter& filter) = 0;
    // The CAs the filter's endpoints accept client certificates from, linked to the certificates of the filter's
    // view (scans, as_of) whose subject each names; the filter's other conditions select the endpoints only.
    virtual ClientTrust client_trust(const Filter& filter) = 0;
    virtual AnchorPath path_to_anchor(const std::string& sha256, const Filter& filter) = 0;
    virtual std::optional<CertificateHistory> history(const std::string& sha256) = 0;
    virtual ScanDiff diff(ScanId from, ScanId to) = 0;
    // Every certificate at every place in the view, with the place's labels.
    virtual std::vector<Placement> placements(const Filter& filter) = 0;
    // Gone and unseen places as the view after the filter's scan (as_of) or now had them; with `scan`, none.
    virtual std::vector<AbsentPlace> absent_places(const Filter& filter) = 0;
    // What the scans up to `scan` could not look at (the current view's coverage for the latest scan).
    virtual Coverage coverage(ScanId scan) = 0;
    // For each certificate given (sha256), every certificate above it through the issuer links, nearest first.
    virtual std::map<std::string, std::vector<Ancestor>> ancestors(const std::vector<std::string>& sha256s) = 0;
};

// Opens an existing inventory for reading, on one read-only connection (an inventory of an older schema is first
// brought up to date by the writer). Throws InventoryError naming the file when it is missing or not an inventory
// this certfleet can read.
std::unique_ptr<InventoryQueries> open_sqlite_queries(const std::string& path);
// The questions on the inventory `db` names: a PostgreSQL server for a connection string, else an SQLite file.
std::unique_ptr<InventoryQueries> open_queries(const std::string& db);

}  // namespace certfleet::inventory
