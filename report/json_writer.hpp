#pragma once
#include "report/report.hpp"

namespace certfleet::report {

// The JSON report, schema 1: a documented contract (README, "JSON report"). Fields are only ever added.
class JsonWriter final : public ReportWriter {
public:
    void write(const ReportModel& model, const ReportContext& context, std::ostream& out) const override;
};

}  // namespace certfleet::report
