#pragma once
#include "report/report.hpp"

namespace certfleet::report {

// The Prometheus text exposition format (version 0.0.4), for node_exporter's textfile collector and for
// `certfleet serve`'s /metrics. Metric and label names follow the existing certificate exporters
// (x509-certificate-exporter, ssl_exporter); README, "Prometheus", lists them.
class PrometheusWriter final : public ReportWriter {
public:
    ModelParts parts() const override { return {.scans = true}; }
    void write(const ReportModel& model, const ReportContext& context, std::ostream& out) const override;
};

// The Content-Type of what PrometheusWriter writes, for an HTTP server.
inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace certfleet::report
