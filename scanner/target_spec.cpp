#include "scanner/target_spec.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "core/suggestion.hpp"

namespace certfleet::scanner::target_spec {

namespace {

bool all_digits(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

constexpr std::string_view kSchemeSeparator = "://";

// Where a URL's host starts: past "user:password@" when there is one. Taken to the last '@', so a password with a
// '/' in it is never read as the host or a port, nor shown; parse_url refuses such a URL.
std::size_t host_start(std::string_view url, std::size_t scheme_end) {
    const std::size_t authority = scheme_end + kSchemeSeparator.size();
    const std::size_t at = url.rfind('@');
    return at == std::string_view::npos || at < authority ? authority : at + 1;
}

}  // namespace

std::string quoted(std::string_view text) {
    constexpr std::size_t kMaxShown = 200;
    std::string shown(text);
    if (const std::size_t scheme_end = shown.find(kSchemeSeparator); scheme_end != std::string::npos) {
        const std::size_t authority = scheme_end + kSchemeSeparator.size();
        const std::size_t host = host_start(shown, scheme_end);
        if (host > authority) shown.replace(authority, host - authority - 1, "***");
    }
    text = shown;
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
    return HostName{lowercase(std::string(text)), lowercase(std::string(name))};
}

// Schemes whose servers speak TLS from the first byte, on these ports. Each one's plaintext twin is its name
// without the final 's' (http, ldap, redis), which is how a plaintext URL is told from an unknown one.
struct TlsScheme {
    std::string_view name;
    std::uint16_t port;
};
constexpr TlsScheme kTlsSchemes[] = {
    {"https", 443}, {"wss", 443},   {"davs", 443},   {"grpcs", 443},    {"smtps", 465},  {"ldaps", 636}, {"ftps", 990},
    {"imaps", 993}, {"pop3s", 995}, {"amqps", 5671}, {"rediss", 6380}, {"ircs", 6697}, {"mqtts", 8883},
};

std::optional<std::uint16_t> tls_port_of_scheme(std::string_view scheme) {
    for (const auto& known : kTlsSchemes)
        if (known.name == scheme) return known.port;
    return std::nullopt;
}

// A CIDR block's length read as a URL path: "/24" of https://10.0.0.0/24, with nothing after it but a port.
bool is_prefix_length_path(std::string_view path) {
    if (!path.starts_with('/')) return false;
    const std::size_t end = std::min(path.find_first_of("/?#:", 1), path.size());
    return all_digits(path.substr(1, end - 1)) && (end == path.size() || path[end] == ':');
}

// The one host of a URL. A block or range is refused, showing it as a spec without the scheme, on `port`.
Hosts parse_url_host(std::string_view host, bool bracketed, std::string_view path, const std::string& scheme,
                     const std::string& port) {
    const auto refuse = [&](const char* kind, const std::string& spec) {
        return Problem{std::string("a URL names one host, not ") + kind + ": give it without " + scheme +
                       "://, as in " + spec};
    };
    if (bracketed) {
        const std::string spec = "[" + std::string(host) + "]:" + port;
        if (host.find('/') != std::string_view::npos) throw refuse("a CIDR block", spec);
        if (host.find('-') != std::string_view::npos) throw refuse("a range", spec);
        const uint128 address = parse_ipv6(host);
        return Interval<uint128>{address, address};
    }
    // As in parse_spec, digits and dots are an address, never a name to resolve.
    if (host.find_first_not_of("0123456789.-") != std::string_view::npos) return parse_host_name(host);
    if (host.find('-') != std::string_view::npos) throw refuse("a range", std::string(host) + ":" + port);
    if (is_prefix_length_path(path)) {
        const std::string block = std::string(host) + std::string(path.substr(0, path.find_first_of("/?#", 1)));
        throw refuse("a CIDR block", block.find(':') == std::string::npos ? block + ":" + port : block);
    }
    const std::uint32_t address = parse_ipv4(host);
    return Interval<std::uint32_t>{address, address};
}

// scheme://[user:password@]host[:port][/path][?query][#fragment]: one host, on the URL's port or else its scheme's
// TLS port. The path, query and fragment do not change the certificate, and the password is not needed to get it.
ParsedSpec parse_url(std::string_view url, std::size_t scheme_end) {
    const std::string scheme = lowercase(std::string(url.substr(0, scheme_end)));
    if (scheme.empty() || scheme.front() < 'a' || scheme.front() > 'z' ||
        scheme.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789+-.") != std::string::npos)
        throw Problem{quoted(url.substr(0, scheme_end)) + " is not a URL scheme; a URL starts like https://"};
    const std::size_t authority = scheme_end + kSchemeSeparator.size();
    const std::size_t host_begin = host_start(url, scheme_end);
    if (url.substr(authority, host_begin - authority).find_first_of("/?#") != std::string_view::npos)
        throw Problem{"an '@' after a '/', '?' or '#' leaves unclear where the host is: leave out the path, and write "
                      "'/', '?' and '#' in a password as %2F, %3F and %23"};
    const std::string_view rest = url.substr(host_begin);

    std::string_view host;
    std::string_view after_host;
    const bool bracketed = rest.starts_with('[');
    if (bracketed) {
        const std::size_t close = rest.find(']');
        if (close == std::string_view::npos) throw Problem{"'[' has no matching ']'"};
        host = rest.substr(1, close - 1);
        after_host = rest.substr(close + 1);
        if (!after_host.empty() && after_host.find_first_of(":/?#") != 0)
            throw Problem{quoted(after_host) + " after ']' is not ':port' or a path"};
    } else {
        const std::size_t end = std::min(rest.find_first_of(":/?#"), rest.size());
        host = rest.substr(0, end);
        after_host = rest.substr(end);
    }
    if (host.empty())
        throw Problem{"the URL has no host; an IPv6 address goes in brackets: " + scheme + "://[2001:db8::7]/"};
    std::optional<std::string_view> port_text;
    std::string_view path = after_host;
    if (after_host.starts_with(':')) {
        const std::size_t port_end = std::min(after_host.find_first_of("/?#"), after_host.size());
        port_text = after_host.substr(1, port_end - 1);
        path = after_host.substr(port_end);
    }
    const std::optional<std::uint16_t> scheme_port = tls_port_of_scheme(scheme);
    const std::string port_shown =
        port_text ? std::string(*port_text) : scheme_port ? std::to_string(*scheme_port) : "PORT";
    ParsedSpec parsed{parse_url_host(host, bracketed, path, scheme, port_shown), scheme_port};
    if (port_text) parsed.port = parse_port(*port_text);
    if (parsed.port) return parsed;
    const std::string shown_host = bracketed ? "[" + std::string(host) + "]" : std::string(host);
    if (tls_port_of_scheme(scheme + "s"))
        throw Problem{scheme + " is not TLS; give " + scheme + "s://" + shown_host + " or " + shown_host + ":PORT"};
    throw Problem{"certfleet does not know which port " + scheme + ":// URLs use for TLS; give it: " + scheme +
                  "://" + shown_host + ":PORT"};
}

}  // namespace

ParsedSpec parse_spec(std::string_view spec) {
    if (spec.empty()) throw Problem{"the target is empty"};
    if (const std::size_t scheme_end = spec.find(kSchemeSeparator); scheme_end != std::string_view::npos)
        return parse_url(spec, scheme_end);
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

std::string spec_of_line(std::string_view line, std::string_view a_line_holds) {
    constexpr std::string_view kSpace = " \t\r\f\v";
    const std::size_t space = line.find_first_of(kSpace);
    if (space == std::string_view::npos) return std::string(line);
    const std::string_view host = line.substr(0, space);
    const std::string_view port = line.substr(line.find_first_not_of(kSpace, space));
    if (!all_digits(port)) throw Problem{"a line holds " + std::string(a_line_holds)};
    const bool bare_ipv6 = std::count(host.begin(), host.end(), ':') >= 2 && !host.starts_with('[') &&
                           host.find(kSchemeSeparator) == std::string_view::npos;
    return bare_ipv6 ? "[" + std::string(host) + "]:" + std::string(port) : std::string(host) + ":" + std::string(port);
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
        if (spec.find(kSchemeSeparator) != std::string::npos)
            throw Problem{"an exclude is an address, CIDR block or range, not a URL"};
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

namespace certfleet::scanner {

std::string without_userinfo(const std::string& spec) {
    const std::size_t scheme_end = spec.find(target_spec::kSchemeSeparator);
    if (scheme_end == std::string::npos) return spec;
    const std::size_t authority = scheme_end + target_spec::kSchemeSeparator.size();
    return spec.substr(0, authority) + spec.substr(target_spec::host_start(spec, scheme_end));
}

}  // namespace certfleet::scanner
