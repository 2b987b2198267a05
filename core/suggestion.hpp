#pragma once
// The known word a misspelt one most likely meant, for messages that suggest the fix: a subcommand, an option, a
// rules-file key or value.
#include <optional>
#include <string>
#include <vector>

namespace certfleet {

// The known word within a typo's reach of `word` (case ignored), the closest first found; nullopt when none is.
std::optional<std::string> closest_word(const std::string& word, const std::vector<std::string>& known);
// " (did you mean 'x'?)" for the closest word, else nothing.
std::string suggestion(const std::string& word, const std::vector<std::string>& known);
// The text with ASCII letters in lowercase: for comparing words case-blind.
std::string lowercase(std::string text);
// "a, b, c": the known words, for a message that lists what is accepted.
std::string joined(const std::vector<std::string>& words);

}  // namespace certfleet
