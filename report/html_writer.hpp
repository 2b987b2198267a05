#pragma once
#include "report/report.hpp"

namespace certfleet::report {

// One self-contained HTML page (inline CSS, JS and SVG; nothing fetched) for people who plan and share the work:
// summary tiles, expiry timeline, migration burn-downs, and tables that sort, filter and expand in the page.
class HtmlWriter final : public ReportWriter {
public:
    ModelParts parts() const override { return {.shared = true, .migrations = true}; }
    void write(const ReportModel& model, const ReportContext& context, std::ostream& out) const override;
};

}  // namespace certfleet::report
