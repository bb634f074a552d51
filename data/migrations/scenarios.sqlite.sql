-- civmap what-if scenarios in a data or state directory (accounts.sqlite, beside the audit
-- log so a scenario and its audit row commit together). The same table as PostGIS
-- migration 0009. Idempotent: applied on every open. Ids are never reused
-- (AUTOINCREMENT), and a row is never updated.

CREATE TABLE IF NOT EXISTS scenarios (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    owner      TEXT NOT NULL,
    body       TEXT NOT NULL CHECK (json_valid(body) AND json_type(body) = 'object'),
    created_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS scenarios_owner ON scenarios (owner);

CREATE TRIGGER IF NOT EXISTS scenarios_no_update BEFORE UPDATE ON scenarios
BEGIN SELECT RAISE(ABORT, 'scenarios are never updated'); END;
