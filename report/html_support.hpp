#pragma once
// The pieces the HTML report is built from: escaping, sortable and filterable tables whose records expand, lists
// of places and certificates, sections, and the charts (html_charts.cpp). Every table row and chart is rendered
// as markup; the page's script only sorts, filters and expands what is already there. So nothing the
// certificates say is ever embedded in a script, and everything printed goes through escape() once, as HTML
// text or a double-quoted attribute value.
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/cert_info.hpp"
#include "inventory/analysis.hpp"
#include "report/report.hpp"
#include "report/table_support.hpp"

namespace certfleet::report::html {

inline constexpr std::int64_t kSecondsPerDay = 86'400;
inline constexpr std::int64_t kExpiringSoonDays = 30;

// HTML text or a double-quoted attribute value, from the text as visible_text shows it: bytes that are not
// UTF-8 and control characters are seen, not dropped or left to the browser.
std::string escape(std::string_view text);
std::string joined(const std::vector<std::string>& items, std::string_view separator = ", ");
// A Content-Security-Policy source for one inline block: the page runs and applies only its own script and
// stylesheet, so even markup that slipped past escaping could neither run nor restyle anything.
std::string csp_hash(std::string_view block);

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

Cell text_cell(std::string_view text);
Cell number_cell(std::int64_t value);
Cell days_cell(const Validity& v);
Cell date_cell(UnixTime t);
// A table's filter box and header; or, when it has no records, only the note `none`, and false.
bool open_table(std::ostream& out, std::string_view id, std::string_view what, const std::vector<Column>& columns,
                std::size_t records, std::string_view none);
void close_table(std::ostream& out);
// One record: a row of cells and, when there is more to say, a details row the first cell's button shows. Each
// record is its own <tbody> so sorting moves a row and its details together.
void write_record(std::ostream& out, std::string_view id, const std::vector<Cell>& cells, std::string_view details,
                  const std::vector<Column>& columns);

// ---- certificates and places ----

std::string days_text(const Validity& v);
std::string key_text(const CertInfo& c);
void add_fact(std::string& html, std::string_view term, const std::string& value, bool monospace = false);
// A certificate's facts as a definition list, for a record's details.
std::string certificate_facts(const CertInfo& c, UnixTime first_seen, UnixTime last_seen, UnixTime now);
std::string labels_html(const Labels& labels);
// One place as a list item: where it is, then how it holds the certificate there, then its labels.
std::string place_item(const inventory::Place& place, const Labels& labels = {});
// A titled list, or nothing when there are no items.
std::string list_section(std::string_view title, const std::vector<std::string>& items);
std::string subject_html(const CertInfo& c);
// A certificate named in a list: who it is, when it expires, and its fingerprint to look it up.
std::string certificate_item(const CertInfo& c);

// ---- sections and charts ----

// A section of the page: its heading, what it is for when that needs saying, then what `body` writes.
template <typename Body>
void write_section(std::ostream& out, std::string_view id, std::string_view title, std::string_view purpose, Body body) {
    out << "<section id=\"" << id << "\"><h2>" << title << "</h2>";
    if (!purpose.empty()) out << "<p class=\"note\">" << purpose << "</p>";
    body();
    out << "</section>\n";
}

// The fleet's algorithms by strength and quantum standing, key exchanges, and lifetimes against the CA/Browser
// Forum's steps.
void write_crypto_agility(std::ostream& out, const inventory::ScanContents& contents);

// Certificates per week until expiry over the next half year, expired ones in a bar of their own.
void write_timeline(std::ostream& out, const inventory::ScanContents& contents, UnixTime now);
// Each migration rule's burn-down by date, up to the report's scan, with its deadline and the places still to move.
void write_migrations(std::ostream& out, const std::vector<rules::MigrationHistory>& migrations);

}  // namespace certfleet::report::html
