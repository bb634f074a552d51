-- civmap 0002: users, sessions and the audit log (issue #13).
-- Passwords are stored only as argon2id PHC strings; tokens only as their SHA-256.
-- The audit log is append-only: UPDATE, DELETE and TRUNCATE raise an error, whoever runs
-- them (the API has no route that could ask for them either).

CREATE TABLE IF NOT EXISTS civmap.users (
    name          text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$'),
    role          text NOT NULL CHECK (role IN ('planner', 'surveyor', 'admin')),
    district      text CHECK (district ~ '^[0-9]{12}$'),
    password_hash text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS civmap.sessions (
    token_sha256 bytea PRIMARY KEY CHECK (length(token_sha256) = 32),
    user_name    text NOT NULL REFERENCES civmap.users (name) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON civmap.sessions (user_name);

CREATE TABLE IF NOT EXISTS civmap.audit (
    id     bigserial PRIMARY KEY,
    at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    who    text NOT NULL,
    action text NOT NULL,
    target text NOT NULL,
    before jsonb,
    after  jsonb,
    client text
);
CREATE INDEX IF NOT EXISTS audit_who ON civmap.audit (who, id);

CREATE OR REPLACE FUNCTION civmap.audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'civmap.audit is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
DROP TRIGGER IF EXISTS audit_append_only ON civmap.audit;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON civmap.audit
    FOR EACH ROW EXECUTE FUNCTION civmap.audit_append_only();
DROP TRIGGER IF EXISTS audit_no_truncate ON civmap.audit;
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON civmap.audit
    FOR EACH STATEMENT EXECUTE FUNCTION civmap.audit_append_only();
