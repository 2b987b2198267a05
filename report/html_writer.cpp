#include "report/html_writer.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "report/html_assets.hpp"
#include "report/html_support.hpp"
#include "report/model_support.hpp"

namespace certfleet::report {

namespace {

using namespace html;

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

void write_certificates(std::ostream& out, const inventory::ScanContents& contents, const AnchorStores& anchors,
                        UnixTime now) {
    const std::vector<Column> columns{{"subject", "Subject"}, {"issuer", "Issuer"},  {"days", "Days left", kNumber},
                                      {"expires", "Expires", kNumber}, {"key", "Key"}, {"flags", "Flags"},
                                      {"places", "Places", kNumber}, {"labels", "Labels"}};
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
        std::set<std::pair<std::string, std::string>> labels;  // every label of its places, once
        for (const auto& seen : sighting_places(stored, anchors)) {
            places.push_back(place_item(seen.place, seen.labels));
            for (const auto& label : seen.labels) labels.emplace(label.key, label.value);
        }
        Labels distinct;
        for (const auto& [key, value] : labels) distinct.push_back(Label{key, value});
        write_record(out, "cert-" + c.sha256,
                     {{subject_html(c), ""}, text_cell(common_name_or_subject(c.issuer)), days_cell(v),
                      date_cell(c.not_after), text_cell(key_text(c)), text_cell(flags(c, v, true)),
                      number_cell(static_cast<std::int64_t>(places.size())), {labels_html(distinct), ""}},
                     certificate_facts(c, stored.first_seen, stored.last_seen, now) + list_section("Locations", places),
                     columns);
    }
    close_table(out);
}

// Who presents what: each endpoint in the view with its leaf, verdict and days left; an unseen one (its latest
// probe could not reach it) as its last probe that presented certificates left it.
void write_endpoints(std::ostream& out, const inventory::ScanContents& contents, const inventory::Coverage& coverage,
                     UnixTime now) {
    std::map<std::string, const CertInfo*> certificates;
    std::map<std::string, Labels> labels;  // by the endpoint's display
    for (const auto& stored : contents.certificates) {
        certificates.emplace(stored.cert.sha256, &stored.cert);
        for (const auto& seen : sighting_places(stored, AnchorStores()))
            if (seen.place.kind == inventory::Place::Kind::endpoint) labels.emplace(seen.place.display(), seen.labels);
    }
    std::map<std::string, const inventory::AbsentPlace*> unseen;
    for (const auto& absent : coverage.unseen) unseen.emplace(absent.place.display(), &absent);
    const std::vector<Column> columns{{"endpoint", "Endpoint"}, {"status", "Status"}, {"verdict", "Verdict"},
                                      {"leaf", "Leaf"},         {"days", "Days left", kNumber}, {"tls", "TLS"},
                                      {"labels", "Labels"}};
    if (!open_table(out, "endpoints", "by endpoint, leaf, verdict, label", columns, contents.endpoints.size(),
                    "No endpoint in this report: give certfleet scan TARGETs to probe some."))
        return;
    for (const auto& endpoint : contents.endpoints) {
        const auto& f = endpoint.facts;
        const std::string where = endpoint_place(f).display();
        const auto absent = unseen.find(where);
        const std::string status = absent != unseen.end() ? "unseen: " + absent->second->reason + " since " +
                                                                date(absent->second->since)
                                                          : std::string(to_string(f.status));
        const CertInfo* leaf = endpoint.chain.empty() ? nullptr : certificates[endpoint.chain.front()];
        const auto label_list = labels.find(where);
        const Labels& place_labels = label_list == labels.end() ? Labels{} : label_list->second;
        std::string details = "<dl class=\"facts\">";
        add_fact(details, "Address", f.address);
        add_fact(details, "Name check", f.verdict.name_check_detail);
        add_fact(details, "Verification", f.verdict.verify_detail);
        add_fact(details, "Cipher", f.cipher);
        details += "</dl>";
        if (leaf) details += certificate_facts(*leaf, 0, 0, now);
        write_record(out, "endpoint-" + where,
                     {text_cell(where), {"<span class=\"" + std::string(absent != unseen.end() ? "flag" : "") + "\">" +
                                             escape(status) + "</span>", ""},
                      text_cell(f.verdict.verified ? "verified" : f.verdict.verify_error),
                      leaf ? Cell{subject_html(*leaf), ""} : text_cell("-"),
                      leaf ? days_cell(validity_at(*leaf, now)) : text_cell("-"), text_cell(f.tls_version),
                      {labels_html(place_labels), ""}},
                     details, columns);
    }
    close_table(out);
}

// What the view could not look at: places unseen since a date (still in the view, with their last certificates)
// and places gone from it, so nobody reads a quiet report as a healthy fleet.
void write_coverage(std::ostream& out, const inventory::Coverage& coverage) {
    out << "<div class=\"tiles\">\n";
    write_tile(out, "seen", coverage.seen_in_scan, "places seen by the scan",
               coverage.previous_scan && coverage.seen_in_scan < coverage.seen_in_previous ? "medium" : "info",
               coverage.previous_scan ? std::to_string(coverage.seen_in_previous) + " in scan " +
                                            std::to_string(*coverage.previous_scan) + " of the same targets"
                                      : "");
    write_tile(out, "unseen", static_cast<std::int64_t>(coverage.unseen.size()), "places unseen",
               coverage.unseen.empty() ? "ok" : "medium", "could not be looked at again");
    write_tile(out, "gone", coverage.gone, "places gone", "info", "out of the view, in the history");
    write_tile(out, "unreadable", coverage.unreadable_files, "unreadable files", coverage.unreadable_files ? "medium" : "ok");
    write_tile(out, "unreachable", coverage.unreachable, "unreachable endpoints", coverage.unreachable ? "medium" : "ok");
    out << "</div>\n";
    std::vector<std::string> items;
    for (const auto& root : coverage.unreadable_roots)
        items.push_back("<li>" + escape(root) + " <span class=\"muted\">root could not be read</span></li>");
    for (const auto& list : coverage.unreadable_lists)
        items.push_back("<li>" + escape(list) + " <span class=\"muted\">list could not be read</span></li>");
    for (const auto& absent : coverage.unseen)
        items.push_back("<li>" + escape(absent.place.display()) + " <span class=\"muted\">" + escape(absent.reason) +
                        " since " + date(absent.since) + " (scan " + std::to_string(absent.since_scan) +
                        "); its last certificates stay in the view</span></li>");
    out << list_section("Not seen by the latest look", items);
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
            places.push_back("<li>" + escape(place.location) + "<span class=\"muted\">" + escape(place.remark()) +
                             "</span>" + labels_html(place.labels) + "</li>");
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
        << "<a href=\"#migrations\">Migrations</a><a href=\"#endpoints\">Endpoints</a>"
        << "<a href=\"#certificates\">Certificates</a><a href=\"#agility\">Crypto agility</a>"
        << "<a href=\"#shared\">Shared</a><a href=\"#key-reuse\">Key reuse</a><a href=\"#trust\">Trust anchors</a>"
        << "<a href=\"#findings\">Findings</a><a href=\"#coverage\">Coverage</a></nav></header>\n<main>\n";
    const UnixTime now = context.now;
    write_section(out, "summary", "Summary", "", [&] { write_summary(out, contents, now); });
    write_section(out, "timeline", "Expiry timeline", "", [&] { write_timeline(out, contents, now); });
    write_section(out, "migrations", "Migration burn-down", "", [&] { write_migrations(out, model.migrations); });
    write_section(out, "endpoints", "Endpoints", "Who presents what: each endpoint's leaf certificate and verdict.",
                  [&] { write_endpoints(out, contents, model.coverage, now); });
    write_section(out, "certificates", "Certificates", "",
                  [&] { write_certificates(out, contents, AnchorStores(model.anchors), now); });
    write_section(out, "agility", "Crypto agility",
                  "Which algorithms the fleet's keys and key exchanges use, how strong they are, and what NIST's dates "
                  "for retiring them (NIST IR 8547) and the CA/Browser Forum's lifetime steps (ballot SC-081) mean for "
                  "them.",
                  [&] { write_crypto_agility(out, contents); });
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
    write_section(out, "coverage", "Coverage", "", [&] { write_coverage(out, model.coverage); });
    out << "</main>\n<footer>Generated by certfleet. This page is one file: it fetches nothing. Click a column to sort, "
           "type in a box to filter, and open a row for its details; the address keeps the view, so a link shares "
           "it.</footer>\n<script>"
        << html_assets::kScript << "</script>\n</body></html>\n";
}

}  // namespace certfleet::report
