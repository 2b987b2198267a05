#pragma once
// JSON pieces the scan report and the inventory answers share, so a certificate, an endpoint or a scan reads
// the same in every document certfleet prints.
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "core/cert_info.hpp"
#include "core/finding.hpp"
#include "core/observation.hpp"
#include "inventory/analysis.hpp"
#include "inventory/inventory.hpp"

namespace certfleet::report {

using nlohmann::ordered_json;

ordered_json optional_time(const std::optional<UnixTime>& t);  // RFC 3339, or null
ordered_json optional_text(const std::string& s);              // null when empty
ordered_json labels_json(const Labels& labels);                 // {"owner": "payments", ...}

// Every fact of the certificate model, with days_left and the expiry flags as of `now`.
ordered_json certificate_facts_json(const CertInfo& cert, UnixTime now);
// true, false, or "not-verifiable" for a self-issued certificate whose algorithm OpenSSL 3.0 cannot check.
ordered_json self_signed_json(const CertInfo& cert);
// An endpoint's probe result and verdict; the TLS and verdict fields are null unless the status is tls.
ordered_json endpoint_facts_json(const EndpointFacts& facts, const std::vector<std::string>& chain);
// id, kind, status, started_at, finished_at and parameters.
ordered_json scan_header_json(const inventory::ScanRecord& scan);
// A run: the scans standing for its slots, what is pending or missing, and whether it is complete.
ordered_json run_json(const inventory::RunSummary& run);
// Whether a finding's JSON carries the certificate's subject: `check` has it, a scan's stored findings do not.
enum class FindingSubject { omitted, included };
ordered_json finding_json(const Finding& finding, FindingSubject subject);

// A name that is not UTF-8 (a file name is bytes, not text) prints with U+FFFD for the bytes that are not, so
// `object[key]` (a string, or an array of strings) no longer names the file. Then this adds `KEY_bytes`: the exact
// bytes in base64 (for an array, one entry per string, null where a string is UTF-8). Nothing is added otherwise.
void add_exact_bytes(ordered_json& object, const std::string& key);

// What the scans behind a view could not look at: unseen places, gone, unreadable files and roots, unreachable.
ordered_json coverage_json(const inventory::Coverage& coverage);

// Prints a document, replacing invalid UTF-8 rather than failing: every output of certfleet is UTF-8.
void print_json(const ordered_json& document, std::ostream& out);

}  // namespace certfleet::report
