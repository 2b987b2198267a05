-- certfleet inventory, schema version 20: the single source of truth for the database layout.
-- Every statement is idempotent and versions only add tables or replace indexes, so sqlite_inventory.cpp brings
-- any older file up to date by applying all of it and raising PRAGMA user_version. Columns added to a table later
-- (described here beside their version) are added by sqlite_schema.cpp to a file that lacks them: SQLite cannot
-- add a column only where it is missing.
-- Every index over the per-scan tables leads with scan_id: a scan's rows then go at the end of each index and
-- leave the pages of earlier scans alone (an index led by the certificate or the place puts each scan's rows
-- all over it, rewriting most of its pages every scan). Questions across scans probe each scan in turn instead.
-- Times are integer seconds since the epoch (UTC). Lists are JSON arrays in TEXT columns.

CREATE TABLE IF NOT EXISTS scans (
    id                INTEGER PRIMARY KEY,
    kind              TEXT    NOT NULL,                 -- 'files' (the network scanner adds 'network')
    status            TEXT    NOT NULL CHECK (status IN ('running', 'complete', 'interrupted', 'failed')),
    started_at        INTEGER NOT NULL,
    finished_at       INTEGER,
    pid               INTEGER NOT NULL,                 -- lets a later run mark a killed scan interrupted
    parameters        TEXT    NOT NULL DEFAULT '{}',    -- JSON: roots, options
    files_walked      INTEGER NOT NULL DEFAULT 0,
    files_skipped     INTEGER NOT NULL DEFAULT 0,
    certificates_seen INTEGER NOT NULL DEFAULT 0,       -- sightings, not distinct certificates
    keys_seen         INTEGER NOT NULL DEFAULT 0,
    errors            INTEGER NOT NULL DEFAULT 0,
    notes             INTEGER NOT NULL DEFAULT 0
);

-- One row per distinct certificate (by DER), with every fact the model derives from it.
CREATE TABLE IF NOT EXISTS certificates (
    id                  INTEGER PRIMARY KEY,
    sha256              TEXT    NOT NULL UNIQUE,
    spki_sha256         TEXT    NOT NULL,
    subject             TEXT    NOT NULL,
    issuer              TEXT    NOT NULL,
    serial              TEXT    NOT NULL,
    not_before          INTEGER NOT NULL,
    not_after           INTEGER NOT NULL,
    key_type            TEXT    NOT NULL,
    key_curve           TEXT    NOT NULL,
    key_bits            INTEGER NOT NULL,
    signature_algorithm TEXT    NOT NULL,
    is_ca               INTEGER NOT NULL,
    path_length         INTEGER,
    self_issued         INTEGER NOT NULL,
    self_signed         INTEGER NOT NULL,
    subject_key_id      TEXT    NOT NULL,
    authority_key_id    TEXT    NOT NULL,
    dns_names           TEXT    NOT NULL,
    ip_addresses        TEXT    NOT NULL,
    uris                TEXT    NOT NULL,
    emails              TEXT    NOT NULL,
    key_usage           TEXT    NOT NULL,
    ext_key_usage       TEXT    NOT NULL,
    der                 BLOB    NOT NULL,
    first_seen_scan     INTEGER NOT NULL REFERENCES scans(id)
);

-- Where things are seen. A file location is (host, path, format): the host is the machine the file is on (version
-- 10; sqlite_schema.cpp rebuilds an older table, its places on the host that migrates it). Endpoints are below.
CREATE TABLE IF NOT EXISTS locations (
    id     INTEGER PRIMARY KEY,
    host   TEXT NOT NULL,
    kind   TEXT NOT NULL CHECK (kind IN ('file')),
    path   TEXT NOT NULL,
    format TEXT NOT NULL,
    UNIQUE (host, kind, path, format)
);

-- A certificate seen at a location, at a position within it, in a scan.
CREATE TABLE IF NOT EXISTS sightings (
    scan_id        INTEGER NOT NULL REFERENCES scans(id),
    location_id    INTEGER NOT NULL REFERENCES locations(id),
    position       INTEGER NOT NULL,
    certificate_id INTEGER NOT NULL REFERENCES certificates(id),
    PRIMARY KEY (scan_id, location_id, position)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sightings_by_scan_certificate ON sightings(scan_id, certificate_id);

-- Private keys, recorded only by where they are and the SHA-256 of their public key; never key material.
CREATE TABLE IF NOT EXISTS key_sightings (
    id          INTEGER PRIMARY KEY,
    scan_id     INTEGER NOT NULL REFERENCES scans(id),
    location_id INTEGER NOT NULL REFERENCES locations(id),
    spki_sha256 TEXT,                                   -- NULL when the key is encrypted and no password fits
    state       TEXT NOT NULL CHECK (state IN ('readable', 'encrypted', 'in_keystore'))
);
CREATE INDEX IF NOT EXISTS key_sightings_by_scan_location ON key_sightings(scan_id, location_id);
-- Version 17: `position`, the key's place among its file's keys, so a batch written again (or a file read again
-- after --resume) adds no key twice while a file's two encrypted keys stay two. sqlite_schema.cpp adds the column
-- (kAddedColumns), numbers an older file's keys in the order they were stored, and adds the unique index
-- key_sightings_once (scan_id, location_id, position) (kKeysOnce).

-- Problems with inputs (level 'error') and things worth knowing about them (level 'note').
CREATE TABLE IF NOT EXISTS scan_events (
    id       INTEGER PRIMARY KEY,
    scan_id  INTEGER NOT NULL REFERENCES scans(id),
    level    TEXT NOT NULL CHECK (level IN ('error', 'note')),
    location TEXT NOT NULL,
    reason   TEXT NOT NULL,
    detail   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS scan_events_by_scan ON scan_events(scan_id);
-- Version 17: each event once per scan, so a batch written again (its COMMIT went through but the answer was lost)
-- or a place read again after --resume adds none. sqlite_schema.cpp (kEventsOnce) drops an older file's
-- duplicates and adds the unique index scan_events_once (scan_id, level, location, reason, detail).

-- Schema version 2: the network scanner. An endpoint is (host as named, address connected to, port, SNI name,
-- site). Version 14 adds the site (sqlite_schema.cpp rebuilds an older table, its endpoints in no site).
CREATE TABLE IF NOT EXISTS endpoints (
    id          INTEGER PRIMARY KEY,
    host        TEXT    NOT NULL,
    address     TEXT    NOT NULL,              -- empty when the host did not resolve
    port        INTEGER NOT NULL,              -- 0 for a host name that did not resolve: one row, not one per port
    server_name TEXT    NOT NULL,              -- empty when no SNI was sent
    site        TEXT    NOT NULL DEFAULT '',   -- the network the scanner was in (scan --site); empty for none
    UNIQUE (host, address, port, server_name, site)
);

-- What one probe of an endpoint found in a scan, and what a client would conclude about it. Version 8 adds
-- name_check and name_check_detail (below).
CREATE TABLE IF NOT EXISTS endpoint_observations (
    scan_id               INTEGER NOT NULL REFERENCES scans(id),
    endpoint_id           INTEGER NOT NULL REFERENCES endpoints(id),
    status                TEXT    NOT NULL,    -- tls, closed, timeout, not-tls, handshake-failed, unresolved, unreachable
    detail                TEXT    NOT NULL,
    starttls              TEXT,
    tls_version           TEXT    NOT NULL,
    cipher                TEXT    NOT NULL,
    ocsp_stapled          INTEGER NOT NULL,
    verified              INTEGER NOT NULL,
    verify_error          TEXT    NOT NULL,
    verify_detail         TEXT    NOT NULL,
    verify_errors         TEXT    NOT NULL,    -- JSON array of every failure class
    hostname_match        INTEGER NOT NULL,
    chain_trusted         INTEGER NOT NULL,
    order_correct         INTEGER NOT NULL,
    root_included         INTEGER NOT NULL,
    intermediates_missing INTEGER NOT NULL,
    earliest_expiry       INTEGER,
    earliest_expiry_sha256 TEXT,
    serves_default        INTEGER NOT NULL,    -- every SNI name probed got this same leaf
    elapsed_ms            INTEGER NOT NULL,
    PRIMARY KEY (scan_id, endpoint_id)
) WITHOUT ROWID;

-- A certificate presented by an endpoint, at its position in the chain, in a scan.
CREATE TABLE IF NOT EXISTS endpoint_sightings (
    scan_id        INTEGER NOT NULL REFERENCES scans(id),
    endpoint_id    INTEGER NOT NULL REFERENCES endpoints(id),
    position       INTEGER NOT NULL,
    certificate_id INTEGER NOT NULL REFERENCES certificates(id),
    PRIMARY KEY (scan_id, endpoint_id, position)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS endpoint_sightings_by_scan_certificate ON endpoint_sightings(scan_id, certificate_id);

-- Where an interrupted network scan stopped: every target before `position` (in its seeded order) is done.
-- `resume_key` names the targets, ports, names, shard and seed, so --resume only continues the same scan.
CREATE TABLE IF NOT EXISTS scan_progress (
    scan_id    INTEGER PRIMARY KEY REFERENCES scans(id),
    resume_key TEXT    NOT NULL,
    position   INTEGER NOT NULL
);

-- Version 12: the run a scan is part of (`scan --run NAME`), for the scans users see as one: the shards of one
-- network scan, or the scans of many hosts or sites. `slot` is what the scan looked at (its kind, host, roots,
-- targets, ports, names and shard): a later scan of the run in the same slot stands in for an earlier one, so a
-- shard run twice counts once. `shard` and `shards` are K and N of --shard K/N, 0 when the scan is not a shard.
CREATE TABLE IF NOT EXISTS scan_runs (
    scan_id INTEGER PRIMARY KEY REFERENCES scans(id),
    run     TEXT    NOT NULL,
    slot    TEXT    NOT NULL,
    shard   INTEGER NOT NULL DEFAULT 0,
    shards  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS scan_runs_by_run ON scan_runs(run, scan_id);
-- Also version 12, added to scans by sqlite_schema.cpp (with a unique index, scans_by_uuid), and given to every
-- scan an older version stored:
--   uuid  TEXT: the scan's identity wherever it is copied (`certfleet push` copies a scan once, whatever its id
--         becomes there), a random (version 4) UUID.

-- Schema version 3: analysis across scans.

-- Labels: `scan --label k=v` for every sighting of a scan, and owner-map labels for one location in a scan.
-- A location's own label wins over the scan's label with the same key.
CREATE TABLE IF NOT EXISTS scan_labels (
    scan_id INTEGER NOT NULL REFERENCES scans(id),
    key     TEXT    NOT NULL,
    value   TEXT    NOT NULL,
    PRIMARY KEY (scan_id, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS location_labels (
    scan_id     INTEGER NOT NULL REFERENCES scans(id),
    location_id INTEGER NOT NULL REFERENCES locations(id),
    key         TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    PRIMARY KEY (scan_id, location_id, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS endpoint_labels (
    scan_id     INTEGER NOT NULL REFERENCES scans(id),
    endpoint_id INTEGER NOT NULL REFERENCES endpoints(id),
    key         TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    PRIMARY KEY (scan_id, endpoint_id, key)
) WITHOUT ROWID;

-- The file sightings that are trust-store entries (anchors), not chains a service uses: a location holding any
-- is a trust store.
CREATE TABLE IF NOT EXISTS anchor_sightings (
    scan_id     INTEGER NOT NULL REFERENCES scans(id),
    location_id INTEGER NOT NULL REFERENCES locations(id),
    position    INTEGER NOT NULL,
    PRIMARY KEY (scan_id, location_id, position)
) WITHOUT ROWID;

-- Who issued whom, among the certificates in the inventory: the issuer's subject is the certificate's issuer,
-- key identifiers agree when both are present, and the certificate's signature verifies with the issuer's key.
-- Filled when a scan finishes, for the certificates it added.
CREATE TABLE IF NOT EXISTS certificate_issuers (
    certificate_id INTEGER NOT NULL REFERENCES certificates(id),
    issuer_id      INTEGER NOT NULL REFERENCES certificates(id),
    PRIMARY KEY (certificate_id, issuer_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS certificate_issuers_by_issuer ON certificate_issuers(issuer_id);

-- The current view of the fleet: each location as the latest scan that found certificates or keys there left
-- it. Kept up to date as each scan ends so questions about "now" need not group a million sightings first.
CREATE TABLE IF NOT EXISTS location_latest (
    location_id INTEGER PRIMARY KEY REFERENCES locations(id),
    scan_id     INTEGER NOT NULL REFERENCES scans(id)
);
CREATE TABLE IF NOT EXISTS endpoint_latest (
    endpoint_id INTEGER PRIMARY KEY REFERENCES endpoints(id),
    scan_id     INTEGER NOT NULL REFERENCES scans(id)
);
-- The first and the latest scan that saw each certificate anywhere.
CREATE TABLE IF NOT EXISTS certificate_seen (
    certificate_id INTEGER PRIMARY KEY REFERENCES certificates(id),
    first_scan     INTEGER NOT NULL REFERENCES scans(id),
    last_scan      INTEGER NOT NULL REFERENCES scans(id)
);
-- Version 3 fills these from what older versions stored (this file runs only when the version changes).
INSERT OR REPLACE INTO location_latest SELECT location_id, max(scan_id) FROM (SELECT location_id, scan_id FROM sightings
    UNION ALL SELECT location_id, scan_id FROM key_sightings) GROUP BY location_id;
INSERT OR REPLACE INTO endpoint_latest SELECT endpoint_id, max(scan_id) FROM endpoint_observations GROUP BY endpoint_id;
INSERT OR REPLACE INTO certificate_seen
    SELECT certificate_id, min(scan_id), max(scan_id) FROM (SELECT certificate_id, scan_id FROM sightings
    UNION ALL SELECT certificate_id, scan_id FROM endpoint_sightings) GROUP BY certificate_id;

-- Schema version 4: what the rules found in a scan's view (the latest evaluation replaces earlier ones).
CREATE TABLE IF NOT EXISTS findings (
    id           INTEGER PRIMARY KEY,
    scan_id      INTEGER NOT NULL REFERENCES scans(id),
    rule_id      TEXT    NOT NULL,
    severity     TEXT    NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low', 'info')),
    sha256       TEXT    NOT NULL,
    location     TEXT    NOT NULL,
    message      TEXT    NOT NULL,
    days_left    INTEGER NOT NULL,
    deadline     INTEGER,
    overdue      INTEGER NOT NULL,
    evaluated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS findings_by_scan ON findings(scan_id);

-- Schema version 5: the indexes version 4 and older led with the certificate, the place or the key, and one by
-- expiry that no question uses (they find certificates through their sightings; each index on certificates
-- costs every new certificate a write to a random page).
DROP INDEX IF EXISTS certificates_by_not_after;
DROP INDEX IF EXISTS sightings_by_certificate;
DROP INDEX IF EXISTS sightings_by_location;
DROP INDEX IF EXISTS endpoint_sightings_by_certificate;
DROP INDEX IF EXISTS endpoint_sightings_by_endpoint;
DROP INDEX IF EXISTS key_sightings_by_scan;
DROP INDEX IF EXISTS key_sightings_by_spki;
DROP INDEX IF EXISTS key_sightings_by_location;

-- Schema version 6: no index on certificates keyed by a value random to it that every new certificate adds to.
-- Keyed so, each new certificate went to a random page of each, and each batch's commit rewrote hundreds of their
-- pages (bench/inventory: leading the one by public key with the scan made ingest 7% faster).
-- * By public key, led by the scan that first saw them: a scan's new certificates go at its end. The one question
--   by key (which other certificates share a certificate's key) probes it scan by scan. It also serves the
--   questions by first scan.
-- * By subject, only the certificates that may sign certificates (no key usage, or one with keyCertSign; the
--   writer's issuer links look for no others): CAs, not leaves. The writer's statements repeat the condition.
-- * By issuer, only the certificates not issued by themselves (the issuer links skip those): a self-signed leaf's
--   issuer is its own random name.
DROP INDEX IF EXISTS certificates_by_spki;
DROP INDEX IF EXISTS certificates_by_first_seen;
DROP INDEX IF EXISTS certificates_by_subject;
DROP INDEX IF EXISTS certificates_by_issuer;
CREATE INDEX IF NOT EXISTS certificates_by_first_seen_spki ON certificates(first_seen_scan, spki_sha256);
-- (Version 13 changed only PostgreSQL's copy of this index, to this condition.)
CREATE INDEX IF NOT EXISTS certificates_by_signer_subject ON certificates(subject)
    WHERE key_usage = '[]' OR instr(key_usage, '"keyCertSign"') > 0;
CREATE INDEX IF NOT EXISTS certificates_by_issuer ON certificates(issuer) WHERE self_issued = 0;

-- Schema version 7: which process runs a scan, beyond its pid (scans.pid), so a later run can tell a scan whose
-- process died from one whose pid a new process reuses: the boot the process ran in and its start time in clock
-- ticks after that boot (/proc/PID/stat field 22). A scan finishes in one transaction with its conclusions and
-- findings, so a 'running' scan whose process is gone is one that never finished.
CREATE TABLE IF NOT EXISTS scan_owners (
    scan_id     INTEGER PRIMARY KEY REFERENCES scans(id),
    boot_id     TEXT    NOT NULL,
    start_ticks INTEGER NOT NULL
);

-- Schema version 8: which name each probe's certificate was checked against, and how that came out. Added to
-- endpoint_observations by sqlite_schema.cpp:
--   name_check         TEXT, CHECK IN ('matched', 'mismatched', 'not-checked'); NULL in rows stored before
--                      version 8, whose hostname_match (1 or 0) says matched or mismatched. not-checked: probed
--                      by address alone, and the certificate has no IP SANs (no client reaches it by that address).
--                      hostname_match is 0 only for mismatched.
--   name_check_detail  TEXT NOT NULL DEFAULT '': the name checked and what against, e.g.
--                      "orders.internal matches DNS:orders.internal", "10.0.0.5 not in IP SANs [10.0.0.6]".
-- Schema version 8: a sighting's role from how it is held, and who maintains a trust store.
-- The file sightings that are the certificate of a private key held with them in the file (a keystore's key
-- entry, a PKCS#12 with its key, a PEM with its key): a service's own certificate, a leaf whatever its CA flag.
CREATE TABLE IF NOT EXISTS key_certificate_sightings (
    scan_id     INTEGER NOT NULL REFERENCES scans(id),
    location_id INTEGER NOT NULL REFERENCES locations(id),
    position    INTEGER NOT NULL,
    PRIMARY KEY (scan_id, location_id, position)
) WITHOUT ROWID;
-- The anchor sightings of trust stores an OS package maintains (ca-certificates, a JRE's cacerts): the
-- distribution refreshes them, so their stale and expired roots are not the host's people's to fix.
CREATE TABLE IF NOT EXISTS system_anchor_sightings (
    scan_id     INTEGER NOT NULL REFERENCES scans(id),
    location_id INTEGER NOT NULL REFERENCES locations(id),
    position    INTEGER NOT NULL,
    PRIMARY KEY (scan_id, location_id, position)
) WITHOUT ROWID;
-- Version 8 pairs the certificates and keys older versions stored the way the scanner now does: a certificate
-- whose public key is that of a key in the same file. Which stores are the system's the next scan says.
INSERT OR IGNORE INTO key_certificate_sightings
    SELECT s.scan_id, s.location_id, s.position FROM key_sightings k
    JOIN sightings s ON s.scan_id = k.scan_id AND s.location_id = k.location_id
    JOIN certificates c ON c.id = s.certificate_id AND c.spki_sha256 = k.spki_sha256;
-- Schema version 9: the state of each place, from what the scans looked at. A place with no row here is present
-- (seen by the latest scan that looked at it). 'gone': a scan looked where it was (walked its root, probed its
-- address and port, or scanned the same targets) and it was not there; it leaves the current view. 'unseen':
-- the latest scan that should have seen it could not look (unreadable, timed out, unresolved); it stays in the
-- view with its last known certificates. location_latest and endpoint_latest keep pointing at those.
CREATE TABLE IF NOT EXISTS place_states (
    kind       INTEGER NOT NULL CHECK (kind IN (0, 1)),    -- 0: a file location, 1: an endpoint
    place_id   INTEGER NOT NULL,
    state      TEXT    NOT NULL CHECK (state IN ('gone', 'unseen')),
    reason     TEXT    NOT NULL,                           -- not_found, not_in_targets, closed, timeout, ...
    since_scan INTEGER NOT NULL REFERENCES scans(id),      -- the first scan that found it in this state
    last_scan  INTEGER NOT NULL REFERENCES scans(id),      -- the latest one
    PRIMARY KEY (kind, place_id)
) WITHOUT ROWID;
-- Every change of a place's state, for history and for the views as of a past scan; 'forgotten' by the user.
CREATE TABLE IF NOT EXISTS place_transitions (
    scan_id  INTEGER NOT NULL REFERENCES scans(id),
    kind     INTEGER NOT NULL CHECK (kind IN (0, 1)),
    place_id INTEGER NOT NULL,
    state    TEXT    NOT NULL CHECK (state IN ('present', 'gone', 'unseen', 'forgotten')),
    reason   TEXT    NOT NULL,
    PRIMARY KEY (scan_id, kind, place_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS place_transitions_by_place ON place_transitions(kind, place_id);
-- Schema version 11: files roots and list files the user forgot (`certfleet forget`) after the scan named them
-- last could not read them; coverage leaves each out until a later scan names it again.
CREATE TABLE IF NOT EXISTS forgotten_inputs (
    kind    TEXT    NOT NULL CHECK (kind IN ('root', 'list')),
    host    TEXT    NOT NULL,
    path    TEXT    NOT NULL,
    scan_id INTEGER NOT NULL REFERENCES scans(id),        -- the latest scan when it was forgotten
    PRIMARY KEY (kind, host, path)
) WITHOUT ROWID;
-- The current view's places: gone (and forgotten) places left out.
CREATE VIEW IF NOT EXISTS current_locations AS SELECT ll.location_id, ll.scan_id FROM location_latest ll WHERE
    NOT EXISTS (SELECT 1 FROM place_states p WHERE p.kind = 0 AND p.place_id = ll.location_id AND p.state = 'gone');
CREATE VIEW IF NOT EXISTS current_endpoints AS SELECT el.endpoint_id, el.scan_id FROM endpoint_latest el WHERE
    NOT EXISTS (SELECT 1 FROM place_states p WHERE p.kind = 1 AND p.place_id = el.endpoint_id AND p.state = 'gone');
-- Version 8 and older pointed endpoint_latest at an endpoint's latest probe, whatever it found; it now points
-- at the latest probe that presented certificates, so an endpoint that timed out keeps them (as unseen).
INSERT OR REPLACE INTO endpoint_latest SELECT el.endpoint_id, (SELECT max(o.scan_id) FROM endpoint_observations o
    WHERE o.endpoint_id = el.endpoint_id AND o.status = 'tls') FROM endpoint_latest el WHERE EXISTS (SELECT 1 FROM
    endpoint_observations o WHERE o.endpoint_id = el.endpoint_id AND o.status = 'tls');

-- Schema version 10: a file place is (host, path, format), in locations above. And added to findings by
-- sqlite_schema.cpp:
--   labels  TEXT NOT NULL DEFAULT '{}': the place's labels (owner, env, ...) as a JSON object, so the work a
--           finding asks for can be routed to the place's owners; '{}' in rows stored before version 10.

-- Schema version 15: how each probe's handshake agreed its keys. Added to endpoint_observations by
-- sqlite_schema.cpp:
--   key_exchange  TEXT NOT NULL DEFAULT '': the named group by its TLS name (X25519, secp256r1, ffdhe2048), a
--                 TLS 1.2 DHE exchange as DH-BITS, RSA key transport as RSA; '' when not known (and in rows
--                 stored before version 15).

-- Schema version 16: whether a trusted chain is a public TLS certificate's, and who the server trusts for client
-- certificates. Added to endpoint_observations by sqlite_schema.cpp:
--   public_root      INTEGER NOT NULL DEFAULT 0: 1 when the path built ended at a public root (Debian's copy of
--                    the Mozilla root program, or scan --public-roots), so the CA/Browser Forum's lifetime limits
--                    apply; 0 otherwise (and in rows stored before version 16).
--   client_auth      TEXT NOT NULL DEFAULT 'none': none, requested (the server asked for a client certificate and
--                    went on without one) or required (it ended the connection when none came).
--   client_ca_names  TEXT NOT NULL DEFAULT '[]': the CA names (RFC 2253) the server listed as acceptable, a JSON
--                    array; empty where it listed none.

-- Schema version 18: the hybrid post-quantum key exchanges a TLS 1.3 server would choose, which OpenSSL 3.0 cannot
-- negotiate. Added to endpoint_observations by sqlite_schema.cpp:
--   hybrid_groups  TEXT NOT NULL DEFAULT '[]': a JSON array of TLS group names (X25519MLKEM768) the server chose
--                  when certfleet offered each alone; empty where it chose none, where it was not asked (TLS 1.2,
--                  scan --no-hybrid-probe) and in rows stored before version 18.

-- Schema version 19: no change here. On PostgreSQL (pg_schema.sql) the per-scan tables drop their foreign keys,
-- which SQLite declares and never enforced; the version tells an older certfleet that the server's layout moved on.
