#include "report/json_writer.hpp"
#include "report/report.hpp"
#include "report/table_writer.hpp"

namespace certfleet::report {

const std::vector<std::string>& report_formats() {
    static const std::vector<std::string> formats{"table", "json"};
    return formats;
}

std::unique_ptr<ReportWriter> make_report_writer(const std::string& format) {
    if (format == "table") return std::make_unique<TableWriter>();
    if (format == "json") return std::make_unique<JsonWriter>();
    return nullptr;
}

}  // namespace certfleet::report
