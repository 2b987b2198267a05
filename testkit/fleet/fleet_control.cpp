#include "testkit/fleet/fleet_control.hpp"

#include <signal.h>

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "testkit/process.hpp"

namespace certfleet::testing {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr std::chrono::seconds kReadyTimeout{20};

// Writes each distinct PEM once: a benchmark fleet of a thousand endpoints usually shares one chain and key.
class PemFiles {
public:
    explicit PemFiles(fs::path dir) : dir_(std::move(dir)) {}

    std::string path_for(const std::string& pem) {
        auto [entry, added] = paths_.try_emplace(pem);
        if (added) {
            entry->second = (dir_ / ("pem-" + std::to_string(paths_.size()) + ".pem")).string();
            write_file(entry->second, pem);
        }
        return entry->second;
    }

private:
    fs::path dir_;
    std::map<std::string, std::string> paths_;  // PEM text -> file
};

json chain_json(const std::vector<TestCert>& chain, const TestKey& key, PemFiles& pems) {
    std::string chain_pem;
    for (const TestCert& cert : chain) chain_pem += cert.pem();
    return {{"cert_chain", pems.path_for(chain_pem)}, {"key", pems.path_for(key.pkcs8_pem())}};
}

// Only the fields the test set: the fleet rejects a field that does not apply to the endpoint's kind.
json endpoint_json(const FleetEndpoint& endpoint, PemFiles& pems) {
    json spec{{"kind", endpoint.kind}, {"address", endpoint.address}, {"port", endpoint.port}};
    if (!endpoint.chain.empty()) spec.update(chain_json(endpoint.chain, endpoint.key, pems));
    for (const auto& [name, chain] : endpoint.sni) spec["sni"][name] = chain_json(chain.first, chain.second, pems);
    if (!endpoint.min_version.empty()) spec["min_version"] = endpoint.min_version;
    if (!endpoint.max_version.empty()) spec["max_version"] = endpoint.max_version;
    if (endpoint.ocsp_staple) spec["ocsp_staple"] = true;
    if (!endpoint.groups.empty()) spec["groups"] = endpoint.groups;
    if (!endpoint.client_auth.empty()) spec["client_auth"] = endpoint.client_auth;
    if (endpoint.x25519mlkem768) spec["x25519mlkem768"] = true;
    if (!endpoint.client_cas.empty()) {
        std::string cas;
        for (const TestCert& ca : endpoint.client_cas) cas += ca.pem();
        spec["client_cas"] = pems.path_for(cas);
    }
    if (!endpoint.protocol.empty()) spec["protocol"] = endpoint.protocol;
    if (endpoint.refuse) spec["starttls_refuse"] = true;
    if (endpoint.verbose) spec["starttls_verbose"] = true;
    if (endpoint.reject_client) spec["reject_client"] = true;
    if (endpoint.greeting_delay.count() != 0) spec["greeting_delay_ms"] = endpoint.greeting_delay.count();
    if (endpoint.bytes != 0) spec["bytes"] = endpoint.bytes;
    return spec;
}

}  // namespace

TestFleet::TestFleet(std::vector<FleetEndpoint> endpoints, int max_seconds, const std::string& netns) {
    PemFiles pems(dir_.path());
    json config{{"max_seconds", max_seconds}, {"endpoints", json::array()}};
    for (const FleetEndpoint& endpoint : endpoints) config["endpoints"].push_back(endpoint_json(endpoint, pems));
    const fs::path config_path = dir_ / "fleet.json", status_path = dir_ / "status";
    write_file(config_path, config.dump(2));

    std::vector<std::string> argv{CERTFLEET_TEST_FLEET_BINARY, config_path.string(), "--ready-file", status_path.string()};
    // `ip netns exec` enters the namespace and execs the fleet: the PID stays the fleet's.
    if (!netns.empty()) argv.insert(argv.begin(), {"ip", "netns", "exec", netns});
    pid_ = spawn_process(argv);
    const std::string ready = "ready " + std::to_string(endpoints.size()) + "\n";
    const auto deadline = std::chrono::steady_clock::now() + kReadyTimeout;
    for (;;) {
        // Reaped first, then read: a fleet that failed has written its reason before exiting.
        exit_code_ = wait_process(pid_, std::chrono::seconds(0));
        const std::string status = to_string(read_file(status_path));
        if (status == ready) return;
        std::string failure;
        if (!status.empty())
            failure = "certfleet_test_fleet: " + status.substr(0, status.find_last_not_of('\n') + 1);
        else if (exit_code_)
            failure = "certfleet_test_fleet exited with code " + std::to_string(*exit_code_) + " before it was ready";
        else if (std::chrono::steady_clock::now() > deadline)
            failure = "certfleet_test_fleet was not ready within " + std::to_string(kReadyTimeout.count()) + " s";
        if (!failure.empty()) {
            shut_down();
            throw std::runtime_error(failure);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

TestFleet::~TestFleet() { shut_down(); }

std::optional<int> TestFleet::stop(std::chrono::seconds timeout) {
    if (!exit_code_) {
        ::kill(pid_, SIGTERM);
        exit_code_ = wait_process(pid_, timeout);
    }
    return exit_code_;
}

std::optional<int> TestFleet::wait_for_exit(std::chrono::seconds timeout) {
    if (!exit_code_) exit_code_ = wait_process(pid_, timeout);
    return exit_code_;
}

void TestFleet::shut_down() {
    if (stop()) return;
    ::kill(pid_, SIGKILL);
    exit_code_ = wait_process(pid_, std::chrono::seconds(10));
}

}  // namespace certfleet::testing
