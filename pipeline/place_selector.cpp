#include "pipeline/place_selector.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cctype>
#include <charconv>

#include "core/host_identity.hpp"
#include "core/suggestion.hpp"

namespace certfleet::pipeline {

namespace {

namespace ip = boost::asio::ip;

std::optional<ip::address> address_of(const std::string& text) {
    boost::system::error_code error;
    const auto address = ip::make_address(text, error);
    if (error) return std::nullopt;
    return address;
}

// Whether `address` is in the block `network`/`prefix` of the same family.
bool in_block(const ip::address& address, const ip::address& network, unsigned prefix) {
    if (address.is_v4() != network.is_v4()) return false;
    const auto bytes = [](const ip::address& a) {
        if (a.is_v4()) {
            const auto b = a.to_v4().to_bytes();
            return std::vector<unsigned char>(b.begin(), b.end());
        }
        const auto b = a.to_v6().to_bytes();
        return std::vector<unsigned char>(b.begin(), b.end());
    };
    const auto a = bytes(address), n = bytes(network);
    for (unsigned bit = 0; bit < prefix; ++bit) {
        const unsigned char mask = static_cast<unsigned char>(0x80u >> (bit % 8));
        if ((a[bit / 8] & mask) != (n[bit / 8] & mask)) return false;
    }
    return true;
}

std::optional<unsigned> number(const std::string& text, unsigned max) {
    unsigned value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size() || value > max) return std::nullopt;
    return value;
}

}  // namespace

PlaceSelector PlaceSelector::parse(const std::string& text) {
    PlaceSelector selector;
    selector.text_ = text;
    const auto fail = [&](const std::string& why) { return SelectorError("'" + text + "': " + why); };
    if (text.empty()) throw fail("empty: give a path, a host or address, host:port, or an address block");
    const auto host_end = text.find(":/");
    const bool file_on_host = host_end != std::string::npos && host_end > 0 && !host_name_problem(text.substr(0, host_end));
    if (text.front() == '/' || file_on_host) {
        const std::string path = file_on_host ? text.substr(host_end + 1) : text;
        selector.file_host_ = file_on_host ? normalized_host_name(text.substr(0, host_end)) : this_host().name;
        selector.pattern_ = path.size() > 1 && path.back() == '/' ? path.substr(0, path.size() - 1) : path;
        return selector;
    }
    if (const auto slash = text.find('/'); slash != std::string::npos) {
        const auto network = address_of(text.substr(0, slash));
        if (!network) throw fail("not an address block (a file path starts with /)");
        const auto prefix = number(text.substr(slash + 1), network->is_v4() ? 32 : 128);
        if (!prefix) throw fail("the prefix length is not a number up to " + std::string(network->is_v4() ? "32" : "128"));
        selector.kind_ = Kind::block;
        selector.pattern_ = network->to_string();
        selector.prefix_ = *prefix;
        return selector;
    }
    selector.kind_ = Kind::host;
    std::string host = text, port;
    bool has_port = false;
    if (text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string::npos) throw fail("no ']' after the IPv6 address");
        host = text.substr(1, close - 1);
        if (close + 1 < text.size()) {
            if (text[close + 1] != ':') throw fail("expected ':PORT' after ']'");
            port = text.substr(close + 2);
            has_port = true;
        }
        if (!address_of(host)) throw fail("not an IPv6 address between [ and ]");
    } else if (std::count(text.begin(), text.end(), ':') == 1) {
        host = text.substr(0, text.find(':'));
        port = text.substr(text.find(':') + 1);
        has_port = true;
    }
    if (has_port) {
        const auto value = number(port, 65535);
        if (!value || *value == 0) throw fail("the port is not a number from 1 to 65535");
        selector.port_ = static_cast<std::uint16_t>(*value);
    }
    if (host.empty()) throw fail("no host before the port");
    // An address is compared in its canonical form, as the inventory stores it; a name in lowercase.
    const auto address = address_of(host);
    selector.pattern_ = address ? address->to_string() : lowercase(host);
    return selector;
}

bool PlaceSelector::matches(const inventory::Place& place) const {
    using inventory::Place;
    switch (kind_) {
        case Kind::path:
            return place.kind == Place::Kind::file && lowercase(place.host) == file_host_ &&
                   (place.path == pattern_ || place.path.starts_with(pattern_ + "/") ||
                    ::fnmatch(pattern_.c_str(), place.path.c_str(), 0) == 0);
        case Kind::host:
            if (place.kind == Place::Kind::file) return !port_ && lowercase(place.host) == pattern_;
            return (lowercase(place.host) == pattern_ || place.address == pattern_) && (!port_ || place.port == *port_);
        case Kind::block: {
            if (place.kind != Place::Kind::endpoint) return false;
            const auto address = address_of(place.address);
            return address && in_block(*address, *address_of(pattern_), prefix_);
        }
    }
    return false;
}

}  // namespace certfleet::pipeline
