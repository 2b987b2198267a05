// certfleet-docgen: writes certfleet's manual pages and bash completion from its command-line definition, at
// build time, so that they say what --help says. Not installed; the build installs what it writes.
//   certfleet-docgen --date YYYY-MM-DD --man DIR --completions DIR
#include <filesystem>
#include <fstream>
#include <iostream>

#include "app/command_line.hpp"
#include "app/docgen/bash_completion.hpp"
#include "app/docgen/man_pages.hpp"

namespace fs = std::filesystem;
using namespace certfleet::app;

namespace {

void write_file(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) throw std::runtime_error(path.string() + ": cannot write");
}

// A directory of this run's pages alone: a page of a command since removed must not be installed.
void fresh_man_directory(const fs::path& dir) {
    fs::create_directories(dir);
    for (const auto& entry : fs::directory_iterator(dir))
        if (entry.path().extension() == ".1") fs::remove(entry.path());
}

}  // namespace

int main(int argc, char** argv) {
    std::string date, man_dir, completions_dir;
    CLI::App app{"Writes certfleet's manual pages and bash completion from its command-line definition."};
    app.add_option("--date", date, "The pages' date, YYYY-MM-DD")->required();
    app.add_option("--man", man_dir, "Directory for certfleet.1 and certfleet-COMMAND.1")->required();
    app.add_option("--completions", completions_dir, "Directory for the bash completion, certfleet")->required();
    CLI11_PARSE(app, argc, argv);

    try {
        const auto cli = make_command_line();
        fresh_man_directory(man_dir);
        for (const auto& page : docgen::manual_pages(*cli, {date, CERTFLEET_VERSION}))
            write_file(fs::path(man_dir) / page.file_name, page.roff);
        fs::create_directories(completions_dir);
        write_file(fs::path(completions_dir) / "certfleet", docgen::bash_completion(*cli));
    } catch (const std::exception& e) {
        std::cerr << "certfleet-docgen: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
