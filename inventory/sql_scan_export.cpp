// One scan as the observations that made it, for `certfleet push`: replayed into another inventory, they store
// what they stored here (certificates with their roles, keys, the owner map's labels, events, probes).
#include <map>
#include <unordered_map>

#include "core/certificate.hpp"
#include "inventory/sql_queries.hpp"

namespace certfleet::inventory {

namespace {

// Each certificate parsed once however many places hold it, as the scanner shares it.
class ParsedCertificates {
public:
    ChainCertificate get(const std::string& sha256, Bytes der) {
        auto found = parsed_.find(sha256);
        if (found == parsed_.end()) {
            auto stored = std::make_shared<const Bytes>(std::move(der));
            auto info = std::make_shared<const CertInfo>(describe_certificate(*stored));
            found = parsed_.emplace(sha256, ChainCertificate{std::move(info), std::move(stored)}).first;
        }
        return found->second;
    }

private:
    std::unordered_map<std::string, ChainCertificate> parsed_;
};

SourceFormat format_named(const std::string& name) { return named_value(name, SourceFormat::pem); }

}  // namespace

ScanObservations SqlQueries::scan_observations(ScanId scan) {
    ScanObservations out;
    const auto record = load_scan_record(db_, scan, false);
    if (!record) throw InventoryError("no scan " + std::to_string(scan) + " in " + path_);
    out.scan = *record;
    Statement labels(db_, "SELECT key, value FROM scan_labels WHERE scan_id = ? ORDER BY key");
    labels.bind(1, scan);
    while (labels.step()) out.labels.push_back(Label{labels.text(0), labels.text(1)});

    ParsedCertificates parsed;
    std::map<std::int64_t, FileObservations> files;  // by location
    Statement sightings(
        db_, ("SELECT s.location_id, l.path, l.format, s.position, c.sha256, c.der, " +
              sighting_flag("anchor_sightings", "s.scan_id", "s.location_id", "s.position") + ", " +
              sighting_flag("system_anchor_sightings", "s.scan_id", "s.location_id", "s.position") + ", " +
              sighting_flag("key_certificate_sightings", "s.scan_id", "s.location_id", "s.position") +
              " FROM sightings s JOIN locations l ON l.id = s.location_id JOIN certificates c ON c.id = "
              "s.certificate_id WHERE s.scan_id = ? ORDER BY s.location_id, s.position")
                 .c_str());
    sightings.bind(1, scan);
    while (sightings.step()) {
        const ChainCertificate cert = parsed.get(sightings.text(4), sightings.blob(5));
        CertificateSighting sighting{cert.cert, cert.der,
                                     FileLocation{sightings.text(1), format_named(sightings.text(2)),
                                                  static_cast<int>(sightings.integer(3))}};
        sighting.trust_anchor = sightings.integer(6) != 0;
        sighting.system_store = sightings.integer(7) != 0;
        sighting.with_private_key = sightings.integer(8) != 0;
        files[sightings.integer(0)].certificates.push_back(std::move(sighting));
    }
    Statement keys(db_, "SELECT k.location_id, l.path, l.format, k.spki_sha256, k.state FROM key_sightings k JOIN "
                        "locations l ON l.id = k.location_id WHERE k.scan_id = ? ORDER BY k.location_id, k.id");
    keys.bind(1, scan);
    while (keys.step()) {
        KeySighting key{keys.text(1), format_named(keys.text(2)), std::nullopt,
                        named_value(keys.text(4), KeyState::readable)};
        if (!keys.is_null(3)) key.spki_sha256 = keys.text(3);
        files[keys.integer(0)].keys.push_back(std::move(key));
    }
    Statement place_labels(db_, "SELECT location_id, key, value FROM location_labels WHERE scan_id = ? ORDER BY "
                                "location_id, key");
    place_labels.bind(1, scan);
    while (place_labels.step()) {
        // A place that only carries labels held nothing this scan stored: it has no observation to label.
        const auto file = files.find(place_labels.integer(0));
        if (file != files.end()) file->second.labels.push_back(Label{place_labels.text(1), place_labels.text(2)});
    }
    for (auto& [location, observations] : files) out.files.push_back(std::move(observations));
    FileObservations events;
    Statement stored_events(db_, "SELECT level, location, reason, detail FROM scan_events WHERE scan_id = ? ORDER BY id");
    stored_events.bind(1, scan);
    while (stored_events.step())
        events.events.push_back(ScanEvent{stored_events.text(1), stored_events.text(2), stored_events.text(3),
                                          named_value(stored_events.text(0), EventLevel::note)});
    if (!events.events.empty()) out.files.push_back(std::move(events));

    Statement probes(db_, (std::string("SELECT o.endpoint_id, ") + kEndpointFactsColumns +
                           " FROM endpoint_observations o JOIN endpoints e ON e.id = o.endpoint_id WHERE o.scan_id = ? "
                           "ORDER BY o.endpoint_id")
                              .c_str());
    probes.bind(1, scan);
    std::vector<std::int64_t> endpoint_ids;
    while (probes.step()) {
        endpoint_ids.push_back(probes.integer(0));
        out.endpoints.push_back(EndpointObservationRecord{read_endpoint_facts(probes, 1), {}, {}});
    }
    Statement chain(db_, "SELECT c.sha256, c.der FROM endpoint_sightings es JOIN certificates c ON c.id = "
                         "es.certificate_id WHERE es.scan_id = ? AND es.endpoint_id = ? ORDER BY es.position");
    Statement endpoint_labels(db_, "SELECT key, value FROM endpoint_labels WHERE scan_id = ? AND endpoint_id = ? ORDER "
                                   "BY key");
    for (std::size_t i = 0; i < endpoint_ids.size(); ++i) {
        chain.bind(1, scan).bind(2, endpoint_ids[i]);
        while (chain.step()) out.endpoints[i].chain.push_back(parsed.get(chain.text(0), chain.blob(1)));
        endpoint_labels.bind(1, scan).bind(2, endpoint_ids[i]);
        while (endpoint_labels.step())
            out.endpoints[i].labels.push_back(Label{endpoint_labels.text(0), endpoint_labels.text(1)});
    }
    return out;
}

}  // namespace certfleet::inventory
