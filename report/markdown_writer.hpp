#pragma once
#include "report/report.hpp"

namespace certfleet::report {

// GitHub-flavoured Markdown for a wiki page or a pull request: a summary, the certificates (most urgent first)
// and the findings, as tables.
class MarkdownWriter final : public ReportWriter {
public:
    void write(const ReportModel& model, const ReportContext& context, std::ostream& out) const override;
};

}  // namespace certfleet::report
