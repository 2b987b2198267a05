#pragma once
// The test fleet's JSON configuration, checked in full before anything is bound, so a typo in a test's fleet
// fails at start with the endpoint named instead of as a puzzling scan result.
#include <boost/asio/ip/address_v4.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace certfleet::fleet {

enum class Kind { tls, starttls, tarpit, plaintext, garbage, close, reset };
enum class StartTlsProtocol { smtp, imap, pop3, ftp, ldap, postgres, xmpp, mysql, nats };

struct ChainFiles {
    std::filesystem::path cert_chain;  // PEM, leaf first
    std::filesystem::path key;         // PEM

    auto operator<=>(const ChainFiles&) const = default;
};

enum class ClientAuthMode { none, request, require };

struct TlsSettings {
    ChainFiles default_chain;
    std::map<std::string, ChainFiles> sni;  // lower-case server name -> chain
    bool ocsp_staple = false;
    int min_version = 0;  // an OpenSSL TLS*_VERSION; 0 keeps OpenSSL's default
    int max_version = 0;
    std::string groups;  // SSL_CTX_set1_groups_list's list; empty keeps OpenSSL's default
    ClientAuthMode client_auth = ClientAuthMode::none;
    std::filesystem::path client_cas;  // PEM: the CA names listed as acceptable for client certificates

    auto operator<=>(const TlsSettings&) const = default;
};

struct Endpoint {
    Kind kind = Kind::tls;
    boost::asio::ip::address_v4 address;
    std::uint16_t port = 0;
    TlsSettings tls;  // tls and starttls
    // tls and starttls: answer a ClientHello offering X25519MLKEM768 alone with a HelloRetryRequest for it
    // (hybrid_retry.hpp), as a server supporting that hybrid post-quantum key exchange does.
    bool x25519mlkem768 = false;
    StartTlsProtocol protocol = StartTlsProtocol::smtp;
    bool starttls_refuse = false;
    // Multi-line greetings and replies where the protocol allows them, untagged IMAP lines before the tagged
    // reply: what real servers send and a client must skip.
    bool starttls_verbose = false;
    // Turn the client away before any upgrade, in the protocol's words: a refusing greeting, an XMPP host-unknown
    // stream error, a MySQL ERR 1130 greeting, a PostgreSQL ErrorResponse. Not for LDAP and NATS.
    bool reject_client = false;
    std::chrono::milliseconds greeting_delay{0};  // before the server's first word
    std::size_t garbage_bytes = std::size_t{10} << 20;

    std::string label() const;  // "127.64.0.1:4443", for messages
};

struct Config {
    std::vector<Endpoint> endpoints;
    int max_seconds = 120;
};

// Server names compare case-insensitively, as DNS names do.
std::string ascii_lower(std::string text);

// Throws std::runtime_error naming the offending endpoint and field.
Config load_config(const std::filesystem::path& path);

}  // namespace certfleet::fleet
