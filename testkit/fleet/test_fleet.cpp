// certfleet_test_fleet: one process serving many loopback endpoints, well-behaved TLS and deliberately broken, for
// the network scanner's end-to-end tests and benchmarks.
//
//   certfleet_test_fleet CONFIG.json [--ready-file PATH]
//
// Once every endpoint listens it reports "ready <count>" on stdout, or in PATH (which gets "error <message>"
// instead when it cannot start). It serves until SIGTERM or SIGINT, or until the config's max_seconds have passed,
// so a test that crashes never leaves it behind; either way it exits 0.
#include <signal.h>
#include <sys/resource.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <string_view>
#include <vector>

#include "testkit/fleet/fleet_config.hpp"
#include "testkit/fleet/hybrid_retry.hpp"
#include "testkit/fleet/starttls.hpp"
#include "testkit/fleet/tls_context.hpp"

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using asio::awaitable;
using asio::ip::tcp;
using namespace certfleet::fleet;

constexpr auto no_throw = asio::as_tuple(asio::use_awaitable);

constexpr std::string_view kBadRequest = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";

struct Listener {
    Endpoint config;
    std::shared_ptr<TlsEndpointContext> tls;  // tls and starttls only
};

// Reads and discards until the client hangs up: how a server holds a connection it has nothing more to say on.
awaitable<void> wait_for_hang_up(tcp::socket& socket) {
    std::array<char, 1024> sink;
    for (;;) {
        const auto [error, received] = co_await socket.async_read_some(asio::buffer(sink), no_throw);
        if (error) co_return;
    }
}

awaitable<void> serve_tls(tcp::socket socket, asio::ssl::context& context, bool x25519mlkem768) {
    if (x25519mlkem768 && co_await answered_hybrid_probe(socket)) {
        co_await wait_for_hang_up(socket);
        co_return;
    }
    asio::ssl::stream<tcp::socket> stream(std::move(socket), context);
    co_await stream.async_handshake(asio::ssl::stream_base::server, asio::use_awaitable);
    // Like a server awaiting a request: hold the session until the client ends it, answering its close_notify.
    std::array<char, 1024> sink;
    for (;;) {
        const auto [error, received] = co_await stream.async_read_some(asio::buffer(sink), no_throw);
        if (error == asio::error::eof) co_await stream.async_shutdown(no_throw);
        if (error) co_return;
    }
}

// Fixed-seed bytes, so a failing test sees the same stream on every run; one buffer shared by all connections.
const std::vector<unsigned char>& garbage_pattern() {
    static const std::vector<unsigned char> pattern = [] {
        std::mt19937 random(20240601);
        std::vector<unsigned char> bytes(std::size_t{1} << 20);
        for (auto& byte : bytes) byte = static_cast<unsigned char>(random());
        return bytes;
    }();
    return pattern;
}

awaitable<void> send_garbage(tcp::socket& socket, std::size_t total) {
    const auto& pattern = garbage_pattern();
    for (std::size_t sent = 0; sent < total;) {
        const std::size_t offset = sent % pattern.size();
        const std::size_t chunk = std::min(total - sent, pattern.size() - offset);
        sent += co_await asio::async_write(socket, asio::buffer(pattern.data() + offset, chunk), asio::use_awaitable);
    }
}

// Waits for the client's first TLS record (its ClientHello), so the reset lands mid-handshake rather than before it.
awaitable<void> reset_after_client_hello(tcp::socket& socket) {
    std::array<unsigned char, 5> header;
    co_await asio::async_read(socket, asio::buffer(header), asio::use_awaitable);
    std::vector<unsigned char> record(static_cast<std::size_t>((header[3] << 8) | header[4]));
    co_await asio::async_read(socket, asio::buffer(record), asio::use_awaitable);
    socket.set_option(tcp::socket::linger(true, 0));  // makes close() send RST instead of FIN
    socket.close();
}

awaitable<void> serve(tcp::socket socket, Listener& listener) {
    const Endpoint& config = listener.config;
    switch (config.kind) {
        case Kind::tls: co_await serve_tls(std::move(socket), listener.tls->initial(), config.x25519mlkem768); break;
        case Kind::starttls: {
            const bool upgrade = co_await negotiate_starttls(socket, config);
            if (upgrade) co_await serve_tls(std::move(socket), listener.tls->initial(), config.x25519mlkem768);
            break;
        }
        case Kind::tarpit: co_await wait_for_hang_up(socket); break;
        case Kind::plaintext:
            co_await asio::async_write(socket, asio::buffer(kBadRequest), asio::use_awaitable);
            co_await wait_for_hang_up(socket);
            break;
        case Kind::garbage:
            co_await send_garbage(socket, config.garbage_bytes);
            // FIN, then wait: closing with the client's unread ClientHello queued would send RST, and a RST can
            // discard garbage the client has not read yet.
            socket.shutdown(tcp::socket::shutdown_send);
            co_await wait_for_hang_up(socket);
            break;
        case Kind::close: socket.close(); break;
        case Kind::reset: co_await reset_after_client_hello(socket); break;
    }
}

awaitable<void> accept_connections(tcp::acceptor acceptor, Listener& listener) {
    asio::steady_timer backoff(acceptor.get_executor());
    for (;;) {
        auto [error, socket] = co_await acceptor.async_accept(no_throw);
        if (!error) {
            // A client that leaves mid-dialogue throws out of its session; detached drops that, ending only it.
            asio::co_spawn(acceptor.get_executor(), serve(std::move(socket), listener), asio::detached);
            continue;
        }
        // Out of descriptors, most likely: back off rather than spin, and keep the endpoint listening.
        backoff.expires_after(std::chrono::milliseconds(50));
        co_await backoff.async_wait(no_throw);
    }
}

tcp::acceptor listen_on(asio::io_context& io, const Endpoint& config) {
    const tcp::endpoint where(config.address, config.port);
    tcp::acceptor acceptor(io);
    boost::system::error_code error;
    acceptor.open(where.protocol(), error);
    // Lets a fleet restart at once on addresses whose last connections sit in TIME_WAIT. On Linux it does not let
    // two listeners share an address, so a collision with another process still fails here.
    if (!error) acceptor.set_option(tcp::acceptor::reuse_address(true), error);
    if (!error) acceptor.bind(where, error);
    if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
    if (error) throw std::runtime_error("cannot listen on " + config.label() + ": " + error.message());
    return acceptor;
}

// Every endpoint and every connection is a descriptor; the usual soft limit of 1024 caps a 1,000-endpoint fleet.
// Failing to raise it is not fatal: the bind or accept that runs out says so.
void raise_descriptor_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}

std::vector<Listener> prepare(const Config& config) {
    // Endpoints with the same settings share one context: a benchmark fleet of thousands of endpoints usually
    // serves one chain, and building an OpenSSL context per endpoint would dominate its start-up.
    std::map<TlsSettings, std::shared_ptr<TlsEndpointContext>> contexts;
    std::vector<Listener> listeners;
    for (const Endpoint& endpoint : config.endpoints) {
        Listener& listener = listeners.emplace_back(Listener{endpoint, nullptr});
        if (endpoint.kind != Kind::tls && endpoint.kind != Kind::starttls) continue;
        auto& context = contexts[endpoint.tls];
        try {
            if (!context) context = std::make_shared<TlsEndpointContext>(endpoint.tls);
        } catch (const std::exception& e) {
            throw std::runtime_error(endpoint.label() + ": " + e.what());
        }
        listener.tls = context;
    }
    return listeners;
}

// A ready file is written whole (temporary file, then rename) so that a poller never reads half a line. A file
// that cannot be written is not reported anywhere: the poller's own timeout catches it.
void report(const std::optional<fs::path>& ready_file, const std::string& line) {
    if (!ready_file) {
        std::cout << line << std::endl;
        return;
    }
    const fs::path partial = ready_file->string() + ".partial";
    std::ofstream(partial) << line << '\n';
    std::error_code ignored;
    fs::rename(partial, *ready_file, ignored);
}

}  // namespace

int main(int argc, char** argv) {
    std::optional<fs::path> config_path, ready_file;
    for (int i = 1; i < argc; ++i) {
        const std::string_view argument = argv[i];
        if (argument == "--ready-file" && i + 1 < argc) {
            ready_file = argv[++i];
        } else if (!config_path && !argument.starts_with("--")) {
            config_path = argument;
        } else {
            config_path.reset();
            break;
        }
    }
    if (!config_path) {
        std::cerr << "usage: certfleet_test_fleet CONFIG.json [--ready-file PATH]\n";
        return 2;
    }

    try {
        const Config config = load_config(*config_path);
        raise_descriptor_limit();
        // Declared before the io_context so that they outlive the sessions that the io_context's destruction ends.
        std::vector<Listener> listeners = prepare(config);
        asio::io_context io(1);

        std::vector<tcp::acceptor> acceptors;
        for (const Listener& listener : listeners) acceptors.push_back(listen_on(io, listener.config));
        for (std::size_t i = 0; i < listeners.size(); ++i)
            asio::co_spawn(io, accept_connections(std::move(acceptors[i]), listeners[i]), asio::detached);

        asio::signal_set stop_signals(io, SIGTERM, SIGINT);
        stop_signals.async_wait([&io](boost::system::error_code, int) { io.stop(); });
        asio::steady_timer deadline(io, std::chrono::seconds(config.max_seconds));
        deadline.async_wait([&io](boost::system::error_code error) {
            if (!error) io.stop();
        });

        report(ready_file, "ready " + std::to_string(listeners.size()));
        io.run();
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "certfleet_test_fleet: " << e.what() << '\n';
        if (ready_file) report(ready_file, std::string("error ") + e.what());
        return 1;
    }
}
