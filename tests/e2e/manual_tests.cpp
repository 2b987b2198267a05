// End-to-end: the manual pages and the bash completion the build writes say what the real binary's --help says,
// render without a warning, and complete as a user types.
#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>
#include <sstream>

#include "tests/e2e/certfleet_binary.hpp"
#include "testkit/cert_factory.hpp"

using namespace certfleet;
using namespace certfleet::testing;

namespace {

const std::filesystem::path kManDir = std::filesystem::path(CERTFLEET_DOCS_DIR) / "man";
const std::filesystem::path kCompletion = std::filesystem::path(CERTFLEET_DOCS_DIR) / "completions/certfleet";

std::string help_text(std::vector<std::string> words) {
    std::vector<std::string> argv{kBinary};
    argv.insert(argv.end(), words.begin(), words.end());
    argv.push_back("--help");
    const auto result = run_process(argv);
    REQUIRE(result.exit_code == 0);
    return result.out;
}

// The option words of --help's "Options:" lines ("  -o,--output TEXT ..."): two spaces, then a dash.
std::vector<std::string> help_options(const std::vector<std::string>& words) {
    std::vector<std::string> options;
    std::istringstream lines(help_text(words));
    for (std::string line; std::getline(lines, line);) {
        if (!line.starts_with("  -")) continue;
        std::istringstream names(line.substr(2, line.find(' ', 2) - 2));
        for (std::string name; std::getline(names, name, ',');) options.push_back(name);
    }
    return options;
}

// The names under --help's "Subcommands:" heading.
std::vector<std::string> help_subcommands(const std::vector<std::string>& words) {
    std::vector<std::string> commands;
    std::istringstream lines(help_text(words));
    bool in_section = false;
    for (std::string line; std::getline(lines, line);) {
        if (line == "Subcommands:") in_section = true;
        else if (line.empty()) in_section = false;
        else if (in_section && line.starts_with("  ") && line[2] != ' ')
            commands.push_back(line.substr(2, line.find(' ', 2) - 2));
    }
    return commands;
}

std::string file_text(const std::filesystem::path& path) {
    const auto bytes = read_file(path);
    return std::string(bytes.begin(), bytes.end());
}

// An option word as a man page writes it: each hyphen as \-.
std::string roff_word(const std::string& word) {
    std::string out;
    for (const char c : word) out += c == '-' ? std::string("\\-") : std::string(1, c);
    return out;
}

// What the completion offers when the line is `certfleet WORDS...`, the last word the one under the cursor.
std::vector<std::string> complete(const std::vector<std::string>& words, const std::string& working_directory = "") {
    std::vector<std::string> argv{"bash", "-c",
                                  "source \"$1\" && shift && COMP_WORDS=(certfleet \"$@\") && COMP_CWORD=$# && "
                                  "_certfleet && printf '%s\\n' \"${COMPREPLY[@]}\"",
                                  "bash", kCompletion.string()};
    argv.insert(argv.end(), words.begin(), words.end());
    const auto result = run_process(argv, {.working_directory = working_directory});
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    std::vector<std::string> offered;
    std::istringstream lines(result.out);
    for (std::string line; std::getline(lines, line);)
        if (!line.empty()) offered.push_back(line);
    return offered;
}

bool contains(const std::vector<std::string>& words, const std::string& word) {
    return std::find(words.begin(), words.end(), word) != words.end();
}

}  // namespace

TEST_CASE("e2e docs: every command is in certfleet.1 and the bash completion", "[e2e][docs]") {
    const std::string overview = file_text(kManDir / "certfleet.1");
    const auto commands = help_subcommands({});
    REQUIRE(commands.size() >= 9);
    const auto completed = complete({""});
    for (const auto& command : commands) {
        INFO(command);
        CHECK(overview.find("\\fB" + roff_word(command) + "\\fR") != std::string::npos);
        CHECK(std::filesystem::exists(kManDir / ("certfleet-" + command + ".1")));
        CHECK(contains(completed, command));
        const auto nested = help_subcommands({command});
        const auto nested_completed = complete({command, ""});
        for (const auto& sub : nested) {
            INFO(sub);
            CHECK(overview.find("\\fB" + roff_word(sub) + "\\fR") != std::string::npos);
            CHECK(contains(nested_completed, sub));
        }
    }
    const auto root_options = complete({"-"});
    for (const auto& option : help_options({})) {
        INFO(option);
        CHECK(overview.find(roff_word(option)) != std::string::npos);
        CHECK(contains(root_options, option));
    }
}

TEST_CASE("e2e docs: every option --help shows is in its command's manual page and completes", "[e2e][docs]") {
    for (const auto& command : help_subcommands({})) {
        const std::string page = file_text(kManDir / ("certfleet-" + command + ".1"));
        std::vector<std::vector<std::string>> paths{{command}};
        for (const auto& sub : help_subcommands({command})) paths.push_back({command, sub});
        for (const auto& path : paths) {
            auto options = help_options(path);
            options.push_back("--db");  // --help does not show it, but every command takes it
            auto line = path;
            line.push_back("-");
            const auto completed = complete(line);
            for (const auto& option : options) {
                INFO(path.back() << " " << option);
                CHECK(page.find(roff_word(option)) != std::string::npos);
                CHECK(contains(completed, option));
            }
        }
    }
}

TEST_CASE("e2e docs: the manual pages render without a warning", "[e2e][docs]") {
    std::size_t pages = 0;
    for (const auto& entry : std::filesystem::directory_iterator(kManDir)) {
        const std::string page = entry.path().string();
        INFO(page);
        ++pages;
        // An option word is written with \- each: a plain '-' renders as a hyphen that does not copy as typed.
        static const std::regex bare_option_word("(^|[\n (\\[,'\"`])--?[a-z]");
        CHECK_FALSE(std::regex_search(file_text(entry.path()), bare_option_word));
        const auto groff = run_process({"groff", "-man", "-ww", "-z", page});
        CHECK(groff.exit_code == 0);
        CHECK(groff.err.empty());
        const auto man = run_process({"man", "--warnings", "-l", "-E", "UTF-8", page}, {.env = {{"MANWIDTH", "80"}}});
        CHECK(man.exit_code == 0);
        CHECK(man.err.empty());
        CHECK(man.out.find("OPTIONS") != std::string::npos);
    }
    CHECK(pages == help_subcommands({}).size() + 1);
}

TEST_CASE("e2e docs: bash completes commands, options, fixed values and paths", "[e2e][docs]") {
    CHECK(complete({"sc"}) == std::vector<std::string>{"scan"});
    const auto star = complete({"scan", "--star"});
    CHECK(star.size() == 2);
    CHECK(contains(star, "--starttls"));
    CHECK(contains(star, "--starttls-timeout-ms"));
    CHECK(contains(complete({"scan", "--starttls", ""}), "smtp"));
    CHECK(contains(complete({"scan", "--ports", ""}), "all-tls"));
    CHECK(contains(complete({"inventory", ""}), "certs"));
    CHECK(complete({"inventory", "certs", "--format", "j"}) == std::vector<std::string>{"json"});
    CHECK(complete({"check", "--on-unseen", "c"}) == std::vector<std::string>{"critical"});
    CHECK(contains(complete({"report", "--format", ""}), "cyclonedx"));
    // An option's value is not taken for a command: --db's value "scan" leaves the command to come.
    CHECK(contains(complete({"--db", "scan", "rep"}), "report"));
    // --option=value, which bash splits at '='.
    CHECK(complete({"check", "--format", "=", "js"}) == std::vector<std::string>{"json"});

    TempDir dir;
    write_file(dir / "tree/a.pem", "x");
    write_file(dir / "rules.yaml", "x");
    CHECK(complete({"scan", "--files", "tr"}, dir.path().string()) == std::vector<std::string>{"tree"});
    CHECK(complete({"check", "--rules", "ru"}, dir.path().string()) == std::vector<std::string>{"rules.yaml"});
    CHECK(complete({"push", "ru"}, dir.path().string()) == std::vector<std::string>{"rules.yaml"});
    CHECK(complete({"scan", "--label", ""}, dir.path().string()).empty());
}
