#pragma once
// What `certfleet forget` is told to forget, as the user names places: a file path or glob, a host or address
// (with a port or without), or an address block.
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "inventory/analysis.hpp"

namespace certfleet::pipeline {

class SelectorError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// One selector:
//   /srv/legacy  /srv/legacy/old.crt     a file on this machine, or every file under a directory
//   '/srv/*/old.crt'                     a glob over file paths ('*' also crosses '/')
//   web2:/srv/legacy  'web2:/srv/*.crt'  the same on another machine (as places show its files)
//   web1.internal  192.0.2.7  [2001:db8::7]   every endpoint of that host name or address, and a name's files
//   web1.internal:8443  192.0.2.7:443  [2001:db8::7]:443   one port of it
//   192.0.2.0/24  2001:db8::/64          every endpoint whose address is in the block
class PlaceSelector {
public:
    // Throws SelectorError naming the text and what is wrong with it.
    static PlaceSelector parse(const std::string& text);

    bool matches(const inventory::Place& place) const;
    const std::string& text() const { return text_; }

private:
    enum class Kind { path, host, block };
    Kind kind_ = Kind::path;
    std::string text_;
    std::string pattern_;  // path or glob, host name or address (lowercase), block network address
    std::string file_host_;  // for a path: the machine (lowercase)
    std::optional<std::uint16_t> port_;
    unsigned prefix_ = 0;  // for a block
};

}  // namespace certfleet::pipeline
