#pragma once
// Runs the test TLS fleet (certfleet_test_fleet) for a test: writes its config and PEM files into a temporary
// directory, starts it, waits until every endpoint listens, and stops it when the test is done.
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "testkit/cert_factory.hpp"

namespace certfleet::testing {

struct FleetEndpoint {
    std::string kind;  // tls, starttls, tarpit, plaintext, garbage, close, reset
    std::string address;  // 127.x.y.z; tests pick 127.64.x.y so that other processes are unlikely to collide
    std::uint16_t port = 0;
    // tls and starttls:
    std::vector<TestCert> chain;  // leaf first, then intermediates
    TestKey key;
    std::map<std::string, std::pair<std::vector<TestCert>, TestKey>> sni;  // server name -> chain and key
    std::string min_version, max_version;  // "TLSv1.2" or "TLSv1.3"; empty keeps OpenSSL's defaults
    bool ocsp_staple = false;              // staple a well-formed but untrusted "good" OCSP response
    std::string groups;                    // key-exchange groups it accepts, OpenSSL's list ("ffdhe2048", "P-384")
    std::string client_auth;               // "request" or "require" a client certificate; empty: neither
    std::vector<TestCert> client_cas;      // the CAs whose names it lists as acceptable for client certificates
    bool x25519mlkem768 = false;           // would choose the hybrid X25519MLKEM768 (a HelloRetryRequest for it)
    // starttls:
    std::string protocol;  // smtp, imap, pop3, ftp, ldap, postgres, xmpp, mysql, nats
    bool refuse = false;   // answer the upgrade request negatively
    bool verbose = false;  // multi-line greetings and replies, untagged IMAP lines before the tagged reply
    // Turn the client away before any upgrade: a refusing greeting, an XMPP host-unknown stream error, a MySQL
    // ERR 1130 greeting, a PostgreSQL ErrorResponse. Not for ldap and nats.
    bool reject_client = false;
    std::chrono::milliseconds greeting_delay{0};  // before the greeting, or the first reply if the client speaks first
    // garbage:
    std::size_t bytes = 0;  // how much to send before closing; 0 keeps the fleet's default, 10 MiB
};

// A TLS endpoint serving `chain` (leaf first) with `key`; tests set what else they need on it.
inline FleetEndpoint tls_endpoint(const std::string& address, std::uint16_t port, std::vector<TestCert> chain,
                                  const TestKey& key) {
    FleetEndpoint e;
    e.kind = "tls";
    e.address = address;
    e.port = port;
    e.chain = std::move(chain);
    e.key = key;
    return e;
}

class TestFleet {
public:
    // Returns once every endpoint listens. Throws std::runtime_error with the fleet's own message (a bind
    // failure names the address:port) if it fails to start, or if it is not ready within 20 seconds. Given a
    // network namespace (`ip netns`), the fleet runs inside it: only what runs there reaches its endpoints.
    explicit TestFleet(std::vector<FleetEndpoint> endpoints, int max_seconds = 120, const std::string& netns = "");
    // SIGTERM and a bounded wait; SIGKILL if the fleet does not go.
    ~TestFleet();
    TestFleet(const TestFleet&) = delete;
    TestFleet& operator=(const TestFleet&) = delete;

    pid_t pid() const { return pid_; }
    // Sends SIGTERM and waits; the exit code, or nullopt if the fleet still runs after `timeout`.
    std::optional<int> stop(std::chrono::seconds timeout = std::chrono::seconds(10));
    // Waits for the fleet to end by itself (max_seconds, or a signal sent by the test); nullopt on timeout.
    std::optional<int> wait_for_exit(std::chrono::seconds timeout);

private:
    void shut_down();

    TempDir dir_;
    pid_t pid_ = -1;
    std::optional<int> exit_code_;  // set once the process has been reaped, so its PID is never signalled again
};

}  // namespace certfleet::testing
