#pragma once
// Views of what a decoder observed, shared by the test files that check it.
#include <vector>

#include "core/observation.hpp"

namespace certfleet::testing {

// Whether each certificate found, in order, is held as a trust anchor.
inline std::vector<bool> trust_anchor_flags(const FileObservations& result) {
    std::vector<bool> out;
    for (const auto& sighting : result.certificates) out.push_back(sighting.trust_anchor);
    return out;
}

}  // namespace certfleet::testing
