#pragma once
// The ports certfleet knows: the service that carries TLS on each, how its TLS starts, and the named port lists
// (`--ports default`, `web`, `all-tls`) it is on. kKnownPorts is the one place these are written; the table in
// docs/network-scanning.md shows it.
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/observation.hpp"

namespace certfleet::scanner {

// The named lists a port is on, as bits of KnownPort::lists. Every known port is on all-tls.
inline constexpr unsigned kAllTlsOnly = 0;
inline constexpr unsigned kOnDefault = 1;  // probed when --ports is not given
inline constexpr unsigned kOnWeb = 2;      // HTTPS and its usual alternatives

// Where TLS starts with the first byte, no plaintext protocol comes before it.
inline constexpr std::optional<StartTls> kDirectTls = std::nullopt;

struct KnownPort {
    std::uint16_t port;
    const char* service;
    std::optional<StartTls> starttls;  // the plaintext dialogue that asks for TLS, or kDirectTls
    unsigned lists;
};

// Sorted by port. The default list is what most fleets run TLS on, kept short enough that a /16 on it takes
// under an hour at the large-scan rate; services fewer fleets run are on all-tls only.
inline constexpr auto kKnownPorts = std::to_array<KnownPort>({
    {21, "FTP", StartTls::ftp, kOnDefault},
    {25, "SMTP", StartTls::smtp, kOnDefault},
    {110, "POP3", StartTls::pop3, kOnDefault},
    {143, "IMAP", StartTls::imap, kOnDefault},
    {389, "LDAP", StartTls::ldap, kOnDefault},
    {443, "HTTPS", kDirectTls, kOnDefault | kOnWeb},
    {465, "SMTP submission over TLS (smtps)", kDirectTls, kOnDefault},
    {563, "NNTP over TLS (nntps)", kDirectTls, kAllTlsOnly},
    {587, "SMTP submission", StartTls::smtp, kOnDefault},
    {636, "LDAP over TLS (ldaps)", kDirectTls, kOnDefault},
    {853, "DNS over TLS", kDirectTls, kOnDefault},
    {989, "FTP data over TLS (ftps-data)", kDirectTls, kOnDefault},
    {990, "FTP over TLS (ftps)", kDirectTls, kOnDefault},
    {992, "Telnet over TLS", kDirectTls, kOnDefault},
    {993, "IMAP over TLS (imaps)", kDirectTls, kOnDefault},
    {994, "IRC over TLS (ircs)", kDirectTls, kOnDefault},
    {995, "POP3 over TLS (pop3s)", kDirectTls, kOnDefault},
    {2376, "Docker daemon", kDirectTls, kOnDefault},
    {2379, "etcd client API", kDirectTls, kOnDefault},
    {2380, "etcd peers", kDirectTls, kOnDefault},
    {2484, "Oracle Database over TLS (TCPS)", kDirectTls, kAllTlsOnly},
    {3269, "Active Directory global catalog over TLS", kDirectTls, kOnDefault},
    {3306, "MySQL, MariaDB", StartTls::mysql, kOnDefault},
    {4222, "NATS", StartTls::nats, kOnDefault},
    {4443, "alternative HTTPS", kDirectTls, kOnWeb},
    {5061, "SIP over TLS", kDirectTls, kOnDefault},
    {5222, "XMPP clients", StartTls::xmpp, kOnDefault},
    {5223, "XMPP clients over TLS (XEP-0368)", kDirectTls, kAllTlsOnly},
    {5349, "STUN and TURN over TLS", kDirectTls, kAllTlsOnly},
    {5432, "PostgreSQL", StartTls::postgres, kOnDefault},
    {5671, "AMQP over TLS (RabbitMQ, amqps)", kDirectTls, kOnDefault},
    {5986, "WinRM over HTTPS", kDirectTls, kOnDefault},
    {6380, "Redis over TLS (rediss)", kDirectTls, kOnDefault},
    {6443, "Kubernetes API", kDirectTls, kOnDefault},
    {6514, "syslog over TLS", kDirectTls, kAllTlsOnly},
    {6697, "IRC over TLS", kDirectTls, kOnDefault},
    {8089, "Splunk management", kDirectTls, kAllTlsOnly},
    {8140, "Puppet server", kDirectTls, kAllTlsOnly},
    {8200, "HashiCorp Vault", kDirectTls, kOnDefault},
    {8443, "alternative HTTPS", kDirectTls, kOnDefault | kOnWeb},
    {8501, "HashiCorp Consul HTTPS API", kDirectTls, kOnDefault},
    {8883, "MQTT over TLS", kDirectTls, kOnDefault},
    {9093, "Kafka over TLS", kDirectTls, kOnDefault},
    {9200, "Elasticsearch, OpenSearch REST API", kDirectTls, kOnDefault},
    {9300, "Elasticsearch, OpenSearch transport", kDirectTls, kOnDefault},
    {9443, "alternative HTTPS", kDirectTls, kOnDefault | kOnWeb},
    {10250, "kubelet", kDirectTls, kOnDefault},
    {10257, "kube-controller-manager", kDirectTls, kAllTlsOnly},
    {10259, "kube-scheduler", kDirectTls, kAllTlsOnly},
    {15671, "RabbitMQ management over HTTPS", kDirectTls, kAllTlsOnly},
    {27017, "MongoDB", kDirectTls, kOnDefault},
    {50051, "gRPC", kDirectTls, kOnDefault},
});

// The named port lists `--ports` takes beside numbers and ranges.
enum class PortList { default_ports, web, all_tls };
inline constexpr std::array<EnumName<PortList>, 3> kPortListNames{{
    {PortList::default_ports, "default"},
    {PortList::web, "web"},
    {PortList::all_tls, "all-tls"},
}};
constexpr const auto& enum_names(PortList) { return kPortListNames; }

// The list's ports, sorted.
std::vector<std::uint16_t> ports_on(PortList list);

// The protocol to speak before the handshake on a known port; nullopt where TLS starts at once or the port is
// not known.
std::optional<StartTls> starttls_protocol_for_port(std::uint16_t port);

}  // namespace certfleet::scanner
