#include "report/analysis_report.hpp"
#include "report/csv_writer.hpp"
#include "report/cyclonedx_writer.hpp"
#include "report/html_writer.hpp"
#include "report/json_writer.hpp"
#include "report/markdown_writer.hpp"
#include "report/prometheus_writer.hpp"
#include "report/report.hpp"
#include "report/table_writer.hpp"

namespace certfleet::report {

const std::vector<std::string>& report_formats() {
    static const std::vector<std::string> formats{"table", "json", "prometheus", "csv", "markdown", "html", "cyclonedx"};
    return formats;
}

std::unique_ptr<ReportWriter> make_report_writer(const std::string& format) {
    if (format == "table") return std::make_unique<TableWriter>();
    if (format == "json") return std::make_unique<JsonWriter>();
    if (format == "prometheus") return std::make_unique<PrometheusWriter>();
    if (format == "csv") return std::make_unique<CsvWriter>();
    if (format == "markdown") return std::make_unique<MarkdownWriter>();
    if (format == "html") return std::make_unique<HtmlWriter>();
    if (format == "cyclonedx") return std::make_unique<CycloneDxWriter>();
    return nullptr;
}

const std::vector<std::string>& analysis_formats() {
    static const std::vector<std::string> formats{"table", "json"};
    return formats;
}

std::unique_ptr<AnalysisWriter> make_analysis_writer(const std::string& format, const ReportContext& context) {
    if (format == "table") return make_analysis_table_writer(context);
    if (format == "json") return make_analysis_json_writer(context);
    return nullptr;
}

}  // namespace certfleet::report
