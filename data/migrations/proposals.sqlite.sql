-- civmap change proposals (区划调整) in a data or state directory (accounts.sqlite, beside the
-- audit log so a proposal, its decision and their audit rows commit together). The same
-- tables as PostGIS migration 0008. Idempotent: applied on every open.

-- One proposal: the request as given, its impact report, and the decision.
CREATE TABLE IF NOT EXISTS proposals (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL CHECK (kind IN ('transfer', 'merge', 'split', 'rename')),
    request     TEXT NOT NULL,
    impact      TEXT NOT NULL,
    valid       INTEGER NOT NULL CHECK (valid IN (0, 1)),
    status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    proposed_by TEXT NOT NULL,
    proposed_ms INTEGER NOT NULL,
    decided_by  TEXT,
    decided_ms  INTEGER,
    effective   TEXT,
    note        TEXT
);
CREATE INDEX IF NOT EXISTS proposals_status ON proposals (status);

-- Names (and codes) units were known by before an approved proposal, kept searchable.
CREATE TABLE IF NOT EXISTS former_names (
    code        TEXT NOT NULL,
    former_code TEXT,
    name        TEXT NOT NULL,
    until       TEXT NOT NULL,
    proposal    INTEGER NOT NULL REFERENCES proposals (id)
);
CREATE INDEX IF NOT EXISTS former_names_code ON former_names (code);

-- The data change an approval made (a bincode `DataEdit`: units upserted and retired,
-- doorplates and facilities recoded, coordinates exact), written with the decision. A
-- server without PostGIS holds its data in memory and replays these at every start, in
-- decision order (`seq`, exact even within one millisecond). Added after 0008's tables;
-- approvals older than it have no row here (they are replayed first, by decision time).
CREATE TABLE IF NOT EXISTS proposal_edits (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    proposal    INTEGER NOT NULL UNIQUE REFERENCES proposals (id),
    edit        BLOB NOT NULL
);
