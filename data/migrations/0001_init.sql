-- civmap PostGIS schema, version 1.
--
-- Every statement is idempotent (IF NOT EXISTS / OR REPLACE / DROP … IF EXISTS then
-- CREATE), so that re-running the file on a database that already has it changes nothing.
-- Applied by civmap_data::postgis::PgStore::migrate inside one transaction and recorded in
-- civmap.schema_migrations.
--
-- The tables are meant to be opened and edited in QGIS as they are: one geometry column
-- per table, SRID 4326, a simple primary key. `ord` keeps the order of the dataset a push
-- wrote (so that a load gives back the same Vec); rows added by hand leave it NULL and
-- load after the others, by key.

CREATE EXTENSION IF NOT EXISTS postgis;
CREATE SCHEMA IF NOT EXISTS civmap;

CREATE TABLE IF NOT EXISTS civmap.admin_units (
    code        char(12) PRIMARY KEY CHECK (code ~ '^[0-9]{12}$'),
    name        text     NOT NULL,
    level       text     NOT NULL CHECK (level IN ('city', 'district', 'township', 'community')),
    parent      char(12) CHECK (parent ~ '^[0-9]{12}$'),
    kind        text,
    population  bigint   NOT NULL CHECK (population >= 0),
    elderly     bigint   NOT NULL CHECK (elderly >= 0),
    synthetic   boolean  NOT NULL,
    ord         bigint,
    geom        geometry(MultiPolygon, 4326) NOT NULL,
    CONSTRAINT admin_units_elderly_within_population CHECK (elderly <= population)
);

CREATE TABLE IF NOT EXISTS civmap.facilities (
    id            text    PRIMARY KEY,
    name          text    NOT NULL,
    category      text    NOT NULL CHECK (category IN (
                      'elder_canteen', 'home_care_centre', 'elder_care_institution',
                      'health_elder_union', 'children_home', 'child_welfare_institution',
                      'minor_protection_station', 'neighbourhood_centre', 'social_work_station',
                      'marriage_registry', 'relief_station', 'funeral_service')),
    address       text    NOT NULL DEFAULT '',
    admin_code    char(12) CHECK (admin_code ~ '^[0-9]{12}$'),
    hub           boolean NOT NULL DEFAULT false,
    delivery      boolean NOT NULL DEFAULT false,
    demonstration boolean NOT NULL DEFAULT false,
    beds          integer CHECK (beds >= 0),
    nursing_beds  integer CHECK (nursing_beds >= 0),
    synthetic     boolean NOT NULL DEFAULT false,
    ord           bigint,
    geom          geometry(Point, 4326) NOT NULL,
    CONSTRAINT facilities_nursing_beds_within_beds CHECK (nursing_beds <= beds)
);

CREATE TABLE IF NOT EXISTS civmap.doorplates (
    id          bigint  PRIMARY KEY CHECK (id >= 0),
    road        text    NOT NULL,
    number      integer NOT NULL CHECK (number >= 0),
    residents   integer NOT NULL CHECK (residents >= 0),
    elderly     integer NOT NULL CHECK (elderly >= 0),
    community   char(12) CHECK (community ~ '^[0-9]{12}$'),
    synthetic   boolean NOT NULL DEFAULT false,
    ord         bigint,
    geom        geometry(Point, 4326) NOT NULL,
    CONSTRAINT doorplates_elderly_within_residents CHECK (elderly <= residents)
);

CREATE TABLE IF NOT EXISTS civmap.landmarks (
    id          text    PRIMARY KEY,
    name        text    NOT NULL,
    kind        text    NOT NULL DEFAULT '',
    synthetic   boolean NOT NULL DEFAULT false,
    ord         bigint,
    geom        geometry(Point, 4326) NOT NULL
);

-- The walking network, pgRouting-ready: edges have id/source/target and a cost column
-- (length_m; walking is undirected, so reverse_cost = length_m too). Node ids are the
-- indexes of WalkNetwork::nodes, so they must run 0..n without gaps.
CREATE TABLE IF NOT EXISTS civmap.network_nodes (
    id      integer PRIMARY KEY CHECK (id >= 0),
    geom    geometry(Point, 4326) NOT NULL
);

-- WalkNetwork::road_names, by index (names may repeat: the model does not de-duplicate).
CREATE TABLE IF NOT EXISTS civmap.network_roads (
    id      integer PRIMARY KEY CHECK (id >= 0),
    name    text NOT NULL
);

CREATE TABLE IF NOT EXISTS civmap.network_edges (
    id        integer PRIMARY KEY CHECK (id >= 0),
    source    integer NOT NULL,
    target    integer NOT NULL,
    length_m  double precision NOT NULL CHECK (length_m >= 0),
    road_id   integer,
    road      text,
    geom      geometry(LineString, 4326)
);

-- DatasetMeta under 'dataset', the network's synthetic flag under 'network.synthetic'.
CREATE TABLE IF NOT EXISTS civmap.meta (
    key     text PRIMARY KEY,
    value   jsonb
);

-- Spatial indexes: planar ones for bbox (&&) queries and tiles, geography ones for metre
-- distances (ST_DWithin / <-> on geography), which the oracles in the tests compare with.
CREATE INDEX IF NOT EXISTS admin_units_geom_idx    ON civmap.admin_units   USING gist (geom);
CREATE INDEX IF NOT EXISTS facilities_geom_idx     ON civmap.facilities    USING gist (geom);
CREATE INDEX IF NOT EXISTS doorplates_geom_idx     ON civmap.doorplates    USING gist (geom);
CREATE INDEX IF NOT EXISTS landmarks_geom_idx      ON civmap.landmarks     USING gist (geom);
CREATE INDEX IF NOT EXISTS network_nodes_geom_idx  ON civmap.network_nodes USING gist (geom);
CREATE INDEX IF NOT EXISTS network_edges_geom_idx  ON civmap.network_edges USING gist (geom);
CREATE INDEX IF NOT EXISTS facilities_geog_idx     ON civmap.facilities    USING gist ((geom::geography));
CREATE INDEX IF NOT EXISTS doorplates_geog_idx     ON civmap.doorplates    USING gist ((geom::geography));
CREATE INDEX IF NOT EXISTS landmarks_geog_idx      ON civmap.landmarks     USING gist ((geom::geography));
CREATE INDEX IF NOT EXISTS facilities_category_idx ON civmap.facilities    (category);
CREATE INDEX IF NOT EXISTS admin_units_parent_idx  ON civmap.admin_units   (parent);
CREATE INDEX IF NOT EXISTS doorplates_community_idx ON civmap.doorplates   (community);
CREATE INDEX IF NOT EXISTS network_edges_source_idx ON civmap.network_edges (source);
CREATE INDEX IF NOT EXISTS network_edges_target_idx ON civmap.network_edges (target);

-- Live changes: every row change of the four served layers sends a NOTIFY on
-- 'civmap_changes' with {"table", "op", "id"} — only the key, never the row (NOTIFY
-- payloads are limited to 8000 bytes), so listeners read the row back themselves.
-- An UPDATE that changes the key sends a DELETE of the old key, then an UPDATE of the new.
-- A TRUNCATE sends {"table", "op": "TRUNCATE"}; bulk loaders either disable the triggers or
-- `SET LOCAL civmap.bulk = 'on'` and send one {"op": "reload"} at the end.
CREATE OR REPLACE FUNCTION civmap.notify_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    old_key text;
    new_key text;
BEGIN
    IF coalesce(current_setting('civmap.bulk', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('civmap_changes',
            json_build_object('table', TG_TABLE_NAME, 'op', TG_OP)::text);
        RETURN NULL;
    END IF;
    -- TG_ARGV[0] names the key column: 'code' for admin_units, 'id' elsewhere.
    -- (Separate statements: PL/pgSQL resolves OLD.code only when the branch runs.)
    IF TG_ARGV[0] = 'code' THEN
        IF TG_OP <> 'INSERT' THEN old_key := OLD.code::text; END IF;
        IF TG_OP <> 'DELETE' THEN new_key := NEW.code::text; END IF;
    ELSE
        IF TG_OP <> 'INSERT' THEN old_key := OLD.id::text; END IF;
        IF TG_OP <> 'DELETE' THEN new_key := NEW.id::text; END IF;
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND old_key IS DISTINCT FROM new_key) THEN
        PERFORM pg_notify('civmap_changes',
            json_build_object('table', TG_TABLE_NAME, 'op', 'DELETE', 'id', old_key)::text);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM pg_notify('civmap_changes',
            json_build_object('table', TG_TABLE_NAME, 'op', TG_OP, 'id', new_key)::text);
    END IF;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER civmap_notify AFTER INSERT OR UPDATE OR DELETE ON civmap.admin_units
    FOR EACH ROW EXECUTE FUNCTION civmap.notify_change('code');
CREATE OR REPLACE TRIGGER civmap_notify AFTER INSERT OR UPDATE OR DELETE ON civmap.facilities
    FOR EACH ROW EXECUTE FUNCTION civmap.notify_change('id');
CREATE OR REPLACE TRIGGER civmap_notify AFTER INSERT OR UPDATE OR DELETE ON civmap.doorplates
    FOR EACH ROW EXECUTE FUNCTION civmap.notify_change('id');
CREATE OR REPLACE TRIGGER civmap_notify AFTER INSERT OR UPDATE OR DELETE ON civmap.landmarks
    FOR EACH ROW EXECUTE FUNCTION civmap.notify_change('id');

CREATE OR REPLACE TRIGGER civmap_notify_truncate AFTER TRUNCATE ON civmap.admin_units
    FOR EACH STATEMENT EXECUTE FUNCTION civmap.notify_change();
CREATE OR REPLACE TRIGGER civmap_notify_truncate AFTER TRUNCATE ON civmap.facilities
    FOR EACH STATEMENT EXECUTE FUNCTION civmap.notify_change();
CREATE OR REPLACE TRIGGER civmap_notify_truncate AFTER TRUNCATE ON civmap.doorplates
    FOR EACH STATEMENT EXECUTE FUNCTION civmap.notify_change();
CREATE OR REPLACE TRIGGER civmap_notify_truncate AFTER TRUNCATE ON civmap.landmarks
    FOR EACH STATEMENT EXECUTE FUNCTION civmap.notify_change();
