#include "report/table_support.hpp"

#include <sstream>

#include "core/algorithms.hpp"
#include "core/encoding.hpp"
#include "report/text_escape.hpp"

namespace certfleet::report {

namespace {

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

}  // namespace

std::size_t display_width(std::string_view s) {
    std::size_t width = 0;
    for (unsigned char c : s) width += (c & 0xc0) != 0x80;
    return width;
}

std::string fit(std::string_view text, std::size_t width, bool keep_end) {
    const std::string shown = visible_text(text);
    const std::size_t w = display_width(shown);
    if (w <= width) return shown + std::string(width - w, ' ');
    return keep_end ? "..." + cut_to_bytes(shown, width - 3, true) : cut_to_bytes(shown, width - 3, false) + "...";
}

std::string right(const std::string& text, std::size_t width) {
    const std::size_t w = display_width(text);
    return w >= width ? text : std::string(width - w, ' ') + text;
}

std::string trim_right(std::string s) {
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s;
}

std::vector<std::string> wrapped(std::string_view text, std::size_t width) {
    std::vector<std::string> lines;
    std::string line;
    std::istringstream words(visible_text(text));
    for (std::string word; words >> word;) {
        if (display_width(word) > width) word = cut_to_bytes(word, width - 3, false) + "...";
        if (!line.empty() && display_width(line) + 1 + display_width(word) > width) {
            lines.push_back(std::move(line));
            line.clear();
        }
        line += (line.empty() ? "" : " ") + word;
    }
    if (!line.empty()) lines.push_back(std::move(line));
    return lines;
}

std::string common_name(const std::string& subject) {
    // RFC 2253 puts the most specific RDN first; the CN is what people recognise.
    const auto pos = subject.find("CN=");
    if (pos == std::string::npos || (pos != 0 && subject[pos - 1] != ',')) return "";
    std::size_t end = pos + 3;
    while (end < subject.size() && !(subject[end] == ',' && subject[end - 1] != '\\')) ++end;
    return subject.substr(pos + 3, end - pos - 3);
}

std::string common_name_or_subject(const std::string& subject) {
    std::string cn = common_name(subject);
    if (!cn.empty()) return cn;
    return subject.empty() ? "(empty subject)" : subject;
}

std::string flags(const CertInfo& c, const Validity& v, bool spelled_out) {
    std::string out;
    auto add = [&](bool on, const char* flag, const char* words) {
        if (on) out += (out.empty() ? "" : spelled_out ? ", " : " ") + std::string(spelled_out ? words : flag);
    };
    add(v.expired, "EXP", "expired");
    add(v.not_yet_valid, "NYV", "not yet valid");
    add(c.self_signed, "SS", "self-signed");
    add(self_signature(c) == SelfSignature::not_verifiable, "SS?", "self-issued, signature not verifiable here");
    add(c.is_ca, "CA", "CA");
    return out;
}

std::string endpoint_verdict(const EndpointFacts& f) {
    if (f.status != EndpointStatus::tls) return f.detail;
    return f.verdict.verified ? "ok" : f.verdict.verify_error;
}

std::string endpoint_text(const EndpointFacts& f) {
    const bool v6 = f.address.find(':') != std::string::npos;
    const std::string address = f.address.empty() ? f.host : (v6 ? "[" + f.address + "]" : f.address);
    // Port 0: a host name that did not resolve, on none of its ports.
    const std::string text = f.port == 0 ? address : address + ":" + std::to_string(f.port);
    return f.site.empty() ? text : text + " site=" + f.site;
}

const char* true_false(bool value) { return value ? "true" : "false"; }

std::string count_of(std::size_t count, const std::string& noun) {
    return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

std::string days_left_text(std::int64_t days_left) {
    if (days_left < 0) return "expired " + std::to_string(-days_left) + " days ago";
    return std::to_string(days_left) + " days left";
}

std::string date(UnixTime t) { return format_rfc3339(t).substr(0, 10); }

std::string date_time(UnixTime t) {
    const std::string rfc3339 = format_rfc3339(t);
    return rfc3339.substr(0, 10) + " " + rfc3339.substr(11, 5) + " UTC";
}

std::string short_sha256(const std::string& sha256) { return sha256.size() > 16 ? sha256.substr(0, 16) + "…" : sha256; }

}  // namespace certfleet::report
