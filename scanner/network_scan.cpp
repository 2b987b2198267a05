#include "scanner/network_scan.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <algorithm>
#include <cerrno>
#include <exception>
#include <memory>
#include <set>
#include <thread>
#include <unordered_map>
#include <utility>

#include "core/certificate.hpp"
#include "scanner/asio_steps.hpp"
#include "scanner/bounded_queue.hpp"
#include "scanner/hybrid_key_exchange.hpp"
#include "scanner/starttls_client.hpp"

namespace certfleet::scanner {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

EndpointStatus connect_failure_status(int error_number) {
    switch (error_number) {
        case ENETUNREACH:
        case EHOSTUNREACH:
        case ENETDOWN:
        case EHOSTDOWN:
        case ENONET:
        // No local address to reach it from (an IPv6 target on a host without IPv6), or no IPv6 at all.
        case EADDRNOTAVAIL:
        case EAFNOSUPPORT: return EndpointStatus::unreachable;
        default: return EndpointStatus::closed;
    }
}

namespace {

// Far above any real chain (a 50-certificate chain is ~60 KiB) yet a bound on what a server can make us hold.
constexpr long kMaxCertificateListBytes = 512 * 1024;
// Results cross to the writer's thread in batches: one lock and one wake-up per batch, not per probe. The
// queue holds this many batches before the network thread waits for the writer.
constexpr std::size_t kResultBatch = 256;
constexpr std::size_t kPendingBatches = 64;
constexpr auto kResultFlushInterval = std::chrono::milliseconds(20);

using ProbeResultBatch = std::vector<std::pair<EndpointObservation, NetworkScanStats>>;

// Everything one probe owns. Shared with its watchdog, whose handler may run after the probe has returned.
struct ProbeState : std::enable_shared_from_this<ProbeState> {
    explicit ProbeState(const asio::any_io_executor& executor) : socket(executor), watchdog(executor) {}

    // Closing the socket at the deadline fails whatever operation is pending, which the probe then reports as a
    // timeout: one mechanism for every step.
    void arm(Clock::time_point deadline) {
        watchdog.expires_at(deadline);
        watchdog.async_wait([self = shared_from_this()](error_code ec) {
            if (ec) return;
            self->deadline_hit = true;
            error_code ignored;
            self->socket.close(ignored);
        });
    }

    void hang_up() {
        watchdog.cancel();
        error_code ignored;
        socket.close(ignored);
    }

    tcp::socket socket;
    // Made only once the connection is up: most ports of a sweep refuse, and a TLS stream (an SSL object and two
    // 17 KiB buffers) for each of them was most of a sweep's cost.
    std::optional<asio::ssl::stream<tcp::socket&>> tls;
    asio::steady_timer watchdog;
    bool deadline_hit = false;
};

// A host name's addresses, looked up once per scan however many ports it is probed on: the first of its targets
// asks, the others wait for that answer. A name that does not resolve is then reported once, not once per port.
struct NameLookup {
    explicit NameLookup(const asio::any_io_executor& executor) : answered(executor) {
        answered.expires_at(Clock::time_point::max());
    }
    asio::steady_timer answered;  // cancelled when the answer is in, waking whoever waits for it
    bool done = false;
    std::vector<std::string> addresses;
    std::string failure;  // why there is no address
    bool reported = false;
};

// RFC 6761 section 6.4: names under .invalid never resolve, and a resolver should say so without asking anyone.
bool under_invalid(const std::string& server_name) {
    return server_name == "invalid" || server_name.ends_with(".invalid");
}

struct StepFailure {
    EndpointStatus status;
    std::string detail;
};

// How the handshake agreed its keys: the named group by its TLS name (RFC 8446 §4.2.7: X25519, secp256r1,
// ffdhe2048), a TLS 1.2 DHE exchange over other parameters by size, or RSA key transport, which has none.
std::string key_exchange_of(SSL* ssl) {
    const int group = SSL_get_negotiated_group(ssl);
    switch (group) {
        case NID_X9_62_prime256v1: return "secp256r1";
        case NID_undef: break;
        default: {
            const char* name = OBJ_nid2sn(group);
            if (name != nullptr) return name;
        }
    }
    EVP_PKEY* ephemeral = nullptr;
    if (SSL_get_peer_tmp_key(ssl, &ephemeral) == 1 && ephemeral != nullptr) {
        const bool dh = EVP_PKEY_get_base_id(ephemeral) == EVP_PKEY_DH;
        const std::string name = dh ? "DH-" + std::to_string(EVP_PKEY_get_bits(ephemeral)) : "";
        EVP_PKEY_free(ephemeral);
        if (dh) return name;
    }
    const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl);
    return cipher != nullptr && SSL_CIPHER_get_kx_nid(cipher) == NID_kx_rsa ? "RSA" : "";
}

// Where the callback below notes that the server asked for a client certificate: a flag of the probe's own.
int certificate_request_index() {
    static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

// certfleet never authenticates as a client: it notes that the server asked, and answers with no certificate.
int note_certificate_request(SSL* ssl, X509**, EVP_PKEY**) {
    if (auto* requested = static_cast<bool*>(SSL_get_ex_data(ssl, certificate_request_index()))) *requested = true;
    return 0;
}

// The CA names a server lists for client certificates: a bound on what one can make us store.
constexpr int kMaxClientCaNames = 256;

std::vector<std::string> acceptable_client_ca_names(SSL* ssl) {
    std::vector<std::string> names;
    const STACK_OF(X509_NAME)* listed = SSL_get0_peer_CA_list(ssl);
    for (int i = 0; i < std::min(sk_X509_NAME_num(listed), kMaxClientCaNames); ++i)
        names.push_back(name_rfc2253(sk_X509_NAME_value(listed, i)));
    return names;
}

bool not_tls_reason(int reason) {
    switch (reason) {
        case SSL_R_WRONG_VERSION_NUMBER:
        case SSL_R_HTTP_REQUEST:
        case SSL_R_HTTPS_PROXY_REQUEST:
        case SSL_R_PACKET_LENGTH_TOO_LONG:
        case SSL_R_UNKNOWN_PROTOCOL:
        case SSL_R_RECORD_LENGTH_MISMATCH:
        case SSL_R_UNEXPECTED_RECORD:
        case SSL_R_BAD_PACKET_LENGTH:
        case SSL_R_UNEXPECTED_MESSAGE: return true;
        default: return false;
    }
}

class NetworkScanner {
public:
    NetworkScanner(const TargetSet& targets, const NetworkScanOptions& options,
                   BoundedQueue<ProbeResultBatch>& results, const std::atomic<bool>& stop)
        : options_(options),
          cursor_(targets.iterate(options.seed, options.shard, options.start_position)),
          results_(results),
          stop_(stop),
          tls_(asio::ssl::context::tls_client) {
        // Inventory, not trust: old protocol versions and weak keys must still show their certificates.
        // Verification happens afterwards, on the captured chain.
        SSL_CTX* ctx = tls_.native_handle();
        SSL_CTX_set_security_level(ctx, 0);
        SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
        SSL_CTX_set_max_cert_list(ctx, kMaxCertificateListBytes);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
        // OpenSSL 3.0 builds and checks a path during the handshake even with SSL_VERIFY_NONE; the chain is
        // verified once afterwards (and cached), so the handshake's own pass is skipped.
        SSL_CTX_set_cert_verify_callback(ctx, [](X509_STORE_CTX*, void*) { return 1; }, nullptr);
        SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0");
        SSL_CTX_set_client_cert_cb(ctx, note_certificate_request);
    }

    NetworkScanStats run() {
        workers_left_ = std::max(1u, options_.concurrency);
        const auto rethrow = [](std::exception_ptr e) {
            if (e) std::rethrow_exception(e);
        };
        for (unsigned i = workers_left_; i > 0; --i) asio::co_spawn(io_, worker(), rethrow);
        asio::co_spawn(io_, flush_periodically(), rethrow);
        io_.run();
        // After a stop the probes still in flight are abandoned: a resumed scan starts at the first of them.
        stats_.position = in_flight_.empty() ? cursor_.position() : *in_flight_.begin();
        flush_results();
        return stats_;
    }

private:
    // One of `concurrency` workers: each takes the next target when it is done with the last, which bounds the
    // probes in flight without a separate semaphore.
    asio::awaitable<void> worker() {
        while (!stop_) {
            const std::uint64_t position = cursor_.position();
            auto target = cursor_.next();
            if (!target) break;
            in_flight_.insert(position);
            co_await probe_target(*target);
            in_flight_.erase(position);
            ++stats_.targets_done;
        }
        --workers_left_;
    }

    // Results in a part-filled batch still reach the writer promptly while a slow scan trickles them in. A stop
    // ends the scan here without waiting for the probes in flight, which may each take --timeout-ms: their
    // coroutines are dropped, unresumed, with the io_context.
    asio::awaitable<void> flush_periodically() {
        asio::steady_timer timer(io_);
        while (workers_left_ > 0) {
            timer.expires_after(kResultFlushInterval);
            co_await timer.async_wait(nothrow);
            flush_results();
            if (stop_) io_.stop();
        }
    }

    void flush_results() {
        if (pending_.empty()) return;
        results_.push(std::move(pending_));
        pending_.clear();
    }

    asio::awaitable<void> probe_target(const Target& target) {
        const auto starttls = options_.starttls ? options_.starttls : starttls_protocol_for_port(target.port);
        std::vector<std::string> names;
        if (target.is_name) names = {target.server_name};
        else if (!options_.sni_names.empty()) names = options_.sni_names;
        else names = {""};

        std::vector<std::string> addresses;
        if (target.is_name) {
            const auto lookup = co_await look_up(target);
            if (lookup->addresses.empty()) {
                if (!std::exchange(lookup->reported, true)) deliver(unresolved_observation(target, lookup->failure));
                co_return;
            }
            addresses = lookup->addresses;
        } else {
            addresses = {target.address};
        }

        for (const auto& address : addresses) {
            // Target sets hold no blocked address; a host name can still resolve to one (a DNS sinkhole's 0.0.0.0).
            const auto blocked = blocked_range_of(address);
            for (const auto& name : names) {
                if (blocked) {
                    deliver(blocked_observation(target, address, name, *blocked));
                    continue;
                }
                EndpointObservation observation;
                for (unsigned attempt = 0; attempt <= options_.retries; ++attempt) {
                    if (options_.max_per_host > 0 || options_.rate > 0) co_await wait_for_turn(address);
                    if (options_.max_per_host > 0) ++per_host_[address];
                    observation = co_await probe(address, target.port, name, starttls);
                    if (options_.max_per_host > 0 && --per_host_[address] == 0) per_host_.erase(address);
                    if (observation.status != EndpointStatus::timeout) break;
                }
                observation.host = target.address;
                deliver(std::move(observation));
            }
        }
    }

    static EndpointObservation blocked_observation(const Target& target, const std::string& address,
                                                   const std::string& name, const BlockedRange& blocked) {
        EndpointObservation observation;
        observation.host = target.address;
        observation.address = address;
        observation.port = target.port;
        observation.server_name = name;
        observation.status = EndpointStatus::unreachable;
        observation.detail = std::string("not probed: ") + address + " is in " + blocked.block + " (" +
                             blocked.reason + "), which certfleet never probes";
        return observation;
    }

    // One row for the name, on no port: none of its ports was probed.
    static EndpointObservation unresolved_observation(const Target& target, const std::string& failure) {
        EndpointObservation observation;
        observation.host = target.address;
        observation.server_name = target.server_name;
        observation.status = EndpointStatus::unresolved;
        observation.detail = failure;
        return observation;
    }

    asio::awaitable<std::shared_ptr<NameLookup>> look_up(const Target& target) {
        auto [entry, first] = lookups_.try_emplace(target.address);
        if (!first) {
            const auto lookup = entry->second;
            while (!lookup->done) co_await lookup->answered.async_wait(nothrow);
            co_return lookup;
        }
        const auto lookup = entry->second = std::make_shared<NameLookup>(io_.get_executor());
        if (under_invalid(target.server_name)) {
            lookup->failure = "names under .invalid never resolve (RFC 6761)";
        } else {
            auto [ec, results] = co_await resolve(target.address);
            for (const auto& result : results) {
                const std::string address = result.endpoint().address().to_string();
                if (std::find(lookup->addresses.begin(), lookup->addresses.end(), address) == lookup->addresses.end())
                    lookup->addresses.push_back(address);
            }
            if (lookup->addresses.empty())
                lookup->failure = ec == asio::error::operation_aborted
                                      ? "no answer within " + std::to_string(options_.timeouts.overall.count()) + " ms"
                                  : ec ? ec.message()
                                       : "no A or AAAA record";
        }
        lookup->done = true;
        lookup->answered.cancel();
        co_return lookup;
    }

    asio::awaitable<std::tuple<error_code, tcp::resolver::results_type>> resolve(const std::string& name) {
        // Resolution shares the endpoint deadline: a dead DNS server must not hold a worker forever. A resolver per
        // name, so that one name's deadline cancels only its own lookup.
        auto resolver = std::make_shared<tcp::resolver>(io_);
        asio::steady_timer deadline(io_);
        deadline.expires_after(options_.timeouts.overall);
        deadline.async_wait([resolver](error_code ec) {
            if (!ec) resolver->cancel();
        });
        auto result = co_await resolver->async_resolve(name, "", nothrow);
        deadline.cancel();
        co_return result;
    }

    // The per-host limit, then the rate limit.
    asio::awaitable<void> wait_for_turn(const std::string& address) {
        if (options_.max_per_host > 0) {
            asio::steady_timer timer(io_);
            while (per_host_.count(address) && per_host_[address] >= options_.max_per_host) {
                timer.expires_after(std::chrono::milliseconds(5));
                co_await timer.async_wait(nothrow);
            }
        }
        co_await wait_for_rate();
    }

    // The rate limit: a token bucket refilled `rate` times a second, one token per new connection.
    asio::awaitable<void> wait_for_rate() {
        if (options_.rate <= 0) co_return;
        const auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / options_.rate));
        const auto now = Clock::now();
        const auto slot = std::max(now, next_slot_);
        next_slot_ = slot + interval;
        if (slot > now) {
            asio::steady_timer timer(io_);
            timer.expires_at(slot);
            co_await timer.async_wait(nothrow);
        }
    }

    asio::awaitable<EndpointObservation> probe(const std::string& address, std::uint16_t port, const std::string& name,
                                               std::optional<StartTls> starttls) {
        EndpointObservation observation;
        observation.address = address;
        observation.port = port;
        observation.server_name = name;
        observation.starttls = starttls;
        ++stats_.probes;
        const auto started = Clock::now();
        const auto overall = started + options_.timeouts.overall;
        auto state = std::make_shared<ProbeState>(io_.get_executor());
        auto failure = co_await reach(*state, address, port, name, starttls, overall);
        if (!failure)
            failure = co_await handshake(*state, name, phase_deadline(overall, options_.timeouts.handshake), observation);
        state->hang_up();

        if (failure) {
            observation.status = failure->status;
            observation.detail = std::move(failure->detail);
        } else {
            observation.status = EndpointStatus::tls;
        }
        observation.elapsed_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
        if (!failure && options_.probe_hybrid_groups && observation.tls_version == "TLSv1.3")
            observation.hybrid_groups = co_await hybrid_groups_chosen(address, port, name, starttls, overall);
        co_return observation;
    }

    // The hybrid groups the server chooses when offered each alone, a connection each (hybrid_key_exchange.hpp):
    // within the probe's overall deadline and its turn for this host, a token of the rate limit each.
    asio::awaitable<std::vector<std::string>> hybrid_groups_chosen(const std::string& address, std::uint16_t port,
                                                                   const std::string& name,
                                                                   std::optional<StartTls> starttls,
                                                                   Clock::time_point overall) {
        std::vector<std::string> chosen;
        for (const std::uint16_t group : kProbedHybridGroups) {
            co_await wait_for_rate();
            if (Clock::now() >= overall) break;
            auto state = std::make_shared<ProbeState>(io_.get_executor());
            if (!co_await reach(*state, address, port, name, starttls, overall)) {
                state->arm(phase_deadline(overall, options_.timeouts.handshake));
                if (co_await server_selects_hybrid(state->socket, group, name))
                    chosen.push_back(hybrid_group_name(group).value_or(std::to_string(group)));
            }
            state->hang_up();
        }
        co_return chosen;
    }

    // A step's deadline: its own limit, within the endpoint's overall one.
    static Clock::time_point phase_deadline(Clock::time_point overall, std::chrono::milliseconds limit) {
        return std::min(overall, Clock::now() + limit);
    }

    // The steps before a ClientHello: connect, then the STARTTLS dialogue where the port has one.
    asio::awaitable<std::optional<StepFailure>> reach(ProbeState& state, const std::string& address, std::uint16_t port,
                                                      const std::string& name, std::optional<StartTls> starttls,
                                                      Clock::time_point overall) {
        auto failure = co_await connect(state, address, port, phase_deadline(overall, options_.timeouts.connect));
        if (!failure && starttls)
            failure = co_await upgrade(state, *starttls, name, phase_deadline(overall, options_.timeouts.starttls));
        co_return failure;
    }

    asio::awaitable<std::optional<StepFailure>> connect(ProbeState& state, const std::string& address, std::uint16_t port,
                                                        Clock::time_point deadline) {
        error_code parse_error;
        const auto ip = asio::ip::make_address(address, parse_error);
        if (parse_error) co_return StepFailure{EndpointStatus::closed, "not an IP address: " + address};
        state.arm(deadline);
        auto [ec] = co_await state.socket.async_connect(tcp::endpoint(ip, port), nothrow);
        if (!ec) co_return std::nullopt;
        if (state.deadline_hit) co_return StepFailure{EndpointStatus::timeout, "connect timed out"};
        const bool system_error = ec.category() == boost::system::system_category();
        co_return StepFailure{system_error ? connect_failure_status(ec.value()) : EndpointStatus::closed, ec.message()};
    }

    asio::awaitable<std::optional<StepFailure>> handshake(ProbeState& state, const std::string& name,
                                                          Clock::time_point deadline, EndpointObservation& observation) {
        auto& stream = state.tls.emplace(state.socket, tls_);
        SSL* ssl = stream.native_handle();
        if (!name.empty()) SSL_set_tlsext_host_name(ssl, name.c_str());
        SSL_set_tlsext_status_type(ssl, TLSEXT_STATUSTYPE_ocsp);
        bool certificate_requested = false;
        SSL_set_ex_data(ssl, certificate_request_index(), &certificate_requested);
        state.arm(deadline);
        const auto started = Clock::now();
        auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::client, nothrow);
        SSL_set_ex_data(ssl, certificate_request_index(), nullptr);
        if (certificate_requested) {
            observation.client_auth = ClientAuth::requested;
            observation.client_ca_names = acceptable_client_ca_names(ssl);
        }
        // A TLS 1.2 server that requires a client certificate ends the handshake when none comes, after
        // presenting its own: that certificate is the server's all the same.
        const bool refused_after_certificate =
            ec && certificate_requested && !state.deadline_hit && sk_X509_num(SSL_get_peer_cert_chain(ssl)) > 0;
        if (ec && !refused_after_certificate) {
            ERR_clear_error();
            if (state.deadline_hit) co_return StepFailure{EndpointStatus::timeout, "TLS handshake timed out"};
            if (ec == asio::ssl::error::stream_truncated || ec == asio::error::eof)
                co_return StepFailure{EndpointStatus::handshake_failed, "connection closed during the handshake"};
            if (ec.category() == asio::error::get_ssl_category() && not_tls_reason(ERR_GET_REASON(ec.value())))
                co_return StepFailure{EndpointStatus::not_tls, "not TLS: " + ec.message()};
            if (ec == asio::error::connection_reset)
                co_return StepFailure{EndpointStatus::handshake_failed, "connection reset during the handshake"};
            co_return StepFailure{EndpointStatus::handshake_failed, ec.message()};
        }
        // The certificates as the handshake parsed them (the leaf included, on a client): verification and the
        // inventory use these rather than parse the DER once more each.
        if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl)) {
            std::vector<X509*> certificates;
            for (int i = 0; i < sk_X509_num(chain); ++i) certificates.push_back(sk_X509_value(chain, i));
            observation.chain = PresentedChain::from_parsed(certificates);
        }
        observation.tls_version = SSL_get_version(ssl);
        observation.cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(ssl));
        observation.key_exchange = key_exchange_of(ssl);
        const unsigned char* ocsp = nullptr;
        observation.ocsp_stapled = SSL_get_tlsext_status_ocsp_resp(ssl, &ocsp) > 0 && ocsp != nullptr;
        if (refused_after_certificate) {
            ERR_clear_error();
            observation.client_auth = ClientAuth::required;
            observation.detail = "the server requires a client certificate: " + ec.message();
        } else if (certificate_requested && SSL_version(ssl) >= TLS1_3_VERSION) {
            co_await await_certificate_refusal(state, stream, deadline, Clock::now() - started, observation);
        }
        co_return std::nullopt;
    }

    // A TLS 1.3 server checks the client's (empty) certificate after the client has finished its handshake, so a
    // refusal comes as an alert just after: wait for one as long as a round trip or two took, within the deadline.
    asio::awaitable<void> await_certificate_refusal(ProbeState& state, asio::ssl::stream<tcp::socket&>& stream,
                                                    Clock::time_point deadline, Clock::duration handshake_took,
                                                    EndpointObservation& observation) {
        const Clock::duration wait = std::clamp<Clock::duration>(2 * handshake_took, std::chrono::milliseconds(100),
                                                                 std::chrono::milliseconds(1000));
        state.arm(std::min(deadline, Clock::now() + wait));
        std::array<char, 512> discarded;
        auto [ec, read] = co_await stream.async_read_some(asio::buffer(discarded), nothrow);
        ERR_clear_error();
        // Only an alert is a refusal: a server that says nothing, or speaks first (a banner), accepted the client.
        if (ec && !state.deadline_hit && ec.category() == asio::error::get_ssl_category()) {
            observation.client_auth = ClientAuth::required;
            observation.detail = "the server requires a client certificate: " + ec.message();
        }
    }

    asio::awaitable<std::optional<StepFailure>> upgrade(ProbeState& state, StartTls protocol, const std::string& name,
                                                        Clock::time_point deadline) {
        state.arm(deadline);
        // A NATS server sends its INFO as soon as it accepts: a quarter of the STARTTLS time without it is one
        // that waits for the TLS handshake (handshake_first), whose ClientHello then goes in the rest.
        auto refusal = co_await starttls_dialogue(state.socket, protocol, name, (deadline - Clock::now()) / 4);
        if (!refusal) co_return std::nullopt;
        if (state.deadline_hit) co_return StepFailure{EndpointStatus::timeout, std::string("STARTTLS ") + to_string(protocol) + " timed out"};
        co_return StepFailure{EndpointStatus::not_tls, *refusal};
    }

    void deliver(EndpointObservation&& observation) {
        ++stats_.by_status[static_cast<int>(observation.status)];
        stats_.position = in_flight_.empty() ? cursor_.position() : *in_flight_.begin();
        pending_.emplace_back(std::move(observation), stats_);
        if (pending_.size() >= kResultBatch) flush_results();
    }

    const NetworkScanOptions& options_;
    TargetSet::Cursor cursor_;
    BoundedQueue<ProbeResultBatch>& results_;
    ProbeResultBatch pending_;
    unsigned workers_left_ = 0;
    const std::atomic<bool>& stop_;
    asio::ssl::context tls_;
    NetworkScanStats stats_;
    std::unordered_map<std::string, unsigned> per_host_;
    std::set<std::uint64_t> in_flight_;
    Clock::time_point next_slot_{};
    // After all its coroutines refer to, so destroyed before it: coroutines abandoned by a stop die with it while
    // all they refer to lives.
    asio::io_context io_{1};
    // The one exception, after io_: each lookup holds a timer of io_'s, which must go before io_ does. A lookup an
    // abandoned coroutine still holds goes with that coroutine, inside io_'s destruction.
    std::unordered_map<std::string, std::shared_ptr<NameLookup>> lookups_;  // by the name as the target spells it
};

}  // namespace

NetworkScanStats run_network_scan(const TargetSet& targets, const NetworkScanOptions& options,
                                  const std::function<void(EndpointObservation&&)>& sink,
                                  const std::function<void(const NetworkScanStats&)>& progress,
                                  const std::atomic<bool>& stop) {
    BoundedQueue<ProbeResultBatch> results(kPendingBatches);
    NetworkScanStats final_stats;
    std::exception_ptr network_failure;
    std::thread network([&] {
        try {
            NetworkScanner scanner(targets, options, results, stop);
            final_stats = scanner.run();
        } catch (...) {
            network_failure = std::current_exception();
        }
        results.close();
    });
    std::exception_ptr sink_failure;
    while (auto batch = results.pop()) {
        for (auto& [observation, stats] : *batch) {
            if (sink_failure) break;
            try {
                sink(std::move(observation));
                progress(stats);
            } catch (...) {
                sink_failure = std::current_exception();
            }
        }
    }
    network.join();
    if (network_failure) std::rethrow_exception(network_failure);
    if (sink_failure) std::rethrow_exception(sink_failure);
    return final_stats;
}

}  // namespace certfleet::scanner
