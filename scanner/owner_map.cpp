#include "scanner/owner_map.hpp"

#include "core/address_block.hpp"
#include "core/suggestion.hpp"
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

// A word of a line and the column it starts at, counted from 1, for messages that point at it.
struct Word {
    std::string text;
    std::size_t column;
};

std::vector<Word> words_of(const std::string& line) {
    std::vector<Word> words;
    const auto blank = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
    for (std::size_t at = 0; at < line.size();) {
        if (blank(line[at])) {
            ++at;
            continue;
        }
        const auto end = std::find_if(line.begin() + static_cast<std::ptrdiff_t>(at), line.end(), blank) - line.begin();
        words.push_back(Word{line.substr(at, static_cast<std::size_t>(end) - at), at + 1});
        at = static_cast<std::size_t>(end);
    }
    return words;
}

// The mistakes a selector makes whatever kind it reads as: the likely fix where one is plain.
std::optional<std::string> selector_problem(const std::string& selector) {
    if (selector.front() == '/') return std::nullopt;
    if (selector.find('=') != std::string::npos)
        return "'" + selector + "' is a label where the selector belongs: start the line with an address or CIDR "
               "block, a host glob or a /path glob, then its key=value labels";
    if (selector.find('/') != std::string::npos && !looks_like_address(selector))
        return "'" + selector + "' is neither a host glob (a host name has no '/') nor a path glob (which starts "
               "with '/'): write /" + selector + " for files";
    return std::nullopt;
}

// Why an address selector does not read as one, with the form that would.
std::string address_problem(const std::string& selector) {
    const std::string quoted = "'" + selector + "'";
    if (const auto slash = selector.find('/'); slash != std::string::npos && AddressBlock::parse(selector.substr(0, slash)))
        return quoted + ": the prefix length is at most 32 for IPv4 and 128 for IPv6";
    if (const auto dash = selector.find('-'); dash != std::string::npos && AddressBlock::parse(selector.substr(0, dash)))
        return quoted + " is a range: give the CIDR blocks that cover it, one line each, such as 10.0.0.0/24";
    const auto colon = selector.rfind(':');
    const bool port_after = colon != std::string::npos && colon + 1 < selector.size() &&
                            std::all_of(selector.begin() + static_cast<std::ptrdiff_t>(colon) + 1, selector.end(),
                                        [](unsigned char c) { return std::isdigit(c); });
    if (port_after && selector.find(':') == colon)
        return quoted + ": a selector has no port: write " + selector.substr(0, colon);
    return quoted + " is not an address or CIDR block, such as 10.20.0.0/16 or 2001:db8::/32";
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
        const auto words = words_of(line);
        if (words.empty()) continue;
        const auto mistake = [&](std::size_t column, const std::string& message) {
            return LabelError(source_name + ":" + std::to_string(number) + ":" + std::to_string(column) + ": " + message);
        };
        const Word& selector = words.front();
        Rule rule;
        rule.pattern = selector.text;
        if (const auto problem = selector_problem(selector.text)) throw mistake(selector.column, *problem);
        if (rule.pattern.front() == '/') {
            rule.kind = Rule::Kind::path;
        } else if (looks_like_address(rule.pattern)) {
            rule.block = AddressBlock::parse(rule.pattern);
            if (!rule.block) throw mistake(selector.column, address_problem(rule.pattern));
            rule.kind = Rule::Kind::address;
        } else {
            rule.kind = Rule::Kind::host;
            rule.pattern = lowercase(rule.pattern);
        }
        for (std::size_t i = 1; i < words.size(); ++i) {
            Label label;
            try {
                label = parse_label(words[i].text);
            } catch (const LabelError& e) {
                throw mistake(words[i].column, e.what());
            }
            for (std::size_t j = 1; j < i; ++j)
                if (rule.labels[j - 1].key == label.key)
                    throw mistake(words[i].column, "label key '" + label.key + "' is set twice on this line (first at column " +
                                                    std::to_string(words[j].column) + "): keep one");
            rule.labels.push_back(std::move(label));
        }
        if (rule.labels.empty())
            throw mistake(selector.column + selector.text.size(),
                       "'" + selector.text + "' has no labels: add key=value labels after it, such as owner=payments");
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
