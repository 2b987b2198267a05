#pragma once
// What a scan records, built by hand for the rules tests that run over an inventory: a file's certificate and an
// endpoint whose handshake verified.
#include <memory>
#include <string>
#include <vector>

#include "core/certificate.hpp"
#include "core/observation.hpp"
#include "testkit/cert_factory.hpp"

namespace certfleet::testing {

// `cert` at position `index` of the PEM file `path`; a trust-store entry when `anchor`.
inline CertificateSighting sighting(const TestCert& cert, const std::string& path, int index, bool anchor) {
    CertificateSighting s{std::make_shared<const CertInfo>(describe_certificate(cert.der)),
                          std::make_shared<const Bytes>(cert.der), FileLocation{path, SourceFormat::pem, index}};
    s.trust_anchor = anchor;
    return s;
}

// `chain` presented by a verified endpoint at address:443.
inline EndpointObservationRecord served(const std::string& address, const std::vector<TestCert>& chain) {
    EndpointObservationRecord record;
    record.facts.host = record.facts.address = address;
    record.facts.port = 443;
    record.facts.status = EndpointStatus::tls;
    record.facts.verdict.verified = true;
    record.facts.verdict.name_check = NameCheck::matched;
    record.facts.verdict.order_correct = true;
    for (const auto& c : chain)
        record.chain.push_back(ChainCertificate{std::make_shared<const CertInfo>(describe_certificate(c.der)),
                                                std::make_shared<const Bytes>(c.der)});
    return record;
}

}  // namespace certfleet::testing
