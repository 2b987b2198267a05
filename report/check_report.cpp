#include "report/check_report.hpp"

#include <cstdio>
#include <map>

#include "core/encoding.hpp"
#include "report/json_support.hpp"
#include "report/table_support.hpp"
#include "report/text_escape.hpp"

namespace certfleet::report {

namespace {

// How a threshold hit reads: its status, as a line of long output starts, and the flag of the threshold it is at
// or under.
struct ThresholdWords {
    const char* status;
    const char* flag;
};
ThresholdWords threshold_words(rules::CheckStatus status) {
    if (status == rules::CheckStatus::critical) return {"critical", "--critical-days"};
    return {"warning", "--warning-days"};
}

// `text` as visible text (wrapped makes it so) in lines of at most 79 columns, those after the first indented.
void write_wrapped(const std::string& text, std::ostream& out) {
    const auto lines = wrapped(text, kLineWidth - 3);
    for (std::size_t i = 0; i < lines.size(); ++i) out << (i ? "  " : "") << lines[i] << "\n";
}

// "  /srv/app/tls.pem [app.example, sha256 0123456789abcdef]", or when that is wider than 79 columns the place
// alone (its start cut only if it cannot fit by itself: its end says which file) and the certificate below it.
void write_place(const std::string& place, const std::string& subject, const std::string& sha256, std::ostream& out) {
    std::string certificate;
    if (!subject.empty()) certificate = trim_right(fit(common_name_or_subject(subject), 40)) + ", ";
    certificate += "sha256 " + sha256.substr(0, 16);
    const std::string shown = visible_text(place);
    if (2 + display_width(shown) + 3 + display_width(certificate) <= kLineWidth - 1) {
        out << "  " << shown << " [" << certificate << "]\n";
        return;
    }
    out << "  " << trim_right(fit(place, kLineWidth - 3, true)) << "\n    " << certificate << "\n";
}

// The findings by rule, each rule where its first finding comes (most severe first), its findings in order.
std::vector<std::vector<const Finding*>> findings_in_rule_order(const std::vector<Finding>& findings) {
    std::vector<std::vector<const Finding*>> groups;
    std::map<std::string, std::size_t> index_of;
    for (const auto& f : findings) {
        const auto [it, added] = index_of.emplace(f.rule_id, groups.size());
        if (added) groups.emplace_back();
        groups[it->second].push_back(&f);
    }
    return groups;
}

}  // namespace

void write_check_text(const rules::CheckResult& result, const ExpiryThresholds& thresholds, std::ostream& out) {
    out << "CERTFLEET " << to_string(result.status) << " - " << result.critical << " critical, " << result.warning
        << " warning";
    if (result.other) out << ", " << result.other << " other";
    const auto& coverage = result.coverage;
    if (!coverage.unseen.empty()) out << ", " << coverage.unseen.size() << " unseen";
    if (!coverage.unreadable_roots.empty()) out << ", " << coverage.unreadable_roots.size() << " unreadable roots";
    if (!coverage.unreadable_lists.empty()) out << ", " << coverage.unreadable_lists.size() << " unreadable lists";
    if (result.run && !result.run->complete()) out << ", run " << visible_text(result.run->name) << " incomplete";
    out << " | critical=" << result.critical << ";;;0 warning=" << result.warning << ";;;0";
    if (result.min_days_left)
        out << " min_days_left=" << *result.min_days_left << ";" << thresholds.warning_days << ";"
            << thresholds.critical_days << ";;";
    out << " unseen=" << coverage.unseen.size() << ";;;0 unreadable=" << coverage.unreadable_files
        << ";;;0 unreachable=" << coverage.unreachable << ";;;0\n";
    // Nagios long output in 80 columns, whatever the names in it hold: each rule once with what it says and
    // advises, then every place it found something at.
    for (const auto& group : findings_in_rule_order(result.evaluation.findings)) {
        const Finding& first = *group.front();
        write_wrapped(to_string(first.severity) + std::string(" ") + first.rule_id + ": " + first.message, out);
        for (const Finding* f : group) {
            write_place(f->location, f->subject, f->sha256, out);
            // A message that differs adds to the rule's (an exemption that expired, say), or says something else.
            if (f->message != first.message) {
                const bool extends = f->message.rfind(first.message, 0) == 0;
                for (const auto& line :
                     wrapped(extends ? f->message.substr(first.message.size()) : f->message, kLineWidth - 5))
                    out << "    " << line << "\n";
            }
        }
    }
    // The day thresholds' hits, critical first: one heading per threshold, then each place and its days left.
    for (std::size_t i = 0; i < result.threshold_hits.size();) {
        const auto words = threshold_words(result.threshold_hits[i].status);
        std::size_t end = i;
        while (end < result.threshold_hits.size() && result.threshold_hits[end].status == result.threshold_hits[i].status)
            ++end;
        out << words.status << " " << words.flag << " " << result.threshold_hits[i].threshold_days << ": "
            << count_of(end - i, "place") << " at or under it\n";
        for (; i < end; ++i) {
            const auto& hit = result.threshold_hits[i];
            write_place(hit.location + ": " + days_left_text(hit.days_left), hit.subject, hit.sha256, out);
        }
    }
    for (const auto& root : coverage.unreadable_roots)
        write_wrapped("unknown " + root + ": the root could not be read; what it held is unseen", out);
    for (const auto& list : coverage.unreadable_lists)
        write_wrapped("unknown " + list + "; that scan could not start, and what it lists is unseen", out);
    for (const auto& absent : coverage.unseen)
        write_wrapped("unseen " + absent.place.display() + ": " + absent.reason + " since " + date(absent.since) +
                          " (scan " + std::to_string(absent.since_scan) + "); its last certificates stay in the view",
                      out);
    if (coverage.previous_scan && coverage.seen_in_scan < coverage.seen_in_previous)
        write_wrapped("seen: " + count_of(static_cast<std::size_t>(coverage.seen_in_scan), "place") + " in scan " +
                          std::to_string(result.scan) + ", " + std::to_string(coverage.seen_in_previous) +
                          " in scan " + std::to_string(*coverage.previous_scan) + " of the same targets",
                      out);
    if (result.run && !result.run->complete())
        write_wrapped("unknown run " + result.run->name + ": " + result.run->gaps() +
                          "; what those scans look at is judged as earlier scans left it",
                      out);
    for (const auto& note : result.evaluation.notes) write_wrapped("note: " + note, out);
}

void write_check_json(const rules::CheckResult& result, const ExpiryThresholds& thresholds, std::ostream& out) {
    ordered_json findings = ordered_json::array();
    for (const auto& f : result.evaluation.findings) findings.push_back(finding_json(f, FindingSubject::included));
    ordered_json threshold_hits = ordered_json::array();
    for (const auto& hit : result.threshold_hits) {
        ordered_json json{{"status", to_string(hit.status)},       {"threshold", threshold_words(hit.status).flag},
                          {"threshold_days", hit.threshold_days}, {"days_left", hit.days_left},
                          {"sha256", hit.sha256},                 {"subject", hit.subject},
                          {"location", hit.location}};
        add_exact_bytes(json, "location");
        threshold_hits.push_back(std::move(json));
    }
    ordered_json migrations = ordered_json::array();
    for (const auto& m : result.evaluation.migrations)
        migrations.push_back(ordered_json{{"rule_id", m.rule_id}, {"in_scope", m.in_scope}, {"met", m.met},
                                          {"unmet", m.unmet}, {"exempt", m.exempt}, {"overdue", m.overdue}});
    ordered_json doc{
        {"status", to_string(result.status)},
        {"exit_code", static_cast<int>(result.status)},
        {"scan", result.scan},
        {"counts", ordered_json{{"critical", result.critical}, {"warning", result.warning}, {"other", result.other},
                                {"exempted", result.evaluation.exempted}}},
        {"min_days_left", result.min_days_left ? ordered_json(*result.min_days_left) : ordered_json()},
        {"thresholds", ordered_json{{"warning_days", thresholds.warning_days}, {"critical_days", thresholds.critical_days}}},
        {"findings", findings},
        {"threshold_hits", threshold_hits},
        {"coverage", coverage_json(result.coverage)},
        {"migrations", migrations},
        {"notes", result.evaluation.notes}};
    if (result.run) doc["run"] = run_json(*result.run);
    print_json(doc, out);
}

void write_progress_table(const std::vector<rules::MigrationHistory>& history, std::ostream& out) {
    if (history.empty()) {
        out << "No migration rules (a migration rule has a deadline or replace_with).\n";
        return;
    }
    for (const auto& h : history) {
        out << visible_text(h.rule->id);
        if (h.rule->deadline) out << "  deadline " << date(*h.rule->deadline);
        if (h.rule->replace_with) out << "  replace with " << visible_text(*h.rule->replace_with);
        out << "\n";
        if (!h.rule->description.empty()) out << "  " << visible_text(h.rule->description) << "\n";
        char line[160];
        std::snprintf(line, sizeof line, "  %6s  %-10s  %8s  %6s  %6s  %6s  %7s\n", "scan", "date", "in scope", "met",
                      "unmet", "exempt", "overdue");
        out << line;
        for (const auto& p : h.points) {
            std::snprintf(line, sizeof line, "  %6lld  %-10s  %8lld  %6lld  %6lld  %6lld  %7lld\n",
                          static_cast<long long>(p.scan), date(p.at).c_str(),
                          static_cast<long long>(p.progress.in_scope), static_cast<long long>(p.progress.met),
                          static_cast<long long>(p.progress.unmet), static_cast<long long>(p.progress.exempt),
                          static_cast<long long>(p.progress.overdue));
            out << line;
            for (const auto& place : p.regressed)
                out << "          regressed: " << visible_text(place) << " (met before, unmet now)\n";
        }
        out << "\n";
    }
}

void write_progress_json(const std::vector<rules::MigrationHistory>& history, std::ostream& out) {
    ordered_json rules_json = ordered_json::array();
    for (const auto& h : history) {
        ordered_json points = ordered_json::array();
        for (const auto& p : h.points) {
            ordered_json point{{"scan", p.scan},
                               {"at", format_rfc3339(p.at)},
                               {"in_scope", p.progress.in_scope},
                               {"met", p.progress.met},
                               {"unmet", p.progress.unmet},
                               {"exempt", p.progress.exempt},
                               {"overdue", p.progress.overdue},
                               {"regressed", p.regressed}};
            add_exact_bytes(point, "regressed");
            points.push_back(std::move(point));
        }
        rules_json.push_back(ordered_json{
            {"id", h.rule->id},
            {"description", h.rule->description},
            {"deadline", h.rule->deadline ? ordered_json(format_rfc3339(*h.rule->deadline)) : ordered_json()},
            {"replace_with", h.rule->replace_with ? ordered_json(*h.rule->replace_with) : ordered_json()},
            {"history", points}});
    }
    print_json(ordered_json{{"migrations", rules_json}}, out);
}

}  // namespace certfleet::report
