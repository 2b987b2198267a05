#pragma once
// Text helpers the table writers share: columns cut to a width, names people recognise, humane dates.
#include <string>
#include <string_view>
#include <vector>

#include "core/cert_info.hpp"
#include "core/observation.hpp"

namespace certfleet::report {

// The text reports' width: a terminal's, and what a mail or a ticket shows unwrapped.
constexpr std::size_t kLineWidth = 80;

// Display width counted in code points, so a UTF-8 subject is cut on a character boundary.
std::size_t display_width(std::string_view s);
// Fits text, shown as visible_text, into `width` columns: subjects lose their end, paths their start (the file
// name matters most). So no cell of a table can hold a control character or split its row.
std::string fit(std::string_view text, std::size_t width, bool keep_end = false);
// `text` right-aligned in `width` columns.
std::string right(const std::string& text, std::size_t width);
std::string trim_right(std::string s);
// Text shown as visible_text, in lines of at most `width` columns broken between words (a word too long for a line
// is cut as fit cuts it).
std::vector<std::string> wrapped(std::string_view text, std::size_t width);

// The first CN of an RFC 2253 subject, or empty when it has none.
std::string common_name(const std::string& subject);
// The CN when the subject has one (what people recognise), else the whole subject.
std::string common_name_or_subject(const std::string& subject);
// "EXP NYV SS CA" for a column, or spelled out ("expired, not yet valid, self-signed, CA") for a detail view.
std::string flags(const CertInfo& cert, const Validity& validity, bool spelled_out = false);
// "192.0.2.7:443", "[2001:db8::7]:443", or the host when it did not resolve.
std::string endpoint_text(const EndpointFacts& facts);
// "ok", the first verification error, or for an endpoint without TLS why not.
std::string endpoint_verdict(const EndpointFacts& facts);

const char* true_false(bool value);  // "true", "false"
// "1 certificate", "3 certificates".
std::string count_of(std::size_t count, const std::string& noun);
// "89 days left", "expired 3 days ago" (days_left is negative exactly when the certificate has expired).
std::string days_left_text(std::int64_t days_left);
std::string date(UnixTime t);                         // "2026-11-23"
std::string date_time(UnixTime t);                    // "2026-11-23 01:02 UTC"
std::string short_sha256(const std::string& sha256);  // the first 16 hex digits and "…"

}  // namespace certfleet::report
