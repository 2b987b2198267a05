#pragma once
// Signature checks for the inventory's issuer links, on worker threads while a scan is still being recorded.
// Checking that a certificate's signature verifies with its candidate issuer's key is most of what linking costs
// (one ECDSA or EdDSA verification per new certificate), and it needs nothing from the database but the two DER
// encodings: the writer asks as it inserts a certificate and stores the answers with a later batch, so the checks
// run on another core instead of after the scan.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/cert_info.hpp"

namespace certfleet::inventory {

// Did the certificate `issuer_id` issue `certificate_id`? The DER is shared with the writer's caches.
struct IssuanceQuestion {
    std::int64_t certificate_id = 0;
    std::int64_t issuer_id = 0;
    std::shared_ptr<const Bytes> certificate_der;
    std::string issuer_sha256;
    std::shared_ptr<const Bytes> issuer_der;
};

using IssuerLink = std::pair<std::int64_t, std::int64_t>;  // (certificate id, issuer id)

class ConcurrentIssuanceChecks {
public:
    // Workers start with the first question, so opening an inventory only to read it starts no thread.
    explicit ConcurrentIssuanceChecks(unsigned workers);
    ~ConcurrentIssuanceChecks();
    ConcurrentIssuanceChecks(const ConcurrentIssuanceChecks&) = delete;
    ConcurrentIssuanceChecks& operator=(const ConcurrentIssuanceChecks&) = delete;

    // Queues a question. Questions go to the workers kHandOver at a time, as waking a worker costs the writer a
    // system call. Waits while kMaxQueued are queued, so memory stays bounded when the workers fall behind.
    void ask(IssuanceQuestion question);
    // The pairs found issued since the last call.
    std::vector<IssuerLink> take_issued();
    // Whether a worker found that this pair is not an issuance (remembered up to kMaxRemembered pairs; a pair
    // forgotten is simply checked again).
    bool answered_no(const IssuerLink& pair);
    // Waits until every queued question is answered.
    void wait();
    // Drops every pending question and every answer: the rows they name may be gone (a rolled-back batch).
    void discard();

    static constexpr std::size_t kHandOver = 64;
    static constexpr std::size_t kMaxQueued = 4096;
    static constexpr std::size_t kMaxRemembered = 65'536;

private:
    void work();
    void hand_over();

    const unsigned worker_count_;
    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<IssuanceQuestion> asked_;  // not yet handed over; only the asking thread touches it
    std::deque<IssuanceQuestion> queue_;
    std::size_t in_progress_ = 0;
    std::uint64_t generation_ = 0;  // bumped by discard(): answers to older questions are dropped
    bool stopping_ = false;
    std::vector<IssuerLink> issued_;
    std::set<IssuerLink> not_issued_;
};

}  // namespace certfleet::inventory
