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
    std::vector<PlaceKey> keys;
    std::vector<std::pair<PlaceKey, ScanId>> labelled;
    for (const auto& row : out) {
        keys.push_back(row.key);
        labelled.emplace_back(row.key, row.seen.last_scan);
    }
    const auto places = places_of(keys);
    const auto labels = labels_of_places(labelled);
    for (auto& row : out) {
        row.seen.place = with_sighting_facts(places.at(row.key), row.seen.place);
        row.seen.labels = labels.at({row.key, row.seen.last_scan});
    }
    std::sort(out.begin(), out.end(), [](const PlaceRow& a, const PlaceRow& b) {
        return std::tie(a.certificate_id, a.key.kind, a.seen.place.path, a.seen.place.host, a.seen.place.port,
                        a.seen.place.server_name, a.seen.place.site, a.seen.place.position) <
               std::tie(b.certificate_id, b.key.kind, b.seen.place.path, b.seen.place.host, b.seen.place.port,
                        b.seen.place.server_name, b.seen.place.site, b.seen.place.position);
    });
    return out;
}

Place SqlQueries::place_of(const PlaceKey& key) { return places_of({key}).at(key); }

namespace {

// Ids go to the store this many to a statement; a last chunk repeats its last id (IN ignores the repeats), so
// one prepared statement serves every chunk.
constexpr std::size_t kIdsPerStatement = 64;

const std::string& id_parameters() {
    static const std::string list = [] {
        std::string out;
        for (std::size_t i = 0; i < kIdsPerStatement; ++i) out += i == 0 ? "?" : ",?";
        return out;
    }();
    return list;
}

// The labels of a chunk of places (parameters 2 on) in scan ?1: one equality per place, not `IN (...)`. Until
// the server analyses the table again it takes the latest scan for one with no rows, and reads every row of that
// scan for each chunk (3.3 ms a chunk where this takes 0.2). UNION: a last chunk repeats its last id.
std::string labels_of_chunk(const std::string& table, const std::string& column) {
    std::string sql;
    for (std::size_t i = 0; i < kIdsPerStatement; ++i)
        sql += (i == 0 ? "SELECT " : " UNION SELECT ") + column + ", key, value FROM " + table +
               " WHERE scan_id = ?1 AND " + column + " = ?" + std::to_string(i + 2);
    return sql;
}

// Each distinct id once, a chunk at a time: `bind` binds the chunk's ids from parameter `from` on.
template <typename Run>
void in_id_chunks(std::vector<std::int64_t> ids, int from, Run&& run) {
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    for (std::size_t first = 0; first < ids.size(); first += kIdsPerStatement)
        run([&](Statement& statement) {
            for (std::size_t i = 0; i < kIdsPerStatement; ++i)
                statement.bind(from + static_cast<int>(i), ids[std::min(first + i, ids.size() - 1)]);
        });
}

}  // namespace

std::map<PlaceKey, Place> SqlQueries::places_of(const std::vector<PlaceKey>& keys) {
    std::vector<std::int64_t> files, endpoints;
    std::map<PlaceKey, Place> out;
    for (const auto& key : keys) {
        (key.kind == kFileKind ? files : endpoints).push_back(key.id);
        // A place gone meanwhile (forgotten by another process) reads as an empty one of its kind, as place_of's.
        if (key.kind != kFileKind) out[key].kind = Place::Kind::endpoint;
    }
    in_id_chunks(files, 1, [&](const auto& bind) {
        auto& select = statement("SELECT id, path, format, host FROM locations WHERE id IN (" + id_parameters() + ")");
        bind(select);
        while (select.step()) {
            Place& place = out[{kFileKind, select.integer(0)}];
            place.path = select.text(1);
            place.format = named_value(select.text(2), SourceFormat::pem);
            place.host = select.text(3);
        }
    });
    in_id_chunks(endpoints, 1, [&](const auto& bind) {
        auto& select = statement("SELECT id, host, address, port, server_name, site FROM endpoints WHERE id IN (" +
                                 id_parameters() + ")");
        bind(select);
        while (select.step()) {
            Place& place = out[{kEndpointKind, select.integer(0)}];
            place.host = select.text(1);
            place.address = select.text(2);
            place.port = static_cast<std::uint16_t>(select.integer(3));
            place.server_name = select.text(4);
            place.site = select.text(5);
        }
    });
    return out;
}

std::map<std::pair<PlaceKey, ScanId>, Labels> SqlQueries::labels_of_places(
    const std::vector<std::pair<PlaceKey, ScanId>>& wanted) {
    std::map<std::pair<ScanId, int>, std::vector<std::int64_t>> by_scan;
    for (const auto& [key, scan] : wanted) by_scan[{scan, key.kind}].push_back(key.id);
    std::map<std::pair<PlaceKey, ScanId>, Labels> out;
    for (const auto& [scan_kind, ids] : by_scan) {
        const ScanId scan = scan_kind.first;  // named, not bound: lambdas below capture them
        const int kind = scan_kind.second;
        std::map<std::int64_t, Labels> own;
        in_id_chunks(ids, 2, [&](const auto& bind) {
            auto& select = statement(kind == kFileKind ? labels_of_chunk("location_labels", "location_id")
                                                       : labels_of_chunk("endpoint_labels", "endpoint_id"));
            select.bind(1, scan);
            bind(select);
            while (select.step()) own[select.integer(0)].push_back(Label{select.text(1), select.text(2)});
        });
        Labels of_scan;
        auto& scan_labels = statement("SELECT key, value FROM scan_labels WHERE scan_id = ?");
        scan_labels.bind(1, scan);
        while (scan_labels.step()) of_scan.push_back(Label{scan_labels.text(0), scan_labels.text(1)});
        for (const auto id : ids) out[{PlaceKey{kind, id}, scan}] = merged_labels(own[id], of_scan);
    }
    return out;
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
