// The inventory's questions (analysis.hpp) in SQL. Each question is one or a few statements over the indexes of
// schema.sql; C++ only assembles rows into answers.
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "inventory/analysis.hpp"
#include "inventory/sqlite_support.hpp"

namespace certfleet::inventory {

namespace {

constexpr int kFileKind = 0, kEndpointKind = 1;
// Deeper than any real chain; stops a loop of cross-signed CAs from walking forever.
constexpr int kMaxChainDepth = 10;

UnixTime current_time() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A label a location carries in a scan: its own (owner map) or else the scan's.
std::string label_condition(const char* own_table, const char* place_column, const char* alias, std::size_t i) {
    const std::string n = std::to_string(i);
    return std::string(" AND :lv") + n + " = coalesce((SELECT value FROM " + own_table + " WHERE scan_id = " + alias +
           ".scan_id AND " + place_column + " = " + alias + "." + place_column + " AND key = :lk" + n +
           "), (SELECT value FROM scan_labels WHERE scan_id = " + alias + ".scan_id AND key = :lk" + n + "))";
}

// Each place's latest scan in a view: the current view's tables, kept up to date by the writer, or for a view
// "as of" a past scan the connection's temporary tables of the same shape, which SqliteQueries fills for that
// scan (once per scan asked about: grouping half a million sightings is the costly part of such a view).
struct LatestScans {
    const char* locations;
    const char* endpoints;
};
LatestScans latest_scans(const Filter& filter) {
    if (filter.as_of) return {"temp.as_of_location", "temp.as_of_endpoint"};
    return {"location_latest", "endpoint_latest"};
}

// The sightings a filter looks at, as the CTE `view(kind, scan_id, place_id, position, certificate_id, anchor)`:
// the current view (each place as its latest scan saw it), the view as of a past scan, or one scan, narrowed to
// places with the filter's labels and, when `certificate_condition` is given (e.g. "= :cert"), to those
// certificates.
// A view starts from its latest-scan tables (one row per place) and looks each place's sightings up; CROSS JOIN
// keeps SQLite from planning it the other way round, through every sighting ever recorded.
std::string view_cte(const Filter& filter, const std::string& certificate_condition = "") {
    std::string file_source, endpoint_source;
    if (filter.scan) {
        file_source = "sightings s WHERE s.scan_id = :scan";
        endpoint_source = "endpoint_sightings es WHERE es.scan_id = :scan";
    } else {
        const auto latest = latest_scans(filter);
        file_source = std::string(latest.locations) +
                      " ll CROSS JOIN sightings s ON s.scan_id = ll.scan_id AND s.location_id = ll.location_id WHERE 1";
        endpoint_source = std::string(latest.endpoints) +
                          " el CROSS JOIN endpoint_sightings es ON es.scan_id = el.scan_id AND es.endpoint_id = "
                          "el.endpoint_id WHERE 1";
    }
    if (!certificate_condition.empty()) {
        file_source += " AND s.certificate_id " + certificate_condition;
        endpoint_source += " AND es.certificate_id " + certificate_condition;
    }
    for (std::size_t i = 0; i < filter.labels.size(); ++i) {
        file_source += label_condition("location_labels", "location_id", "s", i);
        endpoint_source += label_condition("endpoint_labels", "endpoint_id", "es", i);
    }
    return "view(kind, scan_id, place_id, position, certificate_id, anchor) AS ("
           "SELECT 0, s.scan_id, s.location_id, s.position, s.certificate_id, EXISTS (SELECT 1 FROM anchor_sightings a "
           "WHERE a.scan_id = s.scan_id AND a.location_id = s.location_id AND a.position = s.position) FROM " +
           file_source + " UNION ALL SELECT 1, es.scan_id, es.endpoint_id, es.position, es.certificate_id, 0 FROM " +
           endpoint_source + ")";
}

// Conditions on the certificate `c` from the filter.
std::string certificate_conditions(const Filter& filter) {
    std::string sql;
    if (filter.expiring_days) sql += " AND c.not_after <= :deadline";
    if (filter.self_signed) sql += " AND c.self_signed = 1";
    if (!filter.issuer.empty()) sql += " AND c.issuer LIKE :issuer ESCAPE '\\'";
    return sql;
}

std::string like_pattern(const std::string& text) {
    std::string pattern = "%";
    for (char ch : text) {
        if (ch == '%' || ch == '_' || ch == '\\') pattern += '\\';
        pattern += ch;
    }
    return pattern + "%";
}

// Binds the filter's parameters. A view as of a past scan needs its tables filled first (see as_of_view).
void bind_filter(Statement& statement, const Filter& filter) {
    if (filter.scan) statement.bind(":scan", *filter.scan);
    if (filter.as_of) statement.bind(":as_of", *filter.as_of);
    for (std::size_t i = 0; i < filter.labels.size(); ++i) {
        const std::string n = std::to_string(i);
        statement.bind((":lk" + n).c_str(), filter.labels[i].key);
        statement.bind((":lv" + n).c_str(), filter.labels[i].value);
    }
    const UnixTime now = filter.now ? filter.now : current_time();
    if (filter.expiring_days) statement.bind(":deadline", now + *filter.expiring_days * 86400);
    if (!filter.issuer.empty()) statement.bind(":issuer", like_pattern(filter.issuer));
    statement.bind(":now", now);
}

// Summary columns of certificate `c`: its facts, then first and last seen. The caller adds the place count.
const std::string kSummaryColumns = std::string(kCertificateColumnsOfC) + ", f.started_at, l.started_at";
const char* const kSummaryJoins =
    " JOIN certificate_seen cs ON cs.certificate_id = c.id JOIN scans f ON f.id = cs.first_scan "
    "JOIN scans l ON l.id = cs.last_scan";

CertificateSummary read_summary(const Statement& row, int first) {
    CertificateSummary summary;
    summary.cert = read_certificate(row, first);
    summary.first_seen = row.integer(first + kCertificateColumnCount);
    summary.last_seen = row.integer(first + kCertificateColumnCount + 1);
    summary.places = row.integer(first + kCertificateColumnCount + 2);
    return summary;
}

std::string hex_lower(std::string text) {
    std::string out;
    for (char ch : text) {
        if (ch == ':') continue;
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
    return out;
}

bool has_labels(const Labels& have, const Labels& wanted) {
    return std::all_of(wanted.begin(), wanted.end(),
                       [&](const Label& w) { return std::find(have.begin(), have.end(), w) != have.end(); });
}

// A place's identity within the inventory: its kind and row id.
struct PlaceKey {
    int kind = kFileKind;
    std::int64_t id = 0;
    bool operator==(const PlaceKey&) const = default;
    auto operator<=>(const PlaceKey&) const = default;
};

// One certificate at one place and position over the scans that saw it there.
struct PlaceRow {
    std::int64_t certificate_id = 0;
    PlaceKey key;
    PlaceSeen seen;
    bool in_view = false;
};

// One read transaction, begun at once so the moment is the snapshot's making (SQLite would otherwise take it at
// the first read); a read transaction's end commits nothing.
class SqliteReadSnapshot final : public ReadSnapshot {
public:
    explicit SqliteReadSnapshot(sqlite3* db) : db_(db) {
        exec_sql(db_, "BEGIN");
        try {
            exec_sql(db_, "SELECT count(*) FROM scans WHERE id = 0");
        } catch (...) {
            sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
            throw;
        }
    }
    ~SqliteReadSnapshot() override { sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr); }
    SqliteReadSnapshot(const SqliteReadSnapshot&) = delete;
    SqliteReadSnapshot& operator=(const SqliteReadSnapshot&) = delete;

private:
    sqlite3* db_;
};

class SqliteQueries final : public InventoryQueries {
public:
    // On `db`, closing it at the end when `owns_connection`.
    SqliteQueries(sqlite3* db, std::string path, bool owns_connection)
        : path_(std::move(path)), db_(db), owns_connection_(owns_connection) {
        exec_sql(db_,
                 "PRAGMA temp_store = MEMORY; CREATE TEMP TABLE IF NOT EXISTS as_of_location (location_id INTEGER "
                 "PRIMARY KEY, scan_id INTEGER); CREATE TEMP TABLE IF NOT EXISTS as_of_endpoint (endpoint_id INTEGER "
                 "PRIMARY KEY, scan_id INTEGER)");
    }
    ~SqliteQueries() override {
        statements_.clear();
        if (owns_connection_) sqlite3_close(db_);
    }

    std::unique_ptr<ReadSnapshot> snapshot() override {
        if (!sqlite3_get_autocommit(db_)) return std::make_unique<ReadSnapshot>();
        return std::make_unique<SqliteReadSnapshot>(db_);
    }

    std::vector<ScanRecord> scans() override {
        Statement select(db_, (std::string("SELECT ") + kScanColumns + " FROM scans ORDER BY id").c_str());
        std::vector<ScanRecord> out;
        while (select.step()) out.push_back(read_scan_record(select));
        return out;
    }

    std::optional<ScanRecord> find_scan(ScanId scan) override { return load_scan_record(db_, scan, false); }
    std::optional<ScanRecord> latest_scan() override { return load_scan_record(db_, std::nullopt, false); }
    std::optional<ScanRecord> latest_finished_scan() override { return load_scan_record(db_, std::nullopt, true); }
    ScanContents scan_contents(ScanId scan) override { return load_scan_contents(db_, scan, path_); }

    std::vector<CertificateSummary> certificates(const Filter& filter) override {
        return summaries(filter, "", [](Statement&) {});
    }

    std::vector<std::string> fingerprints_starting_with(const std::string& prefix, std::size_t limit) override {
        const std::string hex = hex_lower(prefix);
        if (hex.empty() || !std::all_of(hex.begin(), hex.end(), ::isxdigit)) return {};
        // A range on the unique index: every sha256 >= prefix and < prefix followed by the highest digit.
        Statement select(db_, "SELECT sha256 FROM certificates WHERE sha256 >= ?1 AND sha256 < ?2 ORDER BY sha256 LIMIT ?3");
        select.bind(1, hex).bind(2, hex + "g").bind(3, static_cast<std::int64_t>(limit));
        std::vector<std::string> out;
        while (select.step()) out.push_back(select.text(0));
        return out;
    }

    std::optional<CertificateDetail> certificate(const std::string& sha256, const Filter& filter) override {
        const auto id = certificate_id(sha256);
        if (!id) return std::nullopt;
        CertificateDetail detail;
        detail.summary = summary_of(*id, filter);
        for (auto& row : place_rows({*id}, filter, PlaceRows::in_view))
            if (has_labels(row.seen.labels, filter.labels)) detail.places.push_back(std::move(row.seen));
        Statement issuers(db_,
                          "SELECT i.sha256 FROM certificate_issuers ci JOIN certificates i ON i.id = ci.issuer_id "
                          "WHERE ci.certificate_id = ? ORDER BY i.sha256");
        issuers.bind(1, *id);
        while (issuers.step()) detail.issuers.push_back(issuers.text(0));
        Statement issued(db_, "SELECT count(*) FROM certificate_issuers WHERE issuer_id = ?");
        issued.bind(1, *id);
        if (issued.step()) detail.issued = issued.integer(0);
        issued.reset();
        detail.path = path_to_anchor(sha256, filter);
        Statement same_key(db_,
                           "SELECT o.sha256 FROM scans sc CROSS JOIN certificates o ON o.first_seen_scan = sc.id AND "
                           "o.spki_sha256 = ?2 WHERE o.id != ?1 ORDER BY o.not_after DESC");
        same_key.bind(1, *id).bind(2, detail.summary.cert.spki_sha256);
        while (same_key.step()) detail.same_key.push_back(same_key.text(0));
        for (auto& [spki, place] : key_files(filter, "= :spki", [&](Statement& s) {
                 s.bind(":spki", detail.summary.cert.spki_sha256);
             }))
            detail.key_files.push_back(std::move(place));
        return detail;
    }

    std::vector<EndpointSummary> endpoints(const Filter& filter) override {
        const std::string from = filter.scan ? "endpoint_observations o"
                                             : std::string(latest_scans(filter).endpoints) +
                                                   " el CROSS JOIN endpoint_observations o ON o.scan_id = el.scan_id AND "
                                                   "o.endpoint_id = el.endpoint_id";
        std::string where = filter.scan ? "o.scan_id = :scan" : "1";
        where += " AND o.status != 'closed'";
        for (std::size_t i = 0; i < filter.labels.size(); ++i)
            where += label_condition("endpoint_labels", "endpoint_id", "o", i);
        if (const std::string leaf = certificate_conditions(filter); !leaf.empty())
            where += " AND EXISTS (SELECT 1 FROM endpoint_sightings es JOIN certificates c ON c.id = es.certificate_id "
                     "WHERE es.scan_id = o.scan_id AND es.endpoint_id = o.endpoint_id AND es.position = 0" + leaf + ")";
        Statement select(db_, (std::string("SELECT o.scan_id, o.endpoint_id, sc.started_at, ") + kEndpointFactsColumns +
                               " FROM " + from + " JOIN endpoints e ON e.id = o.endpoint_id JOIN scans sc ON "
                               "sc.id = o.scan_id WHERE " + where +
                               " ORDER BY o.earliest_expiry IS NULL, o.earliest_expiry, e.host, e.port, e.server_name")
                                  .c_str());
        bind_view(select, filter);
        std::vector<EndpointSummary> out;
        std::vector<std::int64_t> ids;
        while (select.step()) {
            EndpointSummary endpoint;
            endpoint.scan = select.integer(0);
            ids.push_back(select.integer(1));
            endpoint.observed_at = select.integer(2);
            endpoint.facts = read_endpoint_facts(select, 3);
            out.push_back(std::move(endpoint));
        }
        Statement chain(db_,
                        "SELECT c.sha256, c.id FROM endpoint_sightings es JOIN certificates c ON c.id = es.certificate_id "
                        "WHERE es.scan_id = ? AND es.endpoint_id = ? ORDER BY es.position");
        std::vector<std::int64_t> leaves(out.size(), 0);
        for (std::size_t i = 0; i < out.size(); ++i) {
            chain.bind(1, out[i].scan).bind(2, ids[i]);
            while (chain.step()) {
                if (out[i].chain.empty()) leaves[i] = chain.integer(1);
                out[i].chain.push_back(chain.text(0));
            }
            out[i].labels = labels_of({kEndpointKind, ids[i]}, out[i].scan);
        }
        const auto reached = anchors_reached(leaves, filter);
        for (std::size_t i = 0; i < out.size(); ++i)
            if (auto it = reached.find(leaves[i]); it != reached.end()) out[i].anchor = it->second;
        return out;
    }

    std::vector<SharedCertificate> shared(const Filter& filter, std::int64_t min_places) override {
        // Trust-store entries are where a certificate is trusted, not where it is used: a CA in every bundle is
        // not "shared" the way one server certificate on forty hosts is.
        Statement select(db_, ("WITH " + view_cte(filter) +
                               " SELECT v.certificate_id FROM view v JOIN certificates c ON c.id = v.certificate_id WHERE "
                               "v.anchor = 0" + certificate_conditions(filter) +
                               " GROUP BY v.certificate_id HAVING count(DISTINCT v.place_id * 2 + v.kind) >= :min ORDER BY "
                               "count(DISTINCT v.place_id * 2 + v.kind) DESC, v.certificate_id")
                                  .c_str());
        bind_view(select, filter);
        select.bind(":min", min_places);
        std::vector<std::int64_t> ids;
        while (select.step()) ids.push_back(select.integer(0));

        std::unordered_map<std::int64_t, SharedCertificate> by_id;
        for (auto& summary : summaries_of(ids, filter)) {
            const auto id = summary_ids_.at(summary.cert.sha256);
            by_id[id].summary = std::move(summary);
        }
        for (auto& row : place_rows(ids, filter, PlaceRows::in_view)) {
            if (row.seen.place.trust_anchor || !has_labels(row.seen.labels, filter.labels)) continue;
            auto& entry = by_id[row.certificate_id];
            for (const auto& label : row.seen.labels) {
                auto& values = entry.split[label.key];
                if (std::find(values.begin(), values.end(), label.value) == values.end()) values.push_back(label.value);
            }
            entry.places.push_back(std::move(row.seen));
        }
        std::vector<SharedCertificate> out;
        for (auto id : ids) {
            auto& entry = by_id[id];
            std::erase_if(entry.split, [](const auto& kv) { return kv.second.size() < 2; });
            for (auto& [key, values] : entry.split) std::sort(values.begin(), values.end());
            out.push_back(std::move(entry));
        }
        return out;
    }

    std::vector<ReusedKey> reused_keys(const Filter& filter) override {
        // One public key behind two or more certificates in the view, or one private key file at two or more paths.
        Statement select(db_, ("WITH " + view_cte(filter) +
                               " SELECT c.spki_sha256 FROM view v JOIN certificates c ON c.id = v.certificate_id "
                               "GROUP BY c.spki_sha256 HAVING count(DISTINCT c.id) >= 2")
                                  .c_str());
        bind_view(select, filter);
        std::set<std::string> spkis;
        while (select.step()) spkis.insert(select.text(0));
        std::map<std::string, std::vector<Place>> files_by_spki;
        for (auto& [spki, place] : key_files(filter, "IS NOT NULL", [](Statement&) {})) files_by_spki[spki].push_back(place);
        for (const auto& [spki, files] : files_by_spki)
            if (files.size() >= 2) spkis.insert(spki);

        // One pass over the view for every reused key's certificates, not one per key.
        std::map<std::string, std::vector<CertificateSummary>> certificates_by_spki;
        const std::vector<std::string> wanted(spkis.begin(), spkis.end());
        for (auto& summary : summaries(filter, " AND c.spki_sha256 IN (SELECT value FROM json_each(:spkis))",
                                       [&](Statement& s) { s.bind(":spkis", json_list(wanted)); }))
            certificates_by_spki[summary.cert.spki_sha256].push_back(std::move(summary));
        std::vector<ReusedKey> out;
        for (const auto& spki : spkis) {
            ReusedKey key;
            key.spki_sha256 = spki;
            key.certificates = std::move(certificates_by_spki[spki]);
            if (auto it = files_by_spki.find(spki); it != files_by_spki.end()) key.key_files = it->second;
            out.push_back(std::move(key));
        }
        std::sort(out.begin(), out.end(), [](const ReusedKey& a, const ReusedKey& b) {
            const auto weight = [](const ReusedKey& k) { return k.certificates.size() + k.key_files.size(); };
            return weight(a) != weight(b) ? weight(a) > weight(b) : a.spki_sha256 < b.spki_sha256;
        });
        return out;
    }

    std::vector<AnchorSummary> anchors(const Filter& filter) override {
        // Stores and their anchors, then how many live certificates in the view chain up to each anchor.
        Filter unlabelled = filter;
        unlabelled.expiring_days.reset();
        unlabelled.self_signed = false;
        unlabelled.issuer.clear();
        const auto all_stores = stores(unlabelled);
        std::map<std::string, std::vector<std::string>> stores_of;  // anchor sha256 -> store displays
        std::vector<std::string> store_names;
        for (const auto& store : all_stores) {
            store_names.push_back(store.place.display());
            for (const auto& anchor : store.anchors) stores_of[anchor.cert.sha256].push_back(store.place.display());
        }
        Statement live(db_, ("WITH RECURSIVE " + view_cte(unlabelled) +
                             ", live(certificate_id) AS (SELECT DISTINCT v.certificate_id FROM view v JOIN certificates c "
                             "ON c.id = v.certificate_id WHERE v.anchor = 0 AND c.not_after > :now), "
                             "up(start, certificate_id, depth) AS (SELECT certificate_id, certificate_id, 0 FROM live "
                             "UNION SELECT up.start, ci.issuer_id, up.depth + 1 FROM up JOIN certificate_issuers ci ON "
                             "ci.certificate_id = up.certificate_id WHERE up.depth < " +
                             std::to_string(kMaxChainDepth) +
                             ") SELECT c.sha256, count(DISTINCT up.start) FROM up JOIN certificates c ON "
                             "c.id = up.certificate_id GROUP BY up.certificate_id")
                                .c_str());
        bind_view(live, unlabelled);
        std::unordered_map<std::string, std::int64_t> issues_live;
        while (live.step()) {
            const std::string sha = live.text(0);
            if (stores_of.contains(sha)) issues_live[sha] = live.integer(1);
        }

        std::vector<AnchorSummary> out;
        std::set<std::string> done;
        for (const auto& store : all_stores) {
            for (const auto& anchor : store.anchors) {
                if (!done.insert(anchor.cert.sha256).second) continue;
                if (!matches(anchor.cert, filter)) continue;
                AnchorSummary summary;
                summary.summary = anchor;
                summary.stores = stores_of[anchor.cert.sha256];
                summary.issues_live = issues_live[anchor.cert.sha256];
                summary.pinned_leaf = !anchor.cert.is_ca;
                summary.stale = summary.issues_live == 0;
                if (!summary.stale)
                    for (const auto& name : store_names)
                        if (std::find(summary.stores.begin(), summary.stores.end(), name) == summary.stores.end())
                            summary.missing_from.push_back(name);
                out.push_back(std::move(summary));
            }
        }
        std::sort(out.begin(), out.end(), [](const AnchorSummary& a, const AnchorSummary& b) {
            return a.summary.cert.not_after != b.summary.cert.not_after ? a.summary.cert.not_after < b.summary.cert.not_after
                                                                        : a.summary.cert.sha256 < b.summary.cert.sha256;
        });
        return out;
    }

    std::vector<TrustStore> stores(const Filter& filter) override {
        Statement select(db_, ("WITH " + view_cte(filter) +
                               " SELECT v.place_id, max(v.scan_id), v.certificate_id FROM view v JOIN certificates c ON "
                               "c.id = v.certificate_id WHERE v.anchor = 1 AND v.kind = 0" +
                               certificate_conditions(filter) + " GROUP BY v.place_id, v.certificate_id ORDER BY v.place_id")
                                  .c_str());
        bind_view(select, filter);
        std::vector<std::tuple<std::int64_t, ScanId, std::int64_t>> rows;
        while (select.step()) rows.emplace_back(select.integer(0), select.integer(1), select.integer(2));
        std::vector<std::int64_t> certificate_ids;
        for (const auto& row : rows) certificate_ids.push_back(std::get<2>(row));
        std::unordered_map<std::int64_t, CertificateSummary> summary_by_id;
        for (auto& summary : summaries_of(certificate_ids, filter)) {
            const auto id = summary_ids_.at(summary.cert.sha256);
            summary_by_id.emplace(id, std::move(summary));
        }
        std::vector<TrustStore> out;
        std::int64_t current = -1;
        for (const auto& [place, scan, certificate] : rows) {
            if (place != current) {
                TrustStore store;
                store.place = place_of({kFileKind, place});
                store.last_seen = scan_started(scan);
                out.push_back(std::move(store));
                current = place;
            }
            if (auto it = summary_by_id.find(certificate); it != summary_by_id.end())
                out.back().anchors.push_back(it->second);
        }
        for (auto& store : out)
            std::sort(store.anchors.begin(), store.anchors.end(), [](const auto& a, const auto& b) {
                return a.cert.subject != b.cert.subject ? a.cert.subject < b.cert.subject : a.cert.sha256 < b.cert.sha256;
            });
        std::sort(out.begin(), out.end(), [](const TrustStore& a, const TrustStore& b) { return a.place.path < b.place.path; });
        return out;
    }

    AnchorPath path_to_anchor(const std::string& sha256, const Filter& filter) override {
        AnchorPath path;
        const auto start = certificate_id(sha256);
        if (!start) return path;
        Filter whole = filter;
        whole.labels.clear();
        whole.expiring_days.reset();
        whole.self_signed = false;
        whole.issuer.clear();
        std::unordered_map<std::int64_t, std::vector<std::string>> stores_by_anchor;
        for (const auto& store : stores(whole))
            for (const auto& anchor : store.anchors)
                stores_by_anchor[summary_ids_.at(anchor.cert.sha256)].push_back(store.place.display());

        // Depth-first up the issuer links, preferring a way that ends at an anchor; otherwise the longest known.
        std::vector<std::int64_t> best, trail{*start};
        std::function<bool(std::int64_t)> climb = [&](std::int64_t id) {
            if (stores_by_anchor.contains(id)) {
                best = trail;
                return true;
            }
            if (trail.size() > best.size()) best = trail;
            if (static_cast<int>(trail.size()) > kMaxChainDepth) return false;
            for (auto issuer : issuers_of(id)) {
                if (std::find(trail.begin(), trail.end(), issuer) != trail.end()) continue;
                trail.push_back(issuer);
                if (climb(issuer)) return true;
                trail.pop_back();
            }
            return false;
        };
        const bool anchored = climb(*start);
        for (auto id : best) path.chain.push_back(sha256_of(id));
        if (anchored) {
            path.anchor = path.chain.back();
            path.stores = stores_by_anchor[best.back()];
        }
        return path;
    }

    std::optional<CertificateHistory> history(const std::string& sha256) override {
        const auto id = certificate_id(sha256);
        if (!id) return std::nullopt;
        CertificateHistory history;
        history.summary = summary_of(*id, Filter{});
        Statement scans(db_,
                        "SELECT sc.id, sc.started_at, (SELECT count(*) FROM sightings s WHERE s.scan_id = sc.id AND "
                        "s.certificate_id = ?1) + (SELECT count(*) FROM endpoint_sightings es WHERE es.scan_id = sc.id "
                        "AND es.certificate_id = ?1) AS places FROM scans sc WHERE places > 0 ORDER BY sc.id");
        scans.bind(1, *id);
        while (scans.step()) history.scans.push_back(HistoryEntry{scans.integer(0), scans.integer(1), scans.integer(2)});
        std::set<PlaceKey> places;
        for (auto& row : place_rows({*id}, Filter{}, PlaceRows::all)) {
            if (row.seen.place.position == 0) places.insert(row.key);
            history.places.push_back(std::move(row.seen));
        }
        for (const auto& key : places)
            for (auto& rotation : rotations_at(key))
                if (rotation.old_sha256 == sha256 || rotation.new_sha256 == sha256)
                    history.rotations.push_back(std::move(rotation));
        std::sort(history.rotations.begin(), history.rotations.end(),
                  [](const Rotation& a, const Rotation& b) { return a.to_scan < b.to_scan; });
        return history;
    }

    ScanDiff diff(ScanId from, ScanId to) override {
        ScanDiff diff;
        diff.from = scan_record(from);
        diff.to = scan_record(to);
        const auto certificates_only_in = [&](ScanId in, ScanId not_in) {
            Filter filter;
            filter.scan = in;
            return summaries(filter,
                             " AND c.id NOT IN (SELECT certificate_id FROM sightings WHERE scan_id = :other UNION SELECT "
                             "certificate_id FROM endpoint_sightings WHERE scan_id = :other)",
                             [&](Statement& s) { s.bind(":other", not_in); });
        };
        diff.new_certificates = certificates_only_in(to, from);
        diff.gone_certificates = certificates_only_in(from, to);

        // What each scan saw at the head of every place: the first certificate of a file, an endpoint's leaf.
        const auto heads = [&](ScanId scan) {
            Statement select(db_,
                             "SELECT 0, s.location_id, c.sha256, c.spki_sha256, c.not_before, c.not_after, '' FROM "
                             "sightings s JOIN certificates c ON c.id = s.certificate_id WHERE s.scan_id = ?1 AND "
                             "s.position = 0 AND NOT EXISTS (SELECT 1 FROM anchor_sightings a WHERE a.scan_id = s.scan_id "
                             "AND a.location_id = s.location_id AND a.position = 0) UNION ALL SELECT 1, o.endpoint_id, "
                             "c.sha256, c.spki_sha256, c.not_before, c.not_after, CASE WHEN o.verified THEN 'verified' "
                             "ELSE o.verify_error END FROM endpoint_observations o JOIN endpoint_sightings es ON "
                             "es.scan_id = o.scan_id AND es.endpoint_id = o.endpoint_id AND es.position = 0 JOIN "
                             "certificates c ON c.id = es.certificate_id WHERE o.scan_id = ?1");
            select.bind(1, scan);
            const UnixTime at = scan_started(scan);
            std::map<PlaceKey, std::tuple<std::string, std::string, std::string>> out;  // sha, spki, verdict
            while (select.step()) {
                std::string verdict = select.text(6);
                if (select.integer(0) == kFileKind)
                    verdict = select.integer(5) < at ? "expired" : select.integer(4) > at ? "not-yet-valid" : "valid";
                out[{static_cast<int>(select.integer(0)), select.integer(1)}] = {select.text(2), select.text(3), verdict};
            }
            return out;
        };
        const auto before = heads(from), after = heads(to);
        const auto seen_at = [&](const PlaceKey& key, ScanId scan) {
            PlaceSeen seen;
            seen.place = place_of(key);
            seen.first_seen = seen.last_seen = scan_started(scan);
            seen.last_scan = scan;
            seen.labels = labels_of(key, scan);
            return seen;
        };
        for (const auto& [key, head] : after) {
            auto it = before.find(key);
            if (it == before.end()) {
                diff.new_places.push_back(seen_at(key, to));
                continue;
            }
            const auto& [old_sha, old_spki, old_verdict] = it->second;
            const auto& [new_sha, new_spki, new_verdict] = head;
            if (old_sha != new_sha) {
                diff.rotated.push_back(Rotation{place_of(key), from, to, diff.to.started_at, old_sha, new_sha,
                                                old_spki != new_spki});
            } else if (old_verdict != new_verdict) {
                diff.changed_verdicts.push_back(ScanDiff::VerdictChange{place_of(key), new_sha, old_verdict, new_verdict});
            }
        }
        for (const auto& [key, unused] : before)
            if (!after.contains(key)) diff.gone_places.push_back(seen_at(key, from));
        return diff;
    }

    std::vector<Placement> placements(const Filter& filter) override {
        Statement select(db_, ("WITH " + view_cte(filter) +
                               " SELECT v.kind, v.place_id, v.position, v.anchor, v.scan_id, sc.started_at, c.sha256 FROM "
                               "view v JOIN certificates c ON c.id = v.certificate_id JOIN scans sc ON sc.id = v.scan_id "
                               "WHERE 1" + certificate_conditions(filter) + " ORDER BY v.kind, v.place_id, v.position")
                                  .c_str());
        bind_view(select, filter);
        std::vector<Placement> out;
        std::vector<PlaceKey> keys;
        while (select.step()) {
            Placement placement;
            keys.push_back({static_cast<int>(select.integer(0)), select.integer(1)});
            placement.seen.place.position = static_cast<int>(select.integer(2));
            placement.seen.place.trust_anchor = select.integer(3) != 0;
            placement.seen.last_scan = select.integer(4);
            placement.seen.first_seen = placement.seen.last_seen = select.integer(5);
            placement.sha256 = select.text(6);
            out.push_back(std::move(placement));
        }
        std::optional<PlaceKey> previous;
        for (std::size_t i = 0; i < out.size(); ++i) {
            auto& seen = out[i].seen;
            if (previous && *previous == keys[i]) {
                const Place& same = out[i - 1].seen.place;
                seen.place = Place{same.kind, same.path, same.format, same.host, same.address, same.port,
                                   same.server_name, seen.place.position, seen.place.trust_anchor};
                seen.labels = out[i - 1].seen.labels;
                continue;
            }
            const int position = seen.place.position;
            const bool anchor = seen.place.trust_anchor;
            seen.place = place_of(keys[i]);
            seen.place.position = position;
            seen.place.trust_anchor = anchor;
            seen.labels = labels_of(keys[i], seen.last_scan);
            previous = keys[i];
        }
        return out;
    }

    std::map<std::string, std::vector<Ancestor>> ancestors(const std::vector<std::string>& sha256s) override {
        std::map<std::string, std::vector<Ancestor>> out;
        if (sha256s.empty()) return out;
        std::vector<std::string> wanted;
        for (const auto& sha : sha256s) wanted.push_back(hex_lower(sha));
        Statement select(db_, ("WITH RECURSIVE up(start, certificate_id, depth) AS (SELECT c.id, c.id, 0 FROM "
                               "json_each(:wanted) w JOIN certificates c ON c.sha256 = w.value UNION SELECT up.start, "
                               "ci.issuer_id, up.depth + 1 FROM up JOIN certificate_issuers ci ON ci.certificate_id = "
                               "up.certificate_id WHERE up.depth < " + std::to_string(kMaxChainDepth) +
                               ") SELECT s.sha256, a.sha256, a.subject, a.spki_sha256, min(up.depth) FROM up JOIN "
                               "certificates s ON s.id = up.start JOIN certificates a ON a.id = up.certificate_id WHERE "
                               "up.depth > 0 AND up.certificate_id != up.start GROUP BY up.start, up.certificate_id "
                               "ORDER BY up.start, min(up.depth), a.sha256")
                                  .c_str());
        select.bind(":wanted", json_list(wanted));
        while (select.step())
            out[select.text(0)].push_back(
                Ancestor{select.text(1), select.text(2), select.text(3), static_cast<int>(select.integer(4))});
        return out;
    }

private:
    // Binds the filter's parameters to a statement over its view, filling the as-of tables first when it asks
    // about a past scan.
    void bind_view(Statement& statement, const Filter& filter) {
        as_of_view(filter);
        bind_filter(statement, filter);
    }

    // Fills temp.as_of_location and temp.as_of_endpoint with each place's latest scan up to the filter's as_of,
    // as location_latest and endpoint_latest hold it for now. Kept while the same scan is asked about.
    void as_of_view(const Filter& filter) {
        if (!filter.as_of || filter.scan || as_of_filled_ == filter.as_of) return;
        as_of_filled_.reset();
        exec_sql(db_, "DELETE FROM temp.as_of_location; DELETE FROM temp.as_of_endpoint");
        // From each place's latest scan now, back scan by scan to the first that saw it: in a fleet scanned
        // regularly that is the as-of scan itself or one just before, a probe or two of the primary keys, where
        // grouping every sighting up to that scan by place costs a sort of hundreds of thousands of rows. Places
        // first seen after that scan get NULL and are deleted after (a WHERE on the probe would run it twice).
        Statement locations(db_,
                            "INSERT INTO temp.as_of_location SELECT ll.location_id, CASE WHEN ll.scan_id <= ?1 THEN "
                            "ll.scan_id ELSE (SELECT x.id FROM scans x WHERE x.id <= ?1 AND (EXISTS (SELECT 1 FROM "
                            "sightings s WHERE s.scan_id = x.id AND s.location_id = ll.location_id) OR EXISTS (SELECT 1 "
                            "FROM key_sightings k WHERE k.scan_id = x.id AND k.location_id = ll.location_id)) ORDER BY "
                            "x.id DESC LIMIT 1) END FROM location_latest ll");
        locations.bind(1, *filter.as_of).run();
        Statement endpoints(db_,
                            "INSERT INTO temp.as_of_endpoint SELECT el.endpoint_id, CASE WHEN el.scan_id <= ?1 THEN "
                            "el.scan_id ELSE (SELECT x.id FROM scans x WHERE x.id <= ?1 AND EXISTS (SELECT 1 FROM "
                            "endpoint_observations o WHERE o.scan_id = x.id AND o.endpoint_id = el.endpoint_id) ORDER BY "
                            "x.id DESC LIMIT 1) END FROM endpoint_latest el");
        endpoints.bind(1, *filter.as_of).run();
        exec_sql(db_,
                 "DELETE FROM temp.as_of_location WHERE scan_id IS NULL; DELETE FROM temp.as_of_endpoint WHERE scan_id "
                 "IS NULL");
        as_of_filled_ = filter.as_of;
    }

    Statement& statement(const std::string& sql) {
        auto it = statements_.find(sql);
        if (it == statements_.end()) it = statements_.emplace(sql, std::make_unique<Statement>(db_, sql.c_str())).first;
        return *it->second;
    }

    std::optional<std::int64_t> certificate_id(const std::string& sha256) {
        auto& select = statement("SELECT id FROM certificates WHERE sha256 = ?");
        select.bind(1, hex_lower(sha256));
        if (!select.step()) return std::nullopt;
        const auto id = select.integer(0);
        select.reset();
        return id;
    }

    std::string sha256_of(std::int64_t id) {
        auto& select = statement("SELECT sha256 FROM certificates WHERE id = ?");
        select.bind(1, id);
        std::string sha;
        if (select.step()) sha = select.text(0);
        select.reset();
        return sha;
    }

    std::vector<std::int64_t> issuers_of(std::int64_t id) {
        auto& select = statement("SELECT issuer_id FROM certificate_issuers WHERE certificate_id = ? ORDER BY issuer_id");
        select.bind(1, id);
        std::vector<std::int64_t> out;
        while (select.step()) out.push_back(select.integer(0));
        return out;
    }

    UnixTime scan_started(ScanId scan) {
        auto& select = statement("SELECT started_at FROM scans WHERE id = ?");
        select.bind(1, scan);
        UnixTime at = 0;
        if (select.step()) at = select.integer(0);
        select.reset();
        return at;
    }

    ScanRecord scan_record(ScanId scan) {
        for (auto& record : scans())
            if (record.id == scan) return record;
        throw InventoryError("no scan " + std::to_string(scan) + " in " + path_);
    }

    bool matches(const CertInfo& cert, const Filter& filter) const {
        const UnixTime now = filter.now ? filter.now : current_time();
        if (filter.expiring_days && cert.not_after > now + *filter.expiring_days * 86400) return false;
        if (filter.self_signed && !cert.self_signed) return false;
        if (!filter.issuer.empty()) {
            const auto lower = [](std::string s) {
                std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
                return s;
            };
            if (lower(cert.issuer).find(lower(filter.issuer)) == std::string::npos) return false;
        }
        return true;
    }

    // Certificates in the filter's view that meet its conditions and `extra` (SQL on `c`), soonest expiry first,
    // each with the number of distinct places it is at in the view.
    std::vector<CertificateSummary> summaries(const Filter& filter, const std::string& extra,
                                              const std::function<void(Statement&)>& bind_extra) {
        Statement select(db_, ("WITH " + view_cte(filter) +
                               ", counted AS (SELECT certificate_id, count(DISTINCT place_id * 2 + kind) AS places FROM "
                               "view GROUP BY certificate_id) SELECT " +
                               kSummaryColumns + ", counted.places, c.id FROM counted JOIN certificates c ON c.id = "
                               "counted.certificate_id" + kSummaryJoins + " WHERE 1" + certificate_conditions(filter) +
                               extra + " ORDER BY c.not_after, c.sha256")
                                  .c_str());
        bind_view(select, filter);
        bind_extra(select);
        std::vector<CertificateSummary> out;
        while (select.step()) {
            out.push_back(read_summary(select, 0));
            summary_ids_[out.back().cert.sha256] = select.integer(kCertificateColumnCount + 3);
        }
        return out;
    }

    // The summaries of these certificates in the filter's view (places counted there), filter conditions applied.
    std::vector<CertificateSummary> summaries_of(const std::vector<std::int64_t>& ids, const Filter& filter) {
        if (ids.empty()) return {};
        std::string list;
        for (auto id : ids) list += (list.empty() ? "" : ",") + std::to_string(id);
        return summaries(filter, " AND c.id IN (" + list + ")", [](Statement&) {});
    }

    CertificateSummary summary_of(std::int64_t id, const Filter& filter) {
        Statement select(db_, ("WITH " + view_cte(filter, "= :cert") + " SELECT " + kSummaryColumns +
                               ", (SELECT count(DISTINCT place_id * 2 + kind) FROM view) FROM certificates c" +
                               kSummaryJoins + " WHERE c.id = :cert")
                                  .c_str());
        bind_view(select, filter);
        select.bind(":cert", id);
        CertificateSummary summary;
        if (select.step()) summary = read_summary(select, 0);
        select.reset();
        summary_ids_[summary.cert.sha256] = id;
        return summary;
    }

    // For each of these certificates that chains up (through the issuer links) to an anchor some trust store in
    // the filter's view holds, the nearest such anchor's sha256.
    std::unordered_map<std::int64_t, std::string> anchors_reached(const std::vector<std::int64_t>& ids, const Filter& filter) {
        std::unordered_map<std::int64_t, std::string> out;
        std::string list;
        for (auto id : ids)
            if (id != 0) list += (list.empty() ? "" : ",") + std::to_string(id);
        if (list.empty()) return out;
        Filter stores_only;
        stores_only.scan = filter.scan;
        stores_only.as_of = filter.as_of;
        Statement select(db_, ("WITH RECURSIVE " + view_cte(stores_only) +
                               ", anchors AS (SELECT DISTINCT certificate_id FROM view WHERE anchor = 1), "
                               "up(start, certificate_id, depth) AS (SELECT id, id, 0 FROM certificates WHERE id IN (" +
                               list +
                               ") UNION SELECT up.start, ci.issuer_id, up.depth + 1 FROM up JOIN certificate_issuers ci "
                               "ON ci.certificate_id = up.certificate_id WHERE up.depth < " +
                               std::to_string(kMaxChainDepth) +
                               ") SELECT up.start, c.sha256, min(up.depth) FROM up JOIN anchors USING (certificate_id) "
                               "JOIN certificates c ON c.id = up.certificate_id GROUP BY up.start")
                                  .c_str());
        bind_view(select, stores_only);
        while (select.step()) out.emplace(select.integer(0), select.text(1));
        return out;
    }

    // Every place these certificates were ever seen at (or only those the filter's view holds: the place's latest
    // scan still shows the certificate, or the filter's scan saw it there), with first/last seen there.
    enum class PlaceRows { all, in_view };
    std::vector<PlaceRow> place_rows(const std::vector<std::int64_t>& ids, const Filter& filter, PlaceRows which) {
        if (ids.empty()) return {};
        std::string list;
        for (auto id : ids) list += (list.empty() ? "" : ",") + std::to_string(id);
        // With as_of, history after that scan does not exist. The indexes lead with the scan, so each scan is
        // probed in turn: scans are few next to their sightings.
        as_of_view(filter);
        const std::string until = filter.as_of && !filter.scan ? " AND sc.id <= :as_of" : "";
        const auto latest = latest_scans(filter);
        const std::string file_in_view =
            filter.scan ? "max(s.scan_id = :scan)"
                        : "max(s.scan_id) = (SELECT ll.scan_id FROM " + std::string(latest.locations) +
                              " ll WHERE ll.location_id = s.location_id)";
        const std::string endpoint_in_view =
            filter.scan ? "max(es.scan_id = :scan)"
                        : "max(es.scan_id) = (SELECT el.scan_id FROM " + std::string(latest.endpoints) +
                              " el WHERE el.endpoint_id = es.endpoint_id)";
        Statement select(
            db_, ("SELECT g.*, g.kind = 0 AND EXISTS (SELECT 1 FROM anchor_sightings a WHERE a.scan_id = g.last_scan AND "
                  "a.location_id = g.place_id AND a.position = g.position) FROM (SELECT s.certificate_id, 0 AS kind, "
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
                  (which == PlaceRows::in_view ? " WHERE g.in_view" : ""))
                     .c_str());
        if (filter.scan) select.bind(":scan", *filter.scan);
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
            out.push_back(std::move(row));
        }
        // A place holds several of the certificates asked about (a leaf and its CA), so each is looked up once.
        std::map<PlaceKey, Place> places;
        std::map<std::pair<PlaceKey, ScanId>, Labels> labels;
        for (auto& row : out) {
            const int position = row.seen.place.position;
            const bool anchor = row.seen.place.trust_anchor;
            auto place = places.find(row.key);
            if (place == places.end()) place = places.emplace(row.key, place_of(row.key)).first;
            row.seen.place = place->second;
            row.seen.place.position = position;
            row.seen.place.trust_anchor = anchor;
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

    Place place_of(const PlaceKey& key) {
        Place place;
        if (key.kind == kFileKind) {
            auto& select = statement("SELECT path, format FROM locations WHERE id = ?");
            select.bind(1, key.id);
            if (select.step()) {
                place.path = select.text(0);
                place.format = source_format_from_string(select.text(1)).value_or(SourceFormat::pem);
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
    Labels labels_of(const PlaceKey& key, ScanId scan) {
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
    std::vector<std::pair<std::string, Place>> key_files(const Filter& filter, const std::string& spki_condition,
                                                         const std::function<void(Statement&)>& bind_extra) {
        // Each key file as its latest scan left it, then a lookup per place.
        const std::string source = filter.scan ? "key_sightings k"
                                               : std::string(latest_scans(filter).locations) +
                                                     " latest CROSS JOIN key_sightings k ON k.scan_id = latest.scan_id "
                                                     "AND k.location_id = latest.location_id";
        std::string where = filter.scan ? "k.scan_id = :scan" : "1";
        for (std::size_t i = 0; i < filter.labels.size(); ++i)
            where += label_condition("location_labels", "location_id", "k", i);
        Statement select(db_, ("SELECT DISTINCT k.spki_sha256, l.path, l.format FROM " + source +
                               " JOIN locations l ON l.id = k.location_id WHERE " + where +
                               " AND k.state != 'encrypted' AND k.spki_sha256 " + spki_condition +
                               " ORDER BY k.spki_sha256, l.path")
                                  .c_str());
        bind_view(select, filter);
        bind_extra(select);
        std::vector<std::pair<std::string, Place>> out;
        while (select.step()) {
            Place place;
            place.path = select.text(1);
            place.format = source_format_from_string(select.text(2)).value_or(SourceFormat::pem);
            out.emplace_back(select.text(0), std::move(place));
        }
        return out;
    }

    // Every change of the certificate at the head of a place, between consecutive scans that looked at it.
    std::vector<Rotation> rotations_at(const PlaceKey& key) {
        Statement select(db_, key.kind == kFileKind
                                  ? "SELECT sc.id, sc.started_at, c.sha256, c.spki_sha256 FROM scans sc CROSS JOIN "
                                    "sightings s ON s.scan_id = sc.id AND s.location_id = ?1 AND s.position = 0 JOIN "
                                    "certificates c ON c.id = s.certificate_id ORDER BY sc.id"
                                  : "SELECT sc.id, sc.started_at, c.sha256, c.spki_sha256 FROM scans sc CROSS JOIN "
                                    "endpoint_sightings es ON es.scan_id = sc.id AND es.endpoint_id = ?1 AND "
                                    "es.position = 0 JOIN certificates c ON c.id = es.certificate_id ORDER BY sc.id");
        select.bind(1, key.id);
        std::vector<Rotation> out;
        ScanId previous_scan = 0;
        std::string previous_sha, previous_spki;
        const Place place = place_of(key);
        while (select.step()) {
            std::string sha = select.text(2), spki = select.text(3);
            if (previous_scan != 0 && sha != previous_sha)
                out.push_back(Rotation{place, previous_scan, select.integer(0), select.integer(1), previous_sha, sha,
                                       spki != previous_spki});
            previous_scan = select.integer(0);
            previous_sha = std::move(sha);
            previous_spki = std::move(spki);
        }
        return out;
    }

    std::string path_;
    sqlite3* db_ = nullptr;
    bool owns_connection_ = true;
    std::map<std::string, std::unique_ptr<Statement>> statements_;
    std::unordered_map<std::string, std::int64_t> summary_ids_;  // sha256 -> row id of every certificate summarised
    std::optional<ScanId> as_of_filled_;                         // the scan the as-of tables hold
};

}  // namespace

std::string Place::display() const {
    if (kind == Kind::file) return path;
    const bool v6 = host.find(':') != std::string::npos;
    std::string text = (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
    if (!server_name.empty() && server_name != host) text += " sni=" + server_name;
    return text;
}

std::unique_ptr<InventoryQueries> open_sqlite_queries(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        throw InventoryError("no inventory at " + path + ": run 'certfleet scan' first (or give --db)");
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
        const std::string message = db ? sqlite3_errmsg(db) : "out of memory";
        sqlite3_close(db);
        throw InventoryError(path + ": cannot open inventory: " + message);
    }
    try {
        sqlite3_busy_timeout(db, 10000);
        // Only the writer changes the schema: an older inventory is brought up to this version by opening it so,
        // once. SQLite shares the file's locks between a process's connections, so this one stays safe meanwhile.
        if (schema_version(db) != kSchemaVersion) open_sqlite_inventory(path);
        return std::make_unique<SqliteQueries>(db, path, true);
    } catch (const InventoryError& e) {
        sqlite3_close(db);
        throw InventoryError(std::string(e.what()).starts_with(path) ? e.what() : path + ": " + e.what());
    }
}

std::unique_ptr<InventoryQueries> queries_on_connection(sqlite3* db, const std::string& path) {
    return std::make_unique<SqliteQueries>(db, path, false);
}

}  // namespace certfleet::inventory
