#include "report/model_support.hpp"

#include <algorithm>
#include <tuple>

#include "report/table_support.hpp"

namespace certfleet::report {

AnchorStores::AnchorStores(const std::vector<inventory::AnchorSummary>& anchors) {
    for (const auto& anchor : anchors)
        stores_[anchor.summary.cert.sha256].insert(anchor.stores.begin(), anchor.stores.end());
}

bool AnchorStores::held_by(const std::string& sha256, const std::string& store) const {
    const auto it = stores_.find(sha256);
    return it != stores_.end() && it->second.contains(store);
}

std::string scope_title(const inventory::ScanContents& contents) {
    if (contents.run) {
        const auto& run = *contents.run;
        std::string ids;
        for (const auto& member : run.members) ids += (ids.empty() ? "" : ", ") + std::to_string(member.id);
        return "Run " + run.name + ": scan" + (run.members.size() > 1 ? "s " : " ") + ids +
               (run.complete() ? "" : ", incomplete: " + run.gaps());
    }
    const std::string id = std::to_string(contents.scan.id);
    return contents.scope == inventory::ContentsScope::view ? "Current view after scan " + id : "Scan " + id + " alone";
}

std::vector<inventory::PlaceSeen> sighting_places(const inventory::StoredCertificate& stored,
                                                  const AnchorStores& anchors) {
    std::vector<inventory::PlaceSeen> places;
    for (const auto& s : stored.sightings) {
        places.emplace_back().labels = s.labels;
        inventory::Place& place = places.back().place;
        place.path = s.location.path;
        place.host = s.host;
        place.format = s.location.format;
        place.position = s.location.index;
        place.trust_anchor = anchors.held_by(stored.cert.sha256, s.location.path);
        place.system_store = s.system_store;
    }
    for (const auto& e : stored.endpoint_sightings) {
        places.emplace_back().labels = e.labels;
        inventory::Place& place = places.back().place;
        place.kind = inventory::Place::Kind::endpoint;
        place.host = e.host;
        place.address = e.address;
        place.port = e.port;
        place.server_name = e.server_name;
        place.site = e.site;
        place.position = e.chain_position;
    }
    return places;
}

inventory::Place endpoint_place(const EndpointFacts& facts) {
    inventory::Place place;
    place.kind = inventory::Place::Kind::endpoint;
    place.host = facts.host;
    place.port = facts.port;
    place.server_name = facts.server_name;
    place.site = facts.site;
    return place;
}

std::vector<inventory::PlaceSeen> distinct_places(std::vector<inventory::PlaceSeen> sightings) {
    std::set<std::tuple<inventory::Place::Kind, std::string, std::string, std::uint16_t, std::string, std::string>> seen;
    std::vector<inventory::PlaceSeen> places;
    for (auto& sighting : sightings) {
        const auto& place = sighting.place;
        if (seen.emplace(place.kind, place.path, place.host, place.port, place.server_name, place.site).second)
            places.push_back(std::move(sighting));
    }
    return places;
}

std::size_t location_count(const inventory::StoredCertificate& stored) {
    return distinct_places(sighting_places(stored, AnchorStores())).size();
}

std::vector<std::pair<std::string, std::int64_t>> endpoints_by_status(const std::vector<inventory::StoredEndpoint>& endpoints) {
    std::vector<std::pair<std::string, std::int64_t>> counts;
    for (const auto& [status, name] : kEndpointStatusNames) {
        counts.emplace_back(name, std::count_if(endpoints.begin(), endpoints.end(), [&](const inventory::StoredEndpoint& e) {
                                return e.facts.status == status;
                            }));
    }
    return counts;
}

bool only_in_system_stores(const inventory::StoredCertificate& stored) {
    return !stored.sightings.empty() && stored.endpoint_sightings.empty() &&
           std::all_of(stored.sightings.begin(), stored.sightings.end(),
                       [](const inventory::StoredSighting& s) { return s.system_store; });
}

std::string RuleFindings::AtPlace::remark() const {
    std::string text = certificates > 1 ? " (" + count_of(certificates, "certificate") + ")" : "";
    return note.empty() ? text : text + " " + note;
}

std::vector<RuleFindings> findings_by_rule(const std::vector<Finding>& findings) {
    std::vector<RuleFindings> groups;
    for (const auto& f : findings) {
        auto group = std::find_if(groups.begin(), groups.end(), [&](const RuleFindings& g) { return g.rule_id == f.rule_id; });
        if (group == groups.end()) group = groups.insert(groups.end(), RuleFindings{f.rule_id, f.severity, f.message, {}, 0});
        group->severity = std::max(group->severity, f.severity);
        ++group->count;
        // A message that differs adds to the rule's (an exemption that expired, say), or says something else whole.
        const bool extends = f.message.rfind(group->message, 0) == 0;
        std::string note = extends ? f.message.substr(group->message.size()) : f.message;
        note.erase(0, note.find_first_not_of(' '));
        auto place = std::find_if(group->places.begin(), group->places.end(), [&](const RuleFindings::AtPlace& p) {
            return p.location == f.location && p.note == note;
        });
        if (place == group->places.end())
            place = group->places.insert(group->places.end(), {f.location, 0, note, f.labels});
        ++place->certificates;
    }
    return groups;
}

const char* certificate_role(const CertInfo& cert, bool trust_anchor) {
    if (trust_anchor) return "anchor";
    if (!cert.is_ca) return "leaf";
    return cert.self_signed ? "root" : "intermediate";
}

}  // namespace certfleet::report
