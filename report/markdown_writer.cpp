#include "report/markdown_writer.hpp"

#include <algorithm>

#include "report/model_support.hpp"
#include "report/table_support.hpp"
#include "report/text_escape.hpp"

namespace certfleet::report {

namespace {

constexpr std::size_t kPlacesPerCell = 5;  // a certificate copied to thousands of places would swamp the page
constexpr std::int64_t kExpiringDays = 30;

// Cell text as literal text: the text as visible_text shows it (no line break to end the row, no control
// character, UTF-8), with Markdown's inline punctuation and `|` (which would end the cell) backslash-escaped,
// `<` too (no HTML gets through).
std::string cell(const std::string& text) {
    std::string out;
    for (const char c : visible_text(text)) {
        if (std::string_view("\\|`*_[]<>~&!#").find(c) != std::string_view::npos) out += '\\';
        out += c;
    }
    return out;
}

void write_markdown_row(const std::vector<std::string>& cells, std::ostream& out) {
    out << "|";
    for (const auto& c : cells) out << " " << c << " |";
    out << "\n";
}

// The header row and its delimiter row; `numeric` columns are right-aligned.
void write_header(const std::vector<std::string>& names, const std::vector<bool>& numeric, std::ostream& out) {
    write_markdown_row(names, out);
    std::vector<std::string> delimiters;
    for (std::size_t i = 0; i < names.size(); ++i) delimiters.push_back(numeric[i] ? "---:" : "---");
    write_markdown_row(delimiters, out);
}

std::string places_cell(const inventory::StoredCertificate& stored, const AnchorStores& anchors) {
    const auto places = distinct_places(sighting_places(stored, anchors));
    std::string text;
    for (std::size_t i = 0; i < places.size() && i < kPlacesPerCell; ++i)
        text += (i ? "<br>" : "") +
                cell(places[i].place.display() + (places[i].place.trust_anchor ? " (trust store)" : ""));
    if (places.size() > kPlacesPerCell) text += "<br>… and " + std::to_string(places.size() - kPlacesPerCell) + " more";
    return text;
}

void write_summary(const ReportModel& model, const ReportContext& context, std::ostream& out) {
    const auto& contents = model.contents;
    std::size_t expired = 0, expiring = 0, self_signed_leaves = 0;
    for (const auto& stored : contents.certificates) {
        const Validity v = validity_at(stored.cert, context.now);
        expired += v.expired;
        expiring += !v.expired && v.days_left <= kExpiringDays;
        self_signed_leaves += stored.cert.self_signed && !stored.cert.is_ca;
    }
    const auto tls = std::count_if(contents.endpoints.begin(), contents.endpoints.end(),
                                   [](const inventory::StoredEndpoint& e) { return e.facts.status == EndpointStatus::tls; });
    const auto errors = std::count_if(contents.events.begin(), contents.events.end(),
                                      [](const ScanEvent& e) { return e.level == EventLevel::error; });
    out << "## Summary\n\n";
    write_header({"figure", "count"}, {false, true}, out);
    write_markdown_row({"distinct certificates", std::to_string(contents.distinct_certificates())}, out);
    write_markdown_row({"expired", std::to_string(expired)}, out);
    write_markdown_row({"expiring within " + std::to_string(kExpiringDays) + " days", std::to_string(expiring)}, out);
    write_markdown_row({"self-signed leaves", std::to_string(self_signed_leaves)}, out);
    write_markdown_row({"endpoints probed", std::to_string(contents.endpoints.size())}, out);
    write_markdown_row({"endpoints speaking TLS", std::to_string(tls)}, out);
    write_markdown_row({"reused keys", std::to_string(model.reused_keys.size())}, out);
    write_markdown_row({"trust anchors", std::to_string(model.anchors.size())}, out);
    write_markdown_row({"read errors", std::to_string(errors)}, out);
    write_markdown_row({"findings", std::to_string(contents.findings.size())}, out);
}

void write_certificates(const ReportModel& model, const ReportContext& context, std::ostream& out) {
    out << "\n## Certificates\n\n";
    if (model.contents.certificates.empty()) {
        out << "No certificates found.\n";
        return;
    }
    const AnchorStores anchors(model.anchors);
    write_header({"days left", "expires", "subject", "issuer", "flags", "places", "sha256"},
                 {true, false, false, false, false, false, false}, out);
    for (const auto& stored : model.contents.certificates) {
        const CertInfo& c = stored.cert;
        const Validity v = validity_at(c, context.now);
        write_markdown_row({std::to_string(v.days_left), date(c.not_after), cell(c.subject), cell(c.issuer),
                            cell(flags(c, v, true)), places_cell(stored, anchors), "`" + short_sha256(c.sha256) + "`"},
                           out);
    }
}

void write_markdown_findings(const std::vector<Finding>& findings, std::ostream& out) {
    out << "\n## Findings\n\n";
    if (findings.empty()) {
        out << "No findings.\n";
        return;
    }
    write_header({"severity", "rule", "location", "message"}, {false, false, false, false}, out);
    for (const auto& f : findings)
        write_markdown_row({cell(to_string(f.severity)), cell(f.rule_id), cell(f.location), cell(f.message)}, out);
}

}  // namespace

void MarkdownWriter::write(const ReportModel& model, const ReportContext& context, std::ostream& out) const {
    const auto& scan = model.contents.scan;
    out << "# certfleet: " << scope_title(model.contents) << "\n\n"
        << cell(scan.kind) << " scan, " << to_string(scan.status) << ", started " << date_time(scan.started_at)
        << "; report generated " << date_time(context.now) << ".\n\n";
    write_summary(model, context, out);
    write_certificates(model, context, out);
    write_markdown_findings(model.contents.findings, out);
}

}  // namespace certfleet::report
