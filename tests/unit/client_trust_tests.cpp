#include <catch2/catch.hpp>

#include "inventory/query_logic.hpp"

using namespace certfleet;
using namespace certfleet::inventory;

namespace {

EndpointSummary endpoint(const std::string& address, ClientAuth auth, std::vector<std::string> names) {
    EndpointSummary e;
    e.facts.address = address;
    e.facts.port = 443;
    e.facts.status = EndpointStatus::tls;
    e.facts.client_auth = auth;
    e.facts.client_ca_names = std::move(names);
    return e;
}

CertificateSummary certificate(const std::string& sha256, const std::string& subject) {
    CertificateSummary c;
    c.cert.sha256 = sha256;
    c.cert.subject = subject;
    return c;
}

}  // namespace

TEST_CASE("client trust: each listed CA name with its services and the certificates that bear it", "[inventory]") {
    const ClientTrust trust = summarize_client_trust(
        {endpoint("10.0.0.1", ClientAuth::required, {"CN=Clients CA", "CN=Partners CA"}),
         endpoint("10.0.0.2", ClientAuth::none, {}), endpoint("10.0.0.3", ClientAuth::requested, {"CN=Clients CA"}),
         endpoint("10.0.0.4", ClientAuth::requested, {})},
        {certificate("aa", "CN=Clients CA"), certificate("bb", "CN=Clients CA"), certificate("cc", "CN=Server")});
    // Every endpoint that asked, whether or not it listed names; none that did not ask.
    REQUIRE(trust.services.size() == 3);
    CHECK(trust.services[2].facts.address == "10.0.0.4");
    REQUIRE(trust.cas.size() == 2);
    CHECK(trust.cas[0].name == "CN=Clients CA");
    CHECK(trust.cas[0].services.size() == 2);
    REQUIRE(trust.cas[0].known.size() == 2);  // a CA re-issued under the same name: both are candidates
    CHECK(trust.cas[0].known[1].cert.sha256 == "bb");
    CHECK(trust.cas[1].name == "CN=Partners CA");
    CHECK(trust.cas[1].known.empty());
    CHECK(summarize_client_trust({endpoint("10.0.0.2", ClientAuth::none, {})}, {}).services.empty());
}
