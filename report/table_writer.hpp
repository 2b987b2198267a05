#pragma once
#include "report/report.hpp"

namespace certfleet::report {

// A table for people, 80 columns wide: most urgent first (fewest days left).
class TableWriter final : public ReportWriter {
public:
    void write(const ReportModel& model, const ReportContext& context, std::ostream& out) const override;
};

}  // namespace certfleet::report
