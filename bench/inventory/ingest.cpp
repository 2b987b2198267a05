// bench/inventory: the writer's side of a measured run. Each scan of the simulated fleet goes through the real
// writer API in batches as the scanner records them, and only the time spent in that API counts.
#include <memory>
#include <unordered_map>

#include "bench/inventory/measured_run.hpp"

namespace certfleet::bench::inventory {
namespace {

constexpr std::size_t kBatch = 4096;  // as app/scan_command.cpp's Batcher
const Labels kScanLabels{{"env", "prod"}, {"source", "nightly"}};

}  // namespace

void ingest_scan(const std::string& db_path, const Simulation& sim, std::uint32_t scan_number, CertCache& cache,
                 const std::vector<LoadedCert>& fixed, std::int64_t created_at, const FleetPart& part,
                 IngestTotals& totals) {
    auto timed = [&](auto&& call) {
        const auto t = Clock::now();
        call();
        totals.api_seconds += seconds_since(t);
    };
    std::unique_ptr<Inventory> inv;
    ScanId scan = 0;
    // Each scan opens the inventory anew, as each `certfleet scan` does: the writer's caches start empty. A part
    // of the fleet is scanned as its own host, as the file scans of many hosts are.
    const std::string parameters =
        part.whole() ? R"({"bench":"inventory"})"
                     : R"({"bench":"inventory","host":"part-)" + std::to_string(part.index) + R"("})";
    timed([&] {
        inv = open_inventory(db_path);
        scan = inv->begin_scan("files+network", parameters, kScanLabels);
    });

    // Certificates loaded for the current batch only, each once however many places hold it.
    std::unordered_map<std::uint32_t, LoadedCert> loaded;
    const auto cert = [&](std::uint32_t index) -> const LoadedCert& {
        if (index < kFixedCount) return fixed[index];
        auto it = loaded.find(index);
        if (it == loaded.end()) it = loaded.emplace(index, cache.load(index)).first;
        return it->second;
    };
    ScanCounts scan_counts;
    std::vector<FileObservations> files;
    const auto flush_files = [&] {
        if (files.empty()) return;
        timed([&] { inv->record(scan, files); });
        files.clear();
        loaded.clear();
    };
    const auto sighting = [&](const LoadedCert& c, const std::string& path, SourceFormat format, int position,
                              bool anchor) {
        return CertificateSighting{c.info, c.der, FileLocation{path, format, position}, anchor};
    };
    for (const auto& l : sim.locations()) {
        if (!part.holds_host(l.host) || !sim.host_up(l.host)) continue;
        FileObservations obs;
        const auto& leaf = cert(sim.current(l.deployment));
        obs.certificates.push_back(sighting(leaf, l.path, l.format, 0, false));
        const Issuer issuer = sim.deployments()[l.deployment].issuer;
        if (l.chain && issuer != Issuer::self)
            obs.certificates.push_back(sighting(cert(issuer_cert(issuer)), l.path, l.format, 1, false));
        if (l.key_file) {
            const bool beside = l.format == SourceFormat::pem;
            obs.keys.push_back(KeySighting{beside ? l.path + ".key" : l.path, l.format, leaf.info->spki_sha256,
                                           l.format == SourceFormat::pkcs12 || l.format == SourceFormat::jks
                                               ? KeyState::in_keystore
                                               : KeyState::readable});
        }
        obs.labels = {{"owner", owner_of(l.host)}};
        if (staging_host(l.host)) obs.labels.push_back({"env", "staging"});
        totals.file_sightings += obs.certificates.size();
        totals.key_sightings += obs.keys.size();
        scan_counts.certificates_seen += obs.certificates.size();
        scan_counts.keys_seen += obs.keys.size();
        ++scan_counts.files_walked;
        files.push_back(std::move(obs));
        if (files.size() >= kBatch) flush_files();
    }
    for (const auto& store : sim.stores()) {
        if (part.index != 1) break;
        FileObservations obs;
        for (std::size_t p = 0; p < store.anchors.size(); ++p)
            obs.certificates.push_back(
                sighting(cert(store.anchors[p]), store.path, store.format, static_cast<int>(p), true));
        totals.file_sightings += obs.certificates.size();
        totals.anchor_sightings += obs.certificates.size();
        scan_counts.certificates_seen += obs.certificates.size();
        ++scan_counts.files_walked;
        files.push_back(std::move(obs));
    }
    flush_files();

    std::vector<EndpointObservationRecord> probes;
    std::uint64_t position = 0;
    const auto flush_probes = [&] {
        if (probes.empty()) return;
        timed([&] {
            inv->record_endpoints(scan, probes);
            inv->record_progress(scan, "bench", position);
        });
        probes.clear();
        loaded.clear();
    };
    for (std::uint32_t e = 0; e < sim.endpoints().size(); ++e, ++position) {
        const auto& ep = sim.endpoints()[e];
        if (!part.holds_host(ep.host_index)) continue;
        EndpointObservationRecord record;
        auto& f = record.facts;
        f.host = ep.host;
        f.address = ep.address;
        f.port = ep.port;
        f.server_name = ep.host;
        record.labels = {{"owner", owner_of(ep.host_index)}};
        if (staging_host(ep.host_index)) record.labels.push_back({"env", "staging"});
        if (!sim.endpoint_up(e)) {
            f.status = EndpointStatus::timeout;
            f.detail = "no answer within 3000 ms";
            f.elapsed_ms = 3000;
        } else {
            const auto& l = sim.locations()[ep.location];
            const Issuer issuer = sim.deployments()[l.deployment].issuer;
            const auto& leaf = cert(sim.current(l.deployment));
            record.chain.push_back(ChainCertificate{leaf.info, leaf.der});
            if (issuer != Issuer::self) {
                const auto& ca = cert(issuer_cert(issuer));
                record.chain.push_back(ChainCertificate{ca.info, ca.der});
            }
            f.status = EndpointStatus::tls;
            f.tls_version = "TLSv1.3";
            f.cipher = "TLS_AES_128_GCM_SHA256";
            // A few endpoints answer for the wrong name now and then: verdicts change between scans.
            const bool mismatch = (e * 2654435761u + scan_number * 40503u) % 100 == 0;
            const bool expired = leaf.info->not_after < created_at;
            ChainVerdict& v = f.verdict;
            v.name_check = mismatch ? NameCheck::mismatched : NameCheck::matched;
            v.chain_trusted = issuer != Issuer::self;
            v.order_correct = true;
            v.verified = !mismatch && v.chain_trusted && !expired;
            if (!v.chain_trusted) {
                v.verify_error = "untrusted-issuer";
                v.errors.push_back("untrusted-issuer");
            }
            if (expired) v.errors.push_back("expired");
            if (mismatch) v.errors.push_back("hostname-mismatch");
            if (v.verify_error.empty() && !v.errors.empty()) v.verify_error = v.errors.front();
            v.earliest_expiry = leaf.info->not_after;
            v.earliest_expiry_sha256 = leaf.info->sha256;
            for (const auto& link : record.chain)
                if (link.cert->not_after < *v.earliest_expiry) {
                    v.earliest_expiry = link.cert->not_after;
                    v.earliest_expiry_sha256 = link.cert->sha256;
                }
            f.elapsed_ms = 20 + e % 30;
            totals.endpoint_sightings += record.chain.size();
        }
        probes.push_back(std::move(record));
        if (probes.size() >= kBatch) flush_probes();
    }
    flush_probes();

    const auto t = Clock::now();
    inv->finish_scan(scan, ScanStatus::complete, scan_counts);
    inv.reset();
    const double finish = seconds_since(t);
    totals.finish_seconds += finish;
    totals.api_seconds += finish;
}

}  // namespace certfleet::bench::inventory
