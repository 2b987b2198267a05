// certfleet command line: parses flags into the plain option structs of commands.hpp and runs the command.
#include <CLI/CLI.hpp>
#include <iostream>

#include "app/commands.hpp"
#include "report/report.hpp"

using namespace certfleet::app;

int main(int argc, char** argv) {
    CLI::App app{"certfleet: find every TLS certificate in a fleet, keep an inventory, say what to do."};
    app.set_version_flag("--version", std::string("certfleet ") + CERTFLEET_VERSION);
    app.require_subcommand(1);
    std::string db_path = "./certfleet.db";
    app.add_option("--db", db_path, "Inventory database file (created mode 0600)")
        ->envname("CERTFLEET_DB")
        ->capture_default_str();

    ScanOptions scan;
    auto* scan_cmd = app.add_subcommand(
        "scan", "Scan file trees and network targets for certificates into the inventory.\n"
                "TARGET: IPv4/IPv6 address, CIDR (10.0.0.0/24), range (10.0.0.1-10.0.0.40), host name, host:port,\n"
                "[v6]:port. Without --ports, targets are probed on the default TLS and STARTTLS ports.");
    scan_cmd->add_option("targets", scan.targets, "Network targets to probe");
    scan_cmd->add_option("--files", scan.files, "File or directory tree to scan (repeatable)");
    scan_cmd->add_flag("--system-dirs", scan.system_dirs,
                       "Scan this host's usual certificate directories (/etc/ssl, /etc/pki, ...) that exist");
    scan_cmd->add_flag("--localhost", scan.localhost, "Probe localhost (127.0.0.1 and ::1) on the port list");
    scan_cmd->add_option("--exclude-path", scan.exclude_paths,
                         "Skip files and subtrees whose path or name matches this glob (repeatable)");
    scan_cmd->add_option("--password-file", scan.password_file,
                         "Passwords to try on PKCS#12, keystores and encrypted keys, one per line")
        ->check(CLI::ExistingFile);
    scan_cmd->add_option("--max-file-size", scan.max_file_size, "Skip (and report) larger files; e.g. 10MiB, 512K")
        ->transform(CLI::AsSizeValue(false))
        ->default_str("10MiB");
    scan_cmd->add_option("--threads", scan.threads, "File decoder threads (default: one per core)")
        ->check(CLI::Range(0u, 64u));
    scan_cmd->add_option("--targets-file", scan.targets_file, "Targets, one per line (# comments)");
    scan_cmd->add_option("--ports", scan.ports, "Ports to probe, e.g. 443,8443,9000-9010 (default: common TLS and "
                                                "STARTTLS ports)");
    scan_cmd->add_option("--exclude", scan.excludes, "Never probe these addresses, CIDRs or ranges (repeatable)");
    scan_cmd->add_option("--exclude-file", scan.exclude_file, "Excludes, one per line");
    scan_cmd->add_option("--concurrency", scan.concurrency, "Probes in flight at once")
        ->check(CLI::Range(1u, 65536u))
        ->capture_default_str();
    scan_cmd->add_option("--rate", scan.rate, "New connections per second (default: no limit)")
        ->check(CLI::NonNegativeNumber);
    scan_cmd->add_option("--max-per-host", scan.max_per_host, "Concurrent connections to one address (default: no limit)");
    scan_cmd->add_option("--timeout-ms", scan.timeout_ms, "Deadline for each endpoint, all steps together")
        ->check(CLI::Range(1u, 600000u))
        ->capture_default_str();
    scan_cmd->add_option("--connect-timeout-ms", scan.connect_timeout_ms, "Deadline for the TCP connect");
    scan_cmd->add_option("--starttls-timeout-ms", scan.starttls_timeout_ms, "Deadline for the STARTTLS dialogue");
    scan_cmd->add_option("--handshake-timeout-ms", scan.handshake_timeout_ms, "Deadline for the TLS handshake");
    scan_cmd->add_option("--retries", scan.retries, "Extra attempts after a timeout")->check(CLI::Range(0u, 10u));
    scan_cmd->add_option("--sni", scan.sni_names, "Probe IP targets with this server name (repeatable; one probe each)");
    scan_cmd->add_option("--sni-file", scan.sni_file, "Server names, one per line");
    scan_cmd->add_option("--starttls", scan.starttls,
                         "Speak this protocol first on every port: smtp, imap, pop3, ftp, ldap, postgres, xmpp, mysql");
    scan_cmd->add_option("--trust", scan.trust, "Trust anchors: a PEM bundle or a directory of them (repeatable)");
    scan_cmd->add_flag("--no-system-trust", scan.no_system_trust, "Trust only --trust, not the system bundle");
    scan_cmd->add_option("--shard", scan.shard, "Probe only shard K of N (K/N), for splitting a scan across machines");
    scan_cmd->add_option("--seed", scan.seed, "Seed of the target order (same seed, same order)");
    scan_cmd->add_flag("--resume", scan.resume,
                       "Continue the latest interrupted scan of the same targets, ports, names, shard and seed");
    scan_cmd->add_flag("--dry-run", scan.dry_run, "Print the number of targets and the first ones; send nothing");
    scan_cmd->add_option("--label", scan.labels, "Tag this scan's sightings, e.g. env=prod (repeatable)");
    scan_cmd->add_option("--owner-map", scan.owner_map,
                         "Labels by location: lines of 'CIDR|host-glob|/path-glob key=value ...'")
        ->check(CLI::ExistingFile);
    scan_cmd->add_flag("--no-progress", scan.no_progress, "No progress line on stderr");

    ReportOptions report_options;
    auto* report_cmd = app.add_subcommand("report", "Print a report of a scan from the inventory");
    report_cmd->add_option("--format", report_options.format, "Report format")
        ->check(CLI::IsMember(certfleet::report::report_formats()))
        ->capture_default_str();
    report_cmd->add_option("--scan", report_options.scan, "Scan id (default: the latest)")->check(CLI::PositiveNumber);
    report_cmd->add_option("-o,--output", report_options.output, "Write to this file instead of stdout");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? kExitOk : kExitUsage;
    }

    try {
        if (scan_cmd->parsed()) return run_scan(scan, db_path);
        return run_report(report_options, db_path);
    } catch (const UsageError& e) {
        std::cerr << "certfleet: " << e.what() << "\n";
        return kExitUsage;
    } catch (const std::exception& e) {
        std::cerr << "certfleet: " << e.what() << "\n";
        return kExitFailure;
    }
}
