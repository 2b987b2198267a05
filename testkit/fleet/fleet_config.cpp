#include "testkit/fleet/fleet_config.hpp"

#include <openssl/ssl.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string_view>

namespace certfleet::fleet {

namespace {

using nlohmann::json;

const std::map<std::string, Kind, std::less<>> kKinds{
    {"tls", Kind::tls},         {"starttls", Kind::starttls}, {"tarpit", Kind::tarpit}, {"plaintext", Kind::plaintext},
    {"garbage", Kind::garbage}, {"close", Kind::close},       {"reset", Kind::reset},
};

const std::map<std::string, StartTlsProtocol, std::less<>> kProtocols{
    {"smtp", StartTlsProtocol::smtp}, {"imap", StartTlsProtocol::imap},
    {"pop3", StartTlsProtocol::pop3}, {"ftp", StartTlsProtocol::ftp},
    {"ldap", StartTlsProtocol::ldap}, {"postgres", StartTlsProtocol::postgres},
    {"xmpp", StartTlsProtocol::xmpp}, {"mysql", StartTlsProtocol::mysql},
    {"nats", StartTlsProtocol::nats},
};

const std::map<std::string, int, std::less<>> kVersions{{"TLSv1.2", TLS1_2_VERSION}, {"TLSv1.3", TLS1_3_VERSION}};
const std::map<std::string, ClientAuthMode, std::less<>> kClientAuthModes{{"request", ClientAuthMode::request},
                                                                         {"require", ClientAuthMode::require}};

// A field that does not apply to the kind is rejected rather than ignored: a test that sets it expects an effect.
std::vector<std::string_view> fields_of(Kind kind) {
    std::vector<std::string_view> fields{"kind", "address", "port"};
    const std::vector<std::string_view> tls{"cert_chain", "key", "sni", "ocsp_staple", "min_version", "max_version", "groups",
                                              "client_auth", "client_cas", "x25519mlkem768"};
    if (kind == Kind::tls || kind == Kind::starttls) fields.insert(fields.end(), tls.begin(), tls.end());
    if (kind == Kind::starttls)
        fields.insert(fields.end(),
                      {"protocol", "starttls_refuse", "starttls_verbose", "reject_client", "greeting_delay_ms"});
    if (kind == Kind::garbage) fields.push_back("bytes");
    return fields;
}

template <typename Value>
Value lookup(const std::map<std::string, Value, std::less<>>& table, const json& name, std::string_view field) {
    const auto found = table.find(name.get<std::string>());
    if (found == table.end()) throw std::runtime_error("unknown " + std::string(field) + " " + name.dump());
    return found->second;
}

std::uint64_t unsigned_field(const json& value, std::string_view field, std::uint64_t min, std::uint64_t max) {
    if (!value.is_number_unsigned() || value.get<std::uint64_t>() < min || value.get<std::uint64_t>() > max)
        throw std::runtime_error(std::string(field) + " must be an integer from " + std::to_string(min) + " to " +
                                 std::to_string(max) + ", not " + value.dump());
    return value.get<std::uint64_t>();
}

ChainFiles chain_files(const json& spec) {
    return {spec.at("cert_chain").get<std::string>(), spec.at("key").get<std::string>()};
}

TlsSettings tls_settings(const json& spec) {
    TlsSettings tls;
    tls.default_chain = chain_files(spec);
    const json sni = spec.value("sni", json::object());
    for (const auto& [name, chain] : sni.items()) tls.sni[ascii_lower(name)] = chain_files(chain);
    tls.ocsp_staple = spec.value("ocsp_staple", false);
    if (spec.contains("min_version")) tls.min_version = lookup(kVersions, spec["min_version"], "min_version");
    if (spec.contains("max_version")) tls.max_version = lookup(kVersions, spec["max_version"], "max_version");
    tls.groups = spec.value("groups", "");
    if (spec.contains("client_auth")) tls.client_auth = lookup(kClientAuthModes, spec["client_auth"], "client_auth");
    tls.client_cas = spec.value("client_cas", "");
    return tls;
}

Endpoint endpoint(const json& spec) {
    Endpoint e;
    e.kind = lookup(kKinds, spec.at("kind"), "kind");
    const auto fields = fields_of(e.kind);
    for (const auto& [field, value] : spec.items())
        if (std::ranges::find(fields, field) == fields.end())
            throw std::runtime_error("field \"" + field + "\" is unknown or does not apply to kind " +
                                     spec["kind"].dump());

    boost::system::error_code ec;
    e.address = boost::asio::ip::make_address_v4(spec.at("address").get<std::string>(), ec);
    // The fleet exists to be scanned by tests on this machine; it must never listen where others can reach it.
    if (ec || e.address.to_bytes()[0] != 127)
        throw std::runtime_error("address must be an IPv4 address in 127.0.0.0/8, not " + spec["address"].dump());
    e.port = static_cast<std::uint16_t>(unsigned_field(spec.at("port"), "port", 1, 65535));

    if (e.kind == Kind::tls || e.kind == Kind::starttls) {
        e.tls = tls_settings(spec);
        e.x25519mlkem768 = spec.value("x25519mlkem768", false);
    }
    if (e.kind == Kind::starttls) {
        e.protocol = lookup(kProtocols, spec.at("protocol"), "protocol");
        e.starttls_refuse = spec.value("starttls_refuse", false);
        e.starttls_verbose = spec.value("starttls_verbose", false);
        e.reject_client = spec.value("reject_client", false);
        // Neither greets: an LDAP server's only answer is to the StartTLS request, and a NATS server sends its INFO
        // before it would turn a client away.
        if (e.reject_client && (e.protocol == StartTlsProtocol::ldap || e.protocol == StartTlsProtocol::nats))
            throw std::runtime_error("reject_client is not served for protocol " + spec["protocol"].dump() +
                                     "; use starttls_refuse");
        if (spec.contains("greeting_delay_ms"))
            e.greeting_delay =
                std::chrono::milliseconds(unsigned_field(spec["greeting_delay_ms"], "greeting_delay_ms", 0, 60000));
    }
    if (e.kind == Kind::garbage && spec.contains("bytes"))
        e.garbage_bytes = unsigned_field(spec["bytes"], "bytes", 0, std::uint64_t{1} << 40);
    return e;
}

// "127.64.0.1:4443" as far as the entry says, so an error points at the entry the test wrote.
std::string describe(const json& spec) {
    const auto shown = [&](const char* field) {
        if (!spec.is_object() || !spec.contains(field)) return std::string("?");
        return spec[field].is_string() ? spec[field].get<std::string>() : spec[field].dump();
    };
    return shown("address") + ":" + shown("port");
}

Config config_from(const json& doc) {
    Config config;
    if (doc.contains("max_seconds"))
        config.max_seconds = static_cast<int>(unsigned_field(doc["max_seconds"], "max_seconds", 1, 86400));
    const json& endpoints = doc.at("endpoints");
    if (!endpoints.is_array()) throw std::runtime_error("\"endpoints\" must be an array");
    for (std::size_t i = 0; i < endpoints.size(); ++i) {
        try {
            config.endpoints.push_back(endpoint(endpoints[i]));
        } catch (const std::exception& e) {
            throw std::runtime_error("endpoint #" + std::to_string(i) + " (" + describe(endpoints[i]) + "): " +
                                     e.what());
        }
    }
    return config;
}

}  // namespace

std::string ascii_lower(std::string text) {
    std::ranges::transform(text, text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

std::string Endpoint::label() const { return address.to_string() + ":" + std::to_string(port); }

Config load_config(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open config " + path.string());
    try {
        return config_from(json::parse(in));
    } catch (const std::exception& e) {
        throw std::runtime_error("config " + path.string() + ": " + e.what());
    }
}

}  // namespace certfleet::fleet
