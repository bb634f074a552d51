-- civmap place-name registry and naming workflow in a data or state directory
-- (accounts.sqlite, beside the audit log so each write and its audit row commit together).
-- The same tables as PostGIS migration 0007 (see there). Idempotent: applied on every open.

CREATE TABLE IF NOT EXISTS name_applications (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    place             TEXT NOT NULL,
    current_name      TEXT,
    proposed_name     TEXT NOT NULL CHECK (length(proposed_name) BETWEEN 1 AND 64),
    reason            TEXT NOT NULL,
    applicant         TEXT NOT NULL,
    submitted         TEXT NOT NULL,
    status            TEXT NOT NULL
                      CHECK (status IN ('checked', 'reviewed', 'notice', 'approved', 'rejected')),
    findings          TEXT NOT NULL DEFAULT '[]',
    notice_from       TEXT,
    notice_until      TEXT,
    decided_by        TEXT,
    decided_on        TEXT,
    decision_note     TEXT,
    heritage_override INTEGER NOT NULL DEFAULT 0,
    created_ms        INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS application_reviews (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    application INTEGER NOT NULL REFERENCES name_applications (id),
    who         TEXT NOT NULL,
    verdict     TEXT NOT NULL CHECK (verdict IN ('support', 'object', 'comment')),
    comment     TEXT NOT NULL CHECK (length(comment) >= 1),
    on_day      TEXT NOT NULL,
    created_ms  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS application_reviews_app ON application_reviews (application);

CREATE TABLE IF NOT EXISTS name_records (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    place        TEXT NOT NULL,
    name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    name_type    TEXT NOT NULL
                 CHECK (name_type IN ('standard', 'short', 'alias', 'former', 'colloquial')),
    lang         TEXT NOT NULL,
    valid_from   TEXT,
    valid_to     TEXT,
    approval_ref TEXT,
    reading      TEXT,
    application  INTEGER REFERENCES name_applications (id),
    created_ms   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS name_records_name ON name_records (name);
CREATE INDEX IF NOT EXISTS name_records_place ON name_records (place);
CREATE UNIQUE INDEX IF NOT EXISTS name_records_one_standard ON name_records (place, lang)
    WHERE name_type = 'standard' AND valid_to IS NULL;

CREATE TABLE IF NOT EXISTS announcements (
    number       TEXT PRIMARY KEY,
    application  INTEGER NOT NULL UNIQUE REFERENCES name_applications (id),
    date         TEXT NOT NULL,
    place        TEXT NOT NULL,
    old_name     TEXT,
    new_name     TEXT NOT NULL,
    unit         TEXT NOT NULL CHECK (length(unit) >= 1),
    reason       TEXT NOT NULL,
    approval_ref TEXT NOT NULL,
    created_ms   INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS heritage_list (
    name       TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 64),
    place      TEXT,
    category   TEXT NOT NULL CHECK (length(category) BETWEEN 1 AND 40),
    note       TEXT NOT NULL DEFAULT '',
    listed_by  TEXT NOT NULL,
    listed_on  TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);

CREATE TRIGGER IF NOT EXISTS application_reviews_no_update BEFORE UPDATE ON application_reviews
BEGIN SELECT RAISE(ABORT, 'application_reviews is append-only'); END;
CREATE TRIGGER IF NOT EXISTS application_reviews_no_delete BEFORE DELETE ON application_reviews
BEGIN SELECT RAISE(ABORT, 'application_reviews is append-only'); END;
CREATE TRIGGER IF NOT EXISTS announcements_no_update BEFORE UPDATE ON announcements
BEGIN SELECT RAISE(ABORT, 'announcements is append-only'); END;
CREATE TRIGGER IF NOT EXISTS announcements_no_delete BEFORE DELETE ON announcements
BEGIN SELECT RAISE(ABORT, 'announcements is append-only'); END;
