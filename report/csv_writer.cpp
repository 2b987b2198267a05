#include "report/csv_writer.hpp"

#include "core/algorithms.hpp"
#include "core/encoding.hpp"
#include "report/model_support.hpp"
#include "report/table_support.hpp"
#include "report/text_escape.hpp"

namespace certfleet::report {

namespace {

// A field is the text as visible_text shows it, so a record is one line of UTF-8 whatever a file is named; it is
// quoted when it holds a comma or a quote, and quotes inside are doubled (RFC 4180, 2.6 and 2.7).
std::string csv_field(const std::string& text) {
    std::string shown = visible_text(text);
    if (shown.find_first_of(",\"") == std::string::npos) return shown;
    std::string out = "\"";
    for (char c : shown) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

void write_csv_row(const std::vector<std::string>& fields, std::ostream& out) {
    for (std::size_t i = 0; i < fields.size(); ++i) out << (i ? "," : "") << csv_field(fields[i]);
    out << "\r\n";
}

// "env=prod;owner=payments": one field whatever the number of labels.
std::string labels_field(const Labels& labels) {
    std::string text;
    for (const auto& label : labels) text += (text.empty() ? "" : ";") + label.key + "=" + label.value;
    return text;
}

}  // namespace

void CsvWriter::write(const ReportModel& model, const ReportContext& context, std::ostream& out) const {
    write_csv_row({"sha256", "spki_sha256", "subject", "issuer", "serial", "not_before", "not_after", "days_left",
                   "expired", "not_yet_valid", "self_signed", "is_ca", "key_type", "key_bits", "place_kind", "path",
                   "format", "host", "address", "port", "server_name", "position", "trust_anchor", "labels", "site",
                   "key_algorithm", "quantum_vulnerable", "security_bits"},
                  out);
    const AnchorStores anchors(model.anchors);
    for (const auto& stored : model.contents.certificates) {
        const CertInfo& c = stored.cert;
        const Validity v = validity_at(c, context.now);
        const AlgorithmJudgement key = judge_key(c);
        const std::string vulnerable = key.quantum_vulnerable ? true_false(*key.quantum_vulnerable) : "";
        const std::string strength = key.classical_bits > 0 ? std::to_string(key.classical_bits) : "";
        for (const auto& seen : sighting_places(stored, anchors)) {
            const auto& place = seen.place;
            const bool file = place.kind == inventory::Place::Kind::file;
            // Fields that do not apply to the place's kind are empty, never a placeholder.
            write_csv_row({c.sha256, c.spki_sha256, c.subject, c.issuer, c.serial, format_rfc3339(c.not_before),
                           format_rfc3339(c.not_after), std::to_string(v.days_left), true_false(v.expired),
                           true_false(v.not_yet_valid), to_string(self_signature(c)), true_false(c.is_ca), c.key_type,
                           c.key_bits > 0 ? std::to_string(c.key_bits) : "", to_string(place.kind), place.path,
                           file ? to_string(place.format) : "", place.host, place.address,
                           file ? "" : std::to_string(place.port), place.server_name, std::to_string(place.position),
                           true_false(place.trust_anchor), labels_field(seen.labels), place.site, key.name, vulnerable,
                           strength},
                          out);
        }
    }
}

}  // namespace certfleet::report
