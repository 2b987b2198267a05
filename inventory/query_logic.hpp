#pragma once
// The store-neutral steps of the inventory's questions (analysis.hpp): what is done in C++ once a store has read
// the rows, so every store (SQLite now, PostgreSQL later) answers alike. Internal to inventory/.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "inventory/analysis.hpp"

namespace certfleet::inventory {

// Deeper than any real chain; stops a loop of cross-signed CAs from walking forever.
inline constexpr int kMaxChainDepth = 10;

// The filter's `now`, or the current time when it has none.
UnixTime filter_now(const Filter& filter);
// A fingerprint as stored: lower-case hex without colons.
std::string normalized_fingerprint(const std::string& text);
bool has_labels(const Labels& have, const Labels& wanted);
// The labels a place carried in a scan: its own, and the scan's (--label) for keys it has none of, by key.
Labels merged_labels(Labels own, const Labels& of_scan);
// True when the certificate meets the filter's conditions on certificates (expiry, self-signed, issuer).
bool meets_certificate_conditions(const CertInfo& cert, const Filter& filter);
// The filter's view (scan, as_of, labels, now) without its conditions on certificates.
Filter without_certificate_conditions(Filter filter);

// The place `shared` (looked up once for all the sightings at it) with the facts of one `sighting` there: its
// position, and whether it is a trust-store entry, of a system store.
Place with_sighting_facts(Place shared, const Place& sighting);

// Label key -> its distinct values over these places, for the keys with two or more.
std::map<std::string, std::vector<std::string>> label_split(const std::vector<PlaceSeen>& places);
// Most certificates and key files first, then by spki.
void order_reused_keys(std::vector<ReusedKey>& keys);
// Every anchor of these stores that meets the filter's conditions, once, with the stores that hold it and those
// that miss it, given how many live certificates chain up to each and which are used as a leaf in the view (by
// sha256); soonest expiry first.
std::vector<AnchorSummary> summarize_anchors(const std::vector<TrustStore>& stores,
                                             const std::unordered_map<std::string, std::int64_t>& issues_live,
                                             const std::unordered_set<std::string>& used_as_leaf, const Filter& filter);

// Client-certificate trust over these endpoints (those whose latest probe saw a request) and the view's
// certificates, which name the CAs listed where a subject matches.
ClientTrust summarize_client_trust(const std::vector<EndpointSummary>& endpoints,
                                   const std::vector<CertificateSummary>& certificates);

// The way up from `start` through `issuers_of`, depth first: the first that ends where `is_anchor` holds, else the
// longest known. Returns the ids from `start` up, and whether the last is an anchor.
struct IssuerWalk {
    std::vector<std::int64_t> chain;
    bool anchored = false;
};
IssuerWalk walk_to_anchor(std::int64_t start, const std::function<bool(std::int64_t)>& is_anchor,
                          const std::function<std::vector<std::int64_t>(std::int64_t)>& issuers_of);

// The certificate at the head of a place in one scan.
struct PlaceHead {
    ScanId scan = 0;
    UnixTime at = 0;
    std::string sha256;
    std::string spki_sha256;
};
// Every change of certificate between consecutive heads (oldest first) of `place`.
std::vector<Rotation> rotations_in(const Place& place, const std::vector<PlaceHead>& heads);
// A file certificate's verdict at a moment, as diffs compare them: "expired", "not-yet-valid" or "valid".
std::string validity_verdict(UnixTime not_before, UnixTime not_after, UnixTime at);

}  // namespace certfleet::inventory
