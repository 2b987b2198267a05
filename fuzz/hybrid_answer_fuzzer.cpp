// What a TLS server, maybe a hostile one, sends back to the hybrid key-exchange probe's ClientHello:
// parse_server_answer on a ServerHello, a HelloRetryRequest, an alert or anything else. Besides the sanitizers,
// it checks what server_selects_hybrid relies on as the bytes arrive:
//   - the first prefix of the input that is not incomplete gives the answer the whole input gives, so the
//     probe acts on the answer it would have had with every byte there (bytes after the record included);
//   - a malformed answer names its problem.
// The group a HelloRetryRequest names is not checked against the one offered: the parser reports whatever the
// server says, and the caller compares.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "scanner/hybrid_key_exchange.hpp"

namespace {

using namespace certfleet::scanner;

[[noreturn]] void broken(const char* what) {
    std::fprintf(stderr, "hybrid_answer fuzzer: %s\n", what);
    std::abort();
}

bool same_answer(const ServerAnswer& a, const ServerAnswer& b) {
    return a.kind == b.kind && a.selected_group == b.selected_group && a.alert_description == b.alert_description &&
           a.problem == b.problem;
}

void check_prefixes(std::span<const std::uint8_t> received, const ServerAnswer& whole) {
    for (std::size_t size = 0; size < received.size(); ++size) {
        const ServerAnswer early = parse_server_answer(received.first(size));
        if (early.kind == ServerAnswer::Kind::incomplete) continue;
        if (!same_answer(early, whole)) broken("a prefix of the input gives another answer than the whole input");
        return;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> received(data, size);
    const ServerAnswer answer = parse_server_answer(received);
    if (answer.kind == ServerAnswer::Kind::malformed && answer.problem.empty())
        broken("a malformed answer without a problem");
    check_prefixes(received, answer);
    return 0;
}
