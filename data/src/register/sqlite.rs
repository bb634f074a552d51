//! The register in `accounts.sqlite` (tables of `survey_register.sqlite.sql`), written
//! through the accounts store's IMMEDIATE transactions with their audit rows.

use civmap_geo_core::survey::markers::{Inspection, Marker};
use civmap_geo_core::survey::Exception;
use rusqlite::{params, Connection, Transaction};

use super::{
    exception_json, marker_json, parse_codes, parse_kind, parse_rule, parse_status, takes_status,
    MarkerQuery, MarkerVersion, RegisterError, StoredException, StoredMarker, VersionStep,
};
use crate::accounts::now_ms;
use crate::accounts::sqlite::{err, insert_audit, SqliteAccounts};
use crate::accounts::AuditRecord;

type Res<T> = Result<T, RegisterError>;

fn store(shown: &str, at: &str, e: impl std::fmt::Display) -> RegisterError {
    err(shown, at, e).into()
}

const MARKER_COLS: &str = "number, line, lon, lat, kind, status, version, retired_ms";

/// A marker row without inspections.
fn read_marker(shown: &str, r: &rusqlite::Row<'_>) -> Res<StoredMarker> {
    let get = |e: rusqlite::Error| store(shown, "read marker", e);
    let kind: String = r.get(4).map_err(get)?;
    let status: String = r.get(5).map_err(get)?;
    Ok(StoredMarker {
        marker: Marker {
            number: r.get(0).map_err(get)?,
            line: r.get(1).map_err(get)?,
            lon: r.get(2).map_err(get)?,
            lat: r.get(3).map_err(get)?,
            kind: parse_kind(&kind).map_err(|e| store(shown, "read marker", e))?,
            status: parse_status(&status).map_err(|e| store(shown, "read marker", e))?,
            inspections: Vec::new(),
        },
        version: r.get(6).map_err(get)?,
        retired_ms: r.get(7).map_err(get)?,
    })
}

fn inspections(c: &Connection, shown: &str, number: &str) -> Res<Vec<Inspection>> {
    let at = "read inspections";
    let mut st = c
        .prepare_cached(
            "SELECT date, inspector, status, offset_m, note FROM marker_inspections
              WHERE number = ?1 ORDER BY date, id",
        )
        .map_err(|e| store(shown, at, e))?;
    let rows = st
        .query_map([number], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<f64>>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })
        .map_err(|e| store(shown, at, e))?;
    let mut out = Vec::new();
    for r in rows {
        let (date, inspector, status, offset_m, note) = r.map_err(|e| store(shown, at, e))?;
        out.push(Inspection {
            date,
            inspector,
            status: parse_status(&status).map_err(|e| store(shown, at, e))?,
            offset_m,
            note,
        });
    }
    Ok(out)
}

/// A marker with its inspections.
fn load(c: &Connection, shown: &str, number: &str) -> Res<Option<StoredMarker>> {
    let mut st = c
        .prepare_cached(&format!(
            "SELECT {MARKER_COLS} FROM markers WHERE number = ?1"
        ))
        .map_err(|e| store(shown, "read marker", e))?;
    let mut rows = st
        .query([number])
        .map_err(|e| store(shown, "read marker", e))?;
    let Some(row) = rows.next().map_err(|e| store(shown, "read marker", e))? else {
        return Ok(None);
    };
    let mut m = read_marker(shown, row)?;
    m.marker.inspections = inspections(c, shown, number)?;
    Ok(Some(m))
}

/// A marker in the register (not retired), or why not.
fn live(c: &Connection, shown: &str, number: &str) -> Res<StoredMarker> {
    match load(c, shown, number)? {
        None => Err(RegisterError::NoMarker(number.to_owned())),
        Some(m) if m.retired_ms.is_some() => Err(RegisterError::Retired(number.to_owned())),
        Some(m) => Ok(m),
    }
}

/// Ends the current version and writes `m` as version `version` with the row's new state.
fn write_version(
    tx: &Transaction<'_>,
    shown: &str,
    m: &Marker,
    version: i64,
    who: &str,
    action: &str,
) -> Res<()> {
    let at = "write marker version";
    let now = now_ms();
    tx.execute(
        "UPDATE marker_versions SET valid_to_ms = ?2 WHERE number = ?1 AND valid_to_ms IS NULL",
        params![m.number, now],
    )
    .map_err(|e| store(shown, at, e))?;
    tx.execute(
        "INSERT INTO marker_versions (number, version, line, lon, lat, kind, status, valid_from_ms, who, action)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![m.number, version, m.line, m.lon, m.lat, m.kind.as_str(), m.status.as_str(), now, who, action],
    )
    .map_err(|e| store(shown, at, e))?;
    tx.execute(
        "UPDATE markers SET line = ?2, lon = ?3, lat = ?4, kind = ?5, status = ?6, version = ?7,
                retired_ms = NULL WHERE number = ?1",
        params![
            m.number,
            m.line,
            m.lon,
            m.lat,
            m.kind.as_str(),
            m.status.as_str(),
            version
        ],
    )
    .map_err(|e| store(shown, at, e))?;
    Ok(())
}

fn audit(tx: &Transaction<'_>, shown: &str, a: &AuditRecord) -> Res<()> {
    insert_audit(tx, a).map_err(|e| store(shown, "audit", e))?;
    Ok(())
}

pub(super) async fn create(s: &SqliteAccounts, m: Marker, a: AuditRecord) -> Res<StoredMarker> {
    s.write("create marker", move |tx, shown| {
        let taken: bool = tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM markers WHERE number = ?1)",
                [&m.number],
                |r| r.get(0),
            )
            .map_err(|e| store(shown, "create marker", e))?;
        if taken {
            return Err(RegisterError::Exists(m.number));
        }
        tx.execute(
            "INSERT INTO markers (number, line, lon, lat, kind, status, version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1)",
            params![m.number, m.line, m.lon, m.lat, m.kind.as_str(), m.status.as_str()],
        )
        .map_err(|e| store(shown, "create marker", e))?;
        write_version(tx, shown, &m, 1, &a.who, "create")?;
        audit(tx, shown, &a)?;
        Ok(StoredMarker {
            marker: m,
            version: 1,
            retired_ms: None,
        })
    })
    .await
}

pub(super) async fn new_version(
    s: &SqliteAccounts,
    step: VersionStep,
    next: impl FnOnce(&Marker) -> Res<Marker> + Send + 'static,
) -> Res<StoredMarker> {
    s.write("edit marker", move |tx, shown| {
        let cur = match load(tx, shown, &step.number)? {
            None => return Err(RegisterError::NoMarker(step.number)),
            Some(m) if m.retired_ms.is_some() && !step.revive => {
                return Err(RegisterError::Retired(step.number))
            }
            Some(m) => m,
        };
        let m = next(&cur.marker)?;
        let version = cur.version + 1;
        write_version(tx, shown, &m, version, &step.audit.who, step.action)?;
        let a = step
            .audit
            .before(marker_json(&cur.marker, cur.version))
            .after(marker_json(&m, version));
        audit(tx, shown, &a)?;
        Ok(StoredMarker {
            marker: m,
            version,
            retired_ms: None,
        })
    })
    .await
}

pub(super) async fn retire(
    s: &SqliteAccounts,
    number: String,
    a: AuditRecord,
) -> Res<StoredMarker> {
    s.write("retire marker", move |tx, shown| {
        let mut m = live(tx, shown, &number)?;
        let now = now_ms();
        tx.execute(
            "UPDATE marker_versions SET valid_to_ms = ?2 WHERE number = ?1 AND valid_to_ms IS NULL",
            params![number, now],
        )
        .map_err(|e| store(shown, "retire marker", e))?;
        tx.execute(
            "UPDATE markers SET retired_ms = ?2 WHERE number = ?1",
            params![number, now],
        )
        .map_err(|e| store(shown, "retire marker", e))?;
        audit(tx, shown, &a.before(marker_json(&m.marker, m.version)))?;
        m.retired_ms = Some(now);
        Ok(m)
    })
    .await
}

pub(super) async fn inspect(
    s: &SqliteAccounts,
    number: String,
    i: Inspection,
    a: AuditRecord,
) -> Res<StoredMarker> {
    s.write("add inspection", move |tx, shown| {
        let cur = live(tx, shown, &number)?;
        let latest = cur.marker.inspections.iter().map(|x| x.date.as_str()).max();
        let mut next = cur.marker.clone();
        let mut version = cur.version;
        if takes_status(latest, &i) && i.status != cur.marker.status {
            next.status = i.status;
            version += 1;
            write_version(tx, shown, &next, version, &a.who, "inspect")?;
        }
        tx.execute(
            "INSERT INTO marker_inspections (number, date, inspector, status, offset_m, note, recorded_ms, recorded_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![number, i.date, i.inspector, i.status.as_str(), i.offset_m, i.note, now_ms(), a.who],
        )
        .map_err(|e| store(shown, "add inspection", e))?;
        let mut after = marker_json(&next, version);
        after["inspection"] = serde_json::to_value(&i).unwrap_or_default();
        audit(
            tx,
            shown,
            &a.before(marker_json(&cur.marker, cur.version)).after(after),
        )?;
        next.inspections.push(i);
        next.inspections.sort_by(|x, y| x.date.cmp(&y.date));
        Ok(StoredMarker {
            marker: next,
            version,
            retired_ms: None,
        })
    })
    .await
}

pub(super) async fn list(s: &SqliteAccounts, q: MarkerQuery) -> Res<Vec<StoredMarker>> {
    let shown = s.shown();
    s.with("list markers", move |c| {
        let at = "list markers";
        let b = q.bbox;
        let mut st = c
            .prepare(&format!(
                "SELECT {MARKER_COLS} FROM markers
                  WHERE retired_ms IS NULL
                    AND (?1 IS NULL OR (lon BETWEEN ?1 AND ?3 AND lat BETWEEN ?2 AND ?4))
                    AND (?5 IS NULL OR line = ?5) AND (?6 IS NULL OR status = ?6)
                  ORDER BY number"
            ))
            .map_err(|e| store(&shown, at, e))?;
        let mut rows = st
            .query(params![
                b.map(|b| b[0]),
                b.map(|b| b[1]),
                b.map(|b| b[2]),
                b.map(|b| b[3]),
                q.line,
                q.status.map(|s| s.as_str()),
            ])
            .map_err(|e| store(&shown, at, e))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(|e| store(&shown, at, e))? {
            out.push(read_marker(&shown, r)?);
        }
        drop(rows);
        for m in &mut out {
            m.marker.inspections = inspections(c, &shown, &m.marker.number)?;
        }
        Ok(out)
    })
    .await
}

pub(super) async fn get(s: &SqliteAccounts, number: String) -> Res<Option<StoredMarker>> {
    let shown = s.shown();
    s.with("read marker", move |c| load(c, &shown, &number))
        .await
}

pub(super) async fn history(s: &SqliteAccounts, number: String) -> Res<Vec<MarkerVersion>> {
    let shown = s.shown();
    s.with("read history", move |c| {
        let at = "read history";
        let mut st = c
            .prepare(
                "SELECT version, line, lon, lat, kind, status, valid_from_ms, valid_to_ms, who, action
                   FROM marker_versions WHERE number = ?1 ORDER BY version",
            )
            .map_err(|e| store(&shown, at, e))?;
        let mut rows = st.query([&number]).map_err(|e| store(&shown, at, e))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(|e| store(&shown, at, e))? {
            let get = |e: rusqlite::Error| store(&shown, at, e);
            let kind: String = r.get(4).map_err(get)?;
            let status: String = r.get(5).map_err(get)?;
            out.push(MarkerVersion {
                version: r.get(0).map_err(get)?,
                line: r.get(1).map_err(get)?,
                lon: r.get(2).map_err(get)?,
                lat: r.get(3).map_err(get)?,
                kind: parse_kind(&kind).map_err(|e| store(&shown, at, e))?,
                status: parse_status(&status).map_err(|e| store(&shown, at, e))?,
                valid_from_ms: r.get(6).map_err(get)?,
                valid_to_ms: r.get(7).map_err(get)?,
                who: r.get(8).map_err(get)?,
                action: r.get(9).map_err(get)?,
            });
        }
        Ok(out)
    })
    .await
}

const EXCEPTION_COLS: &str =
    "id, rule, codes, marker, who, why, created, expires, withdrawn_ms, withdrawn_by";

fn read_exception(shown: &str, r: &rusqlite::Row<'_>) -> Res<StoredException> {
    let at = "read exception";
    let get = |e: rusqlite::Error| store(shown, at, e);
    let rule: String = r.get(1).map_err(get)?;
    let codes: String = r.get(2).map_err(get)?;
    let codes: Vec<String> = serde_json::from_str(&codes).map_err(|e| store(shown, at, e))?;
    Ok(StoredException {
        exception: Exception {
            id: r.get(0).map_err(get)?,
            rule: parse_rule(&rule).map_err(|e| store(shown, at, e))?,
            codes: parse_codes(&codes).map_err(|e| store(shown, at, e))?,
            marker: r.get(3).map_err(get)?,
            who: r.get(4).map_err(get)?,
            why: r.get(5).map_err(get)?,
            created: r.get(6).map_err(get)?,
            expires: r.get(7).map_err(get)?,
        },
        withdrawn_ms: r.get(8).map_err(get)?,
        withdrawn_by: r.get(9).map_err(get)?,
    })
}

fn load_exception(c: &Connection, shown: &str, id: i64) -> Res<Option<StoredException>> {
    let mut st = c
        .prepare_cached(&format!(
            "SELECT {EXCEPTION_COLS} FROM validation_exceptions WHERE id = ?1"
        ))
        .map_err(|e| store(shown, "read exception", e))?;
    let mut rows = st
        .query([id])
        .map_err(|e| store(shown, "read exception", e))?;
    match rows.next().map_err(|e| store(shown, "read exception", e))? {
        Some(r) => read_exception(shown, r).map(Some),
        None => Ok(None),
    }
}

pub(super) async fn add_exception(
    s: &SqliteAccounts,
    mut x: StoredException,
    a: AuditRecord,
) -> Res<StoredException> {
    s.write("add exception", move |tx, shown| {
        let e = &x.exception;
        let codes: Vec<&str> = e.codes.iter().map(|c| c.as_str()).collect();
        let codes = serde_json::to_string(&codes).unwrap_or_default();
        tx.execute(
            "INSERT INTO validation_exceptions (rule, codes, marker, who, why, created, expires, created_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![e.rule.as_str(), codes, e.marker, e.who, e.why, e.created, e.expires, now_ms()],
        )
        .map_err(|e| store(shown, "add exception", e))?;
        x.exception.id = tx.last_insert_rowid();
        audit(tx, shown, &a.after(exception_json(&x)))?;
        Ok(x)
    })
    .await
}

pub(super) async fn exceptions(
    s: &SqliteAccounts,
    with_withdrawn: bool,
) -> Res<Vec<StoredException>> {
    let shown = s.shown();
    s.with("list exceptions", move |c| {
        let at = "list exceptions";
        let mut st = c
            .prepare(&format!(
                "SELECT {EXCEPTION_COLS} FROM validation_exceptions
                  WHERE ?1 OR withdrawn_ms IS NULL ORDER BY id"
            ))
            .map_err(|e| store(&shown, at, e))?;
        let mut rows = st
            .query([with_withdrawn])
            .map_err(|e| store(&shown, at, e))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(|e| store(&shown, at, e))? {
            out.push(read_exception(&shown, r)?);
        }
        Ok(out)
    })
    .await
}

pub(super) async fn withdraw(s: &SqliteAccounts, id: i64, a: AuditRecord) -> Res<StoredException> {
    s.write("withdraw exception", move |tx, shown| {
        let Some(mut x) = load_exception(tx, shown, id)? else {
            return Err(RegisterError::NoException(id));
        };
        if x.withdrawn_ms.is_some() {
            return Err(RegisterError::Withdrawn(id));
        }
        let before = exception_json(&x);
        let now = now_ms();
        tx.execute(
            "UPDATE validation_exceptions SET withdrawn_ms = ?2, withdrawn_by = ?3 WHERE id = ?1",
            params![id, now, a.who],
        )
        .map_err(|e| store(shown, "withdraw exception", e))?;
        x.withdrawn_ms = Some(now);
        x.withdrawn_by = Some(a.who.clone());
        let after = exception_json(&x);
        audit(tx, shown, &a.before(before).after(after))?;
        Ok(x)
    })
    .await
}
