#pragma once
// A relay in front of a private PostgreSQL cluster's Unix socket that cuts a client's connection at the end of a
// transaction, as a network fault or a failover does: before its COMMIT reaches the server (the server rolls the
// transaction back), or once the server has committed but before the answer reaches the client (the client cannot
// know that it went through). For tests of writers that must store everything once however their commits fare.
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace certfleet::testing {

class PgRelay {
public:
    enum class Cut { before_commit, after_commit };

    // Listens in a new temporary directory and relays each connection to the server whose socket is in
    // `server_dir` (port 5432, as PostgresCluster's). Throws std::runtime_error when it cannot listen.
    explicit PgRelay(const std::string& server_dir);
    ~PgRelay();
    PgRelay(const PgRelay&) = delete;
    PgRelay& operator=(const PgRelay&) = delete;

    // The libpq connection string of `database` through this relay.
    std::string connection_string(const std::string& database) const;
    // From now on, counts COMMITs afresh over all connections and cuts the one that sends the `nth` (from 1);
    // 0 cuts none.
    void arm(Cut cut, int nth);
    int commits_seen() const { return commits_.load(); }
    bool has_cut() const { return cut_done_.load(); }

private:
    struct Link;

    void accept_connections();
    void carry(Link& link, bool from_client);
    // What to do with one whole message on its way: pass it on or cut the link.
    bool pass_from_client(Link& link, char type, const std::string& body);
    bool pass_from_server(Link& link, char type, const std::string& body);
    void cut(Link& link);

    std::string dir_;
    std::string server_socket_;
    int listener_ = -1;
    int stop_pipe_[2] = {-1, -1};
    std::thread acceptor_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<Link>> links_;
    std::atomic<Cut> cut_{Cut::before_commit};
    std::atomic<int> cut_at_{0};
    std::atomic<int> commits_{0};
    std::atomic<bool> cut_done_{false};
};

}  // namespace certfleet::testing
