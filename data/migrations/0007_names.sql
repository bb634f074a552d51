-- civmap 0007: the place-name registry and the naming workflow (issue #16). Kept beside
-- civmap.audit so that every write and its audit row commit in one transaction.
--
-- name_records: names written by approvals (the seeded names of the bundled data are
--   computed at start-up, not stored). A rename turns the place's stored standard name
--   into a former one (valid_to set) or, when the old name was a seeded one, stores it as
--   former; no row is ever deleted.
-- name_applications: one row per application, its status moved forward by the workflow
--   (checked → reviewed → notice → approved | rejected), the automatic checks' findings kept.
-- application_reviews: every review comment, append-only.
-- announcements: the announcement filed with each approval.
-- heritage_list: listed names (a rename of a listed name needs an admin override).

CREATE TABLE IF NOT EXISTS civmap.name_applications (
    id               bigserial PRIMARY KEY,
    place            text NOT NULL CHECK (place ~ '^(unit|road|facility|landmark|residential)/.+'),
    current_name     text,
    proposed_name    text NOT NULL CHECK (length(proposed_name) BETWEEN 1 AND 64),
    reason           text NOT NULL,
    applicant        text NOT NULL,
    submitted        date NOT NULL,
    status           text NOT NULL
                     CHECK (status IN ('checked', 'reviewed', 'notice', 'approved', 'rejected')),
    findings         jsonb NOT NULL DEFAULT '[]',
    notice_from      date,
    notice_until     date CHECK (notice_until IS NULL OR notice_until >= notice_from),
    decided_by       text,
    decided_on       date,
    decision_note    text,
    heritage_override boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS name_applications_place ON civmap.name_applications (place);

CREATE TABLE IF NOT EXISTS civmap.application_reviews (
    id          bigserial PRIMARY KEY,
    application int8 NOT NULL REFERENCES civmap.name_applications (id),
    who         text NOT NULL,
    verdict     text NOT NULL CHECK (verdict IN ('support', 'object', 'comment')),
    comment     text NOT NULL CHECK (length(comment) >= 1),
    on_day      date NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS application_reviews_app ON civmap.application_reviews (application);

CREATE TABLE IF NOT EXISTS civmap.name_records (
    id           bigserial PRIMARY KEY,
    place        text NOT NULL,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    name_type    text NOT NULL
                 CHECK (name_type IN ('standard', 'short', 'alias', 'former', 'colloquial')),
    lang         text NOT NULL,
    valid_from   date,
    valid_to     date CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_to > valid_from),
    approval_ref text,
    reading      text,
    application  int8 REFERENCES civmap.name_applications (id),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS name_records_name ON civmap.name_records (name);
CREATE INDEX IF NOT EXISTS name_records_place ON civmap.name_records (place);
-- one current standard name per place and language
CREATE UNIQUE INDEX IF NOT EXISTS name_records_one_standard ON civmap.name_records (place, lang)
    WHERE name_type = 'standard' AND valid_to IS NULL;

CREATE TABLE IF NOT EXISTS civmap.announcements (
    number       text PRIMARY KEY,
    application  int8 NOT NULL UNIQUE REFERENCES civmap.name_applications (id),
    date         date NOT NULL,
    place        text NOT NULL,
    old_name     text,
    new_name     text NOT NULL,
    unit         text NOT NULL CHECK (length(unit) >= 1),
    reason       text NOT NULL,
    approval_ref text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS civmap.heritage_list (
    name       text PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 64),
    place      text,
    category   text NOT NULL CHECK (length(category) BETWEEN 1 AND 40),
    note       text NOT NULL DEFAULT '',
    listed_by  text NOT NULL,
    listed_on  date NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE OR REPLACE FUNCTION civmap.names_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;
DROP TRIGGER IF EXISTS application_reviews_append_only ON civmap.application_reviews;
CREATE TRIGGER application_reviews_append_only BEFORE UPDATE OR DELETE ON civmap.application_reviews
    FOR EACH ROW EXECUTE FUNCTION civmap.names_append_only();
DROP TRIGGER IF EXISTS announcements_append_only ON civmap.announcements;
CREATE TRIGGER announcements_append_only BEFORE UPDATE OR DELETE ON civmap.announcements
    FOR EACH ROW EXECUTE FUNCTION civmap.names_append_only();
