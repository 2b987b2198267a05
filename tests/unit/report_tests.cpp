#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <utility>

#include "core/certificate.hpp"
#include "core/encoding.hpp"
#include "report/check_report.hpp"
#include "report/model_support.hpp"
#include "report/report.hpp"
#include "testkit/cert_factory.hpp"

using namespace certfleet;
using namespace certfleet::testing;

namespace {

inventory::ScanContents sample_contents() {
    inventory::ScanContents contents;
    contents.scan = inventory::ScanRecord{.id = 7,
                                          .kind = "files",
                                          .status = inventory::ScanStatus::complete,
                                          .started_at = 1'700'000'000,
                                          .finished_at = 1'700'000'060,
                                          .parameters_json = R"({"files":["/srv"]})",
                                          .counts = {.files_walked = 12, .certificates_seen = 3, .keys_seen = 1, .errors = 1}};
    const auto key = TestKey::shared();
    const auto expired = TestCert::make({.subject_cn = "expired.example with a very long common name indeed",
                                         .dns_names = {"expired.example"},
                                         .not_before_days = -100,
                                         .not_after_days = -2},
                                        key);
    const auto ca = make_chain().root;
    contents.certificates.push_back(
        {describe_certificate(expired.der),
         {{FileLocation{"/srv/a/very/long/directory/structure/that/goes/on/and/on/expired.pem", SourceFormat::pem, 0}},
          {FileLocation{"/srv/copy.p12", SourceFormat::pkcs12, 1}}}});
    contents.certificates.push_back({describe_certificate(ca.der), {{FileLocation{"/srv/ca.der", SourceFormat::der, 0}}}});
    contents.keys.push_back(inventory::StoredKey{key.spki_sha256(), KeyState::readable,
                                                 {FileLocation{"/srv/key.pem", SourceFormat::pem, 0},
                                                  FileLocation{"/srv/copy.p12", SourceFormat::pkcs12, 0}}});
    contents.events.push_back(ScanEvent{"/srv/huge.bin", "too_large", "20971520 bytes", EventLevel::error});
    contents.events.push_back(ScanEvent{"/srv/store.jks", "integrity_unverified", "no password", EventLevel::note});
    return contents;
}

std::string render(const std::string& format, const inventory::ScanContents& contents,
                   std::vector<inventory::ReusedKey> reused_keys = {},
                   std::vector<inventory::AnchorSummary> anchors = {}) {
    std::ostringstream out;
    report::ReportModel model;
    model.contents = contents;
    model.reused_keys = std::move(reused_keys);
    model.anchors = std::move(anchors);
    report::make_report_writer(format)->write(model, report::ReportContext{now_utc()}, out);
    return out.str();
}

}  // namespace

TEST_CASE("report: the JSON document follows schema 1", "[report]") {
    const auto contents = sample_contents();
    const auto doc = nlohmann::json::parse(render("json", contents));
    CHECK(doc["schema"] == 1);
    CHECK(doc["generated_at"].get<std::string>().ends_with("Z"));
    CHECK(doc["scope"] == "scan");
    CHECK(doc["scan"]["id"] == 7);
    CHECK(doc["scan"]["started_at"] == "2023-11-14T22:13:20Z");
    CHECK(doc["scan"]["finished_at"] == "2023-11-14T22:14:20Z");
    CHECK(doc["scan"]["files_walked"] == 12);
    CHECK(doc["scan"]["distinct_certificates"] == 2);
    CHECK(doc["scan"]["parameters"]["files"][0] == "/srv");

    const auto& cert = doc["certificates"][0];
    const auto& model = contents.certificates[0].cert;
    for (const char* field : {"sha256", "spki_sha256", "subject", "issuer", "serial", "not_before", "not_after",
                              "days_left", "expired", "self_signed", "is_ca", "key_type", "key_bits",
                              "signature_algorithm", "dns_names", "ip_addresses", "sightings"})
        CHECK(cert.contains(field));
    CHECK(cert["sha256"] == model.sha256);
    CHECK(cert["not_after"] == format_rfc3339(model.not_after));
    CHECK(cert["expired"] == true);
    CHECK(cert["days_left"].get<int>() <= -2);
    CHECK(cert["self_signed"] == true);
    CHECK(cert["dns_names"] == nlohmann::json::array({"expired.example"}));
    CHECK(cert["sightings"][1] ==
          nlohmann::json({{"kind", "file"}, {"path", "/srv/copy.p12"}, {"host", ""}, {"format", "pkcs12"},
                          {"index", 1}, {"system_store", false}, {"with_private_key", false},
                          {"labels", nlohmann::json::object()}}));
    CHECK(doc["certificates"][1]["is_ca"] == true);
    CHECK(doc["keys"][0]["paths"] == nlohmann::json::array({"/srv/key.pem", "/srv/copy.p12"}));
    CHECK(doc["errors"] == nlohmann::json::array({{{"location", "/srv/huge.bin"}, {"reason", "too_large"},
                                                    {"detail", "20971520 bytes"}}}));
    CHECK(doc["notes"].size() == 1);
    CHECK(doc["findings"] == nlohmann::json::array());
}

TEST_CASE("report: reused keys and trust anchors of the scan, in JSON and in the table", "[report]") {
    const auto contents = sample_contents();
    const auto& expired = contents.certificates[0].cert;
    const auto& ca = contents.certificates[1].cert;
    inventory::ReusedKey reused{expired.spki_sha256,
                                {inventory::CertificateSummary{expired}, inventory::CertificateSummary{ca}},
                                {inventory::Place{.path = "/srv/key.pem"}, inventory::Place{.path = "/srv/key-copy.pem"}}};
    inventory::AnchorSummary anchor{.summary = {ca},
                                    .stores = {"/srv/ca.der"},
                                    .missing_from = {"/srv/truststore.pem"},
                                    .issues_live = 3};
    const auto doc = nlohmann::json::parse(render("json", contents, {reused}, {anchor}));
    CHECK(doc["keys"].size() == 1);  // the scan's key sightings stay as they were
    CHECK(doc["reused_keys"] == nlohmann::json::array({{{"spki_sha256", expired.spki_sha256},
                                                        {"certificates", {expired.sha256, ca.sha256}},
                                                        {"key_files", {{{"path", "/srv/key.pem"}, {"format", "pem"}},
                                                                       {{"path", "/srv/key-copy.pem"}, {"format", "pem"}}}}}}));
    CHECK(doc["anchors"] == nlohmann::json::array({{{"sha256", ca.sha256},
                                                    {"subject", ca.subject},
                                                    {"not_after", format_rfc3339(ca.not_after)},
                                                    {"stores", {"/srv/ca.der"}},
                                                    {"issues_live", 3},
                                                    {"pinned_leaf", false},
                                                    {"stale", false},
                                                    {"missing_from", {"/srv/truststore.pem"}},
                                                    {"system_store", false}}}));

    const std::string table = render("table", contents, {reused}, {anchor});
    CHECK(table.find("Reused keys: 1") != std::string::npos);
    CHECK(table.find("2 certificates, 2 key files") != std::string::npos);
    CHECK(table.find("Trust anchors: 1") != std::string::npos);
    CHECK(table.find("1 store, issues 3 live, missing from 1 store") != std::string::npos);
    CHECK(render("table", contents).find("Reused keys") == std::string::npos);
    CHECK(nlohmann::json::parse(render("json", contents))["anchors"] == nlohmann::json::array());
}

TEST_CASE("report: findings grouped by rule, each rule's message once and each place once", "[report]") {
    const auto finding = [](const std::string& rule, Severity severity, const std::string& location,
                            const std::string& message) {
        return Finding{.rule_id = rule, .severity = severity, .location = location, .message = message};
    };
    const std::string advice = "Expired anchor. Replace it.";
    const auto groups = report::findings_by_rule({
        finding("expired-trust-anchor", Severity::high, "/srv/a.pem", advice),
        finding("expired-trust-anchor", Severity::high, "/srv/b.pem", advice + " (exemption at r.yaml:3:7 expired)"),
        finding("expired-system-trust-anchor", Severity::info, "/etc/ssl/certs/ca-certificates.crt", "Old root."),
        finding("expired-trust-anchor", Severity::high, "/srv/a.pem", advice),
        finding("expired-system-trust-anchor", Severity::info, "/etc/ssl/certs/ca-certificates.crt", "Old root."),
    });
    REQUIRE(groups.size() == 2);
    CHECK(groups[0].rule_id == "expired-trust-anchor");
    CHECK(groups[0].count == 3);
    CHECK(groups[0].message == advice);
    REQUIRE(groups[0].places.size() == 2);
    CHECK(groups[0].places[0].remark() == " (2 certificates)");
    CHECK(groups[0].places[1].remark() == " (exemption at r.yaml:3:7 expired)");
    CHECK(groups[1].places.size() == 1);
    CHECK(groups[1].severity == Severity::info);
}

TEST_CASE("report: the table counts anchors only in system stores in one line after the user's own", "[report]") {
    auto contents = sample_contents();
    const auto root = TestCert::make({.subject_cn = "Distribution Root", .not_after_days = -3, .is_ca = true},
                                     TestKey::shared({}, 2));
    inventory::StoredCertificate distribution{describe_certificate(root.der), {}};
    for (const char* path : {"/etc/ssl/certs/ca-certificates.crt", "/usr/share/ca-certificates/mozilla/Root.crt"})
        distribution.sightings.push_back({FileLocation{path, SourceFormat::pem, 0}, true, false});
    CHECK(report::only_in_system_stores(distribution));
    contents.certificates.insert(contents.certificates.begin(), distribution);
    CHECK_FALSE(report::only_in_system_stores(contents.certificates[1]));

    const std::string table = render("table", contents);
    CHECK(table.find("Distribution Root") == std::string::npos);
    CHECK(table.find("expired.example") != std::string::npos);
    CHECK(table.find("+ 1 anchor only in system trust stores (1 expired), not listed") != std::string::npos);
    CHECK(table.find("+ 1 anchor") > table.find("expired.example"));
}

TEST_CASE("report: JSON keeps the exact bytes of file names that are not UTF-8", "[report][escaping]") {
    auto contents = sample_contents();
    const std::string name = "/srv/\xff\xfe\x1b[2J.pem";
    contents.certificates[0].sightings[0].location.path = name;
    contents.keys[0].locations[1].path = name;
    contents.events[0].location = name;
    const std::string text = render("json", contents);
    const auto doc = nlohmann::json::parse(text);  // UTF-8, or this throws
    const auto exact = [](const nlohmann::json& base64) {
        const auto bytes = base64_decode(base64.get<std::string>());
        REQUIRE(bytes);
        return std::string(bytes->begin(), bytes->end());
    };
    const auto& sightings = doc["certificates"][0]["sightings"];
    CHECK(sightings[0]["path"] == "/srv/\xef\xbf\xbd\xef\xbf\xbd\x1b[2J.pem");  // U+FFFD for each byte
    CHECK(exact(sightings[0]["path_bytes"]) == name);
    CHECK_FALSE(sightings[1].contains("path_bytes"));  // a UTF-8 name is as it always was
    CHECK(exact(doc["keys"][0]["locations"][1]["path_bytes"]) == name);
    CHECK(doc["keys"][0]["paths_bytes"][0].is_null());
    CHECK(exact(doc["keys"][0]["paths_bytes"][1]) == name);
    CHECK(exact(doc["errors"][0]["location_bytes"]) == name);
    CHECK_FALSE(doc["notes"][0].contains("location_bytes"));
    CHECK(text.find('\x1b') == std::string::npos);  // JSON's own escape, \u001b, shows it
}

TEST_CASE("report: the table fits 80 columns and puts the most urgent first", "[report]") {
    const std::string table = render("table", sample_contents());
    std::istringstream lines(table);
    std::string line;
    std::vector<std::string> rows;
    while (std::getline(lines, line)) {
        std::size_t width = 0;
        for (unsigned char c : line) width += (c & 0xc0) != 0x80;
        INFO(line);
        CHECK(width <= 80);
        rows.push_back(line);
    }
    CHECK(table.find("DAYS") != std::string::npos);
    const auto expired_row = table.find("EXP SS");
    const auto ca_row = table.find("Test Root CA");
    REQUIRE(expired_row != std::string::npos);
    REQUIRE(ca_row != std::string::npos);
    CHECK(expired_row < ca_row);
    CHECK(table.find("expired.pem +1") != std::string::npos);  // the file name survives, the count of others shown
    CHECK(table.find("too_large") != std::string::npos);
    CHECK(table.find("Private keys: 1") != std::string::npos);
}

TEST_CASE("report: an empty scan says so", "[report]") {
    inventory::ScanContents contents;
    contents.scan.id = 1;
    contents.scan.kind = "files";
    CHECK(render("table", contents).find("No certificates found.") != std::string::npos);
    CHECK(nlohmann::json::parse(render("json", contents))["certificates"].empty());
    CHECK_FALSE(report::make_report_writer("xml"));
}

namespace {

// A certificate subject is attacker-controlled: quotes, backslashes, commas, a line break and a pipe.
constexpr const char* kHostileSubject = "CN=evil \"quoted\" back\\slash\nnext|line,O=x\r\ny";

inventory::ScanContents hostile_contents() {
    auto contents = sample_contents();
    contents.certificates[0].cert.subject = kHostileSubject;
    contents.certificates[0].cert.issuer = kHostileSubject;
    return contents;
}

struct Sample {
    std::string name;
    std::map<std::string, std::string> labels;
    std::string value;
};

// The text exposition format read back: "# HELP"/"# TYPE" before each family's samples, name{labels} value.
std::vector<Sample> parse_exposition(const std::string& text, std::set<std::string>& typed_families) {
    std::vector<Sample> samples;
    std::istringstream lines(text);
    std::string line, family;
    while (std::getline(lines, line)) {
        if (line.starts_with("# HELP ")) {
            family = line.substr(7, line.find(' ', 7) - 7);
            continue;
        }
        if (line.starts_with("# TYPE ")) {
            CHECK(line == "# TYPE " + family + " gauge");
            typed_families.insert(family);
            continue;
        }
        Sample sample;
        std::size_t i = line.find_first_of("{ ");
        REQUIRE(i != std::string::npos);
        sample.name = line.substr(0, i);
        CHECK(sample.name == family);  // every sample under its own family's HELP and TYPE
        if (line[i] == '{') {
            ++i;
            while (line[i] != '}') {
                const auto eq = line.find('=', i);
                const std::string label = line.substr(i, eq - i);
                REQUIRE(line[eq + 1] == '"');
                std::string value;
                for (i = eq + 2; line[i] != '"'; ++i) {
                    if (line[i] == '\\') {
                        ++i;
                        REQUIRE((line[i] == '\\' || line[i] == '"' || line[i] == 'n'));
                        value += line[i] == 'n' ? '\n' : line[i];
                    } else {
                        value += line[i];
                    }
                }
                CHECK_FALSE(sample.labels.contains(label));
                sample.labels[label] = value;
                ++i;
                if (line[i] == ',') ++i;
            }
            ++i;
        }
        REQUIRE(line[i] == ' ');
        sample.value = line.substr(i + 1);
        samples.push_back(sample);
    }
    return samples;
}

std::vector<Sample> samples_named(const std::vector<Sample>& samples, const std::string& name) {
    std::vector<Sample> out;
    std::copy_if(samples.begin(), samples.end(), std::back_inserter(out), [&](const Sample& s) { return s.name == name; });
    return out;
}

// RFC 4180 read back: quoted fields may hold commas, doubled quotes, CR and LF; records end with CRLF.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
    std::vector<std::vector<std::string>> records(1);
    std::string field;
    bool quoted = false, was_quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') field += text[i++];
            else if (c == '"') quoted = false;
            else field += c;
        } else if (c == '"') {
            REQUIRE(field.empty());
            quoted = was_quoted = true;
        } else if (c == ',') {
            records.back().push_back(std::exchange(field, ""));
            was_quoted = false;
        } else if (c == '\r') {
            REQUIRE(text.at(i + 1) == '\n');  // CRLF only
            records.back().push_back(std::exchange(field, ""));
            records.emplace_back();
            was_quoted = false;
            ++i;
        } else {
            REQUIRE(c != '\n');  // a bare LF outside quotes would be a broken record
            REQUIRE_FALSE(was_quoted);
            field += c;
        }
    }
    REQUIRE_FALSE(quoted);
    REQUIRE(records.back().empty());  // the last record ends with CRLF too
    records.pop_back();
    return records;
}

// A GitHub table row's cells: split on every `|` not escaped by a backslash.
std::vector<std::string> markdown_cells(const std::string& row) {
    std::vector<std::string> cells;
    std::string cell;
    for (std::size_t i = 1; i < row.size(); ++i) {
        if (row[i] == '\\' && i + 1 < row.size()) {
            cell += row.substr(i++, 2);
        } else if (row[i] == '|') {
            cells.push_back(std::exchange(cell, ""));
        } else {
            cell += row[i];
        }
    }
    return cells;
}

}  // namespace

TEST_CASE("report: Prometheus metrics read back with every series unique", "[report][prometheus]") {
    const auto contents = hostile_contents();
    const auto& expired = contents.certificates[0].cert;
    const auto& ca = contents.certificates[1].cert;
    inventory::ReusedKey reused{expired.spki_sha256, {{expired}, {ca}}, {inventory::Place{.path = "/srv/key.pem"}}};
    inventory::AnchorSummary anchor{.summary = {ca}, .stores = {"/srv/ca.der"}, .missing_from = {"/srv/trust.pem"},
                                    .issues_live = 3};
    std::set<std::string> families;
    const auto samples = parse_exposition(render("prometheus", contents, {reused}, {anchor}), families);

    std::set<std::pair<std::string, std::map<std::string, std::string>>> series;
    for (const auto& s : samples) {
        INFO(s.name);
        CHECK(series.emplace(s.name, s.labels).second);
        CHECK(families.contains(s.name));
        CHECK(s.value != "-1");  // unknowns are left out, never a sentinel
    }

    // One series per certificate and place: the expired one in two files, the CA in one.
    const auto not_after = samples_named(samples, "x509_cert_not_after");
    REQUIRE(not_after.size() == 3);
    CHECK(not_after[0].labels == std::map<std::string, std::string>{
                                     {"sha256", expired.sha256},
                                     {"kind", "file"},
                                     {"path", "/srv/a/very/long/directory/structure/that/goes/on/and/on/expired.pem"}});
    CHECK(not_after[0].value == std::to_string(expired.not_after));
    CHECK(not_after[1].labels.at("path") == "/srv/copy.p12");
    const auto expired_flags = samples_named(samples, "x509_cert_expired");
    CHECK(expired_flags[0].value == "1");  // kept although expired
    CHECK(expired_flags[2].value == "0");
    CHECK(samples_named(samples, "x509_cert_not_before")[2].value == std::to_string(ca.not_before));

    const auto info = samples_named(samples, "x509_cert_info");
    REQUIRE(info.size() == 2);
    CHECK(info[0].labels.at("subject_cn") == R"(evil "quoted" back\slash\nnext|line)");  // shown, escaped, read back
    CHECK(info[0].labels.at("issuer_cn") == info[0].labels.at("subject_cn"));
    CHECK(info[0].labels.at("role") == "leaf");
    CHECK(info[0].labels.at("self_signed") == "true");
    CHECK(info[0].labels.at("key_type") == "EC");
    CHECK(info[0].labels.at("key_bits") == "256");
    CHECK(info[0].labels.at("serial") == expired.serial);
    CHECK(info[1].labels.at("role") == "anchor");
    CHECK(info[1].labels.at("is_ca") == "true");
    CHECK(info[0].value == "1");

    CHECK(samples_named(samples, "x509_cert_locations")[0].value == "2");
    CHECK(samples_named(samples, "x509_key_reuse_certificates")[0].value == "2");
    CHECK(samples_named(samples, "x509_key_reuse_files")[0].labels.at("spki_sha256") == expired.spki_sha256);
    CHECK(samples_named(samples, "x509_trust_anchor_info")[0].labels ==
          std::map<std::string, std::string>{{"sha256", ca.sha256}, {"store", "/srv/ca.der"}});
    CHECK(samples_named(samples, "x509_trust_anchor_missing")[0].labels.at("store") == "/srv/trust.pem");
    CHECK(samples_named(samples, "x509_trust_anchor_issues_live")[0].value == "3");
    CHECK(samples_named(samples, "x509_read_errors")[0].value == "1");
    CHECK(samples_named(samples, "certfleet_scan_errors")[0].labels.at("reason") == "too_large");
    CHECK(samples_named(samples, "certfleet_findings").size() == 5);  // every severity, 0 included
    CHECK(samples_named(samples, "certfleet_scan_id")[0].value == "7");
    CHECK(samples_named(samples, "x509_scan_last_success_timestamp_seconds")[0].value == "1700000060");
    CHECK(samples_named(samples, "x509_endpoint_verified").empty());
}

TEST_CASE("report: Prometheus endpoint series, and no success time for a scan that did not complete",
          "[report][prometheus]") {
    auto contents = sample_contents();
    contents.scan.status = inventory::ScanStatus::interrupted;
    auto& cert = contents.certificates[1];
    // The same leaf at two addresses of one name is one place; a name-less probe of the address another.
    cert.endpoint_sightings = {{"shop.example", "192.0.2.7", 443, "shop.example", 0},
                               {"shop.example", "2001:db8::7", 443, "shop.example", 0},
                               {"192.0.2.7", "192.0.2.7", 443, "", 1}};
    EndpointFacts tls{.host = "shop.example", .address = "192.0.2.7", .port = 443, .server_name = "shop.example",
                      .status = EndpointStatus::tls, .verdict = {.verified = false, .name_check = NameCheck::matched}};
    EndpointFacts closed{.host = "192.0.2.8", .address = "192.0.2.8", .port = 443, .status = EndpointStatus::closed};
    contents.endpoints = {{tls, {cert.cert.sha256}}, {closed, {}}};
    std::set<std::string> families;
    const auto samples = parse_exposition(render("prometheus", contents), families);

    const auto not_after = samples_named(samples, "x509_cert_not_after");
    REQUIRE(not_after.size() == 5);  // the expired certificate's two files, then the CA's file and two endpoints
    CHECK(not_after[3].labels == std::map<std::string, std::string>{{"sha256", cert.cert.sha256},
                                                                    {"kind", "endpoint"},
                                                                    {"host", "shop.example"},
                                                                    {"port", "443"},
                                                                    {"sni", "shop.example"}});
    CHECK(not_after[4].labels == std::map<std::string, std::string>{
                                     {"sha256", cert.cert.sha256}, {"kind", "endpoint"}, {"host", "192.0.2.7"}, {"port", "443"}});
    CHECK(samples_named(samples, "x509_cert_locations")[1].value == "3");
    const auto verified = samples_named(samples, "x509_endpoint_verified");
    REQUIRE(verified.size() == 1);  // the closed port has no verdict to report
    CHECK(verified[0].value == "0");
    CHECK(verified[0].labels.at("sni") == "shop.example");
    CHECK(samples_named(samples, "x509_endpoint_hostname_match")[0].value == "1");
    for (const auto& s : samples_named(samples, "certfleet_endpoints"))
        CHECK(s.value == (s.labels.at("status") == "tls" || s.labels.at("status") == "closed" ? "1" : "0"));
    CHECK(samples_named(samples, "x509_scan_last_success_timestamp_seconds").empty());
    CHECK(families.contains("x509_scan_last_success_timestamp_seconds"));
}

TEST_CASE("report: CSV is RFC 4180 and a hostile subject stays in its field, on one line", "[report][csv]") {
    const auto contents = hostile_contents();
    const inventory::AnchorSummary anchor{.summary = {contents.certificates[1].cert}, .stores = {"/srv/ca.der"}};
    const std::string text = render("csv", contents, {}, {anchor});
    const auto records = parse_csv(text);
    REQUIRE(records.size() == 4);  // header, the expired certificate in two files, the CA in one
    const auto& header = records[0];
    for (const auto& r : records) CHECK(r.size() == header.size());
    const auto column = [&](const std::string& name) {
        const auto it = std::find(header.begin(), header.end(), name);
        REQUIRE(it != header.end());
        return static_cast<std::size_t>(it - header.begin());
    };
    CHECK(records[1][column("subject")] == R"(CN=evil "quoted" back\slash\nnext|line,O=x\r\ny)");
    CHECK(records[1][column("issuer")] == records[1][column("subject")]);
    CHECK(std::count(text.begin(), text.end(), '\n') == 4);  // one line per record
    CHECK(records[1][column("sha256")] == contents.certificates[0].cert.sha256);
    CHECK(records[1][column("expired")] == "true");
    CHECK(records[2][column("path")] == "/srv/copy.p12");
    CHECK(records[2][column("format")] == "pkcs12");
    CHECK(records[2][column("position")] == "1");
    CHECK(records[2][column("place_kind")] == "file");
    CHECK(records[2][column("port")].empty());
    CHECK(records[2][column("trust_anchor")] == "false");
    CHECK(records[3][column("trust_anchor")] == "true");
    CHECK(records[3][column("is_ca")] == "true");
    CHECK(records[3][column("not_after")] == format_rfc3339(contents.certificates[1].cert.not_after));
}

TEST_CASE("report: Markdown tables keep their shape with a hostile subject", "[report][markdown]") {
    auto contents = hostile_contents();
    contents.findings.push_back({.rule_id = "expired", .severity = Severity::critical, .sha256 = contents.certificates[0].cert.sha256,
                                 .location = "/srv/a|b.pem", .message = "Certificate has expired.\nReplace it."});
    const std::string text = render("markdown", contents);
    CHECK(text.find("## Summary") != std::string::npos);
    CHECK(text.find("## Certificates") != std::string::npos);
    CHECK(text.find("## Findings") != std::string::npos);
    CHECK(text.find("<script") == std::string::npos);

    std::istringstream lines(text);
    std::string line;
    std::size_t columns = 0, certificate_rows = 0;
    std::vector<std::vector<std::string>> rows;
    while (std::getline(lines, line)) {
        if (!line.starts_with("|")) {
            columns = 0;  // a table ends at the first line that is not a row
            continue;
        }
        const auto cells = markdown_cells(line);
        if (columns == 0) columns = cells.size();  // the header row sets the count
        INFO(line);
        CHECK(cells.size() == columns);
        rows.push_back(cells);
        certificate_rows += line.find("evil") != std::string::npos;
    }
    CHECK(certificate_rows == 1);
    const auto hostile = std::find_if(rows.begin(), rows.end(), [](const auto& r) { return r.size() == 7 && r[2].find("evil") != std::string::npos; });
    REQUIRE(hostile != rows.end());
    CHECK((*hostile)[2] == R"( CN=evil "quoted" back\\slash\\nnext\|line,O=x\\r\\ny )");
    const auto finding = std::find_if(rows.begin(), rows.end(), [](const auto& r) { return r.size() == 4 && r[0] == " critical "; });
    REQUIRE(finding != rows.end());
    CHECK((*finding)[2] == R"( /srv/a\|b.pem )");
}

TEST_CASE("report: check's Nagios text keeps each finding on its lines whatever the file is named", "[report][escaping]") {
    rules::CheckResult result;
    result.status = rules::CheckStatus::critical;
    result.critical = 1;
    const std::string name = "/srv/ansi\x1b]0;PWNED\a\x1b[2J\nCERTFLEET OK - forged\xff.pem";
    result.evaluation.findings.push_back({.rule_id = "expired", .severity = Severity::critical,
                                          .sha256 = std::string(64, 'a'), .subject = "CN=x", .location = name,
                                          .message = "Certificate has expired."});
    result.evaluation.notes.push_back("exemption for " + name + " expired");
    std::ostringstream text;
    report::write_check_text(result, {}, text);
    const std::string out = text.str();
    INFO(out);
    // The status line, the rule and what it says, the place and its certificate (too wide for one line), the note
    // (wrapped in two).
    CHECK(std::count(out.begin(), out.end(), '\n') == 6);
    CHECK(out.find('\x1b') == std::string::npos);
    CHECK(out.find('\a') == std::string::npos);
    CHECK(out.find("\ncritical expired: Certificate has expired.\n") != std::string::npos);
    CHECK(out.find(R"(  /srv/ansi\x1b]0;PWNED\x07\x1b[2J\nCERTFLEET OK - forged\xff.pem)") != std::string::npos);
    CHECK(out.find("\nCERTFLEET OK") == std::string::npos);

    std::ostringstream json;
    report::write_check_json(result, {}, json);  // threw on the byte that is not UTF-8
    const auto doc = nlohmann::json::parse(json.str());
    const auto bytes = base64_decode(doc["findings"][0]["location_bytes"].get<std::string>());
    REQUIRE(bytes);
    CHECK(std::string(bytes->begin(), bytes->end()) == name);
}

TEST_CASE("report: progress shows a regressed place on its own line whatever it is named", "[report][escaping]") {
    rules::Rule rule{.id = "move-to-internal-ca", .description = "Replace the public CA.", .deadline = 1'900'000'000};
    const std::string place = "/srv/ansi\x1b[2J\nregressed: /forged.pem (met before, unmet now)\xff";
    rules::MigrationHistory history{&rule, {{.scan = 3, .at = 1'700'000'000, .regressed = {place}}}};
    std::ostringstream table;
    report::write_progress_table({history}, table);
    const std::string out = table.str();
    INFO(out);
    CHECK(out.find('\x1b') == std::string::npos);
    std::istringstream lines(out);
    std::string line;
    std::size_t regressed = 0;
    while (std::getline(lines, line)) regressed += line.find("regressed:") != std::string::npos;
    CHECK(regressed == 1);
    CHECK(out.find(R"(regressed: /srv/ansi\x1b[2J\nregressed: /forged.pem (met before, unmet now)\xff (met)") !=
          std::string::npos);

    std::ostringstream json;
    report::write_progress_json({history}, json);  // threw on the byte that is not UTF-8
    const auto doc = nlohmann::json::parse(json.str());
    const auto bytes =
        base64_decode(doc["migrations"][0]["history"][0]["regressed_bytes"][0].get<std::string>());
    REQUIRE(bytes);
    CHECK(std::string(bytes->begin(), bytes->end()) == place);
}
