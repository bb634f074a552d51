-- civmap 0008: change proposals (区划调整, issue #15) — a transfer, merge, split or rename
-- proposed by a surveyor with its impact report, approved or rejected by an admin. Kept
-- beside civmap.audit so that each proposal, its decision and their audit rows commit in one
-- transaction; an approval also writes civmap.admin_units, doorplates and facilities in
-- that transaction, so the follower picks it up like any edit.

CREATE TABLE IF NOT EXISTS civmap.proposals (
    id          bigserial PRIMARY KEY,
    kind        text    NOT NULL CHECK (kind IN ('transfer', 'merge', 'split', 'rename')),
    request     jsonb   NOT NULL,
    impact      jsonb   NOT NULL,
    valid       boolean NOT NULL,
    status      text    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    proposed_by text    NOT NULL,
    proposed_at timestamptz NOT NULL DEFAULT now(),
    decided_by  text,
    decided_at  timestamptz,
    effective   date,
    note        text
);
CREATE INDEX IF NOT EXISTS proposals_status ON civmap.proposals (status);

-- Names (and codes) units were known by before an approved proposal, kept searchable.
CREATE TABLE IF NOT EXISTS civmap.former_names (
    code        char(12) NOT NULL CHECK (code ~ '^[0-9]{12}$'),
    former_code char(12) CHECK (former_code ~ '^[0-9]{12}$'),
    name        text     NOT NULL,
    until       date     NOT NULL,
    proposal    bigint   NOT NULL REFERENCES civmap.proposals (id)
);
CREATE INDEX IF NOT EXISTS former_names_code ON civmap.former_names (code);
