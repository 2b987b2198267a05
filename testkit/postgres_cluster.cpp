#include "testkit/postgres_cluster.hpp"

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "testkit/process.hpp"
#include "testkit/wait.hpp"

namespace certfleet::testing {

namespace fs = std::filesystem;

namespace {

// Debian installs each major version's server programs here; 15 is Debian 12's.
std::string server_bin_dir() {
    if (fs::exists("/usr/lib/postgresql/15/bin/initdb")) return "/usr/lib/postgresql/15/bin";
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec))
        if (fs::exists(entry.path() / "bin/initdb")) return (entry.path() / "bin").string();
    throw PostgresUnavailable("no PostgreSQL server programs under /usr/lib/postgresql (install postgresql-15)");
}

// initdb refuses to run as root: as root, the server's programs run as `postgres`, in `dir` (which it can enter).
std::vector<std::string> as_server_user(const std::string& dir, std::vector<std::string> argv) {
    if (::geteuid() != 0) return argv;
    std::vector<std::string> wrapped{"runuser", "-u", "postgres", "--", "env", "-C", dir};
    wrapped.insert(wrapped.end(), argv.begin(), argv.end());
    return wrapped;
}

std::string read_text(const fs::path& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

bool process_exists(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

}  // namespace

PostgresCluster::PostgresCluster(Durability durability) : bin_dir_(server_bin_dir()), durability_(durability) {
    std::string pattern = (fs::temp_directory_path() / "certfleet-pg-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw PostgresUnavailable("cannot make a temporary directory for PostgreSQL");
    dir_ = pattern;
    if (::geteuid() == 0) {
        const passwd* postgres = ::getpwnam("postgres");
        if (!postgres) throw PostgresUnavailable("no 'postgres' user to run the server as (install postgresql-15)");
        if (::chown(dir_.c_str(), postgres->pw_uid, postgres->pw_gid) != 0)
            throw PostgresUnavailable("cannot give " + dir_ + " to the postgres user");
    }
    const auto initdb = run_process(as_server_user(dir_, {bin_dir_ + "/initdb", "-D", dir_ + "/data", "-U", "postgres",
                                                          "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"}),
                                    {.timeout = std::chrono::seconds(120)});
    if (initdb.exit_code != 0) {
        fs::remove_all(dir_);
        throw PostgresUnavailable("initdb failed: " + initdb.err + initdb.out);
    }
    start_server();
}

PostgresCluster::~PostgresCluster() {
    stop_server();
    std::error_code ec;
    fs::remove_all(dir_, ec);
}

void PostgresCluster::start_server() {
    // No TCP listener (-h ''): the socket in the private directory is the only way in.
    const std::string options = "-h '' -k " + dir_ + " -c max_connections=200" +
                                (durability_ == Durability::test ? " -F -c shared_buffers=64MB" : "");
    const auto started = run_process(as_server_user(dir_, {bin_dir_ + "/pg_ctl", "-D", dir_ + "/data", "-l",
                                                           dir_ + "/server.log", "-o", options, "-w", "-t", "60",
                                                           "start"}),
                                     {.timeout = std::chrono::seconds(90)});
    const std::string pid_line = read_text(dir_ + "/data/postmaster.pid");
    pid_ = static_cast<pid_t>(std::atoi(pid_line.c_str()));
    if (started.exit_code != 0 || pid_ <= 0) {
        const std::string log = read_text(dir_ + "/server.log");
        stop_server();
        throw PostgresUnavailable("pg_ctl start failed: " + started.err + started.out + log);
    }
}

void PostgresCluster::restart() {
    stop_server();
    start_server();
}

// SIGQUIT is PostgreSQL's immediate shutdown: the postmaster and its backends exit without a checkpoint.
void PostgresCluster::stop_server() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGQUIT);
    if (!wait_until([&] { return !process_exists(pid_); }, std::chrono::seconds(30))) {
        ::kill(pid_, SIGKILL);
        wait_until([&] { return !process_exists(pid_); }, std::chrono::seconds(10));
    }
    pid_ = 0;
}

std::string PostgresCluster::connection_string(const std::string& database) const {
    return "host=" + dir_ + " user=postgres dbname=" + database;
}

std::pair<int, std::string> PostgresCluster::psql(const std::string& database, const std::string& sql) const {
    const auto run = run_process({"psql", connection_string(database), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                                  "-c", sql},
                                 {.timeout = std::chrono::seconds(60)});
    return {run.exit_code, run.out + run.err};
}

std::string PostgresCluster::create_database(const std::string& name) {
    const auto [code, output] = psql("postgres", "CREATE DATABASE \"" + name + "\"");
    if (code != 0) throw PostgresUnavailable("cannot create database " + name + ": " + output);
    return connection_string(name);
}

PostgresCluster* PostgresCluster::shared(std::string* why) {
    static std::unique_ptr<PostgresCluster> cluster;
    static std::string failure;
    if (!cluster && failure.empty()) {
        try {
            cluster = std::make_unique<PostgresCluster>();
        } catch (const PostgresUnavailable& e) {
            failure = e.what();
        }
    }
    if (why) *why = failure;
    return cluster.get();
}

}  // namespace certfleet::testing
