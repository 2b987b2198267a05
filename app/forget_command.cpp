// `certfleet forget`: a decommissioned host, a deleted tree, a retired address block leave the current view, and
// with it every alert; history records that the user forgot them.
#include <iostream>

#include "app/commands.hpp"
#include "inventory/analysis.hpp"
#include "pipeline/place_selector.hpp"
#include "report/text_escape.hpp"

namespace certfleet::app {

int run_forget(const ForgetOptions& options, const std::string& db_path) {
    std::vector<pipeline::PlaceSelector> selectors;
    for (const auto& text : options.selectors) {
        try {
            selectors.push_back(pipeline::PlaceSelector::parse(text));
        } catch (const pipeline::SelectorError& e) {
            throw UsageError(e.what());
        }
    }
    require_inventory_file(db_path);
    auto inventory = inventory::open_inventory(db_path);
    std::vector<std::size_t> matched(selectors.size(), 0);
    const auto forgotten = inventory->forget(
        [&](const inventory::Place& place) {
            if (!options.site.empty() && (place.kind != inventory::Place::Kind::endpoint || place.site != options.site))
                return false;
            bool any = false;
            for (std::size_t i = 0; i < selectors.size(); ++i)
                if (selectors[i].matches(place)) {
                    ++matched[i];
                    any = true;
                }
            return any;
        },
        options.dry_run);

    const auto& places = forgotten.places;
    const std::size_t inputs = forgotten.unreadable_roots.size() + forgotten.unreadable_lists.size();
    std::cout << (options.dry_run ? "would forget " : "forgot ") << places.size()
              << (places.size() == 1 ? " place" : " places");
    if (inputs > 0) std::cout << " and " << inputs << (inputs == 1 ? " unreadable input" : " unreadable inputs");
    std::cout << (places.empty() && inputs == 0 ? "\n" : ":\n");
    for (const auto& place : places)
        std::cout << "  " << to_string(place.kind) << " " << report::visible_text(place.display()) << "\n";
    for (const auto& root : forgotten.unreadable_roots)
        std::cout << "  unreadable files root " << report::visible_text(root.display()) << "\n";
    for (const auto& list : forgotten.unreadable_lists)
        std::cout << "  unreadable list file " << report::visible_text(list.display()) << "\n";
    int exit_code = kExitOk;
    for (std::size_t i = 0; i < selectors.size(); ++i)
        if (matched[i] == 0) {
            std::cerr << "certfleet: nothing in the current view matches " << report::visible_text(selectors[i].text())
                      << " ('certfleet inventory endpoints' and 'inventory certs' list the places it holds)\n";
            exit_code = kExitFailure;
        }
    return exit_code;
}

}  // namespace certfleet::app
