-- civmap survey register in a data directory (accounts.sqlite, beside the audit log so a
-- register write and its audit row commit together): boundary markers (界桩), every
-- version each marker has had, their inspections, and validation exceptions. The same
-- tables as PostGIS migration 0003. Idempotent: applied on every open, so an older
-- accounts.sqlite gains these tables the first time a newer civmap opens it.

-- The current state of every marker ever registered; `retired_ms` marks one taken out of
-- the register (its number stays taken; `restore` brings it back).
CREATE TABLE IF NOT EXISTS markers (
    number     TEXT PRIMARY KEY,
    line       TEXT NOT NULL,
    lon        REAL NOT NULL,
    lat        REAL NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('A', 'B', 'C', 'D', 'E', 'Q')),
    status     TEXT NOT NULL CHECK (status IN ('intact', 'damaged', 'moved', 'lost', 'obscured')),
    version    INTEGER NOT NULL,
    retired_ms INTEGER
);
CREATE INDEX IF NOT EXISTS markers_line ON markers (line);

-- Every state a marker has had: valid from `valid_from_ms` until `valid_to_ms` (NULL for
-- the current one), written by `who` through `action`.
CREATE TABLE IF NOT EXISTS marker_versions (
    number        TEXT NOT NULL REFERENCES markers (number),
    version       INTEGER NOT NULL CHECK (version >= 1),
    line          TEXT NOT NULL,
    lon           REAL NOT NULL,
    lat           REAL NOT NULL,
    kind          TEXT NOT NULL,
    status        TEXT NOT NULL,
    valid_from_ms INTEGER NOT NULL,
    valid_to_ms   INTEGER,
    who           TEXT NOT NULL,
    action        TEXT NOT NULL,
    PRIMARY KEY (number, version)
);

CREATE TABLE IF NOT EXISTS marker_inspections (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    number      TEXT NOT NULL REFERENCES markers (number),
    date        TEXT NOT NULL,
    inspector   TEXT NOT NULL,
    status      TEXT NOT NULL,
    offset_m    REAL CHECK (offset_m IS NULL OR offset_m >= 0),
    note        TEXT,
    recorded_ms INTEGER NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS marker_inspections_number ON marker_inspections (number, date);

-- Accepted findings; withdrawn, never deleted. `codes` is a JSON array of 12-digit codes.
CREATE TABLE IF NOT EXISTS validation_exceptions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    rule         TEXT NOT NULL,
    codes        TEXT NOT NULL,
    marker       TEXT,
    who          TEXT NOT NULL,
    why          TEXT NOT NULL,
    created      TEXT NOT NULL,
    expires      TEXT,
    created_ms   INTEGER NOT NULL,
    withdrawn_ms INTEGER,
    withdrawn_by TEXT
);
