// `certfleet serve`: the Prometheus report of the latest scan over HTTP, for a Prometheus server to scrape.
// One I/O thread, one coroutine per connection; the report is rendered on a worker thread and kept a few seconds
// (app/metrics_cache.hpp), so a scrape never holds up other requests. Every request has a size limit and
// deadlines for its header, its body and the idle time before it, and connections beyond a cap are answered 503,
// so a slow or hostile client costs one connection slot for a bounded time and nothing else. docs/serve.md lists
// the limits.
#include <array>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <iostream>
#include <sstream>

#include "app/commands.hpp"
#include "app/metrics_cache.hpp"
#include "core/encoding.hpp"
#include "report/prometheus_writer.hpp"
#include "report/text_escape.hpp"

namespace certfleet::app {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxHeaderBytes = 8 * 1024;  // request line and headers
constexpr std::size_t kMaxBodyBytes = 8 * 1024;    // no request needs a body; a small one is read and ignored
// A request's header is due this long after the connect (the first request) or after its first byte (a later
// one), however slowly it trickles in: a slowloris client is cut off as soon as one that sends nothing.
constexpr std::chrono::seconds kHeaderTimeout{5};
constexpr std::chrono::seconds kBodyTimeout{5};   // after the header
constexpr std::chrono::seconds kIdleTimeout{15};  // a kept-alive connection waiting for its next request
constexpr std::chrono::seconds kWriteTimeout{30};
constexpr std::chrono::seconds kLingerTimeout{2};
constexpr unsigned kMaxRequestsPerConnection = 100;  // then the response says Connection: close
// Connections served at once. A Prometheus server keeps one; 256 leaves room for many scrapers and people, and
// with those turned away below stays well within the usual limit of 1024 open files.
constexpr std::size_t kMaxConnections = 256;
// Connections beyond the cap answered 503 at once. Past these too there is no descriptor to spare for an answer,
// and a connection is closed unanswered.
constexpr std::size_t kMaxTurnedAway = 256;

using Request = http::request<http::string_body>;

// A response body that is a shared, immutable string: the cached metrics go to every scraper without a copy each.
struct SharedTextBody {
    using value_type = std::shared_ptr<const std::string>;

    static std::uint64_t size(const value_type& body) { return body ? body->size() : 0; }

    class writer {
    public:
        using const_buffers_type = asio::const_buffer;

        template <bool isRequest, class Fields>
        writer(const http::header<isRequest, Fields>&, const value_type& body) : body_(body) {}
        void init(boost::system::error_code& error) { error = {}; }
        boost::optional<std::pair<const_buffers_type, bool>> get(boost::system::error_code& error) {
            error = {};
            if (!body_ || body_->empty()) return boost::none;
            return std::pair{const_buffers_type(body_->data(), body_->size()), false};
        }

    private:
        const value_type& body_;
    };
};

using Response = http::response<SharedTextBody>;

constexpr const char* kIndexPage =
    "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>certfleet</title></head>\n"
    "<body><h1>certfleet</h1><p><a href=\"/metrics\">Metrics</a> of the latest scan.</p></body></html>\n";

Response text_response(http::status status, std::shared_ptr<const std::string> body,
                       const char* content_type = "text/plain; charset=utf-8") {
    Response response{status, 11};
    response.set(http::field::server, "certfleet");
    response.set(http::field::content_type, content_type);
    response.body() = std::move(body);
    response.prepare_payload();
    return response;
}

Response text_response(http::status status, std::string body, const char* content_type = "text/plain; charset=utf-8") {
    return text_response(status, std::make_shared<const std::string>(std::move(body)), content_type);
}

// The answer to HEAD: GET's headers, Content-Length included, and no body.
void without_body(Response& response) {
    const auto length = SharedTextBody::size(response.body());
    response.body() = nullptr;
    response.content_length(length);
}

// The Prometheus text of the inventory's latest scan, as `report --format prometheus` writes it. Read anew on each
// call, so a scan or a `check` since the last one shows; throws when the inventory cannot give it.
std::string render_metrics(const std::string& db_path, const std::string& run) {
    const report::ReportContext context{now_utc(), CERTFLEET_VERSION};
    const auto writer = report::make_report_writer("prometheus");
    const auto model = load_report(db_path, 0, run, "", context.now, writer->parts());
    std::ostringstream text;
    writer->write(model, context, text);
    return std::move(text).str();
}

// One of a limited number of places, held while a connection uses it.
class Slot {
public:
    explicit Slot(std::size_t& taken) : taken_(&taken) { ++*taken_; }
    Slot(Slot&& other) noexcept : taken_(std::exchange(other.taken_, nullptr)) {}
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
        if (taken_) --*taken_;
    }

private:
    std::size_t* taken_;
};

class MetricsServer {
public:
    MetricsServer(std::string db_path, const std::string& run, const tcp::endpoint& listen)
        : acceptor_(io_, listen),
          metrics_(io_.get_executor(), db_path, [db_path, run] { return render_metrics(db_path, run); }) {}

    // Serves until SIGINT or SIGTERM.
    void run() {
        asio::signal_set signals(io_, SIGINT, SIGTERM);
        signals.async_wait([&](const boost::system::error_code&, int) { io_.stop(); });
        asio::co_spawn(io_, accept_loop(), asio::detached);
        io_.run();
    }

private:
    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] = co_await acceptor_.async_accept(nothrow);
            if (ec == asio::error::operation_aborted) co_return;
            if (ec) continue;  // e.g. the peer reset before accept, or out of descriptors for a moment
            // The slot is taken here, not when the coroutine starts, so connections accepted in a burst count.
            if (connections_ < kMaxConnections) {
                asio::co_spawn(io_, session(beast::tcp_stream(std::move(socket)), Slot(connections_)), asio::detached);
            } else if (turned_away_ < kMaxTurnedAway) {
                asio::co_spawn(io_, turn_away(beast::tcp_stream(std::move(socket)), Slot(turned_away_)), asio::detached);
            }  // else the socket closes as it goes out of scope
        }
    }

    asio::awaitable<void> session(beast::tcp_stream stream, Slot) {
        beast::flat_buffer buffer(kMaxHeaderBytes + kMaxBodyBytes);
        for (unsigned served = 0;;) {
            if (served > 0 && buffer.size() == 0 && !co_await next_request_begins(stream, buffer)) break;
            http::request_parser<http::string_body> parser;
            parser.header_limit(kMaxHeaderBytes);
            parser.body_limit(kMaxBodyBytes);
            const auto read_error = co_await read_request(stream, buffer, parser);
            std::optional<Response> response;
            if (!read_error) {
                response = co_await respond(parser.get());
                if (parser.get().method() == http::verb::head) without_body(*response);
            } else if (read_error.category() == http::make_error_code(http::error::bad_method).category() &&
                       read_error != http::error::end_of_stream && read_error != http::error::partial_message) {
                response = rejection(read_error);  // not HTTP, or too large: say so, then close
            }
            if (!response) break;  // closed, reset or timed out: nothing to say to anyone
            ++served;
            const bool keep_alive = !read_error && parser.get().keep_alive() && served < kMaxRequestsPerConnection;
            response->keep_alive(keep_alive);
            stream.expires_after(kWriteTimeout);
            auto [write_error, written] = co_await http::async_write(stream, *response, nothrow);
            if (write_error) break;
            if (!keep_alive) {
                co_await lingering_close(stream);
                break;
            }
        }
    }

    // Waits up to kIdleTimeout for the first bytes of a kept-alive connection's next request; false when none came.
    static asio::awaitable<bool> next_request_begins(beast::tcp_stream& stream, beast::flat_buffer& buffer) {
        stream.expires_after(kIdleTimeout);
        auto [error, bytes] = co_await stream.async_read_some(buffer.prepare(kMaxHeaderBytes), nothrow);
        buffer.commit(bytes);
        co_return !error;
    }

    static asio::awaitable<boost::system::error_code> read_request(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                                                   http::request_parser<http::string_body>& parser) {
        stream.expires_after(kHeaderTimeout);
        auto [header_error, header_bytes] = co_await http::async_read_header(stream, buffer, parser, nothrow);
        if (header_error || parser.is_done()) co_return header_error;
        stream.expires_after(kBodyTimeout);
        auto [body_error, body_bytes] = co_await http::async_read(stream, buffer, parser, nothrow);
        co_return body_error;
    }

    // Over the cap: 503 at once, without reading the request, and the connection closed.
    static asio::awaitable<void> turn_away(beast::tcp_stream stream, Slot) {
        auto response = text_response(http::status::service_unavailable,
                                      "too many connections (" + std::to_string(kMaxConnections) + "); try again\n");
        response.set(http::field::retry_after, "1");
        response.keep_alive(false);
        stream.expires_after(kLingerTimeout);
        auto [write_error, written] = co_await http::async_write(stream, response, nothrow);
        if (!write_error) co_await lingering_close(stream);
    }

    // Closing a socket with unread input resets the connection, and a reset can destroy the response before the
    // client reads it (a rejected request is often cut off unread). So: send FIN, then read and drop what the
    // client still sends, for a short time, before closing.
    static asio::awaitable<void> lingering_close(beast::tcp_stream& stream) {
        boost::system::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        stream.expires_after(kLingerTimeout);
        std::array<char, 4096> discard;
        for (;;) {
            auto [error, bytes] = co_await stream.async_read_some(asio::buffer(discard), nothrow);
            if (error) co_return;
        }
    }

    static Response rejection(const boost::system::error_code& error) {
        if (error == http::error::header_limit || error == http::error::buffer_overflow)
            return text_response(http::status::request_header_fields_too_large, "request headers too large\n");
        if (error == http::error::body_limit) return text_response(http::status::payload_too_large, "request too large\n");
        return text_response(http::status::bad_request, "malformed request\n");
    }

    asio::awaitable<Response> respond(const Request& request) {
        const std::string_view target = request.target();
        const std::string_view path = target.substr(0, target.find('?'));
        if (path != "/" && path != "/metrics") co_return text_response(http::status::not_found, "not found: try /metrics\n");
        if (request.method() != http::verb::get && request.method() != http::verb::head) {
            auto response = text_response(http::status::method_not_allowed, "only GET and HEAD\n");
            response.set(http::field::allow, "GET, HEAD");
            co_return response;
        }
        if (path == "/") co_return text_response(http::status::ok, kIndexPage, "text/html; charset=utf-8");
        co_return metrics_response(co_await metrics_.get());
    }

    // Which render the text is from and how old it is, so an operator can see the cache at work; a render that
    // failed is a 503 with its reason, and Prometheus records the scrape as failed (up == 0).
    static Response metrics_response(const RenderedMetrics& rendered) {
        if (!rendered.text) return text_response(http::status::service_unavailable, rendered.failure + "\n");
        auto response = text_response(http::status::ok, rendered.text, report::kPrometheusContentType);
        response.set("X-Certfleet-Render", std::to_string(rendered.number));
        const auto age = std::chrono::steady_clock::now() - rendered.started;
        response.set(http::field::age, std::to_string(std::chrono::duration_cast<std::chrono::seconds>(age).count()));
        return response;
    }

    // The counts first and io_ next: io_'s destructor destroys the coroutines still suspended, and with them their
    // slots, which give their places back.
    std::size_t connections_ = 0;
    std::size_t turned_away_ = 0;
    asio::io_context io_{1};
    tcp::acceptor acceptor_;
    MetricsCache metrics_;
};

// "127.0.0.1:9793" or "[::1]:9793": an address literal and a port, both explicit.
tcp::endpoint parse_listen(const std::string& text) {
    const auto bad = [&](const std::string& why) {
        return UsageError("--listen " + text + ": " + why + " (expected ADDRESS:PORT, e.g. 127.0.0.1:9793 or [::1]:9793)");
    };
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) throw bad("no port");
    std::string host = text.substr(0, colon);
    const std::string port_text = text.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    else if (host.find(':') != std::string::npos) throw bad("an IPv6 address goes in brackets");
    unsigned port = 0;
    const auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (error != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535)
        throw bad("the port must be a number from 1 to 65535");
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(host, ec);
    if (ec) throw bad("'" + host + "' is not an IP address");
    return {address, static_cast<std::uint16_t>(port)};
}

}  // namespace

int run_serve(const ServeOptions& options, const std::string& db_path) {
    require_inventory_file(db_path);
    const tcp::endpoint listen = parse_listen(options.listen);
    std::unique_ptr<MetricsServer> server;
    try {
        server = std::make_unique<MetricsServer>(db_path, options.run, listen);
    } catch (const boost::system::system_error& e) {
        throw std::runtime_error("--listen " + options.listen + ": " + e.code().message());
    }
    std::cerr << "certfleet: serving http://" << options.listen << "/metrics (inventory "
              << report::visible_text(inventory::display_name(db_path)) << ")\n";
    server->run();
    return kExitOk;
}

}  // namespace certfleet::app
