-- certfleet's roles on a central PostgreSQL inventory (docs/fleet.md). Run as the owner of the inventory's
-- database once its schema exists (any certfleet command run as the owner creates it), and again after an
-- upgrade of certfleet adds tables:
--   psql "service=certfleet-owner" -v ON_ERROR_STOP=1 -f roles.sql
-- Then give each login role one of these: CREATE ROLE scanner_dc1 LOGIN IN ROLE certfleet_scanner;
--
-- certfleet_scanner records scans (scan, forget, check, push) and reads the inventory; it cannot delete or
-- rewrite what earlier scans saw: no DELETE but on the two tables a scan's end replaces (the findings of its own
-- evaluation, the state of places it sees again), no UPDATE of sightings, certificates or places.
-- certfleet_reader reads (report, inventory, diff, progress, serve) and writes nothing.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'certfleet_scanner') THEN
        CREATE ROLE certfleet_scanner NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'certfleet_reader') THEN
        CREATE ROLE certfleet_reader NOLOGIN;
    END IF;
END
$$;

-- In the schema certfleet's tables are in (the connection's search_path: public unless set), and the database.
DO $$
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO certfleet_scanner, certfleet_reader', current_schema());
    EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO certfleet_scanner, certfleet_reader', current_schema());
    EXECUTE format('GRANT INSERT ON ALL TABLES IN SCHEMA %I TO certfleet_scanner', current_schema());
    -- Questions as of a past scan build temporary tables.
    EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO certfleet_scanner, certfleet_reader', current_database());
END
$$;

REVOKE INSERT ON certfleet_schema FROM certfleet_scanner;
-- What a scan updates: its own row and labels, its observations, and the views across scans.
GRANT UPDATE ON scans, scan_owners, scan_progress, scan_labels, location_labels, endpoint_labels,
    endpoint_observations, location_latest, endpoint_latest, certificate_seen, place_states, place_transitions,
    forgotten_inputs TO certfleet_scanner;
GRANT DELETE ON findings, place_states TO certfleet_scanner;
