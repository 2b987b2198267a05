#include "core/suggestion.hpp"

#include <algorithm>
#include <cctype>

namespace certfleet {

namespace {

// Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours, the usual typos.
std::size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        for (std::size_t j = 1; j <= b.size(); ++j) {
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[a.size()][b.size()];
}

}  // namespace

std::string lowercase(std::string text) {
    for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

std::optional<std::string> closest_word(const std::string& word, const std::vector<std::string>& known) {
    const std::size_t tolerance = word.size() <= 4 ? 1 : 2;
    const std::string* best = nullptr;
    std::size_t best_distance = tolerance + 1;
    for (const auto& candidate : known) {
        const std::size_t distance = edit_distance(lowercase(word), lowercase(candidate));
        if (distance < best_distance) best = &candidate, best_distance = distance;
    }
    return best ? std::optional<std::string>(*best) : std::nullopt;
}

std::string suggestion(const std::string& word, const std::vector<std::string>& known) {
    const auto best = closest_word(word, known);
    return best ? " (did you mean '" + *best + "'?)" : "";
}

std::string joined(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& word : words) out += (out.empty() ? "" : ", ") + word;
    return out;
}

}  // namespace certfleet
