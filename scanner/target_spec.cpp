#include "scanner/target_spec.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace certfleet::scanner::target_spec {

namespace {

bool all_digits(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string quoted(std::string_view text) {
    constexpr std::size_t kMaxShown = 200;
    std::string out = "'";
    for (const unsigned char c : text.substr(0, kMaxShown)) {
        if (c >= 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
        } else {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
            out += escaped;
        }
    }
    if (text.size() > kMaxShown) out += "...";
    return out + "'";
}

std::optional<std::uint64_t> parse_decimal(std::string_view text) {
    if (!all_digits(text)) return std::nullopt;
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{}) return std::nullopt;
    return value;
}

std::uint16_t parse_port(std::string_view text) {
    if (text.empty()) throw Problem{"the port is missing"};
    if (!all_digits(text)) throw Problem{quoted(text) + " is not a port number"};
    const auto value = parse_decimal(text);
    if (value == 0u) throw Problem{"port 0 is not a valid port"};
    if (!value || *value > 65535) throw Problem{"port " + std::string(text) + " is over 65535"};
    return static_cast<std::uint16_t>(*value);
}

std::string format_ipv4(std::uint32_t address) {
    return std::to_string(address >> 24) + '.' + std::to_string(address >> 16 & 0xff) + '.' +
           std::to_string(address >> 8 & 0xff) + '.' + std::to_string(address & 0xff);
}

std::string format_ipv6(uint128 address) {
    unsigned char bytes[16];
    for (int i = 15; i >= 0; --i, address >>= 8) bytes[i] = static_cast<unsigned char>(address);
    char text[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, bytes, text, sizeof text);
    return text;
}

namespace {

std::uint32_t parse_ipv4(std::string_view text) {
    if (text.empty()) throw Problem{"an address is missing"};
    const auto not_ipv4 = [&](const std::string& why) {
        return Problem{quoted(text) + " is not an IPv4 address: " + why};
    };
    std::uint32_t address = 0;
    int numbers = 0;
    for (std::size_t start = 0;;) {
        const std::size_t dot = text.find('.', start);
        const std::string_view number = text.substr(start, dot == std::string_view::npos ? dot : dot - start);
        if (++numbers > 4) throw not_ipv4("it has more than 4 numbers");
        if (number.empty()) throw not_ipv4("a number is missing");
        if (!all_digits(number)) throw not_ipv4(quoted(number) + " is not a number");
        const auto value = parse_decimal(number);
        if (!value || *value > 255) throw not_ipv4(std::string(number) + " is over 255");
        // inet_aton reads 010 as octal 8, most people read it as 10: refuse to guess.
        if (number.size() > 1 && number.front() == '0') throw not_ipv4(std::string(number) + " has a leading zero");
        address = address << 8 | static_cast<std::uint32_t>(*value);
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    if (numbers < 4) throw not_ipv4("it needs 4 numbers");
    return address;
}

uint128 parse_ipv6(std::string_view text) {
    if (text.empty()) throw Problem{"an address is missing"};
    if (text.find('%') != std::string_view::npos)
        throw Problem{quoted(text) + " is not an IPv6 address: zone indexes (%eth0) are not supported"};
    // Checked first because inet_pton stops at a NUL and would accept what comes before it.
    unsigned char bytes[16];
    if (text.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos ||
        inet_pton(AF_INET6, std::string(text).c_str(), bytes) != 1)
        throw Problem{quoted(text) + " is not an IPv6 address"};
    uint128 address = 0;
    for (const unsigned char byte : bytes) address = address << 8 | byte;
    return address;
}
struct Ipv4 {
    using Address = std::uint32_t;
    static constexpr unsigned bits = 32;
    static Address parse(std::string_view text) { return parse_ipv4(text); }
};

struct Ipv6 {
    using Address = uint128;
    static constexpr unsigned bits = 128;
    static Address parse(std::string_view text) { return parse_ipv6(text); }
};

// A single address, a CIDR block or a range.
template <typename Family>
Interval<typename Family::Address> parse_address_set(std::string_view text) {
    using Address = typename Family::Address;
    if (const std::size_t slash = text.find('/'); slash != std::string_view::npos) {
        const Address address = Family::parse(text.substr(0, slash));
        const std::string_view length_text = text.substr(slash + 1);
        if (length_text.empty()) throw Problem{"the prefix length after '/' is missing"};
        if (!all_digits(length_text)) throw Problem{quoted(length_text) + " is not a prefix length"};
        const auto length = parse_decimal(length_text);
        if (!length || *length > Family::bits)
            throw Problem{"prefix length " + std::string(length_text) + " is over " + std::to_string(Family::bits)};
        const Address host_bits =
            *length == 0 ? ~Address{0} : (Address{1} << (Family::bits - static_cast<unsigned>(*length))) - 1;
        return {static_cast<Address>(address & ~host_bits), static_cast<Address>(address | host_bits)};
    }
    if (const std::size_t dash = text.find('-'); dash != std::string_view::npos) {
        const Address first = Family::parse(text.substr(0, dash));
        const Address last = Family::parse(text.substr(dash + 1));
        if (last < first) throw Problem{"the range ends before it starts, so it is empty"};
        return {first, last};
    }
    const Address address = Family::parse(text);
    return {address, address};
}

HostName parse_host_name(std::string_view text) {
    std::string_view name = text;
    if (name.ends_with('.')) name.remove_suffix(1);
    if (name.empty()) throw Problem{"the host name is empty"};
    if (name.size() > 253)
        throw Problem{"the host name is " + std::to_string(name.size()) + " characters long, over 253"};
    for (std::size_t start = 0;;) {
        const std::size_t dot = name.find('.', start);
        const std::string_view label = name.substr(start, dot == std::string_view::npos ? dot : dot - start);
        if (label.empty()) throw Problem{"the host name has an empty label (two dots in a row or a leading dot)"};
        if (label.size() > 63)
            throw Problem{"host name label " + quoted(label) + " is " + std::to_string(label.size()) +
                          " characters long, over 63"};
        for (const char c : label) {
            const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
            if (allowed) continue;
            std::string why =
                quoted(std::string_view(&c, 1)) + " is not allowed in a host name (letters, digits, '-' and '.' only)";
            if (static_cast<unsigned char>(c) >= 0x80) why += "; write internationalised names in their xn-- form";
            throw Problem{why};
        }
        if (label.front() == '-') throw Problem{"host name label " + quoted(label) + " starts with a hyphen"};
        if (label.back() == '-') throw Problem{"host name label " + quoted(label) + " ends with a hyphen"};
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    HostName host{std::string(text), std::string(name)};
    for (std::string* s : {&host.name, &host.server_name})
        std::transform(s->begin(), s->end(), s->begin(),
                       [](char c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; });
    return host;
}

}  // namespace

ParsedSpec parse_spec(std::string_view spec) {
    if (spec.empty()) throw Problem{"the target is empty"};
    // Brackets hold any IPv6 form, blocks and ranges included, so each can carry a port.
    if (spec.front() == '[') {
        const std::size_t close = spec.find(']');
        if (close == std::string_view::npos) throw Problem{"'[' has no matching ']'"};
        ParsedSpec parsed{parse_address_set<Ipv6>(spec.substr(1, close - 1)), std::nullopt};
        const std::string_view rest = spec.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') throw Problem{quoted(rest) + " after ']' is not ':port'"};
            parsed.port = parse_port(rest.substr(1));
        }
        return parsed;
    }
    // Two colons or more can only be IPv6, which needs brackets to carry a port.
    const auto colons = std::count(spec.begin(), spec.end(), ':');
    if (colons >= 2) return {parse_address_set<Ipv6>(spec), std::nullopt};
    const std::size_t colon = spec.find(':');
    const std::string_view host = spec.substr(0, colon);
    if (host.empty()) throw Problem{"there is no host before the ':'"};
    // Digits and dots are never taken for a name, so 300.1.1.1 is a bad address rather than a host to resolve.
    const bool address_set =
        host.find_first_not_of("0123456789.-") == std::string_view::npos || host.find('/') != std::string_view::npos;
    ParsedSpec parsed{address_set ? Hosts{parse_address_set<Ipv4>(host)} : Hosts{parse_host_name(host)}, std::nullopt};
    if (colon != std::string_view::npos) parsed.port = parse_port(spec.substr(colon + 1));
    return parsed;
}

ParsedSpec parse_target(const std::string& spec, const std::vector<std::uint16_t>& ports) {
    return about("target", spec, [&] {
        ParsedSpec parsed = parse_spec(spec);
        if (!parsed.port && ports.empty()) throw Problem{"it has no port and the port list is empty"};
        refuse_only_blocked(parsed.hosts);
        return parsed;
    });
}

Hosts parse_exclude(const std::string& spec) {
    return about("exclude", spec, [&] {
        ParsedSpec parsed = parse_spec(spec);
        if (parsed.port) throw Problem{"an exclude cannot have a port; it excludes the addresses on every port"};
        if (std::holds_alternative<HostName>(parsed.hosts))
            throw Problem{"host names cannot be excluded, only addresses, CIDR blocks and ranges"};
        return parsed.hosts;
    });
}

void check_port_list(const std::vector<std::uint16_t>& ports) {
    if (std::find(ports.begin(), ports.end(), 0) != ports.end()) throw TargetError("ports: port 0 is not a valid port");
}

}  // namespace certfleet::scanner::target_spec
