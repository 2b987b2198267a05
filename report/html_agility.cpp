// The HTML report's crypto-agility section: the fleet's key algorithms by strength and quantum standing, its
// endpoints' key exchanges, and its leaf certificates' lifetimes against the CA/Browser Forum's steps.
#include <cctype>
#include <map>

#include "core/algorithms.hpp"
#include "report/html_support.hpp"
#include "report/table_support.hpp"
#include "report/text_escape.hpp"

namespace certfleet::report::html {

namespace {

// NIST IR 8547 (ipd): 112-bit security deprecated after 2030, quantum-vulnerable signatures disallowed after 2035.
constexpr UnixTime kEndOf2030 = 1'924'991'999;
constexpr UnixTime kEndOf2035 = 2'082'758'399;

// A record id from a name: letters, digits and '-' only.
std::string record_id(std::string_view prefix, const std::string& name) {
    std::string id(prefix);
    for (const char c : name) id += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
    return id;
}

std::string quantum_text(const std::optional<bool>& vulnerable) {
    if (!vulnerable) return "unknown";
    return *vulnerable ? "vulnerable" : "post-quantum";
}

struct AlgorithmRow {
    AlgorithmJudgement judged;
    std::int64_t certificates = 0, endpoint_leaves = 0, past_2030 = 0, past_2035 = 0;
};

void write_key_algorithms(std::ostream& out, const inventory::ScanContents& contents) {
    std::map<std::string, AlgorithmRow> rows;
    std::map<std::string, const CertInfo*> by_sha;
    std::int64_t vulnerable = 0;
    for (const auto& stored : contents.certificates) {
        const CertInfo& c = stored.cert;
        by_sha[c.sha256] = &c;
        auto& row = rows[judge_key(c).name];
        row.judged = judge_key(c);
        ++row.certificates;
        row.past_2030 += c.not_after > kEndOf2030;
        row.past_2035 += c.not_after > kEndOf2035;
        vulnerable += row.judged.quantum_vulnerable.value_or(false);
    }
    for (const auto& endpoint : contents.endpoints)
        if (!endpoint.chain.empty())
            if (const auto it = by_sha.find(endpoint.chain.front()); it != by_sha.end()) ++rows[judge_key(*it->second).name].endpoint_leaves;
    const auto total = static_cast<std::int64_t>(contents.certificates.size());
    out << "<p>" << vulnerable << " of " << count_of(static_cast<std::size_t>(total), "certificate")
        << " have a quantum-vulnerable key" << (total > 0 ? " (" + std::to_string(vulnerable * 100 / total) + "%)" : "")
        << ". NIST deprecates 112-bit keys after 2030-12-31 and disallows quantum-vulnerable signatures after "
           "2035-12-31.</p>";
    const std::vector<Column> columns{{"algorithm", "Key algorithm"},   {"certificates", "Certificates", kNumber},
                                      {"leaves", "Endpoint leaves", kNumber}, {"bits", "Security bits", kNumber},
                                      {"quantum", "Quantum"},             {"past2030", "Valid past 2030", kNumber},
                                      {"past2035", "Valid past 2035", kNumber}};
    if (!open_table(out, "algorithms", "by algorithm, quantum standing", columns, rows.size(), "No certificate here."))
        return;
    for (const auto& [name, row] : rows)
        write_record(out, record_id("algorithm-", name),
                     {text_cell(name), number_cell(row.certificates), number_cell(row.endpoint_leaves),
                      row.judged.classical_bits > 0 ? number_cell(row.judged.classical_bits) : text_cell("unknown"),
                      text_cell(quantum_text(row.judged.quantum_vulnerable)), number_cell(row.past_2030),
                      number_cell(row.past_2035)},
                     "", columns);
    close_table(out);
}

void write_key_exchanges(std::ostream& out, const inventory::ScanContents& contents) {
    std::map<std::string, std::int64_t> endpoints;
    // By what a client offering hybrid groups gets, as harvest now, decrypt later is judged.
    for (const auto& endpoint : contents.endpoints) {
        if (endpoint.facts.status != EndpointStatus::tls) continue;
        const std::string& exchange = endpoint.facts.strongest_key_exchange();
        ++endpoints[exchange.empty() ? "not recorded" : exchange];
    }
    out << "<h3>Key exchanges</h3>";
    const std::vector<Column> columns{{"exchange", "Key exchange"}, {"endpoints", "Endpoints", kNumber},
                                      {"quantum", "Harvest now, decrypt later"}};
    if (!open_table(out, "exchanges", "by key exchange", columns, endpoints.size(), "No endpoint completed a handshake."))
        return;
    for (const auto& [name, count] : endpoints) {
        const auto judged = judge_key_exchange(name);
        write_record(out, record_id("exchange-", name),
                     {text_cell(name), number_cell(count),
                      text_cell(judged.quantum_vulnerable ? (*judged.quantum_vulnerable ? "exposed" : "protected")
                                                          : "unknown")},
                     "", columns);
    }
    close_table(out);
}

// Leaf lifetimes in the bands the CA/Browser Forum's maximums cut (Baseline Requirements 6.3.2 after ballot
// SC-081: 398 days, then 200 from 2026-03-15, 100 from 2027-03-15, 47 from 2029-03-15).
void write_lifetimes(std::ostream& out, const inventory::ScanContents& contents) {
    struct Band {
        const char* name;
        std::int64_t longest;  // days
    };
    constexpr Band kBands[] = {{"up to 47 days", 47},     {"48 to 100 days", 100}, {"101 to 200 days", 200},
                               {"201 to 398 days", 398}, {"over 398 days", INT64_MAX}};
    std::int64_t counts[std::size(kBands)] = {};
    for (const auto& stored : contents.certificates) {
        if (stored.cert.is_ca) continue;
        const std::int64_t days = (lifetime_seconds(stored.cert) + 86399) / 86400;
        for (std::size_t i = 0; i < std::size(kBands); ++i)
            if (days <= kBands[i].longest) {
                ++counts[i];
                break;
            }
    }
    out << "<h3>Leaf lifetimes</h3>";
    const std::vector<Column> columns{{"band", "Lifetime"}, {"certificates", "Leaf certificates", kNumber}};
    if (!open_table(out, "lifetimes", "by lifetime", columns, std::size(kBands), "")) return;
    for (std::size_t i = 0; i < std::size(kBands); ++i)
        write_record(out, std::string("lifetime-") + std::to_string(i), {text_cell(kBands[i].name), number_cell(counts[i])},
                     "", columns);
    close_table(out);
}

}  // namespace

void write_crypto_agility(std::ostream& out, const inventory::ScanContents& contents) {
    write_key_algorithms(out, contents);
    write_key_exchanges(out, contents);
    write_lifetimes(out, contents);
}

}  // namespace certfleet::report::html
