#include "app/command_line.hpp"

#include <limits>

#include "core/observation.hpp"
#include "core/suggestion.hpp"
#include "inventory/library_versions.hpp"
#include "report/analysis_report.hpp"
#include "report/report.hpp"
#include "rules/check.hpp"
#include "scanner/known_ports.hpp"
#include "scanner/library_versions.hpp"

namespace certfleet::app {

namespace {

// A number from `minimum` to `maximum`. CLI11's PositiveNumber and NonNegativeNumber print their bounds as
// 309-digit numbers, and an unsigned option takes "-1" as 2^64-1; this says in a few words what is wrong.
// `label` is what --help shows after the type.
CLI::Validator number_in(double minimum, double maximum, const std::string& requirement, const std::string& label) {
    return CLI::Validator(
        [=](std::string& input) -> std::string {
            double value = 0;
            if (CLI::detail::lexical_cast(input, value) && value >= minimum && value <= maximum) return {};
            return input + ": must be " + requirement;
        },
        label);
}

CLI::Validator at_least(double minimum, const std::string& requirement) {
    return number_in(minimum, std::numeric_limits<double>::infinity(), requirement,
                     minimum > 0 ? "POSITIVE" : "NONNEGATIVE");
}

const CLI::Validator kScanId = at_least(1, "a scan id (1 or more)");
const CLI::Validator kZeroOrMore = at_least(0, "0 or more");

}  // namespace

const ValueHints* CommandLine::hints_for(const CLI::Option* option) const {
    const auto found = value_hints.find(option);
    return found == value_hints.end() ? nullptr : &found->second;
}

std::string version_text() {
    std::string text = std::string("certfleet ") + CERTFLEET_VERSION;
    for (const auto& library : scanner::library_versions()) text += "\n" + library;
    for (const auto& library : inventory::library_versions()) text += "\n" + library;
    return text;
}

std::unique_ptr<CommandLine> make_command_line() {
    auto cli = std::make_unique<CommandLine>();
    CLI::App& app = cli->app;
    // An option whose value is a path: the shell completes it as a file name.
    const auto path = [&](CLI::Option* option) {
        cli->value_hints[option].path = true;
        return option;
    };
    // A path that must name an existing file.
    const auto existing_file = [&](CLI::Option* option) { return path(option->check(CLI::ExistingFile)); };
    // An option that takes one of `words`, checked by CLI11.
    const auto one_of = [&](CLI::Option* option, const std::vector<std::string>& words) {
        cli->value_hints[option].words = words;
        return option->check(CLI::IsMember(words));
    };
    app.set_version_flag("--version", version_text());
    app.require_subcommand(1);
    // Global options are taken anywhere on the line, as users type them: `certfleet scan --files /etc/ssl --db x.db`.
    // Subcommands inherit this, so an option a subcommand does not know is matched against its parents'.
    app.fallthrough();
    path(app.add_option("--db", cli->db_path,
                        "Inventory: an SQLite file (created mode 0600), or a PostgreSQL server's connection string "
                        "(postgresql://... or 'service=NAME'; passwords from ~/.pgpass or PGPASSWORD, never here)")
             ->envname("CERTFLEET_DB")
             ->capture_default_str());

    pipeline::ScanRequest& request = cli->scan.request;
    auto* scan_cmd = cli->scan_cmd = app.add_subcommand(
        "scan", "Scan file trees and network targets for certificates into the inventory.\n"
                "TARGET: IPv4/IPv6 address, CIDR (10.0.0.0/24), range (10.0.0.1-10.0.0.40), host name, host:port,\n"
                "[v6]:port, URL (https://host:8443/path). Without --ports, targets are probed on the default list of\n"
                "TLS and STARTTLS ports (--ports default).");
    scan_cmd->add_option("targets", request.targets, "Network targets to probe");
    path(scan_cmd->add_option("--files", request.files, "File or directory tree to scan (repeatable)"));
    scan_cmd->add_flag("--system-dirs", request.system_dirs,
                       "Scan this host's usual certificate directories (/etc/ssl, /etc/pki, ...) that exist");
    scan_cmd->add_flag("--localhost", request.localhost, "Probe localhost (127.0.0.1 and ::1) on the port list");
    scan_cmd->add_option("--exclude-path", request.exclude_paths,
                         "Skip files and subtrees whose path or name matches this glob (repeatable)");
    existing_file(scan_cmd->add_option("--password-file", request.password_file,
                                       "Passwords to try on PKCS#12, keystores and encrypted keys, one per line (a "
                                       "regular file of at most 1 MiB and 10,000 lines)"));
    const auto positive_size = at_least(1, "a positive size in bytes (e.g. 10MiB, 512K)");
    scan_cmd->add_option("--max-file-size", request.max_file_size, "Skip (and report) larger files; e.g. 10MiB, 512K")
        ->check(positive_size.description(""))  // before the unit: "-1" is refused rather than read as 2^64-1
        ->transform(CLI::AsSizeValue(false))
        ->check(positive_size)
        ->default_str("10MiB");
    scan_cmd->add_option("--max-kdf-iterations", request.max_kdf_iterations,
                         "Refuse (and report as excessive_kdf_iterations) password key derivations costlier than "
                         "this: PBKDF2 or PKCS#12 iterations, scrypt N*r*p")
        ->check(at_least(1, "a positive number of iterations"))
        ->capture_default_str();
    scan_cmd->add_option("--file-timeout", request.file_timeout_seconds,
                         "Seconds one file's decoding may take before it is reported as timeout (0: no limit)")
        ->check(number_in(0, 86'400, "a number of seconds from 0 (no limit) to 86400", "0-86400"))
        ->capture_default_str();
    scan_cmd->add_option("--threads", request.threads, "File decoder threads (default: one per core)")
        ->check(CLI::Range(0u, 64u));
    path(scan_cmd->add_option("--targets-file", request.targets_file, "Targets, one per line (# comments)"));
    auto* ports = scan_cmd->add_option(
        "--ports", request.ports,
        "Ports to probe: numbers, ranges and named lists, e.g. 443,9000-9010 or web,8080. Lists: default (the TLS "
        "and STARTTLS ports most fleets use; used without --ports), web (443, 4443, 8443, 9443), all-tls (every port "
        "certfleet knows; docs/network-scanning.md)");
    cli->value_hints[ports] = {.words = names_of<scanner::PortList>(), .other_values_too = true};
    scan_cmd->add_option("--exclude", request.excludes, "Never probe these addresses, CIDRs or ranges (repeatable)");
    path(scan_cmd->add_option("--exclude-file", request.exclude_file, "Excludes, one per line"));
    scan_cmd->add_option("--concurrency", request.concurrency, "Probes in flight at once")
        ->check(CLI::Range(1u, 65536u))
        ->capture_default_str();
    scan_cmd->add_option("--rate", request.rate,
                         "New connections per second; 0: no limit (default: 1000 for a scan of over 1,048,576 "
                         "probes, else no limit)")
        ->check(kZeroOrMore);
    auto* yes = scan_cmd->add_flag("--yes", request.yes, "Go ahead with a scan of over 1,048,576 probes");
    scan_cmd->add_option("--max-targets", request.max_targets,
                         "Go ahead without --yes with up to this many probes (default: 1,048,576)")
        ->check(kZeroOrMore)
        ->excludes(yes);
    scan_cmd->add_option("--max-per-host", request.max_per_host, "Concurrent connections to one address (default: no limit)")
        ->check(kZeroOrMore);
    scan_cmd->add_option("--timeout-ms", request.timeout_ms, "Deadline for each endpoint, all steps together")
        ->check(CLI::Range(1u, 600000u))
        ->capture_default_str();
    scan_cmd->add_option("--connect-timeout-ms", request.connect_timeout_ms, "Deadline for the TCP connect")
        ->check(kZeroOrMore);
    scan_cmd->add_option("--starttls-timeout-ms", request.starttls_timeout_ms, "Deadline for the STARTTLS dialogue")
        ->check(kZeroOrMore);
    scan_cmd->add_option("--handshake-timeout-ms", request.handshake_timeout_ms, "Deadline for the TLS handshake")
        ->check(kZeroOrMore);
    scan_cmd->add_option("--retries", request.retries, "Extra attempts after a timeout")->check(CLI::Range(0u, 10u));
    scan_cmd->add_flag("--no-hybrid-probe", request.no_hybrid_probe,
                       "Do not ask TLS 1.3 servers, on one more connection each, whether they would choose the hybrid "
                       "post-quantum key exchange X25519MLKEM768");
    scan_cmd->add_option("--sni", request.sni_names, "Probe IP targets with this server name (repeatable; one probe each)");
    path(scan_cmd->add_option("--sni-file", request.sni_file, "Server names, one per line"));
    // The scan's plan checks the name against the same names, with a message of its own (pipeline/scan_plan.cpp).
    auto* starttls = scan_cmd->add_option("--starttls", request.starttls,
                                          "Speak this protocol first on every port: " + joined(names_of<StartTls>()));
    cli->value_hints[starttls].words = names_of<StartTls>();
    path(scan_cmd->add_option("--trust", request.trust, "Trust anchors: a PEM bundle or a directory of them (repeatable)"));
    scan_cmd->add_flag("--no-system-trust", request.no_system_trust, "Trust only --trust, not the system bundle");
    path(scan_cmd->add_option("--public-roots", request.public_roots,
                              "The roots that make a certificate public for the CA/Browser Forum lifetime rules: a "
                              "PEM bundle or a directory of them (where the default is absent, the system store's "
                              "roots)")
             ->capture_default_str());
    scan_cmd->add_option("--shard", request.shard, "Probe only shard K of N (K/N), for splitting a scan across machines");
    scan_cmd->add_option("--seed", request.seed, "Seed of the target order (same seed, same order)");
    scan_cmd->add_flag("--resume", request.resume,
                       "Continue the latest interrupted scan of the same targets, ports, names, shard and seed");
    scan_cmd->add_option("--run", request.run,
                         "Part of this run: the scans of one job (its shards, hosts or sites) that report, check and\n"
                         "inventory then take as one with --run NAME; a scan run again stands in for the earlier one");
    scan_cmd->add_flag("--dry-run", cli->scan.dry_run, "Print the number of targets and the first ones; send nothing");
    scan_cmd->add_option("--label", request.labels, "Tag this scan's sightings, e.g. env=prod (repeatable)");
    scan_cmd->add_option("--host", request.host,
                         "The machine the --files are on, for a mounted image or a copied tree (default: a 'host' "
                         "label, else this machine's name)");
    scan_cmd->add_option("--site", request.site,
                         "The network the TARGETs are probed from: its endpoints are its own, apart from the same\n"
                         "addresses at other sites (default: a 'site' label, else none); also labels the scan site=NAME");
    existing_file(scan_cmd->add_option("--owner-map", request.owner_map,
                                       "Labels by location: lines of 'SELECTOR key=value ...', a selector being a CIDR, a "
                                       "host glob or a /path glob (docs/owner-map.md)"));
    existing_file(scan_cmd->add_option(
        "--rules", request.rules,
        "Rules evaluated over the scan when it ends, findings stored with it (default: built-in policy)"));
    scan_cmd->add_flag("--no-progress", cli->scan.no_progress, "No progress line on stderr");
    scan_cmd->add_flag("--quiet", cli->scan.quiet,
                       "Print nothing unless something went wrong: errors, unreadable inputs and an interrupted scan "
                       "still go to stderr (for cron)");

    const auto add_format = [&](CLI::App* cmd, std::string& format,
                                const std::vector<std::string>& formats = report::analysis_formats()) {
        one_of(cmd->add_option("--format", format, "Output format"), formats)->capture_default_str();
    };

    auto* report_cmd = cli->report_cmd = app.add_subcommand("report", "Print a report of a scan from the inventory");
    add_format(report_cmd, cli->report.format, report::report_formats());
    auto* report_scan = report_cmd->add_option("--scan", cli->report.scan, "Scan id (default: the latest)")->check(kScanId);
    report_cmd->add_option("--run", cli->report.run, "The scans of this run (scan --run NAME) as one")->excludes(report_scan);
    path(report_cmd->add_option("-o,--output", cli->report.output, "Write to this file instead of stdout"));
    existing_file(
        report_cmd->add_option("--rules", cli->report.rules, "Rules file whose migration rules the report tracks"));

    auto* inventory_cmd = cli->inventory_cmd = app.add_subcommand(
        "inventory", "Ask the inventory what it knows across scans. Without --scan every question is asked of the\n"
                     "current view: each place as the latest scan that looked at it left it.");
    inventory_cmd->require_subcommand(1);
    const auto add_scan_filter = [&](CLI::App* cmd) {
        auto* scan = cmd->add_option("--scan", cli->inventory.scan, "Ask of this scan only")->check(kScanId);
        cmd->add_option("--run", cli->inventory.run, "Ask of this run's scans (scan --run NAME) only")->excludes(scan);
    };
    const auto add_filters = [&](CLI::App* cmd) {
        add_scan_filter(cmd);
        cmd->add_option("--expiring", cli->inventory.expiring,
                        "Only certificates expiring within this time (30 days: 30 or 30d; 12h, 2w, 1y), expired ones too");
        cmd->add_flag("--self-signed", cli->inventory.self_signed, "Only self-signed certificates");
        cmd->add_option("--label", cli->inventory.labels,
                        "Only certificates seen at places labelled key=value (repeatable: all of them)");
        cmd->add_option("--issuer", cli->inventory.issuer, "Only certificates whose issuer contains this text");
    };
    const auto add_question = [&](const char* name, const char* description) {
        auto* cmd = inventory_cmd->add_subcommand(name, description);
        add_format(cmd, cli->inventory.format);
        return cmd;
    };
    add_filters(add_question("certs", "Certificates, soonest expiry first"));
    auto* cert_cmd = add_question("cert", "One certificate: its places, issuers, path to an anchor, same-key "
                                          "certificates and key files");
    cert_cmd->add_option("SHA256", cli->inventory.fingerprint, "Fingerprint or a prefix of it (4+ hex digits)")
        ->required();
    add_scan_filter(cert_cmd);
    add_filters(add_question("endpoints", "Network endpoints, soonest expiry first"));
    auto* shared_cmd = add_question("shared", "Certificates at several places (trust stores not counted), the most "
                                              "places first");
    add_filters(shared_cmd);
    shared_cmd->add_option("--min-places", cli->inventory.min_places, "At least this many places")
        ->check(at_least(1, "a number of places (1 or more)"))
        ->capture_default_str();
    shared_cmd->add_option("--across", cli->inventory.across,
                           "Only certificates whose places carry two or more values of this label key, e.g. owner");
    add_filters(add_question("keys", "Public keys in several certificates, private key files at several paths"));
    add_filters(add_question("anchors", "Trust anchors: which stores hold them, what they issue, what is stale"));
    add_filters(add_question("stores", "Trust stores and the anchors each holds"));
    add_filters(add_question("client-cas", "Mutual TLS: the CAs each service accepts client certificates from, and "
                                           "for each such CA the services and the certificates in the inventory "
                                           "that bear its name"));
    auto* history_cmd = add_question("history", "Every scan and place that saw a certificate, and its rotations");
    history_cmd->add_option("SHA256", cli->inventory.fingerprint, "Fingerprint or a prefix of it (4+ hex digits)")
        ->required();
    auto* bom_cmd = cli->inventory_cmd->add_subcommand(
        "bom", "The view as a CycloneDX 1.6 cryptographic bill of materials, as report --format cyclonedx writes it");
    one_of(bom_cmd->add_option("--format", cli->inventory.format, "Output format: cyclonedx, the only one"),
           {"cyclonedx"});
    add_scan_filter(bom_cmd);
    add_question("scans", "Every scan in the inventory");
    add_question("runs", "Every run (scan --run NAME): its scans, and whether it is complete or which shards are missing");

    auto* diff_cmd = cli->diff_cmd = app.add_subcommand(
        "diff", "What changed between two views: new and gone certificates and places, rotations, verdicts.\n"
                "FROM and TO are scan ids, dates (YYYY-MM-DD: the view at the end of that day, UTC) or ages\n"
                "(7d, 2w: the view that long ago). Default: the two latest scans; FROM alone: against the latest.");
    auto* diff_from = diff_cmd->add_option("FROM", cli->diff.from, "Earlier scan id, date or age");
    auto* diff_to = diff_cmd->add_option("TO", cli->diff.to, "Later scan id, date or age");
    diff_cmd
        ->add_option("--run", cli->diff.runs,
                     "A run (scan --run NAME): the view before it against the view after it; given twice, the view "
                     "after the first run against the view after the second")
        ->excludes(diff_from)
        ->excludes(diff_to);
    add_format(diff_cmd, cli->diff.format);

    auto* check_cmd = cli->check_cmd = app.add_subcommand(
        "check", "Evaluate the rules over the latest scan, as a Nagios plugin: exit 0 OK, 1 WARNING, 2 CRITICAL,\n"
                 "3 UNKNOWN. First line: status, counts and perfdata. Findings are stored with the scan.");
    path(check_cmd->add_option("--rules", cli->check.rules, "Rules file (YAML); default: the built-in policy"));
    auto* check_scan = check_cmd->add_option("--scan", cli->check.scan, "Scan id (default: the latest)")->check(kScanId);
    check_cmd->add_option("--run", cli->check.run,
                          "The view after this run (scan --run NAME); UNKNOWN while a shard or slot of it is missing, "
                          "running, failed or interrupted")
        ->excludes(check_scan);
    one_of(check_cmd->add_option("--format", cli->check.format, "Output format"), {"table", "json"})
        ->capture_default_str();
    check_cmd->add_flag("--quiet", cli->check.quiet, "Print nothing when the status is OK (for cron)");
    cli->warning_days =
        check_cmd->add_option("--warning-days", cli->check.perfdata_days.warning_days,
                              "WARNING for a certificate (trust anchors apart) with this many days left or fewer; "
                              "the default only sets the min_days_left perfdata threshold")
            ->check(kZeroOrMore)
            ->capture_default_str();
    cli->critical_days =
        check_cmd->add_option("--critical-days", cli->check.perfdata_days.critical_days,
                              "CRITICAL for a certificate (trust anchors apart) with this many days left or fewer; "
                              "the default only sets the min_days_left perfdata threshold")
            ->check(kZeroOrMore)
            ->capture_default_str();
    // The statuses in lowercase, in their order in kCheckStatusNames.
    std::map<std::string, rules::CheckStatus> statuses;
    std::vector<std::string> status_words;
    for (const auto& [status, name] : rules::kCheckStatusNames) {
        status_words.push_back(lowercase(name));
        statuses.emplace(status_words.back(), status);
    }
    auto* on_unseen = check_cmd
                          ->add_option("--on-unseen", cli->check.policy.on_unseen,
                                       "Status when a place that held certificates could not be looked at again (a "
                                       "timeout, an unreadable file): ok, warning, critical or unknown")
                          ->transform(CLI::CheckedTransformer(statuses, CLI::ignore_case))
                          ->default_str("warning");
    cli->value_hints[on_unseen].words = status_words;

    auto* serve_cmd = cli->serve_cmd = app.add_subcommand(
        "serve", "Serve the latest scan's Prometheus metrics over HTTP on /metrics, read from the inventory on every\n"
                 "scrape, until SIGINT or SIGTERM.");
    serve_cmd->add_option("--listen", cli->serve.listen, "ADDRESS:PORT to listen on ([IPv6]:PORT for IPv6)")
        ->capture_default_str();
    serve_cmd->add_option("--run", cli->serve.run,
                          "The metrics of this run's scans (scan --run NAME) as one, with certfleet_run_complete");

    auto* progress_cmd = cli->progress_cmd = app.add_subcommand(
        "progress", "Migration burn-down: for each migration rule, places in scope, met, unmet, exempt and overdue\n"
                    "in every scan, and places that regressed.");
    path(progress_cmd->add_option("--rules", cli->progress.rules, "Rules file (YAML); default: the built-in policy"));
    progress_cmd->add_option("--rule", cli->progress.rule, "Only this rule id");
    progress_cmd->add_option("--run", cli->progress.run,
                             "The burn-down up to the view after this run (scan --run NAME)");
    add_format(progress_cmd, cli->progress.format);

    auto* forget_cmd = cli->forget_cmd = app.add_subcommand(
        "forget", "Remove places no scan will revisit (a decommissioned host, a deleted tree) from the current view\n"
                  "and every alert. History keeps them and records that they were forgotten; a scan that sees one\n"
                  "again brings it back.");
    path(forget_cmd
             ->add_option("PLACE", cli->forget.selectors,
                          "A file path (a directory: every file under it) or glob, a host or address, HOST:PORT, or "
                          "an address block (CIDR)")
             ->required());
    forget_cmd->add_option("--site", cli->forget.site,
                           "Only endpoints of this site (scan --site), where other sites have the same addresses");
    forget_cmd->add_flag("--dry-run", cli->forget.dry_run, "List what would be forgotten, and forget nothing");

    auto* push_cmd = cli->push_cmd = app.add_subcommand(
        "push", "Copy the scans of a local inventory (a laptop's, an air-gapped segment's, a host agent's) into the\n"
                "central one, each once: pushing again copies nothing twice. Running scans wait for a later push.");
    path(push_cmd->add_option("LOCAL", cli->push.from, "The inventory whose scans are copied (an SQLite file)")
             ->required());
    path(push_cmd->add_option("--to", cli->push.to, "The inventory they are copied into (default: --db)"));
    existing_file(push_cmd->add_option(
        "--rules", cli->push.rules,
        "Rules evaluated over each copied scan, findings stored with it (default: built-in policy)"));
    return cli;
}

}  // namespace certfleet::app
