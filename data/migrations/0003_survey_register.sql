-- civmap 0003: the survey register (issue #14) — boundary markers (界桩), every version
-- each marker has had, their inspections, and validation exceptions. Kept beside
-- civmap.audit so that each write and its audit row commit in one transaction. Nothing is
-- deleted: a retired marker keeps its row (retired_at) and its versions, a withdrawn
-- exception keeps its row (withdrawn_at, withdrawn_by).

CREATE TABLE IF NOT EXISTS civmap.markers (
    number     text PRIMARY KEY CHECK (number ~ '^[0-9A-Za-z][0-9A-Za-z-]{0,38}[ABCDEQ]$'),
    line       text NOT NULL CHECK (length(line) BETWEEN 1 AND 80),
    lon        float8 NOT NULL CHECK (lon BETWEEN 73 AND 136),
    lat        float8 NOT NULL CHECK (lat BETWEEN 3 AND 54),
    kind       text NOT NULL CHECK (kind IN ('A', 'B', 'C', 'D', 'E', 'Q')),
    status     text NOT NULL CHECK (status IN ('intact', 'damaged', 'moved', 'lost', 'obscured')),
    version    int4 NOT NULL,
    retired_at timestamptz
);
CREATE INDEX IF NOT EXISTS markers_line ON civmap.markers (line);

CREATE TABLE IF NOT EXISTS civmap.marker_versions (
    number     text NOT NULL REFERENCES civmap.markers (number),
    version    int4 NOT NULL CHECK (version >= 1),
    line       text NOT NULL,
    lon        float8 NOT NULL,
    lat        float8 NOT NULL,
    kind       text NOT NULL,
    status     text NOT NULL,
    valid_from timestamptz NOT NULL,
    valid_to   timestamptz,
    who        text NOT NULL,
    action     text NOT NULL,
    PRIMARY KEY (number, version)
);

CREATE TABLE IF NOT EXISTS civmap.marker_inspections (
    id          bigserial PRIMARY KEY,
    number      text NOT NULL REFERENCES civmap.markers (number),
    date        date NOT NULL,
    inspector   text NOT NULL,
    status      text NOT NULL CHECK (status IN ('intact', 'damaged', 'moved', 'lost', 'obscured')),
    offset_m    float8 CHECK (offset_m IS NULL OR offset_m >= 0),
    note        text,
    recorded_at timestamptz NOT NULL,
    recorded_by text NOT NULL
);
CREATE INDEX IF NOT EXISTS marker_inspections_number ON civmap.marker_inspections (number, date);

CREATE TABLE IF NOT EXISTS civmap.validation_exceptions (
    id           bigserial PRIMARY KEY,
    rule         text NOT NULL,
    codes        text[] NOT NULL,
    marker       text,
    who          text NOT NULL,
    why          text NOT NULL,
    created      date NOT NULL,
    expires      date,
    created_at   timestamptz NOT NULL,
    withdrawn_at timestamptz,
    withdrawn_by text
);
