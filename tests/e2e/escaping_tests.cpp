// End-to-end: a tree whose file names hold terminal escape sequences, a bell, a line break, a C1 control and
// bytes that are not UTF-8, scanned, then every output that names a place: no control character
// reaches a terminal, no row or Nagios line is forged, every output is UTF-8, and JSON still names each file
// exactly.
#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/encoding.hpp"
#include "tests/e2e/certfleet_binary.hpp"
#include "testkit/cert_factory.hpp"
#include "testkit/process.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kEscapes = "ansi\x1b[31mRED\x1b]0;PWNED\a\x1b[2J.pem";  // retitles the terminal, clears it
const std::string kBell = "bell\a\a.pem";
const std::string kLineBreak = "line\nCERTFLEET OK - forged.pem";  // would be a Nagios line of its own
const std::string kNotUtf8 = "caf\xe9-\xff.pem";                    // Latin-1, as an old system wrote it
const std::string kC1 = "c1-\xc2\x9b" "2J.pem";                      // U+009B, CSI in one character
const std::string kMoved = "moved\x1b[5m\xfe.pem";
const std::string kKey = "key\xff\x1b[8m.key";
const std::string kBroken = "broken\x1b[2J\xfe.pem";

// Whether text is well-formed UTF-8, decoded code point by code point (no overlong form, no surrogate, nothing
// above U+10FFFF), and holds no control character but the line ends `allowed` lists.
bool clean_utf8(std::string_view text, std::string_view allowed = "\n") {
    for (std::size_t i = 0; i < text.size();) {
        const auto lead = static_cast<unsigned char>(text[i]);
        const std::size_t extra = lead < 0x80 ? 0 : (lead & 0xe0) == 0xc0 ? 1 : (lead & 0xf0) == 0xe0 ? 2
                                                 : (lead & 0xf8) == 0xf0 ? 3 : 4;
        if (extra == 4 || i + extra >= text.size()) return false;
        std::uint32_t code = extra == 0 ? lead : lead & (0x3f >> extra);
        for (std::size_t k = 1; k <= extra; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            if ((next & 0xc0) != 0x80) return false;
            code = code << 6 | (next & 0x3f);
        }
        const std::uint32_t least = extra == 0 ? 0 : extra == 1 ? 0x80 : extra == 2 ? 0x800 : 0x10000;
        if (code < least || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
        const bool control = code < 0x20 || (code >= 0x7f && code <= 0x9f);
        if (control && allowed.find(static_cast<char>(code)) == std::string_view::npos) return false;
        i += extra + 1;
    }
    return true;
}

std::vector<std::string> lines_of(const std::string& text, const std::string& end = "\n") {
    std::vector<std::string> lines;
    for (std::size_t start = 0; start < text.size();) {
        const std::size_t stop = text.find(end, start);
        lines.push_back(text.substr(start, stop == std::string::npos ? std::string::npos : stop - start));
        if (stop == std::string::npos) break;
        start = stop + end.size();
    }
    return lines;
}

// What every output must be: UTF-8 with no control character, and no line the line break in a name forged.
void check_clean(const std::string& what, const std::string& text, std::string_view allowed = "\n") {
    INFO(what << ":\n" << text);
    CHECK(clean_utf8(text, allowed));
    CHECK(text.find('\x1b') == std::string::npos);
    CHECK(text.find('\a') == std::string::npos);
    for (const auto& line : lines_of(text)) CHECK_FALSE(line.starts_with("CERTFLEET OK"));
}

ProcessResult run_clean(const std::string& db, const std::vector<std::string>& args, int exit_code = 0,
                        std::string_view allowed = "\n") {
    auto result = run_certfleet(db, args);
    std::string command;
    for (const auto& a : args) command += " " + a;
    INFO("certfleet" << command << "\n" << result.err);
    CHECK(result.exit_code == exit_code);
    check_clean("stdout of" + command, result.out, allowed);
    check_clean("stderr of" + command, result.err);
    return result;
}

// The fields of one CSV record (RFC 4180: quoted fields, doubled quotes).
std::vector<std::string> csv_fields(const std::string& record) {
    std::vector<std::string> fields(1);
    bool quoted = false;
    for (std::size_t i = 0; i < record.size(); ++i) {
        const char c = record[i];
        if (quoted && c == '"' && i + 1 < record.size() && record[i + 1] == '"') fields.back() += record[i++];
        else if (c == '"') quoted = !quoted;
        else if (c == ',' && !quoted) fields.emplace_back();
        else fields.back() += c;
    }
    REQUIRE_FALSE(quoted);
    return fields;
}

// A Markdown table row's cells: `|` not escaped by a backslash.
std::size_t markdown_cells(const std::string& row) {
    std::size_t pipes = 0;
    for (std::size_t i = 0; i < row.size(); ++i) {
        if (row[i] == '\\') ++i;
        else pipes += row[i] == '|';
    }
    return pipes - 1;
}

// Columns a line takes on a terminal: its UTF-8 characters (the reports print no wide ones).
std::size_t display_columns(const std::string& line) {
    return static_cast<std::size_t>(
        std::count_if(line.begin(), line.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string exact_path(const json& object, const std::string& key) {
    if (!object.contains(key + "_bytes")) return object.at(key).get<std::string>();
    const auto bytes = base64_decode(object.at(key + "_bytes").get<std::string>());
    REQUIRE(bytes);
    return to_string(*bytes);
}

struct HostileTree {
    TempDir dir;
    std::string db = (dir / "state-\x1b]0;PWNED\a/inventory.db").string();
    fs::path tree = dir / "tree";
    TestKey key = TestKey::shared({}, 8);
    // Expired, so each place is a finding `check` names.
    TestCert shared = cert("shared.example", {"evil\x1b]0;SAN\a.example"});
    TestCert bell = cert("bell.example");
    TestCert latin1 = cert("latin1.example");
    TestCert c1 = cert("c1.example");
    std::map<std::string, std::string> contents;  // file name -> what it holds

    static TestCert cert(const std::string& cn, std::vector<std::string> names = {}) {
        return TestCert::make({.subject_cn = cn, .dns_names = std::move(names), .not_before_days = -30,
                               .not_after_days = -3},
                              TestKey::shared({}, 8));
    }

    HostileTree() {
        fs::create_directories(fs::path(db).parent_path());
        put(kEscapes, shared.pem());
        put(kLineBreak, shared.pem());
        put(kBell, bell.pem());
        put(kNotUtf8, latin1.pem());
        put(kC1, c1.pem());
        put(kKey, key.pkcs8_pem());
        const std::string pem = c1.pem();
        put(kBroken, pem.substr(0, pem.size() / 2));
    }

    void put(const std::string& name, const std::string& content) {
        write_file(tree / name, content);
        contents[(tree / name).string()] = content;
    }

    std::string path(const std::string& name) const { return (tree / name).string(); }
};

}  // namespace

TEST_CASE("e2e: file names with escape sequences, line breaks and bytes that are not UTF-8", "[e2e][escaping]") {
    HostileTree t;
    run_clean(t.db, {"scan", "--files", t.tree.string(), "--no-progress"});

    SECTION("the table report, Markdown and HTML show each name, one row per certificate") {
        const auto table = run_clean(t.db, {"report"});
        const auto lines = lines_of(table.out);
        const auto rule = std::find(lines.begin(), lines.end(), std::string(79, '-'));
        REQUIRE(rule != lines.end());
        const auto rows = std::find(rule, lines.end(), "") - rule - 1;
        CHECK(rows == 4);  // the four certificates, none split by a name
        CHECK(table.out.find(R"(PWNED\x07\x1b[2J.pem)") != std::string::npos);  // WHERE SEEN keeps a path's end

        const auto markdown = run_clean(t.db, {"report", "--format", "markdown"});
        std::size_t certificate_rows = 0;
        for (const auto& line : lines_of(markdown.out)) {
            if (!line.starts_with("|")) continue;
            INFO(line);
            const auto cells = markdown_cells(line);
            CHECK((cells == 2 || cells == 4 || cells == 7));  // the summary, the findings, the certificates
            certificate_rows += cells == 7;
        }
        CHECK(certificate_rows == 2 + 4);  // header, delimiter, four certificates
        CHECK(markdown.out.find(R"(caf\\xe9-\\xff.pem)") != std::string::npos);

        const auto html = run_clean(t.db, {"report", "--format", "html"});
        CHECK(html.out.find(R"(caf\xe9-\xff.pem)") != std::string::npos);  // seen, not dropped
        CHECK(html.out.find(R"(line\nCERTFLEET OK - forged.pem)") != std::string::npos);
    }

    SECTION("a tree whose own name is not UTF-8 is scanned, and JSON names its files exactly") {
        const fs::path root = t.dir / "root\xff\x1b[2J";
        const std::string name = (root / kNotUtf8).string();
        write_file(name, t.latin1.pem());
        run_clean(t.db, {"scan", "--files", root.string(), "--no-progress"});
        // That scan alone: the view also holds the trees scanned before.
        const auto doc = json::parse(run_clean(t.db, {"report", "--format", "json", "--scan", "2"}).out);
        REQUIRE(doc["certificates"].size() == 1);
        CHECK(exact_path(doc["certificates"][0]["sightings"][0], "path") == name);
        CHECK(doc["scan"]["parameters"]["files"][0] == t.dir.path().string() + "/root\xef\xbf\xbd\x1b[2J");
    }

    SECTION("CSV has one record per place, each one line with every field") {
        const auto csv = run_clean(t.db, {"report", "--format", "csv"}, 0, "\r\n");
        CHECK(csv.out.ends_with("\r\n"));
        const auto records = lines_of(csv.out, "\r\n");
        REQUIRE(records.size() == 1 + 5);  // the header, then the five places
        std::set<std::string> paths;
        for (const auto& record : records) {
            INFO(record);
            CHECK(record.find('\n') == std::string::npos);
            const auto fields = csv_fields(record);
            CHECK(fields.size() == 28);
            paths.insert(fields.at(15));
        }
        CHECK(paths.contains(t.tree.string() + R"(/line\nCERTFLEET OK - forged.pem)"));
        CHECK(paths.contains(t.tree.string() + R"(/caf\xe9-\xff.pem)"));
        CHECK(paths.contains(t.tree.string() + R"(/c1-\xc2\x9b2J.pem)"));
    }

    SECTION("Prometheus metrics pass promtool") {
        const fs::path prom = t.dir / "certfleet.prom";
        run_clean(t.db, {"report", "--format", "prometheus", "-o", prom.string()});
        const std::string metrics = to_string(read_file(prom));
        check_clean("metrics", metrics);
        CHECK(metrics.find(R"(path=")" + t.tree.string() + R"(/ansi\\x1b[31mRED\\x1b]0;PWNED\\x07\\x1b[2J.pem",)") !=
              std::string::npos);
        if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
            WARN("promtool not installed (Debian package prometheus): the exposition format is not checked by it");
        } else {
            const auto checked = run_process({"sh", "-c", "promtool check metrics < \"$0\"", prom.string()});
            INFO(checked.out << checked.err);
            CHECK(checked.exit_code == 0);
        }
    }

    SECTION("JSON is UTF-8 and names every file exactly") {
        const auto report = run_clean(t.db, {"report", "--format", "json"});
        const auto doc = json::parse(report.out);
        std::set<std::string> named;
        for (const auto& certificate : doc["certificates"])
            for (const auto& sighting : certificate["sightings"]) named.insert(exact_path(sighting, "path"));
        named.insert(exact_path(doc["keys"][0]["locations"][0], "path"));
        for (const auto& error : doc["errors"]) named.insert(exact_path(error, "location"));
        std::set<std::string> written;
        for (const auto& [path, content] : t.contents) written.insert(path);
        CHECK(named == written);
        for (const auto& path : named) {
            INFO(path);
            CHECK(to_string(read_file(path)) == t.contents.at(path));  // opened by the name the JSON gave
        }
        CHECK(doc["keys"][0]["paths_bytes"][0] == doc["keys"][0]["locations"][0]["path_bytes"]);
        CHECK(report.out.find("\xc2\x9b") == std::string::npos);  // the C1 control is \u009b
    }

    SECTION("check's Nagios output keeps each finding on its own lines, and its JSON names each file exactly") {
        const auto check = run_clean(t.db, {"check"}, 2);
        const auto lines = lines_of(check.out);
        REQUIRE_FALSE(lines.empty());
        CHECK(lines.front().starts_with("CERTFLEET CRITICAL - "));
        std::size_t findings = 0;
        // After the status line: a rule's first line, a line of what it says or of its places (indented), a note.
        for (std::size_t i = 1; i < lines.size(); ++i) {
            INFO(lines[i]);
            CHECK((lines[i].starts_with("critical ") || lines[i].starts_with("high ") ||
                   lines[i].starts_with("medium ") || lines[i].starts_with("low ") ||
                   lines[i].starts_with("info ") || lines[i].starts_with("note: ") || lines[i].starts_with("  ") ||
                   lines[i].empty()));
            CHECK(display_columns(lines[i]) < 80);
            findings += lines[i].find(R"(line\nCERTFLEET OK - forged.pem)") != std::string::npos;
        }
        CHECK(findings >= 1);

        const auto check_json = run_clean(t.db, {"check", "--format", "json"}, 2);
        const auto check_doc = json::parse(check_json.out);
        std::set<std::string> located;
        for (const auto& finding : check_doc["findings"]) located.insert(exact_path(finding, "location"));
        CHECK(located.contains(t.path(kNotUtf8)));
        CHECK(located.contains(t.path(kEscapes)));

        // What stops the check is one UNKNOWN line, whatever the path it names.
        const fs::path rules = t.dir / "rules\x1b[2J\nCERTFLEET OK.yaml";
        const auto unknown = run_clean(t.db, {"check", "--rules", rules.string()}, 3);
        CHECK(lines_of(unknown.out).size() == 1);
        CHECK(unknown.out.starts_with("CERTFLEET UNKNOWN - "));
    }

    SECTION("inventory answers and diff show every place, and JSON names each exactly") {
        run_clean(t.db, {"inventory", "certs"});
        const auto cert = run_clean(t.db, {"inventory", "cert", t.shared.sha256()});
        CHECK(cert.out.find(R"(evil\x1b]0;SAN\x07.example)") != std::string::npos);  // a SAN is the issuer's text
        run_clean(t.db, {"inventory", "history", t.shared.sha256()});
        run_clean(t.db, {"inventory", "keys"});
        const auto shared = run_clean(t.db, {"inventory", "shared"});
        CHECK(shared.out.find(R"(line\nCERTFLEET OK - forged.pem)") != std::string::npos);
        const auto cert_json =
            json::parse(run_clean(t.db, {"inventory", "cert", t.shared.sha256(), "--format", "json"}).out);
        std::set<std::string> places;
        for (const auto& seen : cert_json["certificate"]["places"]) places.insert(exact_path(seen["place"], "path"));
        CHECK(places == std::set<std::string>{t.path(kEscapes), t.path(kLineBreak)});
        const auto latin1_json =
            json::parse(run_clean(t.db, {"inventory", "cert", t.latin1.sha256(), "--format", "json"}).out);
        CHECK(exact_path(latin1_json["certificate"]["places"][0]["place"], "path") == t.path(kNotUtf8));

        fs::rename(t.path(kC1), t.path(kMoved));
        run_clean(t.db, {"scan", "--files", t.tree.string(), "--no-progress"});
        const auto diff = run_clean(t.db, {"diff"});
        CHECK(diff.out.find(R"(moved\x1b[5m\xfe.pem)") != std::string::npos);
        CHECK(diff.out.find(R"(c1-\xc2\x9b2J.pem)") != std::string::npos);
        const auto diff_json = json::parse(run_clean(t.db, {"diff", "--format", "json"}).out);
        CHECK(exact_path(diff_json["diff"]["new_places"][0]["place"], "path") == t.path(kMoved));
        CHECK(exact_path(diff_json["diff"]["gone_places"][0]["place"], "path") == t.path(kC1));
        run_clean(t.db, {"progress"});

        // An error that quotes the inventory's path shows it, escapes and all, without sending them.
        const auto unknown = run_clean(t.db, {"inventory", "cert", "00000000"}, 1);
        CHECK(unknown.err.find(R"(state-\x1b]0;PWNED\x07/inventory.db)") != std::string::npos);
    }
}
