// The ids of the certificates, file places and endpoints a batch names, looked up and stored many to a statement
// before its rows are written. On a server every statement is a round trip: one per certificate, place or endpoint
// was most of a scan's writing time there, and on SQLite a statement per key costs more than one per chunk of them.
#include <algorithm>
#include <string_view>
#include <unordered_set>
#include <variant>

#include "inventory/sql_inventory.hpp"

namespace certfleet::inventory {

namespace {

// Keys go to the store in chunks of these sizes, the largest that fits first, so four statements of each kind
// serve any batch and none is padded.
constexpr std::array<std::size_t, 4> kChunkSizes{64, 16, 4, 1};
// Keys a PostgreSQL look-up takes as one array.
constexpr std::size_t kArrayChunk = 1024;

template <typename Chunk>
void for_each_chunk(std::size_t count, Chunk&& chunk) {
    std::size_t first = 0;
    for (const auto size : kChunkSizes)
        for (; count - first >= size; first += size) chunk(first, size);
}

// "?,?,?" for three parameters.
std::string parameters(std::size_t count) {
    std::string out;
    for (std::size_t i = 0; i < count; ++i) out += i == 0 ? "?" : ",?";
    return out;
}

// "(?,?),(?,?)" for two rows of `row` ("?,?").
std::string rows_of(const std::string& row, std::size_t count) {
    std::string out;
    for (std::size_t i = 0; i < count; ++i) out += (i == 0 ? "(" : ",(") + row + ")";
    return out;
}

// `select` `count` times, joined by UNION ALL.
std::string union_of(const std::string& select, std::size_t count) {
    std::string out;
    for (std::size_t i = 0; i < count; ++i) out += (i == 0 ? "" : " UNION ALL ") + select;
    return out;
}

}  // namespace

// A table of rows the writer names by id and finds by a unique key.
struct KeyedTable {
    const char* select_one;     // one row by its key's parameters: its id, then its key's columns
    // PostgreSQL: the rows of many keys, given one array per key column. Each key is its own index look-up (a
    // LATERAL subquery with LIMIT 1, a key being unique): joined plainly, PostgreSQL would rather hash the whole
    // table, 8x slower for a batch of 500 places among 35,000.
    const char* select_arrays;
    const char* insert;      // up to VALUES
    const char* row;         // one row's values, with its key's parameters
    const char* returning;   // the id and key's columns of the rows inserted
    std::size_t key_columns;
};

namespace {

constexpr KeyedTable kFilePlaces{
    "SELECT id, host, path, format FROM locations WHERE host = ? AND kind = 'file' AND path = ? AND format = ?",
    "SELECT l.* FROM unnest(?::TEXT[], ?::TEXT[], ?::TEXT[]) AS k(host, path, format) JOIN LATERAL (SELECT "
    "id, host, path, format FROM locations WHERE host = k.host AND kind = 'file' AND path = k.path AND "
    "format = k.format LIMIT 1) l ON TRUE",
    "INSERT INTO locations (host, kind, path, format) VALUES ", "?, 'file', ?, ?",
    " ON CONFLICT DO NOTHING RETURNING id, host, path, format", 3};
constexpr KeyedTable kEndpoints{
    "SELECT id, host, address, port, server_name, site FROM endpoints WHERE host = ? AND address = ? AND port = ? AND "
    "server_name = ? AND site = ?",
    "SELECT e.* FROM unnest(?::TEXT[], ?::TEXT[], ?::BIGINT[], ?::TEXT[], ?::TEXT[]) AS k(host, address, port, "
    "server_name, site) JOIN LATERAL (SELECT id, host, address, port, server_name, site FROM endpoints WHERE "
    "host = k.host AND address = k.address AND port = k.port AND server_name = k.server_name AND site = k.site "
    "LIMIT 1) e ON TRUE",
    "INSERT INTO endpoints (host, address, port, server_name, site) VALUES ", "?, ?, ?, ?, ?",
    " ON CONFLICT DO NOTHING RETURNING id, host, address, port, server_name, site", 5};

std::string key_text(const std::vector<BulkInsert::Value>& values) { return inventory::key_text(values.data(), values.size()); }

std::string key_text(Statement& row, std::size_t columns) {
    std::string key;
    for (std::size_t c = 1; c <= columns; ++c) (key += row.text(static_cast<int>(c))) += '\0';
    return key;
}

// An element of a PostgreSQL array literal, quoted: a path may hold any of {},"\\ and spaces.
void append_element(std::string& array, const std::string& text) {
    array += '"';
    for (const char c : text) {
        if (c == '"' || c == '\\') array += '\\';
        array += c;
    }
    array += '"';
}

void append_element(std::string& array, const BulkInsert::Value& value) {
    if (const auto* number = std::get_if<std::int64_t>(&value)) array += std::to_string(*number);
    else if (const auto* text = std::get_if<std::string>(&value)) append_element(array, *text);
    else throw InventoryError("a look-up key has no value");
}

// A PostgreSQL array literal of `count` values, texts or keys' values.
template <typename ValueAt>
std::string array_literal(std::size_t count, ValueAt&& value_at) {
    std::string array = "{";
    for (std::size_t i = 0; i < count; ++i) {
        if (i > 0) array += ',';
        append_element(array, value_at(i));
    }
    return array += '}';
}

std::vector<BulkInsert::Value> file_place_key(const std::string& host, const std::string& path, SourceFormat format) {
    return {host, path, std::string(to_string(format))};
}

std::vector<BulkInsert::Value> endpoint_key(const EndpointFacts& f) {
    return {f.host, f.address, static_cast<std::int64_t>(f.port), f.server_name, f.site};
}

constexpr const char* kInsertCertificates =
    "INSERT INTO certificates (sha256, spki_sha256, subject, issuer, serial, not_before, not_after, key_type, "
    "key_curve, key_bits, signature_algorithm, is_ca, path_length, self_issued, self_signed, subject_key_id, "
    "authority_key_id, dns_names, ip_addresses, uris, emails, key_usage, ext_key_usage, der, first_seen_scan) VALUES ";
constexpr int kCertificateValues = 25;

void bind_certificate(Statement& insert, int first, ScanId scan, const CertInfo& c, const Bytes& der) {
    const auto at = [&](int column) { return first + column; };
    insert.bind(at(1), c.sha256).bind(at(2), c.spki_sha256).bind(at(3), c.subject).bind(at(4), c.issuer);
    insert.bind(at(5), c.serial).bind(at(6), c.not_before).bind(at(7), c.not_after).bind(at(8), c.key_type);
    insert.bind(at(9), c.key_curve).bind(at(10), static_cast<std::int64_t>(c.key_bits));
    insert.bind(at(11), c.signature_algorithm).bind(at(12), static_cast<std::int64_t>(c.is_ca));
    insert.bind(at(13), c.path_length ? std::optional<std::int64_t>(*c.path_length) : std::nullopt);
    insert.bind(at(14), static_cast<std::int64_t>(c.self_issued)).bind(at(15), static_cast<std::int64_t>(c.self_signed));
    insert.bind(at(16), c.subject_key_id).bind(at(17), c.authority_key_id);
    insert.bind(at(18), json_list(c.dns_names)).bind(at(19), json_list(c.ip_addresses)).bind(at(20), json_list(c.uris));
    insert.bind(at(21), json_list(c.emails)).bind(at(22), json_list(c.key_usage));
    insert.bind(at(23), json_list(c.ext_key_usage)).bind_blob(at(24), der).bind(at(25), scan);
}

}  // namespace

Statement& SqlInventory::generated_statement(const std::string& sql) {
    auto it = generated_statements_.find(sql);
    if (it == generated_statements_.end())
        it = generated_statements_.emplace(sql, std::make_unique<Statement>(db_, sql)).first;
    return *it->second;
}

void SqlInventory::resolve_certificates(ScanId scan, const std::vector<CertificateRef>& seen) {
    certificate_ids_.clear();
    std::vector<const CertificateRef*> wanted;
    {
        std::unordered_set<std::string_view> distinct;
        for (const auto& ref : seen)
            if (distinct.insert(ref.cert->sha256).second) wanted.push_back(&ref);
    }
    // An equality per certificate on SQLite. On PostgreSQL such a UNION ALL cost ~2 ms per 64 to start and stop
    // its scans, more than the look-ups: there one index scan takes a chunk's sha256 values as an array, planned
    // for each run with the table's size then (a plan made for the first batches of a new inventory would read
    // the grown table whole for each chunk).
    if (db_.dialect() == SqlDialect::postgresql) exec("SET LOCAL plan_cache_mode = force_custom_plan");
    const auto read_stored = [&](const std::vector<const CertificateRef*>& refs) {
        if (db_.dialect() == SqlDialect::postgresql) {
            auto& select = statement("SELECT id, sha256 FROM certificates WHERE sha256 = ANY(?::TEXT[])");
            for (std::size_t first = 0; first < refs.size(); first += kArrayChunk) {
                const std::size_t count = std::min(refs.size() - first, kArrayChunk);
                select.bind(1, array_literal(count, [&](std::size_t i) -> const std::string& {
                                return refs[first + i]->cert->sha256;
                            }));
                while (select.step()) certificate_ids_.emplace(select.text(1), select.integer(0));
            }
            return;
        }
        for_each_chunk(refs.size(), [&](std::size_t first, std::size_t count) {
            auto& select = generated_statement(union_of("SELECT id, sha256 FROM certificates WHERE sha256 = ?", count));
            for (std::size_t i = 0; i < count; ++i) select.bind_unowned(static_cast<int>(i + 1), refs[first + i]->cert->sha256);
            while (select.step()) certificate_ids_.emplace(select.text(1), select.integer(0));
        });
    };
    const auto not_yet_known = [&](const std::vector<const CertificateRef*>& refs) {
        std::vector<const CertificateRef*> out;
        for (const auto* ref : refs)
            if (!certificate_ids_.contains(ref->cert->sha256)) out.push_back(ref);
        return out;
    };

    read_stored(wanted);
    // In one order for every writer: two inserting the same new certificates wait for each other, never deadlock.
    auto missing = not_yet_known(wanted);
    std::sort(missing.begin(), missing.end(),
              [](const CertificateRef* a, const CertificateRef* b) { return a->cert->sha256 < b->cert->sha256; });
    const std::string value_row = parameters(kCertificateValues);
    for_each_chunk(missing.size(), [&](std::size_t first, std::size_t count) {
        auto& insert = generated_statement(std::string(kInsertCertificates) + rows_of(value_row, count) +
                                           " ON CONFLICT DO NOTHING RETURNING id, sha256");
        for (std::size_t i = 0; i < count; ++i)
            bind_certificate(insert, static_cast<int>(i) * kCertificateValues, scan, *missing[i + first]->cert,
                             **missing[i + first]->der);
        while (insert.step()) certificate_ids_.emplace(insert.text(1), insert.integer(0));
    });
    // New here: each may have issued certificates still to come, and may have been issued by one stored.
    for (const auto* ref : missing)
        if (certificate_ids_.contains(ref->cert->sha256)) issuer_candidates_.erase(ref->cert->subject);
    for (const auto* ref : missing) {
        const auto it = certificate_ids_.find(ref->cert->sha256);
        if (it != certificate_ids_.end() && !ref->cert->self_issued) ask_who_issued(it->second, *ref->cert, *ref->der);
    }
    // Stored by another writer between the look-up and the insert: that scan's, concluded with it.
    const auto raced = not_yet_known(missing);
    read_stored(raced);
    if (!not_yet_known(raced).empty()) throw InventoryError("a certificate another writer stored could not be read back");
}

std::unordered_map<std::int64_t, std::pair<std::string, Bytes>> SqlInventory::certificate_ders(std::vector<std::int64_t> ids) {
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    std::unordered_map<std::int64_t, std::pair<std::string, Bytes>> out;
    for_each_chunk(ids.size(), [&](std::size_t first, std::size_t count) {
        auto& select = generated_statement(union_of("SELECT id, sha256, der FROM certificates WHERE id = ?", count));
        for (std::size_t i = 0; i < count; ++i) select.bind(static_cast<int>(i + 1), ids[first + i]);
        while (select.step()) out.emplace(select.integer(0), std::pair{select.text(1), select.blob(2)});
    });
    return out;
}

// A batch's certificates stored before its rows, the new ones committed on their own: a writer that meets one of
// them too (a certificate copied to many hosts reaches many scanners at once) waits for this short transaction,
// not for a whole batch. The batch's transaction reads them again if a rollback made this writer forget them.
void SqlInventory::store_certificates(ScanId scan, const std::vector<CertificateRef>& seen) {
    in_transaction([&] { resolve_certificates(scan, seen); });
}

// The ids of these keys' rows in `ids` (by key_text), each looked up, or else stored. One equality on the whole
// unique key per row, not `path IN (...)`: before the table has statistics (a new server inventory's first scan)
// PostgreSQL would read every place of the host for each chunk. On PostgreSQL the keys go as arrays instead.
void SqlInventory::resolve_keys(const KeyedTable& table, const std::vector<std::vector<BulkInsert::Value>>& keys,
                                std::unordered_map<std::string, std::int64_t>& ids) {
    ids.clear();
    struct Wanted {
        const std::vector<BulkInsert::Value>* values;
        std::string key;
    };
    std::vector<Wanted> wanted;
    {
        std::unordered_set<std::string> distinct;
        for (const auto& values : keys) {
            Wanted one{&values, key_text(values)};
            if (distinct.insert(one.key).second) wanted.push_back(std::move(one));
        }
    }
    const auto bind_keys = [&](Statement& statement, const std::vector<const Wanted*>& rows, std::size_t first,
                               std::size_t count) {
        for (std::size_t i = 0; i < count; ++i)
            for (std::size_t c = 0; c < table.key_columns; ++c)
                bind_value(statement, static_cast<int>(i * table.key_columns + c + 1), (*rows[first + i]->values)[c]);
    };
    const auto read_stored = [&](const std::vector<const Wanted*>& rows) {
        if (db_.dialect() == SqlDialect::postgresql) {
            auto& select = statement(table.select_arrays);
            for (std::size_t first = 0; first < rows.size(); first += kArrayChunk) {
                const std::size_t count = std::min(rows.size() - first, kArrayChunk);
                for (std::size_t c = 0; c < table.key_columns; ++c)
                    select.bind(static_cast<int>(c + 1), array_literal(count, [&](std::size_t i) -> const BulkInsert::Value& {
                                    return (*rows[first + i]->values)[c];
                                }));
                while (select.step()) ids.emplace(key_text(select, table.key_columns), select.integer(0));
            }
            return;
        }
        for_each_chunk(rows.size(), [&](std::size_t first, std::size_t count) {
            auto& select = generated_statement(union_of(table.select_one, count));
            bind_keys(select, rows, first, count);
            while (select.step()) ids.emplace(key_text(select, table.key_columns), select.integer(0));
        });
    };
    const auto not_yet_known = [&](const std::vector<const Wanted*>& rows) {
        std::vector<const Wanted*> out;
        for (const auto* row : rows)
            if (!ids.contains(row->key)) out.push_back(row);
        return out;
    };

    std::vector<const Wanted*> all;
    for (const auto& row : wanted) all.push_back(&row);
    read_stored(all);
    const auto missing = not_yet_known(all);
    for_each_chunk(missing.size(), [&](std::size_t first, std::size_t count) {
        auto& insert =
            generated_statement(std::string(table.insert) + rows_of(table.row, count) + table.returning);
        bind_keys(insert, missing, first, count);
        while (insert.step()) ids.emplace(key_text(insert, table.key_columns), insert.integer(0));
    });
    // Stored by another writer between the look-up and the insert.
    const auto raced = not_yet_known(missing);
    read_stored(raced);
    if (!not_yet_known(raced).empty()) throw InventoryError("a row another writer stored could not be read back");
}

void SqlInventory::resolve_places(const std::vector<FileObservations>& batch) {
    std::vector<std::vector<BulkInsert::Value>> keys;
    for (const auto& observations : batch) {
        for (const auto& sighting : observations.certificates)
            keys.push_back(file_place_key(file_host_, sighting.location.path, sighting.location.format));
        for (const auto& key : observations.keys) keys.push_back(file_place_key(file_host_, key.path, key.format));
    }
    resolve_keys(kFilePlaces, keys, place_ids_);
}

void SqlInventory::resolve_endpoints(const std::vector<EndpointObservationRecord>& batch) {
    std::vector<std::vector<BulkInsert::Value>> keys;
    for (const auto& record : batch) keys.push_back(endpoint_key(record.facts));
    resolve_keys(kEndpoints, keys, endpoint_ids_);
}

std::int64_t SqlInventory::certificate_id(const CertInfo& c) const {
    const auto it = certificate_ids_.find(c.sha256);
    if (it == certificate_ids_.end()) throw InventoryError("certificate " + c.sha256 + " was not resolved for its batch");
    return it->second;
}

std::int64_t SqlInventory::location_id(const std::string& path, SourceFormat format) const {
    const auto it = place_ids_.find(key_text(file_place_key(file_host_, path, format)));
    if (it == place_ids_.end()) throw InventoryError(path + " was not resolved for its batch");
    return it->second;
}

std::int64_t SqlInventory::endpoint_id(const EndpointFacts& f) const {
    const auto it = endpoint_ids_.find(key_text(endpoint_key(f)));
    if (it == endpoint_ids_.end()) throw InventoryError(f.address + " was not resolved for its batch");
    return it->second;
}

}  // namespace certfleet::inventory
