#pragma once
// The one way an enum gets a text form (the store's columns, the reports, rules files, the command line): beside
// the enum, a constexpr table of {value, name} pairs, handed out by an `enum_names(Enum)` overload that ADL
// finds. to_string and parse_enum<Enum> read that table, so each name is spelled once.
//
//   enum class Colour { red, green };
//   inline constexpr std::array<EnumName<Colour>, 2> kColourNames{{{Colour::red, "red"}, {Colour::green, "green"}}};
//   constexpr const auto& enum_names(Colour) { return kColourNames; }
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace certfleet {

template <typename Enum>
struct EnumName {
    Enum value;
    const char* name;
};

template <typename Enum>
concept NamedEnum = std::is_enum_v<Enum> && requires(Enum value) { enum_names(value); };

template <NamedEnum Enum>
constexpr const char* to_string(Enum value) {
    for (const auto& entry : enum_names(value))
        if (entry.value == value) return entry.name;
    return "unknown";
}

// The value named `name` exactly, or nullopt.
template <NamedEnum Enum>
constexpr std::optional<Enum> parse_enum(std::string_view name) {
    for (const auto& entry : enum_names(Enum{}))
        if (name == entry.name) return entry.value;
    return std::nullopt;
}

// Every name, in the table's order: for messages that list what is accepted.
template <NamedEnum Enum>
std::vector<std::string> names_of() {
    std::vector<std::string> names;
    for (const auto& entry : enum_names(Enum{})) names.emplace_back(entry.name);
    return names;
}

}  // namespace certfleet
