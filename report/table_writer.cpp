#include "report/table_writer.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <string_view>

#include "core/encoding.hpp"

namespace certfleet::report {

namespace {

constexpr std::size_t kDaysWidth = 6, kFlagsWidth = 10, kSubjectWidth = 28, kWhereWidth = 35;
constexpr std::size_t kMaxListedEvents = 10;
constexpr std::size_t kLineWidth = 80;

// Display width counted in code points, so a UTF-8 subject is cut on a character boundary.
std::size_t display_width(std::string_view s) {
    std::size_t width = 0;
    for (unsigned char c : s) width += (c & 0xc0) != 0x80;
    return width;
}

std::string cut_to_bytes(std::string_view s, std::size_t keep_width, bool keep_end) {
    std::size_t width = 0;
    if (!keep_end) {
        std::size_t i = 0;
        for (; i < s.size(); ++i) {
            if ((static_cast<unsigned char>(s[i]) & 0xc0) != 0x80 && width++ == keep_width) break;
        }
        return std::string(s.substr(0, i));
    }
    std::size_t i = s.size();
    while (i > 0) {
        --i;
        if ((static_cast<unsigned char>(s[i]) & 0xc0) != 0x80 && ++width == keep_width) break;
    }
    return std::string(s.substr(i));
}

// Fits text into `width` columns: subjects lose their end, paths their start (the file name matters most).
std::string fit(std::string_view text, std::size_t width, bool keep_end = false) {
    const std::size_t w = display_width(text);
    std::string out;
    if (w <= width) {
        out = std::string(text) + std::string(width - w, ' ');
    } else {
        out = keep_end ? "..." + cut_to_bytes(text, width - 3, true) : cut_to_bytes(text, width - 3, false) + "...";
    }
    return out;
}

std::string common_name_or_subject(const std::string& subject) {
    // RFC 2253 puts the most specific RDN first; the CN is what people recognise.
    const auto pos = subject.find("CN=");
    if (pos != std::string::npos && (pos == 0 || subject[pos - 1] == ',')) {
        std::size_t end = pos + 3;
        while (end < subject.size() && !(subject[end] == ',' && subject[end - 1] != '\\')) ++end;
        return subject.substr(pos + 3, end - pos - 3);
    }
    return subject.empty() ? "(empty subject)" : subject;
}

std::string flags(const CertInfo& c, const Validity& v) {
    std::string out;
    auto add = [&](bool on, const char* flag) {
        if (on) out += (out.empty() ? "" : " ") + std::string(flag);
    };
    add(v.expired, "EXP");
    add(v.not_yet_valid, "NYV");
    add(c.self_signed, "SS");
    add(c.is_ca, "CA");
    return out;
}

// The first file it is in, or else the first endpoint presenting it, and how many other places there are.
std::string where_seen(const inventory::StoredCertificate& stored) {
    const std::size_t places = stored.sightings.size() + stored.endpoint_sightings.size();
    if (places == 0) return "-";
    std::string first;
    if (!stored.sightings.empty()) {
        first = stored.sightings.front().location.path;
    } else {
        const auto& e = stored.endpoint_sightings.front();
        const bool v6 = e.address.find(':') != std::string::npos;
        first = (v6 ? "[" + e.address + "]" : e.address) + ":" + std::to_string(e.port);
        if (!e.server_name.empty()) first = e.server_name + " " + first;
    }
    const std::string more = places > 1 ? " +" + std::to_string(places - 1) : "";
    std::string fitted = fit(first, kWhereWidth - more.size(), true);
    fitted.erase(fitted.find_last_not_of(' ') + 1);
    return fitted + more;
}

std::string trim_right(std::string s) {
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s;
}

std::string endpoint_text(const EndpointFacts& f) {
    const bool v6 = f.address.find(':') != std::string::npos;
    const std::string address = f.address.empty() ? f.host : (v6 ? "[" + f.address + "]" : f.address);
    return address + ":" + std::to_string(f.port);
}

// Endpoints that answered; refused ports are only counted, as a scan of a range has thousands of them.
void write_endpoints(const inventory::ScanContents& contents, std::ostream& out) {
    if (contents.endpoints.empty()) return;
    std::map<std::string, std::size_t> by_status;
    for (const auto& e : contents.endpoints) ++by_status[e.facts.status];
    out << "\nEndpoints: " << contents.endpoints.size() << " probed";
    for (const auto& [status, count] : by_status) out << ", " << count << " " << status;
    out << "\n";
    if (by_status.size() == 1 && by_status.count("closed")) return;
    out << fit("STATUS", 17) << fit("ENDPOINT", 22) << fit("NAME", 16) << "VERDICT\n";
    out << std::string(kLineWidth - 1, '-') << "\n";
    for (const auto& e : contents.endpoints) {
        const EndpointFacts& f = e.facts;
        if (f.status == "closed") continue;
        std::string verdict = f.status != "tls" ? f.detail : f.verified ? "ok" : f.verify_error;
        if (f.status == "tls" && f.serves_default) verdict += ", default";
        const std::string row = fit(f.status, 17) + fit(endpoint_text(f), 21, true) + " " +
                                fit(f.server_name.empty() ? "-" : f.server_name, 15) + " " + fit(verdict, 24);
        out << trim_right(row) << "\n";
    }
}

}  // namespace

void TableWriter::write(const inventory::ScanContents& contents, const ReportContext& context, std::ostream& out) const {
    const auto& scan = contents.scan;
    out << "Scan " << scan.id << " (" << scan.kind << ", " << inventory::to_string(scan.status) << ") started "
        << format_rfc3339(scan.started_at) << "\n";
    if (scan.kind != "network") {
        out << scan.counts.files_walked << " files read, " << scan.counts.certificates_seen
            << " certificate sightings, " << scan.counts.keys_seen << " private keys, " << scan.counts.errors
            << " errors\n";
    }
    if (!contents.endpoints.empty()) {
        const auto tls = std::count_if(contents.endpoints.begin(), contents.endpoints.end(),
                                       [](const inventory::StoredEndpoint& e) { return e.facts.status == "tls"; });
        out << contents.endpoints.size() << " endpoints probed, " << tls << " speaking TLS\n";
    }
    out << contents.distinct_certificates() << " distinct certificates\n\n";

    if (contents.certificates.empty()) {
        out << "No certificates found.\n";
    } else {
        char days_header[16];
        std::snprintf(days_header, sizeof days_header, "%5s ", "DAYS");
        out << days_header << fit("FLAGS", kFlagsWidth) << fit("SUBJECT", kSubjectWidth) << " WHERE SEEN\n";
        out << std::string(kLineWidth - 1, '-') << "\n";
        for (const auto& stored : contents.certificates) {
            const Validity v = validity_at(stored.cert, context.now);
            char days[32];
            std::snprintf(days, sizeof days, "%5lld ", static_cast<long long>(v.days_left));
            std::string row = std::string(days).substr(std::string(days).size() - kDaysWidth);
            row += fit(flags(stored.cert, v), kFlagsWidth) + fit(common_name_or_subject(stored.cert.subject), kSubjectWidth);
            row += " " + where_seen(stored);
            out << trim_right(row) << "\n";
        }
        out << "\nFLAGS: EXP expired, NYV not yet valid, SS self-signed, CA certificate authority.\n";
    }

    write_endpoints(contents, out);

    std::size_t encrypted = 0;
    for (const auto& k : contents.keys) encrypted += k.state == KeyState::encrypted;
    if (!contents.keys.empty())
        out << "\nPrivate keys: " << contents.keys.size() << " (" << encrypted
            << " encrypted); only fingerprints and paths are kept.\n";

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
