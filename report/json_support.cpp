#include "report/json_support.hpp"

#include <algorithm>
#include <cmath>

#include "core/algorithms.hpp"

#include "core/encoding.hpp"
#include "report/text_escape.hpp"

namespace certfleet::report {

ordered_json optional_time(const std::optional<UnixTime>& t) { return t ? ordered_json(format_rfc3339(*t)) : ordered_json(); }
ordered_json optional_text(const std::string& s) { return s.empty() ? ordered_json() : ordered_json(s); }

ordered_json self_signed_json(const CertInfo& c) {
    const SelfSignature s = self_signature(c);
    return s == SelfSignature::not_verifiable ? ordered_json(to_string(s)) : ordered_json(s == SelfSignature::yes);
}

namespace {
// Harvest now, decrypt later: null where the exchange is not known.
ordered_json key_exchange_vulnerable(const EndpointFacts& f) {
    const auto judged = judge_key_exchange(f.strongest_key_exchange());
    return judged.quantum_vulnerable ? ordered_json(*judged.quantum_vulnerable) : ordered_json();
}

ordered_json parameters(const std::string& text) {
    auto parsed = ordered_json::parse(text, nullptr, false);
    return parsed.is_discarded() ? ordered_json::object() : parsed;
}
}  // namespace

ordered_json certificate_facts_json(const CertInfo& c, UnixTime now) {
    const Validity v = validity_at(c, now);
    const AlgorithmJudgement key = judge_key(c);
    const auto when_known = [](int value) { return value > 0 ? ordered_json(value) : ordered_json(); };
    // Whole days, rounded up: a lifetime one second over 90 days is over a 90-day limit.
    const std::int64_t lifetime_days = (lifetime_seconds(c) + 86399) / 86400;
    const double used = lifetime_used_percent(c, now);
    return ordered_json{
        {"sha256", c.sha256},
        {"spki_sha256", c.spki_sha256},
        {"subject", c.subject},
        {"issuer", c.issuer},
        {"serial", c.serial},
        {"not_before", format_rfc3339(c.not_before)},
        {"not_after", format_rfc3339(c.not_after)},
        {"days_left", v.days_left},
        {"expired", v.expired},
        {"not_yet_valid", v.not_yet_valid},
        {"self_signed", self_signed_json(c)},
        {"self_issued", c.self_issued},
        {"is_ca", c.is_ca},
        {"path_length", c.path_length ? ordered_json(*c.path_length) : ordered_json()},
        {"key_type", c.key_type},
        {"key_curve", optional_text(c.key_curve)},
        {"key_bits", c.key_bits},
        {"signature_algorithm", c.signature_algorithm},
        {"key_algorithm", key.name},
        {"quantum_vulnerable", key.quantum_vulnerable ? ordered_json(*key.quantum_vulnerable) : ordered_json()},
        {"security_bits", when_known(key.classical_bits)},
        {"nist_quantum_level", when_known(key.nist_quantum_level)},
        {"lifetime_days", lifetime_days},
        {"lifetime_used_percent", std::round(used * 10) / 10},
        {"dns_names", c.dns_names},
        {"ip_addresses", c.ip_addresses},
        {"uris", c.uris},
        {"emails", c.emails},
        {"key_usage", c.key_usage},
        {"ext_key_usage", c.ext_key_usage},
        {"subject_key_id", optional_text(c.subject_key_id)},
        {"authority_key_id", optional_text(c.authority_key_id)},
    };
}

ordered_json endpoint_facts_json(const EndpointFacts& f, const std::vector<std::string>& chain) {
    const bool tls = f.status == EndpointStatus::tls;
    const ChainVerdict& v = f.verdict;
    auto when_tls = [&](ordered_json value) { return tls ? value : ordered_json(); };
    return ordered_json{
        {"host", f.host},
        {"address", optional_text(f.address)},
        {"port", f.port},
        {"server_name", optional_text(f.server_name)},
        {"site", optional_text(f.site)},
        {"status", to_string(f.status)},
        {"detail", optional_text(f.detail)},
        {"starttls", f.starttls ? ordered_json(to_string(*f.starttls)) : ordered_json()},
        {"tls_version", when_tls(f.tls_version)},
        {"cipher", when_tls(f.cipher)},
        {"key_exchange", when_tls(optional_text(f.key_exchange))},
        {"hybrid_groups", when_tls(f.hybrid_groups)},
        {"key_exchange_quantum_vulnerable", when_tls(key_exchange_vulnerable(f))},
        {"ocsp_stapled", when_tls(f.ocsp_stapled)},
        {"client_auth", when_tls(to_string(f.client_auth))},
        {"client_ca_names", when_tls(f.client_ca_names)},
        {"chain", chain},
        {"verified", when_tls(v.verified)},
        {"verify_error", when_tls(optional_text(v.verify_error))},
        {"verify_detail", when_tls(optional_text(v.verify_detail))},
        {"verify_errors", when_tls(v.errors)},
        {"hostname_match", when_tls(v.hostname_match())},
        {"chain_trusted", when_tls(v.chain_trusted)},
        {"public_root", when_tls(v.public_root)},
        {"chain_order_correct", when_tls(v.order_correct)},
        {"root_included", when_tls(v.root_included)},
        {"intermediates_missing", when_tls(v.intermediates_missing)},
        {"earliest_expiry", optional_time(v.earliest_expiry)},
        {"earliest_expiry_sha256", optional_text(v.earliest_expiry_sha256)},
        {"serves_default", when_tls(f.serves_default)},
        {"elapsed_ms", f.elapsed_ms},
        {"name_check", when_tls(to_string(v.name_check))},
        {"name_check_detail", when_tls(optional_text(v.name_check_detail))},
    };
}

ordered_json scan_header_json(const inventory::ScanRecord& scan) {
    ordered_json json{
        {"id", scan.id},
        {"kind", scan.kind},
        {"status", to_string(scan.status)},
        {"started_at", format_rfc3339(scan.started_at)},
        {"finished_at", optional_time(scan.finished_at)},
        {"parameters", parameters(scan.parameters_json)},
    };
    if (!scan.run.run.empty())
        json["run"] = ordered_json{{"name", scan.run.run},
                                   {"shard", scan.run.shard > 0 ? ordered_json(scan.run.shard) : ordered_json()},
                                   {"shards", scan.run.shards > 0 ? ordered_json(scan.run.shards) : ordered_json()}};
    return json;
}

ordered_json run_json(const inventory::RunSummary& run) {
    const auto ids = [](const std::vector<inventory::ScanRecord>& scans) {
        ordered_json out = ordered_json::array();
        for (const auto& s : scans) out.push_back(s.id);
        return out;
    };
    return ordered_json{{"name", run.name},
                        {"complete", run.complete()},
                        {"started_at", format_rfc3339(run.started_at)},
                        {"finished_at", optional_time(run.finished_at)},
                        {"scans", ids(run.members)},
                        {"pending_scans", ids(run.pending)},
                        {"superseded_scans", run.superseded},
                        {"shards", run.shards > 0 ? ordered_json(run.shards) : ordered_json()},
                        {"missing_shards", run.missing_shards},
                        {"gaps", optional_text(run.gaps())}};
}

ordered_json labels_json(const Labels& labels) {
    ordered_json object = ordered_json::object();
    for (const auto& label : labels) object[label.key] = label.value;
    return object;
}

ordered_json finding_json(const Finding& f, FindingSubject subject) {
    ordered_json json{{"rule_id", f.rule_id}, {"severity", to_string(f.severity)}, {"sha256", f.sha256}};
    if (subject == FindingSubject::included) json["subject"] = f.subject;
    json["location"] = f.location;
    json["message"] = f.message;
    json["days_left"] = f.days_left;
    json["deadline"] = f.deadline ? ordered_json(format_rfc3339(*f.deadline)) : ordered_json();
    json["overdue"] = f.overdue;
    json["labels"] = labels_json(f.labels);
    add_exact_bytes(json, "location");
    return json;
}

void add_exact_bytes(ordered_json& object, const std::string& key) {
    const auto exact = [](const ordered_json& value) {
        const auto& text = value.get_ref<const std::string&>();
        if (is_valid_utf8(text)) return ordered_json();
        return ordered_json(base64_encode(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size())));
    };
    const ordered_json& value = object.at(key);
    ordered_json bytes;
    if (value.is_string()) {
        bytes = exact(value);
    } else if (value.is_array()) {
        ordered_json entries = ordered_json::array();
        for (const auto& entry : value) entries.push_back(exact(entry));
        if (std::any_of(entries.begin(), entries.end(), [](const ordered_json& e) { return !e.is_null(); }))
            bytes = std::move(entries);
    }
    if (!bytes.is_null()) object[key + "_bytes"] = std::move(bytes);
}

void print_json(const ordered_json& document, std::ostream& out) {
    out << json_without_raw_controls(document.dump(2, ' ', false, ordered_json::error_handler_t::replace)) << '\n';
}

ordered_json coverage_json(const inventory::Coverage& coverage) {
    ordered_json unseen = ordered_json::array();
    for (const auto& absent : coverage.unseen) {
        ordered_json place{{"place", absent.place.display()},
                           {"kind", to_string(absent.place.kind)},
                           {"reason", absent.reason},
                           {"since", format_rfc3339(absent.since)},
                           {"since_scan", absent.since_scan}};
        add_exact_bytes(place, "place");
        unseen.push_back(std::move(place));
    }
    ordered_json roots(coverage.unreadable_roots), lists(coverage.unreadable_lists);
    ordered_json json{{"unseen", unseen},
                      {"gone", coverage.gone},
                      {"gone_in_scan", coverage.gone_in_scan},
                      {"unreadable_files", coverage.unreadable_files},
                      {"unreachable", coverage.unreachable},
                      {"unreadable_roots", roots},
                      {"unreadable_lists", lists},
                      {"seen_in_scan", coverage.seen_in_scan},
                      {"previous_scan", coverage.previous_scan ? ordered_json(*coverage.previous_scan) : ordered_json()},
                      {"seen_in_previous", coverage.seen_in_previous}};
    add_exact_bytes(json, "unreadable_roots");
    add_exact_bytes(json, "unreadable_lists");
    return json;
}

}  // namespace certfleet::report
