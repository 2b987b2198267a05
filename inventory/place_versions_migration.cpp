#include "inventory/place_versions_migration.hpp"

#include <string>

namespace certfleet::inventory {

namespace {

constexpr const char* kPerScanPlaceTables[] = {"sightings",        "key_sightings",
                                               "location_labels",  "anchor_sightings",
                                               "key_certificate_sightings", "system_anchor_sightings"};

// The tables as version 20 left them, for an inventory older still: each came with some version up to 8.
constexpr const char* kVersion20Tables =
    "CREATE TABLE IF NOT EXISTS location_labels (scan_id INTEGER NOT NULL, location_id INTEGER NOT NULL, key TEXT "
    "NOT NULL, value TEXT NOT NULL, PRIMARY KEY (scan_id, location_id, key)); "
    "CREATE TABLE IF NOT EXISTS anchor_sightings (scan_id INTEGER NOT NULL, location_id INTEGER NOT NULL, position "
    "INTEGER NOT NULL, PRIMARY KEY (scan_id, location_id, position)); "
    "CREATE TABLE IF NOT EXISTS system_anchor_sightings (scan_id INTEGER NOT NULL, location_id INTEGER NOT NULL, "
    "position INTEGER NOT NULL, PRIMARY KEY (scan_id, location_id, position)); "
    "CREATE TABLE IF NOT EXISTS key_certificate_sightings (scan_id INTEGER NOT NULL, location_id INTEGER NOT NULL, "
    "position INTEGER NOT NULL, PRIMARY KEY (scan_id, location_id, position))";

// Version 17 numbered a file's keys, an older inventory's in the order they were stored.
constexpr const char* kNumberKeys =
    "ALTER TABLE key_sightings ADD COLUMN position INTEGER NOT NULL DEFAULT 0; UPDATE key_sightings SET position = "
    "r.n FROM (SELECT id, row_number() OVER (PARTITION BY scan_id, location_id ORDER BY id) - 1 AS n FROM "
    "key_sightings) r WHERE r.id = key_sightings.id AND key_sightings.position != r.n";

// Version 8 paired the certificates and keys older versions stored the way the scanner does: a certificate whose
// public key is that of a key in the same file.
constexpr const char* kPairKeys =
    "INSERT INTO key_certificate_sightings SELECT s.scan_id, s.location_id, s.position FROM key_sightings k "
    "JOIN sightings s ON s.scan_id = k.scan_id AND s.location_id = k.location_id JOIN certificates c ON c.id = "
    "s.certificate_id AND c.spki_sha256 = k.spki_sha256 WHERE true ON CONFLICT DO NOTHING";

// A version per scan and place, named 'scan N' (never a digest: the place's next scan adds a version of its own).
constexpr const char* kConvert =
    "CREATE TABLE legacy_places AS SELECT scan_id, location_id FROM legacy_sightings UNION SELECT scan_id, "
    "location_id FROM legacy_key_sightings; "
    "INSERT INTO location_versions (location_id, content_sha256) SELECT location_id, 'scan ' || scan_id FROM "
    "legacy_places; "
    "INSERT INTO location_scans (scan_id, location_id, version_id) SELECT p.scan_id, p.location_id, v.id FROM "
    "legacy_places p JOIN location_versions v ON v.location_id = p.location_id AND v.content_sha256 = 'scan ' || "
    "p.scan_id; "
    "INSERT INTO version_sightings (version_id, position, location_id, certificate_id, anchor, system_anchor, "
    "with_key) SELECT ls.version_id, s.position, s.location_id, s.certificate_id, "
    "CASE WHEN EXISTS (SELECT 1 FROM legacy_anchor_sightings x WHERE x.scan_id = s.scan_id AND x.location_id = "
    "s.location_id AND x.position = s.position) THEN 1 ELSE 0 END, "
    "CASE WHEN EXISTS (SELECT 1 FROM legacy_system_anchor_sightings x WHERE x.scan_id = s.scan_id AND "
    "x.location_id = s.location_id AND x.position = s.position) THEN 1 ELSE 0 END, "
    "CASE WHEN EXISTS (SELECT 1 FROM legacy_key_certificate_sightings x WHERE x.scan_id = s.scan_id AND "
    "x.location_id = s.location_id AND x.position = s.position) THEN 1 ELSE 0 END "
    "FROM legacy_sightings s JOIN location_scans ls ON ls.scan_id = s.scan_id AND ls.location_id = s.location_id; "
    "INSERT INTO version_keys (version_id, position, spki_sha256, state) SELECT ls.version_id, k.position, "
    "k.spki_sha256, k.state FROM legacy_key_sightings k JOIN location_scans ls ON ls.scan_id = k.scan_id AND "
    "ls.location_id = k.location_id WHERE true ON CONFLICT DO NOTHING; "
    "INSERT INTO version_labels (version_id, key, value) SELECT ls.version_id, l.key, l.value FROM "
    "legacy_location_labels l JOIN location_scans ls ON ls.scan_id = l.scan_id AND ls.location_id = l.location_id; "
    "DROP TABLE legacy_places";

bool is_table(SqlConnection& db, const std::string& name) {
    Statement table(db, db.dialect() == SqlDialect::sqlite
                            ? "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
                            : "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = ?");
    table.bind(1, name);
    return table.step() && table.integer(0) > 0;
}

bool has_column(SqlConnection& db, const std::string& table, const std::string& column) {
    Statement columns(db, db.dialect() == SqlDialect::sqlite
                              ? "SELECT count(*) FROM pragma_table_info(?) WHERE name = ?"
                              : "SELECT count(*) FROM information_schema.columns WHERE table_schema = "
                                "current_schema() AND table_name = ? AND column_name = ?");
    columns.bind(1, table).bind(2, column);
    return columns.step() && columns.integer(0) > 0;
}

}  // namespace

bool set_aside_per_scan_place_tables(SqlConnection& db) {
    if (!is_table(db, "sightings")) return false;
    db.exec(kVersion20Tables);
    if (!has_column(db, "key_sightings", "position")) db.exec(kNumberKeys);
    db.exec(kPairKeys);
    for (const std::string table : kPerScanPlaceTables) db.exec("ALTER TABLE " + table + " RENAME TO legacy_" + table);
    return true;
}

void convert_per_scan_place_tables(SqlConnection& db) {
    db.exec(kConvert);
    for (const std::string table : kPerScanPlaceTables) db.exec("DROP TABLE legacy_" + table);
}

}  // namespace certfleet::inventory
