#include "inventory/place_contents.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "core/encoding.hpp"

namespace certfleet::inventory {

namespace {

// The canonical form's version: a change to it names every place's content anew (a scan then adds a version
// for each place, once), never two contents alike.
constexpr std::string_view kFormVersion = "certfleet place content 1\n";

// A field of the canonical form: its length first, so no text can be mistaken for a separator.
void append_field(std::string& form, std::string_view text) {
    form += std::to_string(text.size());
    form += ':';
    form += text;
}

std::string digest_of(const PlaceContent& content) {
    std::vector<const CertificateSighting*> certificates = content.certificates;
    std::sort(certificates.begin(), certificates.end(),
              [](const auto* a, const auto* b) { return a->location.index < b->location.index; });
    std::string form(kFormVersion);
    for (const auto* c : certificates) {
        form += "c " + std::to_string(c->location.index) + ' ';
        append_field(form, c->cert->sha256);
        form += c->trust_anchor ? " a" : " -";
        form += c->trust_anchor && c->system_store ? 's' : '-';
        form += c->with_private_key ? "k\n" : "-\n";
    }
    for (const auto& [position, key] : content.keys) {
        form += "k " + std::to_string(position) + ' ' + std::string(to_string(key->state)) + ' ';
        form += key->spki_sha256 ? *key->spki_sha256 : "-";
        form += '\n';
    }
    for (const auto& label : content.labels) {
        form += "l ";
        append_field(form, label.key);
        form += ' ';
        append_field(form, label.value);
        form += '\n';
    }
    return sha256_hex(std::span(reinterpret_cast<const std::uint8_t*>(form.data()), form.size()));
}

}  // namespace

std::vector<PlaceContent> place_contents(const std::vector<FileObservations>& batch) {
    std::vector<PlaceContent> contents;
    std::unordered_map<std::string, std::size_t> index_of;  // path and format -> contents
    std::vector<std::map<std::string, std::string>> labels_of;
    const auto content_at = [&](const std::string& path, SourceFormat format) -> std::size_t {
        std::string key = path;
        (key += '\0') += to_string(format);
        const auto [it, added] = index_of.emplace(std::move(key), contents.size());
        if (added) {
            contents.push_back(PlaceContent{path, format, {}, {}, {}, {}});
            labels_of.emplace_back();
        }
        return it->second;
    };
    for (const auto& observations : batch) {
        std::vector<std::size_t> named;  // the places this observation names, for its labels
        for (const auto& sighting : observations.certificates) {
            const std::size_t at = content_at(sighting.location.path, sighting.location.format);
            auto& certificates = contents[at].certificates;
            if (std::none_of(certificates.begin(), certificates.end(),
                             [&](const auto* c) { return c->location.index == sighting.location.index; }))
                certificates.push_back(&sighting);
            named.push_back(at);
        }
        std::unordered_map<std::size_t, std::int64_t> keys_at;  // place -> this observation's keys there so far
        for (const auto& key : observations.keys) {
            const std::size_t at = content_at(key.path, key.format);
            const std::int64_t position = keys_at[at]++;
            auto& keys = contents[at].keys;
            if (std::none_of(keys.begin(), keys.end(), [&](const auto& k) { return k.first == position; }))
                keys.emplace_back(position, &key);
            named.push_back(at);
        }
        for (const std::size_t at : named)
            for (const auto& label : observations.labels) labels_of[at][label.key] = label.value;
    }
    for (std::size_t i = 0; i < contents.size(); ++i) {
        for (auto& [key, value] : labels_of[i]) contents[i].labels.push_back(Label{key, value});
        contents[i].digest = digest_of(contents[i]);
    }
    return contents;
}

}  // namespace certfleet::inventory
