#include "testkit/pg_relay.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace certfleet::testing {

namespace {

constexpr const char* kSocketName = "/.s.PGSQL.5432";

sockaddr_un unix_address(const std::string& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof address.sun_path) throw std::runtime_error("socket path too long: " + path);
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    return address;
}

int connect_unix(const std::string& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    const auto address = unix_address(path);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

bool write_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        const ssize_t sent = ::send(fd, data, size, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR) continue;
        if (sent <= 0) return false;
        data += sent;
        size -= static_cast<std::size_t>(sent);
    }
    return true;
}

std::uint32_t big_endian_32(const char* p) {
    const auto* b = reinterpret_cast<const unsigned char*>(p);
    return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
}

// The n-th NUL-terminated string of a message body, "" when there is none.
std::string field(const std::string& body, int n) {
    std::size_t at = 0;
    for (int i = 0; i < n; ++i) {
        at = body.find('\0', at);
        if (at == std::string::npos) return {};
        ++at;
    }
    const auto end = body.find('\0', at);
    return end == std::string::npos ? std::string() : body.substr(at, end - at);
}

bool ends_transaction(std::string sql) {
    std::transform(sql.begin(), sql.end(), sql.begin(), [](unsigned char c) { return std::toupper(c); });
    const auto first = sql.find_first_not_of(" \t\r\n");
    const auto last = sql.find_last_not_of(" \t\r\n;");
    if (first == std::string::npos) return false;
    sql = sql.substr(first, last - first + 1);
    return sql == "COMMIT" || sql == "END";
}

}  // namespace

struct PgRelay::Link {
    Link(int c, int s) : client(c), server(s) {}
    int client;
    int server;
    std::atomic<bool> cut_at_answer{false};  // its COMMIT was passed on: cut when the server answers it
    std::thread up, down;
};

PgRelay::PgRelay(const std::string& server_dir) : server_socket_(server_dir + kSocketName) {
    std::string pattern = (std::filesystem::temp_directory_path() / "certfleet-relay-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("cannot make a directory for the relay's socket");
    dir_ = pattern;
    listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const auto address = unix_address(dir_ + kSocketName);
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_, 64) != 0 || ::pipe2(stop_pipe_, O_CLOEXEC) != 0) {
        const std::string why = std::strerror(errno);
        if (listener_ >= 0) ::close(listener_);
        std::filesystem::remove_all(dir_);
        throw std::runtime_error("the relay cannot listen in " + dir_ + ": " + why);
    }
    acceptor_ = std::thread([this] { accept_connections(); });
}

PgRelay::~PgRelay() {
    const char stop = 1;
    (void)!::write(stop_pipe_[1], &stop, 1);
    acceptor_.join();
    for (auto& link : links_) {
        ::shutdown(link->client, SHUT_RDWR);
        ::shutdown(link->server, SHUT_RDWR);
        link->up.join();
        link->down.join();
        ::close(link->client);
        ::close(link->server);
    }
    ::close(listener_);
    ::close(stop_pipe_[0]);
    ::close(stop_pipe_[1]);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
}

std::string PgRelay::connection_string(const std::string& database) const {
    return "host=" + dir_ + " user=postgres dbname=" + database;
}

void PgRelay::arm(Cut cut, int nth) {
    cut_ = cut;
    commits_ = 0;
    cut_done_ = false;
    cut_at_ = nth;
}

void PgRelay::accept_connections() {
    for (;;) {
        pollfd waiting[2] = {{listener_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
        if (::poll(waiting, 2, -1) < 0) {
            if (errno == EINTR) continue;
            return;
        }
        if (waiting[1].revents != 0) return;
        const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) continue;
        const int server = connect_unix(server_socket_);
        if (server < 0) {
            ::close(client);
            continue;
        }
        auto link = std::make_unique<Link>(client, server);
        link->up = std::thread([this, l = link.get()] { carry(*l, true); });
        link->down = std::thread([this, l = link.get()] { carry(*l, false); });
        const std::lock_guard lock(mutex_);
        links_.push_back(std::move(link));
    }
}

// Passes whole messages one way until either side ends: a message is a type byte and a length that counts
// itself, except a client's first (the startup packet), which has no type byte.
void PgRelay::carry(Link& link, bool from_client) {
    const int in = from_client ? link.client : link.server;
    const int out = from_client ? link.server : link.client;
    bool startup = from_client;
    std::string pending;
    char chunk[65536];
    for (;;) {
        const ssize_t got = ::read(in, chunk, sizeof chunk);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        pending.append(chunk, static_cast<std::size_t>(got));
        std::size_t at = 0;
        for (;;) {
            const std::size_t header = startup ? 4 : 5;
            if (pending.size() - at < header) break;
            const std::uint32_t length = big_endian_32(pending.data() + at + header - 4);
            const std::size_t whole = header - 4 + length;
            if (length < 4) {
                cut(link);
                return;
            }
            if (pending.size() - at < whole) break;
            if (!startup) {
                const char type = pending[at];
                const std::string body = pending.substr(at + 5, length - 4);
                if (!(from_client ? pass_from_client(link, type, body) : pass_from_server(link, type, body))) return;
            }
            if (!write_all(out, pending.data() + at, whole)) break;
            startup = false;
            at += whole;
        }
        pending.erase(0, at);
    }
    ::shutdown(link.client, SHUT_RDWR);
    ::shutdown(link.server, SHUT_RDWR);
}

bool PgRelay::pass_from_client(Link& link, char type, const std::string& body) {
    // A simple query's text is its first string; a prepared statement's is its second, after the name.
    if (type != 'Q' && type != 'P') return true;
    if (!ends_transaction(field(body, type == 'Q' ? 0 : 1))) return true;
    if (++commits_ != cut_at_.load()) return true;
    if (cut_.load() == Cut::before_commit) {
        cut(link);
        return false;
    }
    link.cut_at_answer = true;
    return true;
}

bool PgRelay::pass_from_server(Link& link, char type, const std::string& body) {
    if (!link.cut_at_answer || type != 'C') return true;
    const std::string tag = field(body, 0);
    if (tag != "COMMIT" && tag != "ROLLBACK") return true;
    cut(link);
    return false;
}

void PgRelay::cut(Link& link) {
    cut_done_ = true;
    ::shutdown(link.client, SHUT_RDWR);
    ::shutdown(link.server, SHUT_RDWR);
}

}  // namespace certfleet::testing
