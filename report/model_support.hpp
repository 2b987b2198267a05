#pragma once
// Facts several formats derive from the report model alike: a scan's certificates place by place (CSV, Markdown
// and Prometheus print a row or series per certificate and place; JSON counts the places), and its endpoints
// by status.
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "inventory/analysis.hpp"
#include "inventory/inventory.hpp"

namespace certfleet::report {

// Which stores hold each trust anchor of the scan, from the model's `anchors`: a file sighting is a trust-store
// entry when its certificate is an anchor held by that file.
class AnchorStores {
public:
    AnchorStores() = default;  // no anchors
    explicit AnchorStores(const std::vector<inventory::AnchorSummary>& anchors);
    bool is_anchor(const std::string& sha256) const { return stores_.contains(sha256); }
    bool held_by(const std::string& sha256, const std::string& store) const;

private:
    std::map<std::string, std::set<std::string>> stores_;  // sha256 -> display of each store holding it
};

// What a report is about, for its header: "Current view after scan 7" or "Scan 7 alone".
std::string scope_title(const inventory::ScanContents& contents);

// Every sighting of a certificate as a place with its labels: files first (by path and position), then endpoints.
std::vector<inventory::PlaceSeen> sighting_places(const inventory::StoredCertificate& stored,
                                                  const AnchorStores& anchors);

// An endpoint's probe as the place it is: host, port, server name and site (what Place::display shows).
inventory::Place endpoint_place(const EndpointFacts& facts);

// Sightings cut to one per place a replacement must reach, the first of each: files by path, endpoints by (host,
// port, server name). A bundle holding a certificate twice is one place; so is a host name that resolved to two
// addresses.
std::vector<inventory::PlaceSeen> distinct_places(std::vector<inventory::PlaceSeen> sightings);
// How many such places the certificate is at: the JSON report's shared.locations.
std::size_t location_count(const inventory::StoredCertificate& stored);

// Endpoints by probe status, in the README's order, every status present (0 when no endpoint had it).
std::vector<std::pair<std::string, std::int64_t>> endpoints_by_status(const std::vector<inventory::StoredEndpoint>& endpoints);

// Whether the certificate is held only as an entry of system trust stores (those an OS package maintains): the
// distribution's roots, which reports count rather than list ahead of the user's own certificates.
bool only_in_system_stores(const inventory::StoredCertificate& stored);

// The findings of one rule: what the rule says of every one of them once, then each place once.
struct RuleFindings {
    std::string rule_id;
    Severity severity = Severity::info;  // the most severe of them
    std::string message;                 // the rule's description and advice, as its first finding has them
    struct AtPlace {
        std::string location;
        std::size_t certificates = 0;  // found at this place
        std::string note;              // what a finding here adds to the message (an expired exemption), if any
        Labels labels;                 // the place's (owner, env, ...)
        // " (3 certificates) note": what to print after the location, empty for one certificate and no note.
        std::string remark() const;
    };
    std::vector<AtPlace> places;  // in the order of the findings
    std::size_t count = 0;        // findings
};
// Findings by rule, in the order the findings come (most severe first).
std::vector<RuleFindings> findings_by_rule(const std::vector<Finding>& findings);

// leaf, intermediate, root, or anchor (held by a trust store of the scan, whatever it is).
const char* certificate_role(const CertInfo& cert, bool trust_anchor);

}  // namespace certfleet::report
