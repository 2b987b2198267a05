// How marks print, and how comparisons hold.
#include "rules/rules.hpp"

namespace certfleet::rules {

bool Comparison::holds_for(double fact) const {
    const auto number = static_cast<double>(value);
    switch (op) {
        case Op::less: return fact < number;
        case Op::less_or_equal: return fact <= number;
        case Op::equal: return fact == number;
        case Op::greater_or_equal: return fact >= number;
        case Op::greater: return fact > number;
    }
    return false;
}

std::string SourceMark::to_string() const {
    if (line == 0) return "built-in";
    return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

}  // namespace certfleet::rules
