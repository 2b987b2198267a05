#include "rules/evaluate.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "core/address_block.hpp"
#include "core/algorithms.hpp"
#include "core/encoding.hpp"

namespace certfleet::rules {

namespace {

constexpr std::int64_t kDay = 86400;

bool glob_matches(const std::string& pattern, const std::string& text, bool ignore_case) {
    return ::fnmatch(pattern.c_str(), text.c_str(), ignore_case ? FNM_CASEFOLD : 0) == 0;
}

bool any_glob_matches(const FieldValue& value, const std::vector<std::string>& texts) {
    std::vector<std::string> patterns;
    if (const auto* one = std::get_if<std::string>(&value)) patterns.push_back(*one);
    if (const auto* many = std::get_if<std::vector<std::string>>(&value)) patterns = *many;
    for (const auto& pattern : patterns)
        for (const auto& text : texts)
            if (glob_matches(pattern, text, true)) return true;
    return false;
}

std::string endpoint_key(const std::string& host, const std::string& address, std::uint16_t port,
                         const std::string& server_name, const std::string& site) {
    return host + '\0' + address + '\0' + std::to_string(port) + '\0' + server_name + '\0' + site;
}

std::string date_of(UnixTime t) { return format_rfc3339(t).substr(0, 10); }

// A fact about a subject that may not apply to it (an endpoint's verdict for a file): tests on it never match.
std::optional<bool> verdict_fact(const Subject& s, bool ChainVerdict::*fact) {
    if (!s.endpoint) return std::nullopt;
    return s.endpoint->verdict.*fact;
}

// A fact about trust-store entries only.
std::optional<bool> anchor_fact(const Subject& s, bool fact) {
    if (!s.place.trust_anchor) return std::nullopt;
    return fact;
}

bool test_field(const Match& m, const Subject& s, UnixTime now) {
    const auto flag = [&](std::optional<bool> fact) {
        return fact.has_value() && *fact == std::get<bool>(m.value);
    };
    const auto number = [&] { return std::get<std::int64_t>(m.value); };
    const auto compared = [&] { return std::get<Comparison>(m.value); };
    const Validity validity = validity_at(s.cert, now);
    switch (m.field) {
        // Unknown for a certificate whose algorithm OpenSSL cannot check: neither true nor false holds.
        case Field::self_signed: {
            const SelfSignature signature = self_signature(s.cert);
            return flag(signature == SelfSignature::not_verifiable ? std::nullopt
                                                                   : std::optional<bool>(signature == SelfSignature::yes));
        }
        case Field::is_ca: return flag(s.cert.is_ca);
        case Field::expired: return flag(validity.expired);
        case Field::not_yet_valid: return flag(validity.not_yet_valid);
        case Field::has_san:
            return flag(!s.cert.dns_names.empty() || !s.cert.ip_addresses.empty() || !s.cert.uris.empty() ||
                        !s.cert.emails.empty());
        case Field::hostname_match:
            return flag(s.endpoint ? std::optional<bool>(s.endpoint->verdict.hostname_match()) : std::nullopt);
        case Field::chain_verified: return flag(verdict_fact(s, &ChainVerdict::verified));
        case Field::order_correct: return flag(verdict_fact(s, &ChainVerdict::order_correct));
        case Field::public_root: return flag(verdict_fact(s, &ChainVerdict::public_root));
        case Field::serves_default:
            return flag(s.endpoint ? std::optional<bool>(s.endpoint->serves_default) : std::nullopt);
        case Field::key_reused: return flag(s.key_reused);
        case Field::pinned_in_trust_store: return flag(s.pinned_in_trust_store);
        case Field::trust_anchor: return flag(s.place.trust_anchor);
        case Field::system_store: return flag(anchor_fact(s, s.place.system_store));
        case Field::stale: return flag(anchor_fact(s, s.stale));
        case Field::leaf: return flag(s.leaf);
        case Field::intermediate_expires_before_leaf: return flag(s.intermediate_expires_before_leaf);
        case Field::expires_within: return !validity.expired && s.cert.not_after <= now + number();
        case Field::validity_longer_than: return s.cert.not_after - s.cert.not_before > number();
        case Field::issued_more_than: return now - s.cert.not_before > number();
        case Field::quantum_vulnerable: return flag(judge_key(s.cert).quantum_vulnerable);
        case Field::key_exchange_quantum_vulnerable:
            return flag(s.endpoint ? judge_key_exchange(s.endpoint->strongest_key_exchange()).quantum_vulnerable : std::nullopt);
        case Field::security_bits_below: {
            const int bits = judge_key(s.cert).classical_bits;
            return bits > 0 && bits < number();  // an algorithm of unknown strength is not judged weak
        }
        // Whole days, rounded up as the Baseline Requirements count: one second over 90 days is 91.
        case Field::lifetime_days: return compared().holds_for(static_cast<double>((lifetime_seconds(s.cert) + kDay - 1) / kDay));
        case Field::lifetime_used_percent: return compared().holds_for(lifetime_used_percent(s.cert, now));
        // A date is stored as the last second of its day.
        case Field::valid_beyond: return s.cert.not_after > number();
        case Field::issued_before: return s.cert.not_before <= number() - kDay;
        case Field::issued_on_or_after: return s.cert.not_before > number() - kDay;
        case Field::key_bits_below: return s.cert.key_bits < number();
        case Field::shared_locations_at_least: return s.shared_locations >= number();
        case Field::intermediates_missing_at_least:
            return s.endpoint.has_value() && s.endpoint->verdict.intermediates_missing >= number();
        case Field::key_type: return any_glob_matches(m.value, {s.cert.key_type});
        case Field::signature_algorithm: return any_glob_matches(m.value, {s.cert.signature_algorithm});
        case Field::verify_error:
            return s.endpoint.has_value() && any_glob_matches(m.value, s.endpoint->verdict.errors);
        case Field::location_kind:
            return any_glob_matches(m.value, {to_string(s.place.kind)});
        case Field::issuer: return glob_matches(std::get<std::string>(m.value), s.cert.issuer, true);
        case Field::subject: return glob_matches(std::get<std::string>(m.value), s.cert.subject, true);
        case Field::shared_across_label: {
            const auto& key = std::get<std::string>(m.value);
            return std::find(s.split_label_keys.begin(), s.split_label_keys.end(), key) != s.split_label_keys.end();
        }
    }
    return false;
}

// The replacement a migration asks for: a CA named by subject glob, "spki:<sha256>" or "sha256:<sha256>".
bool chains_to(const std::string& wanted, const Subject& s) {
    const auto is = [&](const std::string& sha, const std::string& spki, const std::string& subject) {
        if (wanted.rfind("spki:", 0) == 0) return spki == wanted.substr(5);
        if (wanted.rfind("sha256:", 0) == 0) return sha == wanted.substr(7);
        return glob_matches(wanted, subject, true);
    };
    return std::any_of(s.ancestors.begin(), s.ancestors.end(),
                       [&](const inventory::Ancestor& a) { return is(a.sha256, a.spki_sha256, a.subject); });
}

// Whether the exemption names the subject's certificate or its place, in force or not.
bool names(const Exemption& e, const Subject& s) {
    return (e.fingerprint && *e.fingerprint == s.cert.sha256) ||
           (e.location && (glob_matches(*e.location, s.place.display(), false) || *e.location == s.place.display()));
}

bool in_force(const Exemption& e, UnixTime now) { return !e.expires || *e.expires >= now; }

class ExemptionCheck {
public:
    ExemptionCheck(UnixTime now, std::vector<std::string>& notes) : now_(now), notes_(notes) {}

    // Whether an exemption in force covers the subject; an expired one that would have covered it is noted once
    // and named in the finding's message instead.
    bool exempt(const std::vector<const Exemption*>& exemptions, const Subject& s, std::string& message) {
        for (const Exemption* e : exemptions) {
            if (!names(*e, s)) continue;
            if (in_force(*e, now_)) return true;
            message += " (exemption at " + e->mark.to_string() + " expired " + date_of(*e->expires) + ": " + e->reason + ")";
            if (noted_.insert(e).second)
                notes_.push_back("exemption at " + e->mark.to_string() + " (" + e->reason + ") expired on " +
                                 date_of(*e->expires) + " and no longer applies");
        }
        return false;
    }

private:
    UnixTime now_;
    std::vector<std::string>& notes_;
    std::set<const Exemption*> noted_;
};

Finding finding_for(const Rule& rule, const Subject& s, Severity severity, UnixTime now) {
    Finding f;
    f.rule_id = rule.id;
    f.severity = severity;
    f.sha256 = s.cert.sha256;
    f.subject = s.cert.subject;
    f.location = s.place.display();
    f.labels = s.labels;
    f.days_left = validity_at(s.cert, now).days_left;
    f.message = rule.description.empty() ? rule.id : rule.description;
    if (!rule.advice.empty()) f.message += ". " + rule.advice;
    return f;
}

}  // namespace

bool exempted(const std::vector<Exemption>& exemptions, const Subject& subject, UnixTime now) {
    return std::any_of(exemptions.begin(), exemptions.end(), [&](const Exemption& e) {
        return names(e, subject) && in_force(e, now);
    });
}

bool matches(const Match& match, const Subject& subject, UnixTime now) {
    switch (match.kind) {
        case Match::Kind::all:
            return std::all_of(match.children.begin(), match.children.end(),
                               [&](const Match& m) { return matches(m, subject, now); });
        case Match::Kind::any:
            return std::any_of(match.children.begin(), match.children.end(),
                               [&](const Match& m) { return matches(m, subject, now); });
        case Match::Kind::negate: return !match.children.empty() && !matches(match.children.front(), subject, now);
        case Match::Kind::test: return test_field(match, subject, now);
    }
    return false;
}

bool in_scope(const Scope& scope, const Subject& s) {
    const bool endpoint = s.place.kind == inventory::Place::Kind::endpoint;
    if (scope.kind && *scope.kind != to_string(s.place.kind)) return false;
    if (!scope.cidrs.empty()) {
        if (!endpoint) return false;
        const bool inside = std::any_of(scope.cidrs.begin(), scope.cidrs.end(), [&](const std::string& cidr) {
            const auto block = AddressBlock::parse(cidr);
            return block && block->contains(s.place.address);
        });
        if (!inside) return false;
    }
    if (!scope.hosts.empty()) {
        if (!endpoint) return false;
        const bool named = std::any_of(scope.hosts.begin(), scope.hosts.end(), [&](const std::string& glob) {
            return glob_matches(glob, s.place.host, true) ||
                   (!s.place.server_name.empty() && glob_matches(glob, s.place.server_name, true));
        });
        if (!named) return false;
    }
    if (!scope.ports.empty() &&
        (!endpoint || std::find(scope.ports.begin(), scope.ports.end(), s.place.port) == scope.ports.end()))
        return false;
    if (!scope.paths.empty()) {
        if (endpoint) return false;
        if (std::none_of(scope.paths.begin(), scope.paths.end(),
                         [&](const std::string& glob) { return glob_matches(glob, s.place.path, false); }))
            return false;
    }
    return std::all_of(scope.labels.begin(), scope.labels.end(), [&](const Label& wanted) {
        return std::find(s.labels.begin(), s.labels.end(), wanted) != s.labels.end();
    });
}

namespace {
// Every field is listed, as in test_field, so a field added later cannot be tested on facts never gathered
// without the compiler saying so (-Wswitch).
void note_fields(const Match& m, SubjectFacts& facts) {
    for (const auto& child : m.children) note_fields(child, facts);
    if (m.kind != Match::Kind::test) return;
    switch (m.field) {
        case Field::hostname_match:
        case Field::chain_verified:
        case Field::order_correct:
        case Field::serves_default:
        case Field::intermediates_missing_at_least:
        case Field::key_exchange_quantum_vulnerable:
        case Field::public_root:
        case Field::verify_error: facts.endpoints = true; return;
        case Field::shared_locations_at_least:
        case Field::shared_across_label: facts.shared = true; return;
        case Field::key_reused: facts.reused_keys = true; return;
        case Field::stale: facts.anchors = true; return;
        // What the certificate, its place and the view's other certificates say, gathered always.
        case Field::self_signed:
        case Field::is_ca:
        case Field::expired:
        case Field::not_yet_valid:
        case Field::has_san:
        case Field::pinned_in_trust_store:
        case Field::trust_anchor:
        case Field::system_store:
        case Field::leaf:
        case Field::intermediate_expires_before_leaf:
        case Field::expires_within:
        case Field::validity_longer_than:
        case Field::issued_more_than:
        case Field::quantum_vulnerable:
        case Field::security_bits_below:
        case Field::lifetime_days:
        case Field::lifetime_used_percent:
        case Field::valid_beyond:
        case Field::issued_before:
        case Field::issued_on_or_after:
        case Field::key_bits_below:
        case Field::key_type:
        case Field::signature_algorithm:
        case Field::location_kind:
        case Field::issuer:
        case Field::subject: return;
    }
}
}  // namespace

SubjectFacts facts_tested_by(const RuleSet& rules) {
    SubjectFacts facts{false, false, false, false, false};
    for (const auto& rule : rules.rules) {
        note_fields(rule.match, facts);
        if (rule.replace_with) facts.ancestors = true;
    }
    return facts;
}

std::vector<Subject> gather_subjects(inventory::InventoryQueries& queries, const inventory::Filter& view,
                                     const SubjectFacts& facts) {
    std::unordered_map<std::string, CertInfo> certificates;
    for (auto& summary : queries.certificates(view)) certificates.emplace(summary.cert.sha256, std::move(summary.cert));
    std::unordered_map<std::string, EndpointFacts> endpoints;
    if (facts.endpoints)
        for (auto& e : queries.endpoints(view)) {
            const auto& f = e.facts;
            endpoints.emplace(endpoint_key(f.host, f.address, f.port, f.server_name, f.site), f);
        }
    std::unordered_map<std::string, std::pair<std::int64_t, std::vector<std::string>>> shared;
    if (facts.shared)
        for (const auto& s : queries.shared(view, 2)) {
            std::vector<std::string> split;
            for (const auto& [key, values] : s.split) split.push_back(key);
            shared.emplace(s.summary.cert.sha256, std::make_pair(static_cast<std::int64_t>(s.places.size()), split));
        }
    std::unordered_set<std::string> reused_spkis;
    if (facts.reused_keys)
        for (const auto& key : queries.reused_keys(view)) reused_spkis.insert(key.spki_sha256);
    std::unordered_set<std::string> stale_anchors;
    if (facts.anchors)
        for (const auto& anchor : queries.anchors(view))
            if (anchor.stale) stale_anchors.insert(anchor.summary.cert.sha256);

    std::vector<Subject> subjects;
    std::vector<std::string> shas;
    for (auto& placement : queries.placements(view)) {
        auto cert = certificates.find(placement.sha256);
        if (cert == certificates.end()) continue;
        Subject s;
        s.cert = cert->second;
        s.place = std::move(placement.seen.place);
        s.labels = std::move(placement.seen.labels);
        const bool endpoint = s.place.kind == inventory::Place::Kind::endpoint;
        const bool leaf_role = acts_as_leaf(s.cert, placement.used_as_leaf);
        s.leaf = endpoint ? s.place.position == 0 : !s.place.trust_anchor && leaf_role;
        // A probe's verdict is about the chain as a whole: it belongs to the leaf alone.
        if (endpoint && s.place.position == 0)
            if (auto it = endpoints.find(endpoint_key(s.place.host, s.place.address, s.place.port, s.place.server_name, s.place.site));
                it != endpoints.end())
                s.endpoint = it->second;
        if (auto it = shared.find(s.cert.sha256); it != shared.end()) {
            s.shared_locations = it->second.first;
            s.split_label_keys = it->second.second;
        }
        s.key_reused = reused_spkis.contains(s.cert.spki_sha256);
        s.pinned_in_trust_store = s.place.trust_anchor && leaf_role;
        s.stale = s.place.trust_anchor && stale_anchors.contains(s.cert.sha256);
        shas.push_back(s.cert.sha256);
        subjects.push_back(std::move(s));
    }

    // A CA presented with a leaf (above it in a chain or a file) that expires first cuts the leaf's life short.
    std::map<std::string, UnixTime> earliest_ca_expiry;  // place display -> earliest not_after of its CAs
    for (const auto& s : subjects)
        if (s.cert.is_ca && !s.place.trust_anchor && s.place.position > 0) {
            auto [it, added] = earliest_ca_expiry.emplace(s.place.display(), s.cert.not_after);
            if (!added) it->second = std::min(it->second, s.cert.not_after);
        }
    auto ancestors = facts.ancestors ? queries.ancestors(shas) : std::map<std::string, std::vector<inventory::Ancestor>>{};
    for (auto& s : subjects) {
        if (s.leaf)
            if (auto it = earliest_ca_expiry.find(s.place.display()); it != earliest_ca_expiry.end())
                s.intermediate_expires_before_leaf = it->second < s.cert.not_after;
        if (auto it = ancestors.find(s.cert.sha256); it != ancestors.end()) s.ancestors = it->second;
    }
    return subjects;
}

Evaluation evaluate(const RuleSet& rules, const std::vector<Subject>& subjects, UnixTime now) {
    Evaluation result;
    ExemptionCheck exemptions(now, result.notes);
    for (const Rule& rule : rules.rules) {
        std::vector<const Exemption*> applicable;
        for (const auto& e : rule.exemptions) applicable.push_back(&e);
        for (const auto& e : rules.exemptions) applicable.push_back(&e);

        if (!rule.is_migration()) {
            for (const Subject& s : subjects) {
                if (!in_scope(rule.scope, s) || !matches(rule.match, s, now)) continue;
                Finding f = finding_for(rule, s, rule.severity, now);
                if (exemptions.exempt(applicable, s, f.message)) {
                    ++result.exempted;
                    continue;
                }
                result.findings.push_back(std::move(f));
            }
            continue;
        }

        // A migration covers every leaf in scope that still matches (has to move) or already chains to the
        // replacement (has moved); the rest of the scope is none of its business.
        MigrationProgress progress;
        progress.rule_id = rule.id;
        const bool overdue = rule.deadline && now > *rule.deadline;
        for (const Subject& s : subjects) {
            if (!s.leaf || !in_scope(rule.scope, s)) continue;
            const bool met = rule.replace_with ? chains_to(*rule.replace_with, s) : !matches(rule.match, s, now);
            if (!met && !matches(rule.match, s, now)) continue;
            ++progress.in_scope;
            if (met) {
                ++progress.met;
                progress.met_places.push_back(s.place.display());
                continue;
            }
            Finding f = finding_for(rule, s, overdue ? Severity::critical : rule.severity, now);
            f.deadline = rule.deadline;
            f.overdue = overdue;
            if (rule.deadline) {
                const auto days = (*rule.deadline - now) / kDay;
                f.message += overdue ? " Deadline " + date_of(*rule.deadline) + " passed " + std::to_string(-days) + " days ago."
                                     : " Deadline " + date_of(*rule.deadline) + ", " + std::to_string(days) + " days left.";
            }
            if (exemptions.exempt(applicable, s, f.message)) {
                ++progress.exempt;
                ++result.exempted;
                continue;
            }
            ++progress.unmet;
            if (overdue) ++progress.overdue;
            result.findings.push_back(std::move(f));
        }
        std::sort(progress.met_places.begin(), progress.met_places.end());
        result.migrations.push_back(std::move(progress));
    }
    std::sort(result.findings.begin(), result.findings.end(), [](const Finding& a, const Finding& b) {
        return std::tuple(static_cast<int>(b.severity), a.days_left, a.location, a.rule_id) <
               std::tuple(static_cast<int>(a.severity), b.days_left, b.location, b.rule_id);
    });
    return result;
}

}  // namespace certfleet::rules
