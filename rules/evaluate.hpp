#pragma once
// Applying rules: the subjects of a view (one certificate at one place, with every fact a rule can test) and
// the findings and migration progress the rules give over them.
#include <optional>
#include <string>
#include <vector>

#include "core/cert_info.hpp"
#include "core/observation.hpp"
#include "inventory/analysis.hpp"
#include "rules/rules.hpp"

namespace certfleet::rules {

struct Subject {
    CertInfo cert;
    inventory::Place place;  // with its position and whether it is a trust-store entry there (of a system store)
    Labels labels;
    std::optional<EndpointFacts> endpoint;  // the endpoint's probe, when the place is one
    // Position 0 at an endpoint; in a file, a certificate that is no trust-store entry there and acts as a leaf
    // (acts_as_leaf): no CA, or a CA:TRUE one presented first by an endpoint or held with its key in the view.
    bool leaf = false;
    bool intermediate_expires_before_leaf = false;  // a CA presented above this leaf expires first
    std::int64_t shared_locations = 1;              // distinct places (trust-store entries apart) in the view
    std::vector<std::string> split_label_keys;      // label keys with 2+ values across those places
    bool key_reused = false;                        // its key is in another certificate or in 2+ key files
    bool pinned_in_trust_store = false;             // a trust-store entry that acts as a leaf
    bool stale = false;                             // a trust-store entry no live certificate in the view chains to
    std::vector<inventory::Ancestor> ancestors;     // issuers up the links, nearest first
};

// The facts beyond a certificate and its place that a rule set tests, each a question of its own to the
// inventory: a burn-down asks for one view per scan, and its migration rules rarely need them all.
struct SubjectFacts {
    bool endpoints = true;    // probe verdicts: hostname_match, chain_verified, order_correct, verify_error, ...
    bool shared = true;       // shared_locations_at_least, shared_across_label
    bool reused_keys = true;  // key_reused
    bool ancestors = true;    // a migration's replace_with
    bool anchors = true;      // stale: what chains up to each trust anchor
};
SubjectFacts facts_tested_by(const RuleSet& rules);

// Every certificate at every place of the view, with its facts (those in `facts`; the rest keep their defaults).
std::vector<Subject> gather_subjects(inventory::InventoryQueries& queries, const inventory::Filter& view,
                                     const SubjectFacts& facts = {});

// A migration rule's state in one view.
struct MigrationProgress {
    std::string rule_id;
    std::int64_t in_scope = 0;  // places the rule covers: still to migrate, migrated, or exempt
    std::int64_t met = 0;       // present a certificate chaining to replace_with
    std::int64_t unmet = 0;
    std::int64_t exempt = 0;
    std::int64_t overdue = 0;   // unmet after the deadline
    std::vector<std::string> met_places;  // to spot a place that regresses in a later view
};

struct Evaluation {
    std::vector<Finding> findings;   // most severe first, then soonest expiry
    std::vector<std::string> notes;  // e.g. exemptions that expired and stopped applying
    std::vector<MigrationProgress> migrations;
    std::int64_t exempted = 0;       // findings an exemption suppressed
};

Evaluation evaluate(const RuleSet& rules, const std::vector<Subject>& subjects, UnixTime now);

// True when an exemption in force at `now` covers the subject: its certificate by fingerprint, or its place.
bool exempted(const std::vector<Exemption>& exemptions, const Subject& subject, UnixTime now);

// True when the rule's match holds for the subject (scope not considered).
bool matches(const Match& match, const Subject& subject, UnixTime now);
bool in_scope(const Scope& scope, const Subject& subject);

}  // namespace certfleet::rules
