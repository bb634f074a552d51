//! `push`: the whole dataset in one transaction, by binary COPY.
//!
//! Why this shape: a reader (the server, QGIS) must see the old data or the new, never a
//! half-written city, so everything — migrations included — happens in one transaction
//! that a failure rolls back. COPY in binary format carries geometry as EWKB straight into
//! the `geometry` columns (PostGIS's binary input reads EWKB and checks the column's type
//! and SRID), so there is no staging table. Secondary indexes are dropped and rebuilt
//! around the load (building a GiST index once is several times faster than growing it
//! row by row), the change triggers are disabled so 800k rows send no NOTIFY flood, and
//! one `{"op":"reload"}` goes out at commit.

use std::pin::pin;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use civmap_geo_core::{Dataset, DatasetCounts};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{IsNull, ToSql, Type};
use tokio_postgres::{Client, Transaction};

use super::errors;
use super::migrate;
use super::target::{pg_ms, Target};
use super::wkb::{self, Ewkb};
use super::CHANNEL;
use crate::DataError;

/// What a [`push`](super::PgStore::push) wrote.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct PushSummary {
    /// Rows written per layer.
    pub counts: DatasetCounts,
    /// Wall time from the start of the transaction to its commit.
    pub elapsed: Duration,
}

/// The tables a push empties and fills (TRUNCATE order does not matter: no foreign keys).
const TABLES: &[&str] = &[
    "admin_units",
    "facilities",
    "doorplates",
    "landmarks",
    "network_nodes",
    "network_roads",
    "network_edges",
    "meta",
];

/// The tables with change triggers: those of the record layers in the layer registry.
fn notifying() -> impl Iterator<Item = &'static str> {
    super::ChangeTable::RECORDS
        .into_iter()
        .map(super::listen::table_name)
}

/// Report progress every this many rows.
const PROGRESS_STEP: u64 = 50_000;

/// One COPY value of any column type civmap uses.
#[derive(Debug)]
enum Val<'a> {
    Text(&'a str),
    OptText(Option<&'a str>),
    I64(i64),
    I32(i32),
    OptI32(Option<i32>),
    F64(f64),
    Bool(bool),
    Geom(Ewkb),
}

impl ToSql for Val<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Val::Text(v) => v.to_sql(ty, out),
            Val::OptText(v) => v.to_sql(ty, out),
            Val::I64(v) => v.to_sql(ty, out),
            Val::I32(v) => v.to_sql(ty, out),
            Val::OptI32(v) => v.to_sql(ty, out),
            Val::F64(v) => v.to_sql(ty, out),
            Val::Bool(v) => v.to_sql(ty, out),
            Val::Geom(v) => v.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    fn to_sql_checked(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Val::Text(v) => v.to_sql_checked(ty, out),
            Val::OptText(v) => v.to_sql_checked(ty, out),
            Val::I64(v) => v.to_sql_checked(ty, out),
            Val::I32(v) => v.to_sql_checked(ty, out),
            Val::OptI32(v) => v.to_sql_checked(ty, out),
            Val::F64(v) => v.to_sql_checked(ty, out),
            Val::Bool(v) => v.to_sql_checked(ty, out),
            Val::Geom(v) => v.to_sql_checked(ty, out),
        }
    }
}

fn to_i32(layer: &str, key: &str, field: &str, v: u32) -> Result<i32, DataError> {
    i32::try_from(v).map_err(|_| {
        errors::record(
            layer,
            key,
            field,
            format!("{v} does not fit an integer column (max {})", i32::MAX),
        )
    })
}

fn int(layer: &str, key: &str, field: &str, v: u32) -> Result<Val<'static>, DataError> {
    to_i32(layer, key, field, v).map(Val::I32)
}

fn opt_int(layer: &str, key: &str, field: &str, v: Option<u32>) -> Result<Val<'static>, DataError> {
    v.map(|v| to_i32(layer, key, field, v))
        .transpose()
        .map(Val::OptI32)
}

fn big(layer: &str, key: &str, field: &str, v: u64) -> Result<Val<'static>, DataError> {
    i64::try_from(v).map(Val::I64).map_err(|_| {
        errors::record(
            layer,
            key,
            field,
            format!("{v} does not fit a bigint column"),
        )
    })
}

/// Streams `items` into `civmap.table` by binary COPY; `row` turns one item into its
/// values in `columns` order; `key` names an item for errors.
#[allow(clippy::too_many_arguments)]
async fn copy_layer<'a, T>(
    tx: &Transaction<'_>,
    target: &Target,
    table: &str,
    columns: &[&str],
    items: &'a [T],
    key: impl Fn(&T) -> String,
    mut row: impl FnMut(usize, &'a T) -> Result<Vec<Val<'a>>, DataError>,
    progress: &mut dyn FnMut(&str, u64, u64),
) -> Result<(), DataError> {
    let cols = columns.join(", ");
    let at = format!("push civmap.{table}");
    let types: Vec<Type> = tx
        .prepare(&format!("SELECT {cols} FROM civmap.{table} LIMIT 0"))
        .await
        .map_err(|e| errors::db(target, &at, e))?
        .columns()
        .iter()
        .map(|c| c.type_().clone())
        .collect();
    let sink = tx
        .copy_in(&format!(
            "COPY civmap.{table} ({cols}) FROM STDIN (FORMAT binary, FREEZE)"
        ))
        .await
        .map_err(|e| errors::db(target, &at, e))?;
    let mut writer = pin!(BinaryCopyInWriter::new(sink, &types));
    let total = items.len() as u64;
    progress(table, 0, total);
    let mut next_report = PROGRESS_STEP;
    // A server error during COPY names the line; line n is items[n - 1].
    let located = |e: tokio_postgres::Error| {
        let at = match errors::copy_line(&e).and_then(|n| items.get(n.wrapping_sub(1))) {
            Some(item) => format!("{at}: record {}", key(item)),
            None => at.clone(),
        };
        errors::db(target, at, e)
    };
    for (i, item) in items.iter().enumerate() {
        let values = row(i, item)?;
        writer
            .as_mut()
            .write_raw(values.iter())
            .await
            .map_err(located)?;
        let done = i as u64 + 1;
        if done == next_report && done < total {
            progress(table, done, total);
            next_report += PROGRESS_STEP;
        }
    }
    writer.as_mut().finish().await.map_err(located)?;
    progress(table, total, total);
    Ok(())
}

/// `name` as a quoted SQL identifier (`"` doubled), for the index names read back from
/// the catalog: an index someone created by hand may be named anything.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

pub(crate) async fn push(
    client: &mut Client,
    target: &Target,
    ds: &Dataset,
    audit: &crate::accounts::AuditRecord,
    progress: &mut dyn FnMut(&str, u64, u64),
) -> Result<PushSummary, DataError> {
    let started = Instant::now();
    let net = &ds.network;
    net.validate()
        .map_err(|e| errors::record("network", "", "edges", e.to_string()))?;
    let step = |what: &str| format!("push: {what}");

    let tx = client
        .transaction()
        .await
        .map_err(|e| errors::db(target, step("begin"), e))?;
    migrate::apply(&tx, target).await?;

    // The whole city's COPYs and index builds take seconds to minutes: the bulk limits,
    // for this transaction only.
    let mut prologue = format!(
        "SET LOCAL civmap.bulk = 'on';\nSET LOCAL maintenance_work_mem = '256MB';\n\
         SET LOCAL statement_timeout = {ms};\nSET LOCAL idle_in_transaction_session_timeout = {ms};\n",
        ms = pg_ms(target.timeouts.bulk_statement)
    );
    for t in notifying() {
        prologue.push_str(&format!(
            "ALTER TABLE civmap.{t} DISABLE TRIGGER civmap_notify;\n"
        ));
    }
    let all: Vec<String> = TABLES.iter().map(|t| format!("civmap.{t}")).collect();
    prologue.push_str(&format!("TRUNCATE {};\n", all.join(", ")));
    tx.batch_execute(&prologue)
        .await
        .map_err(|e| errors::db(target, step("truncate"), e))?;

    // Secondary indexes (not primary keys or unique ones: those check the load).
    let indexes: Vec<(String, String)> = tx
        .query(
            "SELECT c.relname::text, pg_get_indexdef(x.indexrelid)
               FROM pg_index x
               JOIN pg_class c ON c.oid = x.indexrelid
               JOIN pg_class t ON t.oid = x.indrelid
               JOIN pg_namespace n ON n.oid = t.relnamespace
              WHERE n.nspname = 'civmap' AND NOT x.indisprimary AND NOT x.indisunique
                AND t.relname = ANY($1)",
            &[&TABLES],
        )
        .await
        .map_err(|e| errors::db(target, step("list indexes"), e))?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    if !indexes.is_empty() {
        let drop: Vec<String> = indexes
            .iter()
            .map(|(name, _)| format!("civmap.{}", quote_ident(name)))
            .collect();
        tx.batch_execute(&format!("DROP INDEX {}", drop.join(", ")))
            .await
            .map_err(|e| errors::db(target, step("drop indexes"), e))?;
    }

    copy_layer(
        &tx,
        target,
        "admin_units",
        &[
            "code",
            "name",
            "level",
            "parent",
            "kind",
            "population",
            "elderly",
            "synthetic",
            "ord",
            "geom",
        ],
        &ds.admin,
        |u| format!("code {}", u.code),
        |i, u| {
            let key = u.code.as_str();
            Ok(vec![
                Val::Text(key),
                Val::Text(&u.name),
                Val::Text(u.level.as_str()),
                Val::OptText(u.parent.as_ref().map(|p| p.as_str())),
                Val::Text(&u.kind),
                big("admin", key, "population", u.population)?,
                big("admin", key, "elderly", u.elderly)?,
                Val::Bool(u.synthetic),
                Val::I64(i as i64),
                Val::Geom(wkb::multi_polygon(&u.geometry)),
            ])
        },
        progress,
    )
    .await?;

    copy_layer(
        &tx,
        target,
        "facilities",
        &[
            "id",
            "name",
            "category",
            "address",
            "admin_code",
            "hub",
            "delivery",
            "demonstration",
            "beds",
            "nursing_beds",
            "synthetic",
            "ord",
            "geom",
        ],
        &ds.facilities,
        |f| format!("id {:?}", f.id),
        |i, f| {
            let a = &f.attributes;
            Ok(vec![
                Val::Text(&f.id),
                Val::Text(&f.name),
                Val::Text(f.category.id()),
                Val::Text(&f.address),
                Val::OptText(f.admin_code.as_ref().map(|c| c.as_str())),
                Val::Bool(a.hub),
                Val::Bool(a.delivery),
                Val::Bool(a.demonstration),
                opt_int("facility", &f.id, "beds", a.beds)?,
                opt_int("facility", &f.id, "nursing_beds", a.nursing_beds)?,
                Val::Bool(f.synthetic),
                Val::I64(i as i64),
                Val::Geom(wkb::point(f.location)),
            ])
        },
        progress,
    )
    .await?;

    copy_layer(
        &tx,
        target,
        "doorplates",
        &[
            "id",
            "road",
            "number",
            "residents",
            "elderly",
            "community",
            "synthetic",
            "ord",
            "geom",
        ],
        &ds.doorplates,
        |d| format!("id {}", d.id),
        |i, d| {
            let key = d.id.to_string();
            Ok(vec![
                big("doorplate", &key, "id", d.id)?,
                Val::Text(&d.road),
                int("doorplate", &key, "number", d.number)?,
                int("doorplate", &key, "residents", d.residents)?,
                int("doorplate", &key, "elderly", d.elderly)?,
                Val::OptText(d.community.as_ref().map(|c| c.as_str())),
                Val::Bool(d.synthetic),
                Val::I64(i as i64),
                Val::Geom(wkb::point(d.location)),
            ])
        },
        progress,
    )
    .await?;

    copy_layer(
        &tx,
        target,
        "landmarks",
        &["id", "name", "kind", "synthetic", "ord", "geom"],
        &ds.landmarks,
        |l| format!("id {:?}", l.id),
        |i, l| {
            Ok(vec![
                Val::Text(&l.id),
                Val::Text(&l.name),
                Val::Text(&l.kind),
                Val::Bool(l.synthetic),
                Val::I64(i as i64),
                Val::Geom(wkb::point(l.location)),
            ])
        },
        progress,
    )
    .await?;

    copy_layer(
        &tx,
        target,
        "network_nodes",
        &["id", "geom"],
        &net.nodes,
        |_| String::new(),
        |i, c| {
            Ok(vec![
                int("network node", &i.to_string(), "id", i as u32)?,
                Val::Geom(wkb::point((*c).into())),
            ])
        },
        progress,
    )
    .await?;

    copy_layer(
        &tx,
        target,
        "network_roads",
        &["id", "name"],
        &net.road_names,
        |name| format!("{name:?}"),
        |i, name| {
            Ok(vec![
                int("network road", name, "id", i as u32)?,
                Val::Text(name),
            ])
        },
        progress,
    )
    .await?;

    copy_layer(
        &tx,
        target,
        "network_edges",
        &[
            "id", "source", "target", "length_m", "road_id", "road", "geom",
        ],
        &net.edges,
        |e| format!("{} – {}", e.from, e.to),
        |i, e| {
            let key = i.to_string();
            Ok(vec![
                int("network edge", &key, "id", i as u32)?,
                int("network edge", &key, "from", e.from)?,
                int("network edge", &key, "to", e.to)?,
                Val::F64(e.length_m),
                opt_int("network edge", &key, "road", e.road)?,
                Val::OptText(net.road_name(e)),
                Val::Geom(wkb::segment(
                    net.nodes[e.from as usize],
                    net.nodes[e.to as usize],
                )),
            ])
        },
        progress,
    )
    .await?;

    let meta = serde_json::to_value(&ds.meta)
        .map_err(|e| errors::record("meta", "dataset", "meta", e.to_string()))?;
    let synthetic = serde_json::Value::Bool(net.synthetic);
    tx.execute(
        "INSERT INTO civmap.meta (key, value) VALUES ('dataset', $1), ('network.synthetic', $2)",
        &[&meta, &synthetic],
    )
    .await
    .map_err(|e| errors::db(target, step("meta"), e))?;

    for (i, (name, def)) in indexes.iter().enumerate() {
        progress("indexes", i as u64, indexes.len() as u64);
        tx.batch_execute(def)
            .await
            .map_err(|e| errors::db(target, step(&format!("rebuild index {name}")), e))?;
    }
    progress("indexes", indexes.len() as u64, indexes.len() as u64);

    let mut epilogue = String::new();
    for t in notifying() {
        epilogue.push_str(&format!(
            "ALTER TABLE civmap.{t} ENABLE TRIGGER civmap_notify;\n"
        ));
    }
    epilogue.push_str(&format!("ANALYZE {};\n", all.join(", ")));
    // The push's audit row, in the push's transaction: both commit or neither does.
    let mut after = audit.after.clone().unwrap_or_else(|| serde_json::json!({}));
    if let Some(o) = after.as_object_mut() {
        o.insert(
            "counts".into(),
            serde_json::to_value(ds.counts()).unwrap_or_default(),
        );
    }
    tx.execute(
        "INSERT INTO civmap.audit (who, action, target, after, client) VALUES ($1, $2, $3, $4, $5)",
        &[
            &audit.who,
            &audit.action,
            &audit.target,
            &Some(after),
            &audit.client,
        ],
    )
    .await
    .map_err(|e| errors::db(target, step("audit"), e))?;
    epilogue.push_str(&format!("NOTIFY {CHANNEL}, '{{\"op\":\"reload\"}}';\n"));
    tx.batch_execute(&epilogue)
        .await
        .map_err(|e| errors::db(target, step("finish"), e))?;
    tx.commit()
        .await
        .map_err(|e| errors::db(target, step("commit"), e))?;
    Ok(PushSummary {
        counts: ds.counts(),
        elapsed: started.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_index_names_are_quoted_as_identifiers() {
        assert_eq!(
            quote_ident("facilities_geom_idx"),
            "\"facilities_geom_idx\""
        );
        assert_eq!(
            quote_ident("x\"; DROP TABLE civmap.facilities; --"),
            "\"x\"\"; DROP TABLE civmap.facilities; --\""
        );
    }
}
