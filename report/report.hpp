#pragma once
// Report writers: one per format, all behind one interface, all reading the same report model.
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "inventory/analysis.hpp"
#include "inventory/inventory.hpp"
#include "rules/check.hpp"

namespace certfleet::report {

struct ReportContext {
    UnixTime now = 0;          // days_left and expiry flags are relative to this
    std::string tool_version;  // certfleet's, for formats that name the tool that made them
};

// The parts of a report model only some formats print; the rest every format prints.
struct ModelParts {
    bool shared = false;      // certificates at several places
    bool scans = false;       // every scan in the inventory
    bool migrations = false;  // each migration rule's burn-down (evaluates the rules over every scan's view)
};

// What a report shows: everything in the view after a scan (or that scan alone), and the inventory's answers
// about the same view.
// Move-only: `migrations` point into `rules`.
struct ReportModel {
    inventory::ScanContents contents;
    std::vector<inventory::ReusedKey> reused_keys;  // keys in two or more certificates or key files
    std::vector<inventory::AnchorSummary> anchors;  // trust-store entries in the view
    std::vector<inventory::SharedCertificate> shared;  // certificates at two or more places in the view
    std::vector<inventory::TrustStore> stores;         // trust stores in the view, with their anchors
    std::vector<inventory::ScanRecord> scans;          // every scan in the inventory, oldest first
    std::vector<rules::MigrationHistory> migrations;   // each migration rule's burn-down over those scans
    rules::RuleSet rules;                              // the rules the migrations point into
    inventory::Coverage coverage;                      // what the scans behind the view after the scan missed

    ReportModel() = default;
    ReportModel(ReportModel&&) = default;
    ReportModel& operator=(ReportModel&&) = default;
    ReportModel(const ReportModel&) = delete;
    ReportModel& operator=(const ReportModel&) = delete;
};

// The model of the view after `scan`, or of that scan alone, with the parts a writer asks for, read from `queries`
// in one snapshot; `rules` are those whose migrations it charts.
ReportModel build_report_model(inventory::InventoryQueries& queries, inventory::ScanId scan,
                               inventory::ContentsScope scope, rules::RuleSet rules, UnixTime now, ModelParts parts);
// The model of a run's members taken as one scan (InventoryQueries::run_contents). Throws InventoryError when no
// member has ended yet.
ReportModel build_run_report_model(inventory::InventoryQueries& queries, const inventory::RunSummary& run,
                                   rules::RuleSet rules, UnixTime now, ModelParts parts);

class ReportWriter {
public:
    virtual ~ReportWriter() = default;
    // What this format prints beyond what every format does.
    virtual ModelParts parts() const { return {}; }
    virtual void write(const ReportModel& model, const ReportContext& context, std::ostream& out) const = 0;
};

// The formats make_report_writer knows, in the order --help lists them.
const std::vector<std::string>& report_formats();
// nullptr for an unknown format.
std::unique_ptr<ReportWriter> make_report_writer(const std::string& format);

}  // namespace certfleet::report
