// bench/inventory: makes the fleet's certificates once, real and signed, and keeps them with their parsed model, so
// the timed runs pay neither for making nor for parsing them.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <optional>
#include <span>

#include "bench/bench_support.hpp"
#include "bench/inventory/cert_cache.hpp"
#include "core/certificate.hpp"
#include "testkit/cert_factory.hpp"

namespace certfleet::bench::inventory {
namespace {

using namespace certfleet::testing;

// Bump when the simulation or the certificates change, so caches left by an older build are regenerated.
constexpr std::uint64_t kCacheVersion = 1;

// A cache record: numbers in the machine's byte order, strings and lists after their length.
class Writer {
public:
    void u32(std::uint32_t v) { out_.append(reinterpret_cast<const char*>(&v), sizeof v); }
    void i64(std::int64_t v) { out_.append(reinterpret_cast<const char*>(&v), sizeof v); }
    void str(const std::string& s) {
        u32(static_cast<std::uint32_t>(s.size()));
        out_ += s;
    }
    void strs(const std::vector<std::string>& list) {
        u32(static_cast<std::uint32_t>(list.size()));
        for (const auto& s : list) str(s);
    }
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

class Reader {
public:
    explicit Reader(std::span<const char> in) : in_(in) {}
    std::uint32_t u32() { return pod<std::uint32_t>(); }
    std::int64_t i64() { return pod<std::int64_t>(); }
    std::string str() {
        const std::uint32_t n = u32();
        need(n);
        std::string s(in_.data() + at_, n);
        at_ += n;
        return s;
    }
    std::vector<std::string> strs() {
        std::vector<std::string> list(u32());
        for (auto& s : list) s = str();
        return list;
    }
    Bytes bytes() {
        const std::uint32_t n = u32();
        need(n);
        Bytes b(reinterpret_cast<const std::uint8_t*>(in_.data() + at_),
                reinterpret_cast<const std::uint8_t*>(in_.data() + at_ + n));
        at_ += n;
        return b;
    }

private:
    template <typename T>
    T pod() {
        need(sizeof(T));
        T v;
        std::memcpy(&v, in_.data() + at_, sizeof v);
        at_ += sizeof v;
        return v;
    }
    void need(std::size_t n) const {
        if (at_ + n > in_.size()) die("certificate cache: record truncated");
    }
    std::span<const char> in_;
    std::size_t at_ = 0;
};

std::string serialize(const Bytes& der, const CertInfo& c) {
    Writer w;
    w.str(std::string(der.begin(), der.end()));
    for (const auto* s : {&c.sha256, &c.spki_sha256, &c.subject, &c.issuer, &c.serial}) w.str(*s);
    w.i64(c.not_before);
    w.i64(c.not_after);
    w.str(c.key_type);
    w.str(c.key_curve);
    w.i64(c.key_bits);
    w.str(c.signature_algorithm);
    for (const auto* l : {&c.dns_names, &c.ip_addresses, &c.uris, &c.emails}) w.strs(*l);
    w.i64(c.is_ca);
    w.i64(c.path_length ? *c.path_length : -1);
    w.strs(c.key_usage);
    w.strs(c.ext_key_usage);
    w.str(c.subject_key_id);
    w.str(c.authority_key_id);
    w.i64(c.self_issued);
    w.i64(c.self_signed);
    return w.take();
}

LoadedCert deserialize(std::span<const char> record) {
    Reader r(record);
    auto der = std::make_shared<Bytes>(r.bytes());
    auto c = std::make_shared<CertInfo>();
    for (auto* s : {&c->sha256, &c->spki_sha256, &c->subject, &c->issuer, &c->serial}) *s = r.str();
    c->not_before = r.i64();
    c->not_after = r.i64();
    c->key_type = r.str();
    c->key_curve = r.str();
    c->key_bits = static_cast<int>(r.i64());
    c->signature_algorithm = r.str();
    for (auto* l : {&c->dns_names, &c->ip_addresses, &c->uris, &c->emails}) *l = r.strs();
    c->is_ca = r.i64() != 0;
    if (const auto length = r.i64(); length >= 0) c->path_length = static_cast<int>(length);
    c->key_usage = r.strs();
    c->ext_key_usage = r.strs();
    c->subject_key_id = r.str();
    c->authority_key_id = r.str();
    c->self_issued = r.i64() != 0;
    c->self_signed = r.i64() != 0;
    return LoadedCert{std::move(c), std::move(der)};
}

TestCert make_ca(const std::string& cn, const TestKey& key, const TestCert* issuer, const TestKey* issuer_key,
                 std::uint32_t serial, std::optional<int> path_length) {
    CertSpec spec;
    spec.subject_cn = cn;
    spec.subject_o = issuer ? "Example Corp" : (cn.starts_with("Public") ? "Public Trust Services" : "Example Corp");
    spec.not_before_days = -400;
    spec.not_after_days = issuer ? 1825 : 3650;
    spec.is_ca = true;
    spec.path_length = path_length;
    spec.key_usage = "critical,keyCertSign,cRLSign";
    spec.serial = serial;
    return TestCert::make(spec, key, issuer, issuer_key);
}

CacheInfo make_cache(const Scale& scale, const fs::path& dir) {
    const auto started = Clock::now();
    // Step the simulation through every scan to learn every certificate it will need.
    Simulation sim(scale);
    std::vector<CertPlan> plans;
    for (std::uint32_t s = 0; s < scale.scans; ++s) {
        sim.next_scan();
        plans.insert(plans.end(), sim.new_certificates().begin(), sim.new_certificates().end());
    }
    const std::uint64_t count = kFixedCount + plans.size();
    const auto created_at = static_cast<std::int64_t>(std::time(nullptr));

    std::vector<TestKey> keys(sim.keys());
    KeySpec p256;
    parallel_for(keys.size(), [&](std::size_t i) { keys[i] = TestKey::generate(p256); });

    std::vector<std::string> records(count);
    const auto keep = [&](std::uint32_t index, const TestCert& cert) {
        records[index] = serialize(cert.der, describe_certificate(cert.der));
    };
    KeySpec ed25519;
    ed25519.kind = KeyKind::ed25519;
    const TestKey root1_key = TestKey::generate(p256), root2_key = TestKey::generate(ed25519);
    const TestKey ca1_key = TestKey::generate(p256), ca2_key = TestKey::generate(p256),
                  ca3_key = TestKey::generate(ed25519);
    const TestCert root1 = make_ca("Example Corp Root CA 1", root1_key, nullptr, nullptr, 1, std::nullopt);
    const TestCert root2 = make_ca("Example Corp Root CA 2", root2_key, nullptr, nullptr, 2, std::nullopt);
    const TestCert ca1 = make_ca("Example Corp Issuing CA 1", ca1_key, &root1, &root1_key, 3, 0);
    const TestCert ca2 = make_ca("Example Corp Issuing CA 2", ca2_key, &root1, &root1_key, 4, 0);
    const TestCert ca3 = make_ca("Example Corp Issuing CA 3", ca3_key, &root2, &root2_key, 5, 0);
    keep(kRoot1, root1);
    keep(kRoot2, root2);
    keep(kCa1, ca1);
    keep(kCa2, ca2);
    keep(kCa3, ca3);
    parallel_for(kPublicRootCount, [&](std::size_t p) {
        char cn[64];
        std::snprintf(cn, sizeof cn, "Public Root CA %02zu", p + 1);
        const TestKey key = TestKey::generate(p256);
        keep(static_cast<std::uint32_t>(kPublicRoots + p),
             make_ca(cn, key, nullptr, nullptr, static_cast<std::uint32_t>(100 + p), std::nullopt));
    });
    {
        CertSpec spec;
        spec.subject_cn = "legacy-pinned.h00000.prod.example.com";
        spec.dns_names = {spec.subject_cn};
        spec.not_before_days = -200;
        spec.not_after_days = 3000;
        spec.key_usage = "critical,digitalSignature";
        spec.ext_key_usage = "serverAuth";
        spec.serial = 200;
        keep(kPinned, TestCert::make(spec, TestKey::generate(p256)));
    }
    const TestCert* issuers[] = {&ca1, &ca2, &ca3};
    const TestKey* issuer_keys[] = {&ca1_key, &ca2_key, &ca3_key};
    parallel_for(plans.size(), [&](std::size_t i) {
        const CertPlan& plan = plans[i];
        const Deployment& dep = sim.deployments()[plan.deployment];
        CertSpec spec;
        spec.subject_cn = dep.cn;
        spec.subject_o = "Example Corp";
        spec.dns_names = dep.dns;
        spec.not_before_days = plan.not_before_days;
        spec.not_after_days = plan.not_after_days;
        spec.key_usage = "critical,digitalSignature";
        spec.ext_key_usage = "serverAuth,clientAuth";
        spec.serial = static_cast<long>(0x10000 + plan.index);
        const auto which = static_cast<std::size_t>(plan.issuer);
        const TestCert cert = plan.issuer == Issuer::self
                                  ? TestCert::make(spec, keys[plan.key])
                                  : TestCert::make(spec, keys[plan.key], issuers[which], issuer_keys[which]);
        keep(plan.index, cert);
    });

    fs::remove_all(dir);
    fs::create_directories(dir);
    {
        std::ofstream certs(dir / "certs.bin", std::ios::binary), index(dir / "index.bin", std::ios::binary);
        std::uint64_t offset = 0;
        for (const auto& r : records) {
            index.write(reinterpret_cast<const char*>(&offset), sizeof offset);
            certs.write(r.data(), static_cast<std::streamsize>(r.size()));
            offset += r.size();
        }
        index.write(reinterpret_cast<const char*>(&offset), sizeof offset);
        if (!certs.flush() || !index.flush()) die("cannot write the certificate cache in " + dir.string());
    }
    std::ofstream marker(dir / "marker.tmp");
    marker << "certfleet bench/inventory certificates\nversion=" << kCacheVersion << "\nscale=" << scale.name()
           << "\ncount=" << count << "\ncreated_at=" << created_at << "\n";
    marker.close();
    fs::rename(dir / "marker.tmp", dir / "marker");
    return CacheInfo{dir, count, created_at, seconds_since(started)};
}

}  // namespace

std::map<std::string, std::string> read_marker(const fs::path& dir) {
    std::map<std::string, std::string> values;
    std::ifstream in(dir / "marker");
    std::string line;
    while (std::getline(in, line))
        if (const auto eq = line.find('='); eq != std::string::npos) values[line.substr(0, eq)] = line.substr(eq + 1);
    return values;
}

CertCache::CertCache(const CacheInfo& info) {
    const std::string index = read_text(info.dir / "index.bin");
    offsets_.resize(index.size() / sizeof(std::uint64_t));
    std::memcpy(offsets_.data(), index.data(), offsets_.size() * sizeof(std::uint64_t));
    if (offsets_.size() != info.count + 1) die("certificate cache: index does not match the marker");
    fd_ = ::open((info.dir / "certs.bin").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) die("certificate cache: cannot open certs.bin: " + std::string(std::strerror(errno)));
}

CertCache::~CertCache() { ::close(fd_); }

LoadedCert CertCache::load(std::uint32_t index) {
    if (index >= size()) die("certificate cache: no certificate " + std::to_string(index));
    const std::size_t length = offsets_[index + 1] - offsets_[index];
    buffer_.resize(length);
    if (::pread(fd_, buffer_.data(), length, static_cast<off_t>(offsets_[index])) != static_cast<ssize_t>(length))
        die("certificate cache: short read");
    return deserialize(buffer_);
}

CacheInfo prepare_cache(const Scale& scale, const fs::path& root) {
    const fs::path dir = root / ("certfleet-bench-inventory-" + scale.name());
    const auto marker = read_marker(dir);
    const auto get = [&](const char* key) {
        const auto it = marker.find(key);
        return it == marker.end() ? std::string() : it->second;
    };
    if (get("version") == std::to_string(kCacheVersion) && get("scale") == scale.name())
        return CacheInfo{dir, std::stoull(get("count")), std::stoll(get("created_at")), 0};
    if (fs::exists(dir) && !fs::exists(dir / "certs.bin") && !fs::exists(dir / "marker") && !fs::is_empty(dir))
        die(dir.string() + " exists and is not a bench certificate cache: refusing to write into it");
    return make_cache(scale, dir);
}

}  // namespace certfleet::bench::inventory
