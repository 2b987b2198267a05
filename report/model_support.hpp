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

// Every sighting of a certificate as a place: files first (by path and position), then endpoints.
std::vector<inventory::Place> sighting_places(const inventory::StoredCertificate& stored, const AnchorStores& anchors);

// Sightings cut to one per place a replacement must reach, the first of each: files by path, endpoints by (host,
// port, server name). A bundle holding a certificate twice is one place; so is a host name that resolved to two
// addresses.
std::vector<inventory::Place> distinct_places(std::vector<inventory::Place> sightings);
// How many such places the certificate is at: the JSON report's shared.locations.
std::size_t location_count(const inventory::StoredCertificate& stored);

// Endpoints by probe status, in the README's order, every status present (0 when no endpoint had it).
std::vector<std::pair<std::string, std::int64_t>> endpoints_by_status(const std::vector<inventory::StoredEndpoint>& endpoints);

// leaf, intermediate, root, or anchor (held by a trust store of the scan, whatever it is).
const char* certificate_role(const CertInfo& cert, bool trust_anchor);

}  // namespace certfleet::report
