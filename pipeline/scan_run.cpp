#include "pipeline/scan_run.hpp"

#include <tuple>

#include "core/certificate.hpp"
#include "core/encoding.hpp"
#include "pipeline/batcher.hpp"
#include "pipeline/findings.hpp"

namespace certfleet::pipeline {

namespace {

// The presented chain's certificates, each described once per scan: the same certificate on thousands of
// endpoints (or in a file the walk read) comes from the scan's one cache.
std::vector<ChainCertificate> describe_chain(const scanner::PresentedChain& chain, scanner::CertificateCache& cache) {
    std::vector<ChainCertificate> out;
    for (std::size_t i = 0; i < chain.size(); ++i) {
        const Bytes& der = chain.der()[i];
        const std::string sha256 = sha256_hex(der);
        auto entry = cache.find(sha256);
        if (!entry) {
            try {
                entry = scanner::CertificateCache::Entry{std::make_shared<const CertInfo>(chain.describe(i)),
                                                         std::make_shared<const Bytes>(der)};
            } catch (const CertificateParseError&) {
                continue;  // the verdict reports a chain whose certificates do not parse
            }
            cache.insert(sha256, *entry);
        }
        out.push_back(ChainCertificate{entry->cert, entry->der});
    }
    return out;
}

EndpointObservationRecord to_record(scanner::EndpointObservation&& o, scanner::ChainVerifier& verifier,
                                    scanner::CertificateCache& cache) {
    EndpointObservationRecord record;
    EndpointFacts& f = record.facts;
    f.host = std::move(o.host);
    f.address = std::move(o.address);
    f.port = o.port;
    f.server_name = std::move(o.server_name);
    f.status = o.status;
    f.detail = std::move(o.detail);
    f.starttls = o.starttls;
    f.tls_version = std::move(o.tls_version);
    f.cipher = std::move(o.cipher);
    f.key_exchange = std::move(o.key_exchange);
    f.hybrid_groups = std::move(o.hybrid_groups);
    f.client_auth = o.client_auth;
    f.client_ca_names = std::move(o.client_ca_names);
    f.ocsp_stapled = o.ocsp_stapled;
    f.elapsed_ms = o.elapsed_ms;
    if (o.status == EndpointStatus::tls) {
        f.verdict = verifier.verify(o.chain, f.server_name, f.address);
        record.chain = describe_chain(o.chain, cache);
    }
    return record;
}

// The file an input's observations came from: every sighting, key and event of one input names the same path.
const std::string& file_path_of(const FileObservations& obs) {
    static const std::string none;
    if (!obs.certificates.empty()) return obs.certificates.front().location.path;
    if (!obs.keys.empty()) return obs.keys.front().path;
    if (!obs.events.empty()) return obs.events.front().location;
    return none;
}

// One scan's run: what it stores into, the cache its certificates share, and how far it got.
class ScanRun {
public:
    ScanRun(const ScanPlan& plan, inventory::Inventory& inventory, const ScanProgress& progress,
            const std::atomic<bool>& stop)
        : plan_(plan), inventory_(inventory), progress_(progress), stop_(stop) {}

    void begin(std::size_t trust_anchors) {
        if (plan_.resume) {
            if (const auto found = inventory_.find_resumable(plan_.resume_key())) {
                std::tie(outcome_.scan, start_position_) = *found;
                inventory_.reopen_scan(outcome_.scan);
                tell("resuming scan " + std::to_string(outcome_.scan) + " at target " + std::to_string(start_position_));
            } else {
                tell("no interrupted scan of these targets to resume; starting a new one");
            }
        }
        if (outcome_.scan == 0)
            outcome_.scan = inventory_.begin_scan(plan_.kind(), plan_.parameters_json(trust_anchors), plan_.labels,
                                                 plan_.run_membership());
    }

    void walk_files() {
        scanner::WalkOptions walk = *plan_.files;
        walk.cache = &cache_;
        Batcher<FileObservations> writer(
            [&](const std::vector<FileObservations>& batch) { inventory_.record(outcome_.scan, batch); });
        outcome_.files = scanner::walk_files(
            walk,
            [&](FileObservations&& obs) {
                if (progress_.file_error)
                    for (const auto& event : obs.events)
                        if (event.level == EventLevel::error) progress_.file_error(event);
                if (!plan_.owners.empty()) obs.labels = plan_.owners.for_path(file_path_of(obs));
                writer.add(std::move(obs));
            },
            [&](const scanner::WalkStats& stats) {
                if (progress_.files) progress_.files(stats);
            },
            stop_);
        writer.flush();
    }

    void probe_network(scanner::ChainVerifier& verifier) {
        const NetworkPlan& network = *plan_.network;
        verifier.add_known_intermediates(inventory_.intermediate_certificates());
        const std::string resume_key = plan_.resume_key();
        // Stored with each batch: a position no later than the batch's own results, so a resumed scan never
        // skips a target whose result was lost with the process.
        std::uint64_t reached = start_position_;
        Batcher<EndpointObservationRecord> writer([&](const std::vector<EndpointObservationRecord>& batch) {
            inventory_.record_endpoints(outcome_.scan, batch);
            inventory_.record_progress(outcome_.scan, resume_key, reached);
        });
        scanner::NetworkScanOptions options = network.options;
        options.start_position = start_position_;
        outcome_.network = scanner::run_network_scan(
            network.targets, options,
            [&](scanner::EndpointObservation&& o) {
                auto record = to_record(std::move(o), verifier, cache_);
                record.facts.site = plan_.site;
                const auto& f = record.facts;
                if (f.status == EndpointStatus::unresolved && progress_.problem)
                    progress_.problem("cannot resolve " + f.host + ": " + f.detail);
                if (!plan_.owners.empty()) record.labels = plan_.owners.for_endpoint(f.host, f.address, f.server_name);
                writer.add(std::move(record));
            },
            [&](const scanner::NetworkScanStats& stats) {
                reached = stats.position;
                if (progress_.network) progress_.network(stats);
            },
            stop_);
        writer.flush();
        inventory_.record_progress(outcome_.scan, resume_key, outcome_.network->position);
    }

    void finish() {
        const auto files = outcome_.files.value_or(scanner::WalkStats{});
        const inventory::ScanCounts counts{files.files_walked, files.skipped, files.certificates,
                                           files.keys,         files.errors,  files.notes};
        if (stop_) {
            outcome_.status = inventory::ScanStatus::interrupted;
            inventory_.finish_scan(outcome_.scan, outcome_.status, counts);
            outcome_.coverage = inventory_.queries().coverage(outcome_.scan);
            return;
        }
        // The findings are stored in the transaction that completes the scan: a scan is never complete without
        // them. Rules that fail to evaluate leave the scan stored; `certfleet check` can evaluate it again.
        outcome_.status = inventory::ScanStatus::complete;
        inventory_.finish_scan(outcome_.scan, outcome_.status, counts, findings_evaluator(plan_.rules, outcome_.rules));
        outcome_.coverage = inventory_.queries().coverage(outcome_.scan);
    }

    void fail(const std::string& why) {
        outcome_.status = inventory::ScanStatus::failed;
        outcome_.failure = why;
        try {
            inventory_.finish_scan(outcome_.scan, inventory::ScanStatus::failed, {});
        } catch (const std::exception&) {
            // The database is what failed; the scan stays 'running' and the next scan marks it interrupted.
        }
    }

    ScanOutcome outcome() const { return outcome_; }

private:
    void tell(const std::string& note) const {
        if (progress_.note) progress_.note(note);
    }

    const ScanPlan& plan_;
    inventory::Inventory& inventory_;
    const ScanProgress& progress_;
    const std::atomic<bool>& stop_;
    scanner::CertificateCache cache_;
    std::uint64_t start_position_ = 0;
    ScanOutcome outcome_;
};

}  // namespace

bool ScanOutcome::no_target_resolved() const {
    if (files || !network) return false;
    const auto& n = *network;
    std::uint64_t reported = 0;
    for (const auto& [status, name] : kEndpointStatusNames) reported += n.count(status);
    return n.count(EndpointStatus::unresolved) > 0 && reported == n.count(EndpointStatus::unresolved);
}

ScanOutcome run_scan(const ScanPlan& plan, inventory::Inventory& inventory, const ScanProgress& progress,
                     const std::atomic<bool>& stop) {
    std::optional<scanner::ChainVerifier> verifier;
    try {
        if (plan.network) verifier.emplace(plan.network->trust);
    } catch (const scanner::TrustError& e) {
        throw PlanError(e.what());
    }
    ScanRun run(plan, inventory, progress, stop);
    run.begin(verifier ? verifier->anchors() : 0);
    try {
        if (plan.files) run.walk_files();
        if (plan.network && !stop) run.probe_network(*verifier);
    } catch (const std::exception& e) {
        run.fail(e.what());
        return run.outcome();
    }
    run.finish();
    return run.outcome();
}

}  // namespace certfleet::pipeline
