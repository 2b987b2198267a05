#pragma once
// A private PostgreSQL server for tests: initdb and pg_ctl, as the `postgres` user when run as root, into a temporary
// directory whose Unix socket is its only way in (no TCP port, no system cluster touched). Stopped by the PID of its
// postmaster when the object goes, also when a test fails.
#include <sys/types.h>

#include <optional>
#include <stdexcept>
#include <string>

namespace certfleet::testing {

// Why a private cluster could not be started (no server binaries, no postgres user, initdb failed ...).
class PostgresUnavailable : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class PostgresCluster {
public:
    // `test`: fsync off, as data a test makes need not survive a power cut; `production`: PostgreSQL's defaults,
    // for measurements.
    enum class Durability { test, production };
    // Throws PostgresUnavailable naming what is missing or failed (with the server's log where there is one).
    explicit PostgresCluster(Durability durability = Durability::test);
    ~PostgresCluster();
    PostgresCluster(const PostgresCluster&) = delete;
    PostgresCluster& operator=(const PostgresCluster&) = delete;

    // A new, empty database on this cluster; returns its libpq connection string ("host=DIR ... dbname=NAME").
    std::string create_database(const std::string& name);
    std::string connection_string(const std::string& database) const;
    // Runs `sql` with psql against `database`; the exit code and psql's output.
    std::pair<int, std::string> psql(const std::string& database, const std::string& sql) const;
    const std::string& socket_dir() const { return dir_; }
    // Stops the server as a crash would (immediate shutdown: every session cut) and starts it again on the same
    // data, as a server restart or failover does to its clients. Throws PostgresUnavailable if it does not start.
    void restart();

    // The cluster every test of this process shares, started on first use; nullopt (with `why`) when this machine
    // cannot run one.
    static PostgresCluster* shared(std::string* why = nullptr);

private:
    void start_server();
    void stop_server();

    std::string dir_;      // the socket lives here; the data under data/
    std::string bin_dir_;  // initdb, pg_ctl
    Durability durability_;
    pid_t pid_ = 0;
};

}  // namespace certfleet::testing
