// Where certificates and keys were seen: places and their labels, over the scans that saw them there.
#include <algorithm>

#include "inventory/query_logic.hpp"
#include "inventory/sql_queries.hpp"

namespace certfleet::inventory {

std::vector<PlaceRow> SqlQueries::place_rows(const std::vector<std::int64_t>& ids, const Filter& filter, PlaceRows which) {
    if (ids.empty()) return {};
    const std::string list = id_list(ids);
    // With as_of, history after that scan does not exist. The indexes lead with the scan, so each scan is
    // probed in turn: scans are few next to their sightings.
    as_of_view(filter);
    const std::string until = filter.as_of && filter.scans.empty() ? " AND sc.id <= :as_of" : "";
    const auto latest = latest_scans(filter);
    // 1 or 0 on both stores: PostgreSQL has no max() of booleans.
    const std::string file_in_view =
        !filter.scans.empty() ? "max(CASE WHEN s.scan_id " + in_filter_scans(filter) + " THEN 1 ELSE 0 END)"
                    : "CASE WHEN max(s.scan_id) = (SELECT ll.scan_id FROM " + std::string(latest.locations) +
                          " ll WHERE ll.location_id = s.location_id) THEN 1 ELSE 0 END";
    const std::string endpoint_in_view =
        !filter.scans.empty() ? "max(CASE WHEN es.scan_id " + in_filter_scans(filter) + " THEN 1 ELSE 0 END)"
                    : "CASE WHEN max(es.scan_id) = (SELECT el.scan_id FROM " + std::string(latest.endpoints) +
                          " el WHERE el.endpoint_id = es.endpoint_id) THEN 1 ELSE 0 END";
    Statement select(
        db_, ("SELECT g.*, g.kind = 0 AND " + sighting_has("anchor_sightings", "g.last_scan", "g.place_id", "g.position") +
              ", g.kind = 0 AND " + sighting_has("system_anchor_sightings", "g.last_scan", "g.place_id", "g.position") +
              " FROM (SELECT s.certificate_id, 0 AS kind, "
              "s.location_id AS place_id, s.position AS position, min(sc.started_at), max(sc.started_at), "
              "max(s.scan_id) AS last_scan, " +
              file_in_view +
              " AS in_view FROM scans sc CROSS JOIN sightings s ON s.scan_id = sc.id AND s.certificate_id IN (" + list + ")" +
              until +
              " GROUP BY s.certificate_id, s.location_id, s.position UNION ALL SELECT es.certificate_id, 1, "
              "es.endpoint_id, es.position, min(sc.started_at), max(sc.started_at), max(es.scan_id), " +
              endpoint_in_view + " FROM scans sc CROSS JOIN endpoint_sightings es ON es.scan_id = sc.id AND "
              "es.certificate_id IN (" + list + ")" + until +
              " GROUP BY es.certificate_id, es.endpoint_id, es.position) g" +
              (which == PlaceRows::in_view ? " WHERE g.in_view = 1" : ""))
                 .c_str());
    if (filter.as_of) select.bind(":as_of", *filter.as_of);
    std::vector<PlaceRow> out;
    while (select.step()) {
        PlaceRow row;
        row.certificate_id = select.integer(0);
        row.key = {static_cast<int>(select.integer(1)), select.integer(2)};
        row.seen.first_seen = select.integer(4);
        row.seen.last_seen = select.integer(5);
        row.seen.last_scan = select.integer(6);
        row.in_view = select.integer(7) != 0;
        row.seen.place.position = static_cast<int>(select.integer(3));
        row.seen.place.trust_anchor = select.integer(8) != 0;
        row.seen.place.system_store = select.integer(9) != 0;
        out.push_back(std::move(row));
    }
    // A place holds several of the certificates asked about (a leaf and its CA), so each is looked up once.
    std::map<PlaceKey, Place> places;
    std::map<std::pair<PlaceKey, ScanId>, Labels> labels;
    for (auto& row : out) {
        auto place = places.find(row.key);
        if (place == places.end()) place = places.emplace(row.key, place_of(row.key)).first;
        row.seen.place = with_sighting_facts(place->second, row.seen.place);
        auto labelled = labels.find({row.key, row.seen.last_scan});
        if (labelled == labels.end())
            labelled = labels.emplace(std::make_pair(row.key, row.seen.last_scan), labels_of(row.key, row.seen.last_scan)).first;
        row.seen.labels = labelled->second;
    }
    std::sort(out.begin(), out.end(), [](const PlaceRow& a, const PlaceRow& b) {
        return std::tie(a.certificate_id, a.key.kind, a.seen.place.path, a.seen.place.host, a.seen.place.port,
                        a.seen.place.server_name, a.seen.place.position) <
               std::tie(b.certificate_id, b.key.kind, b.seen.place.path, b.seen.place.host, b.seen.place.port,
                        b.seen.place.server_name, b.seen.place.position);
    });
    return out;
}

Place SqlQueries::place_of(const PlaceKey& key) {
    Place place;
    if (key.kind == kFileKind) {
        auto& select = statement("SELECT path, format, host FROM locations WHERE id = ?");
        select.bind(1, key.id);
        if (select.step()) {
            place.path = select.text(0);
            place.format = named_value(select.text(1), SourceFormat::pem);
            place.host = select.text(2);
        }
        select.reset();
        return place;
    }
    auto& select = statement("SELECT host, address, port, server_name FROM endpoints WHERE id = ?");
    select.bind(1, key.id);
    place.kind = Place::Kind::endpoint;
    if (select.step()) {
        place.host = select.text(0);
        place.address = select.text(1);
        place.port = static_cast<std::uint16_t>(select.integer(2));
        place.server_name = select.text(3);
    }
    select.reset();
    return place;
}

// The labels a place carried in a scan: its own, and the scan's for keys it has none of.
Labels SqlQueries::labels_of(const PlaceKey& key, ScanId scan) {
    auto& select = statement(
        key.kind == kFileKind
            ? "SELECT key, value FROM location_labels WHERE scan_id = ?1 AND location_id = ?2 UNION ALL SELECT key, "
              "value FROM scan_labels WHERE scan_id = ?1 AND key NOT IN (SELECT key FROM location_labels WHERE "
              "scan_id = ?1 AND location_id = ?2) ORDER BY 1"
            : "SELECT key, value FROM endpoint_labels WHERE scan_id = ?1 AND endpoint_id = ?2 UNION ALL SELECT key, "
              "value FROM scan_labels WHERE scan_id = ?1 AND key NOT IN (SELECT key FROM endpoint_labels WHERE "
              "scan_id = ?1 AND endpoint_id = ?2) ORDER BY 1");
    select.bind(1, scan).bind(2, key.id);
    Labels labels;
    while (select.step()) labels.push_back(Label{select.text(0), select.text(1)});
    return labels;
}

// Readable private key files in the view (each file as its latest scan saw it, or the filter's scan), whose
// spki meets `spki_condition`, as (spki, place).
std::vector<std::pair<std::string, Place>> SqlQueries::key_files(const Filter& filter, const std::string& spki_condition,
                                                     const std::function<void(Statement&)>& bind_extra) {
    // Each key file as its latest scan left it, then a lookup per place.
    const std::string source = !filter.scans.empty() ? "key_sightings k"
                                           : std::string(latest_scans(filter).locations) +
                                                 " latest CROSS JOIN key_sightings k ON k.scan_id = latest.scan_id "
                                                 "AND k.location_id = latest.location_id";
    std::string where = !filter.scans.empty() ? "k.scan_id " + in_filter_scans(filter) : "true";
    for (std::size_t i = 0; i < filter.labels.size(); ++i)
        where += label_condition("location_labels", "location_id", "k", i);
    Statement select(db_, ("SELECT DISTINCT k.spki_sha256, l.path, l.format, l.host FROM " + source +
                           " JOIN locations l ON l.id = k.location_id WHERE " + where +
                           " AND k.state != 'encrypted' AND k.spki_sha256 " + spki_condition +
                           " ORDER BY k.spki_sha256, l.path, l.host")
                              .c_str());
    bind_view(select, filter);
    bind_extra(select);
    std::vector<std::pair<std::string, Place>> out;
    while (select.step()) {
        Place place;
        place.path = select.text(1);
        place.format = named_value(select.text(2), SourceFormat::pem);
        place.host = select.text(3);
        out.emplace_back(select.text(0), std::move(place));
    }
    return out;
}

}  // namespace certfleet::inventory
