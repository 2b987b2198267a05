// End-to-end: the deployment pieces in deploy/. Every Kubernetes manifest parses; every certfleet command line in
// the manifests and systemd units is one certfleet accepts; the units pass `systemd-analyze verify`. The command
// lines are found in the files, not listed here, so a new manifest or unit is checked by being there.
#include <catch2/catch.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string_view>

#include "tests/e2e/certfleet_binary.hpp"
#include "testkit/cert_factory.hpp"

using namespace certfleet;
using namespace certfleet::testing;
namespace fs = std::filesystem;

namespace {

const fs::path kDeploy = fs::path(CERTFLEET_SOURCE_DIR) / "deploy";
// What the scheduler sets when the command runs: the Indexed Job's index, the run (job) name, the node's name,
// the site the manifest names.
const std::map<std::string, std::string> kExamples{
    {"JOB_COMPLETION_INDEX", "0"}, {"RUN", "example"}, {"NODE_NAME", "node-1"}, {"SITE", "cluster-1"}};
const std::string kExampleHost = "node-1.example";  // systemd's %H

std::vector<fs::path> files_in(const fs::path& dir, const std::string& extension) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir))
        if (entry.is_regular_file() && entry.path().extension() == extension) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    return files;
}

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string base_name(const std::string& path) { return fs::path(path).filename().string(); }

// A missing key of a const yaml-cpp node is an invalid node, whose every question but IsDefined() throws.
bool has_text(const YAML::Node& node) { return node.IsDefined() && node.IsScalar() && !node.Scalar().empty(); }

std::string joined(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
    return out;
}

// Kubernetes' own expansion of command and args: $(NAME) of a variable it knows; anything else stays.
std::string kubernetes_expanded(const std::string& text) {
    static const std::regex reference(R"(\$\(([A-Za-z_][A-Za-z0-9_]*)\))");
    std::string out;
    auto last = text.cbegin();
    for (std::sregex_iterator it(text.begin(), text.end(), reference), end; it != end; ++it) {
        out.append(last, (*it)[0].first);
        const auto known = kExamples.find((*it)[1].str());
        out += known != kExamples.end() ? known->second : (*it)[0].str();
        last = (*it)[0].second;
    }
    out.append(last, text.cend());
    return out;
}

// A shell script's simple commands, each as its words unexpanded (quotes and $(...) kept): split at an unquoted
// ; & | ( ) or newline, comments dropped. Enough for the scripts of these manifests, not a shell.
std::vector<std::vector<std::string>> simple_commands(const std::string& script) {
    std::vector<std::vector<std::string>> commands;
    std::vector<std::string> words;
    std::string word;
    const auto end_word = [&] {
        if (!word.empty()) words.push_back(word);
        word.clear();
    };
    const auto end_command = [&] {
        end_word();
        if (!words.empty()) commands.push_back(words);
        words.clear();
    };
    const auto closing = [&](std::size_t from, char quote) {
        for (std::size_t j = from; j < script.size(); ++j) {
            if (quote == '"' && script[j] == '\\') ++j;
            else if (script[j] == quote) return j;
        }
        throw std::runtime_error("unterminated " + std::string(1, quote) + " in: " + script);
    };
    for (std::size_t i = 0; i < script.size();) {
        const char c = script[i];
        if (c == '\\' && i + 1 < script.size() && script[i + 1] == '\n') {  // a continued line: gone, as in sh
            i += 2;
        } else if (c == '\\' && i + 1 < script.size()) {
            word += script.substr(i, 2);
            i += 2;
        } else if (c == '\'' || c == '"') {
            const std::size_t j = closing(i + 1, c);
            word += script.substr(i, j + 1 - i);
            i = j + 1;
        } else if (c == '$' && i + 1 < script.size() && script[i + 1] == '(') {  // $(...) and $((...)), whole
            std::size_t j = i + 1;
            for (int depth = 0;; ++j) {
                if (j == script.size()) throw std::runtime_error("unterminated $( in: " + script);
                if (script[j] == '(') ++depth;
                if (script[j] == ')' && --depth == 0) break;
            }
            word += script.substr(i, j + 1 - i);
            i = j + 1;
        } else if (c == '#' && word.empty()) {
            while (i < script.size() && script[i] != '\n') ++i;
        } else if (c == ' ' || c == '\t') {
            end_word();
            ++i;
        } else if (c == '&' && !word.empty() && (word.back() == '>' || word.back() == '<')) {  // 2>&1
            word += c;
            ++i;
        } else if (std::string_view(";&|()\n").find(c) != std::string_view::npos) {
            end_command();
            ++i;
        } else {
            word += c;
            ++i;
        }
    }
    end_command();
    return commands;
}

// The shell's own expansion of words (variables, $((...)), quotes), with the example values.
std::vector<std::string> shell_expanded(const std::vector<std::string>& words) {
    if (words.empty()) return {};
    ProcessOptions options;
    options.env = kExamples;
    const auto r = run_process({"/bin/sh", "-c", "printf '%s\\n' " + joined(words)}, options);
    if (r.exit_code != 0) throw std::runtime_error("/bin/sh cannot expand: " + joined(words) + ": " + r.err);
    std::vector<std::string> out;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) out.push_back(line);
    return out;
}

// The arguments after `certfleet` of every certfleet command a script runs (after exec, keywords, assignments).
std::vector<std::vector<std::string>> certfleet_in_script(const std::string& script) {
    static const std::vector<std::string> keywords{"do",    "then", "else", "elif", "if",  "while",
                                                   "until", "!",    "{",    "exec", "time"};
    static const std::regex assignment("^[A-Za-z_][A-Za-z0-9_]*=.*");
    static const std::regex redirection("^[0-9]*(>>?|<|[<>]&)(.*)$");  // 2>/dev/null, > file: not arguments
    std::vector<std::vector<std::string>> found;
    for (auto words : simple_commands(script)) {
        while (!words.empty() && (std::find(keywords.begin(), keywords.end(), words.front()) != keywords.end() ||
                                  std::regex_match(words.front(), assignment)))
            words.erase(words.begin());
        if (words.empty() || base_name(words.front()) != "certfleet") continue;
        std::vector<std::string> args;
        for (std::size_t i = 1; i < words.size(); ++i) {
            std::smatch m;
            if (!std::regex_match(words[i], m, redirection)) args.push_back(words[i]);
            else if (m[2].length() == 0) ++i;  // the target is the next word
        }
        found.push_back(shell_expanded(args));
    }
    return found;
}

// A program's argv: certfleet itself, or a shell running a script (sh -c SCRIPT) that runs certfleet.
std::vector<std::vector<std::string>> certfleet_in_argv(const std::vector<std::string>& argv) {
    if (argv.empty()) return {};
    const std::string program = base_name(argv[0]);
    const bool shell = program == "sh" || program == "bash" || program == "dash";
    if (shell && argv.size() >= 3 && argv[1].size() > 1 && argv[1][0] == '-' && argv[1][1] != '-' &&
        argv[1].find('c') != std::string::npos)
        return certfleet_in_script(argv[2]);
    if (program == "certfleet") return {{argv.begin() + 1, argv.end()}};
    return {};
}

// Every container of a document, wherever it sits (a Job's, a CronJob's job template's, a DaemonSet's pod).
void collect_containers(const YAML::Node& node, std::vector<YAML::Node>& out) {
    if (node.IsMap()) {
        for (auto it = node.begin(); it != node.end(); ++it) {
            // Copies: it-> yields a temporary, which a range-for over its member would outlive (ASan).
            const std::string key = it->first.as<std::string>();
            const YAML::Node value = it->second;
            if ((key == "containers" || key == "initContainers") && value.IsSequence())
                for (const auto& container : value) out.push_back(container);
            else
                collect_containers(value, out);
        }
    } else if (node.IsSequence()) {
        for (const auto& item : node) collect_containers(item, out);
    }
}

// A systemd command line's words: quotes removed, backslash escapes taken literally; no variable expansion.
std::vector<std::string> systemd_words(const std::string& value) {
    std::vector<std::string> words;
    std::string word;
    bool have_word = false;
    for (std::size_t i = 0; i < value.size(); ++i) {
        const char c = value[i];
        if (c == '"' || c == '\'') {
            const std::size_t j = value.find(c, i + 1);
            if (j == std::string::npos) throw std::runtime_error("unterminated quote in: " + value);
            word += value.substr(i + 1, j - i - 1);
            have_word = true;
            i = j;
        } else if (c == '\\' && i + 1 < value.size()) {
            word += value[++i];
        } else if (c == ' ' || c == '\t') {
            if (have_word || !word.empty()) words.push_back(word);
            word.clear();
            have_word = false;
        } else {
            word += c;
        }
    }
    if (have_word || !word.empty()) words.push_back(word);
    return words;
}

// A unit's Exec*= values, continuation lines joined, with the prefixes (-@:+!) and specifiers resolved: %H as
// kExampleHost, %% as %; $$ as $.
std::vector<std::string> exec_lines(const std::string& unit) {
    static const std::regex exec(R"(^\s*Exec[A-Za-z]*=\s*[-@:+!]*(.*)$)");
    std::vector<std::string> lines;
    std::istringstream in(std::regex_replace(unit, std::regex("\\\\\n"), " "));
    for (std::string line; std::getline(in, line);) {
        std::smatch m;
        if (!std::regex_match(line, m, exec)) continue;
        const std::string raw = m[1].str();
        std::string value;
        for (std::size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] == '%' && i + 1 < raw.size() && (raw[i + 1] == '%' || raw[i + 1] == 'H')) {
                value += raw[i + 1] == 'H' ? kExampleHost : "%";
                ++i;
            } else if (raw[i] == '$' && i + 1 < raw.size() && raw[i + 1] == '$') {
                value += '$';
                ++i;
            } else {
                value += raw[i];
            }
        }
        lines.push_back(value);
    }
    return lines;
}

struct FoundCommand {
    std::string where;
    std::vector<std::string> args;  // after `certfleet`
};

std::string shown(const FoundCommand& command) { return command.where + ": certfleet " + joined(command.args); }

}  // namespace

TEST_CASE("e2e deploy: every Kubernetes manifest parses and names its object", "[e2e][deploy]") {
    const auto manifests = files_in(kDeploy / "kubernetes", ".yaml");
    REQUIRE_FALSE(manifests.empty());
    for (const auto& path : manifests) {
        INFO(path.string());
        std::vector<YAML::Node> documents;
        REQUIRE_NOTHROW(documents = YAML::LoadAllFromFile(path.string()));
        REQUIRE_FALSE(documents.empty());
        for (const auto& doc : documents) {
            if (doc.IsNull()) continue;  // an empty document between two ---
            REQUIRE(doc.IsMap());
            CHECK(has_text(doc["apiVersion"]));
            CHECK(has_text(doc["kind"]));
            const YAML::Node metadata = doc["metadata"];
            CHECK((metadata.IsDefined() && metadata.IsMap() && has_text(metadata["name"])));
        }
    }
}

TEST_CASE("e2e deploy: every certfleet command line in the manifests and units is accepted", "[e2e][deploy]") {
    std::vector<FoundCommand> commands;
    for (const auto& path : files_in(kDeploy / "kubernetes", ".yaml")) {
        for (const auto& doc : YAML::LoadAllFromFile(path.string())) {
            std::vector<YAML::Node> containers;
            collect_containers(doc, containers);
            for (const auto& container : containers) {
                std::vector<std::string> argv;
                for (const char* field : {"command", "args"}) {
                    const YAML::Node words = container[field];
                    if (words.IsDefined() && words.IsSequence())
                        for (const auto& word : words)
                            argv.push_back(kubernetes_expanded(word.as<std::string>()));
                }
                const auto found = certfleet_in_argv(argv);
                const std::string where =
                    path.filename().string() + " container " + container["name"].as<std::string>("?");
                INFO(where << ": " << joined(argv));
                CHECK_FALSE(found.empty());  // a certfleet container whose command this test cannot find
                for (const auto& args : found) commands.push_back({where, args});
            }
        }
    }
    for (const auto& path : files_in(kDeploy / "systemd", ".service")) {
        std::size_t before = commands.size();
        for (const auto& line : exec_lines(read_text(path)))
            for (const auto& args : certfleet_in_argv(systemd_words(line)))
                commands.push_back({path.filename().string(), args});
        INFO(path.string());
        CHECK(commands.size() > before);
    }
    REQUIRE_FALSE(commands.empty());

    for (const auto& command : commands) {
        INFO(shown(command));
        REQUIRE_FALSE(command.args.empty());
        TempDir dir;
        const std::string db = (dir / "inventory.db").string();
        auto args = command.args;
        if (args.front() == "scan") {
            // --dry-run plans the scan in full (targets, shard, run, files) and sends nothing.
            args.push_back("--dry-run");
            const auto r = run_certfleet(db, args);
            INFO(r.out << r.err);
            CHECK(r.exit_code == 0);
            continue;
        }
        // Any other command reads an inventory: give it one, with a scan in the run it names, and its output
        // file in the temporary directory.
        write_file(dir / "tree/a.pem", TestCert::make({.subject_cn = "deploy.example"}, TestKey::shared()).pem());
        std::vector<std::string> scan{"scan", "--files", (dir / "tree").string(), "--no-progress", "--quiet"};
        const auto run = std::find(args.begin(), args.end(), "--run");
        if (run != args.end() && run + 1 != args.end()) scan.insert(scan.end(), {"--run", *(run + 1)});
        const auto scanned = run_certfleet(db, scan);
        INFO(scanned.err);
        REQUIRE(scanned.exit_code == 0);
        const std::string output = (dir / "output").string();
        bool writes_file = false;
        for (std::size_t i = 0; i < args.size(); ++i) {
            if ((args[i] == "-o" || args[i] == "--output") && i + 1 < args.size()) {
                args[i + 1] = output;
                writes_file = true;
            } else if (args[i].rfind("--output=", 0) == 0) {
                args[i] = "--output=" + output;
                writes_file = true;
            }
        }
        const auto r = run_certfleet(db, args);
        INFO(r.err);
        CHECK(r.exit_code == 0);
        if (writes_file) CHECK(fs::exists(output));
    }
}

TEST_CASE("e2e deploy: the systemd units pass systemd-analyze verify", "[e2e][deploy]") {
    TempDir dir;
    // Outside a machine booted with systemd, verify may fail for reasons of its own: a trivial unit tells.
    write_file(dir / "probe/certfleet-probe.service",
               std::string("[Unit]\nDescription=probe\n[Service]\nType=oneshot\nExecStart=/bin/true\n"));
    const auto probe = run_process({"systemd-analyze", "verify", (dir / "probe/certfleet-probe.service").string()});
    if (probe.exit_code != 0) {
        WARN("skipped: systemd-analyze verify is missing or fails on a trivial unit here (exit "
             << probe.exit_code << "): " << probe.err);
        return;
    }
    // verify wants each Exec line's program to exist: the units' certfleet becomes the one under test.
    static const std::regex program(R"(^(\s*Exec[A-Za-z]*=\s*[-@:+!]*)(\S*/)?certfleet(?=\s|$))");
    std::vector<std::string> argv{"systemd-analyze", "verify"};
    auto units = files_in(kDeploy / "systemd", ".service");
    for (const auto& timer : files_in(kDeploy / "systemd", ".timer")) units.push_back(timer);
    for (const auto& path : units) {
        std::istringstream lines(read_text(path));
        std::string copy;
        for (std::string line; std::getline(lines, line);)
            copy += std::regex_replace(line, program, "$1" + kBinary) + "\n";
        write_file(dir / "units" / path.filename().string(), copy);
        argv.push_back((dir / "units" / path.filename()).string());
    }
    REQUIRE(argv.size() > 2);
    const auto r = run_process(argv);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
}
