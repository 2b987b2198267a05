#pragma once
#include "report/report.hpp"

namespace certfleet::report {

// A CycloneDX 1.6 cryptographic bill of materials (CBOM) of the report's view: every certificate, public key,
// private key location (never key material), algorithm and TLS endpoint protocol as a cryptographic-asset
// component, with where each was seen as evidence, and dependencies from certificates to their keys, algorithms
// and issuers. bom-refs derive from fingerprints, OIDs and places, so two BOMs of the same inventory diff cleanly.
class CycloneDxWriter final : public ReportWriter {
public:
    void write(const ReportModel& model, const ReportContext& context, std::ostream& out) const override;
};

}  // namespace certfleet::report
