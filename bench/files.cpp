// bench/files: how fast `certfleet scan --files` goes through a large tree that is mostly not certificates,
// judged against how long merely reading the same tree takes on the same machine in the same run, so the
// figure means the same on a fast laptop and a slow CI box.
//
// The tree: N files in ~1000 nested directories holding C certificate occurrences in every container certfleet
// reads (PEM, PEM bundles, DER, PKCS#7 DER and PEM, PKCS#12, JKS, JCEKS, Kubernetes secrets and kubeconfigs),
// private keys, and noise (configs, logs, manifests, scripts, small binaries). Every certificate written is
// counted, so the scan's result is checked exactly, not just timed.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

#include "bench/bench_support.hpp"
#include "core/encoding.hpp"
#include "testkit/cert_factory.hpp"
#include "testkit/keystore_writer.hpp"

namespace {

using namespace certfleet;
using namespace certfleet::testing;
using namespace certfleet::bench;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Bump when the generator changes what it writes, so trees left by an older build are regenerated.
constexpr std::uint64_t kTreeVersion = 1;
constexpr std::uint64_t kSeed = 0xCE27F1EE7;
// The marker is itself one of the tree's files (plain text, no certificate), so both the floor and certfleet
// read exactly `files` files.
constexpr std::string_view kMarkerName = ".certfleet-bench-tree";
constexpr double kTargetRatio = 2.0;
constexpr double kTargetRssMiB = 200.0;

struct Options {
    std::string tree;
    std::uint64_t files = 100'000;
    std::uint64_t certs = 20'000;
    unsigned runs = 3;
    std::string certfleet = CERTFLEET_BINARY;
    unsigned threads = 0;  // 0: certfleet's own default
    bool keep = false;
    bool quick = false;
};

// What the tree holds, counted while it was written; certfleet's figures are checked against these.
struct Expected {
    std::uint64_t files = 0;
    std::uint64_t directories = 0;
    std::uint64_t bytes = 0;
    std::uint64_t certificates = 0;
    std::uint64_t distinct = 0;
    std::uint64_t keys = 0;
    std::uint64_t certificate_files = 0;
    std::map<std::string, std::uint64_t> by_format;  // spelled as certfleet's JSON report spells formats
};

[[noreturn]] void die(const std::string& message) { throw std::runtime_error(message); }

// ---------------------------------------------------------------------------------------------------------------
// The marker: key=value lines. Written first as "generating" and last as "complete", so a half-written tree
// (an interrupted generation) is recognised as ours and regenerated rather than reused or refused.

struct Marker {
    std::map<std::string, std::string> values;
    std::string get(const std::string& key) const {
        auto it = values.find(key);
        return it == values.end() ? std::string() : it->second;
    }
    std::uint64_t number(const std::string& key) const {
        const std::string v = get(key);
        return v.empty() ? 0 : std::stoull(v);
    }
};

std::optional<Marker> read_marker(const fs::path& tree) {
    std::ifstream in(tree / kMarkerName);
    if (!in) return std::nullopt;
    Marker marker;
    std::string line;
    if (!std::getline(in, line) || line != "certfleet bench/files tree") return std::nullopt;
    while (std::getline(in, line)) {
        const auto eq = line.find('=');
        if (eq != std::string::npos) marker.values[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return marker;
}

std::string marker_text(const Options& o, const std::string& state, const Expected* e) {
    std::ostringstream out;
    out << "certfleet bench/files tree\n"
        << "state=" << state << "\nversion=" << kTreeVersion << "\nfiles=" << o.files << "\ncerts=" << o.certs
        << "\n";
    if (e) {
        out << "directories=" << e->directories << "\nbytes=" << e->bytes << "\nexpected_certificates="
            << e->certificates << "\nexpected_distinct=" << e->distinct << "\nexpected_keys=" << e->keys
            << "\ncertificate_files=" << e->certificate_files << "\n";
        for (const auto& [format, count] : e->by_format) out << "format." << format << "=" << count << "\n";
    }
    return out.str();
}

Expected expected_from_marker(const Marker& m) {
    Expected e;
    e.files = m.number("files");
    e.directories = m.number("directories");
    e.bytes = m.number("bytes");
    e.certificates = m.number("expected_certificates");
    e.distinct = m.number("expected_distinct");
    e.keys = m.number("expected_keys");
    e.certificate_files = m.number("certificate_files");
    for (const auto& [key, value] : m.values)
        if (key.starts_with("format.")) e.by_format[key.substr(7)] = std::stoull(value);
    return e;
}

void write_whole_file(const fs::path& path, std::string_view content, int flags = O_EXCL) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0644);
    if (fd < 0) die("cannot create " + path.string() + ": " + std::strerror(errno));
    std::size_t done = 0;
    while (done < content.size()) {
        const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int error = errno;
            ::close(fd);
            die("cannot write " + path.string() + ": " + std::strerror(error));
        }
        done += static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0) die("cannot write " + path.string() + ": " + std::strerror(errno));
}

void write_marker(const fs::path& tree, const std::string& text) {
    // Through a rename, so a reader never sees a half-written "complete".
    const fs::path temporary = tree / (std::string(kMarkerName) + ".tmp");
    write_whole_file(temporary, text, O_TRUNC);
    fs::rename(temporary, tree / kMarkerName);
}

// ---------------------------------------------------------------------------------------------------------------
// The generator.

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
        write_marker(root_, marker_text(options, "generating", nullptr));
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
        write_marker(root_, marker_text(options, "complete", &expected_));
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

// ---------------------------------------------------------------------------------------------------------------
// Running children.

struct ChildRun {
    int status = 0;
    double wall = 0;     // seconds
    double cpu = 0;      // user + system seconds, including the child's own children
    double rss_mib = 0;  // peak resident set of the child (or of its largest child)
    double others = 0;   // CPU seconds the rest of the machine used meanwhile
};


ChildRun run_child(const std::vector<std::string>& args, const fs::path& out, const fs::path& err) {
    // Everything the child needs is prepared before fork: only async-signal-safe calls may follow it.
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const std::string out_path = out.string(), err_path = err.string();

    const double busy_before = machine_busy_seconds();
    const auto started = Clock::now();
    const pid_t pid = ::fork();
    if (pid < 0) die(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        const int o = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int e = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (o < 0 || e < 0 || ::dup2(o, STDOUT_FILENO) < 0 || ::dup2(e, STDERR_FILENO) < 0) ::_exit(126);
        // An ignored SIGPIPE survives exec; the floor's pipeline must see the default.
        ::signal(SIGPIPE, SIG_DFL);
        ::close(o);
        ::close(e);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    ChildRun run;
    struct rusage usage {};
    while (::wait4(pid, &run.status, 0, &usage) < 0) {
        if (errno != EINTR) die(std::string("wait4: ") + std::strerror(errno));
    }
    run.wall = std::chrono::duration<double>(Clock::now() - started).count();
    const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    run.cpu = seconds(usage.ru_utime) + seconds(usage.ru_stime);
    run.rss_mib = static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
    run.others = std::max(0.0, machine_busy_seconds() - busy_before - run.cpu);
    return run;
}


std::string describe_status(int status) {
    if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return std::string("signal ") + ::strsignal(WTERMSIG(status));
    return "status " + std::to_string(status);
}

struct ScanSummary {
    std::uint64_t files = 0, certificates = 0, keys = 0, errors = 0, skipped = 0;
};

// certfleet prints "certfleet: scan N complete: F files read, C certificates, K keys, E errors, S skipped in ...".
std::optional<ScanSummary> parse_summary(const std::string& stderr_text) {
    static const std::regex kLine(
        R"(certfleet: scan \d+ complete: (\d+) files read, (\d+) certificates, (\d+) keys, (\d+) errors, (\d+) skipped)");
    std::smatch m;
    if (!std::regex_search(stderr_text, m, kLine)) return std::nullopt;
    return ScanSummary{std::stoull(m[1]), std::stoull(m[2]), std::stoull(m[3]), std::stoull(m[4]), std::stoull(m[5])};
}

// A directory for the run's files, removed on every way out.
using ScratchDir = certfleet::testing::TempDir;


double mib(std::uint64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

// ---------------------------------------------------------------------------------------------------------------
// Checking what certfleet found against what was written, through its JSON report of the last run.

struct Check {
    bool fewer = false;  // fewer certificates than written: the scan missed something
    std::vector<std::string> lines;
};

Check check_report(const Options& options, const fs::path& db, const fs::path& scratch, const Expected& expected) {
    Check check;
    const fs::path report = scratch / "report.json";
    const ChildRun r = run_child({options.certfleet, "--db", db.string(), "report", "--format", "json", "-o",
                                  report.string()},
                                 scratch / "report.out", scratch / "report.err");
    if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0) {
        check.lines.push_back("certfleet report failed (" + describe_status(r.status) +
                              "): " + read_text(scratch / "report.err"));
        check.fewer = true;
        return check;
    }
    const auto json = nlohmann::json::parse(read_text(report));
    const auto& scan = json.at("scan");
    const auto seen = scan.at("certificates_seen").get<std::uint64_t>();
    const auto distinct = scan.at("distinct_certificates").get<std::uint64_t>();
    const auto keys = scan.at("keys_seen").get<std::uint64_t>();
    const auto errors = scan.at("errors").get<std::uint64_t>();
    std::map<std::string, std::uint64_t> by_format;
    for (const auto& cert : json.at("certificates"))
        for (const auto& s : cert.at("sightings"))
            if (s.value("kind", "") == "file") ++by_format[s.at("format").get<std::string>()];

    const auto line = [&](const std::string& what, std::uint64_t found, std::uint64_t wanted) {
        char buffer[160];
        std::snprintf(buffer, sizeof buffer, "  %-22s %8llu found, %8llu expected  %s", what.c_str(),
                      static_cast<unsigned long long>(found), static_cast<unsigned long long>(wanted),
                      found == wanted ? "ok" : "MISMATCH");
        check.lines.emplace_back(buffer);
    };
    line("certificate sightings", seen, expected.certificates);
    line("distinct certificates", distinct, expected.distinct);
    line("keys", keys, expected.keys);
    line("errors", errors, 0);
    std::map<std::string, std::uint64_t> formats = expected.by_format;
    for (const auto& [format, n] : by_format) formats.try_emplace(format, 0);
    for (const auto& [format, wanted] : formats) {
        const auto it = by_format.find(format);
        line("  as " + format, it == by_format.end() ? 0 : it->second, wanted);
    }
    if (errors > 0) {
        int shown = 0;
        for (const auto& e : json.at("errors")) {
            if (shown++ == 5) break;
            check.lines.push_back("  error: " + e.value("location", "") + ": " + e.value("reason", "") + ": " +
                                  e.value("detail", ""));
        }
    }
    check.fewer = seen < expected.certificates || distinct < expected.distinct;
    return check;
}

// ---------------------------------------------------------------------------------------------------------------

fs::path default_tree(const Options& o) {
    return fs::temp_directory_path() /
           ("certfleet-bench-files-" + std::to_string(o.files) + "-" + std::to_string(o.certs));
}

// Reuses a complete tree made with the same parameters; otherwise makes one. Returns the expected counts and
// whether this run made the tree (and so may remove it).
std::pair<Expected, bool> prepare_tree(const Options& o, const fs::path& tree) {
    if (const auto marker = read_marker(tree)) {
        if (marker->get("state") == "complete" && marker->number("version") == kTreeVersion &&
            marker->number("files") == o.files && marker->number("certs") == o.certs) {
            std::cout << "tree             " << tree.string() << " (reused)\n";
            return {expected_from_marker(*marker), false};
        }
        std::cout << "tree             " << tree.string() << ": stale or incomplete, regenerating\n";
        fs::remove_all(tree);
    } else if (fs::exists(tree)) {
        if (!fs::is_directory(tree) || !fs::is_empty(tree))
            die(tree.string() + " exists and is not a bench tree (no " + std::string(kMarkerName) +
                "): refusing to write into it");
    }
    const auto started = Clock::now();
    Expected expected;
    try {
        expected = TreeGenerator(tree, o.files, o.certs).run(o);
    } catch (...) {
        std::error_code ec;
        fs::remove_all(tree, ec);  // half a tree is no use to anyone
        throw;
    }
    char line[256];
    std::snprintf(line, sizeof line, "tree             %s (generated in %.1f s)\n", tree.c_str(),
                  std::chrono::duration<double>(Clock::now() - started).count());
    std::cout << line;
    return {expected, true};
}

int run(const Options& o) {
    if (::access(o.certfleet.c_str(), X_OK) != 0)
        die("--certfleet " + o.certfleet + ": not an executable file (build the certfleet target first)");
    const fs::path tree = o.tree.empty() ? default_tree(o) : fs::absolute(o.tree);
    const auto [expected, generated] = prepare_tree(o, tree);
    // Removes a tree this run made, unless asked to keep it for later runs.
    struct TreeCleanup {
        fs::path tree;
        bool active;
        ~TreeCleanup() {
            std::error_code ec;
            if (active) fs::remove_all(tree, ec);
        }
    } cleanup{tree, generated && !o.keep};

    char line[512];
    std::snprintf(line, sizeof line,
                  "files            %llu in %llu directories, %.1f MiB\n"
                  "certificates     %llu in %llu files (%llu distinct), %llu keys\n"
                  "certfleet        %s (threads: %s; %u cores)\n\n",
                  static_cast<unsigned long long>(expected.files), static_cast<unsigned long long>(expected.directories),
                  mib(expected.bytes), static_cast<unsigned long long>(expected.certificates),
                  static_cast<unsigned long long>(expected.certificate_files),
                  static_cast<unsigned long long>(expected.distinct), static_cast<unsigned long long>(expected.keys),
                  o.certfleet.c_str(), o.threads ? std::to_string(o.threads).c_str() : "default",
                  std::thread::hardware_concurrency());
    std::cout << line << std::flush;

    ScratchDir scratch;
    const std::vector<std::string> floor_command{"/bin/sh", "-c",
                                                 "find \"$1\" -type f -print0 | xargs -0 cat >/dev/null", "sh",
                                                 tree.string()};
    const auto floor_run = [&] {
        const ChildRun r = run_child(floor_command, scratch.path() / "floor.out", scratch.path() / "floor.err");
        if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0)
            die("the raw-read floor failed (" + describe_status(r.status) + "): " +
                read_text(scratch.path() / "floor.err"));
        return r;
    };
    floor_run();  // warms the page cache so neither side pays for the disk

    std::vector<double> floor_walls, scan_walls;
    std::vector<double> others;  // cores the rest of the machine kept busy during each run
    double peak_rss = 0;
    ScanSummary summary;
    fs::path last_db;
    std::cout << "run   floor s  floor cpu   certfleet s  certfleet cpu   RSS MiB     files  certificates   others\n";
    for (unsigned i = 1; i <= o.runs; ++i) {
        const ChildRun floor = floor_run();
        const fs::path db = scratch.path() / ("run-" + std::to_string(i) + ".db");
        std::vector<std::string> command{o.certfleet, "--db", db.string(), "scan", "--files", tree.string(),
                                         "--no-progress"};
        if (o.threads) command.insert(command.end(), {"--threads", std::to_string(o.threads)});
        const fs::path err = scratch.path() / "scan.err";
        const ChildRun scan = run_child(command, scratch.path() / "scan.out", err);
        const std::string err_text = read_text(err);
        if (!WIFEXITED(scan.status) || WEXITSTATUS(scan.status) != 0) {
            std::cerr << "bench_files: certfleet scan failed (" << describe_status(scan.status) << "):\n" << err_text;
            return 1;
        }
        const auto parsed = parse_summary(err_text);
        if (!parsed) {
            std::cerr << "bench_files: no summary line in certfleet's output:\n" << err_text;
            return 1;
        }
        summary = *parsed;
        floor_walls.push_back(floor.wall);
        scan_walls.push_back(scan.wall);
        peak_rss = std::max(peak_rss, scan.rss_mib);
        others.push_back((floor.others + scan.others) / (floor.wall + scan.wall));
        std::snprintf(line, sizeof line, "%-3u %9.3f %10.3f %13.3f %14.3f %9.1f %9llu %13llu %8.2f\n", i, floor.wall,
                      floor.cpu, scan.wall, scan.cpu, scan.rss_mib, static_cast<unsigned long long>(parsed->files),
                      static_cast<unsigned long long>(parsed->certificates), others.back());
        std::cout << line << std::flush;
        if (!last_db.empty()) fs::remove(last_db);  // one database at a time: they are large
        last_db = db;
    }

    const double floor_median = median(floor_walls), scan_median = median(scan_walls);
    const double ratio = scan_median / floor_median;
    const bool ratio_ok = ratio <= kTargetRatio, rss_ok = peak_rss <= kTargetRssMiB;
    std::snprintf(line, sizeof line,
                  "median %7.3f %24.3f\n\n"
                  "files/s          %.0f\n"
                  "certificates/s   %.0f\n"
                  "peak RSS         %.1f MiB    (target <= %.0f MiB)  %s\n"
                  "ratio            %.2f        (target <= %.1f)      %s    certfleet %.3f s / floor %.3f s, "
                  "median of %u\n",
                  floor_median, scan_median, static_cast<double>(summary.files) / scan_median,
                  static_cast<double>(summary.certificates) / scan_median, peak_rss, kTargetRssMiB,
                  rss_ok ? "PASS" : "MISS", ratio, kTargetRatio, ratio_ok ? "PASS" : "MISS", scan_median,
                  floor_median, o.runs);
    std::cout << line;
    std::snprintf(line, sizeof line, "database         %.1f MiB after one scan\n", mib(fs::file_size(last_db)));
    std::cout << line;
    // Other work on the machine slows certfleet (several threads) more than the mostly serial floor, so a busy
    // machine makes the ratio look worse than it is.
    if (const double busy = median(others); busy > 0.25) {
        std::snprintf(line, sizeof line,
                      "note             other processes kept %.2f of %u cores busy during the runs (median): the "
                      "figures are pessimistic\n",
                      busy, std::thread::hardware_concurrency());
        std::cout << line;
    }

    const Check check = check_report(o, last_db, scratch.path(), expected);
    std::cout << "\ncheck (JSON report of the last run):\n";
    for (const auto& l : check.lines) std::cout << l << "\n";
    if (summary.files != expected.files)
        std::cout << "  note: certfleet read " << summary.files << " files; the tree has " << expected.files << "\n";
    if (check.fewer || summary.certificates < expected.certificates) {
        std::cerr << "bench_files: certfleet found fewer certificates than the tree holds\n";
        return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app{"bench/files: certfleet scan throughput on a generated tree, against a raw-read floor.\n"
                 "Exits 0 whether or not the targets are met; non-zero when certfleet fails or misses certificates."};
    app.add_option("--tree", o.tree,
                   "Tree to scan: generated if absent, reused when its marker says it is complete with the same "
                   "parameters (default: a directory under the temp dir named after --files and --certs)");
    auto* files = app.add_option("--files", o.files, "Files in the tree")->capture_default_str()->check(CLI::Range(100ull, 100'000'000ull));
    auto* certs = app.add_option("--certs", o.certs, "Certificate occurrences in the tree")->capture_default_str()->check(CLI::Range(1ull, 10'000'000ull));
    auto* runs = app.add_option("--runs", o.runs, "Timed runs; medians are reported")->capture_default_str()->check(CLI::Range(1u, 100u));
    app.add_option("--certfleet", o.certfleet, "certfleet binary")->capture_default_str();
    app.add_option("--threads", o.threads, "Passed to certfleet scan --threads (default: certfleet's own)")
        ->check(CLI::Range(1u, 64u));
    app.add_flag("--keep", o.keep, "Leave a tree this run generated in place, so later runs reuse it");
    app.add_flag("--quick", o.quick, "10,000 files, 2,000 certificates, 1 run (unless given explicitly)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    if (o.quick) {
        if (!files->count()) o.files = 10'000;
        if (!certs->count()) o.certs = 2'000;
        if (!runs->count()) o.runs = 1;
    }
    // Output piped into `head` must not kill the benchmark before it removes its databases and tree.
    ::signal(SIGPIPE, SIG_IGN);
    try {
        return run(o);
    } catch (const std::exception& e) {
        std::cerr << "bench_files: " << e.what() << "\n";
        return 1;
    }
}
