// End-to-end: build a tree of every supported format and every bad input at test time, run the real binary
// over it, and check the JSON report field by field.
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "core/encoding.hpp"
#include "tests/e2e/certfleet_binary.hpp"
#include "tests/e2e/silent_listener.hpp"
#include "testkit/cert_factory.hpp"
#include "testkit/keystore_writer.hpp"
#include "testkit/process.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

json report_json(const std::string& db, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"report", "--format", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = run_certfleet(db, args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return json::parse(r.out);
}

const json* find_cert(const json& doc, const std::string& sha256) {
    for (const auto& c : doc["certificates"])
        if (c["sha256"] == sha256) return &c;
    return nullptr;
}

std::set<std::string> sightings_of(const json& cert) {
    std::set<std::string> out;
    for (const auto& s : cert["sightings"])
        out.insert(s["path"].get<std::string>() + "|" + s["format"].get<std::string>() + "|" +
                   std::to_string(s["index"].get<int>()));
    return out;
}

std::string error_reason(const json& doc, const std::string& path_suffix) {
    for (const auto& e : doc["errors"])
        if (e["location"].get<std::string>().ends_with(path_suffix)) return e["reason"];
    return "(none)";
}

bool has_keytool() { return std::system("command -v keytool >/dev/null 2>&1") == 0; }

// The fleet every end-to-end test scans.
struct Fleet {
    TempDir dir;
    TestChain chain = make_chain("shop.example");
    TestKey self_key = TestKey::shared({}, 4);
    TestCert self_signed = TestCert::make({.subject_cn = "legacy.internal", .dns_names = {"legacy.internal"},
                                           .not_before_days = -400, .not_after_days = 10},
                                          self_key);
    TestCert expired = TestCert::make({.subject_cn = "old.internal", .not_before_days = -500, .not_after_days = -5},
                                      TestKey::shared({}, 5));
    TestKey rsa_key = TestKey::shared({KeyKind::rsa, 2048});
    TestCert rsa_cert = TestCert::make({.subject_cn = "rsa.internal", .ip_addresses = {"10.20.0.7"}}, rsa_key);
    TestCert jks_cert = TestCert::make({.subject_cn = "java.internal"}, TestKey::shared({}, 6));
    TestCert k8s_cert = TestCert::make({.subject_cn = "ingress.k8s"}, TestKey::shared({}, 7));
    std::string db = (dir / "state/inventory.db").string();
    std::string tree = (dir / "tree").string();
    std::string passwords = (dir / "passwords.txt").string();

    Fleet() {
        fs::create_directories(dir / "state");
        const fs::path t = tree;
        write_file(t / "pem/bundle.pem", "subject=leaf\r\n" + chain.leaf.pem() + chain.intermediate.pem() + "trailer\n");
        write_file(t / "pem/self.crt", self_signed.pem());
        write_file(t / "pem/self-copy.crt", self_signed.pem());
        write_file(t / "pem/server.key", self_key.pkcs8_pem());
        write_file(t / "pem/locked.key", rsa_key.encrypted_pkcs8_pem("never-given"));
        write_file(t / "der/root.cer", chain.root.der);
        write_file(t / "der/chain.p7b", pkcs7_der({chain.intermediate, chain.root}));
        write_file(t / "p12/open.p12", pkcs12_der(&rsa_key, &rsa_cert, {}, ""));
        write_file(t / "p12/secret.pfx", pkcs12_der(&rsa_key, &rsa_cert, {chain.root}, "s3cret"));
        write_file(t / "p12/legacy.pfx", pkcs12_der(&rsa_key, &rsa_cert, {}, "s3cret", true));
        write_file(t / "p12/locked.p12", pkcs12_der(&rsa_key, &rsa_cert, {}, "unknown-password"));
        write_file(t / "java/truststore.jks", KeystoreWriter(KeystoreType::jks)
                                                  .add_trusted_cert("root", chain.root)
                                                  .add_private_key("app", {jks_cert, chain.root})
                                                  .build(u"changeit"));
        write_file(t / "java/keys.jceks", KeystoreWriter(KeystoreType::jceks)
                                              .add_trusted_cert("cert", jks_cert)
                                              .add_secret_key("aes")
                                              .build(u"changeit"));
        write_file(t / "k8s/secret.yaml", "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\ndata:\n  tls.crt: " +
                                              base64(k8s_cert.pem()) + "\n  ca.crt: " + base64(chain.root.pem()) + "\n");
        write_file(t / "k8s/kubeconfig", "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: " +
                                             base64(chain.root.pem()) + "\nusers:\n- user:\n    client-certificate-data: " +
                                             base64(k8s_cert.pem()) + "\n");
        write_file(t / "app/config.json", "{\"tls\": {\"cert\": \"" + base64(expired.der) + "\"}}");
        write_file(t / "bad/empty", "");
        write_file(t / "bad/garbage.bin", Bytes{0x30, 0x82, 0x10, 0x00, 0x30, 0x01, 0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa});
        std::string truncated = chain.leaf.pem();
        write_file(t / "bad/truncated.pem", truncated.substr(0, truncated.size() / 2));
        write_file(t / "bad/huge.pem", chain.leaf.pem() + std::string(70'000, '#'));
        REQUIRE(::mkfifo((t / "bad/fifo").c_str(), 0600) == 0);
        fs::create_directory_symlink(t / "bad", t / "bad/loop");
        write_file(passwords, "s3cret\r\nchangeit\n");
    }

    ProcessResult scan(std::vector<std::string> extra = {}) const {
        std::vector<std::string> args{"scan", "--files", tree, "--password-file", passwords, "--max-file-size", "64KiB",
                                      "--no-progress"};
        args.insert(args.end(), extra.begin(), extra.end());
        return run_certfleet(db, args);
    }
};

}  // namespace

TEST_CASE("e2e: scanning a tree of every format and bad input gives a complete, exact JSON report", "[e2e]") {
    Fleet fleet;
    const auto scan = fleet.scan();
    INFO(scan.err);
    REQUIRE(scan.exit_code == 0);
    CHECK(scan.err.find("scan 1 complete") != std::string::npos);

    struct stat st {};
    REQUIRE(::stat(fleet.db.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);

    const json doc = report_json(fleet.db);
    CHECK(doc["schema"] == 1);
    CHECK(doc["scan"]["id"] == 1);
    CHECK(doc["scan"]["status"] == "complete");
    const std::string t = fleet.tree;
    // The scan evaluated the built-in policy: the expired certificate is a critical finding, listed first.
    REQUIRE_FALSE(doc["findings"].empty());
    CHECK(doc["findings"][0]["rule_id"] == "expired");
    CHECK(doc["findings"][0]["severity"] == "critical");
    CHECK(doc["findings"][0]["location"] == t + "/app/config.json");

    SECTION("every certificate, at every location, with format and index") {
        const json* leaf = find_cert(doc, fleet.chain.leaf.sha256());
        REQUIRE(leaf);
        CHECK(sightings_of(*leaf) == std::set<std::string>{t + "/pem/bundle.pem|pem|0"});
        CHECK((*leaf)["subject"] == "CN=shop.example");
        CHECK((*leaf)["issuer"] == "CN=Test Intermediate CA,O=certfleet tests");
        CHECK((*leaf)["dns_names"] == json::array({"shop.example"}));
        CHECK((*leaf)["self_signed"] == false);
        CHECK((*leaf)["is_ca"] == false);
        CHECK((*leaf)["key_type"] == "EC");
        CHECK((*leaf)["key_bits"] == 256);
        CHECK((*leaf)["signature_algorithm"] == "ecdsa-with-SHA256");
        CHECK((*leaf)["spki_sha256"] == fleet.chain.leaf_key.spki_sha256());
        CHECK(((*leaf)["days_left"] == 89 || (*leaf)["days_left"] == 90));

        const json* intermediate = find_cert(doc, fleet.chain.intermediate.sha256());
        REQUIRE(intermediate);
        CHECK(sightings_of(*intermediate) ==
              std::set<std::string>{t + "/pem/bundle.pem|pem|1", t + "/der/chain.p7b|pkcs7|0"});

        const json* root = find_cert(doc, fleet.chain.root.sha256());
        REQUIRE(root);
        CHECK(sightings_of(*root) == std::set<std::string>{
                                         t + "/der/root.cer|der|0", t + "/der/chain.p7b|pkcs7|1",
                                         t + "/p12/secret.pfx|pkcs12|1", t + "/java/truststore.jks|jks|0",
                                         t + "/java/truststore.jks|jks|2", t + "/k8s/secret.yaml|k8s|1",
                                         t + "/k8s/kubeconfig|k8s|0"});
        CHECK((*root)["self_signed"] == true);
        CHECK((*root)["is_ca"] == true);

        CHECK((*root)["shared"]["locations"] == 6);  // a file holding it twice is one place
        CHECK((*root)["first_seen"] == doc["scan"]["started_at"]);
        CHECK((*root)["last_seen"] == doc["scan"]["started_at"]);

        const json* self = find_cert(doc, fleet.self_signed.sha256());
        REQUIRE(self);
        CHECK(sightings_of(*self) == std::set<std::string>{t + "/pem/self.crt|pem|0", t + "/pem/self-copy.crt|pem|0"});
        CHECK((*self)["self_signed"] == true);
        CHECK((*self)["is_ca"] == false);

        const json* rsa = find_cert(doc, fleet.rsa_cert.sha256());
        REQUIRE(rsa);
        CHECK(sightings_of(*rsa) == std::set<std::string>{t + "/p12/open.p12|pkcs12|0", t + "/p12/secret.pfx|pkcs12|0",
                                                          t + "/p12/legacy.pfx|pkcs12|0"});
        CHECK((*rsa)["key_type"] == "RSA");
        CHECK((*rsa)["key_bits"] == 2048);
        CHECK((*rsa)["ip_addresses"] == json::array({"10.20.0.7"}));

        const json* java = find_cert(doc, fleet.jks_cert.sha256());
        REQUIRE(java);
        CHECK(sightings_of(*java) == std::set<std::string>{t + "/java/truststore.jks|jks|1", t + "/java/keys.jceks|jceks|0"});

        const json* k8s = find_cert(doc, fleet.k8s_cert.sha256());
        REQUIRE(k8s);
        CHECK(sightings_of(*k8s) == std::set<std::string>{t + "/k8s/secret.yaml|k8s|0", t + "/k8s/kubeconfig|k8s|1"});

        const json* expired = find_cert(doc, fleet.expired.sha256());
        REQUIRE(expired);
        CHECK(sightings_of(*expired) == std::set<std::string>{t + "/app/config.json|embedded|0"});
        CHECK((*expired)["expired"] == true);
        CHECK((*expired)["days_left"].get<int>() < 0);

        CHECK(doc["certificates"].size() == 8);
        CHECK(doc["scan"]["distinct_certificates"] == 8);
    }

    SECTION("keys by fingerprint and path only") {
        std::map<std::string, std::set<std::string>> by_spki;
        for (const auto& k : doc["keys"]) {
            const std::string spki = k["spki_sha256"].is_null() ? "(unknown)" : k["spki_sha256"].get<std::string>();
            for (const auto& p : k["paths"]) by_spki[spki].insert(p);
        }
        CHECK(by_spki[fleet.self_key.spki_sha256()] == std::set<std::string>{t + "/pem/server.key"});
        CHECK(by_spki[fleet.rsa_key.spki_sha256()] ==
              std::set<std::string>{t + "/p12/open.p12", t + "/p12/secret.pfx", t + "/p12/legacy.pfx"});
        CHECK(by_spki[fleet.jks_cert.spki_sha256()] == std::set<std::string>{t + "/java/truststore.jks"});
        CHECK(by_spki["(unknown)"] == std::set<std::string>{t + "/pem/locked.key"});
    }

    SECTION("each bad input is an error naming the file and the reason") {
        CHECK(error_reason(doc, "/p12/locked.p12") == "locked");
        CHECK(error_reason(doc, "/bad/garbage.bin") == "truncated");
        CHECK(error_reason(doc, "/bad/truncated.pem") == "truncated_pem");
        CHECK(error_reason(doc, "/bad/huge.pem") == "too_large");
        CHECK(error_reason(doc, "/bad/fifo") == "not_regular_file");
        CHECK(error_reason(doc, "/bad/loop") == "directory_cycle");
        CHECK(error_reason(doc, "/bad/empty") == "(none)");
        bool secret_key_noted = false;
        for (const auto& n : doc["notes"])
            secret_key_noted |= n["location"] == t + "/java/keys.jceks" && n["reason"] == "jceks_secret_key_skipped";
        CHECK(secret_key_noted);
        CHECK(doc["scan"]["errors"] == doc["errors"].size());
    }

    SECTION("no private key material anywhere: database, report or output") {
        const std::string database = to_string(read_file(fleet.db)) + to_string(read_file(fleet.db + "-wal"));
        const std::string table = run_certfleet(fleet.db, {"report"}).out;
        for (const auto* key : {&fleet.self_key, &fleet.rsa_key}) {
            const std::string pem = key->pkcs8_pem();
            const std::string body_line = pem.substr(pem.find('\n') + 1, 64);
            const std::string secret = to_string(key->private_component());
            CHECK(database.find(body_line) == std::string::npos);
            CHECK(database.find(secret) == std::string::npos);
            CHECK(doc.dump().find(body_line) == std::string::npos);
            CHECK(table.find(body_line) == std::string::npos);
        }
    }
}

TEST_CASE("e2e: the table report and the command line contract", "[e2e]") {
    Fleet fleet;
    REQUIRE(fleet.scan().exit_code == 0);

    const auto table = run_certfleet(fleet.db, {"report", "--format", "table"});
    CHECK(table.exit_code == 0);
    CHECK(table.out.find("shop.example") != std::string::npos);
    CHECK(table.out.find("legacy.internal") != std::string::npos);
    std::istringstream lines(table.out);
    for (std::string line; std::getline(lines, line);) {
        INFO(line);
        CHECK(line.size() <= 80);
    }

    const auto to_file = run_certfleet(fleet.db, {"report", "--format", "json", "-o", (fleet.dir / "out.json").string()});
    CHECK(to_file.exit_code == 0);
    CHECK(json::parse(to_string(read_file(fleet.dir / "out.json")))["schema"] == 1);

    const std::string version = run_process({kBinary, "--version"}).out;
    CHECK(version.find("certfleet ") == 0);
    for (const char* library : {"\nOpenSSL 3.", "\nBoost 1.", "\nSQLite 3.", "\nlibpq "}) CHECK(version.find(library) != std::string::npos);
    CHECK(run_process({kBinary, "--help"}).exit_code == 0);
    CHECK(run_process({kBinary, "scan", "--help"}).out.find("--password-file") != std::string::npos);
    CHECK(run_process({kBinary}).exit_code == 2);
    CHECK(run_process({kBinary, "scan", "--bogus"}).exit_code == 2);
    CHECK(run_certfleet(fleet.db, {"report", "--format", "xml"}).exit_code == 2);
    const auto no_scan = run_certfleet(fleet.db, {"report", "--scan", "99"});
    CHECK(no_scan.exit_code == 2);
    CHECK(no_scan.err.find("no scan 99") != std::string::npos);
    const auto no_db = run_certfleet((fleet.dir / "missing.db").string(), {"report"});
    CHECK(no_db.exit_code == 2);
    CHECK(no_db.err.find("missing.db") != std::string::npos);
    const auto nothing = run_certfleet(fleet.db, {"scan"});
    CHECK(nothing.exit_code == 2);
    CHECK(nothing.err.find("--files") != std::string::npos);
    const auto bad_password_file =
        run_certfleet(fleet.db, {"scan", "--files", fleet.tree, "--password-file", "/nonexistent/passwords"});
    CHECK(bad_password_file.exit_code == 2);
    CHECK(bad_password_file.err.find("/nonexistent/passwords") != std::string::npos);
    const auto not_a_db = run_certfleet(fleet.passwords, {"report"});
    CHECK(not_a_db.exit_code == 1);
    CHECK(not_a_db.err.find("passwords.txt") != std::string::npos);

    // Relative paths are stored absolute, so scans from different directories name files the same way.
    const fs::path previous = fs::current_path();
    fs::current_path(fleet.tree);
    const auto relative = run_certfleet(fleet.db, {"scan", "--files", "./pem/../der/", "--no-progress"});
    fs::current_path(previous);
    REQUIRE(relative.exit_code == 0);
    const json relative_doc = report_json(fleet.db);
    const json* root = find_cert(relative_doc, fleet.chain.root.sha256());
    REQUIRE(root);
    CHECK((*root)["sightings"][0]["path"] == fleet.tree + "/der/chain.p7b");
    CHECK(relative_doc["scan"]["parameters"]["files"] == json::array({fleet.tree + "/der"}));

    // $CERTFLEET_DB is the default database.
    const auto via_env = run_process({kBinary, "report", "--format", "json"}, {.env = {{"CERTFLEET_DB", fleet.db}}});
    CHECK(via_env.exit_code == 0);
    CHECK(json::parse(via_env.out)["scan"]["id"] == 2);

    // Another scan is a new scan; the first stays as it was.
    REQUIRE(fleet.scan({"--exclude-path", "p12"}).exit_code == 0);
    const json second = report_json(fleet.db, {"--scan", "3"});
    CHECK(second["scan"]["id"] == 3);
    CHECK(second["scope"] == "scan");
    CHECK_FALSE(find_cert(second, fleet.rsa_cert.sha256()));
    CHECK(find_cert(report_json(fleet.db, {"--scan", "1"}), fleet.rsa_cert.sha256()));
    // The current view keeps the excluded file as the scan before left it: excluding is not looking.
    const json view = report_json(fleet.db);
    CHECK(view["scope"] == "view");
    CHECK(view["scan"]["id"] == 3);
    CHECK(find_cert(view, fleet.rsa_cert.sha256()));
}

TEST_CASE("e2e: keytool-made JKS and JCEKS keystores", "[e2e]") {
    if (!has_keytool()) {
        WARN("keytool not installed: scripts/install-deps installs a JRE for this test");
        return;
    }
    TempDir dir;
    const auto cert = TestCert::make({.subject_cn = "keytool.example"}, TestKey::shared());
    write_file(dir / "cert.pem", cert.pem());
    fs::create_directories(dir / "tree");
    const std::string quiet = " >/dev/null 2>&1";
    REQUIRE(std::system(("keytool -importcert -noprompt -alias c -file " + (dir / "cert.pem").string() +
                         " -keystore " + (dir / "tree/trust.jks").string() + " -storetype JKS -storepass changeit" + quiet)
                            .c_str()) == 0);
    REQUIRE(std::system(("keytool -genseckey -alias aes -keyalg AES -keysize 128 -keystore " +
                         (dir / "tree/secrets.jceks").string() + " -storetype JCEKS -storepass changeit" + quiet)
                            .c_str()) == 0);
    const std::string db = (dir / "db").string();
    REQUIRE(run_certfleet(db, {"scan", "--files", (dir / "tree").string(), "--no-progress"}).exit_code == 0);
    const json doc = report_json(db);
    const json* found = find_cert(doc, cert.sha256());
    REQUIRE(found);
    CHECK(sightings_of(*found) == std::set<std::string>{(dir / "tree/trust.jks").string() + "|jks|0"});
    CHECK(doc["errors"] == json::array());
    bool noted = false;
    for (const auto& n : doc["notes"]) noted |= n["reason"] == "jceks_secret_key_skipped";
    CHECK(noted);
}

TEST_CASE("e2e: unreadable files and directories, as an unprivileged user", "[e2e]") {
    if (::geteuid() != 0 && ::access("/", W_OK) != 0) {
        // Already unprivileged: the permissions below take effect for this user too.
    } else if (std::system("command -v setpriv >/dev/null 2>&1") != 0) {
        WARN("running as root without setpriv: cannot drop privileges to test permission errors");
        return;
    }
    TempDir dir;
    const fs::path tree = dir / "tree";
    write_file(tree / "open.pem", TestCert::make({.subject_cn = "open"}, TestKey::shared()).pem());
    write_file(tree / "secret.pem", TestCert::make({.subject_cn = "secret"}, TestKey::shared()).pem());
    write_file(tree / "closed/inside.pem", TestCert::make({.subject_cn = "inside"}, TestKey::shared()).pem());
    ::chmod((tree / "secret.pem").c_str(), 0);
    ::chmod((tree / "closed").c_str(), 0);
    ::chmod(dir.path().c_str(), 0777);
    ::chmod(tree.c_str(), 0755);
    ::chmod((tree / "open.pem").c_str(), 0644);
    const std::string db = (dir / "inventory.db").string();

    std::vector<std::string> argv{kBinary, "--db", db, "scan", "--files", tree.string(), "--no-progress"};
    if (::geteuid() == 0) argv.insert(argv.begin(), {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"});
    const auto scan = run_process(argv);
    INFO(scan.err);
    REQUIRE(scan.exit_code == 0);
    std::vector<std::string> report{kBinary, "--db", db, "report", "--format", "json"};
    const json doc = json::parse(run_process(report).out);
    CHECK(doc["certificates"].size() == 1);
    CHECK(error_reason(doc, "/secret.pem") == "permission_denied");
    CHECK(error_reason(doc, "/closed") == "permission_denied");
}

TEST_CASE("e2e: Ctrl-C and kill -9 leave earlier scans intact and the database usable", "[e2e][network]") {
    TempDir dir;
    const fs::path tree = dir / "tree";
    const auto pem = TestCert::make({.subject_cn = "many"}, TestKey::shared()).pem();
    for (int i = 0; i < 4000; ++i) write_file(tree / ("d" + std::to_string(i % 40)) / ("f" + std::to_string(i) + ".pem"), pem);
    const std::string db = (dir / "inventory.db").string();
    REQUIRE(run_certfleet(db, {"scan", "--files", (tree / "d1").string(), "--no-progress"}).exit_code == 0);
    const json before = report_json(db);

    // A silent server among the targets holds the scan for its 60 s timeout once the walk is done: the signal is
    // sent when the probe has connected, so it always meets the scan running, past its files.
    const auto interrupted_scan = [&](int signal) {
        SilentListener silent;
        RunningCertfleet scan(db, {"scan", silent.target(), "--files", tree.string(), "--timeout-ms", "60000",
                                   "--no-progress"});
        if (!silent.wait_for_connection(std::chrono::seconds(60)))
            FAIL("the scan did not probe the silent server: " << report_json(db)["scan"].dump());
        return scan.stop_with(signal, std::chrono::seconds(60));
    };

    const auto sigint_exit = interrupted_scan(SIGINT);
    REQUIRE(sigint_exit);
    CHECK(*sigint_exit == 130);
    CHECK(report_json(db)["scan"]["status"] == "interrupted");

    const auto kill_exit = interrupted_scan(SIGKILL);
    REQUIRE(kill_exit);
    CHECK(*kill_exit == 128 + SIGKILL);
    // days_left moves with the clock and last_seen with every later scan that saw the certificate, even an
    // interrupted one; what scan 1 stored must not move.
    const auto stored = [](json doc) {
        for (auto& c : doc["certificates"]) {
            c.erase("days_left");
            c.erase("last_seen");
        }
        return doc["certificates"];
    };
    CHECK(stored(report_json(db, {"--scan", "1"})) == stored(before));

    // The next scan marks a killed one interrupted and works normally.
    REQUIRE(run_certfleet(db, {"scan", "--files", (tree / "d2").string(), "--no-progress"}).exit_code == 0);
    const json after = report_json(db, {"--scan", "4"});
    CHECK(after["scan"]["status"] == "complete");
    CHECK(after["certificates"].size() == 1);
    CHECK(after["certificates"][0]["sightings"].size() == 100);
    const json killed = report_json(db, {"--scan", std::to_string(after["scan"]["id"].get<int>() - 1)});
    CHECK(killed["scan"]["status"] != "running");
}

TEST_CASE("e2e: Prometheus, CSV and Markdown reports of a real scan", "[e2e]") {
    Fleet fleet;
    REQUIRE(fleet.scan().exit_code == 0);
    const std::string t = fleet.tree;

    // The textfile collector reads *.prom files: the report is written beside it and renamed into place.
    const std::string prom = (fleet.dir / "certfleet.prom").string();
    const auto written = run_certfleet(fleet.db, {"report", "--format", "prometheus", "-o", prom});
    INFO(written.err);
    REQUIRE(written.exit_code == 0);
    CHECK_FALSE(fs::exists(prom + ".tmp"));
    const std::string metrics = to_string(read_file(prom));
    // A file's series name its path and the host it is on.
    const std::string host = ",host=\"" + this_host_name() + "\"";
    CHECK(metrics.find("x509_cert_not_after{sha256=\"" + fleet.chain.leaf.sha256() + "\",kind=\"file\",path=\"" + t +
                       "/pem/bundle.pem\"" + host + "} ") != std::string::npos);
    CHECK(metrics.find("x509_cert_expired{sha256=\"" + fleet.expired.sha256() + "\",kind=\"file\",path=\"" + t +
                       "/app/config.json\"" + host + "} 1\n") != std::string::npos);
    CHECK(metrics.find("certfleet_findings{severity=\"critical\"} ") != std::string::npos);
    CHECK(metrics.find("x509_scan_last_success_timestamp_seconds ") != std::string::npos);
    if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
        WARN("promtool not installed (Debian package prometheus): the exposition format is not checked by it");
    } else {
        const auto checked = run_process({"sh", "-c", "promtool check metrics < \"$0\"", prom});
        INFO(checked.out << checked.err);
        CHECK(checked.exit_code == 0);
    }

    const auto csv = run_certfleet(fleet.db, {"report", "--format", "csv"});
    REQUIRE(csv.exit_code == 0);
    CHECK(csv.out.starts_with("sha256,spki_sha256,subject,issuer,"));
    CHECK(csv.out.find(fleet.chain.leaf.sha256() + "," + fleet.chain.leaf_key.spki_sha256() + ",CN=shop.example,") !=
          std::string::npos);
    CHECK(csv.out.ends_with("\r\n"));

    const auto markdown = run_certfleet(fleet.db, {"report", "--format", "markdown"});
    REQUIRE(markdown.exit_code == 0);
    CHECK(markdown.out.find("| CN=shop.example |") != std::string::npos);
    CHECK(markdown.out.find("| critical | expired | " + t + "/app/config.json |") != std::string::npos);

    // The inventory's answers keep their own formats.
    CHECK(run_certfleet(fleet.db, {"inventory", "certs", "--format", "csv"}).exit_code == 2);
}
