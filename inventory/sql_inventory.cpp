// The writer's life of a scan on either store: beginning, resuming and abandoning scans, and its transactions.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <random>
#include <thread>

#include "core/encoding.hpp"
#include "core/host_identity.hpp"
#include "inventory/sql_inventory.hpp"

namespace certfleet::inventory {

namespace {

// The writer's own thread does the SQL; other cores check issuer signatures meanwhile, and four keep up with any
// rate the writer reaches.
// A random (version 4) UUID: a scan's identity in every inventory it is copied to.
std::string new_scan_uuid() {
    std::random_device entropy;  // the kernel's random source
    std::array<unsigned char, 16> bytes{};
    for (std::size_t i = 0; i < bytes.size(); i += 4) {
        const std::uint32_t word = entropy();
        for (std::size_t j = 0; j < 4; ++j) bytes[i + j] = static_cast<unsigned char>(word >> (8 * j));
    }
    bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);
    bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
        out += kHex[bytes[i] >> 4];
        out += kHex[bytes[i] & 0x0f];
    }
    return out;
}

unsigned issuance_workers() {
    const unsigned cores = std::thread::hardware_concurrency();
    return std::clamp(cores > 1 ? cores - 1 : 1, 1u, 4u);
}

}  // namespace

SqlInventory::SqlInventory(std::unique_ptr<SqlConnection> db, const std::string& where)
    : connection_(std::move(db)), db_(*connection_), issuance_checks_(issuance_workers()) {
    rows_ = std::make_unique<SightingRows>(db_);
    queries_ = queries_on_connection(db_, where);
}

SqlInventory::~SqlInventory() {
    queries_.reset();
    rows_.reset();
    statements_.clear();
}

void SqlInventory::roll_back() {
    try {
        exec("ROLLBACK");
    } catch (const std::exception&) {
        // The connection is gone or the store already ended the transaction: nothing of it was kept.
    }
    rows_->discard();
    forget_cached_ids();  // they and the questions asked about them may name rows the rollback removed
}

std::optional<std::int64_t> SqlInventory::returned_id(Statement& insert) {
    if (!insert.step()) return std::nullopt;
    const std::int64_t id = insert.integer(0);
    insert.reset();
    return id;
}

ScanId SqlInventory::begin_scan(const std::string& kind, const std::string& parameters_json, const Labels& labels,
                                const RunMembership& run) {
    ScanRecord origin;
    origin.kind = kind;
    origin.parameters_json = parameters_json;
    origin.run = run;
    origin.started_at = now_utc();
    origin.uuid = new_scan_uuid();
    return *insert_scan(origin, labels);
}

std::optional<ScanId> SqlInventory::begin_copied_scan(const ScanRecord& origin, const Labels& labels) {
    if (auto copy = insert_scan(origin, labels)) return copy;
    // A copy whose pusher died before ending it was marked interrupted without an end: copied again over what it
    // holds, as --resume does, it ends whole, since each observation is stored once however often it arrives.
    std::optional<ScanId> resumed;
    in_transaction([&] {
        Statement reopen(db_, "UPDATE scans SET status = 'running', pid = ? WHERE uuid = ? AND status = 'interrupted' "
                              "AND finished_at IS NULL RETURNING id");
        reopen.bind(1, static_cast<std::int64_t>(::getpid())).bind(2, origin.uuid);
        const auto earlier = std::exchange(resumed, returned_id(reopen));
        if (!resumed) resumed = committed_unanswered(earlier, origin.uuid);
        if (resumed) claim_scan(*resumed);
    });
    if (resumed) use_host_of(*resumed);
    return resumed;
}

std::optional<ScanId> SqlInventory::insert_scan(const ScanRecord& origin, const Labels& labels) {
    mark_abandoned_scans();
    std::optional<ScanId> inserted;
    in_transaction([&] {
        Statement insert(db_,
                         "INSERT INTO scans (kind, status, started_at, pid, parameters, uuid) VALUES (?, 'running', ?, ?, "
                         "?, ?) ON CONFLICT (uuid) DO NOTHING RETURNING id");
        insert.bind(1, origin.kind)
            .bind(2, origin.started_at)
            .bind(3, static_cast<std::int64_t>(::getpid()))
            .bind(4, origin.parameters_json)
            .bind(5, origin.uuid);
        const auto earlier = std::exchange(inserted, returned_id(insert));
        if (!inserted) {
            inserted = committed_unanswered(earlier, origin.uuid);
            return;  // else a copy of a scan already here
        }
        const ScanId scan = *inserted;
        claim_scan(scan);
        const auto& run = origin.run;
        Statement label(db_, "INSERT INTO scan_labels (scan_id, key, value) VALUES (?,?,?) ON CONFLICT (scan_id, key) DO UPDATE SET "
                             "value = excluded.value");
        for (const auto& l : labels) label.bind(1, scan).bind(2, l.key).bind(3, l.value).run();
        if (!run.run.empty())
            Statement(db_, "INSERT INTO scan_runs (scan_id, run, slot, shard, shards) VALUES (?,?,?,?,?)")
                .bind(1, scan)
                .bind(2, run.run)
                .bind(3, run.slot)
                .bind(4, static_cast<std::int64_t>(run.shard))
                .bind(5, static_cast<std::int64_t>(run.shards))
                .run();
    });
    if (inserted) use_host_of(*inserted);
    return inserted;
}

// The scan an earlier attempt of a transaction inserted or took up, when that attempt's COMMIT went through but
// its answer was lost with the connection: the scan is there, running, and this writer's.
std::optional<ScanId> SqlInventory::committed_unanswered(std::optional<ScanId> earlier, const std::string& uuid) {
    if (!earlier) return std::nullopt;
    Statement select(db_, "SELECT id FROM scans WHERE id = ? AND uuid = ? AND status = 'running'");
    select.bind(1, *earlier).bind(2, uuid);
    return select.step() ? std::optional<ScanId>(select.integer(0)) : std::nullopt;
}

ScanId SqlInventory::record_refused_scan(const std::string& kind, const std::string& parameters_json,
                                           const Labels& labels, const ScanEvent& error, const RunMembership& run) {
    const ScanId scan = begin_scan(kind, parameters_json, labels, run);
    in_transaction([&] {
        Statement event(db_, "INSERT INTO scan_events (scan_id, level, location, reason, detail) VALUES (?,?,?,?,?) "
                             "ON CONFLICT DO NOTHING");
        event.bind(1, scan).bind(2, std::string(to_string(error.level))).bind(3, error.location).bind(4, error.reason)
            .bind(5, error.detail).run();
        Statement failed(db_, "UPDATE scans SET status = 'failed', finished_at = ?, errors = 1 WHERE id = ?");
        failed.bind(1, now_utc()).bind(2, scan).run();
    });
    return scan;
}

std::optional<std::pair<ScanId, std::uint64_t>> SqlInventory::find_resumable(const std::string& resume_key) {
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

void SqlInventory::reopen_scan(ScanId scan) {
    in_transaction([&] {
        Statement update(db_, "UPDATE scans SET status = 'running', finished_at = NULL, pid = ? WHERE id = ?");
        update.bind(1, static_cast<std::int64_t>(::getpid())).bind(2, scan).run();
        claim_scan(scan);
    });
    use_host_of(scan);
}

void SqlInventory::record_progress(ScanId scan, const std::string& resume_key, std::uint64_t position) {
    in_transaction([&] {
        statement("INSERT INTO scan_progress (scan_id, resume_key, position) VALUES (?,?,?) ON CONFLICT (scan_id) DO "
                  "UPDATE SET resume_key = excluded.resume_key, position = excluded.position")
            .bind(1, scan)
            .bind(2, resume_key)
            .bind(3, static_cast<std::int64_t>(position))
            .run();
    });
}

std::vector<Bytes> SqlInventory::intermediate_certificates() {
    Statement select(db_, "SELECT der FROM certificates WHERE is_ca = 1 AND self_signed = 0");
    std::vector<Bytes> out;
    while (select.step()) out.push_back(select.blob(0));
    return out;
}

// A scan's files are on the host its parameters name; a scan that names none (a caller other than the scan
// pipeline) is of this machine.
void SqlInventory::use_host_of(ScanId scan) {
    Statement select(db_, "SELECT coalesce(json_extract(parameters, '$.host'), '') FROM scans WHERE id = ? AND "
                          "json_valid(parameters)");
    select.bind(1, scan);
    file_host_ = select.step() ? select.text(0) : std::string();
    if (file_host_.empty()) file_host_ = this_host().name;
}

void SqlInventory::forget_cached_ids() {
    certificate_ids_.clear();
    place_ids_.clear();
    endpoint_ids_.clear();
    issuer_candidates_.clear();
    issuance_checks_.discard();
}

// A scan whose process was killed (kill -9, power loss) never finished; say so rather than leave it running.
void SqlInventory::mark_abandoned_scans() {
    for (auto id : abandoned_scans()) {
        in_transaction([&] {
            Statement mark(db_, "UPDATE scans SET status = 'interrupted' WHERE id = ? AND status = 'running'");
            mark.bind(1, id).run();
            if (mark.changes() > 0) conclude(id, ScanStatus::interrupted);  // another process may have marked it meanwhile
        });
    }
}

// Prepared once per SQL text. Every caller passes a string literal, so its address names it: the writer looks
// statements up once per row, and hashing the text each time would cost more than the lookup.
Statement& SqlInventory::statement(const char* sql) {
    auto it = statements_.find(sql);
    if (it == statements_.end()) it = statements_.emplace(sql, std::make_unique<Statement>(db_, sql)).first;
    return *it->second;
}

}  // namespace certfleet::inventory
