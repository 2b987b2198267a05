#include "inventory/concurrent_issuance.hpp"

#include "core/issuance.hpp"

namespace certfleet::inventory {

ConcurrentIssuanceChecks::ConcurrentIssuanceChecks(unsigned workers) : worker_count_(workers == 0 ? 1 : workers) {}

ConcurrentIssuanceChecks::~ConcurrentIssuanceChecks() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        queue_.clear();
    }
    changed_.notify_all();
    for (auto& worker : workers_) worker.join();
}

void ConcurrentIssuanceChecks::ask(IssuanceQuestion question) {
    asked_.push_back(std::move(question));
    if (asked_.size() >= kHandOver) hand_over();
}

void ConcurrentIssuanceChecks::hand_over() {
    if (asked_.empty()) return;
    std::unique_lock lock(mutex_);
    if (workers_.empty())
        for (unsigned i = 0; i < worker_count_; ++i) workers_.emplace_back([this] { work(); });
    changed_.wait(lock, [&] { return queue_.size() < kMaxQueued; });
    for (auto& question : asked_) queue_.push_back(std::move(question));
    asked_.clear();
    changed_.notify_all();
}

std::vector<IssuerLink> ConcurrentIssuanceChecks::take_issued() {
    std::lock_guard lock(mutex_);
    return std::exchange(issued_, {});
}

bool ConcurrentIssuanceChecks::answered_no(const IssuerLink& pair) {
    std::lock_guard lock(mutex_);
    return not_issued_.contains(pair);
}

void ConcurrentIssuanceChecks::wait() {
    hand_over();
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return queue_.empty() && in_progress_ == 0; });
}

void ConcurrentIssuanceChecks::discard() {
    asked_.clear();
    std::unique_lock lock(mutex_);
    queue_.clear();
    ++generation_;
    changed_.wait(lock, [&] { return in_progress_ == 0; });
    issued_.clear();
    not_issued_.clear();
    changed_.notify_all();
}

void ConcurrentIssuanceChecks::work() {
    IssuanceChecker checker;  // per thread: it caches parsed issuers
    std::unique_lock lock(mutex_);
    while (true) {
        changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        IssuanceQuestion question = std::move(queue_.front());
        queue_.pop_front();
        ++in_progress_;
        const std::uint64_t generation = generation_;
        changed_.notify_all();  // room in the queue
        lock.unlock();
        const bool issued = checker.issued(*question.certificate_der, question.issuer_sha256, *question.issuer_der);
        lock.lock();
        --in_progress_;
        if (generation == generation_) {
            const IssuerLink pair{question.certificate_id, question.issuer_id};
            if (issued) {
                issued_.push_back(pair);
            } else {
                if (not_issued_.size() >= kMaxRemembered) not_issued_.clear();
                not_issued_.insert(pair);
            }
        }
        changed_.notify_all();
    }
}

}  // namespace certfleet::inventory
