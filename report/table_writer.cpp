#include "report/table_writer.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

#include "core/encoding.hpp"
#include "report/model_support.hpp"
#include "report/table_support.hpp"

namespace certfleet::report {

namespace {

constexpr std::size_t kDaysWidth = 6, kFlagsWidth = 10, kSubjectWidth = 28, kWhereWidth = 35;
constexpr std::size_t kMaxListedEvents = 10, kMaxListedPlaces = 8;

// The first file it is in (one outside the system trust stores, when there is one), or else the first endpoint
// presenting it, and how many other places there are.
std::string where_seen(const inventory::StoredCertificate& stored) {
    const std::size_t places = stored.sightings.size() + stored.endpoint_sightings.size();
    if (places == 0) return "-";
    std::string first;
    if (!stored.sightings.empty()) {
        const auto own = std::find_if(stored.sightings.begin(), stored.sightings.end(),
                                      [](const inventory::StoredSighting& s) { return !s.system_store; });
        const auto& shown = own != stored.sightings.end() ? *own : stored.sightings.front();
        inventory::Place place;
        place.path = shown.location.path;
        place.host = shown.host;
        first = place.display();
    } else {
        const auto& e = stored.endpoint_sightings.front();
        const bool v6 = e.address.find(':') != std::string::npos;
        first = (v6 ? "[" + e.address + "]" : e.address) + ":" + std::to_string(e.port);
        if (!e.server_name.empty()) first = e.server_name + " " + first;
        if (!e.site.empty()) first += " site=" + e.site;
    }
    const std::string more = places > 1 ? " +" + std::to_string(places - 1) : "";
    std::string fitted = fit(first, kWhereWidth - more.size(), true);
    fitted.erase(fitted.find_last_not_of(' ') + 1);
    return fitted + more;
}

// Endpoints that answered; refused ports are only counted, as a scan of a range has thousands of them.
void write_endpoints(const inventory::ScanContents& contents, std::ostream& out) {
    if (contents.endpoints.empty()) return;
    std::map<std::string, std::size_t> by_status;
    for (const auto& e : contents.endpoints) ++by_status[to_string(e.facts.status)];
    out << "\nEndpoints: " << contents.endpoints.size() << " probed";
    for (const auto& [status, count] : by_status) out << ", " << count << " " << status;
    out << "\n";
    if (by_status.size() == 1 && contents.endpoints.front().facts.status == EndpointStatus::closed) return;
    out << fit("STATUS", 17) << fit("ENDPOINT", 22) << fit("NAME", 16) << "VERDICT\n";
    out << std::string(kLineWidth - 1, '-') << "\n";
    for (const auto& e : contents.endpoints) {
        const EndpointFacts& f = e.facts;
        if (f.status == EndpointStatus::closed) continue;
        std::string verdict = endpoint_verdict(f);
        if (f.status == EndpointStatus::tls && f.serves_default) verdict += ", default";
        for (const auto& group : f.hybrid_groups) verdict += ", " + group;
        const std::string row = fit(to_string(f.status), 17) + fit(endpoint_text(f), 21, true) + " " +
                                fit(f.server_name.empty() ? "-" : f.server_name, 15) + " " + fit(verdict, 24);
        out << trim_right(row) << "\n";
    }
}

// The rules' verdicts by rule, most severe first: what the rule says and advises once, then every place it found
// something at (the first ones, for a rule that found many). Each finding in full is in the JSON report and in
// `certfleet check`.
void write_findings(const std::vector<Finding>& findings, std::ostream& out) {
    if (findings.empty()) return;
    out << "\nFindings: " << findings.size() << ", by rule\n";
    for (const auto& rule : findings_by_rule(findings)) {
        out << "\n" << trim_right(fit(std::string(to_string(rule.severity)) + "  " + rule.rule_id + ": " +
                                         count_of(rule.count, "finding"), kLineWidth - 1))
            << "\n";
        for (const auto& line : wrapped(rule.message, kLineWidth - 3)) out << "  " << line << "\n";
        std::size_t listed = 0;
        for (const auto& place : rule.places) {
            if (listed++ == kMaxListedPlaces) {
                out << "    ... and " << rule.places.size() - kMaxListedPlaces << " more places\n";
                break;
            }
            const std::string remark = place.remark();
            const std::string shown_remark = trim_right(fit(remark, std::min(display_width(remark), kLineWidth / 2)));
            out << "    " << trim_right(fit(place.location, kLineWidth - 5 - display_width(shown_remark), true))
                << shown_remark << "\n";
        }
    }
}

// Keys in more than one certificate or key file: one line each, with what shares it.
void write_reused_keys(const std::vector<inventory::ReusedKey>& reused_keys, std::ostream& out) {
    if (reused_keys.empty()) return;
    out << "\nReused keys: " << reused_keys.size() << "\n";
    for (const auto& key : reused_keys) {
        std::string holders;
        for (const auto& c : key.certificates) holders += (holders.empty() ? "" : ", ") + common_name_or_subject(c.cert.subject);
        const std::string row = short_sha256(key.spki_sha256) + " " + count_of(key.certificates.size(), "certificate") +
                                ", " + count_of(key.key_files.size(), "key file") + ": " + holders;
        out << "  " << trim_right(fit(row, kLineWidth - 3)) << "\n";
    }
}

// Trust-store entries, with what is unusual about them: a pinned service certificate, an anchor nothing uses,
// an anchor some stores lack.
// The anchors worth a person's attention: those in use, pinned leaves, expired ones, ones some store lacks. A system
// bundle's hundred-odd roots that issue nothing in the fleet are counted, not listed; JSON and
// `certfleet inventory anchors` list them all.
void write_anchors(const std::vector<inventory::AnchorSummary>& anchors, const ReportContext& context,
                   std::ostream& out) {
    if (anchors.empty()) return;
    const auto worth_listing = [&](const inventory::AnchorSummary& a) {
        return !a.stale || a.pinned_leaf || (!a.system_store && validity_at(a.summary.cert, context.now).expired);
    };
    const auto quiet = std::count_if(anchors.begin(), anchors.end(), [&](const auto& a) { return !worth_listing(a); });
    out << "\nTrust anchors: " << anchors.size();
    if (quiet) out << " (" << quiet << " stale ones that issue nothing seen and are not listed here)";
    out << "\n";
    for (const auto& anchor : anchors) {
        if (!worth_listing(anchor)) continue;
        std::string remarks = count_of(anchor.stores.size(), "store") + ", issues " +
                              std::to_string(anchor.issues_live) + " live";
        if (anchor.pinned_leaf) remarks += ", pinned leaf";
        if (anchor.stale) remarks += ", stale";
        if (validity_at(anchor.summary.cert, context.now).expired) remarks += ", EXPIRED";
        if (!anchor.missing_from.empty()) remarks += ", missing from " + count_of(anchor.missing_from.size(), "store");
        const std::string row = fit(common_name_or_subject(anchor.summary.cert.subject), kSubjectWidth) + " " + remarks;
        out << "  " << trim_right(fit(row, kLineWidth - 3)) << "\n";
    }
}

}  // namespace

void TableWriter::write(const ReportModel& model, const ReportContext& context, std::ostream& out) const {
    const auto& contents = model.contents;
    const auto& scan = contents.scan;
    out << scope_title(contents) << " (" << scan.kind << ", " << to_string(scan.status) << ") started "
        << format_rfc3339(scan.started_at) << "\n";
    if (scan.kind != "network") {
        out << scan.counts.files_walked << " files read, " << scan.counts.certificates_seen
            << " certificate sightings, " << scan.counts.keys_seen << " private keys, " << scan.counts.errors
            << " errors\n";
    }
    if (!contents.endpoints.empty()) {
        const auto tls = std::count_if(contents.endpoints.begin(), contents.endpoints.end(),
                                       [](const inventory::StoredEndpoint& e) { return e.facts.status == EndpointStatus::tls; });
        out << contents.endpoints.size() << " endpoints probed, " << tls << " speaking TLS\n";
    }
    out << contents.distinct_certificates() << " distinct certificates\n\n";

    // The distribution's roots are counted after the user's own certificates, not listed ahead of them.
    std::vector<const inventory::StoredCertificate*> own;
    std::size_t system_only = 0, system_expired = 0;
    for (const auto& stored : contents.certificates) {
        if (!only_in_system_stores(stored)) {
            own.push_back(&stored);
            continue;
        }
        ++system_only;
        system_expired += validity_at(stored.cert, context.now).expired;
    }
    if (own.empty()) {
        out << (system_only ? "No certificates of your own found.\n" : "No certificates found.\n");
    } else {
        char days_header[16];
        std::snprintf(days_header, sizeof days_header, "%5s ", "DAYS");
        out << days_header << fit("FLAGS", kFlagsWidth) << fit("SUBJECT", kSubjectWidth) << " WHERE SEEN\n";
        out << std::string(kLineWidth - 1, '-') << "\n";
        for (const auto* listed : own) {
            const auto& stored = *listed;
            const Validity v = validity_at(stored.cert, context.now);
            char days[32];
            std::snprintf(days, sizeof days, "%5lld ", static_cast<long long>(v.days_left));
            std::string row = std::string(days).substr(std::string(days).size() - kDaysWidth);
            row += fit(flags(stored.cert, v), kFlagsWidth) + fit(common_name_or_subject(stored.cert.subject), kSubjectWidth);
            row += " " + where_seen(stored);
            out << trim_right(row) << "\n";
        }
        out << "\nFLAGS: EXP expired, NYV not yet valid, SS self-signed, CA certificate authority\n";
    }
    if (system_only)
        out << "+ " << count_of(system_only, "anchor") << " only in system trust stores (" << system_expired
            << " expired), not listed\n";

    write_endpoints(contents, out);

    std::size_t encrypted = 0;
    for (const auto& k : contents.keys) encrypted += k.state == KeyState::encrypted;
    if (!contents.keys.empty())
        out << "\nPrivate keys: " << contents.keys.size() << " (" << encrypted
            << " encrypted); only fingerprints and paths are kept.\n";
    write_reused_keys(model.reused_keys, out);
    write_anchors(model.anchors, context, out);
    write_findings(contents.findings, out);

    std::size_t listed = 0, errors = 0;
    for (const auto& e : contents.events) {
        if (e.level != EventLevel::error) continue;
        if (errors++ == 0) out << "\nErrors:\n";
        if (listed < kMaxListedEvents) {
            ++listed;
            out << "  " << trim_right(fit(e.reason + "  " + e.location + ": " + e.detail, kLineWidth - 3)) << "\n";
        }
    }
    if (errors > listed) out << "  ... and " << errors - listed << " more (--format json lists them all)\n";
}

}  // namespace certfleet::report
