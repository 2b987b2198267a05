#include <algorithm>
#include <cstdint>

#include "core/algorithms.hpp"
#include "report/analysis_report.hpp"
#include "report/table_support.hpp"
#include "report/text_escape.hpp"

namespace certfleet::report {

namespace {

using namespace inventory;

// An unseen endpoint shows what its latest probe found, not the status of the probe its certificates are from.
std::string status_text(const EndpointSummary& e) {
    if (e.state == inventory::PlaceState::unseen) return "unseen: " + e.state_reason;
    return to_string(e.facts.status);
}

constexpr std::size_t kFieldLabelWidth = 12;

std::string rule() { return std::string(kLineWidth - 1, '-') + "\n"; }

std::string labels_line(const Labels& labels) {
    std::string text;
    for (const auto& label : labels) text += (text.empty() ? "" : " ") + label.key + "=" + label.value;
    return text;
}

// A place as reports name it, and whether it is a trust-store entry there; not yet visible text.
std::string place_name(const Place& place) { return place.display() + (place.trust_anchor ? " [anchor]" : ""); }

std::string place_text(const Place& place) { return visible_text(place_name(place)); }

// "Subject:   CN=..." lines of a detail view.
void write_field(const char* label, const std::string& value, std::ostream& out) {
    if (!value.empty()) out << fit(std::string(label) + ":", kFieldLabelWidth) << visible_text(value) << "\n";
}

template <class Items>
void write_section_title(const char* title, const Items& items, std::ostream& out) {
    out << "\n" << title << " (" << items.size() << "):\n";
}

class AnalysisTableWriter final : public AnalysisWriter {
public:
    explicit AnalysisTableWriter(const ReportContext& context) : now_(context.now) {}

    void scans(const std::vector<ScanRecord>& scans, std::ostream& out) const override {
        out << right("SCAN", 5) << "  " << fit("KIND", 14) << fit("STATUS", 12) << fit("STARTED", 21)
            << right("FILES", 6) << right("CERTS", 7) << right("KEYS", 5) << right("ERRORS", 7) << "\n" << rule();
        for (const auto& s : scans) {
            out << trim_right(right(std::to_string(s.id), 5) + "  " + fit(s.kind, 14) + fit(to_string(s.status), 12) +
                              fit(date_time(s.started_at), 21) + right(std::to_string(s.counts.files_walked), 6) +
                              right(std::to_string(s.counts.certificates_seen), 7) +
                              right(std::to_string(s.counts.keys_seen), 5) + right(std::to_string(s.counts.errors), 7))
                << "\n";
        }
    }

    void runs(const std::vector<inventory::RunSummary>& runs, std::ostream& out) const override {
        if (runs.empty()) {
            out << "No runs: a scan joins one with 'certfleet scan --run NAME'.\n";
            return;
        }
        out << fit("RUN", 24) << fit("STARTED", 21) << fit("SCANS", 16) << "STATE\n" << rule();
        for (const auto& run : runs) {
            std::string scans;
            for (const auto& member : run.members) scans += (scans.empty() ? "" : ",") + std::to_string(member.id);
            out << trim_right(fit(visible_text(run.name), 24) + fit(date_time(run.started_at), 21) +
                              fit(scans.empty() ? "-" : scans, 16) + (run.complete() ? "complete" : run.gaps()))
                << "\n";
        }
    }

    void certificates(const std::vector<CertificateSummary>& certificates, std::ostream& out) const override {
        if (certificates.empty()) {
            out << "No certificates match.\n";
            return;
        }
        write_certificate_table(certificates, out);
        out << "\nFLAGS: EXP expired, NYV not yet valid, SS self-signed, CA certificate authority\n";
    }

    void certificate(const CertificateReport& report, std::ostream& out) const override {
        const CertificateDetail& d = report.detail;
        write_summary(d.summary, out);
        write_section_title("Places", d.places, out);
        write_place_table(d.places, out);

        write_section_title("Issuers", d.issuers, out);
        for (const auto& sha256 : d.issuers) write_related(sha256, report, out);
        if (d.issued > 0) out << "\nIssued " << count_of(d.issued, "certificate") << " in the inventory.\n";

        out << "\nPath to anchor:\n";
        const auto& anchor = d.path.anchor;
        for (const auto& sha256 : d.path.chain) write_related(sha256, report, out, sha256 == anchor ? " [anchor]" : "");
        const bool anchor_in_chain = std::find(d.path.chain.begin(), d.path.chain.end(), anchor) != d.path.chain.end();
        if (anchor && !anchor_in_chain) write_related(*anchor, report, out, " [anchor]");
        if (anchor) {
            for (const auto& store : d.path.stores) out << "    in " << visible_text(store) << "\n";
        } else {
            out << "  no trust store seen in the fleet holds an anchor for it\n";
        }

        write_section_title("Same key", d.same_key, out);
        for (const auto& sha256 : d.same_key) write_related(sha256, report, out);
        write_section_title("Key files", d.key_files, out);
        for (const auto& file : d.key_files)
            out << "  " << visible_text(file.display()) << " (" << to_string(file.format) << ")\n";
    }

    void endpoints(const std::vector<EndpointSummary>& endpoints, std::ostream& out) const override {
        if (endpoints.empty()) {
            out << "No endpoints match.\n";
            return;
        }
        // The key exchange a client gets, the hybrid post-quantum one where the server would select it: what a
        // migration planner looks for beside the certificate's dates.
        out << fit("ENDPOINT", 19) << fit("NAME", 11) << fit("STATUS", 12) << fit("VERDICT", 12)
            << fit("KEY EXCHANGE", 15) << right("DAYS", 5) << right("SCAN", 5) << "\n" << rule();
        for (const auto& e : endpoints) {
            const EndpointFacts& f = e.facts;
            const auto& expiry = f.verdict.earliest_expiry;
            const std::string days = expiry ? std::to_string(days_until(*expiry)) : std::string("-");
            const std::string& key_exchange = f.strongest_key_exchange();
            out << trim_right(fit(endpoint_text(f), 18, true) + " " +
                              fit(f.server_name.empty() ? "-" : f.server_name, 10) + " " + fit(status_text(e), 11) +
                              " " + fit(endpoint_verdict(f), 11) + " " +
                              fit(key_exchange.empty() ? "-" : key_exchange, 14) + " " + right(days, 5) +
                              right(std::to_string(e.scan), 5))
                << "\n";
        }
    }

    void shared(const std::vector<SharedCertificate>& shared, std::ostream& out) const override {
        if (shared.empty()) {
            out << "No certificate is shared by enough places.\n";
            return;
        }
        for (const auto& s : shared) {
            const Validity v = validity_at(s.summary.cert, now_);
            // A fingerprint prefix is enough for `inventory cert`, and fits the line.
            out << trim_right(fit(common_name_or_subject(s.summary.cert.subject), kLineWidth - 20)) << "  "
                << s.summary.cert.sha256.substr(0, 16) << "\n";
            std::string facts = count_of(s.places.size(), "place") + ", " + days_left_text(v.days_left);
            for (const auto& [key, values] : s.split) {
                std::string joined;
                for (const auto& value : values) joined += (joined.empty() ? "" : ", ") + value;
                facts += "; " + key + ": " + joined;
            }
            for (const auto& line : wrapped(facts, kLineWidth - 3)) out << "  " << line << "\n";
            write_place_table(s.places, out);
            out << "\n";
        }
    }

    void reused_keys(const std::vector<ReusedKey>& keys, std::ostream& out) const override {
        if (keys.empty()) {
            out << "No key is reused.\n";
            return;
        }
        for (const auto& key : keys) {
            out << "Key " << key.spki_sha256.substr(0, 16) << ": " << count_of(key.certificates.size(), "certificate")
                << ", " << count_of(key.key_files.size(), "key file") << "\n";
            if (!key.certificates.empty()) write_certificate_table(key.certificates, out);
            for (const auto& file : key.key_files)
                out << "  key file " << visible_text(file.display()) << " (" << to_string(file.format) << ")\n";
            out << "\n";
        }
    }

    void anchors(const std::vector<AnchorSummary>& anchors, std::ostream& out) const override {
        if (anchors.empty()) {
            out << "No trust anchors seen.\n";
            return;
        }
        out << right("DAYS", 5) << " " << fit("EXPIRES", 11) << fit("SUBJECT", 27) << right("LIVE", 5) << "  "
            << right("STORES", 6) << "  REMARKS\n" << rule();
        for (const auto& a : anchors) {
            const CertInfo& c = a.summary.cert;
            std::string remarks;
            const auto remark = [&](bool on, const std::string& text) {
                if (on) remarks += (remarks.empty() ? "" : ", ") + text;
            };
            remark(a.pinned_leaf, "pinned leaf");
            remark(a.stale, "stale");
            remark(!a.missing_from.empty(), "missing from " + count_of(a.missing_from.size(), "store"));
            out << trim_right(fit(days_and_date(c) + fit(common_name_or_subject(c.subject), 26) + " " +
                                      right(std::to_string(a.issues_live), 5) + "  " +
                                      right(std::to_string(a.stores.size()), 6) + "  " + remarks,
                                  kLineWidth - 1))
                << "\n";
            for (const auto& store : a.missing_from) out << "      missing from " << visible_text(store) << "\n";
        }
        out << "\nLIVE: unexpired certificates in use that chain up to it. STORES: trust stores holding it.\n";
    }

    void stores(const std::vector<TrustStore>& stores, std::ostream& out) const override {
        if (stores.empty()) {
            out << "No trust stores seen.\n";
            return;
        }
        for (const auto& store : stores) {
            out << visible_text(store.place.display()) << ": " << count_of(store.anchors.size(), "anchor")
                << (store.system_store ? ", system store" : "") << ", last seen " << date(store.last_seen) << "\n";
            write_certificate_table(store.anchors, out);
            out << "\n";
        }
    }

    void client_trust(const ClientTrust& trust, std::ostream& out) const override {
        if (trust.services.empty()) {
            out << "No endpoint asked for a client certificate.\n";
            return;
        }
        out << fit("SERVICE", 24) << fit("CLIENT CERT", 12) << "ACCEPTS CAS NAMED\n" << rule();
        for (const auto& service : trust.services) {
            const EndpointFacts& f = service.facts;
            const auto& names = f.client_ca_names;
            out << trim_right(fit(endpoint_text(f), 23, true) + " " + fit(std::string(to_string(f.client_auth)), 11) +
                              " " + (names.empty() ? std::string("(any it trusts: it listed none)") : visible_text(names[0])))
                << "\n";
            for (std::size_t i = 1; i < names.size(); ++i) out << std::string(36, ' ') << visible_text(names[i]) << "\n";
        }
        for (const auto& ca : trust.cas) {
            out << "\n" << visible_text(ca.name) << ": accepted by " << count_of(ca.services.size(), "service") << "\n";
            if (ca.known.empty()) out << "  no certificate of this name in the inventory\n";
            for (const auto& known : ca.known)
                out << "  " << known.cert.sha256.substr(0, 16) << "  " << days_and_date(known.cert) << "\n";
        }
    }

    void history(const CertificateHistory& history, std::ostream& out) const override {
        write_summary(history.summary, out);
        write_section_title("Scans", history.scans, out);
        out << right("SCAN", 6) << "  " << fit("DATE", 12) << right("PLACES", 6) << "\n";
        for (const auto& entry : history.scans)
            out << right(std::to_string(entry.scan), 6) << "  " << fit(date(entry.at), 12)
                << right(std::to_string(entry.places), 6) << "\n";
        write_section_title("Places", history.places, out);
        write_place_table(history.places, out);
        write_section_title("Rotations", history.rotations, out);
        write_rotations(history.rotations, out);
    }

    void diff(const ScanDiff& diff, std::ostream& out) const override {
        out << "From scan " << diff.from.id << " (" << diff.from.kind << ", " << date(diff.from.started_at)
            << ") to scan " << diff.to.id << " (" << diff.to.kind << ", " << date(diff.to.started_at) << ")\n";
        const bool unchanged = diff.new_certificates.empty() && diff.gone_certificates.empty() &&
                               diff.new_places.empty() && diff.gone_places.empty() && diff.rotated.empty() &&
                               diff.changed_verdicts.empty();
        if (unchanged) {
            out << "No changes.\n";
            return;
        }
        write_certificate_section("New certificates", diff.new_certificates, out);
        write_certificate_section("Gone certificates", diff.gone_certificates, out);
        write_place_section("New places", diff.new_places, out);
        write_place_section("Gone places", diff.gone_places, out);
        if (!diff.rotated.empty()) {
            write_section_title("Rotated", diff.rotated, out);
            write_rotations(diff.rotated, out);
        }
        if (!diff.changed_verdicts.empty()) {
            write_section_title("Changed verdicts", diff.changed_verdicts, out);
            for (const auto& change : diff.changed_verdicts)
                out << "  " << visible_text(change.place.display()) << "\n    " << short_sha256(change.sha256) << "  "
                    << visible_text(change.old_verdict) << " -> " << visible_text(change.new_verdict) << "\n";
        }
    }

private:
    // Whole days left until `t`, rounded as a certificate's days_left is.
    std::int64_t days_until(UnixTime t) const {
        CertInfo expiring;
        expiring.not_after = t;
        return validity_at(expiring, now_).days_left;
    }

    // "   89 2026-11-23 ": days left and the expiry date, the first columns of every certificate row.
    std::string days_and_date(const CertInfo& c) const {
        return right(std::to_string(validity_at(c, now_).days_left), 5) + " " + fit(date(c.not_after), 11);
    }

    void write_certificate_table(const std::vector<CertificateSummary>& certificates, std::ostream& out) const {
        out << right("DAYS", 5) << " " << fit("FLAGS", 10) << fit("SUBJECT", 22) << fit("ISSUER", 16)
            << right("PLACES", 6) << "  SHA256\n" << rule();
        for (const auto& s : certificates) {
            const CertInfo& c = s.cert;
            out << right(std::to_string(validity_at(c, now_).days_left), 5) + " " +
                       fit(flags(c, validity_at(c, now_)), 10) + fit(common_name_or_subject(c.subject), 21) + " " +
                       fit(common_name_or_subject(c.issuer), 15) + " " + right(std::to_string(s.places), 6) + "  " +
                       short_sha256(c.sha256)
                << "\n";
        }
    }

    void write_certificate_section(const char* title, const std::vector<CertificateSummary>& certificates,
                                   std::ostream& out) const {
        if (certificates.empty()) return;
        write_section_title(title, certificates, out);
        write_certificate_table(certificates, out);
    }

    // A path is what people copy to go and fix the place: one too long for the rest of its row goes on a line of
    // its own below it, cut at its start only if it is longer than the line (the JSON answer has it whole); the
    // place's labels go below that, whole. Every line fits 80 columns.
    void write_place_table(const std::vector<PlaceSeen>& places, std::ostream& out) const {
        constexpr std::size_t kFacts = 11 + 11 + 5 + 2;
        out << fit("FIRST SEEN", 11) << fit("LAST SEEN", 11) << right("SCAN", 5) << "  WHERE, then its labels\n"
            << rule();
        for (const auto& p : places) {
            const std::string where = place_text(p.place);
            out << fit(date(p.first_seen), 11) << fit(date(p.last_seen), 11) << right(std::to_string(p.last_scan), 5);
            if (kFacts + display_width(where) < kLineWidth) out << "  " << where << "\n";
            else out << "\n  " << trim_right(fit(place_name(p.place), kLineWidth - 3, true)) << "\n";
            if (!p.labels.empty())
                for (const auto& line : wrapped(labels_line(p.labels), kLineWidth - 5)) out << "    " << line << "\n";
        }
    }

    void write_place_section(const char* title, const std::vector<PlaceSeen>& places, std::ostream& out) const {
        if (places.empty()) return;
        write_section_title(title, places, out);
        write_place_table(places, out);
    }

    void write_rotations(const std::vector<Rotation>& rotations, std::ostream& out) const {
        for (const auto& r : rotations) {
            out << "  " << date(r.at) << "  " << place_text(r.place) << "\n"
                << "    " << short_sha256(r.old_sha256) << " -> " << short_sha256(r.new_sha256) << "  "
                << (r.key_changed ? "new key" : "same key") << "  (scan " << r.from_scan << " -> " << r.to_scan
                << ")\n";
        }
    }

    void write_summary(const CertificateSummary& summary, std::ostream& out) const {
        const CertInfo& c = summary.cert;
        const Validity v = validity_at(c, now_);
        std::string names;
        for (const auto* list : {&c.dns_names, &c.ip_addresses, &c.uris, &c.emails})
            for (const auto& name : *list) names += (names.empty() ? "" : ", ") + name;
        const AlgorithmJudgement judged = judge_key(c);
        std::string key = judged.name + (c.key_bits > 0 ? ", " + std::to_string(c.key_bits) + " bits" : "");
        if (judged.classical_bits > 0) key += ", " + std::to_string(judged.classical_bits) + "-bit security";
        if (judged.quantum_vulnerable) key += *judged.quantum_vulnerable ? ", quantum-vulnerable" : ", post-quantum";
        out << "Certificate " << c.sha256 << "\n";
        write_field("Subject", c.subject, out);
        write_field("Issuer", c.issuer, out);
        write_field("Serial", c.serial, out);
        write_field("Valid", date(c.not_before) + " to " + date(c.not_after) + ", " + days_left_text(v.days_left), out);
        write_field("Key", key, out);
        write_field("Key SHA256", c.spki_sha256, out);
        write_field("Names", names, out);
        write_field("Flags", flags(c, v, true), out);
        write_field("Seen", date(summary.first_seen) + " to " + date(summary.last_seen) + ", at " +
                                count_of(summary.places, "place"),
                    out);
    }

    // One certificate the detail names by fingerprint: its short fingerprint and name.
    static void write_related(const std::string& sha256, const CertificateReport& report, std::ostream& out,
                              const std::string& remark = "") {
        const auto found = report.related.find(sha256);
        const std::string name = found == report.related.end() ? "(not in the inventory)"
                                                                : common_name_or_subject(found->second.cert.subject);
        out << "  " << short_sha256(sha256) << "  " << visible_text(name) << remark << "\n";
    }

    UnixTime now_;
};

}  // namespace

std::unique_ptr<AnalysisWriter> make_analysis_table_writer(const ReportContext& context) {
    return std::make_unique<AnalysisTableWriter>(context);
}

}  // namespace certfleet::report
