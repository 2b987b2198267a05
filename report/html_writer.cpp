#include "report/html_writer.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <map>
#include <string_view>

#include "core/encoding.hpp"
#include "report/html_assets.hpp"
#include "report/model_support.hpp"
#include "report/table_support.hpp"
#include "report/text_escape.hpp"

// Every table row and chart is rendered here as markup; the page's script only sorts, filters and expands what
// is already there. So nothing the certificates say is ever embedded in a script, and everything printed goes
// through escape() once, as HTML text or a double-quoted attribute value.
namespace certfleet::report {

namespace {

constexpr std::int64_t kSecondsPerDay = 86'400;
constexpr std::int64_t kExpiringSoonDays = 30;
constexpr int kTimelineWeeks = 26;

// HTML text or a double-quoted attribute value, from the text as visible_text shows it: bytes that are not
// UTF-8 and control characters are seen, not dropped or left to the browser.
std::string escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : visible_text(text)) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string joined(const std::vector<std::string>& items, std::string_view separator = ", ") {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : std::string(separator)) + item;
    return out;
}

// A Content-Security-Policy source for one inline block: the page runs and applies only its own script and
// stylesheet, so even markup that slipped past escaping could neither run nor restyle anything.
std::string csp_hash(std::string_view block) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int digest_size = 0;
    EVP_Digest(block.data(), block.size(), digest.data(), &digest_size, EVP_sha256(), nullptr);
    return "'sha256-" + base64_encode(std::span(digest.data(), digest_size)) + "'";
}

// ---- tables ----

struct Column {
    // number: sorts and aligns as a number; rank: sorts as a number (a severity) but reads as text.
    enum class Kind { text, number, rank };
    const char* key;  // the name #sort=TABLE:KEY uses
    const char* title;
    Kind kind = Kind::text;
};
constexpr auto kNumber = Column::Kind::number;

// A cell's markup, and what it sorts by when that is not its text (days, dates, counts, severity ranks).
struct Cell {
    std::string html;
    std::string sort_value;
};

Cell text_cell(std::string_view text) { return {escape(text), ""}; }
Cell number_cell(std::int64_t value) { return {std::to_string(value), std::to_string(value)}; }

// A table's filter box and header; or, when it has no records, only the note `none`, and false.
bool open_table(std::ostream& out, std::string_view id, std::string_view what, const std::vector<Column>& columns,
                std::size_t records, std::string_view none) {
    if (records == 0) {
        out << "<p class=\"note\">" << none << "</p>\n";
        return false;
    }
    out << "<div class=\"table-tools\"><input type=\"search\" data-filter=\"" << id << "\" placeholder=\"Filter "
        << what << "\" aria-label=\"Filter " << what << "\"><span data-shown=\"" << id << "\"></span></div>\n"
        << "<div class=\"table-wrap\"><table class=\"data\" id=\"" << id << "\"><thead><tr>";
    for (const auto& column : columns) {
        out << "<th data-key=\"" << column.key << "\" aria-sort=\"none\"";
        if (column.kind != Column::Kind::text) out << " data-type=\"number\"";
        if (column.kind == kNumber) out << " class=\"num\"";
        out << "><button type=\"button\">" << column.title << "</button></th>";
    }
    out << "</tr></thead>\n";
    return true;
}

void close_table(std::ostream& out) { out << "</table></div>\n"; }

// One record: a row of cells and, when there is more to say, a details row the first cell's button shows. Each
// record is its own <tbody> so sorting moves a row and its details together.
void write_record(std::ostream& out, std::string_view id, const std::vector<Cell>& cells, std::string_view details,
                  const std::vector<Column>& columns) {
    out << "<tbody class=\"record\"";
    if (!id.empty()) out << " id=\"" << escape(id) << "\"";
    out << "><tr>";
    for (std::size_t i = 0; i < cells.size(); ++i) {
        out << "<td";
        if (columns[i].kind == kNumber) out << " class=\"num\"";
        if (!cells[i].sort_value.empty()) out << " data-value=\"" << escape(cells[i].sort_value) << "\"";
        out << ">";
        if (i == 0 && !details.empty())
            out << "<button type=\"button\" class=\"expand\" aria-expanded=\"false\" aria-label=\"Details\"></button>";
        out << cells[i].html << "</td>";
    }
    out << "</tr>";
    if (!details.empty()) out << "<tr class=\"details\" hidden><td colspan=\"" << cells.size() << "\">" << details << "</td></tr>";
    out << "</tbody>\n";
}

// ---- certificates ----

std::string days_text(const Validity& v) {
    if (v.expired) return "expired " + std::to_string(-v.days_left) + " d ago";
    return std::to_string(v.days_left) + " d";
}

Cell days_cell(const Validity& v) {
    const char* tone = v.expired ? "days-expired" : v.days_left <= kExpiringSoonDays ? "days-soon" : "";
    return {std::string("<span class=\"") + tone + "\">" + escape(days_text(v)) + "</span>", std::to_string(v.days_left)};
}

Cell date_cell(UnixTime t) { return {escape(date(t)), std::to_string(t)}; }

std::string key_text(const CertInfo& c) {
    std::string text = c.key_type;
    if (c.key_bits > 0) text += " " + std::to_string(c.key_bits);
    if (!c.key_curve.empty()) text += " (" + c.key_curve + ")";
    return text;
}

void add_fact(std::string& html, std::string_view term, const std::string& value, bool monospace = false) {
    if (value.empty()) return;
    html += "<dt>" + std::string(term) + "</dt><dd" + (monospace ? " class=\"mono\"" : "") + ">" + escape(value) + "</dd>";
}

std::string certificate_facts(const CertInfo& c, UnixTime first_seen, UnixTime last_seen, UnixTime now) {
    const Validity v = validity_at(c, now);
    std::vector<std::string> names;
    for (const auto* list : {&c.dns_names, &c.ip_addresses, &c.uris, &c.emails})
        names.insert(names.end(), list->begin(), list->end());
    std::string html = "<dl class=\"facts\">";
    add_fact(html, "Subject", c.subject);
    add_fact(html, "Issuer", c.issuer);
    add_fact(html, "Valid", date_time(c.not_before) + " to " + date_time(c.not_after) + " (" + days_text(v) + ")");
    add_fact(html, "Flags", flags(c, v, true));
    add_fact(html, "Names", joined(names));
    add_fact(html, "Key", key_text(c) + ", signed with " + c.signature_algorithm);
    add_fact(html, "Key usage", joined(c.key_usage));
    add_fact(html, "Extended key usage", joined(c.ext_key_usage));
    add_fact(html, "Serial", c.serial, true);
    add_fact(html, "SHA-256", c.sha256, true);
    add_fact(html, "Key SHA-256", c.spki_sha256, true);
    add_fact(html, "Seen", date(first_seen) + " (first) to " + date(last_seen) + " (latest)");
    return html + "</dl>";
}

std::string labels_html(const Labels& labels) {
    std::string html;
    for (const auto& label : labels) html += " <span class=\"flag\">" + escape(label.key + "=" + label.value) + "</span>";
    return html;
}

// One place as a list item: where it is, then how it holds the certificate there.
std::string place_item(const inventory::Place& place, const Labels& labels = {}) {
    std::vector<std::string> how;
    if (place.kind == inventory::Place::Kind::file) {
        how.push_back(std::string(to_string(place.format)) + " #" + std::to_string(place.position));
    } else {
        if (!place.address.empty() && place.address != place.host) how.push_back(place.address);
        how.push_back("chain position " + std::to_string(place.position));
    }
    if (place.trust_anchor) how.push_back(place.system_store ? "trust anchor of a system store" : "trust anchor");
    return "<li>" + escape(place.display()) + " <span class=\"muted\">" + escape(joined(how)) + "</span>" +
           labels_html(labels) + "</li>";
}

std::string list_section(std::string_view title, const std::vector<std::string>& items) {
    if (items.empty()) return "";
    std::string html = "<h4>" + std::string(title) + " (" + std::to_string(items.size()) + ")</h4><ul class=\"list\">";
    for (const auto& item : items) html += item;
    return html + "</ul>";
}

std::string subject_html(const CertInfo& c) { return escape(common_name_or_subject(c.subject)); }

// A certificate named in a list: who it is, when it expires, and its fingerprint to look it up.
std::string certificate_item(const CertInfo& c) {
    return "<li>" + subject_html(c) + " <span class=\"muted\">expires " + date(c.not_after) +
           ", <span class=\"mono\">" + escape(short_sha256(c.sha256)) + "</span></span></li>";
}

// ---- sections ----

// A section of the page: its heading, what it is for when that needs saying, then what `body` writes.
template <typename Body>
void write_section(std::ostream& out, std::string_view id, std::string_view title, std::string_view purpose, Body body) {
    out << "<section id=\"" << id << "\"><h2>" << title << "</h2>";
    if (!purpose.empty()) out << "<p class=\"note\">" << purpose << "</p>";
    body();
    out << "</section>\n";
}

struct SummaryCounts {
    std::int64_t self_signed_leaves = 0;
    std::int64_t expiring = 0;  // within kExpiringSoonDays, not yet expired
    std::int64_t expired = 0;
    std::int64_t tls_endpoints = 0;
    std::map<Severity, std::int64_t> findings_by_severity;
};

// Expiry counts leave out the distribution's roots (only_in_system_stores): the package refreshes them.
SummaryCounts count_summary(const inventory::ScanContents& contents, UnixTime now) {
    SummaryCounts counts;
    for (const auto& stored : contents.certificates) {
        if (only_in_system_stores(stored)) continue;
        const Validity v = validity_at(stored.cert, now);
        counts.self_signed_leaves += stored.cert.self_signed && !stored.cert.is_ca;
        counts.expired += v.expired;
        counts.expiring += !v.expired && v.days_left <= kExpiringSoonDays;
    }
    for (const auto& e : contents.endpoints) counts.tls_endpoints += e.facts.status == EndpointStatus::tls;
    for (const auto& f : contents.findings) ++counts.findings_by_severity[f.severity];
    return counts;
}

void write_tile(std::ostream& out, std::string_view id, std::int64_t value, std::string_view label,
                std::string_view tone, const std::string& detail = "") {
    out << "<div class=\"tile tone-" << tone << "\" data-tile=\"" << id << "\"><div class=\"value\">" << value
        << "</div><div class=\"label\">" << label << "</div>";
    if (!detail.empty()) out << "<div class=\"detail\">" << escape(detail) << "</div>";
    out << "</div>\n";
}

void write_summary(std::ostream& out, const inventory::ScanContents& contents, UnixTime now) {
    const SummaryCounts counts = count_summary(contents, now);
    out << "<div class=\"tiles\">\n";
    write_tile(out, "certificates", static_cast<std::int64_t>(contents.distinct_certificates()), "certificates", "info",
               count_of(contents.scan.counts.certificates_seen, "sighting"));
    write_tile(out, "endpoints", static_cast<std::int64_t>(contents.endpoints.size()), "endpoints", "info",
               std::to_string(counts.tls_endpoints) + " speaking TLS");
    write_tile(out, "self-signed-leaves", counts.self_signed_leaves, "self-signed leaves",
               counts.self_signed_leaves ? "medium" : "ok");
    write_tile(out, "expiring", counts.expiring, "expiring in 30 days or less", counts.expiring ? "high" : "ok");
    write_tile(out, "expired", counts.expired, "expired", counts.expired ? "critical" : "ok");
    out << "</div>\n<h3>Findings by severity</h3><div class=\"tiles\">\n";
    for (auto entry = kSeverityNames.rbegin(); entry != kSeverityNames.rend(); ++entry) {  // most severe first
        const auto found = counts.findings_by_severity.find(entry->value);
        const std::int64_t count = found == counts.findings_by_severity.end() ? 0 : found->second;
        write_tile(out, std::string("findings-") + entry->name, count, entry->name, count ? entry->name : "ok");
    }
    out << "</div>\n";
}

// Certificates per week until expiry over the next half year, expired ones in a bar of their own.
void write_timeline(std::ostream& out, const inventory::ScanContents& contents, UnixTime now) {
    std::int64_t expired = 0, later = 0;
    std::array<std::int64_t, kTimelineWeeks> weeks{};
    for (const auto& stored : contents.certificates) {
        if (only_in_system_stores(stored)) continue;
        const Validity v = validity_at(stored.cert, now);
        const std::int64_t week = v.days_left / 7;
        if (v.expired) ++expired;
        else if (week < kTimelineWeeks) ++weeks[week];
        else ++later;
    }
    const std::int64_t tallest = std::max(expired, *std::max_element(weeks.begin(), weeks.end()));

    constexpr int width = 860, height = 210, left = 34, right = 8, top = 18, bottom = 34;
    constexpr int plot_height = height - top - bottom;
    constexpr double slot = double(width - left - right) / (kTimelineWeeks + 2);  // the expired bar, a gap, the weeks
    const auto bar_height = [&](std::int64_t count) { return tallest == 0 ? 0.0 : double(count) * plot_height / tallest; };
    const auto write_bar = [&](double x, std::int64_t count, std::string_view kind, std::string_view week,
                               const std::string& title) {
        const double h = bar_height(count);
        out << "<g class=\"bar " << kind << "\" data-week=\"" << week << "\" data-count=\"" << count << "\"><title>"
            << escape(title) << "</title><rect x=\"" << x + 2 << "\" y=\"" << top + plot_height - h << "\" width=\""
            << slot - 4 << "\" height=\"" << h << "\"/>";
        if (count > 0)
            out << "<text class=\"count\" x=\"" << x + slot / 2 << "\" y=\"" << top + plot_height - h - 4
                << "\" text-anchor=\"middle\">" << count << "</text>";
        out << "</g>";
    };

    out << "<figure>"
        << "<svg class=\"chart\" viewBox=\"0 0 " << width << " " << height << "\" role=\"img\" aria-label=\""
        << "Certificates per week until expiry\">";
    for (const std::int64_t value : {std::int64_t{0}, tallest}) {
        const double y = top + plot_height - bar_height(value);
        out << "<line class=\"grid\" x1=\"" << left << "\" x2=\"" << width - right << "\" y1=\"" << y << "\" y2=\"" << y
            << "\"/><text x=\"" << left - 6 << "\" y=\"" << y + 3 << "\" text-anchor=\"end\">" << value << "</text>";
    }
    write_bar(left, expired, "expired", "expired", count_of(expired, "certificate") + " expired");
    out << "<text x=\"" << left + slot / 2 << "\" y=\"" << height - bottom + 14 << "\" text-anchor=\"middle\">expired</text>";
    for (int week = 0; week < kTimelineWeeks; ++week) {
        const double x = left + slot * (week + 2);
        const UnixTime starts = now + week * 7 * kSecondsPerDay;
        const std::string kind = week * 7 < kExpiringSoonDays ? "soon" : "later";
        write_bar(x, weeks[week], kind, std::to_string(week),
                  count_of(weeks[week], "certificate") + " expiring in the week of " + date(starts));
        if (week % 4 == 0)
            out << "<text x=\"" << x + slot / 2 << "\" y=\"" << height - bottom + 14 << "\" text-anchor=\"middle\">"
                << date(starts).substr(5) << "</text>";
    }
    out << "<text x=\"" << left + slot * 2 << "\" y=\"" << height - 4 << "\">weeks from " << date(now)
        << " (MM-DD the week starts)</text></svg>"
        << "<figcaption>Certificates of this scan by the week they expire; " << count_of(later, "certificate")
        << " expire later than " << kTimelineWeeks << " weeks from now.</figcaption></figure>\n";
}

// One line of a burn-down chart, a dot per scan that tells its figure on hover.
template <typename ValueOf, typename XOf, typename YOf>
void write_series(std::ostream& out, std::string_view series, const std::vector<rules::ProgressPoint>& points,
                  ValueOf value_of, XOf x_of, YOf y_of) {
    out << "<g class=\"" << series << "\"><polyline points=\"";
    for (std::size_t i = 0; i < points.size(); ++i) out << x_of(i) << "," << y_of(value_of(points[i].progress)) << " ";
    out << "\"/>";
    for (std::size_t i = 0; i < points.size(); ++i) {
        const std::int64_t value = value_of(points[i].progress);
        out << "<circle r=\"3\" cx=\"" << x_of(i) << "\" cy=\"" << y_of(value) << "\"><title>scan " << points[i].scan
            << " (" << date(points[i].at) << "): " << value << " " << series << "</title></circle>";
    }
    out << "</g>";
}

// Unmet and met places of one migration rule, scan after scan.
void write_burn_down(std::ostream& out, const rules::MigrationHistory& history) {
    const rules::Rule& rule = *history.rule;
    const auto& points = history.points;
    out << "<div class=\"migration\"><h3>" << escape(rule.id) << "</h3>";
    if (!rule.description.empty()) out << "<p>" << escape(rule.description) << "</p>";
    std::vector<std::string> terms;
    if (rule.replace_with) terms.push_back("replace with " + *rule.replace_with);
    if (rule.deadline) terms.push_back("deadline " + date(*rule.deadline));
    if (!points.empty()) {
        const auto& latest = points.back().progress;
        terms.push_back("latest: " + std::to_string(latest.unmet) + " unmet, " + std::to_string(latest.met) + " met, " +
                        std::to_string(latest.exempt) + " exempt, " + std::to_string(latest.overdue) + " overdue");
    }
    out << "<p class=\"note\">" << escape(joined(terms, " · ")) << "</p>";
    if (points.empty()) {
        out << "<p class=\"note\">No scans yet.</p></div>\n";
        return;
    }

    std::int64_t tallest = 1;
    for (const auto& p : points) tallest = std::max({tallest, p.progress.met, p.progress.unmet});
    constexpr int width = 860, height = 170, left = 34, right = 16, top = 12, bottom = 30;
    constexpr int plot_width = width - left - right, plot_height = height - top - bottom;
    const auto x_of = [&](std::size_t i) {
        return points.size() == 1 ? left + plot_width / 2.0 : left + double(i) * plot_width / double(points.size() - 1);
    };
    const auto y_of = [&](std::int64_t value) { return top + plot_height - double(value) * plot_height / tallest; };
    const std::size_t label_every = (points.size() + 11) / 12;  // at most a dozen scan labels fit

    out << "<figure><svg class=\"chart\" viewBox=\"0 0 " << width << " " << height << "\" role=\"img\" aria-label=\""
        << "Unmet and met places per scan\">";
    for (const std::int64_t value : {std::int64_t{0}, tallest}) {
        out << "<line class=\"grid\" x1=\"" << left << "\" x2=\"" << width - right << "\" y1=\"" << y_of(value)
            << "\" y2=\"" << y_of(value) << "\"/><text x=\"" << left - 6 << "\" y=\"" << y_of(value) + 3
            << "\" text-anchor=\"end\">" << value << "</text>";
    }
    write_series(out, "unmet", points, [](const rules::MigrationProgress& p) { return p.unmet; }, x_of, y_of);
    write_series(out, "met", points, [](const rules::MigrationProgress& p) { return p.met; }, x_of, y_of);
    for (std::size_t i = 0; i < points.size(); i += label_every) {
        out << "<text x=\"" << x_of(i) << "\" y=\"" << height - bottom + 14 << "\" text-anchor=\"middle\">#"
            << points[i].scan << "</text>";
    }
    out << "<text x=\"" << left << "\" y=\"" << height - 2 << "\">scan</text></svg>"
        << "<figcaption class=\"legend\"><span class=\"key unmet\"></span>unmet (still to migrate)"
        << "<span class=\"key met\"></span>met</figcaption></figure>";
    std::vector<std::string> regressed;
    for (const auto& place : points.back().regressed) regressed.push_back("<li>" + escape(place) + "</li>");
    out << list_section("Regressed since the previous scan", regressed) << "</div>\n";
}

void write_migrations(std::ostream& out, const std::vector<rules::MigrationHistory>& migrations) {
    if (migrations.empty()) {
        out << "<p class=\"note\">No migration rules: give <span class=\"mono\">report --rules FILE</span> with a rule "
               "that has <span class=\"mono\">replace_with</span> or a <span class=\"mono\">deadline</span> to track "
               "one here.</p>";
    }
    for (const auto& history : migrations) write_burn_down(out, history);
}

void write_certificates(std::ostream& out, const inventory::ScanContents& contents, const AnchorStores& anchors,
                        UnixTime now) {
    const std::vector<Column> columns{{"subject", "Subject"}, {"issuer", "Issuer"},  {"days", "Days left", kNumber},
                                      {"expires", "Expires", kNumber}, {"key", "Key"}, {"flags", "Flags"},
                                      {"places", "Places", kNumber}};
    // The user's own certificates first, then the distribution's roots, counted in one line.
    std::vector<const inventory::StoredCertificate*> ordered;
    for (const auto& stored : contents.certificates) ordered.push_back(&stored);
    const auto system_begin = std::stable_partition(ordered.begin(), ordered.end(),
                                                    [](const auto* stored) { return !only_in_system_stores(*stored); });
    if (const auto system = ordered.end() - system_begin)
        out << "<p class=\"note\">" << count_of(system, "anchor") << " held only by system trust stores (an OS package "
            << "maintains them) are listed after your own certificates.</p>";
    if (!open_table(out, "certs", "by subject, issuer, name, path", columns, contents.certificates.size(),
                    "No certificates found."))
        return;
    for (const auto* listed : ordered) {
        const auto& stored = *listed;
        const CertInfo& c = stored.cert;
        const Validity v = validity_at(c, now);
        std::vector<std::string> places;
        for (const auto& seen : sighting_places(stored, anchors)) places.push_back(place_item(seen.place, seen.labels));
        write_record(out, "cert-" + c.sha256,
                     {{subject_html(c), ""}, text_cell(common_name_or_subject(c.issuer)), days_cell(v),
                      date_cell(c.not_after), text_cell(key_text(c)), text_cell(flags(c, v, true)),
                      number_cell(static_cast<std::int64_t>(places.size()))},
                     certificate_facts(c, stored.first_seen, stored.last_seen, now) + list_section("Locations", places),
                     columns);
    }
    close_table(out);
}

std::string label_split_text(const std::map<std::string, std::vector<std::string>>& split) {
    std::vector<std::string> parts;
    for (const auto& [key, values] : split) parts.push_back(key + ": " + joined(values));
    return joined(parts, "; ");
}

// The blast radius of a shared certificate: every place that needs the replacement when it is rotated.
void write_shared(std::ostream& out, const std::vector<inventory::SharedCertificate>& shared, UnixTime now) {
    const std::vector<Column> columns{{"subject", "Subject"}, {"places", "Places", kNumber}, {"days", "Days left", kNumber},
                                      {"spread", "Spread across labels"}};
    if (!open_table(out, "shared", "by subject, path, host, label", columns, shared.size(),
                    "No certificate is at more than one place."))
        return;
    for (const auto& s : shared) {
        const CertInfo& c = s.summary.cert;
        std::vector<std::string> places;
        for (const auto& seen : s.places) places.push_back(place_item(seen.place, seen.labels));
        write_record(out, "shared-" + c.sha256,
                     {{subject_html(c), ""}, number_cell(static_cast<std::int64_t>(s.places.size())),
                      days_cell(validity_at(c, now)), text_cell(label_split_text(s.split))},
                     certificate_facts(c, s.summary.first_seen, s.summary.last_seen, now) +
                         list_section("Places", places),
                     columns);
    }
    close_table(out);
}

void write_reused_keys(std::ostream& out, const std::vector<inventory::ReusedKey>& reused_keys) {
    const std::vector<Column> columns{{"key", "Key (SHA-256)"}, {"certificates", "Certificates", kNumber},
                                      {"files", "Key files", kNumber}, {"holders", "Held by"}};
    if (!open_table(out, "keys", "by key, subject, path", columns, reused_keys.size(), "No key is reused.")) return;
    for (const auto& key : reused_keys) {
        std::vector<std::string> certificates, holders, key_files;
        for (const auto& summary : key.certificates) {
            certificates.push_back(certificate_item(summary.cert));
            holders.push_back(common_name_or_subject(summary.cert.subject));
        }
        for (const auto& file : key.key_files) key_files.push_back(place_item(file));
        write_record(out, "key-" + key.spki_sha256,
                     {{"<span class=\"mono\">" + escape(short_sha256(key.spki_sha256)) + "</span>", key.spki_sha256},
                      number_cell(static_cast<std::int64_t>(key.certificates.size())),
                      number_cell(static_cast<std::int64_t>(key.key_files.size())), text_cell(joined(holders))},
                     "<dl class=\"facts\"><dt>Key SHA-256</dt><dd class=\"mono\">" + escape(key.spki_sha256) +
                         "</dd></dl>" + list_section("Certificates", certificates) +
                         list_section("Private key files", key_files),
                     columns);
    }
    close_table(out);
}

void write_stores(std::ostream& out, const std::vector<inventory::TrustStore>& stores) {
    out << "<h3>Trust stores</h3>";
    const std::vector<Column> columns{{"store", "Store"}, {"format", "Format"}, {"anchors", "Anchors", kNumber},
                                      {"seen", "Last seen", kNumber}};
    if (!open_table(out, "stores", "by store path, anchor", columns, stores.size(), "No trust store in this report."))
        return;
    for (const auto& store : stores) {
        std::vector<std::string> anchors;
        for (const auto& anchor : store.anchors) anchors.push_back(certificate_item(anchor.cert));
        write_record(out, "",
                     {text_cell(store.place.display()), text_cell(to_string(store.place.format)),
                      number_cell(static_cast<std::int64_t>(store.anchors.size())), date_cell(store.last_seen)},
                     list_section("Anchors", anchors), columns);
    }
    close_table(out);
}

void write_anchors(std::ostream& out, const std::vector<inventory::AnchorSummary>& anchors, UnixTime now) {
    out << "<h3>Anchors</h3>";
    const std::vector<Column> columns{{"anchor", "Anchor"}, {"stores", "Stores", kNumber}, {"issues", "Issues live", kNumber},
                                      {"days", "Days left", kNumber}, {"remarks", "Remarks"}};
    if (!open_table(out, "anchors", "by subject, store", columns, anchors.size(), "No trust anchor in this report.")) return;
    for (const auto& anchor : anchors) {
        const CertInfo& c = anchor.summary.cert;
        std::string remarks;
        if (anchor.pinned_leaf) remarks += "<span class=\"flag\">pinned leaf</span>";
        if (anchor.stale) remarks += "<span class=\"flag\">stale: issues nothing seen</span>";
        if (!anchor.missing_from.empty())
            remarks += "<span class=\"flag\">missing from " + count_of(anchor.missing_from.size(), "store") + "</span>";
        std::vector<std::string> held_by, missing_from;
        for (const auto& store : anchor.stores) held_by.push_back("<li>" + escape(store) + "</li>");
        for (const auto& store : anchor.missing_from) missing_from.push_back("<li>" + escape(store) + "</li>");
        write_record(out, "anchor-" + c.sha256,
                     {{subject_html(c), ""}, number_cell(static_cast<std::int64_t>(anchor.stores.size())),
                      number_cell(anchor.issues_live), days_cell(validity_at(c, now)), {remarks, ""}},
                     certificate_facts(c, anchor.summary.first_seen, anchor.summary.last_seen, now) +
                         list_section("Held by", held_by) + list_section("Missing from", missing_from),
                     columns);
    }
    close_table(out);
}

// One record per rule: what it says and advises once, and every place it found something at.
void write_findings(std::ostream& out, const std::vector<Finding>& findings) {
    const auto by_rule = findings_by_rule(findings);
    const std::vector<Column> columns{{"severity", "Severity", Column::Kind::rank}, {"rule", "Rule"},
                                      {"findings", "Findings", kNumber}, {"places", "Places", kNumber},
                                      {"message", "What and what to do"}};
    if (!open_table(out, "findings", "by rule, place, message", columns, by_rule.size(), "No findings.")) return;
    for (const auto& rule : by_rule) {
        const std::string severity = to_string(rule.severity);
        std::vector<std::string> places;
        for (const auto& place : rule.places)
            places.push_back("<li>" + escape(place.location) + "<span class=\"muted\">" + escape(place.remark()) + "</span></li>");
        write_record(out, "finding-" + rule.rule_id,
                     {{"<span class=\"severity severity-" + escape(severity) + "\">" + escape(severity) + "</span>",
                       std::to_string(static_cast<int>(rule.severity))},
                      {"<span class=\"nowrap\">" + escape(rule.rule_id) + "</span>", ""},
                      number_cell(static_cast<std::int64_t>(rule.count)),
                      number_cell(static_cast<std::int64_t>(rule.places.size())), text_cell(rule.message)},
                     list_section("Places", places), columns);
    }
    close_table(out);
}

}  // namespace

void HtmlWriter::write(const ReportModel& model, const ReportContext& context, std::ostream& out) const {
    const auto& contents = model.contents;
    const auto& scan = contents.scan;
    const std::string title = "certfleet report: " + scope_title(contents);
    out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
        << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        << "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
        << csp_hash(html_assets::kStyle) << "; script-src " << csp_hash(html_assets::kScript)
        << "; base-uri 'none'; form-action 'none'\">\n"
        << "<title>" << escape(title) << "</title>\n<style>" << html_assets::kStyle << "</style></head>\n<body>\n"
        << "<header><h1>Certificate fleet report</h1><p class=\"meta\">" << escape(scope_title(contents)) << " ("
        << escape(scan.kind)
        << ", " << to_string(scan.status) << ") started " << date_time(scan.started_at) << " · "
        << count_of(scan.counts.files_walked, "file") << " read, " << count_of(scan.counts.errors, "input error")
        << " · generated " << date_time(context.now) << "</p>\n"
        << "<nav><a href=\"#summary\">Summary</a><a href=\"#timeline\">Expiry timeline</a>"
        << "<a href=\"#migrations\">Migrations</a><a href=\"#certificates\">Certificates</a>"
        << "<a href=\"#shared\">Shared</a><a href=\"#key-reuse\">Key reuse</a><a href=\"#trust\">Trust anchors</a>"
        << "<a href=\"#findings\">Findings</a></nav></header>\n<main>\n";
    const UnixTime now = context.now;
    write_section(out, "summary", "Summary", "", [&] { write_summary(out, contents, now); });
    write_section(out, "timeline", "Expiry timeline", "", [&] { write_timeline(out, contents, now); });
    write_section(out, "migrations", "Migration burn-down", "", [&] { write_migrations(out, model.migrations); });
    write_section(out, "certificates", "Certificates", "",
                  [&] { write_certificates(out, contents, AnchorStores(model.anchors), now); });
    write_section(out, "shared", "Shared certificates",
                  "Certificates at two or more places (trust-store entries not counted): rotating one means replacing "
                  "it at every place listed.",
                  [&] { write_shared(out, model.shared, now); });
    write_section(out, "key-reuse", "Key reuse",
                  "Public keys in two or more certificates, and private keys copied to several files: one compromise "
                  "reaches all of them.",
                  [&] { write_reused_keys(out, model.reused_keys); });
    write_section(out, "trust", "Trust anchors", "", [&] {
        write_stores(out, model.stores);
        write_anchors(out, model.anchors, now);
    });
    write_section(out, "findings", "Findings", "", [&] { write_findings(out, contents.findings); });
    out << "</main>\n<footer>Generated by certfleet. This page is one file: it fetches nothing. Click a column to sort, "
           "type in a box to filter, and open a row for its details; the address keeps the view, so a link shares "
           "it.</footer>\n<script>"
        << html_assets::kScript << "</script>\n</body></html>\n";
}

}  // namespace certfleet::report
