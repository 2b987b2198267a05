// certfleet.1: the overview page. Its commands and options come from the command line; its prose (environment,
// files, exit status, examples) follows README.md and docs/cli.md.
#include "app/docgen/command_tree.hpp"
#include "app/docgen/man_pages.hpp"
#include "rules/check.hpp"

namespace certfleet::app::docgen {

namespace {

const CLI::Option* db_option(const CommandLine& cli) { return cli.app.get_option("--db"); }

void write_commands(RoffPage& page, const CommandLine& cli) {
    page.section("COMMANDS");
    for (const CLI::App* command : subcommands_of(&cli.app)) {
        std::vector<std::string> lines{roff_prose(command->get_description())};
        std::vector<std::string> nested;
        for (const CLI::App* sub : subcommands_of(command)) nested.push_back(roff_bold(sub->get_name()));
        if (!nested.empty()) lines.push_back("Its questions: " + joined(nested, ", ") + ".");
        lines.push_back("See " + page_reference("certfleet-" + command->get_name()) + ".");
        page.tagged(roff_bold(command->get_name()), lines);
    }
}

void write_environment(RoffPage& page, const CommandLine& cli) {
    page.section("ENVIRONMENT");
    const CLI::Option* db = db_option(cli);
    page.tagged(roff_bold(db->get_envname()),
                {"The inventory when " + roff_bold("--db") + " is not given: an SQLite file or a PostgreSQL "
                 "connection string."});
    page.paragraph("A PostgreSQL inventory is reached through libpq, which reads its own variables; passwords "
                   "never go on the command line, where ps(1) shows them:");
    page.described(roff_bold("PGPASSFILE"), "The password file, instead of ~/.pgpass.");
    page.described(roff_bold("PGSERVICEFILE"),
                   "The connection service file that 'service=NAME' is looked up in, instead of ~/.pg_service.conf.");
    page.described(roff_bold("PGPASSWORD"), "The password, for a secret store that sets it; a file is safer.");
    page.described(roff_bold("PGHOST") + ", " + roff_bold("PGPORT") + ", " + roff_bold("PGDATABASE") + ", " +
                       roff_bold("PGUSER") + ", " + roff_bold("PGSSLMODE") + ", " + roff_bold("PGSSLROOTCERT"),
                   "Defaults for what the connection string leaves out; see the libpq documentation, \"Environment "
                   "Variables\".");
}

void write_files(RoffPage& page, const CommandLine& cli) {
    page.section("FILES");
    page.tagged(roff_italic(db_option(cli)->get_default_str()),
                {"The inventory when neither " + roff_bold("--db") + " nor " + roff_bold("CERTFLEET_DB") +
                 " names one. " + roff_bold("scan") + " creates it, mode 0600; every other command needs it."});
    page.described(roff_italic("~/.pgpass"), "libpq's passwords for PostgreSQL inventories.");
    page.described(roff_italic("~/.pg_service.conf"), "libpq's connection services ('service=NAME').");
}

void write_exit_status(RoffPage& page) {
    page.section("EXIT STATUS");
    page.paragraph("Every command but check:");
    page.described(roff_bold(std::to_string(kExitOk)),
                   "Success. A scan that could not read some inputs has still completed; its summary counts them.");
    page.described(roff_bold(std::to_string(kExitFailure)),
                   "Failure: the inventory cannot be opened or read, an output file cannot be written, a forget "
                   "PLACE matched nothing, serve cannot listen.");
    page.described(roff_bold(std::to_string(kExitUsage)),
                   "Usage error: a bad flag or value, a bad target or rules file, an unknown scan id, no inventory "
                   "or no scan yet, a large scan without --yes.");
    page.described(roff_bold(std::to_string(kExitInterrupted)),
                   "scan stopped by SIGINT or SIGTERM: what it found is kept, and the scan is recorded as "
                   "interrupted.");
    page.paragraph("check exits with its Nagios status, a bad command line included:");
    for (const auto& [status, name] : rules::kCheckStatusNames)
        page.tagged(roff_bold(std::to_string(static_cast<int>(status))), {roff_literal(name)});
}

void write_examples(RoffPage& page) {
    page.section("EXAMPLES");
    page.subsection("A security team's inventory");
    page.example("Scan this host's certificate directories, an application tree and a network segment:",
                 "certfleet scan --system-dirs --files /srv/app 10.20.0.0/16");
    page.example("What expires within 30 days, and keys found in several places:",
                 "certfleet inventory certs --expiring 30d\ncertfleet inventory keys");
    page.subsection("A nightly expiry alert from cron");
    page.example("Scan quietly, then let check mail only on trouble; its exit status is a Nagios status:",
                 "15 3 * * *  certfleet --db /var/lib/certfleet/fleet.db scan --system-dirs --quiet && "
                 "certfleet --db /var/lib/certfleet/fleet.db check --warning-days 30 --critical-days 14 --quiet");
    page.subsection("A migration planner");
    page.example("Track a plan written as rules: the burn-down per scan, a report to share, and a cryptographic bill "
                 "of materials for other tools:",
                 "certfleet progress --rules plan.yaml\n"
                 "certfleet report --format html --rules plan.yaml -o report.html\n"
                 "certfleet report --format cyclonedx -o cbom.json");
}

}  // namespace

ManualPage certfleet_page(const CommandLine& cli, const PageStamp& stamp) {
    RoffPage page("CERTFLEET", stamp.date, stamp.version);
    std::string summary = cli.app.get_description();
    if (summary.starts_with("certfleet: ")) summary = summary.substr(11);
    page.section("NAME");
    page.raw("certfleet \\- " + roff_prose(first_sentence(summary)));

    page.section("SYNOPSIS");
    const CLI::Option* db = db_option(cli);
    page.raw(roff_bold("certfleet") + " [" + roff_bold("--db") + " " + roff_italic(value_type(db)) + "] " +
             roff_italic("COMMAND") + " [" + roff_italic("OPTIONS") + "] [" + roff_italic("ARGUMENTS") + "]\n.br\n" +
             roff_bold("certfleet") + " " + roff_bold("--version") + "\n.br\n" + roff_bold("certfleet") + " [" +
             roff_italic("COMMAND") + "] " + roff_bold("--help"));

    page.section("DESCRIPTION");
    page.paragraph("certfleet finds the TLS certificates of a fleet, in file trees (PEM, DER, PKCS#7, PKCS#12, Java "
                   "keystores, Kubernetes secrets) and on network endpoints (TLS and STARTTLS), and keeps them in an "
                   "inventory: an SQLite file, or a PostgreSQL database that many scanners share. Each scan adds to "
                   "the inventory; reports, questions, differences and checks read it.");
    page.paragraph("Rules files say what to flag and what to migrate by when; without one, a built-in policy "
                   "applies. Each command has a page of its own, and --help on any command lists its options.");
    write_commands(page, cli);

    page.section("OPTIONS");
    for (const CLI::Option* option : own_options(&cli.app)) write_option(page, cli, option);
    page.paragraph("--db may come before or after the command's name.");

    write_environment(page, cli);
    write_files(page, cli);
    write_exit_status(page);
    write_examples(page);

    page.section("SEE ALSO");
    std::vector<std::string> references;
    for (const CLI::App* command : subcommands_of(&cli.app))
        references.push_back(page_reference("certfleet-" + command->get_name()));
    references.push_back(roff_italic(kInstalledDocs + "rules.md") + " (rules files and the built-in policy)");
    references.push_back(roff_italic(kInstalledDocs + "json-schema.md") +
                         " (every JSON document certfleet prints)");
    references.push_back(roff_italic(kInstalledDocs + "cli.md") + " (every command and flag)");
    page.raw(joined(references, ",\n") + ".");
    return {"certfleet.1", page.text()};
}

}  // namespace certfleet::app::docgen
