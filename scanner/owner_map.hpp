#pragma once
// Labels by location: `scan --label env=prod` tags a whole scan; an owner map tags each location by where it is.
//
// Owner map file, one rule per line, '#' starts a comment:
//   10.20.0.0/16            owner=payments env=prod     an address, CIDR block (IPv4 or IPv6) of an endpoint
//   *.payments.example.com  owner=payments              a host name glob, matched against the endpoint's host
//                                                       name and the server name probed (case-insensitive)
//   /etc/payments/*         owner=payments              a path glob (starts with '/'; '*' also crosses '/')
// Every matching line applies; when several set one key, the first of them wins, so put specific lines first.
// The format, with what each selector matches, is described in docs/owner-map.md.
#include <stdexcept>
#include <string>
#include <vector>

#include "core/label.hpp"

namespace certfleet::scanner {

class OwnerMap {
public:
    OwnerMap();
    ~OwnerMap();
    OwnerMap(OwnerMap&&) noexcept;
    OwnerMap& operator=(OwnerMap&&) noexcept;

    // Throws LabelError as "FILE:LINE:COLUMN: problem, the fix" for the first mistake, as a rules file does, or
    // naming the file it cannot read.
    static OwnerMap read(const std::string& path);
    static OwnerMap parse(const std::string& text, const std::string& source_name);

    bool empty() const { return rules_.empty(); }
    Labels for_path(const std::string& path) const;
    Labels for_endpoint(const std::string& host, const std::string& address, const std::string& server_name) const;

private:
    struct Rule;
    Labels collect(const std::vector<const Rule*>& matches) const;
    std::vector<Rule> rules_;
};

}  // namespace certfleet::scanner
