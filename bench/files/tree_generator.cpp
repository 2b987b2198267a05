// bench/files: the tree generator. N files in ~1000 nested directories holding C certificate occurrences in
// every container certfleet reads, private keys, and noise; every certificate written is counted.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_set>
#include <vector>

#include "bench/bench_support.hpp"
#include "bench/files/tree.hpp"
#include "core/encoding.hpp"
#include "testkit/cert_factory.hpp"
#include "testkit/keystore_writer.hpp"

namespace certfleet::bench::files {
namespace {

using namespace certfleet::testing;

constexpr std::uint64_t kSeed = 0xCE27F1EE7;

std::string to_text(const Bytes& bytes) { return std::string(bytes.begin(), bytes.end()); }

template <typename T>
const T& pick(std::mt19937_64& rng, const std::vector<T>& items) {
    return items[std::uniform_int_distribution<std::size_t>(0, items.size() - 1)(rng)];
}

const std::vector<std::string> kWords{
    "alpha",   "bravo",   "cache",    "daemon", "edge",    "frontend", "gateway", "health",  "ingress", "job",
    "kernel",  "ledger",  "metrics",  "node",   "origin",  "proxy",    "queue",   "replica", "storage", "tenant",
    "upstream", "vault",  "worker",   "zone",   "billing", "search",   "auth",    "mail",    "backup",  "report",
    "session", "timeout", "retry",    "buffer", "pool",    "limit",    "region",  "shard",   "index",   "router"};
const std::vector<std::string> kDomains{"example.com", "example.net", "corp.example", "internal.example",
                                        "svc.cluster.local", "prod.example.org", "staging.example.org"};
const std::vector<std::string> kLevel2{"etc", "opt", "srv", "var", "home", "usr-local", "data", "deploy", "config",
                                       "apps"};
const std::vector<std::string> kLevel3{"ssl", "certs", "conf", "nginx", "app", "keys", "tls", "secrets", "java",
                                       "logs"};

class TreeGenerator {
public:
    TreeGenerator(fs::path root, std::uint64_t files, std::uint64_t certs)
        : root_(std::move(root)), total_files_(files), total_certs_(certs), rng_(kSeed) {}

    Expected run(const Options& options) {
        fs::create_directories(root_);
        write_marker(root_, options, "generating", nullptr);
        expected_.files = 1;  // the marker
        make_directories();
        make_keys();
        make_authorities();
        make_noise_pools();

        std::uint64_t left = total_certs_;
        while (left > 0) {
            const std::uint64_t written = certificate_file(left);
            left -= written;
            ++expected_.certificate_files;
            check_room();
        }
        const std::uint64_t key_files = std::max<std::uint64_t>(1, total_certs_ / 20);
        for (std::uint64_t i = 0; i < key_files; ++i) {
            key_file();
            check_room();
        }
        while (expected_.files < total_files_) noise_file();

        expected_.distinct = distinct_.size();
        write_marker(root_, options, "complete", &expected_);
        return expected_;
    }

private:
    struct Authority {
        TestCert cert;
        std::size_t key;
        int parent;  // index into authorities_, -1 for a root
    };
    struct Leaf {
        TestCert cert;
        std::size_t key;
        int issuer;  // index into authorities_, -1 when self-signed
    };

    std::uint64_t uniform(std::uint64_t low, std::uint64_t high) {
        return std::uniform_int_distribution<std::uint64_t>(low, high)(rng_);
    }
    bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
    // Sizes spread evenly on a log scale, as file sizes in real trees are.
    std::size_t log_uniform(double low, double high) {
        return static_cast<std::size_t>(
            std::exp(std::uniform_real_distribution<double>(std::log(low), std::log(high))(rng_)));
    }

    void check_room() const {
        if (expected_.files > total_files_)
            die("--files " + std::to_string(total_files_) + " is too few to hold --certs " +
                std::to_string(total_certs_) + " certificates and their keys (about certs/2 + certs/20 files needed)");
    }

    // ~1000 leaf directories three levels deep (fewer for small trees), plus the levels above them.
    void make_directories() {
        const std::uint64_t leaves = std::clamp<std::uint64_t>(total_files_ / 100, 1, 1000);
        std::unordered_set<std::string> made;
        for (std::uint64_t i = 0; i < leaves; ++i) {
            char host[32];
            std::snprintf(host, sizeof host, "host-%02u", static_cast<unsigned>(i / 100));
            const fs::path level1 = root_ / host;
            const fs::path level2 = level1 / kLevel2[(i / 10) % 10];
            const fs::path level3 = level2 / kLevel3[i % 10];
            fs::create_directories(level3);
            leaf_dirs_.push_back(level3);
            for (const auto& dir : {level1, level2})
                if (made.insert(dir.string()).second) upper_dirs_.push_back(dir);
        }
        expected_.directories = leaf_dirs_.size() + upper_dirs_.size();
    }

    const fs::path& place() { return chance(0.9) ? pick(rng_, leaf_dirs_) : pick(rng_, upper_dirs_); }

    void write(std::string_view stem, std::string_view extension, std::string_view content) {
        char number[24];
        std::snprintf(number, sizeof number, "-%06llu", static_cast<unsigned long long>(expected_.files));
        std::string name;
        name.append(stem).append(number).append(extension);
        write_whole_file(place() / name, content);
        ++expected_.files;
        expected_.bytes += content.size();
    }

    // RSA generation is slow, so there are few RSA keys and they are made on every core; certificates reuse
    // keys freely, which changes nothing for a scanner that never checks key uniqueness.
    void make_keys() {
        std::vector<KeySpec> specs;
        const auto spec = [](KeyKind kind, std::string curve = "prime256v1") {
            KeySpec out;
            out.kind = kind;
            out.bits = 2048;
            out.curve = std::move(curve);
            return out;
        };
        for (int i = 0; i < 16; ++i) specs.push_back(spec(KeyKind::rsa));
        for (int i = 0; i < 360; ++i) specs.push_back(spec(KeyKind::ec));
        for (int i = 0; i < 12; ++i) specs.push_back(spec(KeyKind::ec, "secp384r1"));
        for (int i = 0; i < 16; ++i) specs.push_back(spec(KeyKind::ed25519));
        std::shuffle(specs.begin(), specs.end(), rng_);
        kinds_.resize(specs.size());
        keys_.resize(specs.size());
        parallel_for(specs.size(), [&](std::size_t i) { keys_[i] = TestKey::generate(specs[i]); });
        for (std::size_t i = 0; i < specs.size(); ++i) {
            kinds_[i] = specs[i].kind;
            (specs[i].kind == KeyKind::rsa ? rsa_keys_ : specs[i].kind == KeyKind::ec ? ec_keys_ : other_keys_)
                .push_back(i);
        }
    }

    // Two private hierarchies issue the leaves (one RSA root, one EC root, four issuing CAs; the RSA-signed
    // share is small because RSA signing dominates generation time), and 60 self-signed "public" roots fill CA
    // bundles and truststores.
    static CertSpec ca_spec(const std::string& cn, const std::string& organisation, long long not_before_days,
                            long long not_after_days) {
        CertSpec spec;
        spec.subject_cn = cn;
        spec.subject_o = organisation;
        spec.not_before_days = not_before_days;
        spec.not_after_days = not_after_days;
        spec.is_ca = true;
        spec.key_usage = "critical,keyCertSign,cRLSign";
        return spec;
    }

    void make_authorities() {
        const auto root = [&](const std::string& cn, std::size_t key) {
            const CertSpec spec = ca_spec(cn, "certfleet bench", -400, 3650);
            authorities_.push_back(Authority{TestCert::make(spec, keys_[key]), key, -1});
            return static_cast<int>(authorities_.size() - 1);
        };
        const auto issuing = [&](const std::string& cn, std::size_t key, int parent) {
            CertSpec spec = ca_spec(cn, "certfleet bench", -300, 1825);
            spec.path_length = 0;
            const Authority& p = authorities_[static_cast<std::size_t>(parent)];
            authorities_.push_back(Authority{TestCert::make(spec, keys_[key], &p.cert, &keys_[p.key]), key, parent});
            issuers_.push_back(static_cast<int>(authorities_.size() - 1));
        };
        const int rsa_root = root("Bench Root CA R1", rsa_keys_.at(0));
        const int ec_root = root("Bench Root CA E1", ec_keys_.at(0));
        issuing("Bench Issuing CA R1-A", rsa_keys_.at(1), rsa_root);
        issuing("Bench Issuing CA R1-B", ec_keys_.at(1), rsa_root);
        issuing("Bench Issuing CA E1-A", ec_keys_.at(2), ec_root);
        issuing("Bench Issuing CA E1-B", ec_keys_.at(3), ec_root);
        issuer_weights_ = {0.12, 0.30, 0.29, 0.29};  // issuers_[0] signs with RSA

        for (int i = 0; i < 60; ++i) {
            const std::size_t key = i % 6 == 0 ? pick(rng_, rsa_keys_) : i % 6 == 1 ? pick(rng_, other_keys_)
                                                                                    : pick(rng_, ec_keys_);
            const CertSpec spec = ca_spec("Bench Public Root " + std::to_string(i), "Bench Trust Services",
                                          -static_cast<long long>(uniform(100, 4000)),
                                          static_cast<long long>(uniform(200, 7000)));
            public_roots_.push_back(TestCert::make(spec, keys_[key]));
        }
    }

    const Leaf& make_leaf() {
        const std::size_t key = chance(0.1) ? pick(rng_, rsa_keys_) : chance(0.05) ? pick(rng_, other_keys_)
                                                                                   : pick(rng_, ec_keys_);
        const std::string cn = pick(rng_, kWords) + "-" + std::to_string(leaves_.size()) + "." + pick(rng_, kDomains);
        CertSpec spec;
        spec.subject_cn = cn;
        spec.dns_names = {cn};
        if (chance(0.5)) spec.subject_o = "Bench Org " + std::to_string(uniform(1, 40));
        if (chance(0.4)) spec.dns_names.push_back(pick(rng_, kWords) + "." + cn);
        if (chance(0.1)) spec.ip_addresses.push_back("10." + std::to_string(uniform(0, 255)) + "." +
                                                     std::to_string(uniform(0, 255)) + "." + std::to_string(uniform(1, 254)));
        static constexpr std::array<long long, 5> kLifetimes{90, 365, 398, 730, 825};
        spec.not_before_days = -static_cast<long long>(uniform(1, 800));
        spec.not_after_days = spec.not_before_days + kLifetimes[uniform(0, kLifetimes.size() - 1)];
        spec.key_usage = kinds_[key] == KeyKind::rsa ? "critical,digitalSignature,keyEncipherment"
                                                     : "critical,digitalSignature";
        static constexpr std::array<const char*, 3> kUsages{"serverAuth", "serverAuth,clientAuth", "clientAuth"};
        spec.ext_key_usage = kUsages[uniform(0, kUsages.size() - 1)];
        if (chance(0.05)) spec.digest = "SHA384";
        if (chance(0.04)) {  // snakeoil-style self-signed certificates
            leaves_.push_back(Leaf{TestCert::make(spec, keys_[key]), key, -1});
        } else {
            const int issuer = issuers_[std::discrete_distribution<std::size_t>(issuer_weights_.begin(),
                                                                                issuer_weights_.end())(rng_)];
            const Authority& a = authorities_[static_cast<std::size_t>(issuer)];
            leaves_.push_back(Leaf{TestCert::make(spec, keys_[key], &a.cert, &keys_[a.key]), key, issuer});
        }
        return leaves_.back();
    }

    // Four in five leaf occurrences are new certificates; the rest repeat one written elsewhere, as when the same
    // certificate is deployed to several hosts.
    const Leaf& leaf() {
        if (leaves_.empty() || chance(0.8)) return make_leaf();
        return pick(rng_, leaves_);
    }

    // The leaf, its issuing CA and (with the root) its root.
    std::vector<TestCert> chain(const Leaf& leaf, bool with_root) {
        std::vector<TestCert> out{leaf.cert};
        for (int a = leaf.issuer; a >= 0; a = authorities_[static_cast<std::size_t>(a)].parent) {
            const Authority& authority = authorities_[static_cast<std::size_t>(a)];
            if (authority.parent < 0 && !with_root) break;
            out.push_back(authority.cert);
        }
        return out;
    }

    const TestCert& root_of(const Leaf& leaf) {
        if (leaf.issuer < 0) return leaf.cert;
        int a = leaf.issuer;
        while (authorities_[static_cast<std::size_t>(a)].parent >= 0) a = authorities_[static_cast<std::size_t>(a)].parent;
        return authorities_[static_cast<std::size_t>(a)].cert;
    }

    void count(const TestCert& cert, const char* format) {
        ++expected_.certificates;
        ++expected_.by_format[format];
        distinct_.insert(cert.sha256());
    }
    void count(const std::vector<TestCert>& certs, const char* format) {
        for (const auto& c : certs) count(c, format);
    }

    std::string key_pem(std::size_t key) {
        return kinds_[key] != KeyKind::ed25519 && chance(0.3) ? keys_[key].traditional_pem() : keys_[key].pkcs8_pem();
    }

    static std::string pem_of(const std::vector<TestCert>& certs) {
        std::string out;
        for (const auto& c : certs) out += c.pem();
        return out;
    }

    // Writes one file holding at most `left` certificates; returns how many it holds.
    std::uint64_t certificate_file(std::uint64_t left) {
        enum Kind { single_pem, chain_pem, ca_bundle, der, p7_der, p7_pem, p12, java, k8s, combined };
        static const std::vector<double> kWeights{30, 12, 3, 12, 4, 4, 1.7, 3, 8, 4};
        Kind kind = static_cast<Kind>(std::discrete_distribution<int>(kWeights.begin(), kWeights.end())(rng_));
        // Containers holding more than the budget has left give way to single certificates at the end.
        const auto fits = [&](std::size_t n) { return n <= left; };

        switch (kind) {
            case chain_pem: {
                auto certs = chain(leaf(), chance(0.3));
                if (!fits(certs.size())) break;
                write(pick(rng_, kWords) + "-fullchain", ".pem", pem_of(certs));
                count(certs, "pem");
                return certs.size();
            }
            case ca_bundle: {
                std::vector<TestCert> certs;
                const std::size_t n = uniform(4, 14);
                for (std::size_t i = 0; i < n; ++i) certs.push_back(pick(rng_, public_roots_));
                if (!fits(certs.size())) break;
                std::string text;
                for (const auto& c : certs) {
                    if (chance(0.5)) text += "# Bench Trust Services root, added " + std::to_string(uniform(2010, 2024)) + "\n";
                    text += c.pem();
                }
                write("ca-bundle", ".crt", text);
                count(certs, "pem");
                return certs.size();
            }
            case der: {
                const TestCert cert = chance(0.15) ? pick(rng_, public_roots_) : leaf().cert;
                write(pick(rng_, kWords), chance(0.5) ? ".der" : ".cer", to_text(cert.der));
                count(cert, "der");
                return 1;
            }
            case p7_der:
            case p7_pem: {
                auto certs = chain(leaf(), chance(0.5));
                if (!fits(certs.size())) break;
                if (kind == p7_der) write(pick(rng_, kWords) + "-chain", ".p7b", to_text(pkcs7_der(certs)));
                else write(pick(rng_, kWords) + "-chain", ".p7c", pkcs7_pem(certs));
                count(certs, "pkcs7");
                return certs.size();
            }
            case p12: {
                const Leaf& l = leaf();
                auto certs = chain(l, chance(0.5));
                if (!fits(certs.size())) break;
                const std::vector<TestCert> extra(certs.begin() + 1, certs.end());
                write(pick(rng_, kWords), chance(0.5) ? ".p12" : ".pfx",
                      to_text(pkcs12_der(&keys_[l.key], &l.cert, extra, "")));
                count(certs, "pkcs12");
                ++expected_.keys;
                return certs.size();
            }
            case java: {
                const bool jceks = chance(0.25);
                KeystoreWriter writer(jceks ? KeystoreType::jceks : KeystoreType::jks);
                auto certs = chain(leaf(), true);
                writer.add_private_key("server", certs);
                const std::size_t trusted = uniform(0, 3);
                for (std::size_t i = 0; i < trusted; ++i) {
                    certs.push_back(pick(rng_, public_roots_));
                    writer.add_trusted_cert("trusted-" + std::to_string(i), certs.back());
                }
                if (!fits(certs.size())) break;
                if (jceks) writer.add_secret_key("session-key");
                write(jceks ? "keystore" : "truststore", jceks ? ".jceks" : ".jks", to_text(writer.build(u"")));
                count(certs, jceks ? "jceks" : "jks");
                ++expected_.keys;
                return certs.size();
            }
            case k8s: {
                const Leaf& l = leaf();
                const TestCert& root = root_of(l);
                const auto served = chain(l, false);
                if (!fits(served.size() + 1)) break;
                std::string text;
                const std::string name = pick(rng_, kWords) + "-" + std::to_string(expected_.files);
                if (chance(0.7)) {
                    text = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: " + name + "-tls\n  namespace: team-" +
                           std::to_string(uniform(1, 30)) + "\ntype: kubernetes.io/tls\ndata:\n  ca.crt: " +
                           base64(root.pem()) + "\n  tls.crt: " + base64(pem_of(served)) +
                           "\n  tls.key: " + base64(key_pem(l.key)) + "\n";
                    write(name + "-secret", ".yaml", text);
                } else {
                    text = "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: " +
                           base64(root.pem()) + "\n    server: https://10.0." + std::to_string(uniform(0, 255)) +
                           ".1:6443\n  name: " + name + "\nusers:\n- name: " + name +
                           "-admin\n  user:\n    client-certificate-data: " + base64(pem_of(served)) +
                           "\n    client-key-data: " + base64(key_pem(l.key)) + "\ncurrent-context: " + name + "\n";
                    write("kubeconfig-" + name, "", text);
                }
                count(root, "k8s");
                count(served, "k8s");
                ++expected_.keys;
                return served.size() + 1;
            }
            case combined: {
                // haproxy and some appliances want key and chain in one file.
                const Leaf& l = leaf();
                auto certs = chain(l, false);
                if (!fits(certs.size())) break;
                write(pick(rng_, kWords) + "-combined", ".pem", key_pem(l.key) + pem_of(certs));
                count(certs, "pem");
                ++expected_.keys;
                return certs.size();
            }
            case single_pem: break;
        }
        const TestCert cert = chance(0.1) ? pick(rng_, public_roots_) : leaf().cert;
        write(pick(rng_, kWords), chance(0.5) ? ".pem" : ".crt", cert.pem());
        count(cert, "pem");
        return 1;
    }

    void key_file() {
        const std::size_t key = uniform(0, keys_.size() - 1);
        // A few are encrypted: the scanner must try its (empty) password on them, and that is slow on purpose.
        const std::string pem = chance(0.02) ? keys_[key].encrypted_pkcs8_pem("not-empty") : key_pem(key);
        write(pick(rng_, kWords), ".key", pem);
        ++expected_.keys;
    }

    // ---- noise ----------------------------------------------------------------------------------------------

    struct NoiseStyle {
        std::vector<std::string> extensions;
        std::string header, footer;
        std::vector<std::string> lines;
    };

    std::string word() { return pick(rng_, kWords); }
    std::string num(std::uint64_t low, std::uint64_t high) { return std::to_string(uniform(low, high)); }
    std::string hex(std::size_t digits) {
        static constexpr char kHex[] = "0123456789abcdef";
        std::string out(digits, '0');
        for (auto& c : out) c = kHex[uniform(0, 15)];
        return out;
    }
    std::string path() {
        static const std::vector<std::string> kSuffixes{"conf", "db", "sock", "d"};
        return "/" + word() + "/" + word() + "/" + word() + "." + pick(rng_, kSuffixes);
    }
    std::string sentence() {
        std::string s = word();
        s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
        for (std::uint64_t i = 0, n = uniform(5, 16); i < n; ++i) s += " " + word();
        return s + ".";
    }

    // Pools of lines in the shape of common text files; files are assembled from them, which is far cheaper
    // than formatting every line of ~200 MB afresh.
    void make_noise_pools() {
        constexpr int kLines = 3000;
        NoiseStyle conf{{".conf", ".ini", ".cfg"}, "# managed by config-sync; local edits are overwritten\n", "", {}};
        NoiseStyle log{{".log", ".log.1"}, "", "", {}};
        NoiseStyle yaml{{".yaml", ".yml"}, "apiVersion: apps/v1\nkind: Deployment\nspec:\n", "", {}};
        NoiseStyle json{{".json"}, "{\n", "  \"end\": true\n}\n", {}};
        NoiseStyle shell{{".sh"}, "#!/bin/sh\nset -eu\n", "exit 0\n", {}};
        NoiseStyle prose{{".md", ".txt"}, "", "", {}};
        NoiseStyle code{{".c", ".h", ".py"}, "/* generated file */\n", "", {}};
        static constexpr std::array<const char*, 4> kLevels{"INFO ", "WARN ", "ERROR", "DEBUG"};
        for (int i = 0; i < kLines; ++i) {
            conf.lines.push_back(chance(0.1) ? "\n[" + word() + "_" + word() + "]\n"
                                             : word() + "_" + word() + " = " +
                                                   (chance(0.3) ? path() : chance(0.5) ? num(0, 65535) : word()) + "\n");
            log.lines.push_back("2024-0" + num(1, 9) + "-1" + num(0, 9) + "T" + num(10, 23) + ":" + num(10, 59) + ":" +
                                num(10, 59) + "." + num(100, 999) + "Z " + kLevels[uniform(0, 3)] + " [" + word() +
                                "-" + num(0, 9) + "] " + sentence() + " id=" + hex(16) + " dur=" + num(1, 900) + "ms\n");
            yaml.lines.push_back(std::string(2 * uniform(1, 4), ' ') + word() + ": " +
                                 (chance(0.3) ? "\"" + word() + "-" + num(1, 99) + "\"" : num(0, 1000)) + "\n");
            json.lines.push_back("  \"" + word() + "_" + num(0, 999) + "\": " +
                                 (chance(0.5) ? "\"" + word() + " " + word() + "\"" : num(0, 100000)) + ",\n");
            shell.lines.push_back(chance(0.3) ? "if [ -f " + path() + " ]; then " + word() + " --" + word() + "; fi\n"
                                              : "export " + word() + "_" + word() + "=" + num(0, 500) + "\n");
            prose.lines.push_back(sentence() + " " + sentence() + "\n");
            code.lines.push_back(chance(0.2) ? "static int " + word() + "_" + word() + "(struct " + word() + " *" +
                                                   word() + ") {\n"
                                             : "    " + word() + " = " + word() + "->" + word() + " + " +
                                                   num(0, 64) + ";  /* " + word() + " */\n");
        }
        styles_ = {conf, log, yaml, json, shell, prose, code};
    }

    void noise_file() {
        if (chance(0.05)) {
            // Binary files: magic number, a NUL early (so nothing reads them as text), then random bytes.
            static const std::array<std::pair<std::string_view, std::string_view>, 5> kMagic{{
                {std::string_view("\x7f" "ELF\x02\x01\x01\x00", 8), ".so"},
                {std::string_view("\x1f\x8b\x08\x00", 4), ".gz"},
                {std::string_view("\x89PNG\r\n\x1a\n\x00", 9), ".png"},
                {std::string_view("SQLite format 3\x00", 16), ".db"},
                {std::string_view("\x00\x01\x02\x03", 4), ".bin"},
            }};
            const auto& [magic, extension] = kMagic[uniform(0, kMagic.size() - 1)];
            std::string data(magic);
            data.resize(log_uniform(256, 16384));
            for (std::size_t i = magic.size(); i < data.size(); ++i) data[i] = static_cast<char>(rng_() & 0xff);
            write(word(), extension, data);
            return;
        }
        const NoiseStyle& style = pick(rng_, styles_);
        const std::size_t target = log_uniform(200, 8192);
        std::string text = style.header;
        while (text.size() < target) text += pick(rng_, style.lines);
        text += style.footer;
        write(word() + "-" + word(), pick(rng_, style.extensions), text);
    }

    fs::path root_;
    std::uint64_t total_files_, total_certs_;
    std::mt19937_64 rng_;
    Expected expected_;
    std::unordered_set<std::string> distinct_;
    std::vector<fs::path> leaf_dirs_, upper_dirs_;
    std::vector<TestKey> keys_;
    std::vector<KeyKind> kinds_;
    std::vector<std::size_t> rsa_keys_, ec_keys_, other_keys_;
    std::vector<Authority> authorities_;
    std::vector<int> issuers_;
    std::vector<double> issuer_weights_;
    std::vector<TestCert> public_roots_;
    std::vector<Leaf> leaves_;
    std::vector<NoiseStyle> styles_;
};

}  // namespace

Expected generate_tree(const fs::path& root, const Options& options) {
    return TreeGenerator(root, options.files, options.certs).run(options);
}

}  // namespace certfleet::bench::files
