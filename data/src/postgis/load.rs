//! `load` and the single-record reads: rows back into the model, checked.
//!
//! Why checked: the tables are meant to be edited by hand (QGIS, psql), so a row may hold
//! what the model cannot: an EMPTY point, a NULL, a code of the wrong form. Every such
//! value is an error naming the table, the row's key and the column, never a panic.
//! The big layers come back by binary COPY, which is several times faster than a query.

use std::pin::pin;

use civmap_geo_core::{
    AdminCode, AdminLevel, AdminUnit, Dataset, DatasetMeta, Doorplate, Facility,
    FacilityAttributes, FacilityCategory, Landmark, WalkEdge, WalkNetwork,
};
use futures_util::TryStreamExt;
use geo::Coord;
use tokio_postgres::binary_copy::{BinaryCopyOutRow, BinaryCopyOutStream};
use tokio_postgres::types::{FromSql, Type};
use tokio_postgres::{GenericClient, IsolationLevel, Row, Transaction};

use super::errors;
use super::target::{pg_ms, Target};
use super::wkb;
use crate::DataError;

/// A row of a query or of a binary COPY.
trait Cells {
    fn cell<'a, T: FromSql<'a>>(&'a self, idx: usize) -> Result<T, tokio_postgres::Error>;
}

impl Cells for Row {
    fn cell<'a, T: FromSql<'a>>(&'a self, idx: usize) -> Result<T, tokio_postgres::Error> {
        self.try_get(idx)
    }
}

impl Cells for BinaryCopyOutRow {
    fn cell<'a, T: FromSql<'a>>(&'a self, idx: usize) -> Result<T, tokio_postgres::Error> {
        self.try_get(idx)
    }
}

/// Which row we are reading, for errors.
struct At<'t> {
    target: &'t Target,
    table: &'static str,
    key_column: &'static str,
    key: String,
}

impl At<'_> {
    fn err(&self, column: &str, message: impl Into<String>) -> DataError {
        errors::row(
            self.target,
            self.table,
            self.key_column,
            &self.key,
            column,
            message,
        )
    }

    fn opt<'a, T: FromSql<'a>>(
        &self,
        r: &'a impl Cells,
        idx: usize,
        column: &str,
    ) -> Result<Option<T>, DataError> {
        r.cell::<Option<T>>(idx)
            .map_err(|e| self.err(column, format!("unreadable value: {e}")))
    }

    fn req<'a, T: FromSql<'a>>(
        &self,
        r: &'a impl Cells,
        idx: usize,
        column: &str,
    ) -> Result<T, DataError> {
        self.opt(r, idx, column)?
            .ok_or_else(|| self.err(column, "is NULL, but a value is required"))
    }

    fn code(&self, v: Option<String>, column: &str) -> Result<Option<AdminCode>, DataError> {
        v.map(|s| AdminCode::parse(&s).map_err(|e| self.err(column, e.to_string())))
            .transpose()
    }

    fn u32(&self, v: i32, column: &str) -> Result<u32, DataError> {
        u32::try_from(v).map_err(|_| self.err(column, format!("{v} is negative")))
    }

    fn u64(&self, v: i64, column: &str) -> Result<u64, DataError> {
        u64::try_from(v).map_err(|_| self.err(column, format!("{v} is negative")))
    }
}

/// Reads the key (column 0) first, so that every later error can name it.
fn at<'t>(
    target: &'t Target,
    table: &'static str,
    key_column: &'static str,
    r: &impl Cells,
) -> Result<At<'t>, DataError> {
    let mut at = At {
        target,
        table,
        key_column,
        key: "?".into(),
    };
    at.key = match r.cell::<Option<String>>(0) {
        Ok(Some(k)) => k,
        Ok(None) => return Err(at.err(key_column, "is NULL")),
        Err(_) => match r.cell::<Option<i64>>(0) {
            Ok(Some(k)) => k.to_string(),
            _ => match r.cell::<Option<i32>>(0) {
                Ok(Some(k)) => k.to_string(),
                _ => return Err(at.err(key_column, "is NULL or unreadable")),
            },
        },
    };
    Ok(at)
}

pub(crate) const ADMIN_SELECT: &str = "SELECT code::text, name, level, parent::text, kind, \
     population, elderly, synthetic, ST_AsBinary(geom, 'NDR') FROM civmap.admin_units";
const ADMIN_TYPES: &[Type] = &[
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::INT8,
    Type::INT8,
    Type::BOOL,
    Type::BYTEA,
];

fn admin_unit(target: &Target, r: &impl Cells) -> Result<AdminUnit, DataError> {
    let at = at(target, "admin_units", "code", r)?;
    let code = at
        .code(Some(at.key.clone()), "code")?
        .expect("a code was given");
    let level: String = at.req(r, 2, "level")?;
    let population = at.u64(at.req(r, 5, "population")?, "population")?;
    let elderly = at.u64(at.req(r, 6, "elderly")?, "elderly")?;
    let geom: &[u8] = at.req(r, 8, "geom")?;
    Ok(AdminUnit {
        code,
        name: at.req(r, 1, "name")?,
        level: AdminLevel::parse(&level).map_err(|e| at.err("level", e.to_string()))?,
        parent: at.code(at.opt(r, 3, "parent")?, "parent")?,
        kind: at.opt(r, 4, "kind")?.unwrap_or_default(),
        geometry: wkb::read_multi_polygon(geom).map_err(|e| at.err("geom", e))?,
        population,
        elderly,
        synthetic: at.req(r, 7, "synthetic")?,
    })
}

pub(crate) const FACILITY_SELECT: &str = "SELECT id, name, category, address, \
     admin_code::text, hub, delivery, demonstration, beds, nursing_beds, synthetic, \
     ST_AsBinary(geom, 'NDR') FROM civmap.facilities";
const FACILITY_TYPES: &[Type] = &[
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::BOOL,
    Type::BOOL,
    Type::BOOL,
    Type::INT4,
    Type::INT4,
    Type::BOOL,
    Type::BYTEA,
];

fn facility(target: &Target, r: &impl Cells) -> Result<Facility, DataError> {
    let at = at(target, "facilities", "id", r)?;
    let category: String = at.req(r, 2, "category")?;
    let beds = at
        .opt::<i32>(r, 8, "beds")?
        .map(|v| at.u32(v, "beds"))
        .transpose()?;
    let nursing_beds = at
        .opt::<i32>(r, 9, "nursing_beds")?
        .map(|v| at.u32(v, "nursing_beds"))
        .transpose()?;
    let geom: &[u8] = at.req(r, 11, "geom")?;
    Ok(Facility {
        id: at.key.clone(),
        name: at.req(r, 1, "name")?,
        category: category
            .parse::<FacilityCategory>()
            .map_err(|e| at.err("category", e.to_string()))?,
        location: wkb::read_point(geom).map_err(|e| at.err("geom", e))?,
        address: at.opt(r, 3, "address")?.unwrap_or_default(),
        admin_code: at.code(at.opt(r, 4, "admin_code")?, "admin_code")?,
        attributes: FacilityAttributes {
            hub: at.req(r, 5, "hub")?,
            delivery: at.req(r, 6, "delivery")?,
            demonstration: at.req(r, 7, "demonstration")?,
            beds,
            nursing_beds,
        },
        synthetic: at.req(r, 10, "synthetic")?,
    })
}

pub(crate) const DOORPLATE_SELECT: &str = "SELECT id, road, number, residents, elderly, \
     community::text, synthetic, ST_AsBinary(geom, 'NDR') FROM civmap.doorplates";
const DOORPLATE_TYPES: &[Type] = &[
    Type::INT8,
    Type::TEXT,
    Type::INT4,
    Type::INT4,
    Type::INT4,
    Type::TEXT,
    Type::BOOL,
    Type::BYTEA,
];

fn doorplate(target: &Target, r: &impl Cells) -> Result<Doorplate, DataError> {
    let at = at(target, "doorplates", "id", r)?;
    let id = at.u64(at.req(r, 0, "id")?, "id")?;
    let geom: &[u8] = at.req(r, 7, "geom")?;
    Ok(Doorplate {
        id,
        road: at.req(r, 1, "road")?,
        number: at.u32(at.req(r, 2, "number")?, "number")?,
        location: wkb::read_point(geom).map_err(|e| at.err("geom", e))?,
        residents: at.u32(at.req(r, 3, "residents")?, "residents")?,
        elderly: at.u32(at.req(r, 4, "elderly")?, "elderly")?,
        community: at.code(at.opt(r, 5, "community")?, "community")?,
        synthetic: at.req(r, 6, "synthetic")?,
    })
}

pub(crate) const LANDMARK_SELECT: &str =
    "SELECT id, name, kind, synthetic, ST_AsBinary(geom, 'NDR') FROM civmap.landmarks";
const LANDMARK_TYPES: &[Type] = &[Type::TEXT, Type::TEXT, Type::TEXT, Type::BOOL, Type::BYTEA];

fn landmark(target: &Target, r: &impl Cells) -> Result<Landmark, DataError> {
    let at = at(target, "landmarks", "id", r)?;
    let geom: &[u8] = at.req(r, 4, "geom")?;
    Ok(Landmark {
        id: at.key.clone(),
        name: at.req(r, 1, "name")?,
        kind: at.opt(r, 2, "kind")?.unwrap_or_default(),
        location: wkb::read_point(geom).map_err(|e| at.err("geom", e))?,
        synthetic: at.req(r, 3, "synthetic")?,
    })
}

/// Streams `query` (a SELECT) out by binary COPY and decodes each row.
async fn copy_out<T>(
    client: &Transaction<'_>,
    target: &Target,
    query: &str,
    types: &[Type],
    mut decode: impl FnMut(&BinaryCopyOutRow) -> Result<T, DataError>,
) -> Result<Vec<T>, DataError> {
    let at = "load";
    let stream = client
        .copy_out(&format!("COPY ({query}) TO STDOUT (FORMAT binary)"))
        .await
        .map_err(|e| errors::db(target, at, e))?;
    let mut rows = pin!(BinaryCopyOutStream::new(stream, types));
    let mut out = Vec::new();
    while let Some(row) = rows
        .try_next()
        .await
        .map_err(|e| errors::db(target, at, e))?
    {
        out.push(decode(&row)?);
    }
    Ok(out)
}

/// Dataset order first (the `ord` a push wrote), then rows added by hand, by key.
fn ordered(select: &str, key: &str) -> String {
    format!("{select} ORDER BY ord NULLS LAST, {key}")
}

pub(crate) async fn load(
    client: &mut tokio_postgres::Client,
    target: &Target,
) -> Result<Dataset, DataError> {
    let tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .map_err(|e| errors::db(target, "load: begin", e))?;
    // Whole-layer COPYs: the bulk limits, for this transaction only.
    tx.batch_execute(&format!(
        "SET LOCAL statement_timeout = {ms}; SET LOCAL idle_in_transaction_session_timeout = {ms}",
        ms = pg_ms(target.timeouts.bulk_statement)
    ))
    .await
    .map_err(|e| errors::db(target, "load: set limits", e))?;
    let tx = &tx;

    let admin = copy_out(
        tx,
        target,
        &ordered(ADMIN_SELECT, "code"),
        ADMIN_TYPES,
        |r| admin_unit(target, r),
    )
    .await?;
    let facilities = copy_out(
        tx,
        target,
        &ordered(FACILITY_SELECT, "id"),
        FACILITY_TYPES,
        |r| facility(target, r),
    )
    .await?;
    let doorplates = copy_out(
        tx,
        target,
        &ordered(DOORPLATE_SELECT, "id"),
        DOORPLATE_TYPES,
        |r| doorplate(target, r),
    )
    .await?;
    let landmarks = copy_out(
        tx,
        target,
        &ordered(LANDMARK_SELECT, "id"),
        LANDMARK_TYPES,
        |r| landmark(target, r),
    )
    .await?;

    // Node and road ids are indexes into Vecs: they must run 0..n.
    let mut next = 0i32;
    let nodes = copy_out(
        tx,
        target,
        "SELECT id, ST_AsBinary(geom, 'NDR') FROM civmap.network_nodes ORDER BY id",
        &[Type::INT4, Type::BYTEA],
        |r| {
            let at = at(target, "network_nodes", "id", r)?;
            let id: i32 = at.req(r, 0, "id")?;
            if id != next {
                return Err(at.err(
                    "id",
                    format!("node ids must run 0, 1, 2, … without gaps; expected {next}"),
                ));
            }
            next += 1;
            let geom: &[u8] = at.req(r, 1, "geom")?;
            wkb::read_point(geom)
                .map(Coord::from)
                .map_err(|e| at.err("geom", e))
        },
    )
    .await?;
    let mut next = 0i32;
    let mut road_names = copy_out(
        tx,
        target,
        "SELECT id, name FROM civmap.network_roads ORDER BY id",
        &[Type::INT4, Type::TEXT],
        |r| {
            let at = at(target, "network_roads", "id", r)?;
            let id: i32 = at.req(r, 0, "id")?;
            if id != next {
                return Err(at.err(
                    "id",
                    format!("road ids must run 0, 1, 2, … without gaps; expected {next}"),
                ));
            }
            next += 1;
            at.req::<String>(r, 1, "name")
        },
    )
    .await?;
    let n_nodes = nodes.len();
    let n_roads = road_names.len();
    let raw_edges = copy_out(
        tx,
        target,
        "SELECT id, source, target, length_m, road_id, road FROM civmap.network_edges ORDER BY id",
        &[
            Type::INT4,
            Type::INT4,
            Type::INT4,
            Type::FLOAT8,
            Type::INT4,
            Type::TEXT,
        ],
        |r| {
            let at = at(target, "network_edges", "id", r)?;
            let node = |idx: usize, column: &str| -> Result<u32, DataError> {
                let v: i32 = at.req(r, idx, column)?;
                match u32::try_from(v) {
                    Ok(n) if (n as usize) < n_nodes => Ok(n),
                    _ => Err(at.err(
                        column,
                        format!("node {v} does not exist (the network has {n_nodes} nodes)"),
                    )),
                }
            };
            let from = node(1, "source")?;
            let to = node(2, "target")?;
            let length_m: f64 = at.req(r, 3, "length_m")?;
            if !(length_m.is_finite() && length_m >= 0.0) {
                return Err(at.err("length_m", format!("{length_m} is not a length")));
            }
            let road_id = match at.opt::<i32>(r, 4, "road_id")? {
                Some(v) => match u32::try_from(v) {
                    Ok(n) if (n as usize) < n_roads => Some(n),
                    _ => {
                        return Err(at.err(
                            "road_id",
                            format!("road {v} does not exist ({n_roads} roads)"),
                        ))
                    }
                },
                None => None,
            };
            let road: Option<String> = at.opt(r, 5, "road")?;
            Ok((
                WalkEdge {
                    from,
                    to,
                    length_m,
                    road: road_id,
                },
                road,
            ))
        },
    )
    .await?;
    // An edge drawn by hand may name its road without an id: give the name one.
    let edges = raw_edges
        .into_iter()
        .map(|(mut e, road)| {
            if let (None, Some(name)) = (e.road, road) {
                road_names.push(name);
                e.road = Some(road_names.len() as u32 - 1);
            }
            e
        })
        .collect();

    let mut meta = DatasetMeta::default();
    let mut synthetic = false;
    for r in tx
        .query("SELECT key, value FROM civmap.meta", &[])
        .await
        .map_err(|e| errors::db(target, "load meta", e))?
    {
        let at = at(target, "meta", "key", &r)?;
        let value: Option<serde_json::Value> = at.opt(&r, 1, "value")?;
        match (at.key.as_str(), value) {
            ("dataset", Some(v)) => {
                meta = serde_json::from_value(v).map_err(|e| at.err("value", e.to_string()))?
            }
            ("network.synthetic", Some(v)) => {
                synthetic = v
                    .as_bool()
                    .ok_or_else(|| at.err("value", format!("{v} is not true or false")))?
            }
            _ => {}
        }
    }

    Ok(Dataset {
        meta,
        admin,
        facilities,
        doorplates,
        landmarks,
        network: WalkNetwork {
            nodes,
            edges,
            road_names,
            synthetic,
        },
    })
}

/// Reads one row by key with `select … WHERE key = $1`.
async fn one<T>(
    client: &impl GenericClient,
    target: &Target,
    (select, table, key_column): (&str, &str, &str),
    key: &(dyn tokio_postgres::types::ToSql + Sync),
    decode: impl Fn(&Target, &Row) -> Result<T, DataError>,
) -> Result<Option<T>, DataError> {
    let row = client
        .query_opt(&format!("{select} WHERE {key_column} = $1"), &[key])
        .await
        .map_err(|e| errors::db(target, format!("read civmap.{table} {key:?}"), e))?;
    row.map(|r| decode(target, &r)).transpose()
}

pub(crate) async fn admin_unit_by_code(
    c: &impl GenericClient,
    t: &Target,
    code: &str,
) -> Result<Option<AdminUnit>, DataError> {
    one(
        c,
        t,
        (ADMIN_SELECT, "admin_units", "code"),
        &code,
        admin_unit,
    )
    .await
}

pub(crate) async fn facility_by_id(
    c: &impl GenericClient,
    t: &Target,
    id: &str,
) -> Result<Option<Facility>, DataError> {
    one(c, t, (FACILITY_SELECT, "facilities", "id"), &id, |t, r| {
        facility(t, r)
    })
    .await
}

pub(crate) async fn doorplate_by_id(
    c: &impl GenericClient,
    t: &Target,
    id: u64,
) -> Result<Option<Doorplate>, DataError> {
    let Ok(id) = i64::try_from(id) else {
        return Ok(None);
    };
    one(c, t, (DOORPLATE_SELECT, "doorplates", "id"), &id, |t, r| {
        doorplate(t, r)
    })
    .await
}

pub(crate) async fn landmark_by_id(
    c: &impl GenericClient,
    t: &Target,
    id: &str,
) -> Result<Option<Landmark>, DataError> {
    one(c, t, (LANDMARK_SELECT, "landmarks", "id"), &id, |t, r| {
        landmark(t, r)
    })
    .await
}
