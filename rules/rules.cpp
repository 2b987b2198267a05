// How marks print.
#include "rules/rules.hpp"

namespace certfleet::rules {

std::string SourceMark::to_string() const {
    if (line == 0) return "built-in";
    return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

}  // namespace certfleet::rules
