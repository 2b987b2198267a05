#pragma once
// What a batch of file observations found at each file place, as the version the inventory stores once per
// distinct content (schema.sql, version 21), named by a digest of its canonical form. Internal to inventory/.
#include <string>
#include <vector>

#include "core/observation.hpp"

namespace certfleet::inventory {

struct PlaceContent {
    std::string path;
    SourceFormat format = SourceFormat::pem;
    // One per position (the first of a batch's observations to name it), in the order first seen.
    std::vector<const CertificateSighting*> certificates;
    // With their positions among the file's keys, one per position.
    std::vector<std::pair<std::int64_t, const KeySighting*>> keys;
    Labels labels;       // one per key, the latest observation's, sorted by key
    std::string digest;  // SHA-256 (hex) of the canonical form of all of the above but the place
};

// Each place the batch names, in the order first named, with its content and digest. Two observations of one place
// in a batch (roots that overlap) make one content, as storing each row once by its key did before version 21.
std::vector<PlaceContent> place_contents(const std::vector<FileObservations>& batch);

}  // namespace certfleet::inventory
