// What keeps a scan from probing what it must not, or from misreading what it could not reach: the status of a
// connect that found no route.
#include <catch2/catch.hpp>

#include <cerrno>
#include <set>
#include <string>

#include "scanner/network_scan.hpp"

using namespace certfleet;

TEST_CASE("target safety: a connect with no route is unreachable, not closed", "[targets][safety]") {
    using scanner::EndpointStatus;
    CHECK(scanner::connect_failure_status(ENETUNREACH) == EndpointStatus::unreachable);
    CHECK(scanner::connect_failure_status(EHOSTUNREACH) == EndpointStatus::unreachable);
    CHECK(scanner::connect_failure_status(ENETDOWN) == EndpointStatus::unreachable);
    CHECK(scanner::connect_failure_status(EHOSTDOWN) == EndpointStatus::unreachable);
    CHECK(scanner::connect_failure_status(EADDRNOTAVAIL) == EndpointStatus::unreachable);
    CHECK(scanner::connect_failure_status(ECONNREFUSED) == EndpointStatus::closed);
    CHECK(scanner::connect_failure_status(ECONNRESET) == EndpointStatus::closed);
    CHECK(std::string(scanner::to_string(EndpointStatus::unreachable)) == "unreachable");
    // Every status once in the list the summary and the counters use, each with its own name.
    std::set<std::string> names;
    for (const auto status : scanner::kEndpointStatuses) names.insert(scanner::to_string(status));
    CHECK(names.size() == scanner::kEndpointStatuses.size());
    CHECK(names.count("unreachable") == 1);
}
