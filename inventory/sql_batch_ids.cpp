// The ids of the certificates and file places a batch names, looked up and stored many to a statement before
// its rows are written. On a server every statement is a round trip: one per certificate and per place was most
// of a scan's writing time there, and on SQLite a statement per key costs more than one per chunk of them.
#include <string_view>
#include <unordered_set>

#include "inventory/sql_inventory.hpp"

namespace certfleet::inventory {

namespace {

// Keys go to the store in chunks of these sizes, the largest that fits first, so four statements of each kind
// serve any batch and none is padded.
constexpr std::array<std::size_t, 4> kChunkSizes{64, 16, 4, 1};

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

std::string place_key(std::string_view path, std::string_view format) {
    std::string key(path);
    key += '\0';  // never in a path
    key += format;
    return key;
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
    // An equality per certificate, not `sha256 IN (...)`: before the table has statistics (a new server
    // inventory's first scan) PostgreSQL planned the list as a read of the whole table, once per chunk.
    const auto read_stored = [&](const std::vector<const CertificateRef*>& refs) {
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
    const auto missing = not_yet_known(wanted);
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

void SqlInventory::resolve_places(const std::vector<FileObservations>& batch) {
    place_ids_.clear();
    struct Place {
        const std::string* path;
        std::string format;
        std::string key;
    };
    std::vector<Place> wanted;
    {
        std::unordered_set<std::string> distinct;
        const auto want = [&](const std::string& path, SourceFormat format) {
            Place place{&path, std::string(to_string(format)), {}};
            place.key = place_key(path, place.format);
            if (distinct.insert(place.key).second) wanted.push_back(std::move(place));
        };
        for (const auto& observations : batch) {
            for (const auto& sighting : observations.certificates) want(sighting.location.path, sighting.location.format);
            for (const auto& key : observations.keys) want(key.path, key.format);
        }
    }
    // One equality on the whole unique key per place, not `path IN (...)`: before the table has statistics (a
    // new server inventory's first scan) PostgreSQL would read every place of the host for each chunk.
    const auto read_stored = [&](const std::vector<const Place*>& places) {
        for_each_chunk(places.size(), [&](std::size_t first, std::size_t count) {
            auto& select = generated_statement(union_of(
                "SELECT id, path, format FROM locations WHERE host = ?1 AND kind = 'file' AND path = ? AND format = ?",
                count));
            select.bind_unowned(1, file_host_);
            for (std::size_t i = 0; i < count; ++i) {
                const auto at = static_cast<int>(2 * i);
                select.bind_unowned(at + 2, *places[first + i]->path).bind_unowned(at + 3, places[first + i]->format);
            }
            while (select.step()) place_ids_.emplace(place_key(select.text(1), select.text(2)), select.integer(0));
        });
    };
    const auto not_yet_known = [&](const std::vector<const Place*>& places) {
        std::vector<const Place*> out;
        for (const auto* place : places)
            if (!place_ids_.contains(place->key)) out.push_back(place);
        return out;
    };

    std::vector<const Place*> all;
    for (const auto& place : wanted) all.push_back(&place);
    read_stored(all);
    const auto missing = not_yet_known(all);
    for_each_chunk(missing.size(), [&](std::size_t first, std::size_t count) {
        auto& insert = generated_statement("INSERT INTO locations (host, kind, path, format) VALUES " +
                                           rows_of("?, 'file', ?, ?", count) +
                                           " ON CONFLICT DO NOTHING RETURNING id, path, format");
        for (std::size_t i = 0; i < count; ++i) {
            const auto at = static_cast<int>(3 * i);
            insert.bind_unowned(at + 1, file_host_).bind_unowned(at + 2, *missing[first + i]->path);
            insert.bind_unowned(at + 3, missing[first + i]->format);
        }
        while (insert.step()) place_ids_.emplace(place_key(insert.text(1), insert.text(2)), insert.integer(0));
    });
    const auto raced = not_yet_known(missing);
    read_stored(raced);
    if (!not_yet_known(raced).empty()) throw InventoryError("a place another writer stored could not be read back");
}

std::int64_t SqlInventory::certificate_id(const CertInfo& c) const {
    const auto it = certificate_ids_.find(c.sha256);
    if (it == certificate_ids_.end()) throw InventoryError("certificate " + c.sha256 + " was not resolved for its batch");
    return it->second;
}

std::int64_t SqlInventory::location_id(const std::string& path, SourceFormat format) const {
    const auto it = place_ids_.find(place_key(path, to_string(format)));
    if (it == place_ids_.end()) throw InventoryError(path + " was not resolved for its batch");
    return it->second;
}

}  // namespace certfleet::inventory
