#include "report/json_writer.hpp"

#include "core/encoding.hpp"
#include "report/json_support.hpp"
#include "report/model_support.hpp"

namespace certfleet::report {

namespace {

// Endpoints by status: every status appears, with 0 when none had it.
ordered_json endpoint_counts(const inventory::ScanContents& contents) {
    ordered_json counts{{"total", contents.endpoints.size()}};
    for (const auto& [status, count] : endpoints_by_status(contents.endpoints)) counts[status] = count;
    return counts;
}

ordered_json scan_json(const inventory::ScanContents& contents) {
    const auto& scan = contents.scan;
    ordered_json json = scan_header_json(scan);
    json["files_walked"] = scan.counts.files_walked;
    json["files_skipped"] = scan.counts.files_skipped;
    json["certificates_seen"] = scan.counts.certificates_seen;
    json["distinct_certificates"] = contents.distinct_certificates();
    json["keys_seen"] = scan.counts.keys_seen;
    json["errors"] = scan.counts.errors;
    json["notes"] = scan.counts.notes;
    json["endpoints"] = endpoint_counts(contents);
    return json;
}

ordered_json certificate_json(const inventory::StoredCertificate& stored, UnixTime now) {
    ordered_json sightings = ordered_json::array();
    for (const auto& s : stored.sightings) {
        ordered_json sighting{{"kind", to_string(inventory::Place::Kind::file)},
                              {"path", s.location.path},
                              {"host", s.host},
                              {"format", to_string(s.location.format)},
                              {"index", s.location.index},
                              {"system_store", s.system_store},
                              {"with_private_key", s.with_private_key},
                              {"labels", labels_json(s.labels)}};
        add_exact_bytes(sighting, "path");
        sightings.push_back(std::move(sighting));
    }
    for (const auto& e : stored.endpoint_sightings) {
        sightings.push_back(ordered_json{{"kind", to_string(inventory::Place::Kind::endpoint)},
                                         {"host", e.host},
                                         {"address", e.address},
                                         {"port", e.port},
                                         {"server_name", optional_text(e.server_name)},
                                         {"site", optional_text(e.site)},
                                         {"chain_position", e.chain_position},
                                         {"labels", labels_json(e.labels)}});
    }
    ordered_json json = certificate_facts_json(stored.cert, now);
    json["first_seen"] = format_rfc3339(stored.first_seen);
    json["last_seen"] = format_rfc3339(stored.last_seen);
    json["shared"] = ordered_json{{"locations", location_count(stored)}};
    json["sightings"] = sightings;
    return json;
}

ordered_json key_file_json(const std::string& path, SourceFormat format) {
    ordered_json json{{"path", path}, {"format", to_string(format)}};
    add_exact_bytes(json, "path");
    return json;
}

ordered_json key_json(const inventory::StoredKey& key) {
    ordered_json paths = ordered_json::array();
    ordered_json locations = ordered_json::array();
    for (const auto& l : key.locations) {
        paths.push_back(l.path);
        locations.push_back(key_file_json(l.path, l.format));
    }
    ordered_json json{{"spki_sha256", key.spki_sha256 ? ordered_json(*key.spki_sha256) : ordered_json()},
                      {"state", to_string(key.state)},
                      {"paths", paths},
                      {"locations", locations}};
    add_exact_bytes(json, "paths");
    return json;
}

ordered_json reused_key_json(const inventory::ReusedKey& key) {
    ordered_json certificates = ordered_json::array();
    for (const auto& c : key.certificates) certificates.push_back(c.cert.sha256);
    ordered_json key_files = ordered_json::array();
    for (const auto& f : key.key_files) key_files.push_back(key_file_json(f.path, f.format));
    return ordered_json{{"spki_sha256", key.spki_sha256}, {"certificates", certificates}, {"key_files", key_files}};
}

ordered_json anchor_json(const inventory::AnchorSummary& anchor) {
    const CertInfo& c = anchor.summary.cert;
    ordered_json json{{"sha256", c.sha256},
                      {"subject", c.subject},
                      {"not_after", format_rfc3339(c.not_after)},
                      {"stores", anchor.stores},
                      {"issues_live", anchor.issues_live},
                      {"pinned_leaf", anchor.pinned_leaf},
                      {"stale", anchor.stale},
                      {"missing_from", anchor.missing_from},
                      {"system_store", anchor.system_store}};
    add_exact_bytes(json, "stores");
    add_exact_bytes(json, "missing_from");
    return json;
}

ordered_json event_json(const ScanEvent& e) {
    ordered_json json{{"location", e.location}, {"reason", e.reason}, {"detail", e.detail}};
    add_exact_bytes(json, "location");
    return json;
}

}  // namespace

void JsonWriter::write(const ReportModel& model, const ReportContext& context, std::ostream& out) const {
    const auto& contents = model.contents;
    ordered_json certificates = ordered_json::array();
    for (const auto& c : contents.certificates) certificates.push_back(certificate_json(c, context.now));
    ordered_json keys = ordered_json::array();
    for (const auto& k : contents.keys) keys.push_back(key_json(k));
    ordered_json errors = ordered_json::array();
    ordered_json notes = ordered_json::array();
    for (const auto& e : contents.events) (e.level == EventLevel::error ? errors : notes).push_back(event_json(e));
    ordered_json endpoints = ordered_json::array();
    for (const auto& e : contents.endpoints) endpoints.push_back(endpoint_facts_json(e.facts, e.chain));
    ordered_json reused_keys = ordered_json::array();
    for (const auto& k : model.reused_keys) reused_keys.push_back(reused_key_json(k));
    ordered_json anchors = ordered_json::array();
    for (const auto& a : model.anchors) anchors.push_back(anchor_json(a));
    ordered_json findings = ordered_json::array();
    for (const auto& f : contents.findings) findings.push_back(finding_json(f, FindingSubject::omitted));

    ordered_json doc{
                   {"schema", 1},
                   {"generated_at", format_rfc3339(context.now)},
                   {"scope", contents.run ? "run" : contents.scope == inventory::ContentsScope::view ? "view" : "scan"},
                   {"scan", scan_json(contents)},
                   {"certificates", certificates},
                   {"endpoints", endpoints},
                   {"keys", keys},
                   {"reused_keys", reused_keys},
                   {"anchors", anchors},
                   {"errors", errors},
                   {"notes", notes},
                   {"findings", findings},
                   {"coverage", coverage_json(model.coverage)},
               };
    if (contents.run) doc["run"] = run_json(*contents.run);
    print_json(doc, out);
}

}  // namespace certfleet::report
