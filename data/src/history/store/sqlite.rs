//! The history tables in `accounts.sqlite` (`history.sqlite.sql`), written through the
//! accounts store's IMMEDIATE transactions with their audit rows.

use civmap_geo_core::history::{Ambiguity, Date, DivisionRow, Edition, Unit, UnitId, UnitVersion};
use civmap_geo_core::{AdminCode, AdminLevel};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::{
    ambiguity_json, decide, group_editions, kind_str, link, outcome_of, parse_event, parse_kind,
    rebuild, rebuild_all, stored, EditionFile, ImportOutcome, Res, StoredAmbiguity, StoredEdition,
    Succession, TableCounts,
};
use crate::accounts::now_ms;
use crate::accounts::sqlite::{err, insert_audit, SqliteAccounts};
use crate::accounts::{AccountsError, AuditRecord};

fn store(shown: &str, at: &str, e: impl std::fmt::Display) -> AccountsError {
    err(shown, at, e)
}

fn read_editions(c: &Connection, shown: &str) -> Result<Vec<Edition>, AccountsError> {
    let at = "read history editions";
    let mut st = c
        .prepare("SELECT id, date FROM history_editions ORDER BY seq")
        .map_err(|e| store(shown, at, e))?;
    let heads = st
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .map_err(|e| store(shown, at, e))?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(|e| store(shown, at, e))?;
    let heads = heads
        .into_iter()
        .map(|(id, d)| Ok((id, stored(shown, "date", Date::parse(&d))?)))
        .collect::<Result<Vec<_>, AccountsError>>()?;
    let mut st = c
        .prepare(
            "SELECT r.edition, r.code, r.level, r.name, r.parent_code, r.kind
             FROM history_edition_rows r JOIN history_editions e ON e.id = r.edition
             ORDER BY e.seq, r.line",
        )
        .map_err(|e| store(shown, at, e))?;
    type Raw = (String, String, String, String, String, String);
    let raw = st
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .map_err(|e| store(shown, at, e))?
        .collect::<rusqlite::Result<Vec<Raw>>>()
        .map_err(|e| store(shown, at, e))?;
    let rows = raw
        .into_iter()
        .map(|(e, code, level, name, parent, kind)| {
            Ok((
                e,
                DivisionRow {
                    code: stored(shown, "code", AdminCode::parse(&code))?,
                    level: stored(shown, "level", AdminLevel::parse(&level))?,
                    name,
                    parent: stored(shown, "parent", AdminCode::parse(&parent))?,
                    kind,
                },
            ))
        })
        .collect::<Result<Vec<_>, AccountsError>>()?;
    Ok(group_editions(heads, rows))
}

fn write_edition(
    tx: &Transaction<'_>,
    shown: &str,
    f: &EditionFile,
    seq: usize,
    who: &str,
) -> Res<()> {
    let at = "write history edition";
    let e = &f.edition;
    tx.execute(
        "INSERT INTO history_editions (id, seq, date, source_file, row_count, imported_by, imported_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![e.id, seq as i64, e.date.to_string(), f.source, e.rows.len() as i64, who, now_ms()],
    )
    .map_err(|x| store(shown, at, x))?;
    let mut st = tx
        .prepare(
            "INSERT INTO history_edition_rows (edition, line, code, level, name, parent_code, kind)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .map_err(|x| store(shown, at, x))?;
    for (r, line) in e.rows.iter().zip(&f.lines) {
        st.execute(params![
            e.id,
            line,
            r.code.as_str(),
            r.level.as_str(),
            r.name,
            r.parent.as_str(),
            r.kind
        ])
        .map_err(|x| store(shown, at, x))?;
    }
    Ok(())
}

fn write_history(tx: &Transaction<'_>, shown: &str, r: &super::Rebuilt) -> Res<()> {
    let at = "write history";
    tx.execute_batch(
        "DELETE FROM history_successions; DELETE FROM history_unit_versions; DELETE FROM history_units;",
    )
    .map_err(|x| store(shown, at, x))?;
    let mut unit = tx
        .prepare("INSERT INTO history_units (id) VALUES (?1)")
        .map_err(|x| store(shown, at, x))?;
    let mut version = tx
        .prepare(
            "INSERT INTO history_unit_versions
             (unit, seq, code, name, level, kind, parent_unit, valid_from, valid_to)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .map_err(|x| store(shown, at, x))?;
    for u in r.history.units() {
        unit.execute([u.id.0]).map_err(|x| store(shown, at, x))?;
    }
    for u in r.history.units() {
        for (i, v) in u.versions.iter().enumerate() {
            version
                .execute(params![
                    u.id.0,
                    i as i64,
                    v.code.as_str(),
                    v.name,
                    v.level.as_str(),
                    v.kind,
                    v.parent.map(|p| p.0),
                    v.valid_from.to_string(),
                    v.valid_to.map(|d| d.to_string()),
                ])
                .map_err(|x| store(shown, at, x))?;
        }
    }
    let mut link = tx
        .prepare(
            "INSERT INTO history_successions (from_unit, to_unit, event, date) VALUES (?1, ?2, ?3, ?4)",
        )
        .map_err(|x| store(shown, at, x))?;
    for s in &r.successions {
        link.execute(params![
            s.from_unit,
            s.to_unit,
            s.event.as_str(),
            s.date.to_string()
        ])
        .map_err(|x| store(shown, at, x))?;
    }
    write_ambiguities(tx, shown, &r.ambiguities)
}

/// Adds the cases not stored yet; stored ones keep their decisions, open ones the build no
/// longer lists are dropped.
fn write_ambiguities(tx: &Transaction<'_>, shown: &str, list: &[Ambiguity]) -> Res<()> {
    let at = "write history ambiguities";
    tx.execute_batch("CREATE TEMP TABLE IF NOT EXISTS seen_ambiguities (edition TEXT, code TEXT, kind TEXT); DELETE FROM seen_ambiguities;")
        .map_err(|x| store(shown, at, x))?;
    let mut up = tx
        .prepare(
            "INSERT INTO history_ambiguities (edition, code, kind, name, level, candidates, recorded)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (edition, code, kind) DO UPDATE SET
                 name = excluded.name, level = excluded.level,
                 candidates = excluded.candidates, recorded = excluded.recorded",
        )
        .map_err(|x| store(shown, at, x))?;
    let mut seen = tx
        .prepare("INSERT INTO seen_ambiguities VALUES (?1, ?2, ?3)")
        .map_err(|x| store(shown, at, x))?;
    for a in list {
        let candidates: Vec<&str> = a.candidates.iter().map(AdminCode::as_str).collect();
        let kind = kind_str(a.kind);
        up.execute(params![
            a.edition,
            a.code.as_str(),
            kind,
            a.name,
            a.level.as_str(),
            candidates.join(","),
            a.recorded
        ])
        .map_err(|x| store(shown, at, x))?;
        seen.execute(params![a.edition, a.code.as_str(), kind])
            .map_err(|x| store(shown, at, x))?;
    }
    tx.execute_batch(
        "DELETE FROM history_ambiguities WHERE status = 'open' AND NOT EXISTS (
             SELECT 1 FROM seen_ambiguities s WHERE s.edition = history_ambiguities.edition
             AND s.code = history_ambiguities.code AND s.kind = history_ambiguities.kind);
         DROP TABLE seen_ambiguities;",
    )
    .map_err(|x| store(shown, at, x))?;
    Ok(())
}

pub(super) async fn import(
    s: &SqliteAccounts,
    file: EditionFile,
    audit: AuditRecord,
) -> Res<ImportOutcome> {
    s.write("import history edition", move |tx, shown| {
        let stored_editions = read_editions(tx, shown)?;
        let seq = stored_editions.len();
        let confirmed = read_confirmed(tx, shown)?;
        let rebuilt = rebuild(stored_editions, &file.edition, &confirmed)?;
        write_edition(tx, shown, &file, seq, &audit.who)?;
        write_history(tx, shown, &rebuilt)?;
        let outcome = outcome_of(&file, &rebuilt, seq + 1);
        let audit = audit.after(serde_json::to_value(&outcome).unwrap_or_default());
        insert_audit(tx, &audit).map_err(|x| store(shown, "audit", x))?;
        Ok(outcome)
    })
    .await
}

pub(super) async fn editions(s: &SqliteAccounts) -> Res<Vec<Edition>> {
    let shown = s.shown();
    s.with("read history editions", move |c| {
        Ok(read_editions(c, &shown)?)
    })
    .await
}

pub(super) async fn edition_list(s: &SqliteAccounts) -> Res<Vec<StoredEdition>> {
    let shown = s.shown();
    s.with("read history editions", move |c| {
        let at = "read history editions";
        let mut st = c
            .prepare("SELECT id, date, row_count, source_file, imported_by FROM history_editions ORDER BY seq")
            .map_err(|e| store(&shown, at, e))?;
        let raw = st
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?, r.get(3)?, r.get(4)?))
            })
            .map_err(|e| store(&shown, at, e))?
            .collect::<rusqlite::Result<Vec<(String, String, i64, String, String)>>>()
            .map_err(|e| store(&shown, at, e))?;
        raw.into_iter()
            .map(|(id, d, n, source_file, imported_by)| {
                Ok(StoredEdition {
                    id,
                    date: stored(&shown, "date", Date::parse(&d))?,
                    rows: n as usize,
                    source_file,
                    imported_by,
                })
            })
            .collect()
    })
    .await
}

pub(super) async fn units(s: &SqliteAccounts) -> Res<Vec<Unit>> {
    let links = successions(s).await?;
    let shown = s.shown();
    let mut units = s
        .with("read history units", move |c| {
            let at = "read history units";
            let mut units: Vec<Unit> = Vec::new();
            let mut st = c
                .prepare("SELECT id FROM history_units ORDER BY id")
                .map_err(|e| store(&shown, at, e))?;
            let ids = st
                .query_map([], |r| r.get::<_, u32>(0))
                .map_err(|e| store(&shown, at, e))?
                .collect::<rusqlite::Result<Vec<u32>>>()
                .map_err(|e| store(&shown, at, e))?;
            for id in ids {
                units.push(Unit {
                    id: UnitId(id),
                    versions: Vec::new(),
                    supersedes: Vec::new(),
                    superseded_by: Vec::new(),
                });
            }
            let mut st = c
                .prepare(
                    "SELECT unit, code, name, level, kind, parent_unit, valid_from, valid_to
                     FROM history_unit_versions ORDER BY unit, seq",
                )
                .map_err(|e| store(&shown, at, e))?;
            type Raw = (
                u32,
                String,
                String,
                String,
                String,
                Option<u32>,
                String,
                Option<String>,
            );
            let raw = st
                .query_map([], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                    ))
                })
                .map_err(|e| store(&shown, at, e))?
                .collect::<rusqlite::Result<Vec<Raw>>>()
                .map_err(|e| store(&shown, at, e))?;
            for (unit, code, name, level, kind, parent, from, to) in raw {
                let v = UnitVersion {
                    code: stored(&shown, "code", AdminCode::parse(&code))?,
                    name,
                    level: stored(&shown, "level", AdminLevel::parse(&level))?,
                    kind,
                    parent: parent.map(UnitId),
                    valid_from: stored(&shown, "valid_from", Date::parse(&from))?,
                    valid_to: to
                        .map(|t| stored(&shown, "valid_to", Date::parse(&t)))
                        .transpose()?,
                };
                if let Some(u) = units.get_mut(unit as usize) {
                    u.versions.push(v);
                }
            }
            Ok::<_, super::HistoryStoreError>(units)
        })
        .await?;
    link(&mut units, &links);
    Ok(units)
}

pub(super) async fn successions(s: &SqliteAccounts) -> Res<Vec<Succession>> {
    let shown = s.shown();
    s.with("read history successions", move |c| {
        let at = "read history successions";
        let mut st = c
            .prepare("SELECT from_unit, to_unit, event, date FROM history_successions ORDER BY from_unit, to_unit")
            .map_err(|e| store(&shown, at, e))?;
        let raw = st
            .query_map([], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, u32>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?)))
            .map_err(|e| store(&shown, at, e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| store(&shown, at, e))?;
        raw.into_iter()
            .map(|(from_unit, to_unit, event, date)| {
                Ok(Succession {
                    from_unit,
                    to_unit,
                    event: stored(&shown, "event", parse_event(&event))?,
                    date: stored(&shown, "date", Date::parse(&date))?,
                })
            })
            .collect()
    })
    .await
}

const AMBIGUITY_COLS: &str =
    "id, edition, code, kind, name, level, candidates, recorded, status, choice, note, decided_by";

fn read_ambiguity(
    shown: &str,
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<Result<StoredAmbiguity, AccountsError>> {
    let code: String = r.get(2)?;
    let kind: String = r.get(3)?;
    let level: String = r.get(5)?;
    let candidates: String = r.get(6)?;
    let (id, edition, name, recorded) = (r.get(0)?, r.get(1)?, r.get(4)?, r.get(7)?);
    let (status, choice, note, decided_by) = (r.get(8)?, r.get(9)?, r.get(10)?, r.get(11)?);
    Ok((|| {
        Ok(StoredAmbiguity {
            id,
            ambiguity: Ambiguity {
                kind: stored(shown, "kind", parse_kind(&kind))?,
                edition,
                code: stored(shown, "code", AdminCode::parse(&code))?,
                name,
                level: stored(shown, "level", AdminLevel::parse(&level))?,
                candidates: candidates
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .map(|c| stored(shown, "candidate", AdminCode::parse(c)))
                    .collect::<Result<_, _>>()?,
                recorded,
            },
            status,
            choice,
            note,
            decided_by,
        })
    })())
}

/// The decided ambiguities, by id.
fn read_confirmed(c: &Connection, shown: &str) -> Res<Vec<StoredAmbiguity>> {
    read_ambiguities(c, shown, "WHERE status = 'confirmed'")
}

/// The ambiguities a `WHERE` clause (or none) selects, by id.
fn read_ambiguities(c: &Connection, shown: &str, filter: &str) -> Res<Vec<StoredAmbiguity>> {
    let at = "read history ambiguities";
    let mut st = c
        .prepare(&format!(
            "SELECT {AMBIGUITY_COLS} FROM history_ambiguities {filter} ORDER BY id"
        ))
        .map_err(|e| store(shown, at, e))?;
    let rows = st
        .query_map([], |r| read_ambiguity(shown, r))
        .map_err(|e| store(shown, at, e))?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(|e| store(shown, at, e))?;
    Ok(rows
        .into_iter()
        .collect::<Result<Vec<_>, AccountsError>>()?)
}

fn find_ambiguity(c: &Connection, shown: &str, id: i64) -> Res<Option<StoredAmbiguity>> {
    let at = "read history ambiguity";
    let found = c
        .query_row(
            &format!("SELECT {AMBIGUITY_COLS} FROM history_ambiguities WHERE id = ?1"),
            [id],
            |r| read_ambiguity(shown, r),
        )
        .optional()
        .map_err(|e| store(shown, at, e))?;
    Ok(found.transpose()?)
}

pub(super) async fn ambiguities(s: &SqliteAccounts, open_only: bool) -> Res<Vec<StoredAmbiguity>> {
    let shown = s.shown();
    s.with("read history ambiguities", move |c| {
        let filter = if open_only {
            "WHERE status = 'open'"
        } else {
            ""
        };
        read_ambiguities(c, &shown, filter)
    })
    .await
}

pub(super) async fn confirm(
    s: &SqliteAccounts,
    id: i64,
    choice: String,
    note: Option<String>,
    audit: AuditRecord,
) -> Res<StoredAmbiguity> {
    s.write("confirm history ambiguity", move |tx, shown| {
        let before = find_ambiguity(tx, shown, id)?.ok_or(super::HistoryStoreError::UnknownAmbiguity(id))?;
        let after = decide(before.clone(), choice, note, &audit.who)?;
        tx.execute(
            "UPDATE history_ambiguities SET status = ?2, choice = ?3, note = ?4, decided_by = ?5, decided_ms = ?6 WHERE id = ?1",
            params![id, after.status, after.choice, after.note, after.decided_by, now_ms()],
        )
        .map_err(|e| store(shown, "confirm history ambiguity", e))?;
        // the history with every decision applied, this one included
        let rebuilt = rebuild_all(read_editions(tx, shown)?, &read_confirmed(tx, shown)?)?;
        write_history(tx, shown, &rebuilt)?;
        let audit = audit.before(ambiguity_json(&before)).after(ambiguity_json(&after));
        insert_audit(tx, &audit).map_err(|e| store(shown, "audit", e))?;
        Ok(after)
    })
    .await
}

pub(super) async fn counts(s: &SqliteAccounts) -> Res<TableCounts> {
    let shown = s.shown();
    s.with("count history rows", move |c| {
        let n = |t: &str| -> Result<usize, AccountsError> {
            c.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n as usize)
            .map_err(|e| store(&shown, "count history rows", e))
        };
        Ok(TableCounts {
            editions: n("history_editions")?,
            edition_rows: n("history_edition_rows")?,
            units: n("history_units")?,
            versions: n("history_unit_versions")?,
            successions: n("history_successions")?,
            ambiguities: n("history_ambiguities")?,
        })
    })
    .await
}
