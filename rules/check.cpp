#include "rules/check.hpp"

#include <algorithm>
#include <set>

namespace certfleet::rules {

namespace {
// The view after a scan: the current view for the latest scan (kept up to date as it is written, so cheap),
// otherwise rebuilt from history up to that scan.
inventory::Filter view_after(inventory::ScanId scan, bool is_latest) {
    inventory::Filter view;
    if (!is_latest) view.as_of = scan;
    return view;
}

// The hit of the stricter threshold the subject is at or under, if any. Trust anchors are left out, as the built-in
// expiry rules leave them out: a trust store is refreshed by its owner.
std::optional<ThresholdHit> threshold_hit(const Subject& s, const DaysLeftThresholds& thresholds, UnixTime now) {
    if (s.place.trust_anchor) return std::nullopt;
    const auto days_left = validity_at(s.cert, now).days_left;
    ThresholdHit hit{CheckStatus::critical, 0, s.cert.sha256, s.cert.subject, s.place.display(), days_left};
    if (thresholds.critical_days && days_left <= *thresholds.critical_days) {
        hit.threshold_days = *thresholds.critical_days;
    } else if (thresholds.warning_days && days_left <= *thresholds.warning_days) {
        hit.status = CheckStatus::warning;
        hit.threshold_days = *thresholds.warning_days;
    } else {
        return std::nullopt;
    }
    return hit;
}

}  // namespace

CheckStatus more_urgent(CheckStatus a, CheckStatus b) {
    const auto rank = [](CheckStatus s) {
        switch (s) {
            case CheckStatus::ok: return 0;
            case CheckStatus::warning: return 1;
            case CheckStatus::unknown: return 2;
            case CheckStatus::critical: return 3;
        }
        return 2;
    };
    return rank(a) >= rank(b) ? a : b;
}

CheckResult check(inventory::InventoryQueries& queries, const RuleSet& rules, inventory::ScanId scan,
                  bool scan_is_latest, UnixTime now, const CheckPolicy& policy) {
    CheckResult result;
    result.scan = scan;
    const auto subjects = gather_subjects(queries, view_after(scan, scan_is_latest), facts_tested_by(rules));
    result.evaluation = evaluate(rules, subjects, now);
    for (const auto& f : result.evaluation.findings) {
        if (f.severity >= rules.status.critical_from)
            ++result.critical;
        else if (f.severity >= rules.status.warning_from)
            ++result.warning;
        else
            ++result.other;
    }
    for (const auto& s : subjects)
        if (auto hit = threshold_hit(s, policy.days_left, now); hit && !exempted(rules.exemptions, s, now)) {
            ++(hit->status == CheckStatus::critical ? result.critical : result.warning);
            result.threshold_hits.push_back(std::move(*hit));
        }
    std::stable_sort(result.threshold_hits.begin(), result.threshold_hits.end(),
                     [](const ThresholdHit& a, const ThresholdHit& b) {
                         if (a.status != b.status) return a.status > b.status;
                         return a.days_left < b.days_left;
                     });
    result.status = result.critical ? CheckStatus::critical : result.warning ? CheckStatus::warning : CheckStatus::ok;
    result.coverage = queries.coverage(scan);
    if (!result.coverage.unseen.empty()) result.status = more_urgent(result.status, policy.on_unseen);
    if (!result.coverage.unreadable_roots.empty() || !result.coverage.unreadable_lists.empty())
        result.status = more_urgent(result.status, CheckStatus::unknown);
    for (const auto& s : subjects)
        if (s.leaf) {
            const auto days = validity_at(s.cert, now).days_left;
            result.min_days_left = result.min_days_left ? std::min(*result.min_days_left, days) : days;
        }
    return result;
}

std::vector<MigrationHistory> migration_history(inventory::InventoryQueries& queries, const RuleSet& rules,
                                                const std::string& rule_id, std::optional<inventory::ScanId> up_to,
                                                const std::function<void(std::size_t, std::size_t)>& on_scan) {
    std::vector<MigrationHistory> out;
    RuleSet migrations;
    migrations.exemptions = rules.exemptions;
    for (const auto& rule : rules.rules)
        if (rule.is_migration() && (rule_id.empty() || rule.id == rule_id)) {
            out.push_back(MigrationHistory{&rule, {}, {}});
            migrations.rules.push_back(rule);
        }
    if (!rule_id.empty() && out.empty())
        throw RulesError("no migration rule '" + rule_id + "' (a migration rule has a deadline or replace_with)");
    if (out.empty()) return out;  // nothing to follow: no view of any scan is needed

    // A running scan has no share of the views yet and a failed one never will.
    std::vector<inventory::ScanRecord> scans;
    for (auto& scan : queries.scans())
        if ((scan.status == inventory::ScanStatus::complete || scan.status == inventory::ScanStatus::interrupted) &&
            (!up_to || scan.id <= *up_to))
            scans.push_back(std::move(scan));
    const auto latest = queries.latest_finished_scan();
    const SubjectFacts facts = facts_tested_by(migrations);
    for (std::size_t i = 0; i < scans.size(); ++i) {
        const auto& scan = scans[i];
        // Each point is judged as of its own scan's start, so a deadline passes where it really passed.
        const auto evaluation = evaluate(
            migrations, gather_subjects(queries, view_after(scan.id, latest && latest->id == scan.id), facts),
            scan.started_at);
        for (std::size_t r = 0; r < out.size(); ++r) {
            ProgressPoint point{scan.id, scan.started_at, evaluation.migrations[r], {}};
            std::set<std::string> unmet;
            for (const auto& f : evaluation.findings)
                if (f.rule_id == out[r].rule->id) unmet.insert(f.location);
            if (!out[r].points.empty())
                for (const auto& place : out[r].points.back().progress.met_places)
                    if (unmet.contains(place)) point.regressed.push_back(place);
            out[r].points.push_back(std::move(point));
            if (i + 1 == scans.size()) out[r].unmet_places.assign(unmet.begin(), unmet.end());
        }
        if (on_scan) on_scan(i + 1, scans.size());
    }
    return out;
}

}  // namespace certfleet::rules
