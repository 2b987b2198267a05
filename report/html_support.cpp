#include "report/html_support.hpp"

#include <openssl/evp.h>

#include <array>

#include "core/algorithms.hpp"
#include "core/encoding.hpp"
#include "report/text_escape.hpp"

namespace certfleet::report::html {

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

std::string joined(const std::vector<std::string>& items, std::string_view separator) {
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
    const AlgorithmJudgement key = judge_key(c);
    std::string text = key.name;
    if (key.classical_bits > 0) text += ", " + std::to_string(key.classical_bits) + "-bit security";
    if (key.quantum_vulnerable) text += *key.quantum_vulnerable ? ", quantum-vulnerable" : ", post-quantum";
    return text;
}

void add_fact(std::string& html, std::string_view term, const std::string& value, bool monospace) {
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
std::string place_item(const inventory::Place& place, const Labels& labels) {
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

}  // namespace certfleet::report::html
