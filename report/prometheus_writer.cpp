#include "report/prometheus_writer.hpp"

#include <algorithm>
#include <cstdio>
#include <cctype>
#include <map>
#include <utility>

#include "core/algorithms.hpp"
#include "report/model_support.hpp"
#include "report/table_support.hpp"
#include "report/text_escape.hpp"
#include "rules/rules.hpp"

namespace certfleet::report {

namespace {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// Writes families one after the other, as the format requires: HELP and TYPE, then every sample of the family.
class Exposition {
public:
    explicit Exposition(std::ostream& out) : out_(out) {}

    void family(const std::string& name, const std::string& help) {
        name_ = name;
        out_ << "# HELP " << name << " " << help << "\n# TYPE " << name << " gauge\n";
    }

    // A label with an empty value is the same as no label to Prometheus, so it is left out.
    void sample(const MetricLabels& labels, std::int64_t value) { write_sample(labels, std::to_string(value)); }
    void sample_fraction(const MetricLabels& labels, double value) {
        char text[32];
        std::snprintf(text, sizeof text, "%.4g", value);
        write_sample(labels, text);
    }

private:
    void write_sample(const MetricLabels& labels, const std::string& value) {
        out_ << name_;
        char separator = '{';
        for (const auto& [label, text] : labels) {
            if (text.empty()) continue;
            out_ << separator << label << "=\"" << escaped(text) << '"';
            separator = ',';
        }
        out_ << (separator == '{' ? "" : "}") << ' ' << value << '\n';
    }

    // A label value is the text as visible_text shows it (UTF-8, no line feed or other control character), with
    // backslash and double quote escaped as the format requires.
    static std::string escaped(const std::string& text) {
        std::string out;
        for (char c : visible_text(text)) {
            if (c == '\\') out += "\\\\";
            else if (c == '"') out += "\\\"";
            else out += c;
        }
        return out;
    }

    std::ostream& out_;
    std::string name_;
};

// A label key (letters, digits, '_', '-', '.', '/') as a Prometheus label name ([a-zA-Z0-9_] after a letter).
std::string metric_label_name(const std::string& key) {
    std::string name = key;
    for (char& c : name)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return name;
}

// Labels naming one place: files by path and host, endpoints by host, port, server name and site where the scan
// named one (the place as distinct_places counts it, so no two places of a certificate share a label set); then
// the place's own labels as label_KEY (owner, env, ...), so alerts can be routed to the team that owns the place.
MetricLabels place_labels(const inventory::PlaceSeen& seen) {
    const auto& place = seen.place;
    const std::string kind = to_string(place.kind);
    MetricLabels labels = place.kind == inventory::Place::Kind::file
                              ? MetricLabels{{"kind", kind}, {"path", place.path}, {"host", place.host}}
                              : MetricLabels{{"kind", kind}, {"host", place.host}, {"port", std::to_string(place.port)},
                                             {"sni", place.server_name}};
    if (!place.site.empty()) labels.push_back({"site", place.site});
    for (const auto& label : seen.labels) labels.push_back({"label_" + metric_label_name(label.key), label.value});
    return labels;
}

MetricLabels joined(MetricLabels labels, const MetricLabels& more) {
    labels.insert(labels.end(), more.begin(), more.end());
    return labels;
}

void write_certificates(const ReportModel& model, const ReportContext& context, Exposition& metrics) {
    const AnchorStores anchors(model.anchors);
    struct Placed {
        const CertInfo* cert;
        MetricLabels labels;
    };
    std::vector<Placed> placed;
    for (const auto& stored : model.contents.certificates)
        for (const auto& place : distinct_places(sighting_places(stored, anchors)))
            placed.push_back({&stored.cert, joined({{"sha256", stored.cert.sha256}}, place_labels(place))});

    metrics.family("x509_cert_not_after", "Expiry of the certificate (not_after), in seconds since the epoch, per place.");
    for (const auto& p : placed) metrics.sample(p.labels, p.cert->not_after);
    metrics.family("x509_cert_not_before", "Start of the certificate's validity (not_before), in seconds since the epoch, per place.");
    for (const auto& p : placed) metrics.sample(p.labels, p.cert->not_before);
    metrics.family("x509_cert_expired", "1 when the certificate has expired at the time of the report, else 0, per place.");
    for (const auto& p : placed) metrics.sample(p.labels, validity_at(*p.cert, context.now).expired);

    metrics.family("x509_cert_lifetime_used_ratio",
                   "How much of the certificate's validity has passed at the time of the report, 0 to 1, per place: a "
                   "short-lived certificate whose renewal stalled shows here before its days left do.");
    for (const auto& p : placed) metrics.sample_fraction(p.labels, lifetime_used_percent(*p.cert, context.now) / 100.0);

    metrics.family("x509_cert_info", "Attributes of each certificate in the report; the value is always 1.");
    for (const auto& stored : model.contents.certificates) {
        const CertInfo& c = stored.cert;
        const AlgorithmJudgement key = judge_key(c);
        metrics.sample({{"sha256", c.sha256},
                        {"spki_sha256", c.spki_sha256},
                        {"serial", c.serial},
                        {"subject_cn", common_name(c.subject)},
                        {"issuer_cn", common_name(c.issuer)},
                        {"self_signed", to_string(self_signature(c))},
                        {"is_ca", true_false(c.is_ca)},
                        {"key_type", c.key_type},
                        {"key_bits", c.key_bits > 0 ? std::to_string(c.key_bits) : ""},
                        {"key_algorithm", key.name},
                        {"quantum_vulnerable", key.quantum_vulnerable ? true_false(*key.quantum_vulnerable) : ""},
                        {"security_bits", key.classical_bits > 0 ? std::to_string(key.classical_bits) : ""},
                        {"role", certificate_role(c, anchors.is_anchor(c.sha256))}},
                       1);
    }
    metrics.family("x509_cert_locations", "Places the certificate is at in the report (files by path, endpoints by host, "
                                          "port and server name): where a replacement must go.");
    for (const auto& stored : model.contents.certificates)
        metrics.sample({{"sha256", stored.cert.sha256}}, static_cast<std::int64_t>(location_count(stored)));
}

void write_keys(const ReportModel& model, Exposition& metrics) {
    metrics.family("x509_key_reuse_certificates", "Certificates sharing this public key, for keys in two or more "
                                                  "certificates or key files.");
    for (const auto& key : model.reused_keys)
        metrics.sample({{"spki_sha256", key.spki_sha256}}, static_cast<std::int64_t>(key.certificates.size()));
    metrics.family("x509_key_reuse_files", "Readable private key files holding this key, for the same keys.");
    for (const auto& key : model.reused_keys)
        metrics.sample({{"spki_sha256", key.spki_sha256}}, static_cast<std::int64_t>(key.key_files.size()));
}

void write_trust(const ReportModel& model, Exposition& metrics) {
    metrics.family("x509_trust_store_anchors", "Trust anchors each trust store in the report holds.");
    for (const auto& store : model.stores)
        metrics.sample(place_labels(inventory::PlaceSeen{store.place, 0, 0, 0, {}}), static_cast<std::int64_t>(store.anchors.size()));
    metrics.family("x509_trust_anchor_info", "A trust store holds this anchor; the value is always 1.");
    for (const auto& anchor : model.anchors)
        for (const auto& store : anchor.stores) metrics.sample({{"sha256", anchor.summary.cert.sha256}, {"store", store}}, 1);
    metrics.family("x509_trust_anchor_missing", "A trust store lacks this anchor although it issues live certificates; "
                                                "the value is always 1.");
    for (const auto& anchor : model.anchors)
        for (const auto& store : anchor.missing_from)
            metrics.sample({{"sha256", anchor.summary.cert.sha256}, {"store", store}}, 1);
    metrics.family("x509_trust_anchor_issues_live", "Unexpired certificates in use that chain up to this anchor.");
    for (const auto& anchor : model.anchors) metrics.sample({{"sha256", anchor.summary.cert.sha256}}, anchor.issues_live);
}

// Verdicts exist only for endpoints that completed a handshake; the others have a status and no verdict series.
void write_endpoints(const ReportModel& model, Exposition& metrics) {
    metrics.family("certfleet_endpoints", "Endpoints the scan probed, by the outcome of the probe.");
    for (const auto& [status, count] : endpoints_by_status(model.contents.endpoints))
        metrics.sample({{"status", status}}, count);
    std::vector<const EndpointFacts*> tls;
    for (const auto& e : model.contents.endpoints)
        if (e.facts.status == EndpointStatus::tls) tls.push_back(&e.facts);

    const auto endpoint = [](const EndpointFacts& f) {
        MetricLabels labels{{"host", f.host}, {"address", f.address}, {"port", std::to_string(f.port)}, {"sni", f.server_name}};
        if (!f.site.empty()) labels.push_back({"site", f.site});
        return labels;
    };
    metrics.family("x509_endpoint_verified", "1 when the endpoint's chain verified (trusted, valid, no name mismatch), else 0.");
    for (const auto* f : tls) metrics.sample(endpoint(*f), f->verdict.verified);
    metrics.family("x509_endpoint_hostname_match",
                   "0 when the endpoint's certificate does not cover the name it was checked against, else 1 (1 "
                   "also with no name to check: probed by address, no IP SANs).");
    for (const auto* f : tls) metrics.sample(endpoint(*f), f->verdict.hostname_match());
    metrics.family("x509_endpoint_chain_trusted", "1 when the endpoint's chain leads to a trusted anchor, else 0.");
    for (const auto* f : tls) metrics.sample(endpoint(*f), f->verdict.chain_trusted);
}

void write_scan(const ReportModel& model, Exposition& metrics) {
    const auto& contents = model.contents;
    metrics.family("certfleet_findings", "Findings of the rules over the scan, by severity.");
    for (auto entry = kSeverityNames.rbegin(); entry != kSeverityNames.rend(); ++entry) {  // most severe first
        metrics.sample({{"severity", entry->name}},
                       std::count_if(contents.findings.begin(), contents.findings.end(),
                                     [&](const Finding& f) { return f.severity == entry->value; }));
    }

    std::map<std::string, std::int64_t> errors_by_reason;
    std::int64_t errors = 0;
    for (const auto& e : contents.events) {
        if (e.level != EventLevel::error) continue;
        ++errors;
        ++errors_by_reason[e.reason];
    }
    metrics.family("x509_read_errors", "Inputs the scan could not read (files and containers).");
    metrics.sample({}, errors);
    metrics.family("certfleet_scan_errors", "Inputs the scan could not read, by reason.");
    for (const auto& [reason, count] : errors_by_reason) metrics.sample({{"reason", reason}}, count);

    metrics.family("certfleet_scan_id", "Id of the scan reported.");
    metrics.sample({}, contents.scan.id);
    metrics.family("certfleet_scan_start_timestamp_seconds", "When the scan reported started, in seconds since the epoch.");
    metrics.sample({}, contents.scan.started_at);
    // The latest scan up to this one that completed: an interrupted or failed scan is no success, and leaves the
    // series at the last one that was (absent when none was).
    std::optional<UnixTime> last_success;
    const auto consider = [&](const inventory::ScanRecord& scan) {
        if (scan.id <= contents.scan.id && scan.status == inventory::ScanStatus::complete && scan.finished_at &&
            (!last_success || *scan.finished_at > *last_success))
            last_success = scan.finished_at;
    };
    if (contents.run) {
        // A run succeeded when it completed: every slot's standing scan complete, no shard missing.
        const auto& run = *contents.run;
        last_success = run.finished_at;
        metrics.family("certfleet_run_complete", "1 when every shard and slot of the run reported has a complete scan.");
        metrics.sample({{"run", run.name}}, run.complete() ? 1 : 0);
        metrics.family("certfleet_run_missing_shards", "Shards of the run reported that no scan has ended in.");
        metrics.sample({{"run", run.name}}, static_cast<std::int64_t>(run.missing_shards.size()));
    } else {
        consider(contents.scan);  // the model's scans may be empty (a report built without the inventory's list)
        for (const auto& scan : model.scans) consider(scan);
    }
    metrics.family("x509_scan_last_success_timestamp_seconds", "When the latest complete scan up to the one reported "
                                                               "finished, in seconds since the epoch.");
    if (last_success) metrics.sample({}, *last_success);
}

}  // namespace

void PrometheusWriter::write(const ReportModel& model, const ReportContext& context, std::ostream& out) const {
    Exposition metrics(out);
    write_certificates(model, context, metrics);
    write_keys(model, metrics);
    write_trust(model, metrics);
    write_endpoints(model, metrics);
    write_scan(model, metrics);
}

}  // namespace certfleet::report
