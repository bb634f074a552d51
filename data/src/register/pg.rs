//! The register in PostGIS (tables of migration `0003_survey_register.sql`), written
//! through the accounts store's connection, each write in one transaction with its audit
//! row.

use civmap_geo_core::survey::markers::{Inspection, Marker};
use civmap_geo_core::survey::Exception;
use tokio_postgres::{GenericClient, Row, Transaction};

use super::{
    exception_json, marker_json, parse_codes, parse_kind, parse_rule, parse_status, takes_status,
    MarkerQuery, MarkerVersion, RegisterError, StoredException, StoredMarker, VersionStep,
};
use crate::accounts::now_ms;
use crate::accounts::pg::{db, err, insert_audit, PgAccounts};
use crate::accounts::AuditRecord;
use crate::postgis::target::Target;

type Res<T> = Result<T, RegisterError>;

fn store(t: &Target, at: &str, e: tokio_postgres::Error) -> RegisterError {
    db(t, at, e).into()
}

fn bad_row(t: &Target, at: &str, e: String) -> RegisterError {
    err(t, at, e).into()
}

const MARKER_COLS: &str = "number, line, lon, lat, kind, status, version::int8,
    (extract(epoch from retired_at) * 1000)::int8";

fn read_marker(t: &Target, r: &Row) -> Res<StoredMarker> {
    let at = "read marker";
    Ok(StoredMarker {
        marker: Marker {
            number: r.get(0),
            line: r.get(1),
            lon: r.get(2),
            lat: r.get(3),
            kind: parse_kind(r.get(4)).map_err(|e| bad_row(t, at, e))?,
            status: parse_status(r.get(5)).map_err(|e| bad_row(t, at, e))?,
            inspections: Vec::new(),
        },
        version: r.get(6),
        retired_ms: r.get(7),
    })
}

fn read_inspection(t: &Target, r: &Row) -> Res<Inspection> {
    Ok(Inspection {
        date: r.get(1),
        inspector: r.get(2),
        status: parse_status(r.get(3)).map_err(|e| bad_row(t, "read inspections", e))?,
        offset_m: r.get(4),
        note: r.get(5),
    })
}

const INSPECTION_SQL: &str =
    "SELECT number, date::text, inspector, status, offset_m, note FROM civmap.marker_inspections
      WHERE number = ANY($1) ORDER BY number, date, id";

async fn load(c: &impl GenericClient, t: &Target, number: &str) -> Res<Option<StoredMarker>> {
    let row = c
        .query_opt(
            &format!("SELECT {MARKER_COLS} FROM civmap.markers WHERE number = $1"),
            &[&number],
        )
        .await
        .map_err(|e| store(t, "read marker", e))?;
    let Some(row) = row else { return Ok(None) };
    let mut m = read_marker(t, &row)?;
    let rows = c
        .query(INSPECTION_SQL, &[&vec![number.to_owned()]])
        .await
        .map_err(|e| store(t, "read inspections", e))?;
    m.marker.inspections = rows
        .iter()
        .map(|r| read_inspection(t, r))
        .collect::<Res<_>>()?;
    Ok(Some(m))
}

async fn live(c: &impl GenericClient, t: &Target, number: &str) -> Res<StoredMarker> {
    match load(c, t, number).await? {
        None => Err(RegisterError::NoMarker(number.to_owned())),
        Some(m) if m.retired_ms.is_some() => Err(RegisterError::Retired(number.to_owned())),
        Some(m) => Ok(m),
    }
}

async fn write_version(
    tx: &Transaction<'_>,
    t: &Target,
    m: &Marker,
    version: i64,
    who: &str,
    action: &str,
) -> Res<()> {
    let at = "write marker version";
    let now = now_ms();
    let v = version as i32;
    tx.execute(
        "UPDATE civmap.marker_versions SET valid_to = to_timestamp($2::int8 / 1000.0)
          WHERE number = $1 AND valid_to IS NULL",
        &[&m.number, &now],
    )
    .await
    .map_err(|e| store(t, at, e))?;
    tx.execute(
        "INSERT INTO civmap.marker_versions
                (number, version, line, lon, lat, kind, status, valid_from, who, action)
         VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8::int8 / 1000.0), $9, $10)",
        &[
            &m.number,
            &v,
            &m.line,
            &m.lon,
            &m.lat,
            &m.kind.as_str(),
            &m.status.as_str(),
            &now,
            &who,
            &action,
        ],
    )
    .await
    .map_err(|e| store(t, at, e))?;
    tx.execute(
        "UPDATE civmap.markers SET line = $2, lon = $3, lat = $4, kind = $5, status = $6,
                version = $7, retired_at = NULL WHERE number = $1",
        &[
            &m.number,
            &m.line,
            &m.lon,
            &m.lat,
            &m.kind.as_str(),
            &m.status.as_str(),
            &v,
        ],
    )
    .await
    .map_err(|e| store(t, at, e))?;
    Ok(())
}

async fn audit(tx: &Transaction<'_>, t: &Target, a: &AuditRecord) -> Res<()> {
    insert_audit(tx, t, a).await?;
    Ok(())
}

/// Opens a transaction on the shared connection as `$tx` (a macro: the transaction borrows
/// the guard, which must live in the caller's frame).
macro_rules! begin {
    ($s:expr, $at:expr, $g:ident, $tx:ident) => {
        let mut $g = $s.client().await?;
        let $tx = $g
            .as_mut()
            .expect("connected")
            .transaction()
            .await
            .map_err(|e| store(&$s.target, $at, e))?;
    };
}

async fn commit(tx: Transaction<'_>, t: &Target, at: &str) -> Res<()> {
    tx.commit().await.map_err(|e| store(t, at, e))
}

pub(super) async fn create(s: &PgAccounts, m: Marker, a: AuditRecord) -> Res<StoredMarker> {
    let (t, at) = (&s.target, "create marker");
    begin!(s, at, g, tx);
    let n = tx
        .execute(
            "INSERT INTO civmap.markers (number, line, lon, lat, kind, status, version)
             VALUES ($1, $2, $3, $4, $5, $6, 1) ON CONFLICT (number) DO NOTHING",
            &[
                &m.number,
                &m.line,
                &m.lon,
                &m.lat,
                &m.kind.as_str(),
                &m.status.as_str(),
            ],
        )
        .await
        .map_err(|e| store(t, at, e))?;
    if n == 0 {
        return Err(RegisterError::Exists(m.number));
    }
    write_version(&tx, t, &m, 1, &a.who, "create").await?;
    audit(&tx, t, &a).await?;
    commit(tx, t, at).await?;
    Ok(StoredMarker {
        marker: m,
        version: 1,
        retired_ms: None,
    })
}

pub(super) async fn new_version(
    s: &PgAccounts,
    step: VersionStep,
    next: impl FnOnce(&Marker) -> Res<Marker>,
) -> Res<StoredMarker> {
    let (t, at) = (&s.target, "edit marker");
    begin!(s, at, g, tx);
    tx.execute(
        "SELECT 1 FROM civmap.markers WHERE number = $1 FOR UPDATE",
        &[&step.number],
    )
    .await
    .map_err(|e| store(t, at, e))?;
    let cur = match load(&tx, t, &step.number).await? {
        None => return Err(RegisterError::NoMarker(step.number)),
        Some(m) if m.retired_ms.is_some() && !step.revive => {
            return Err(RegisterError::Retired(step.number))
        }
        Some(m) => m,
    };
    let mut m = next(&cur.marker)?;
    let version = cur.version + 1;
    write_version(&tx, t, &m, version, &step.audit.who, step.action).await?;
    let a = step
        .audit
        .before(marker_json(&cur.marker, cur.version))
        .after(marker_json(&m, version));
    audit(&tx, t, &a).await?;
    commit(tx, t, at).await?;
    m.inspections = cur.marker.inspections;
    Ok(StoredMarker {
        marker: m,
        version,
        retired_ms: None,
    })
}

pub(super) async fn retire(s: &PgAccounts, number: &str, a: AuditRecord) -> Res<StoredMarker> {
    let (t, at) = (&s.target, "retire marker");
    begin!(s, at, g, tx);
    let mut m = live(&tx, t, number).await?;
    let now = now_ms();
    tx.execute(
        "UPDATE civmap.marker_versions SET valid_to = to_timestamp($2::int8 / 1000.0)
          WHERE number = $1 AND valid_to IS NULL",
        &[&number, &now],
    )
    .await
    .map_err(|e| store(t, at, e))?;
    tx.execute(
        "UPDATE civmap.markers SET retired_at = to_timestamp($2::int8 / 1000.0) WHERE number = $1",
        &[&number, &now],
    )
    .await
    .map_err(|e| store(t, at, e))?;
    audit(&tx, t, &a.before(marker_json(&m.marker, m.version))).await?;
    commit(tx, t, at).await?;
    m.retired_ms = Some(now);
    Ok(m)
}

pub(super) async fn inspect(
    s: &PgAccounts,
    number: &str,
    i: Inspection,
    a: AuditRecord,
) -> Res<StoredMarker> {
    let (t, at) = (&s.target, "add inspection");
    begin!(s, at, g, tx);
    let cur = live(&tx, t, number).await?;
    let latest = cur.marker.inspections.iter().map(|x| x.date.as_str()).max();
    let mut next = cur.marker.clone();
    let mut version = cur.version;
    if takes_status(latest, &i) && i.status != cur.marker.status {
        next.status = i.status;
        version += 1;
        write_version(&tx, t, &next, version, &a.who, "inspect").await?;
    }
    let now = now_ms();
    tx.execute(
        "INSERT INTO civmap.marker_inspections
                (number, date, inspector, status, offset_m, note, recorded_at, recorded_by)
         VALUES ($1, $2::text::date, $3, $4, $5, $6, to_timestamp($7::int8 / 1000.0), $8)",
        &[
            &number,
            &i.date,
            &i.inspector,
            &i.status.as_str(),
            &i.offset_m,
            &i.note,
            &now,
            &a.who,
        ],
    )
    .await
    .map_err(|e| store(t, at, e))?;
    let mut after = marker_json(&next, version);
    after["inspection"] = serde_json::to_value(&i).unwrap_or_default();
    let a = a.before(marker_json(&cur.marker, cur.version)).after(after);
    audit(&tx, t, &a).await?;
    commit(tx, t, at).await?;
    next.inspections.push(i);
    next.inspections.sort_by(|x, y| x.date.cmp(&y.date));
    Ok(StoredMarker {
        marker: next,
        version,
        retired_ms: None,
    })
}

pub(super) async fn list(s: &PgAccounts, q: &MarkerQuery) -> Res<Vec<StoredMarker>> {
    let (t, at) = (&s.target, "list markers");
    let g = s.client().await?;
    let c = g.as_ref().expect("connected");
    let b = q.bbox;
    let rows = c
        .query(
            &format!(
                "SELECT {MARKER_COLS} FROM civmap.markers
                  WHERE retired_at IS NULL
                    AND ($1::float8 IS NULL OR (lon BETWEEN $1 AND $3 AND lat BETWEEN $2 AND $4))
                    AND ($5::text IS NULL OR line = $5) AND ($6::text IS NULL OR status = $6)
                  ORDER BY number"
            ),
            &[
                &b.map(|b| b[0]),
                &b.map(|b| b[1]),
                &b.map(|b| b[2]),
                &b.map(|b| b[3]),
                &q.line,
                &q.status.map(|s| s.as_str()),
            ],
        )
        .await
        .map_err(|e| store(t, at, e))?;
    let mut out: Vec<StoredMarker> = rows.iter().map(|r| read_marker(t, r)).collect::<Res<_>>()?;
    let numbers: Vec<String> = out.iter().map(|m| m.marker.number.clone()).collect();
    let rows = c
        .query(INSPECTION_SQL, &[&numbers])
        .await
        .map_err(|e| store(t, "read inspections", e))?;
    // Both are ordered by number: walk them together.
    let mut k = 0;
    for r in &rows {
        let n: &str = r.get(0);
        while out[k].marker.number.as_str() != n {
            k += 1;
        }
        out[k].marker.inspections.push(read_inspection(t, r)?);
    }
    Ok(out)
}

pub(super) async fn get(s: &PgAccounts, number: &str) -> Res<Option<StoredMarker>> {
    let g = s.client().await?;
    load(g.as_ref().expect("connected"), &s.target, number).await
}

pub(super) async fn history(s: &PgAccounts, number: &str) -> Res<Vec<MarkerVersion>> {
    let (t, at) = (&s.target, "read history");
    let g = s.client().await?;
    let rows = g
        .as_ref()
        .expect("connected")
        .query(
            "SELECT version::int8, line, lon, lat, kind, status,
                    (extract(epoch from valid_from) * 1000)::int8,
                    (extract(epoch from valid_to) * 1000)::int8, who, action
               FROM civmap.marker_versions WHERE number = $1 ORDER BY version",
            &[&number],
        )
        .await
        .map_err(|e| store(t, at, e))?;
    rows.iter()
        .map(|r| {
            Ok(MarkerVersion {
                version: r.get(0),
                line: r.get(1),
                lon: r.get(2),
                lat: r.get(3),
                kind: parse_kind(r.get(4)).map_err(|e| bad_row(t, at, e))?,
                status: parse_status(r.get(5)).map_err(|e| bad_row(t, at, e))?,
                valid_from_ms: r.get(6),
                valid_to_ms: r.get(7),
                who: r.get(8),
                action: r.get(9),
            })
        })
        .collect()
}

const EXCEPTION_COLS: &str = "id, rule, codes, marker, who, why, created::text, expires::text,
    (extract(epoch from withdrawn_at) * 1000)::int8, withdrawn_by";

fn read_exception(t: &Target, r: &Row) -> Res<StoredException> {
    let at = "read exception";
    let codes: Vec<String> = r.get(2);
    Ok(StoredException {
        exception: Exception {
            id: r.get(0),
            rule: parse_rule(r.get(1)).map_err(|e| bad_row(t, at, e))?,
            codes: parse_codes(&codes).map_err(|e| bad_row(t, at, e))?,
            marker: r.get(3),
            who: r.get(4),
            why: r.get(5),
            created: r.get(6),
            expires: r.get(7),
        },
        withdrawn_ms: r.get(8),
        withdrawn_by: r.get(9),
    })
}

pub(super) async fn add_exception(
    s: &PgAccounts,
    mut x: StoredException,
    a: AuditRecord,
) -> Res<StoredException> {
    let (t, at) = (&s.target, "add exception");
    begin!(s, at, g, tx);
    let e = &x.exception;
    let codes: Vec<String> = e.codes.iter().map(|c| c.as_str().to_owned()).collect();
    let now = now_ms();
    let row = tx
        .query_one(
            "INSERT INTO civmap.validation_exceptions
                    (rule, codes, marker, who, why, created, expires, created_at)
             VALUES ($1, $2, $3, $4, $5, $6::text::date, $7::text::date, to_timestamp($8::int8 / 1000.0))
             RETURNING id",
            &[
                &e.rule.as_str(),
                &codes,
                &e.marker,
                &e.who,
                &e.why,
                &e.created,
                &e.expires,
                &now,
            ],
        )
        .await
        .map_err(|e| store(t, at, e))?;
    x.exception.id = row.get(0);
    audit(&tx, t, &a.after(exception_json(&x))).await?;
    commit(tx, t, at).await?;
    Ok(x)
}

pub(super) async fn exceptions(s: &PgAccounts, with_withdrawn: bool) -> Res<Vec<StoredException>> {
    let (t, at) = (&s.target, "list exceptions");
    let g = s.client().await?;
    let rows = g
        .as_ref()
        .expect("connected")
        .query(
            &format!(
                "SELECT {EXCEPTION_COLS} FROM civmap.validation_exceptions
                  WHERE $1 OR withdrawn_at IS NULL ORDER BY id"
            ),
            &[&with_withdrawn],
        )
        .await
        .map_err(|e| store(t, at, e))?;
    rows.iter().map(|r| read_exception(t, r)).collect()
}

pub(super) async fn withdraw(s: &PgAccounts, id: i64, a: AuditRecord) -> Res<StoredException> {
    let (t, at) = (&s.target, "withdraw exception");
    begin!(s, at, g, tx);
    let row = tx
        .query_opt(
            &format!(
                "SELECT {EXCEPTION_COLS} FROM civmap.validation_exceptions WHERE id = $1 FOR UPDATE"
            ),
            &[&id],
        )
        .await
        .map_err(|e| store(t, at, e))?;
    let Some(row) = row else {
        return Err(RegisterError::NoException(id));
    };
    let mut x = read_exception(t, &row)?;
    if x.withdrawn_ms.is_some() {
        return Err(RegisterError::Withdrawn(id));
    }
    let before = exception_json(&x);
    let now = now_ms();
    tx.execute(
        "UPDATE civmap.validation_exceptions
            SET withdrawn_at = to_timestamp($2::int8 / 1000.0), withdrawn_by = $3 WHERE id = $1",
        &[&id, &now, &a.who],
    )
    .await
    .map_err(|e| store(t, at, e))?;
    x.withdrawn_ms = Some(now);
    x.withdrawn_by = Some(a.who.clone());
    let after = exception_json(&x);
    audit(&tx, t, &a.before(before).after(after)).await?;
    commit(tx, t, at).await?;
    Ok(x)
}
