#pragma once
// Probes TLS endpoints concurrently: connect, optional STARTTLS, handshake, capture of the presented chain.
// One io_context on one thread drives every probe; each probe is one coroutine that reads top to bottom. Every
// step has a deadline and every read a cap, so nothing a server does can stall other probes or grow memory.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/cert_info.hpp"
#include "core/observation.hpp"
#include "scanner/chain_verifier.hpp"
#include "scanner/targets.hpp"

namespace certfleet::scanner {

// The status of a connect that failed with this errno: unreachable for the errors of an ICMP unreachable, a
// missing route or a missing local address, which say nothing about the port; else closed.
EndpointStatus connect_failure_status(int error_number);

struct EndpointObservation {
    std::string host;         // as the user named it: an IP literal or a hostname
    std::string address;      // the IP address connected to (empty when unresolved)
    std::uint16_t port = 0;   // 0 for a host name that did not resolve: reported once, not once per port
    std::string server_name;  // SNI sent; empty when none
    EndpointStatus status = EndpointStatus::closed;
    std::string detail;       // why, for every status but tls: "connection refused", "tlsv1 alert ...", ...
    std::optional<StartTls> starttls;
    std::string tls_version;  // "TLSv1.3"
    std::string cipher;       // "TLS_AES_256_GCM_SHA384"
    std::string key_exchange;  // the group or kind of key exchange: "X25519", "secp256r1", "ffdhe2048", "DH-2048", "RSA"
    std::vector<std::string> hybrid_groups;  // hybrid post-quantum groups the server would choose (hybrid_key_exchange.hpp)
    bool ocsp_stapled = false;
    ClientAuth client_auth = ClientAuth::none;
    std::vector<std::string> client_ca_names;  // RFC 2253, as the server listed them
    PresentedChain chain;     // in the order presented, leaf first, as the handshake parsed it
    std::int64_t elapsed_ms = 0;
};

struct ProbeTimeouts {
    std::chrono::milliseconds overall{5000};  // per endpoint, all steps together
    std::chrono::milliseconds connect{5000};
    std::chrono::milliseconds starttls{5000};
    std::chrono::milliseconds handshake{5000};
};

struct NetworkScanOptions {
    unsigned concurrency = 512;   // probes in flight at once
    double rate = 0;              // new connections per second; 0 for no limit
    unsigned max_per_host = 0;    // concurrent connections to one address; 0 for no limit
    unsigned retries = 0;         // extra attempts after a timeout
    ProbeTimeouts timeouts;
    std::vector<std::string> sni_names;       // IP targets are probed once per name (and never without one)
    std::optional<StartTls> starttls;         // overrides the choice by well-known port
    std::uint64_t seed = kDefaultShuffleSeed;  // target order
    Shard shard;
    std::uint64_t start_position = 0;         // --resume
    // After a TLS 1.3 handshake, one more connection per probed hybrid group asks whether the server would choose
    // it (hybrid_key_exchange.hpp); scan --no-hybrid-probe turns it off.
    bool probe_hybrid_groups = true;
};

struct NetworkScanStats {
    std::uint64_t targets_done = 0;
    std::uint64_t probes = 0;  // connections attempted; a blocked address is never attempted
    std::uint64_t by_status[kEndpointStatusNames.size()] = {};
    std::uint64_t position = 0;  // every target before this position is done
    std::uint64_t count(EndpointStatus s) const { return by_status[static_cast<int>(s)]; }
};

// Probes every target of the cursor. Observations reach `sink` on the calling thread (which may write to a
// database at leisure: the network thread never waits for it unless tens of thousands of results are pending).
// Setting `stop` ends the scan within a few tens of milliseconds: no probe is started after it and those in flight
// are abandoned unreported (the resume position is the first of them).
NetworkScanStats run_network_scan(const TargetSet& targets, const NetworkScanOptions& options,
                                  const std::function<void(EndpointObservation&&)>& sink,
                                  const std::function<void(const NetworkScanStats&)>& progress,
                                  const std::atomic<bool>& stop);

}  // namespace certfleet::scanner
