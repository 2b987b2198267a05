#pragma once
// Writers for the inventory's answers across scans (`certfleet inventory ...`, `certfleet diff`): one per
// format, all behind one interface, all given the same answers from inventory/analysis.hpp.
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "inventory/analysis.hpp"
#include "report/report.hpp"

namespace certfleet::report {

// One certificate in detail, with the summaries of the certificates the detail names only by sha256 (issuers,
// the path to its anchor, certificates with the same key), so a reader sees names, not only fingerprints.
struct CertificateReport {
    inventory::CertificateDetail detail;
    std::map<std::string, inventory::CertificateSummary> related;  // by sha256
};

class AnalysisWriter {
public:
    virtual ~AnalysisWriter() = default;
    virtual void scans(const std::vector<inventory::ScanRecord>& scans, std::ostream& out) const = 0;
    virtual void runs(const std::vector<inventory::RunSummary>& runs, std::ostream& out) const = 0;
    virtual void certificates(const std::vector<inventory::CertificateSummary>& certificates,
                              std::ostream& out) const = 0;
    virtual void certificate(const CertificateReport& report, std::ostream& out) const = 0;
    virtual void endpoints(const std::vector<inventory::EndpointSummary>& endpoints, std::ostream& out) const = 0;
    virtual void shared(const std::vector<inventory::SharedCertificate>& shared, std::ostream& out) const = 0;
    virtual void reused_keys(const std::vector<inventory::ReusedKey>& keys, std::ostream& out) const = 0;
    virtual void anchors(const std::vector<inventory::AnchorSummary>& anchors, std::ostream& out) const = 0;
    virtual void stores(const std::vector<inventory::TrustStore>& stores, std::ostream& out) const = 0;
    virtual void client_trust(const inventory::ClientTrust& trust, std::ostream& out) const = 0;
    virtual void history(const inventory::CertificateHistory& history, std::ostream& out) const = 0;
    virtual void diff(const inventory::ScanDiff& diff, std::ostream& out) const = 0;
};

// Tables for people, at most 100 columns wide: most urgent first, dates as YYYY-MM-DD with days left,
// fingerprints shortened to 16 hex digits where a column needs it.
std::unique_ptr<AnalysisWriter> make_analysis_table_writer(const ReportContext& context);
// JSON (README, "Inventory questions"): the field names of inventory/analysis.hpp, full fingerprints, RFC 3339
// UTC times. Fields are only ever added.
std::unique_ptr<AnalysisWriter> make_analysis_json_writer(const ReportContext& context);
// The formats make_analysis_writer knows: the inventory's answers, diffs and burn-downs.
const std::vector<std::string>& analysis_formats();
// A writer for one of analysis_formats(); nullptr for an unknown format. Days left are counted from context.now.
std::unique_ptr<AnalysisWriter> make_analysis_writer(const std::string& format, const ReportContext& context);

}  // namespace certfleet::report
