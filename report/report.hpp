#pragma once
// Report writers: one per format, all behind one interface, all reading the same scan contents.
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "inventory/inventory.hpp"

namespace certfleet::report {

struct ReportContext {
    UnixTime now = 0;  // days_left and expiry flags are relative to this
};

class ReportWriter {
public:
    virtual ~ReportWriter() = default;
    virtual void write(const inventory::ScanContents& contents, const ReportContext& context,
                       std::ostream& out) const = 0;
};

// The formats make_report_writer knows, in the order --help lists them.
const std::vector<std::string>& report_formats();
// nullptr for an unknown format.
std::unique_ptr<ReportWriter> make_report_writer(const std::string& format);

}  // namespace certfleet::report
