#pragma once
// certfleet's manual pages, written from its command-line definition: certfleet.1 and certfleet-COMMAND.1.
#include <string>
#include <vector>

#include "app/command_line.hpp"
#include "app/docgen/roff.hpp"

namespace certfleet::app::docgen {

// Where the Debian package and `make install` put docs/*.md (packaging/CMakeLists.txt), for SEE ALSO: the
// rules-file format and the JSON contract stay docs pages there, not section-5 manual pages.
inline const std::string kInstalledDocs = "/usr/share/doc/certfleet/docs/";

struct ManualPage {
    std::string file_name;  // "certfleet-scan.1"
    std::string roff;
};

// The date and version every page's title line carries.
struct PageStamp {
    std::string date;  // YYYY-MM-DD
    std::string version;
};

std::vector<ManualPage> manual_pages(const CommandLine& cli, const PageStamp& stamp);

// certfleet.1 beside the command pages: the overview, environment, files, exit status and examples
// (certfleet_page.cpp).
ManualPage certfleet_page(const CommandLine& cli, const PageStamp& stamp);

// The roff of one option's entry: its names and value, then its description, values, checks and default.
void write_option(RoffPage& page, const CommandLine& cli, const CLI::Option* option);
// "certfleet [--db TEXT] inventory cert [OPTIONS] SHA256": how `command` is typed, in roff.
std::string synopsis_line(const CLI::App* command);
// "certfleet-scan(1)" in roff, for SEE ALSO.
std::string page_reference(const std::string& page_name);

}  // namespace certfleet::app::docgen
