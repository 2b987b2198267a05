// End-to-end: the HTML report of a generated fleet, opened from disk in headless Chromium. The checks read the
// DOM as the browser left it after the page's script ran, so sorting, filtering and escaping are tested as a
// reader meets them.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <regex>

#include "tests/e2e/certfleet_binary.hpp"
#include "testkit/cert_factory.hpp"
#include "testkit/process.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kHostileCommonName = "<script>alert(1)</script>";
constexpr const char* kHostileOrganization = "<img src=x onerror=alert(1)>";
constexpr const char* kHostileFileName = "<svg onload=alert(1)>.pem";
// The subject as the model keeps it (RFC 2253 escapes < and > with a backslash), escaped for HTML.
constexpr const char* kEscapedCommonName = "\\&lt;script\\&gt;alert(1)\\&lt;/script\\&gt;";
constexpr const char* kEscapedOrganization = "\\&lt;img src=x onerror=alert(1)\\&gt;";
constexpr const char* kEscapedFileName = "&lt;svg onload=alert(1)&gt;.pem";

bool has_chromium() { return std::system("command -v chromium >/dev/null 2>&1") == 0; }

// Headless Chromium on a file:// URL, in a fresh profile, with everything that could reach a network off.
ProcessResult run_chromium(const std::string& url, std::vector<std::string> extra) {
    const TempDir profile;
    std::vector<std::string> argv{"chromium", "--headless", "--no-sandbox", "--disable-gpu",
                                  "--user-data-dir=" + profile.path().string(), "--no-first-run",
                                  "--no-default-browser-check", "--disable-extensions",
                                  "--disable-background-networking", "--disable-sync", "--disable-component-update",
                                  "--disable-dev-shm-usage", "--disable-crash-reporter"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(url);
    return run_process(argv, {.env = {{"HOME", profile.path().string()}}, .timeout = std::chrono::seconds(45)});
}

std::string dump_dom(const std::string& url) {
    const auto r = run_chromium(url, {"--dump-dom"});
    INFO(r.err);
    REQUIRE_FALSE(r.timed_out);
    REQUIRE(r.exit_code == 0);
    REQUIRE(r.out.find("</html>") != std::string::npos);
    return r.out;
}

std::size_t occurrences(const std::string& text, const std::string& needle) {
    std::size_t count = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++count;
    return count;
}

// The number a summary tile shows.
int tile(const std::string& dom, const std::string& id) {
    std::smatch m;
    const std::regex pattern("data-tile=\"" + id + "\"><div class=\"value\">(\\d+)<");
    REQUIRE(std::regex_search(dom, m, pattern));
    return std::stoi(m[1]);
}

// The certificate records of the certificates table in DOM order: sha256 and whether the filter hid them.
std::vector<std::pair<std::string, bool>> certificate_rows(const std::string& dom) {
    std::vector<std::pair<std::string, bool>> rows;
    const std::regex record("<tbody class=\"record\" id=\"cert-([0-9a-f]{64})\"( hidden=\"\")?>");
    for (auto it = std::sregex_iterator(dom.begin(), dom.end(), record); it != std::sregex_iterator(); ++it)
        rows.emplace_back((*it)[1], (*it)[2].matched);
    return rows;
}

std::vector<std::string> visible_certificates(const std::string& dom) {
    std::vector<std::string> visible;
    for (const auto& [sha256, hidden] : certificate_rows(dom))
        if (!hidden) visible.push_back(sha256);
    return visible;
}

// A fleet with one of everything the page shows: a hostile subject and file name, a certificate expiring within
// 30 days, an expired one, self-signed leaves, a certificate and key copied to two places, a trust store, and a
// migration rule tracked over two scans.
struct HtmlFleet {
    TempDir dir;
    TestChain chain = make_chain("shop.example");
    TestCert other_root = TestCert::make({.subject_cn = "Other Root CA", .not_after_days = 3650, .is_ca = true,
                                          .key_usage = "critical,keyCertSign,cRLSign"},
                                         TestKey::shared({}, 8));
    TestCert hostile = TestCert::make({.subject_cn = kHostileCommonName, .subject_o = kHostileOrganization,
                                       .not_after_days = 200},
                                      TestKey::shared({}, 9));
    TestCert expiring = TestCert::make({.subject_cn = "soon.internal", .dns_names = {"soon.internal"}, .not_after_days = 10},
                                       TestKey::shared({}, 10), &chain.intermediate, &chain.intermediate_key);
    TestCert expired = TestCert::make({.subject_cn = "old.internal", .not_before_days = -400, .not_after_days = -5},
                                      TestKey::shared({}, 11));
    std::string db = (dir / "inventory.db").string();
    fs::path tree = dir / "tree";
    std::string rules = (dir / "rules.yaml").string();
    std::string html = (dir / "report.html").string();

    HtmlFleet() {
        write_file(tree / "app/fullchain.pem", chain.leaf.pem() + chain.intermediate.pem());
        write_file(tree / "app/server.key", chain.leaf_key.pkcs8_pem());
        write_file(tree / "app2/fullchain.pem", chain.leaf.pem() + chain.intermediate.pem());
        write_file(tree / "app2/server.key", chain.leaf_key.pkcs8_pem());
        write_file(tree / "soon/cert.pem", expiring.pem());
        write_file(tree / "legacy/old.pem", expired.pem());
        write_file(tree / "hostile" / kHostileFileName, hostile.pem());
        write_file(tree / "truststore/roots.pem", chain.root.pem() + other_root.pem());
        write_file(rules, "rules:\n"
                          "  - id: move-to-other-root\n"
                          "    description: Services under app* chain to the Other Root CA\n"
                          "    severity: medium\n"
                          "    match: {leaf: true}\n"
                          "    scope: {path: '*/tree/app*'}\n"
                          "    deadline: 2099-03-31\n"
                          "    replace_with: 'CN=Other Root CA*'\n");
        for (int scan = 0; scan < 2; ++scan) {
            const auto r = run_certfleet(db, {"scan", "--files", tree.string(), "--no-progress"});
            INFO(r.err);
            REQUIRE(r.exit_code == 0);
        }
        const auto r = run_certfleet(db, {"report", "--format", "html", "--rules", rules, "-o", html});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }

    json report_json() const {
        const auto r = run_certfleet(db, {"report", "--format", "json"});
        REQUIRE(r.exit_code == 0);
        return json::parse(r.out);
    }
    std::string url(const std::string& fragment = "") const { return "file://" + html + fragment; }
};

}  // namespace

TEST_CASE("e2e: the HTML report is one self-contained page that escapes what certificates say", "[e2e][html]") {
    HtmlFleet fleet;
    const std::string page = to_string(read_file(fleet.html));
    // Nothing to fetch: no address of any kind, and the policy forbids every source but the page's own blocks.
    CHECK(page.find("://") == std::string::npos);
    CHECK_THAT(page, Catch::Contains("default-src 'none'"));
    CHECK(occurrences(page, "<script") == 1);
    CHECK(occurrences(page, "<style") == 1);
    const auto script = page.substr(page.find("<script>"));
    CHECK(script.find("alert") == std::string::npos);
    CHECK_THAT(page, Catch::Contains(kEscapedCommonName) && Catch::Contains(kEscapedOrganization) &&
                         Catch::Contains(kEscapedFileName));
}

TEST_CASE("e2e: the HTML report in headless Chromium: counts, escaping, sorting, filtering, screenshot", "[e2e][html]") {
    if (!has_chromium()) {
        WARN("chromium is not installed (scripts/install-deps installs it): the browser test is skipped");
        return;
    }
    HtmlFleet fleet;
    const json doc = fleet.report_json();

    SECTION("the summary tiles count what the JSON report lists") {
        const std::string dom = dump_dom(fleet.url());
        CHECK(tile(dom, "certificates") == 7);
        CHECK(tile(dom, "certificates") == static_cast<int>(doc["certificates"].size()));
        CHECK(tile(dom, "endpoints") == 0);
        CHECK(tile(dom, "self-signed-leaves") == 2);  // the hostile one and the expired one
        CHECK(tile(dom, "expiring") == 1);
        CHECK(tile(dom, "expired") == 1);
        std::map<std::string, int> by_severity;
        for (const auto& f : doc["findings"]) ++by_severity[f["severity"].get<std::string>()];
        CHECK(by_severity["critical"] >= 1);
        for (const char* severity : {"critical", "high", "medium", "low", "info"})
            CHECK(tile(dom, std::string("findings-") + severity) == by_severity[severity]);
        CHECK_THAT(dom, Catch::Contains("data-week=\"expired\" data-count=\"1\""));
        CHECK_THAT(dom, Catch::Contains("data-week=\"1\" data-count=\"1\""));  // expiring in 10 days
        // The burn-down of the migration rule over the two scans, and the blast radius of the copied leaf.
        CHECK_THAT(dom, Catch::Contains("move-to-other-root") && Catch::Contains("<g class=\"unmet\"><polyline"));
        // Drawn by date to the deadline, with what is left to move.
        CHECK_THAT(dom, Catch::Contains("deadline 2099-03-31") && Catch::Contains("<g class=\"exempt\"><polyline"));
        CHECK_THAT(dom, Catch::Contains("Still to move ("));
        CHECK_THAT(dom, Catch::Contains("<section id=\"endpoints\">") && Catch::Contains("<section id=\"coverage\">"));
        CHECK_THAT(dom, Catch::Contains("id=\"shared-" + fleet.chain.leaf.sha256() + "\""));
        CHECK_THAT(dom, Catch::Contains("id=\"key-" + fleet.chain.leaf_key.spki_sha256() + "\""));
        CHECK_THAT(dom, Catch::Contains("<table class=\"data\" id=\"stores\""));
        // Every certificate row has details to expand, closed until asked.
        CHECK(occurrences(dom, "<tr class=\"details\" hidden=\"\">") >= 7);
        CHECK_THAT(dom, Catch::Contains("data-shown=\"certs\">7 of 7 shown"));
    }

    SECTION("a hostile subject and file name are text, never markup") {
        const std::string dom = dump_dom(fleet.url());
        CHECK_THAT(dom, Catch::Contains(kEscapedCommonName));
        CHECK_THAT(dom, Catch::Contains(kEscapedOrganization));
        CHECK_THAT(dom, Catch::Contains(kEscapedFileName));
        CHECK(occurrences(dom, "<script") == 1);  // the page's own
        CHECK(dom.find("<img") == std::string::npos);
        CHECK(dom.find("<svg onload") == std::string::npos);
    }

    SECTION("the fragment sorts a column, in the order of days left") {
        const std::string dom = dump_dom(fleet.url("#sort=certs:-days"));
        CHECK_THAT(dom, Catch::Contains("data-key=\"days\" aria-sort=\"descending\""));
        std::vector<std::pair<std::int64_t, std::string>> by_days;
        for (const auto& c : doc["certificates"]) by_days.emplace_back(c["days_left"], c["sha256"]);
        std::stable_sort(by_days.begin(), by_days.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
        const auto rows = certificate_rows(dom);
        REQUIRE(rows.size() == by_days.size());
        for (std::size_t i = 0; i < rows.size(); ++i) CHECK(rows[i].first == by_days[i].second);
        CHECK(rows.back().first == fleet.expired.sha256());
    }

    SECTION("the fragment filters a table, matching text inside the details too") {
        const std::string by_subject = dump_dom(fleet.url("#filter=certs:soon.internal"));
        CHECK(visible_certificates(by_subject) == std::vector<std::string>{fleet.expiring.sha256()});
        CHECK(certificate_rows(by_subject).size() == 7);
        CHECK_THAT(by_subject, Catch::Contains("data-shown=\"certs\">1 of 7 shown"));

        // app2/ is only in the copied leaf's and the intermediate's locations, which are in the details row.
        const std::string by_path = dump_dom(fleet.url("#filter=certs:%2Fapp2%2F&sort=certs:subject"));
        auto visible = visible_certificates(by_path);
        std::sort(visible.begin(), visible.end());
        auto expected = std::vector<std::string>{fleet.chain.leaf.sha256(), fleet.chain.intermediate.sha256()};
        std::sort(expected.begin(), expected.end());
        CHECK(visible == expected);
    }

    SECTION("screenshots of the page, wide and narrow, are kept in the build directory") {
        for (const int width : {1400, 800}) {
            INFO(width);
            const fs::path screenshot =
                fs::path(CERTFLEET_TEST_ARTIFACTS_DIR) / ("html-report-" + std::to_string(width) + ".png");
            fs::remove(screenshot);
            const auto r = run_chromium(fleet.url(), {"--screenshot=" + screenshot.string(),
                                                      "--window-size=" + std::to_string(width) + ",2000",
                                                      "--hide-scrollbars"});
            INFO(r.err);
            REQUIRE_FALSE(r.timed_out);
            REQUIRE(r.exit_code == 0);
            REQUIRE(fs::exists(screenshot));
            const Bytes png = read_file(screenshot);
            REQUIRE(png.size() > 10'000);
            CHECK(to_string(Bytes(png.begin(), png.begin() + 8)) == "\x89PNG\r\n\x1a\n");
        }
    }
}
