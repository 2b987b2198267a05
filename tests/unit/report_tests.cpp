#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/certificate.hpp"
#include "core/encoding.hpp"
#include "report/report.hpp"
#include "tests/support/cert_factory.hpp"

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
    const report::ReportModel model{contents, std::move(reused_keys), std::move(anchors)};
    report::make_report_writer(format)->write(model, report::ReportContext{now_utc()}, out);
    return out.str();
}

}  // namespace

TEST_CASE("report: the JSON document follows schema 1", "[report]") {
    const auto contents = sample_contents();
    const auto doc = nlohmann::json::parse(render("json", contents));
    CHECK(doc["schema"] == 1);
    CHECK(doc["generated_at"].get<std::string>().ends_with("Z"));
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
          nlohmann::json({{"kind", "file"}, {"path", "/srv/copy.p12"}, {"format", "pkcs12"}, {"index", 1}}));
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
                                                    {"missing_from", {"/srv/truststore.pem"}}}}));

    const std::string table = render("table", contents, {reused}, {anchor});
    CHECK(table.find("Reused keys: 1") != std::string::npos);
    CHECK(table.find("2 certificates, 2 key files") != std::string::npos);
    CHECK(table.find("Trust anchors: 1") != std::string::npos);
    CHECK(table.find("1 store, issues 3 live, missing from 1 store") != std::string::npos);
    CHECK(render("table", contents).find("Reused keys") == std::string::npos);
    CHECK(nlohmann::json::parse(render("json", contents))["anchors"] == nlohmann::json::array());
}

TEST_CASE("report: JSON survives file names that are not UTF-8", "[report]") {
    auto contents = sample_contents();
    contents.certificates[0].sightings[0].location.path = "/srv/\xff\xfe.pem";
    CHECK_NOTHROW(nlohmann::json::parse(render("json", contents)));
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
