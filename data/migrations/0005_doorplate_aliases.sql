-- civmap 0005: doorplate aliases (issue #16) — an old doorplate id that was renumbered or
-- merged points to the id that replaced it, so that the short URL /d/{old} never breaks.
-- Kept beside civmap.audit so that each alias and its audit row commit in one transaction.
-- An id is aliased at most once (its row is never updated or deleted); cycles are refused
-- by the writer, which follows the chain from new_id inside the same transaction.

CREATE TABLE IF NOT EXISTS civmap.doorplate_aliases (
    old_id     int8 PRIMARY KEY CHECK (old_id >= 0),
    new_id     int8 NOT NULL CHECK (new_id >= 0 AND new_id <> old_id),
    reason     text NOT NULL CHECK (reason IN ('renumbered', 'merged')),
    date       date NOT NULL,
    who        text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS doorplate_aliases_new ON civmap.doorplate_aliases (new_id);

CREATE OR REPLACE FUNCTION civmap.doorplate_aliases_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'civmap.doorplate_aliases is append-only';
END $$;
DROP TRIGGER IF EXISTS doorplate_aliases_append_only ON civmap.doorplate_aliases;
CREATE TRIGGER doorplate_aliases_append_only BEFORE UPDATE OR DELETE ON civmap.doorplate_aliases
    FOR EACH ROW EXECUTE FUNCTION civmap.doorplate_aliases_append_only();
