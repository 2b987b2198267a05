#pragma once
// Reading the one YAML document of a rules file without YAML::LoadAll, which in yaml-cpp 0.7 never returns on
// some malformed streams, a stray ',' for one (jbeder/yaml-cpp#1040): it reads the same empty document again
// and again, holding more memory each time.
#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>

namespace certfleet::rules {

struct FirstDocument {
    std::optional<YAML::Node> root;            // nothing for a stream without documents (empty, or only comments)
    std::optional<YAML::Mark> next_root_mark;  // where the second document's root is, when there is one
};

// Reads at most two documents. Throws YAML::ParserException for a syntax error, including a token that no
// value can start with and the parser does not move past.
FirstDocument read_first_document(const std::string& text);

}  // namespace certfleet::rules
