#pragma once
#include "report/report.hpp"

namespace certfleet::report {

// RFC 4180 CSV for spreadsheets: a header row, then one row per certificate and place it was seen at (a
// bundle holding a certificate twice gives two rows, with their positions). CRLF line ends.
class CsvWriter final : public ReportWriter {
public:
    void write(const ReportModel& model, const ReportContext& context, std::ostream& out) const override;
};

}  // namespace certfleet::report
