// The rules file parser. Its contract: any text is a RuleSet or a RulesError; another exception escaping
// terminates the fuzzer, which reports it as a crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "rules/rules.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        certfleet::rules::parse_rules(std::string(reinterpret_cast<const char*>(data), size), "fuzz.yaml");
    } catch (const certfleet::rules::RulesError&) {
    }
    return 0;
}
