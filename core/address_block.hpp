#pragma once
// An IPv4 or IPv6 address block ("10.20.0.0/16", "2001:db8::/32", or one address), for matching the address of an
// endpoint against owner maps and rule scopes.
#include <array>
#include <optional>
#include <string>

namespace certfleet {

class AddressBlock {
public:
    // nullopt when `text` is not an address, optionally in brackets, with an optional prefix length in range.
    static std::optional<AddressBlock> parse(const std::string& text);
    // False for anything that is not an address of the same family.
    bool contains(const std::string& address) const;

private:
    int family_ = 0;
    std::array<unsigned char, 16> bytes_{};
    int prefix_ = 0;
};

}  // namespace certfleet
