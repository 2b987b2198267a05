#pragma once
// bench/net: certfleet scans and what they reported, the fleet's certificates, and OpenSSL's own speed.

#include "bench/net/children.hpp"

namespace certfleet::bench::net {

// ---------------------------------------------------------------------------------------------------------------
// certfleet runs.

struct NetSummary {
    std::uint64_t targets = 0, probes = 0, tls = 0, closed = 0, timeout = 0, not_tls = 0, handshake_failed = 0,
                  unresolved = 0;
};

// certfleet prints "certfleet: scan N complete: D/T targets, P probes: A tls, B closed, C timeout, D not-tls,
// E handshake-failed, F unresolved in 1.2s -> DB".
inline std::optional<NetSummary> parse_summary(const std::string& stderr_text) {
    static const std::regex kLine(
        R"(certfleet: scan \d+ complete: (\d+)/\d+ targets, (\d+) probes: (\d+) tls, (\d+) closed, (\d+) timeout, )"
        R"((\d+) not-tls, (\d+) handshake-failed, (\d+) unresolved)");
    std::smatch m;
    if (!std::regex_search(stderr_text, m, kLine)) return std::nullopt;
    const auto n = [&](int i) { return std::stoull(m[i]); };
    return NetSummary{n(1), n(2), n(3), n(4), n(5), n(6), n(7), n(8)};
}

inline std::string describe(const NetSummary& s) {
    return grouped(s.probes) + " probes: " + grouped(s.tls) + " tls, " + grouped(s.closed) + " closed, " +
           grouped(s.timeout) + " timeout, " + grouped(s.not_tls) + " not-tls, " + grouped(s.handshake_failed) +
           " handshake-failed, " + grouped(s.unresolved) + " unresolved";
}

struct Scan {
    ChildRun child;
    NetSummary summary;
    fs::path db;
    std::vector<std::string> notices;  // what else certfleet said on stderr, e.g. that it lowered --concurrency
};

// A notice can change what a figure means (a sweep run at a lower concurrency than asked), so it is shown.
inline void print_notices(const Scan& scan) {
    for (const auto& notice : scan.notices) std::cout << "certfleet said: " << notice << "\n";
}

class Certfleet {
public:
    Certfleet(std::string binary, Launcher& launcher, const ScratchDir& scratch, pid_t fleet)
        : binary_(std::move(binary)), launcher_(launcher), scratch_(scratch), fleet_(fleet) {}

    // A fresh database every time, so no run pays for (or profits from) an earlier one's rows.
    Scan scan(const std::string& name, const std::vector<std::string>& arguments) const {
        Scan result;
        result.db = scratch_ / (name + ".db");
        for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(result.db.string() + suffix);
        std::vector<std::string> command{binary_, "--db", result.db.string(), "scan"};
        command.insert(command.end(), arguments.begin(), arguments.end());
        command.push_back("--no-progress");
        const fs::path err = scratch_ / (name + ".err");
        result.child = launcher_.run(command, scratch_ / (name + ".out"), err, fleet_);
        const std::string err_text = read_text(err);
        if (!succeeded(result.child))
            die("certfleet scan (" + name + ") failed (" + describe_status(result.child) + "):\n" + err_text);
        const auto summary = parse_summary(err_text);
        if (!summary) die("no summary line in certfleet's output (" + name + "):\n" + err_text);
        result.summary = *summary;
        std::istringstream lines(err_text);
        for (std::string line; std::getline(lines, line);)
            if (!line.empty() && !parse_summary(line)) result.notices.push_back(line);
        return result;
    }

    // A dry run prints "N network targets" first; the count is checked so a dry run that planned something else
    // is not timed as if it had planned the right thing.
    ChildRun dry_run(const std::string& target, std::uint64_t expected) const {
        const std::vector<std::string> command{binary_, "--db", (scratch_ / "dry-run.db").string(), "scan", target,
                                               "--ports", "443", "--dry-run"};
        const ChildRun run = launcher_.run(command, scratch_ / "dry-run.out", scratch_ / "dry-run.err", fleet_);
        if (!succeeded(run))
            die("certfleet scan " + target + " --dry-run failed (" + describe_status(run) + "):\n" +
                read_text(scratch_ / "dry-run.err"));
        const std::string out = read_text(scratch_ / "dry-run.out");
        const std::string wanted = std::to_string(expected) + " network targets";
        if (!out.starts_with(wanted))
            die("certfleet scan " + target + " --dry-run: expected \"" + wanted + "\", got:\n" + out.substr(0, 200));
        return run;
    }

    nlohmann::json report(const fs::path& db) const {
        const fs::path json = scratch_ / "report.json";
        const ChildRun run =
            launcher_.run({binary_, "--db", db.string(), "report", "--format", "json", "-o", json.string()},
                          scratch_ / "report.out", scratch_ / "report.err", fleet_);
        if (!succeeded(run))
            die("certfleet report failed (" + describe_status(run) + "): " + read_text(scratch_ / "report.err"));
        auto parsed = nlohmann::json::parse(read_text(json));
        fs::remove(json);
        return parsed;
    }

private:
    std::string binary_;
    Launcher& launcher_;
    const ScratchDir& scratch_;
    pid_t fleet_;
};

inline void expect(const Scan& scan, const std::string& what, const NetSummary& wanted) {
    const NetSummary& s = scan.summary;
    if (s.targets != wanted.targets || s.probes != wanted.probes || s.tls != wanted.tls || s.closed != wanted.closed ||
        s.timeout != wanted.timeout || s.not_tls != wanted.not_tls || s.handshake_failed != wanted.handshake_failed ||
        s.unresolved != wanted.unresolved)
        die(what + ": certfleet reported " + describe(s) + "; the fleet serves " + describe(wanted));
}

inline NetSummary only_tls(std::uint64_t n) { return NetSummary{n, n, n, 0, 0, 0, 0, 0}; }

// ---------------------------------------------------------------------------------------------------------------
// The fleet: distinct ECDSA P-256 leaves under one intermediate, each naming its own address, so certfleet's
// verdict cache never hits and every grab pays for a full verification, as it would across a real fleet.

struct Pki {
    TestKey root_key, intermediate_key;
    TestCert root, intermediate;
    std::set<std::string> leaves;  // sha256
    std::vector<FleetEndpoint> endpoints;
};

inline Pki make_pki(unsigned tls_endpoints) {
    const KeySpec p256{KeyKind::ec, 2048, "prime256v1"};
    Pki pki{TestKey::generate(p256), TestKey::generate(p256), {}, {}, {}, {}};
    CertSpec root;
    root.subject_cn = "bench/net Root CA";
    root.subject_o = "certfleet bench";
    root.not_after_days = 3650;
    root.is_ca = true;
    root.key_usage = "critical,keyCertSign,cRLSign";
    pki.root = TestCert::make(root, pki.root_key);
    CertSpec intermediate = root;
    intermediate.subject_cn = "bench/net Issuing CA";
    intermediate.not_after_days = 1825;
    intermediate.path_length = 0;
    pki.intermediate = TestCert::make(intermediate, pki.intermediate_key, &pki.root, &pki.root_key);

    for (unsigned i = 0; i < tls_endpoints; ++i) {
        const std::string ip = address(kFirstTlsAddress + i);
        CertSpec leaf;
        leaf.subject_cn = "endpoint-" + std::to_string(i + 1) + ".bench.test";
        leaf.dns_names = {leaf.subject_cn};
        leaf.ip_addresses = {ip};  // probed by address without SNI: an IP SAN is what makes the verdict "verified"
        leaf.not_after_days = 90;
        leaf.key_usage = "critical,digitalSignature";
        leaf.ext_key_usage = "serverAuth";
        FleetEndpoint e;
        e.kind = "tls";
        e.address = ip;
        e.port = kTlsPort;
        e.key = TestKey::generate(p256);
        e.chain = {TestCert::make(leaf, e.key, &pki.intermediate, &pki.intermediate_key), pki.intermediate};
        pki.leaves.insert(e.chain.front().sha256());
        pki.endpoints.push_back(std::move(e));
    }
    for (unsigned i = 0; i < kSubset; ++i) {
        FleetEndpoint e;
        e.kind = "tarpit";
        e.address = address(kFirstTarpitAddress + i);
        e.port = kTlsPort;
        pki.endpoints.push_back(std::move(e));
    }
    return pki;
}

// ---------------------------------------------------------------------------------------------------------------
// The crypto floor: what the public-key operations of one grab cost on this machine, by OpenSSL's own count.

struct CryptoFloor {
    double x25519_ops = 0, verify_ops = 0;
    // One X25519 key agreement, and three ECDSA P-256 verifies: the TLS 1.3 CertificateVerify, the leaf's
    // signature by the intermediate and the intermediate's by the root.
    double per_grab() const { return 1 / x25519_ops + 3 / verify_ops; }
};

// The last number on the line naming `algorithm`: op/s for ecdh, verify/s for ecdsa.
inline double speed_figure(const std::string& output, const std::string& algorithm) {
    std::istringstream lines(output);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.find(algorithm) == std::string::npos) continue;
        const auto last = line.find_last_of(" \t");
        return std::stod(line.substr(last + 1));
    }
    die("openssl speed printed no " + algorithm + " line:\n" + output);
}

inline CryptoFloor measure_floor(Launcher& launcher, const std::string& openssl, const ScratchDir& scratch) {
    const auto speed = [&](const std::string& algorithm) {
        const fs::path out = scratch / "speed.out", err = scratch / "speed.err";
        const ChildRun run = launcher.run({openssl, "speed", "-seconds", "1", algorithm}, out, err, kNoFleet);
        if (!succeeded(run))
            die("openssl speed " + algorithm + " failed (" + describe_status(run) + "): " + read_text(err));
        return read_text(out);
    };
    return CryptoFloor{speed_figure(speed("ecdhx25519"), "(X25519)"), speed_figure(speed("ecdsap256"), "(nistp256)")};
}

}  // namespace certfleet::bench::net
