-- civmap 0009: what-if scenarios (issue #17, stateless replicas). A planner's scenario
-- lives here when the server runs with --db, so any replica can answer a request naming
-- it and losing a replica loses nothing. Kept beside civmap.audit so that a scenario and
-- its audit row commit in one transaction. A scenario is never changed after creation
-- (only deleted), so replicas may cache its parsed form by id; ids are never reused.

CREATE SEQUENCE IF NOT EXISTS civmap.scenario_ids;
CREATE TABLE IF NOT EXISTS civmap.scenarios (
    id         text PRIMARY KEY CHECK (id ~ '^s[0-9]+$'),
    owner      text NOT NULL,
    body       jsonb NOT NULL CHECK (jsonb_typeof(body) = 'object'),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS scenarios_owner ON civmap.scenarios (owner);

CREATE OR REPLACE FUNCTION civmap.scenarios_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'civmap.scenarios rows are never updated (delete and create another)';
END $$;
DROP TRIGGER IF EXISTS scenarios_immutable ON civmap.scenarios;
CREATE TRIGGER scenarios_immutable BEFORE UPDATE ON civmap.scenarios
    FOR EACH ROW EXECUTE FUNCTION civmap.scenarios_immutable();
