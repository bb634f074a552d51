-- civmap division history in a data or state directory (accounts.sqlite, beside the audit
-- log so an import or a confirmation and its audit row commit together). The same tables
-- as PostGIS migration 0006; the importer runs History::check inside the transaction and
-- refuses to commit a history that fails it. Idempotent: applied on every open.

CREATE TABLE IF NOT EXISTS history_editions (
    id          TEXT PRIMARY KEY,
    seq         INTEGER NOT NULL UNIQUE CHECK (seq >= 0),
    date        TEXT NOT NULL UNIQUE CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    source_file TEXT NOT NULL,
    row_count   INTEGER NOT NULL CHECK (row_count >= 0),
    imported_by TEXT NOT NULL,
    imported_ms INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS history_edition_rows (
    edition     TEXT NOT NULL REFERENCES history_editions (id) ON DELETE CASCADE,
    line        INTEGER NOT NULL CHECK (line >= 2),
    code        TEXT NOT NULL CHECK (length(code) = 12),
    level       TEXT NOT NULL CHECK (level IN ('city', 'district', 'township', 'community')),
    name        TEXT NOT NULL CHECK (name <> ''),
    parent_code TEXT NOT NULL CHECK (length(parent_code) = 12),
    kind        TEXT NOT NULL,
    PRIMARY KEY (edition, code)
);

CREATE TABLE IF NOT EXISTS history_units (
    id INTEGER PRIMARY KEY CHECK (id >= 0)
);

CREATE TABLE IF NOT EXISTS history_unit_versions (
    unit        INTEGER NOT NULL REFERENCES history_units (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL CHECK (seq >= 0),
    code        TEXT NOT NULL CHECK (length(code) = 12),
    name        TEXT NOT NULL CHECK (name <> ''),
    level       TEXT NOT NULL CHECK (level IN ('city', 'district', 'township', 'community')),
    kind        TEXT NOT NULL,
    parent_unit INTEGER REFERENCES history_units (id) ON DELETE CASCADE,
    valid_from  TEXT NOT NULL,
    valid_to    TEXT CHECK (valid_to IS NULL OR valid_from < valid_to),
    PRIMARY KEY (unit, seq),
    CHECK (parent_unit IS NULL OR parent_unit <> unit)
);

CREATE TABLE IF NOT EXISTS history_successions (
    from_unit INTEGER NOT NULL REFERENCES history_units (id) ON DELETE CASCADE,
    to_unit   INTEGER NOT NULL REFERENCES history_units (id) ON DELETE CASCADE,
    event     TEXT NOT NULL CHECK (event IN ('merged', 'split')),
    date      TEXT NOT NULL,
    PRIMARY KEY (from_unit, to_unit),
    CHECK (from_unit <> to_unit)
);

CREATE TABLE IF NOT EXISTS history_ambiguities (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    edition    TEXT NOT NULL REFERENCES history_editions (id) ON DELETE CASCADE,
    code       TEXT NOT NULL,
    kind       TEXT NOT NULL
        CHECK (kind IN ('several_candidates', 'same_name_elsewhere', 'ended_without_successor')),
    name       TEXT NOT NULL,
    level      TEXT NOT NULL,
    candidates TEXT NOT NULL,
    recorded   TEXT NOT NULL,
    status     TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'confirmed')),
    choice     TEXT,
    note       TEXT,
    decided_by TEXT,
    decided_ms INTEGER,
    UNIQUE (edition, code, kind),
    CHECK ((status = 'open') = (choice IS NULL)),
    CHECK ((status = 'open') = (decided_by IS NULL))
);
