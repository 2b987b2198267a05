#pragma once
// The private PostgreSQL cluster the unit tests of this process share. A machine that cannot run one fails the
// test rather than skipping it: scripts/install-deps installs the server.
#include <catch2/catch.hpp>
#include <string>

#include "testkit/postgres_cluster.hpp"

namespace certfleet::testing {

inline PostgresCluster& test_cluster() {
    std::string why;
    PostgresCluster* shared = PostgresCluster::shared(&why);
    INFO(why);
    REQUIRE(shared != nullptr);
    return *shared;
}

}  // namespace certfleet::testing
