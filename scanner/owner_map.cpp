#include "scanner/owner_map.hpp"

#include "core/address_block.hpp"
#include "scanner/file_walker.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <sstream>

namespace certfleet::scanner {

namespace {

constexpr std::size_t kMaxOwnerMapBytes = 16u << 20;

bool looks_like_address(const std::string& text) {
    return !text.empty() && (std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '[' ||
                             text.find(':') != std::string::npos);
}

std::string lowercase(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

}  // namespace

struct OwnerMap::Rule {
    enum class Kind { address, host, path } kind = Kind::path;
    std::string pattern;
    std::optional<AddressBlock> block;
    Labels labels;
};

OwnerMap::OwnerMap() = default;
OwnerMap::~OwnerMap() = default;
OwnerMap::OwnerMap(OwnerMap&&) noexcept = default;
OwnerMap& OwnerMap::operator=(OwnerMap&&) noexcept = default;

OwnerMap OwnerMap::read(const std::string& path) {
    // Only a regular file of at most 16 MiB is read: a FIFO or a device named by mistake cannot hang the scan.
    try {
        return parse(read_operator_file(path, kMaxOwnerMapBytes), path);
    } catch (const InputFileError& e) {
        throw LabelError(path + ": cannot read the owner map: " + e.what());
    }
}

OwnerMap OwnerMap::parse(const std::string& text, const std::string& source_name) {
    OwnerMap map;
    std::istringstream lines(text);
    std::string line;
    for (int number = 1; std::getline(lines, line); ++number) {
        if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
        std::istringstream words(line);
        Rule rule;
        if (!(words >> rule.pattern)) continue;
        const auto where = source_name + ":" + std::to_string(number) + ": ";
        for (std::string word; words >> word;) {
            try {
                rule.labels.push_back(parse_label(word));
            } catch (const LabelError& e) {
                throw LabelError(where + e.what());
            }
        }
        if (rule.labels.empty()) throw LabelError(where + "'" + rule.pattern + "' has no key=value labels");
        if (rule.pattern.front() == '/') {
            rule.kind = Rule::Kind::path;
        } else if (looks_like_address(rule.pattern)) {
            rule.block = AddressBlock::parse(rule.pattern);
            if (!rule.block) throw LabelError(where + "'" + rule.pattern + "' is not an address or CIDR block");
            rule.kind = Rule::Kind::address;
        } else {
            rule.kind = Rule::Kind::host;
            rule.pattern = lowercase(rule.pattern);
        }
        map.rules_.push_back(std::move(rule));
    }
    return map;
}

Labels OwnerMap::collect(const std::vector<const Rule*>& matches) const {
    Labels labels;
    for (const Rule* rule : matches)
        for (const auto& label : rule->labels)
            if (std::none_of(labels.begin(), labels.end(), [&](const Label& l) { return l.key == label.key; }))
                labels.push_back(label);
    std::sort(labels.begin(), labels.end());
    return labels;
}

Labels OwnerMap::for_path(const std::string& path) const {
    std::vector<const Rule*> matches;
    for (const auto& rule : rules_)
        if (rule.kind == Rule::Kind::path && ::fnmatch(rule.pattern.c_str(), path.c_str(), 0) == 0)
            matches.push_back(&rule);
    return collect(matches);
}

Labels OwnerMap::for_endpoint(const std::string& host, const std::string& address, const std::string& server_name) const {
    const std::string names[] = {lowercase(host), lowercase(server_name)};
    std::vector<const Rule*> matches;
    for (const auto& rule : rules_) {
        const bool hit =
            rule.kind == Rule::Kind::address ? rule.block->contains(address)
            : rule.kind == Rule::Kind::host
                ? std::any_of(std::begin(names), std::end(names),
                              [&](const std::string& n) { return !n.empty() && ::fnmatch(rule.pattern.c_str(), n.c_str(), 0) == 0; })
                : false;
        if (hit) matches.push_back(&rule);
    }
    return collect(matches);
}

}  // namespace certfleet::scanner
