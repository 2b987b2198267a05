// One scan as the observations that made it, for `certfleet push`: replayed into another inventory, they store
// what they stored here (certificates with their roles, keys, the owner map's labels, events, probes). They are
// read a batch of places at a time, so pushing a scan of any size holds one batch in memory.
#include <algorithm>
#include <unordered_map>

#include "core/certificate.hpp"
#include "inventory/sql_queries.hpp"

namespace certfleet::inventory {

namespace {

// Each certificate parsed once however many places of a batch hold it, as the scanner shares it.
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

std::vector<std::int64_t> ids_of_scan(SqlConnection& db, const std::string& select, ScanId scan) {
    Statement statement(db, select.c_str());
    statement.bind(1, scan);
    std::vector<std::int64_t> ids;
    while (statement.step()) ids.push_back(statement.integer(0));
    return ids;
}

// Calls `each(first, last)` for consecutive runs of at most `batch` of the ascending `ids`. A scan's rows with ids
// from first to last are those of the run, whatever ids other scans hold in between.
template <typename Each>
void in_id_ranges(const std::vector<std::int64_t>& ids, std::size_t batch, Each&& each) {
    for (std::size_t start = 0; start < ids.size(); start += batch) {
        const auto end = std::min(ids.size(), start + batch);
        each(ids[start], ids[end - 1]);
    }
}

// The scan's file places with ids in a range, each with its certificates, keys and owner-map labels.
class FilePlaceReader {
public:
    explicit FilePlaceReader(SqlConnection& db)
        : sightings_(db, ("SELECT s.location_id, l.path, l.format, s.position, c.sha256, c.der, " +
                          sighting_flag("anchor_sightings", "s.scan_id", "s.location_id", "s.position") + ", " +
                          sighting_flag("system_anchor_sightings", "s.scan_id", "s.location_id", "s.position") + ", " +
                          sighting_flag("key_certificate_sightings", "s.scan_id", "s.location_id", "s.position") +
                          " FROM sightings s JOIN locations l ON l.id = s.location_id JOIN certificates c ON c.id = "
                          "s.certificate_id WHERE s.scan_id = ? AND s.location_id BETWEEN ? AND ? ORDER BY "
                          "s.location_id, s.position")
                             .c_str()),
          keys_(db, "SELECT k.location_id, l.path, l.format, k.spki_sha256, k.state FROM key_sightings k JOIN "
                    "locations l ON l.id = k.location_id WHERE k.scan_id = ? AND k.location_id BETWEEN ? AND ? ORDER "
                    "BY k.location_id, k.id"),
          labels_(db, "SELECT location_id, key, value FROM location_labels WHERE scan_id = ? AND location_id BETWEEN ? "
                      "AND ? ORDER BY location_id, key") {}

    std::vector<FileObservations> read(ScanId scan, std::int64_t first, std::int64_t last) {
        ParsedCertificates parsed;
        std::map<std::int64_t, FileObservations> files;  // by location
        sightings_.bind(1, scan).bind(2, first).bind(3, last);
        while (sightings_.step()) {
            const ChainCertificate cert = parsed.get(sightings_.text(4), sightings_.blob(5));
            CertificateSighting sighting{cert.cert, cert.der,
                                         FileLocation{sightings_.text(1), format_named(sightings_.text(2)),
                                                      static_cast<int>(sightings_.integer(3))}};
            sighting.trust_anchor = sightings_.integer(6) != 0;
            sighting.system_store = sightings_.integer(7) != 0;
            sighting.with_private_key = sightings_.integer(8) != 0;
            files[sightings_.integer(0)].certificates.push_back(std::move(sighting));
        }
        keys_.bind(1, scan).bind(2, first).bind(3, last);
        while (keys_.step()) {
            KeySighting key{keys_.text(1), format_named(keys_.text(2)), std::nullopt,
                            named_value(keys_.text(4), KeyState::readable)};
            if (!keys_.is_null(3)) key.spki_sha256 = keys_.text(3);
            files[keys_.integer(0)].keys.push_back(std::move(key));
        }
        labels_.bind(1, scan).bind(2, first).bind(3, last);
        while (labels_.step()) {
            // A place that only carries labels held nothing this scan stored: it has no observation to label.
            const auto file = files.find(labels_.integer(0));
            if (file != files.end()) file->second.labels.push_back(Label{labels_.text(1), labels_.text(2)});
        }
        std::vector<FileObservations> out;
        out.reserve(files.size());
        for (auto& [location, observations] : files) out.push_back(std::move(observations));
        return out;
    }

private:
    Statement sightings_, keys_, labels_;
};

// The scan's probes of endpoints with ids in a range, each with the chain it was served and its labels.
class ProbeReader {
public:
    explicit ProbeReader(SqlConnection& db)
        : probes_(db, (std::string("SELECT o.endpoint_id, ") + kEndpointFactsColumns +
                       " FROM endpoint_observations o JOIN endpoints e ON e.id = o.endpoint_id WHERE o.scan_id = ? AND "
                       "o.endpoint_id BETWEEN ? AND ? ORDER BY o.endpoint_id")
                          .c_str()),
          chains_(db, "SELECT es.endpoint_id, c.sha256, c.der FROM endpoint_sightings es JOIN certificates c ON c.id = "
                      "es.certificate_id WHERE es.scan_id = ? AND es.endpoint_id BETWEEN ? AND ? ORDER BY "
                      "es.endpoint_id, es.position"),
          labels_(db, "SELECT endpoint_id, key, value FROM endpoint_labels WHERE scan_id = ? AND endpoint_id BETWEEN ? "
                      "AND ? ORDER BY endpoint_id, key") {}

    std::vector<EndpointObservationRecord> read(ScanId scan, std::int64_t first, std::int64_t last) {
        ParsedCertificates parsed;
        std::vector<EndpointObservationRecord> out;
        std::unordered_map<std::int64_t, std::size_t> index;  // endpoint id to its probe in `out`
        probes_.bind(1, scan).bind(2, first).bind(3, last);
        while (probes_.step()) {
            index.emplace(probes_.integer(0), out.size());
            out.push_back(EndpointObservationRecord{read_endpoint_facts(probes_, 1), {}, {}});
        }
        chains_.bind(1, scan).bind(2, first).bind(3, last);
        while (chains_.step()) {
            const auto probe = index.find(chains_.integer(0));
            if (probe != index.end())
                out[probe->second].chain.push_back(parsed.get(chains_.text(1), chains_.blob(2)));
        }
        labels_.bind(1, scan).bind(2, first).bind(3, last);
        while (labels_.step()) {
            const auto probe = index.find(labels_.integer(0));
            if (probe != index.end()) out[probe->second].labels.push_back(Label{labels_.text(1), labels_.text(2)});
        }
        return out;
    }

private:
    Statement probes_, chains_, labels_;
};

}  // namespace

Labels SqlQueries::scan_labels(ScanId scan) {
    if (!load_scan_record(db_, scan, false)) throw InventoryError("no scan " + std::to_string(scan) + " in " + path_);
    Statement select(db_, "SELECT key, value FROM scan_labels WHERE scan_id = ? ORDER BY key");
    select.bind(1, scan);
    Labels labels;
    while (select.step()) labels.push_back(Label{select.text(0), select.text(1)});
    return labels;
}

void SqlQueries::scan_observations(ScanId scan, std::size_t batch, const ObservationBatches& to) {
    if (!load_scan_record(db_, scan, false)) throw InventoryError("no scan " + std::to_string(scan) + " in " + path_);
    batch = std::max<std::size_t>(batch, 1);
    const auto locations = ids_of_scan(db_,
                                       "SELECT location_id FROM sightings WHERE scan_id = ?1 UNION SELECT location_id "
                                       "FROM key_sightings WHERE scan_id = ?1 ORDER BY 1",
                                       scan);
    FilePlaceReader places(db_);
    in_id_ranges(locations, batch, [&](std::int64_t first, std::int64_t last) { to.files(places.read(scan, first, last)); });

    Statement stored_events(db_, "SELECT level, location, reason, detail FROM scan_events WHERE scan_id = ? ORDER BY id");
    stored_events.bind(1, scan);
    FileObservations events;
    const auto deliver_events = [&] {
        if (!events.events.empty()) to.files({std::move(events)});
        events = FileObservations{};
    };
    while (stored_events.step()) {
        events.events.push_back(ScanEvent{stored_events.text(1), stored_events.text(2), stored_events.text(3),
                                          named_value(stored_events.text(0), EventLevel::note)});
        if (events.events.size() == batch) deliver_events();
    }
    deliver_events();

    const auto endpoints = ids_of_scan(
        db_, "SELECT endpoint_id FROM endpoint_observations WHERE scan_id = ? ORDER BY endpoint_id", scan);
    ProbeReader probes(db_);
    in_id_ranges(endpoints, batch,
                 [&](std::int64_t first, std::int64_t last) { to.endpoints(probes.read(scan, first, last)); });
}

}  // namespace certfleet::inventory
