#include "report/json_writer.hpp"

#include <algorithm>
#include <set>
#include <tuple>
#include <nlohmann/json.hpp>

#include "core/encoding.hpp"

namespace certfleet::report {

namespace {

using nlohmann::ordered_json;

ordered_json optional_time(const std::optional<UnixTime>& t) { return t ? ordered_json(format_rfc3339(*t)) : ordered_json(); }
ordered_json optional_text(const std::string& s) { return s.empty() ? ordered_json() : ordered_json(s); }

ordered_json parameters(const std::string& text) {
    auto parsed = ordered_json::parse(text, nullptr, false);
    return parsed.is_discarded() ? ordered_json::object() : parsed;
}

// Endpoints by status: every status appears, with 0 when none had it.
ordered_json endpoint_counts(const inventory::ScanContents& contents) {
    ordered_json counts{{"total", contents.endpoints.size()}};
    for (const char* status : {"tls", "closed", "timeout", "not-tls", "handshake-failed", "unresolved"}) {
        counts[status] = std::count_if(contents.endpoints.begin(), contents.endpoints.end(),
                                       [&](const inventory::StoredEndpoint& e) { return e.facts.status == status; });
    }
    return counts;
}

ordered_json scan_json(const inventory::ScanContents& contents) {
    const auto& scan = contents.scan;
    return ordered_json{
        {"id", scan.id},
        {"kind", scan.kind},
        {"status", inventory::to_string(scan.status)},
        {"started_at", format_rfc3339(scan.started_at)},
        {"finished_at", optional_time(scan.finished_at)},
        {"parameters", parameters(scan.parameters_json)},
        {"files_walked", scan.counts.files_walked},
        {"files_skipped", scan.counts.files_skipped},
        {"certificates_seen", scan.counts.certificates_seen},
        {"distinct_certificates", contents.distinct_certificates()},
        {"keys_seen", scan.counts.keys_seen},
        {"errors", scan.counts.errors},
        {"notes", scan.counts.notes},
        {"endpoints", endpoint_counts(contents)},
    };
}

// Where a certificate is, counted as places that would each need the replacement: files by path, endpoints by
// (host, port, server name). A bundle holding it twice is still one place.
std::size_t distinct_locations(const inventory::StoredCertificate& stored) {
    std::set<std::string> files;
    std::set<std::tuple<std::string, std::uint16_t, std::string>> endpoints;
    for (const auto& s : stored.sightings) files.insert(s.location.path);
    for (const auto& e : stored.endpoint_sightings) endpoints.emplace(e.host, e.port, e.server_name);
    return files.size() + endpoints.size();
}

ordered_json certificate_json(const inventory::StoredCertificate& stored, UnixTime now) {
    const CertInfo& c = stored.cert;
    const Validity v = validity_at(c, now);
    ordered_json sightings = ordered_json::array();
    for (const auto& s : stored.sightings) {
        sightings.push_back(ordered_json{{"kind", "file"},
                                         {"path", s.location.path},
                                         {"format", to_string(s.location.format)},
                                         {"index", s.location.index}});
    }
    for (const auto& e : stored.endpoint_sightings) {
        sightings.push_back(ordered_json{{"kind", "endpoint"},
                                         {"host", e.host},
                                         {"address", e.address},
                                         {"port", e.port},
                                         {"server_name", optional_text(e.server_name)},
                                         {"chain_position", e.chain_position}});
    }
    return ordered_json{
        {"sha256", c.sha256},
        {"spki_sha256", c.spki_sha256},
        {"subject", c.subject},
        {"issuer", c.issuer},
        {"serial", c.serial},
        {"not_before", format_rfc3339(c.not_before)},
        {"not_after", format_rfc3339(c.not_after)},
        {"days_left", v.days_left},
        {"expired", v.expired},
        {"not_yet_valid", v.not_yet_valid},
        {"self_signed", c.self_signed},
        {"self_issued", c.self_issued},
        {"is_ca", c.is_ca},
        {"path_length", c.path_length ? ordered_json(*c.path_length) : ordered_json()},
        {"key_type", c.key_type},
        {"key_curve", optional_text(c.key_curve)},
        {"key_bits", c.key_bits},
        {"signature_algorithm", c.signature_algorithm},
        {"dns_names", c.dns_names},
        {"ip_addresses", c.ip_addresses},
        {"uris", c.uris},
        {"emails", c.emails},
        {"key_usage", c.key_usage},
        {"ext_key_usage", c.ext_key_usage},
        {"subject_key_id", optional_text(c.subject_key_id)},
        {"authority_key_id", optional_text(c.authority_key_id)},
        {"first_seen", format_rfc3339(stored.first_seen)},
        {"last_seen", format_rfc3339(stored.last_seen)},
        {"shared", ordered_json{{"locations", distinct_locations(stored)}}},
        {"sightings", sightings},
    };
}

ordered_json key_json(const inventory::StoredKey& key) {
    ordered_json paths = ordered_json::array();
    ordered_json locations = ordered_json::array();
    for (const auto& l : key.locations) {
        paths.push_back(l.path);
        locations.push_back(ordered_json{{"path", l.path}, {"format", to_string(l.format)}});
    }
    return ordered_json{{"spki_sha256", key.spki_sha256 ? ordered_json(*key.spki_sha256) : ordered_json()},
                        {"state", to_string(key.state)},
                        {"paths", paths},
                        {"locations", locations}};
}

ordered_json endpoint_json(const inventory::StoredEndpoint& endpoint) {
    const EndpointFacts& f = endpoint.facts;
    const bool tls = f.status == "tls";
    auto when_tls = [&](ordered_json value) { return tls ? value : ordered_json(); };
    return ordered_json{
        {"host", f.host},
        {"address", optional_text(f.address)},
        {"port", f.port},
        {"server_name", optional_text(f.server_name)},
        {"status", f.status},
        {"detail", optional_text(f.detail)},
        {"starttls", f.starttls ? ordered_json(*f.starttls) : ordered_json()},
        {"tls_version", when_tls(f.tls_version)},
        {"cipher", when_tls(f.cipher)},
        {"ocsp_stapled", when_tls(f.ocsp_stapled)},
        {"chain", endpoint.chain},
        {"verified", when_tls(f.verified)},
        {"verify_error", when_tls(optional_text(f.verify_error))},
        {"verify_detail", when_tls(optional_text(f.verify_detail))},
        {"verify_errors", when_tls(f.verify_errors)},
        {"hostname_match", when_tls(f.hostname_match)},
        {"chain_trusted", when_tls(f.chain_trusted)},
        {"chain_order_correct", when_tls(f.order_correct)},
        {"root_included", when_tls(f.root_included)},
        {"intermediates_missing", when_tls(f.intermediates_missing)},
        {"earliest_expiry", f.earliest_expiry ? ordered_json(format_rfc3339(*f.earliest_expiry)) : ordered_json()},
        {"earliest_expiry_sha256", optional_text(f.earliest_expiry_sha256)},
        {"serves_default", when_tls(f.serves_default)},
        {"elapsed_ms", f.elapsed_ms},
    };
}

ordered_json event_json(const ScanEvent& e) {
    return ordered_json{{"location", e.location}, {"reason", e.reason}, {"detail", e.detail}};
}

}  // namespace

void JsonWriter::write(const inventory::ScanContents& contents, const ReportContext& context, std::ostream& out) const {
    ordered_json certificates = ordered_json::array();
    for (const auto& c : contents.certificates) certificates.push_back(certificate_json(c, context.now));
    ordered_json keys = ordered_json::array();
    for (const auto& k : contents.keys) keys.push_back(key_json(k));
    ordered_json errors = ordered_json::array();
    ordered_json notes = ordered_json::array();
    for (const auto& e : contents.events) (e.level == EventLevel::error ? errors : notes).push_back(event_json(e));
    ordered_json endpoints = ordered_json::array();
    for (const auto& e : contents.endpoints) endpoints.push_back(endpoint_json(e));

    const ordered_json document{
        {"schema", 1},
        {"generated_at", format_rfc3339(context.now)},
        {"scan", scan_json(contents)},
        {"certificates", certificates},
        {"endpoints", endpoints},
        {"keys", keys},
        {"errors", errors},
        {"notes", notes},
        {"findings", ordered_json::array()},
    };
    // Replace invalid UTF-8 (a file name is bytes, not text) rather than fail the whole report.
    out << document.dump(2, ' ', false, ordered_json::error_handler_t::replace) << '\n';
}

}  // namespace certfleet::report
