// The HTML report's charts, drawn as inline SVG: the expiry timeline and the migration burn-downs.
#include <algorithm>
#include <array>

#include "report/html_support.hpp"
#include "report/model_support.hpp"

namespace certfleet::report::html {

namespace {

constexpr int kTimelineWeeks = 26;

// One line of a burn-down chart, a dot per scan that tells its figure on hover.
template <typename ValueOf, typename XOf, typename YOf>
void write_series(std::ostream& out, std::string_view series, const std::vector<rules::ProgressPoint>& points,
                  ValueOf value_of, XOf x_of, YOf y_of) {
    out << "<g class=\"" << series << "\"><polyline points=\"";
    for (std::size_t i = 0; i < points.size(); ++i) out << x_of(i) << "," << y_of(value_of(points[i].progress)) << " ";
    out << "\"/>";
    for (std::size_t i = 0; i < points.size(); ++i) {
        const std::int64_t value = value_of(points[i].progress);
        out << "<circle r=\"3\" cx=\"" << x_of(i) << "\" cy=\"" << y_of(value) << "\"><title>scan " << points[i].scan
            << " (" << date(points[i].at) << "): " << value << " " << series << "</title></circle>";
    }
    out << "</g>";
}

// Unmet, met and exempt places of one migration rule over time: each scan's view at its date, the deadline drawn
// where it falls, then the places still to move and those that regressed.
void write_burn_down(std::ostream& out, const rules::MigrationHistory& history) {
    const rules::Rule& rule = *history.rule;
    const auto& points = history.points;
    out << "<div class=\"migration\"><h3>" << escape(rule.id) << "</h3>";
    if (!rule.description.empty()) out << "<p>" << escape(rule.description) << "</p>";
    std::vector<std::string> terms;
    if (rule.replace_with) terms.push_back("replace with " + *rule.replace_with);
    if (rule.deadline) terms.push_back("deadline " + date(*rule.deadline));
    if (!points.empty()) {
        const auto& latest = points.back().progress;
        terms.push_back("latest: " + std::to_string(latest.unmet) + " unmet, " + std::to_string(latest.met) + " met, " +
                        std::to_string(latest.exempt) + " exempt, " + std::to_string(latest.overdue) + " overdue");
    }
    out << "<p class=\"note\">" << escape(joined(terms, " · ")) << "</p>";
    if (points.empty()) {
        out << "<p class=\"note\">No scans yet.</p></div>\n";
        return;
    }

    std::int64_t tallest = 1;
    for (const auto& p : points) tallest = std::max({tallest, p.progress.met, p.progress.unmet, p.progress.exempt});
    UnixTime first = points.front().at, last = points.back().at;
    if (rule.deadline) first = std::min(first, *rule.deadline), last = std::max(last, *rule.deadline);
    constexpr int width = 860, height = 180, left = 34, right = 16, top = 16, bottom = 30;
    constexpr int plot_width = width - left - right, plot_height = height - top - bottom;
    const auto x_at = [&](UnixTime t) {
        return last == first ? left + plot_width / 2.0 : left + double(t - first) * plot_width / double(last - first);
    };
    const auto x_of = [&](std::size_t i) { return x_at(points[i].at); };
    const auto y_of = [&](std::int64_t value) { return top + plot_height - double(value) * plot_height / tallest; };

    out << "<figure><svg class=\"chart\" viewBox=\"0 0 " << width << " " << height << "\" role=\"img\" aria-label=\""
        << "Unmet, met and exempt places by date\">";
    for (const std::int64_t value : {std::int64_t{0}, tallest}) {
        out << "<line class=\"grid\" x1=\"" << left << "\" x2=\"" << width - right << "\" y1=\"" << y_of(value)
            << "\" y2=\"" << y_of(value) << "\"/><text x=\"" << left - 6 << "\" y=\"" << y_of(value) + 3
            << "\" text-anchor=\"end\">" << value << "</text>";
    }
    if (rule.deadline) {
        const double x = x_at(*rule.deadline);
        out << "<g class=\"deadline\"><line x1=\"" << x << "\" x2=\"" << x << "\" y1=\"" << top << "\" y2=\""
            << top + plot_height << "\"/><text x=\"" << x - 4 << "\" y=\"" << top + 8 << "\" text-anchor=\"end\">deadline "
            << date(*rule.deadline) << "</text></g>";
    }
    write_series(out, "unmet", points, [](const rules::MigrationProgress& p) { return p.unmet; }, x_of, y_of);
    write_series(out, "met", points, [](const rules::MigrationProgress& p) { return p.met; }, x_of, y_of);
    write_series(out, "exempt", points, [](const rules::MigrationProgress& p) { return p.exempt; }, x_of, y_of);
    // Date ticks: the first and last date, and up to four between them.
    const int ticks = last == first ? 1 : 6;
    for (int k = 0; k < ticks; ++k) {
        const UnixTime t = ticks == 1 ? first : first + (last - first) * k / (ticks - 1);
        const char* anchor = ticks == 1 ? "middle" : k == 0 ? "start" : k + 1 == ticks ? "end" : "middle";
        out << "<text x=\"" << x_at(t) << "\" y=\"" << height - bottom + 14 << "\" text-anchor=\"" << anchor << "\">"
            << date(t) << "</text>";
    }
    out << "</svg><figcaption class=\"legend\"><span class=\"key unmet\"></span>unmet (still to move)"
        << "<span class=\"key met\"></span>met<span class=\"key exempt\"></span>exempt";
    if (rule.deadline) out << "<span class=\"key deadline\"></span>deadline";
    out << " · one dot per scan, at its date</figcaption></figure>";
    constexpr std::size_t kPlacesListed = 200;
    std::vector<std::string> to_move;
    for (std::size_t i = 0; i < history.unmet_places.size() && i < kPlacesListed; ++i)
        to_move.push_back("<li>" + escape(history.unmet_places[i]) + "</li>");
    if (history.unmet_places.size() > kPlacesListed)
        to_move.push_back("<li class=\"muted\">… and " + std::to_string(history.unmet_places.size() - kPlacesListed) +
                          " more</li>");
    out << list_section("Still to move", to_move);
    std::vector<std::string> regressed;
    for (const auto& place : points.back().regressed) regressed.push_back("<li>" + escape(place) + "</li>");
    out << list_section("Regressed since the previous scan", regressed) << "</div>\n";
}

}  // namespace

// Certificates per week until expiry over the next half year, expired ones in a bar of their own.
void write_timeline(std::ostream& out, const inventory::ScanContents& contents, UnixTime now) {
    std::int64_t expired = 0, later = 0;
    std::array<std::int64_t, kTimelineWeeks> weeks{};
    for (const auto& stored : contents.certificates) {
        if (only_in_system_stores(stored)) continue;
        const Validity v = validity_at(stored.cert, now);
        const std::int64_t week = v.days_left / 7;
        if (v.expired) ++expired;
        else if (week < kTimelineWeeks) ++weeks[week];
        else ++later;
    }
    const std::int64_t tallest = std::max(expired, *std::max_element(weeks.begin(), weeks.end()));

    constexpr int width = 860, height = 210, left = 34, right = 8, top = 18, bottom = 34;
    constexpr int plot_height = height - top - bottom;
    constexpr double slot = double(width - left - right) / (kTimelineWeeks + 2);  // the expired bar, a gap, the weeks
    const auto bar_height = [&](std::int64_t count) { return tallest == 0 ? 0.0 : double(count) * plot_height / tallest; };
    const auto write_bar = [&](double x, std::int64_t count, std::string_view kind, std::string_view week,
                               const std::string& title) {
        const double h = bar_height(count);
        out << "<g class=\"bar " << kind << "\" data-week=\"" << week << "\" data-count=\"" << count << "\"><title>"
            << escape(title) << "</title><rect x=\"" << x + 2 << "\" y=\"" << top + plot_height - h << "\" width=\""
            << slot - 4 << "\" height=\"" << h << "\"/>";
        if (count > 0)
            out << "<text class=\"count\" x=\"" << x + slot / 2 << "\" y=\"" << top + plot_height - h - 4
                << "\" text-anchor=\"middle\">" << count << "</text>";
        out << "</g>";
    };

    out << "<figure>"
        << "<svg class=\"chart\" viewBox=\"0 0 " << width << " " << height << "\" role=\"img\" aria-label=\""
        << "Certificates per week until expiry\">";
    for (const std::int64_t value : {std::int64_t{0}, tallest}) {
        const double y = top + plot_height - bar_height(value);
        out << "<line class=\"grid\" x1=\"" << left << "\" x2=\"" << width - right << "\" y1=\"" << y << "\" y2=\"" << y
            << "\"/><text x=\"" << left - 6 << "\" y=\"" << y + 3 << "\" text-anchor=\"end\">" << value << "</text>";
    }
    write_bar(left, expired, "expired", "expired", count_of(expired, "certificate") + " expired");
    out << "<text x=\"" << left + slot / 2 << "\" y=\"" << height - bottom + 14 << "\" text-anchor=\"middle\">expired</text>";
    for (int week = 0; week < kTimelineWeeks; ++week) {
        const double x = left + slot * (week + 2);
        const UnixTime starts = now + week * 7 * kSecondsPerDay;
        const std::string kind = week * 7 < kExpiringSoonDays ? "soon" : "later";
        write_bar(x, weeks[week], kind, std::to_string(week),
                  count_of(weeks[week], "certificate") + " expiring in the week of " + date(starts));
        if (week % 4 == 0)
            out << "<text x=\"" << x + slot / 2 << "\" y=\"" << height - bottom + 14 << "\" text-anchor=\"middle\">"
                << date(starts).substr(5) << "</text>";
    }
    out << "<text x=\"" << left + slot * 2 << "\" y=\"" << height - 4 << "\">weeks from " << date(now)
        << " (MM-DD the week starts)</text></svg>"
        << "<figcaption>Certificates of this report by the week they expire; " << count_of(later, "certificate")
        << " expire later than " << kTimelineWeeks << " weeks from now.</figcaption></figure>\n";
}

void write_migrations(std::ostream& out, const std::vector<rules::MigrationHistory>& migrations) {
    if (migrations.empty()) {
        out << "<p class=\"note\">No migration rules: give <span class=\"mono\">report --rules FILE</span> with a rule "
               "that has <span class=\"mono\">replace_with</span> or a <span class=\"mono\">deadline</span> to track "
               "one here.</p>";
    }
    for (const auto& history : migrations) write_burn_down(out, history);
}

}  // namespace certfleet::report::html
