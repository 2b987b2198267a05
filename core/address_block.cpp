#include "core/address_block.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace certfleet {

std::optional<AddressBlock> AddressBlock::parse(const std::string& text) {
    const auto slash = text.find('/');
    std::string address = text.substr(0, slash);
    if (address.size() > 2 && address.front() == '[' && address.back() == ']') address = address.substr(1, address.size() - 2);
    AddressBlock block;
    block.family_ = address.find(':') != std::string::npos ? AF_INET6 : AF_INET;
    if (inet_pton(block.family_, address.c_str(), block.bytes_.data()) != 1) return std::nullopt;
    const int max_prefix = block.family_ == AF_INET ? 32 : 128;
    block.prefix_ = max_prefix;
    if (slash != std::string::npos) {
        const std::string digits = text.substr(slash + 1);
        if (digits.empty() || digits.size() > 3 || !std::all_of(digits.begin(), digits.end(), ::isdigit))
            return std::nullopt;
        block.prefix_ = std::stoi(digits);
        if (block.prefix_ > max_prefix) return std::nullopt;
    }
    return block;
}

bool AddressBlock::contains(const std::string& address) const {
    std::array<unsigned char, 16> other{};
    std::string bare = address;
    if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']') bare = bare.substr(1, bare.size() - 2);
    if (inet_pton(family_, bare.c_str(), other.data()) != 1) return false;
    const int full = prefix_ / 8, rest = prefix_ % 8;
    if (!std::equal(bytes_.begin(), bytes_.begin() + full, other.begin())) return false;
    if (rest == 0) return true;
    const auto mask = static_cast<unsigned char>(0xff << (8 - rest));
    return (bytes_[full] & mask) == (other[full] & mask);
}

}  // namespace certfleet
