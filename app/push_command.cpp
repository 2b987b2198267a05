// `certfleet push`: deliver what a laptop, an air-gapped segment or a host agent recorded locally into the fleet's
// central inventory, later; pushing again copies nothing twice.
#include <iostream>

#include "app/commands.hpp"
#include "core/encoding.hpp"
#include "inventory/analysis.hpp"
#include "pipeline/push.hpp"
#include "report/text_escape.hpp"

namespace certfleet::app {

int run_push(const PushOptions& options, const std::string& db_path) {
    const std::string& target = options.to.empty() ? db_path : options.to;
    if (target == options.from)
        throw UsageError("push " + inventory::display_name(options.from) +
                         ": that is the inventory it would copy into; give the central one with --to (or --db)");
    const auto rules = load_rules(options.rules);
    require_inventory_file(options.from);
    const auto from = inventory::open_queries(options.from);
    auto to = inventory::open_inventory(target);
    std::size_t copied = 0, present = 0;
    const auto result = pipeline::push_scans(*from, *to, rules, [&](const pipeline::PushedScan& pushed) {
        const auto& scan = pushed.origin;
        std::cout << "scan " << scan.id << " (" << scan.kind << ", " << to_string(scan.status) << ", started "
                  << format_rfc3339(scan.started_at) << ") ";
        if (pushed.copy) {
            ++copied;
            std::cout << "copied as scan " << *pushed.copy << "\n";
            if (!pushed.rules.error.empty())
                std::cerr << "certfleet: scan " << *pushed.copy << ": rules not evaluated: "
                          << report::visible_text(pushed.rules.error) << "\n";
        } else {
            ++present;
            std::cout << "is there already\n";
        }
    });
    for (const auto& running : result.still_running)
        std::cout << "scan " << running.id << " is still running: push again once it has ended\n";
    std::cout << copied << (copied == 1 ? " scan" : " scans") << " copied into " << inventory::display_name(target)
              << ", " << present << " there already\n";
    return kExitOk;
}

}  // namespace certfleet::app
