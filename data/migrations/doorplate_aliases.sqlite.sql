-- civmap doorplate aliases in a data or state directory (accounts.sqlite, beside the audit
-- log so an alias and its audit row commit together): an old doorplate id that was
-- renumbered or merged points to the id that replaced it. The same table as PostGIS
-- migration 0005. Idempotent: applied on every open.

CREATE TABLE IF NOT EXISTS doorplate_aliases (
    old_id     INTEGER PRIMARY KEY CHECK (old_id >= 0),
    new_id     INTEGER NOT NULL CHECK (new_id >= 0 AND new_id <> old_id),
    reason     TEXT NOT NULL CHECK (reason IN ('renumbered', 'merged')),
    date       TEXT NOT NULL,
    who        TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS doorplate_aliases_new ON doorplate_aliases (new_id);

CREATE TRIGGER IF NOT EXISTS doorplate_aliases_no_update BEFORE UPDATE ON doorplate_aliases
BEGIN SELECT RAISE(ABORT, 'doorplate_aliases is append-only'); END;
CREATE TRIGGER IF NOT EXISTS doorplate_aliases_no_delete BEFORE DELETE ON doorplate_aliases
BEGIN SELECT RAISE(ABORT, 'doorplate_aliases is append-only'); END;
