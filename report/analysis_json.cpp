#include "core/encoding.hpp"
#include "report/analysis_report.hpp"
#include "report/json_support.hpp"

namespace certfleet::report {

namespace {

using namespace inventory;

template <class Item, class ToJson>
ordered_json array_of(const std::vector<Item>& items, ToJson to_json) {
    ordered_json array = ordered_json::array();
    for (const auto& item : items) array.push_back(to_json(item));
    return array;
}

ordered_json place_json(const Place& p) {
    ordered_json json{{"kind", to_string(p.kind)}, {"display", p.display()}};
    if (p.kind == Place::Kind::file) {
        json["path"] = p.path;
        add_exact_bytes(json, "path");
        json["host"] = p.host;
        json["format"] = to_string(p.format);
    } else {
        json["host"] = p.host;
        json["address"] = optional_text(p.address);
        json["port"] = p.port;
        json["server_name"] = optional_text(p.server_name);
        json["site"] = optional_text(p.site);
    }
    json["position"] = p.position;
    json["trust_anchor"] = p.trust_anchor;
    json["system_store"] = p.system_store;
    return json;
}

ordered_json place_seen_json(const PlaceSeen& seen) {
    return ordered_json{{"place", place_json(seen.place)},
                        {"first_seen", format_rfc3339(seen.first_seen)},
                        {"last_seen", format_rfc3339(seen.last_seen)},
                        {"last_scan", seen.last_scan},
                        {"labels", labels_json(seen.labels)}};
}

ordered_json scan_record_json(const ScanRecord& scan) {
    ordered_json json = scan_header_json(scan);
    json["counts"] = ordered_json{{"files_walked", scan.counts.files_walked},
                                  {"files_skipped", scan.counts.files_skipped},
                                  {"certificates_seen", scan.counts.certificates_seen},
                                  {"keys_seen", scan.counts.keys_seen},
                                  {"errors", scan.counts.errors},
                                  {"notes", scan.counts.notes}};
    return json;
}

ordered_json rotation_json(const Rotation& r) {
    return ordered_json{{"place", place_json(r.place)},   {"from_scan", r.from_scan},
                        {"to_scan", r.to_scan},           {"at", format_rfc3339(r.at)},
                        {"old_sha256", r.old_sha256},     {"new_sha256", r.new_sha256},
                        {"key_changed", r.key_changed}};
}

class AnalysisJsonWriter final : public AnalysisWriter {
public:
    explicit AnalysisJsonWriter(const ReportContext& context) : context_(context) {}

    void scans(const std::vector<ScanRecord>& scans, std::ostream& out) const override {
        print("scans", array_of(scans, scan_record_json), out);
    }

    void runs(const std::vector<inventory::RunSummary>& runs, std::ostream& out) const override {
        print("runs", array_of(runs, run_json), out);
    }

    void certificates(const std::vector<CertificateSummary>& certificates, std::ostream& out) const override {
        print("certificates", summaries_json(certificates), out);
    }

    void certificate(const CertificateReport& report, std::ostream& out) const override {
        const CertificateDetail& d = report.detail;
        ordered_json related = ordered_json::object();
        for (const auto& [sha256, summary] : report.related) related[sha256] = summary_json(summary);
        ordered_json path{{"chain", d.path.chain},
                          {"anchor", d.path.anchor ? ordered_json(*d.path.anchor) : ordered_json()},
                          {"stores", d.path.stores}};
        add_exact_bytes(path, "stores");
        print("certificate",
              ordered_json{{"summary", summary_json(d.summary)},
                           {"places", array_of(d.places, place_seen_json)},
                           {"issuers", d.issuers},
                           {"issued", d.issued},
                           {"path", path},
                           {"same_key", d.same_key},
                           {"key_files", array_of(d.key_files, place_json)},
                           {"related", related}},
              out);
    }

    void endpoints(const std::vector<EndpointSummary>& endpoints, std::ostream& out) const override {
        print("endpoints", array_of(endpoints, [](const EndpointSummary& e) {
                  ordered_json json = endpoint_facts_json(e.facts, e.chain);
                  json["scan"] = e.scan;
                  json["observed_at"] = format_rfc3339(e.observed_at);
                  json["labels"] = labels_json(e.labels);
                  json["state"] = to_string(e.state);
                  if (e.state == inventory::PlaceState::unseen) {
                      json["unseen_reason"] = e.state_reason;
                      json["unseen_since"] = format_rfc3339(e.unseen_since);
                  }
                  return json;
              }),
              out);
    }

    void shared(const std::vector<SharedCertificate>& shared, std::ostream& out) const override {
        print("shared", array_of(shared, [&](const SharedCertificate& s) {
                  ordered_json split = ordered_json::object();
                  for (const auto& [key, values] : s.split) split[key] = values;
                  return ordered_json{{"summary", summary_json(s.summary)},
                                      {"places", array_of(s.places, place_seen_json)},
                                      {"split", split}};
              }),
              out);
    }

    void reused_keys(const std::vector<ReusedKey>& keys, std::ostream& out) const override {
        print("reused_keys", array_of(keys, [&](const ReusedKey& k) {
                  return ordered_json{{"spki_sha256", k.spki_sha256},
                                      {"certificates", summaries_json(k.certificates)},
                                      {"key_files", array_of(k.key_files, place_json)}};
              }),
              out);
    }

    void anchors(const std::vector<AnchorSummary>& anchors, std::ostream& out) const override {
        print("anchors", array_of(anchors, [&](const AnchorSummary& a) {
                  ordered_json json{{"summary", summary_json(a.summary)}, {"stores", a.stores},
                                    {"missing_from", a.missing_from},     {"issues_live", a.issues_live},
                                    {"pinned_leaf", a.pinned_leaf},       {"stale", a.stale},
                                    {"system_store", a.system_store}};
                  add_exact_bytes(json, "stores");
                  add_exact_bytes(json, "missing_from");
                  return json;
              }),
              out);
    }

    void client_trust(const ClientTrust& trust, std::ostream& out) const override {
        const auto service_json = [](const EndpointSummary& e) { return endpoint_facts_json(e.facts, e.chain); };
        ordered_json json{{"services", array_of(trust.services, service_json)},
                          {"cas", array_of(trust.cas, [&](const ClientCa& ca) {
                               return ordered_json{{"name", ca.name},
                                                   {"certificates", summaries_json(ca.known)},
                                                   {"services", array_of(ca.services, service_json)}};
                           })}};
        print("client_trust", json, out);
    }

    void stores(const std::vector<TrustStore>& stores, std::ostream& out) const override {
        print("stores", array_of(stores, [&](const TrustStore& s) {
                  return ordered_json{{"place", place_json(s.place)},
                                      {"last_seen", format_rfc3339(s.last_seen)},
                                      {"anchors", summaries_json(s.anchors)},
                                      {"system_store", s.system_store}};
              }),
              out);
    }

    void history(const CertificateHistory& history, std::ostream& out) const override {
        print("history",
              ordered_json{{"summary", summary_json(history.summary)},
                           {"scans", array_of(history.scans, [](const HistoryEntry& e) {
                                return ordered_json{{"scan", e.scan}, {"at", format_rfc3339(e.at)}, {"places", e.places}};
                            })},
                           {"places", array_of(history.places, place_seen_json)},
                           {"rotations", array_of(history.rotations, rotation_json)}},
              out);
    }

    void diff(const ScanDiff& diff, std::ostream& out) const override {
        print("diff",
              ordered_json{{"from", scan_record_json(diff.from)},
                           {"to", scan_record_json(diff.to)},
                           {"new_certificates", summaries_json(diff.new_certificates)},
                           {"gone_certificates", summaries_json(diff.gone_certificates)},
                           {"new_places", array_of(diff.new_places, place_seen_json)},
                           {"gone_places", array_of(diff.gone_places, place_seen_json)},
                           {"rotated", array_of(diff.rotated, rotation_json)},
                           {"changed_verdicts", array_of(diff.changed_verdicts, [](const ScanDiff::VerdictChange& v) {
                                return ordered_json{{"place", place_json(v.place)},
                                                    {"sha256", v.sha256},
                                                    {"old_verdict", v.old_verdict},
                                                    {"new_verdict", v.new_verdict}};
                            })}},
              out);
    }

private:
    // A certificate summary is the report's certificate facts (the CertInfo flattened in) and where and when the
    // view saw it.
    ordered_json summary_json(const CertificateSummary& s) const {
        ordered_json json = certificate_facts_json(s.cert, context_.now);
        json["first_seen"] = format_rfc3339(s.first_seen);
        json["last_seen"] = format_rfc3339(s.last_seen);
        json["places"] = s.places;
        return json;
    }

    ordered_json summaries_json(const std::vector<CertificateSummary>& summaries) const {
        return array_of(summaries, [&](const CertificateSummary& s) { return summary_json(s); });
    }

    // Every answer is one object: when it was generated, and the answer under its name.
    void print(const char* name, ordered_json answer, std::ostream& out) const {
        print_json(ordered_json{{"generated_at", format_rfc3339(context_.now)}, {name, std::move(answer)}}, out);
    }

    ReportContext context_;
};

}  // namespace

std::unique_ptr<AnalysisWriter> make_analysis_json_writer(const ReportContext& context) {
    return std::make_unique<AnalysisJsonWriter>(context);
}

}  // namespace certfleet::report
