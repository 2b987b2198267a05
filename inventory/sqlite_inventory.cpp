#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <thread>
#include <unordered_map>

#include "core/issuance.hpp"
#include "inventory/bulk_insert.hpp"
#include "inventory/concurrent_issuance.hpp"
#include "inventory/inventory.hpp"
#include "inventory/process_identity.hpp"
#include "inventory/sqlite_support.hpp"
#include "inventory/wal_checkpointer.hpp"

namespace certfleet::inventory {

extern const char* const kSchemaSql;

namespace {

// How long a statement waits for another process's write to end before it fails with "database is locked".
constexpr int kBusyTimeoutMs = 10000;

// The writer's own thread does the SQL; other cores check issuer signatures meanwhile. Four keep up with any
// rate the writer reaches (a check takes ~0.1 ms, a scan adds new certificates a few thousand a second).
unsigned issuance_workers() {
    const unsigned cores = std::thread::hardware_concurrency();
    return std::clamp(cores > 1 ? cores - 1 : 1, 1u, 4u);
}

// Creates the inventory file, when there is none, so it is 0600 from the first byte; SQLite gives its -wal and
// -shm files the database file's permissions. An existing file is never opened here: closing any descriptor of a
// file drops every POSIX lock this process holds on it, those of its SQLite connections too, and another process
// would then checkpoint and delete the log under them (SQLite's "How To Corrupt Your Database Files", 2.2).
void create_private_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ::close(fd);
        return;
    }
    if (errno != EEXIST) throw InventoryError(path + ": cannot create inventory: " + std::strerror(errno));
}

class SqliteInventory final : public Inventory {
public:
    explicit SqliteInventory(const std::string& path) : path_(path), issuance_checks_(issuance_workers()) {
        create_private_file(path);
        // One thread at a time uses an Inventory (its callers batch what they store), so the connection needs
        // none of SQLite's own locking, which took a mutex in every call.
        if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
            const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
            sqlite3_close(db_);
            throw InventoryError(path + ": cannot open inventory: " + message);
        }
        try {
            sqlite3_busy_timeout(db_, kBusyTimeoutMs);
            exec("PRAGMA journal_mode = WAL");
            exec("PRAGMA synchronous = NORMAL");
            // A scan touches the random pages of the fingerprint, name and place indexes; with SQLite's default
            // 2 MiB cache it spills dirty pages mid-batch and reads them back. bench/inventory, five interleaved
            // triples: 8 MiB ingests ~6% faster than 2 MiB (median 24.0 s vs 25.6 s). 16 MiB was within noise of
            // 8 (23.0 s) and only large fleets fill it: the writer's RSS would be 2.2x a tenth of the fleet's.
            exec("PRAGMA cache_size = -8192");
            // Foreign keys are declared but, as SQLite leaves them by default, not enforced: every id the writer
            // stores comes from a row it has just read or written, and checking would cost a lookup in each
            // parent table per sighting, a fifth of a scan's time. A unit test runs PRAGMA foreign_key_check.
            migrate();
            rows_ = std::make_unique<SightingRows>(db_);
            queries_ = queries_on_connection(db_, path);
            checkpointer_ = std::make_unique<WalCheckpointer>(db_, path);
        } catch (const InventoryError& e) {
            sqlite3_close(db_);
            throw InventoryError(path + ": " + e.what());
        }
    }

    ~SqliteInventory() override {
        checkpointer_.reset();
        queries_.reset();
        rows_.reset();
        statements_.clear();
        sqlite3_close(db_);
    }

    ScanId begin_scan(const std::string& kind, const std::string& parameters_json, const Labels& labels) override {
        mark_abandoned_scans();
        ScanId scan = 0;
        in_transaction([&] {
            Statement insert(db_,
                             "INSERT INTO scans (kind, status, started_at, pid, parameters) VALUES (?, 'running', "
                             "strftime('%s','now'), ?, ?)");
            insert.bind(1, kind).bind(2, static_cast<std::int64_t>(::getpid())).bind(3, parameters_json).run();
            scan = sqlite3_last_insert_rowid(db_);
            record_owner(scan);
            Statement label(db_, "INSERT OR REPLACE INTO scan_labels (scan_id, key, value) VALUES (?,?,?)");
            for (const auto& l : labels) label.bind(1, scan).bind(2, l.key).bind(3, l.value).run();
        });
        return scan;
    }

    void record(ScanId scan, const std::vector<FileObservations>& batch) override {
        in_transaction([&] {
            store_issuer_links();
            for (const auto& observations : batch) record_one(scan, observations);
            rows_->flush();
        });
    }

    void record_endpoints(ScanId scan, const std::vector<EndpointObservationRecord>& batch) override {
        in_transaction([&] {
            store_issuer_links();
            for (const auto& record : batch) record_endpoint(scan, record);
            rows_->flush();
        });
    }

    void finish_scan(ScanId scan, ScanStatus status, const ScanCounts& counts,
                     const FindingsEvaluator& evaluate) override {
        in_transaction([&] {
            Statement update(db_,
                             "UPDATE scans SET status = ?, finished_at = strftime('%s','now'), files_walked = ?, "
                             "files_skipped = ?, certificates_seen = ?, keys_seen = ?, errors = ?, notes = ? WHERE "
                             "id = ?");
            update.bind(1, std::string(to_string(status)))
                .bind(2, static_cast<std::int64_t>(counts.files_walked))
                .bind(3, static_cast<std::int64_t>(counts.files_skipped))
                .bind(4, static_cast<std::int64_t>(counts.certificates_seen))
                .bind(5, static_cast<std::int64_t>(counts.keys_seen))
                .bind(6, static_cast<std::int64_t>(counts.errors))
                .bind(7, static_cast<std::int64_t>(counts.notes))
                .bind(8, scan)
                .run();
            mark_default_certificates(scan);
            conclude(scan);
            if (evaluate) store_findings(scan, evaluate(*queries_, scan));
        });
        checkpoint_without_waiting();
    }

    InventoryQueries& queries() override { return *queries_; }

    void record_findings(ScanId scan, const std::vector<StoredFinding>& findings) override {
        in_transaction([&] { store_findings(scan, findings); });
    }

    std::optional<std::pair<ScanId, std::uint64_t>> find_resumable(const std::string& resume_key) override {
        mark_abandoned_scans();
        Statement select(db_,
                         "SELECT p.scan_id, p.position FROM scan_progress p JOIN scans s ON s.id = p.scan_id WHERE "
                         "p.resume_key = ? AND s.status = 'interrupted' ORDER BY p.scan_id DESC LIMIT 1");
        select.bind(1, resume_key);
        if (!select.step()) return std::nullopt;
        std::pair<ScanId, std::uint64_t> found{select.integer(0), static_cast<std::uint64_t>(select.integer(1))};
        select.reset();
        return found;
    }

    void reopen_scan(ScanId scan) override {
        in_transaction([&] {
            Statement update(db_, "UPDATE scans SET status = 'running', finished_at = NULL, pid = ? WHERE id = ?");
            update.bind(1, static_cast<std::int64_t>(::getpid())).bind(2, scan).run();
            record_owner(scan);
        });
    }

    void record_progress(ScanId scan, const std::string& resume_key, std::uint64_t position) override {
        statement("INSERT OR REPLACE INTO scan_progress (scan_id, resume_key, position) VALUES (?,?,?)")
            .bind(1, scan)
            .bind(2, resume_key)
            .bind(3, static_cast<std::int64_t>(position))
            .run();
    }

    std::vector<Bytes> intermediate_certificates() override {
        Statement select(db_, "SELECT der FROM certificates WHERE is_ca = 1 AND self_signed = 0");
        std::vector<Bytes> out;
        while (select.step()) out.push_back(select.blob(0));
        return out;
    }

private:
    void exec(const char* sql) { exec_sql(db_, sql); }

    template <typename Work>
    void in_transaction(Work&& work) {
        exec("BEGIN IMMEDIATE");
        try {
            work();
            exec("COMMIT");
        } catch (...) {
            sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
            rows_->discard();
            forget_cached_ids();  // they and the questions asked about them may name rows the rollback removed
            throw;
        }
    }

    static constexpr std::size_t kMaxCachedIssuerNames = 4096;

    void forget_cached_ids() {
        last_location_ = {};
        issuer_candidates_.clear();
        issuance_checks_.discard();
    }

    void migrate() {
        const std::int64_t current = schema_version(db_);
        if (current > kSchemaVersion)
            throw InventoryError("inventory schema version " + std::to_string(current) +
                                 " is newer than this certfleet understands (" + std::to_string(kSchemaVersion) + ")");
        if (current == kSchemaVersion) return;
        Statement tables(db_, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT IN "
                              "('scans','certificates','locations','sightings','key_sightings','scan_events',"
                              "'endpoints','endpoint_observations','endpoint_sightings','scan_progress',"
                              "'scan_labels','location_labels','endpoint_labels','anchor_sightings',"
                              "'certificate_issuers','location_latest','endpoint_latest','certificate_seen',"
                              "'findings','scan_owners')");
        tables.step();
        const bool foreign = tables.integer(0) > 0;
        tables.reset();
        if (current == 0 && foreign) throw InventoryError("not a certfleet inventory (it holds other tables)");
        exec("BEGIN IMMEDIATE");
        try {
            exec(kSchemaSql);
            exec(("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str());
            exec("COMMIT");
        } catch (...) {
            sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
            throw;
        }
    }

    // A scan whose process was killed (kill -9, power loss) never finished; say so rather than leave it running.
    // Its process is judged by pid, boot and start time, so a new process that reuses the pid does not keep it alive.
    void mark_abandoned_scans() {
        Statement running(db_,
                          "SELECT s.id, s.pid, o.boot_id, o.start_ticks FROM scans s LEFT JOIN scan_owners o ON "
                          "o.scan_id = s.id WHERE s.status = 'running'");
        std::vector<ScanId> abandoned;
        while (running.step()) {
            const ProcessIdentity owner{static_cast<pid_t>(running.integer(1)), running.text(2),
                                        static_cast<std::uint64_t>(running.integer(3))};
            if (!still_running(owner)) abandoned.push_back(running.integer(0));
        }
        for (auto id : abandoned) {
            in_transaction([&] {
                Statement mark(db_, "UPDATE scans SET status = 'interrupted' WHERE id = ? AND status = 'running'");
                mark.bind(1, id).run();
                if (sqlite3_changes(db_) > 0) conclude(id);  // another process may have marked it meanwhile
            });
        }
    }

    void record_owner(ScanId scan) {
        const ProcessIdentity self = current_process();
        Statement owner(db_, "INSERT OR REPLACE INTO scan_owners (scan_id, boot_id, start_ticks) VALUES (?,?,?)");
        owner.bind(1, scan).bind(2, self.boot_id).bind(3, static_cast<std::int64_t>(self.start_ticks)).run();
    }

    // An address and port that answered several SNI names, all with the same leaf, serves a default
    // certificate whatever name is asked for.
    void mark_default_certificates(ScanId scan) {
        Statement defaults(db_,
                           "UPDATE endpoint_observations SET serves_default = 1 WHERE scan_id = ?1 AND endpoint_id IN ("
                           "SELECT e.id FROM endpoints e WHERE (e.address, e.port) IN (SELECT e2.address, e2.port FROM "
                           "endpoint_observations o2 JOIN endpoints e2 ON e2.id = o2.endpoint_id JOIN endpoint_sightings "
                           "s2 ON s2.scan_id = o2.scan_id AND s2.endpoint_id = o2.endpoint_id AND s2.position = 0 WHERE "
                           "o2.scan_id = ?1 AND o2.status = 'tls' GROUP BY e2.address, e2.port HAVING "
                           "count(DISTINCT e2.server_name) > 1 AND count(DISTINCT s2.certificate_id) = 1))");
        defaults.bind(1, scan).run();
    }

    void store_findings(ScanId scan, const std::vector<StoredFinding>& findings) {
        Statement clear(db_, "DELETE FROM findings WHERE scan_id = ?");
        clear.bind(1, scan).run();
        Statement insert(db_,
                         "INSERT INTO findings (scan_id, rule_id, severity, sha256, location, message, days_left, "
                         "deadline, overdue, evaluated_at) VALUES (?,?,?,?,?,?,?,?,?,strftime('%s','now'))");
        for (const auto& f : findings) {
            insert.bind(1, scan).bind(2, f.rule_id).bind(3, f.severity).bind(4, f.sha256).bind(5, f.location);
            insert.bind(6, f.message).bind(7, f.days_left).bind(8, f.deadline);
            insert.bind(9, static_cast<std::int64_t>(f.overdue)).run();
        }
    }

    // A scan's end leaves the log empty when no reader holds it, so the file on disk is the inventory; with readers
    // it copies what it can and leaves the rest to the checkpointer, never waiting on them (a TRUNCATE waits for
    // every reader, through the busy timeout).
    void checkpoint_without_waiting() {
        sqlite3_busy_timeout(db_, 0);
        if (sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr) == SQLITE_BUSY)
            sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
        sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    }

    // Prepared once per SQL text. Every caller passes a string literal, so its address names it: the writer looks
    // statements up once per row, and hashing or comparing the text each time was a measurable share of a scan.
    Statement& statement(const char* sql) {
        auto it = statements_.find(sql);
        if (it == statements_.end()) it = statements_.emplace(sql, std::make_unique<Statement>(db_, sql)).first;
        return *it->second;
    }

    // The id of a unique row: from the table by `select_sql`, else by inserting the row. Every caller is inside an
    // immediate transaction, so no other writer can add the row in between.
    template <typename Insert, typename BindKey>
    std::int64_t stored_id(Insert&& insert, const char* select_sql, BindKey&& bind_key) {
        auto& select = statement(select_sql);
        bind_key(select);
        if (select.step()) {
            const std::int64_t id = select.integer(0);
            select.reset();
            return id;
        }
        insert();
        return sqlite3_last_insert_rowid(db_);
    }

    // A scan sees each file once, and a file's certificates and keys come together: the last place is the only
    // one worth remembering. A cache of places cost a string and a hash per sighting for no hits across files.
    std::int64_t location_id(const std::string& path, SourceFormat format) {
        if (last_location_.id != 0 && last_location_.format == format && last_location_.path == path)
            return last_location_.id;
        const std::string format_name = to_string(format);
        const std::int64_t id = stored_id(
            [&] {
                statement("INSERT INTO locations (kind, path, format) VALUES ('file', ?, ?)")
                    .bind(1, path)
                    .bind(2, format_name)
                    .run();
            },
            "SELECT id FROM locations WHERE kind = 'file' AND path = ? AND format = ?",
            [&](Statement& select) { select.bind_unowned(1, path).bind_unowned(2, format_name); });
        last_location_.path.assign(path);  // into the capacity it has, not a new string per place
        last_location_.format = format;
        last_location_.id = id;
        return id;
    }

    // Not cached: a scan sees most certificates once. A cache of 8,192 fingerprints saved the lookups of the CA
    // certificates in many chains and of copied leaves (a fifth of the bench's sightings) but cost a hash, a node
    // and a 64-byte key per certificate, more than it saved: bench_inventory, three interleaved pairs, 7.76 / 8.02
    // / 7.80 s in the API without it against 8.93 / 8.06 / 8.29 s with it.
    std::int64_t certificate_id(ScanId scan, const CertInfo& c, const std::shared_ptr<const Bytes>& der) {
        return stored_id(
            [&] {
                insert_certificate(scan, c, *der);
                issuer_candidates_.erase(c.subject);  // it may have issued certificates still to come
                if (!c.self_issued) ask_who_issued(sqlite3_last_insert_rowid(db_), c, der);
            },
            "SELECT id FROM certificates WHERE sha256 = ?",
            [&](Statement& select) { select.bind_unowned(1, c.sha256); });
    }

    // A certificate that could have issued others: the certificates named as their issuer.
    struct IssuerCandidate {
        std::int64_t id = 0;
        std::string sha256;
        std::string subject_key_id;
        std::shared_ptr<const Bytes> der;
    };

    // Asks the workers to check the new certificate's signature against each certificate in the inventory that
    // could have issued it (the same pairing link_issuers makes), so that check is done by the scan's end.
    void ask_who_issued(std::int64_t id, const CertInfo& c, const std::shared_ptr<const Bytes>& der) {
        auto it = issuer_candidates_.find(c.issuer);
        if (it == issuer_candidates_.end()) {
            if (issuer_candidates_.size() >= kMaxCachedIssuerNames) issuer_candidates_.clear();
            // The key-usage condition is the subject index's (schema.sql): only such certificates may sign.
            auto& select = statement(
                "SELECT id, sha256, subject_key_id, der FROM certificates WHERE subject = ? AND (key_usage = '[]' OR "
                "instr(key_usage, '\"keyCertSign\"') > 0)");
            select.bind(1, c.issuer);
            std::vector<IssuerCandidate> candidates;
            while (select.step())
                candidates.push_back(IssuerCandidate{select.integer(0), select.text(1), select.text(2),
                                                     std::make_shared<const Bytes>(select.blob(3))});
            it = issuer_candidates_.emplace(c.issuer, std::move(candidates)).first;
        }
        for (const auto& issuer : it->second) {
            if (issuer.id == id) continue;
            if (!c.authority_key_id.empty() && !issuer.subject_key_id.empty() && c.authority_key_id != issuer.subject_key_id)
                continue;
            issuance_checks_.ask(IssuanceQuestion{id, issuer.id, der, issuer.sha256, issuer.der});
        }
    }

    void store_issuer_links() {
        for (const auto& [certificate, issuer] : issuance_checks_.take_issued())
            statement("INSERT OR IGNORE INTO certificate_issuers (certificate_id, issuer_id) VALUES (?,?)")
                .bind(1, certificate)
                .bind(2, issuer)
                .run();
    }

    void insert_certificate(ScanId scan, const CertInfo& c, const Bytes& der) {
        auto& insert = statement(
            "INSERT INTO certificates (sha256, spki_sha256, subject, issuer, serial, not_before, not_after, "
            "key_type, key_curve, key_bits, signature_algorithm, is_ca, path_length, self_issued, self_signed, "
            "subject_key_id, authority_key_id, dns_names, ip_addresses, uris, emails, key_usage, ext_key_usage, der, "
            "first_seen_scan) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
        insert.bind(1, c.sha256).bind(2, c.spki_sha256).bind(3, c.subject).bind(4, c.issuer).bind(5, c.serial);
        insert.bind(6, c.not_before).bind(7, c.not_after).bind(8, c.key_type).bind(9, c.key_curve);
        insert.bind(10, static_cast<std::int64_t>(c.key_bits)).bind(11, c.signature_algorithm);
        insert.bind(12, static_cast<std::int64_t>(c.is_ca));
        insert.bind(13, c.path_length ? std::optional<std::int64_t>(*c.path_length) : std::nullopt);
        insert.bind(14, static_cast<std::int64_t>(c.self_issued)).bind(15, static_cast<std::int64_t>(c.self_signed));
        insert.bind(16, c.subject_key_id).bind(17, c.authority_key_id);
        insert.bind(18, json_list(c.dns_names)).bind(19, json_list(c.ip_addresses)).bind(20, json_list(c.uris));
        insert.bind(21, json_list(c.emails)).bind(22, json_list(c.key_usage)).bind(23, json_list(c.ext_key_usage));
        insert.bind_blob(24, der).bind(25, scan);
        insert.run();
    }

    void record_one(ScanId scan, const FileObservations& observations) {
        // Each place once: a file's certificates share it, and a keystore's keys are where its certificates are.
        std::int64_t labelled = 0;
        const auto place = [&](const std::string& path, SourceFormat format) {
            const std::int64_t id = location_id(path, format);
            if (id != labelled) label_location(scan, id, observations.labels);
            labelled = id;
            return id;
        };
        for (const auto& sighting : observations.certificates) {
            const std::int64_t cert = certificate_id(scan, *sighting.cert, sighting.der);
            const std::int64_t location = place(sighting.location.path, sighting.location.format);
            const auto position = static_cast<std::int64_t>(sighting.location.index);
            rows_->sightings.add(scan, location, position, cert);
            if (sighting.trust_anchor) rows_->anchors.add(scan, location, position);
        }
        for (const auto& key : observations.keys)
            rows_->keys.add(scan, place(key.path, key.format), key.spki_sha256, std::string(to_string(key.state)));
        for (const auto& event : observations.events) {
            statement("INSERT INTO scan_events (scan_id, level, location, reason, detail) VALUES (?,?,?,?,?)")
                .bind(1, scan)
                .bind(2, std::string(event.level == EventLevel::error ? "error" : "note"))
                .bind(3, event.location)
                .bind(4, event.reason)
                .bind(5, event.detail)
                .run();
        }
    }

    // Not cached: a scan probes each endpoint once.
    std::int64_t endpoint_id(const EndpointFacts& f) {
        const auto bind_endpoint = [&](Statement& query) -> Statement& {
            return query.bind(1, f.host).bind(2, f.address).bind(3, static_cast<std::int64_t>(f.port)).bind(4, f.server_name);
        };
        return stored_id(
            [&] {
                bind_endpoint(statement("INSERT INTO endpoints (host, address, port, server_name) "
                                        "VALUES (?,?,?,?)"))
                    .run();
            },
            "SELECT id FROM endpoints WHERE host = ? AND address = ? AND port = ? AND server_name = ?",
            bind_endpoint);
    }

    void record_endpoint(ScanId scan, const EndpointObservationRecord& record) {
        const EndpointFacts& f = record.facts;
        const std::int64_t endpoint = endpoint_id(f);
        auto& insert = statement(
            "INSERT OR REPLACE INTO endpoint_observations (scan_id, endpoint_id, status, detail, starttls, "
            "tls_version, cipher, ocsp_stapled, verified, verify_error, verify_detail, verify_errors, hostname_match, "
            "chain_trusted, order_correct, root_included, intermediates_missing, earliest_expiry, "
            "earliest_expiry_sha256, serves_default, elapsed_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
        insert.bind(1, scan).bind(2, endpoint).bind(3, f.status).bind(4, f.detail).bind(5, f.starttls);
        insert.bind(6, f.tls_version).bind(7, f.cipher).bind(8, static_cast<std::int64_t>(f.ocsp_stapled));
        insert.bind(9, static_cast<std::int64_t>(f.verified)).bind(10, f.verify_error).bind(11, f.verify_detail);
        insert.bind(12, json_list(f.verify_errors)).bind(13, static_cast<std::int64_t>(f.hostname_match));
        insert.bind(14, static_cast<std::int64_t>(f.chain_trusted)).bind(15, static_cast<std::int64_t>(f.order_correct));
        insert.bind(16, static_cast<std::int64_t>(f.root_included));
        insert.bind(17, static_cast<std::int64_t>(f.intermediates_missing)).bind(18, f.earliest_expiry);
        insert.bind(19, f.earliest_expiry_sha256.empty() ? std::nullopt : std::optional<std::string>(f.earliest_expiry_sha256));
        insert.bind(20, static_cast<std::int64_t>(f.serves_default)).bind(21, f.elapsed_ms);
        insert.run();
        for (std::size_t position = 0; position < record.chain.size(); ++position) {
            const auto& link = record.chain[position];
            rows_->endpoint_sightings.add(scan, endpoint, static_cast<std::int64_t>(position),
                                          certificate_id(scan, *link.cert, link.der));
        }
        for (const auto& l : record.labels) rows_->endpoint_labels.add(scan, endpoint, l.key, l.value);
    }

    void label_location(ScanId scan, std::int64_t location, const Labels& labels) {
        for (const auto& l : labels) rows_->location_labels.add(scan, location, l.key, l.value);
    }

    // The rows a scan writes per sighting, many to a statement; flushed before each batch commits.
    struct SightingRows {
        explicit SightingRows(sqlite3* db)
            : sightings(db, "INSERT OR IGNORE INTO sightings (scan_id, location_id, position, certificate_id) VALUES", 4),
              anchors(db, "INSERT OR IGNORE INTO anchor_sightings (scan_id, location_id, position) VALUES", 3),
              keys(db, "INSERT INTO key_sightings (scan_id, location_id, spki_sha256, state) VALUES", 4),
              location_labels(db, "INSERT OR REPLACE INTO location_labels (scan_id, location_id, key, value) VALUES", 4),
              endpoint_sightings(db,
                                 "INSERT OR IGNORE INTO endpoint_sightings (scan_id, endpoint_id, position, "
                                 "certificate_id) VALUES",
                                 4),
              endpoint_labels(db, "INSERT OR REPLACE INTO endpoint_labels (scan_id, endpoint_id, key, value) VALUES", 4) {}
        void flush() {
            for (auto* rows : {&sightings, &anchors, &keys, &location_labels, &endpoint_sightings, &endpoint_labels})
                rows->flush();
        }
        void discard() {
            for (auto* rows : {&sightings, &anchors, &keys, &location_labels, &endpoint_sightings, &endpoint_labels})
                rows->discard();
        }
        BulkInsert sightings, anchors, keys, location_labels, endpoint_sightings, endpoint_labels;
    };

    // What a scan adds to the views across scans, once it has ended (finished, interrupted, or found dead): the
    // current view of each place it looked at, the first and last scan of each certificate it saw, and the issuer
    // links of the certificates it added. Set-based, once per scan, rather than once per sighting.
    void conclude(ScanId scan) {
        // One statement per table the scan wrote, each reading it in its index's order: a UNION of two of them
        // sorted every row through a temporary B-tree first (bench/inventory's finish_scan, three interleaved
        // pairs: 1.60-1.70 s this way against 1.83-1.94 s).
        // A row already as recent (or as old) as the scan is left alone, so the second table of a pair rewrites
        // only the rows the first did not bring.
        static constexpr const char* kLatestPlace =
            " GROUP BY location_id ORDER BY location_id ON CONFLICT (location_id) DO UPDATE SET scan_id = "
            "excluded.scan_id WHERE excluded.scan_id > scan_id";
        static constexpr const char* kSeen =
            " GROUP BY certificate_id ORDER BY certificate_id ON CONFLICT (certificate_id) DO UPDATE SET first_scan = "
            "min(first_scan, excluded.first_scan), last_scan = max(last_scan, excluded.last_scan) WHERE "
            "excluded.first_scan < first_scan OR excluded.last_scan > last_scan";
        const std::string conclusions[] = {
            std::string("INSERT INTO location_latest (location_id, scan_id) SELECT location_id, ?1 FROM sightings "
                        "WHERE scan_id = ?1") + kLatestPlace,
            std::string("INSERT INTO location_latest (location_id, scan_id) SELECT location_id, ?1 FROM key_sightings "
                        "WHERE scan_id = ?1") + kLatestPlace,
            "INSERT INTO endpoint_latest (endpoint_id, scan_id) SELECT endpoint_id, ?1 FROM endpoint_observations "
            "WHERE scan_id = ?1 ORDER BY endpoint_id ON CONFLICT (endpoint_id) DO UPDATE SET scan_id = "
            "excluded.scan_id WHERE excluded.scan_id > scan_id",
            std::string("INSERT INTO certificate_seen (certificate_id, first_scan, last_scan) SELECT certificate_id, "
                        "?1, ?1 FROM sightings WHERE scan_id = ?1") + kSeen,
            std::string("INSERT INTO certificate_seen (certificate_id, first_scan, last_scan) SELECT certificate_id, "
                        "?1, ?1 FROM endpoint_sightings WHERE scan_id = ?1") + kSeen,
        };
        for (const auto& sql : conclusions) Statement(db_, sql.c_str()).bind(1, scan).run();
        link_issuers(scan);
    }

    // Links the certificates this scan added to their issuers and to the certificates they issued, among
    // everything in the inventory. Candidates come from names and key identifiers; the signature decides. The
    // workers have checked most pairs already (those whose issuer was stored before the certificate, in this
    // process); the rest, and the scans of processes that died, are checked here.
    void link_issuers(ScanId scan) {
        issuance_checks_.wait();
        store_issuer_links();
        static constexpr const char* kCandidates[] = {
            "SELECT c.id, c.der, i.id, i.sha256, i.der FROM certificates c JOIN certificates i ON i.subject = c.issuer "
            "WHERE c.first_seen_scan = ?1 AND c.self_issued = 0 AND (i.key_usage = '[]' OR "
            "instr(i.key_usage, '\"keyCertSign\"') > 0) AND (c.authority_key_id = '' OR "
            "i.subject_key_id = '' OR c.authority_key_id = i.subject_key_id) AND NOT EXISTS (SELECT 1 FROM "
            "certificate_issuers ci WHERE ci.certificate_id = c.id AND ci.issuer_id = i.id) ORDER BY i.id",
            "SELECT c.id, c.der, i.id, i.sha256, i.der FROM certificates i JOIN certificates c ON c.issuer = i.subject "
            "WHERE i.first_seen_scan = ?1 AND c.first_seen_scan != ?1 AND c.self_issued = 0 AND (i.key_usage = '[]' "
            "OR instr(i.key_usage, '\"keyCertSign\"') > 0) AND "
            "(c.authority_key_id = '' OR i.subject_key_id = '' OR c.authority_key_id = i.subject_key_id) ORDER BY i.id"};
        IssuanceChecker checker;
        Statement link(db_, "INSERT OR IGNORE INTO certificate_issuers (certificate_id, issuer_id) VALUES (?,?)");
        for (const char* sql : kCandidates) {
            Statement candidates(db_, sql);
            candidates.bind(1, scan);
            while (candidates.step()) {
                const IssuerLink pair{candidates.integer(0), candidates.integer(2)};
                if (issuance_checks_.answered_no(pair)) continue;
                if (checker.issued(candidates.blob(1), candidates.text(3), candidates.blob(4)))
                    link.bind(1, pair.first).bind(2, pair.second).run();
            }
        }
    }

    std::string path_;
    sqlite3* db_ = nullptr;
    std::unordered_map<const char*, std::unique_ptr<Statement>> statements_;
    struct LastLocation {
        std::string path;
        SourceFormat format = SourceFormat::pem;
        std::int64_t id = 0;
    } last_location_;
    std::unordered_map<std::string, std::vector<IssuerCandidate>> issuer_candidates_;  // by subject
    std::unique_ptr<SightingRows> rows_;
    std::unique_ptr<InventoryQueries> queries_;
    std::unique_ptr<WalCheckpointer> checkpointer_;
    // Declared last, so its workers stop first.
    ConcurrentIssuanceChecks issuance_checks_;
};

}  // namespace

const char* to_string(ScanStatus s) {
    switch (s) {
        case ScanStatus::running: return "running";
        case ScanStatus::complete: return "complete";
        case ScanStatus::interrupted: return "interrupted";
        case ScanStatus::failed: return "failed";
    }
    return "unknown";
}

std::unique_ptr<Inventory> open_sqlite_inventory(const std::string& path) {
    return std::make_unique<SqliteInventory>(path);
}

}  // namespace certfleet::inventory
