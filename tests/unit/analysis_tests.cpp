// The inventory's questions over a small fleet built at test time: two scans with rotations between them, a
// certificate copied to three places of two owners, a reused key, trust stores with a pinned self-signed leaf, a
// stale root and a root missing from one store, an endpoint whose verdict changes. Asked of both stores.
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "core/certificate.hpp"
#include "inventory/analysis.hpp"
#include "inventory/inventory.hpp"
#include "testkit/cert_factory.hpp"
#include "tests/unit/store_fixture.hpp"

using namespace certfleet;
using namespace certfleet::testing;
using inventory::Filter;

namespace {

CertificateSighting sighting(const TestCert& cert, const std::string& path, int index, bool anchor = false) {
    CertificateSighting s{std::make_shared<const CertInfo>(describe_certificate(cert.der)),
                          std::make_shared<const Bytes>(cert.der), FileLocation{path, SourceFormat::pem, index}};
    s.trust_anchor = anchor;
    return s;
}

FileObservations file(const std::string& path, const std::vector<TestCert>& certs, bool anchors = false,
                      Labels labels = {}) {
    FileObservations obs;
    for (std::size_t i = 0; i < certs.size(); ++i) obs.certificates.push_back(sighting(certs[i], path, static_cast<int>(i), anchors));
    obs.labels = std::move(labels);
    return obs;
}

FileObservations key_file(const std::string& path, const TestKey& key) {
    FileObservations obs;
    obs.keys.push_back(KeySighting{path, SourceFormat::pem, key.spki_sha256(), KeyState::readable});
    return obs;
}

EndpointObservationRecord endpoint(const TestCert& leaf, bool verified, const std::string& verify_error) {
    EndpointObservationRecord record;
    record.facts.host = "127.0.0.1";
    record.facts.address = "127.0.0.1";
    record.facts.port = 8443;
    record.facts.status = EndpointStatus::tls;
    record.facts.verdict.verified = verified;
    record.facts.verdict.verify_error = verify_error;
    record.chain.push_back(ChainCertificate{std::make_shared<const CertInfo>(describe_certificate(leaf.der)),
                                            std::make_shared<const Bytes>(leaf.der)});
    return record;
}

struct Fleet {
    TempDir dir;
    std::string db;
    TestChain shop = make_chain("shop.example");
    TestCert shop_reissued =
        TestCert::make({.subject_cn = "shop.example", .dns_names = {"shop.example"}}, shop.leaf_key, &shop.intermediate,
                       &shop.intermediate_key);
    TestKey soon_key = TestKey::shared({}, 4);
    TestKey soon_new_key = TestKey::shared({}, 5);
    TestCert soon = TestCert::make({.subject_cn = "soon.example", .not_after_days = 10}, soon_key);
    TestCert soon_renewed = TestCert::make({.subject_cn = "soon.example", .not_after_days = 20}, soon_new_key);
    TestCert copied = TestCert::make({.subject_cn = "copied.example"}, TestKey::shared({}, 6));
    TestKey reused_key = TestKey::shared({}, 7);
    TestCert reuse_a = TestCert::make({.subject_cn = "a.example"}, reused_key);
    TestCert reuse_b = TestCert::make({.subject_cn = "b.example"}, reused_key);
    TestCert pinned = TestCert::make({.subject_cn = "pinned.example"}, TestKey::shared({}, 8));
    TestCert stale_root = TestCert::make({.subject_cn = "Stale Root", .is_ca = true}, TestKey::shared({}, 9));
    TestCert other_root = TestCert::make({.subject_cn = "Other Root", .is_ca = true}, TestKey::shared({}, 10));
    inventory::ScanId first = 0, second = 0;

    explicit Fleet(Store store) : db(new_inventory(store, dir)) {
        auto inv = inventory::open_inventory(db);
        for (int round = 0; round < 2; ++round) {
            const auto scan = inv->begin_scan("files+network", "{}", {{"env", "prod"}});
            (round == 0 ? first : second) = scan;
            std::vector<FileObservations> batch{
                file("/srv/shop/fullchain.pem", {round == 0 ? shop.leaf : shop_reissued, shop.intermediate}),
                file("/srv/soon.pem", {round == 0 ? soon : soon_renewed}),
                file("/srv/a/cert.pem", {copied}, false, {{"owner", "payments"}}),
                file("/srv/b/cert.pem", {copied}, false, {{"owner", "payments"}}),
                file("/srv/r1.pem", {reuse_a}),
                file("/srv/r2.pem", {reuse_b}),
                key_file("/srv/keys/k1.pem", reused_key),
                key_file("/srv/keys/k2.pem", reused_key),
                file("/etc/ssl/certs/ca-bundle.crt", {shop.root, pinned, stale_root}, true),
                file("/opt/app/truststore.pem", {other_root}, true),
            };
            // The third copy, of another owner, is seen by the first scan only.
            if (round == 0) batch.push_back(file("/srv/c/cert.pem", {copied}, false, {{"owner", "search"}}));
            inv->record(scan, batch);
            inv->record_endpoints(scan, {endpoint(pinned, false, round == 0 ? "self-signed" : "expired")});
            inv->finish_scan(scan, inventory::ScanStatus::complete, {});
        }
    }
};

// One fleet per store, made once and asked by every test.
Fleet& fleet(Store store) {
    static std::map<Store, std::unique_ptr<Fleet>> fleets;
    auto& made = fleets[store];
    if (!made) made = std::make_unique<Fleet>(store);
    return *made;
}

std::set<std::string> shas(const std::vector<inventory::CertificateSummary>& summaries) {
    std::set<std::string> out;
    for (const auto& s : summaries) out.insert(s.cert.sha256);
    return out;
}

std::set<std::string> displays(const std::vector<inventory::PlaceSeen>& places) {
    std::set<std::string> out;
    for (const auto& p : places) out.insert(p.place.display());
    return out;
}

}  // namespace

TEST_CASE("analysis: the current view holds each place as its latest scan saw it", "[analysis]") {
    auto& f = fleet(GENERATE(Store::sqlite, Store::postgresql));
    auto q = inventory::open_queries(f.db);
    const auto now = shas(q->certificates({}));
    CHECK(now.contains(f.shop_reissued.sha256()));
    CHECK_FALSE(now.contains(f.shop.leaf.sha256()));
    CHECK(now.contains(f.soon_renewed.sha256()));
    CHECK_FALSE(now.contains(f.soon.sha256()));
    const auto then = shas(q->certificates(Filter{.scans = {f.first}}));
    CHECK(then.contains(f.shop.leaf.sha256()));
    CHECK_FALSE(then.contains(f.shop_reissued.sha256()));

    // As of the first scan, the view is what the first scan saw.
    CHECK(shas(q->certificates(Filter{.as_of = f.first})) == then);
    CHECK(q->endpoints(Filter{.as_of = f.first}).front().facts.verdict.verify_error == "self-signed");
    CHECK(q->shared(Filter{.as_of = f.first}, 3).size() == 1);

    const auto all = q->certificates({});
    const auto copied = std::find_if(all.begin(), all.end(), [&](const auto& s) { return s.cert.sha256 == f.copied.sha256(); });
    REQUIRE(copied != all.end());
    CHECK(copied->places == 3);  // /srv/c was seen last by the first scan and keeps its state
    CHECK(copied->first_seen <= copied->last_seen);
}

TEST_CASE("analysis: filters by expiry, self-signed, issuer and label", "[analysis]") {
    auto& f = fleet(GENERATE(Store::sqlite, Store::postgresql));
    auto q = inventory::open_queries(f.db);
    CHECK(shas(q->certificates(Filter{.expiring_within = 30 * 86400})) == std::set<std::string>{f.soon_renewed.sha256()});
    CHECK(shas(q->certificates(Filter{.scans = {f.first}, .expiring_within = 15 * 86400})) == std::set<std::string>{f.soon.sha256()});
    const auto self_signed = shas(q->certificates(Filter{.self_signed = true}));
    CHECK(self_signed.contains(f.pinned.sha256()));
    CHECK_FALSE(self_signed.contains(f.shop_reissued.sha256()));
    CHECK(shas(q->certificates(Filter{.issuer = "cn=test intermediate"})).contains(f.shop_reissued.sha256()));
    CHECK(shas(q->certificates(Filter{.labels = {{"owner", "search"}}})) == std::set<std::string>{f.copied.sha256()});
    // The scan's label applies wherever the owner map set none.
    CHECK(shas(q->certificates(Filter{.labels = {{"env", "prod"}}})).contains(f.shop_reissued.sha256()));
    CHECK(q->certificates(Filter{.labels = {{"env", "staging"}}}).empty());
}

TEST_CASE("analysis: fingerprint prefixes resolve like git's", "[analysis]") {
    auto& f = fleet(GENERATE(Store::sqlite, Store::postgresql));
    auto q = inventory::open_queries(f.db);
    const std::string sha = f.copied.sha256();
    CHECK(q->fingerprints_starting_with(sha.substr(0, 12), 10) == std::vector<std::string>{sha});
    std::string colons;
    for (std::size_t i = 0; i < 8; i += 2) colons += (i ? ":" : "") + sha.substr(i, 2);
    for (auto& ch : colons) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    CHECK(q->fingerprints_starting_with(colons, 10).front().substr(0, 8) == sha.substr(0, 8));
    CHECK(q->fingerprints_starting_with("", 10).empty());
    CHECK(q->fingerprints_starting_with("zz", 10).empty());
    CHECK(q->fingerprints_starting_with("0", 100).size() + q->fingerprints_starting_with("8", 100).size() <= 100);
}

TEST_CASE("analysis: a shared certificate lists its blast radius and the owners it spans", "[analysis]") {
    auto& f = fleet(GENERATE(Store::sqlite, Store::postgresql));
    auto q = inventory::open_queries(f.db);
    const auto shared = q->shared({}, 2);
    REQUIRE_FALSE(shared.empty());
    CHECK(shared.front().summary.cert.sha256 == f.copied.sha256());
    CHECK(displays(shared.front().places) == std::set<std::string>{"/srv/a/cert.pem", "/srv/b/cert.pem", "/srv/c/cert.pem"});
    CHECK(shared.front().split.at("owner") == std::vector<std::string>{"payments", "search"});
    CHECK_FALSE(shared.front().split.contains("env"));
    // Trust-store copies do not make a certificate shared: the pinned leaf is in a store and on one endpoint.
    for (const auto& s : shared) CHECK(s.summary.cert.sha256 != f.pinned.sha256());
    CHECK(q->shared({}, 4).empty());
    // In the second scan alone the third copy is gone.
    const auto second = q->shared(Filter{.scans = {f.second}}, 2);
    REQUIRE(second.size() == 1);
    CHECK(second.front().places.size() == 2);
    CHECK(second.front().split.empty());
}

TEST_CASE("analysis: reused keys, in certificates and in key files", "[analysis]") {
    auto& f = fleet(GENERATE(Store::sqlite, Store::postgresql));
    auto q = inventory::open_queries(f.db);
    const auto keys = q->reused_keys({});
    const auto it = std::find_if(keys.begin(), keys.end(),
                                 [&](const auto& k) { return k.spki_sha256 == f.reused_key.spki_sha256(); });
    REQUIRE(it != keys.end());
    CHECK(shas(it->certificates) == std::set<std::string>{f.reuse_a.sha256(), f.reuse_b.sha256()});
    REQUIRE(it->key_files.size() == 2);
    CHECK(it->key_files[0].path == "/srv/keys/k1.pem");
    // The shop leaf was re-issued on its old key, but only the new certificate is deployed now.
    for (const auto& k : keys) CHECK(k.spki_sha256 != f.shop.leaf_key.spki_sha256());
}

TEST_CASE("analysis: trust stores, their anchors, pinned leaves, stale and missing roots", "[analysis]") {
    auto& f = fleet(GENERATE(Store::sqlite, Store::postgresql));
    auto q = inventory::open_queries(f.db);
    const auto stores = q->stores({});
    REQUIRE(stores.size() == 2);
    CHECK(stores[0].place.path == "/etc/ssl/certs/ca-bundle.crt");
    CHECK(shas(stores[0].anchors) == std::set<std::string>{f.shop.root.sha256(), f.pinned.sha256(), f.stale_root.sha256()});
    CHECK(stores[1].place.path == "/opt/app/truststore.pem");

    const auto anchors = q->anchors({});
    const auto find = [&](const TestCert& cert) {
        const auto it = std::find_if(anchors.begin(), anchors.end(),
                                     [&](const auto& a) { return a.summary.cert.sha256 == cert.sha256(); });
        REQUIRE(it != anchors.end());
        return *it;
    };
    const auto root = find(f.shop.root);
    CHECK(root.issues_live >= 2);  // the re-issued leaf and the intermediate
    CHECK_FALSE(root.stale);
    CHECK(root.missing_from == std::vector<std::string>{"/opt/app/truststore.pem"});
    const auto pinned = find(f.pinned);
    CHECK(pinned.pinned_leaf);
    CHECK(pinned.issues_live == 1);  // itself, served by the endpoint
    CHECK(find(f.stale_root).stale);
    CHECK(find(f.stale_root).missing_from.empty());
    CHECK(find(f.other_root).stale);
    CHECK(q->anchors(Filter{.self_signed = true, .issuer = "pinned"}).size() == 1);
}

TEST_CASE("analysis: the path from a certificate to its anchor", "[analysis]") {
    auto& f = fleet(GENERATE(Store::sqlite, Store::postgresql));
    auto q = inventory::open_queries(f.db);
    const auto path = q->path_to_anchor(f.shop_reissued.sha256(), {});
    CHECK(path.chain == std::vector<std::string>{f.shop_reissued.sha256(), f.shop.intermediate.sha256(), f.shop.root.sha256()});
    REQUIRE(path.anchor);
    CHECK(*path.anchor == f.shop.root.sha256());
    CHECK(path.stores == std::vector<std::string>{"/etc/ssl/certs/ca-bundle.crt"});
    const auto unanchored = q->path_to_anchor(f.copied.sha256(), {});
    CHECK(unanchored.chain == std::vector<std::string>{f.copied.sha256()});
    CHECK_FALSE(unanchored.anchor);

    const auto detail = q->certificate(f.shop_reissued.sha256(), {});
    REQUIRE(detail);
    CHECK(detail->issuers == std::vector<std::string>{f.shop.intermediate.sha256()});
    CHECK(detail->same_key == std::vector<std::string>{f.shop.leaf.sha256()});
    CHECK(displays(detail->places) == std::set<std::string>{"/srv/shop/fullchain.pem"});
    CHECK(detail->path.anchor == f.shop.root.sha256());
    CHECK_FALSE(q->certificate(std::string(64, '0'), {}));
}

TEST_CASE("analysis: history and rotations of a certificate", "[analysis]") {
    auto& f = fleet(GENERATE(Store::sqlite, Store::postgresql));
    auto q = inventory::open_queries(f.db);
    const auto old_leaf = q->history(f.shop.leaf.sha256());
    REQUIRE(old_leaf);
    REQUIRE(old_leaf->scans.size() == 1);
    CHECK(old_leaf->scans[0].scan == f.first);
    REQUIRE(old_leaf->rotations.size() == 1);
    CHECK(old_leaf->rotations[0].new_sha256 == f.shop_reissued.sha256());
    CHECK_FALSE(old_leaf->rotations[0].key_changed);
    const auto soon = q->history(f.soon.sha256());
    REQUIRE(soon->rotations.size() == 1);
    CHECK(soon->rotations[0].key_changed);
    const auto root = q->history(f.shop.root.sha256());
    CHECK(root->scans.size() == 2);
    CHECK(root->rotations.empty());
}

TEST_CASE("analysis: diff of two scans", "[analysis]") {
    auto& f = fleet(GENERATE(Store::sqlite, Store::postgresql));
    auto q = inventory::open_queries(f.db);
    const auto diff = q->diff(f.first, f.second);
    CHECK(shas(diff.new_certificates) == std::set<std::string>{f.shop_reissued.sha256(), f.soon_renewed.sha256()});
    CHECK(shas(diff.gone_certificates) == std::set<std::string>{f.shop.leaf.sha256(), f.soon.sha256()});
    // The second scan walked no root, so it did not look at /srv/c/cert.pem: still in the view, not gone.
    CHECK(diff.gone_places.empty());
    CHECK(diff.new_places.empty());
    REQUIRE(diff.rotated.size() == 2);
    for (const auto& r : diff.rotated) CHECK(r.key_changed == (r.place.path == "/srv/soon.pem"));
    REQUIRE(diff.changed_verdicts.size() == 1);
    CHECK(diff.changed_verdicts[0].place.display() == "127.0.0.1:8443");
    CHECK(diff.changed_verdicts[0].old_verdict == "self-signed");
    CHECK(diff.changed_verdicts[0].new_verdict == "expired");
    CHECK_THROWS_AS(q->diff(f.first, 999), inventory::InventoryError);
}

TEST_CASE("analysis: endpoints in the current view", "[analysis]") {
    auto& f = fleet(GENERATE(Store::sqlite, Store::postgresql));
    auto q = inventory::open_queries(f.db);
    const auto endpoints = q->endpoints({});
    REQUIRE(endpoints.size() == 1);
    CHECK(endpoints[0].scan == f.second);
    CHECK(endpoints[0].facts.verdict.verify_error == "expired");
    CHECK(endpoints[0].chain == std::vector<std::string>{f.pinned.sha256()});
    CHECK(endpoints[0].labels == Labels{{"env", "prod"}});
    CHECK(endpoints[0].anchor == f.pinned.sha256());  // pinned: the store trusts the leaf itself
    CHECK(q->endpoints(Filter{.expiring_within = 30 * 86400}).empty());
    CHECK(q->endpoints(Filter{.scans = {f.first}}).front().facts.verdict.verify_error == "self-signed");
}

TEST_CASE("analysis: a missing inventory is named", "[analysis]") {
    TempDir dir;
    CHECK_THROWS_WITH(inventory::open_sqlite_queries((dir / "none.db").string()),
                      Catch::Contains("none.db") && Catch::Contains("certfleet scan"));
}

TEST_CASE("analysis: placements and ancestors, the inputs of rules", "[analysis]") {
    auto& f = fleet(GENERATE(Store::sqlite, Store::postgresql));
    auto q = inventory::open_queries(f.db);
    const auto placements = q->placements({});
    std::set<std::string> where;
    for (const auto& p : placements)
        if (p.sha256 == f.copied.sha256()) {
            REQUIRE(p.seen.labels.size() == 2);  // its owner, and the scan's env
            where.insert(p.seen.place.display() + " " + p.seen.labels.back().value);
        }
    CHECK(where == std::set<std::string>{"/srv/a/cert.pem payments", "/srv/b/cert.pem payments", "/srv/c/cert.pem search"});
    const auto anchor = std::find_if(placements.begin(), placements.end(),
                                     [&](const auto& p) { return p.sha256 == f.pinned.sha256() && p.seen.place.trust_anchor; });
    REQUIRE(anchor != placements.end());
    CHECK(anchor->seen.place.position == 1);

    const auto ancestors = q->ancestors({f.shop_reissued.sha256(), f.copied.sha256()});
    REQUIRE(ancestors.contains(f.shop_reissued.sha256()));
    const auto& up = ancestors.at(f.shop_reissued.sha256());
    REQUIRE(up.size() == 2);
    CHECK(up[0].sha256 == f.shop.intermediate.sha256());
    CHECK(up[0].depth == 1);
    CHECK(up[1].subject.find("Test Root CA") != std::string::npos);
    CHECK_FALSE(ancestors.contains(f.copied.sha256()));
}

TEST_CASE("analysis: the view current at a moment is the latest scan that had ended by then", "[analysis][diff]") {
    using inventory::ScanRecord;
    using inventory::ScanStatus;
    const auto scan = [](inventory::ScanId id, ScanStatus status, std::optional<UnixTime> finished) {
        ScanRecord record;
        record.id = id;
        record.status = status;
        record.started_at = finished.value_or(5000) - 10;
        record.finished_at = finished;
        return record;
    };
    const std::vector<ScanRecord> scans{scan(1, ScanStatus::complete, 1000), scan(2, ScanStatus::interrupted, 2000),
                                        scan(3, ScanStatus::failed, 3000), scan(4, ScanStatus::running, std::nullopt),
                                        scan(5, ScanStatus::complete, 4000)};
    CHECK_FALSE(inventory::scan_current_at(scans, 999));
    CHECK(inventory::scan_current_at(scans, 1000)->id == 1);
    CHECK(inventory::scan_current_at(scans, 2500)->id == 2);
    CHECK(inventory::scan_current_at(scans, 3500)->id == 2);  // a failed scan changed no view
    CHECK(inventory::scan_current_at(scans, 9999)->id == 5);
}
