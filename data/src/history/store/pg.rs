//! The history tables in PostGIS (migration `0006_history.sql`), written through the
//! accounts store's connection in one transaction with the audit row. The tables are
//! locked for the import, rows go in as arrays (`unnest`), and the deferred constraint
//! triggers check the written history at commit.

use civmap_geo_core::history::{Ambiguity, Date, DivisionRow, Edition, Unit, UnitId, UnitVersion};
use civmap_geo_core::{AdminCode, AdminLevel};
use tokio_postgres::{GenericClient, Row};

use super::{
    ambiguity_json, decide, group_editions, kind_str, link, outcome_of, parse_event, parse_kind,
    rebuild, rebuild_all, stored, EditionFile, HistoryStoreError, ImportOutcome, Rebuilt, Res,
    StoredAmbiguity, StoredEdition, Succession, TableCounts,
};
use crate::accounts::pg::{db, insert_audit, PgAccounts};
use crate::accounts::{AccountsError, AuditRecord};
use crate::postgis::target::Target;

fn store(t: &Target, at: &str, e: tokio_postgres::Error) -> AccountsError {
    db(t, at, e)
}

/// A transaction on the store's connection.
async fn begin<'g>(
    g: &'g mut Option<tokio_postgres::Client>,
    t: &Target,
    at: &str,
) -> Result<tokio_postgres::Transaction<'g>, AccountsError> {
    g.as_mut()
        .expect("connected")
        .transaction()
        .await
        .map_err(|e| store(t, at, e))
}

async fn read_editions(c: &impl GenericClient, t: &Target) -> Result<Vec<Edition>, AccountsError> {
    let at = "read history editions";
    let shown = &t.shown;
    let heads = c
        .query(
            "SELECT id, date::text FROM civmap.history_editions ORDER BY seq",
            &[],
        )
        .await
        .map_err(|e| store(t, at, e))?
        .iter()
        .map(|r| Ok((r.get(0), stored(shown, "date", Date::parse(r.get(1)))?)))
        .collect::<Result<Vec<(String, Date)>, AccountsError>>()?;
    let rows = c
        .query(
            "SELECT r.edition, r.code, r.level, r.name, r.parent_code, r.kind
             FROM civmap.history_edition_rows r JOIN civmap.history_editions e ON e.id = r.edition
             ORDER BY e.seq, r.line",
            &[],
        )
        .await
        .map_err(|e| store(t, at, e))?
        .iter()
        .map(|r| {
            Ok((
                r.get(0),
                DivisionRow {
                    code: stored(shown, "code", AdminCode::parse(r.get(1)))?,
                    level: stored(shown, "level", AdminLevel::parse(r.get(2)))?,
                    name: r.get(3),
                    parent: stored(shown, "parent", AdminCode::parse(r.get(4)))?,
                    kind: r.get(5),
                },
            ))
        })
        .collect::<Result<Vec<(String, DivisionRow)>, AccountsError>>()?;
    Ok(group_editions(heads, rows))
}

async fn write_edition(
    c: &impl GenericClient,
    t: &Target,
    f: &EditionFile,
    seq: usize,
    who: &str,
) -> Res<()> {
    let at = "write history edition";
    let e = &f.edition;
    c.execute(
        "INSERT INTO civmap.history_editions (id, seq, date, source_file, row_count, imported_by)
         VALUES ($1, $2, $3::text::date, $4, $5, $6)",
        &[
            &e.id,
            &(seq as i32),
            &e.date.to_string(),
            &f.source,
            &(e.rows.len() as i32),
            &who,
        ],
    )
    .await
    .map_err(|x| store(t, at, x))?;
    let lines: Vec<i32> = f.lines.iter().map(|&l| l as i32).collect();
    let col = |g: fn(&DivisionRow) -> &str| -> Vec<&str> { e.rows.iter().map(g).collect() };
    c.execute(
        "INSERT INTO civmap.history_edition_rows (edition, line, code, level, name, parent_code, kind)
         SELECT $1, * FROM unnest($2::int4[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])",
        &[
            &e.id,
            &lines,
            &col(|r| r.code.as_str()),
            &col(|r| r.level.as_str()),
            &col(|r| r.name.as_str()),
            &col(|r| r.parent.as_str()),
            &col(|r| r.kind.as_str()),
        ],
    )
    .await
    .map_err(|x| store(t, at, x))?;
    Ok(())
}

async fn write_history(c: &impl GenericClient, t: &Target, r: &Rebuilt) -> Res<()> {
    let at = "write history";
    c.batch_execute(
        "DELETE FROM civmap.history_successions; DELETE FROM civmap.history_unit_versions;
         DELETE FROM civmap.history_units;",
    )
    .await
    .map_err(|x| store(t, at, x))?;
    let units = r.history.units();
    let ids: Vec<i32> = units.iter().map(|u| u.id.0 as i32).collect();
    c.execute(
        "INSERT INTO civmap.history_units (id) SELECT * FROM unnest($1::int4[])",
        &[&ids],
    )
    .await
    .map_err(|x| store(t, at, x))?;
    let versions: Vec<(u32, usize, &UnitVersion)> = units
        .iter()
        .flat_map(|u| {
            u.versions
                .iter()
                .enumerate()
                .map(move |(i, v)| (u.id.0, i, v))
        })
        .collect();
    let unit: Vec<i32> = versions.iter().map(|v| v.0 as i32).collect();
    let seq: Vec<i32> = versions.iter().map(|v| v.1 as i32).collect();
    let text = |g: fn(&UnitVersion) -> String| -> Vec<String> {
        versions.iter().map(|v| g(v.2)).collect()
    };
    let parent: Vec<Option<i32>> = versions
        .iter()
        .map(|v| v.2.parent.map(|p| p.0 as i32))
        .collect();
    let valid_to: Vec<Option<String>> = versions
        .iter()
        .map(|v| v.2.valid_to.map(|d| d.to_string()))
        .collect();
    c.execute(
        "INSERT INTO civmap.history_unit_versions
             (unit, seq, code, name, level, kind, parent_unit, valid_from, valid_to)
         SELECT u, s, c, n, l, k, p, f::date, t::date
         FROM unnest($1::int4[], $2::int4[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::int4[], $8::text[], $9::text[]) AS x(u, s, c, n, l, k, p, f, t)",
        &[
            &unit,
            &seq,
            &text(|v| v.code.as_str().to_owned()),
            &text(|v| v.name.clone()),
            &text(|v| v.level.as_str().to_owned()),
            &text(|v| v.kind.clone()),
            &parent,
            &text(|v| v.valid_from.to_string()),
            &valid_to,
        ],
    )
    .await
    .map_err(|x| store(t, at, x))?;
    let s = &r.successions;
    let from: Vec<i32> = s.iter().map(|x| x.from_unit as i32).collect();
    let to: Vec<i32> = s.iter().map(|x| x.to_unit as i32).collect();
    let event: Vec<&str> = s.iter().map(|x| x.event.as_str()).collect();
    let date: Vec<String> = s.iter().map(|x| x.date.to_string()).collect();
    c.execute(
        "INSERT INTO civmap.history_successions (from_unit, to_unit, event, date)
         SELECT f, t, e, d::date FROM unnest($1::int4[], $2::int4[], $3::text[], $4::text[]) AS x(f, t, e, d)",
        &[&from, &to, &event, &date],
    )
    .await
    .map_err(|x| store(t, at, x))?;
    write_ambiguities(c, t, &r.ambiguities).await
}

/// Adds the cases not stored yet; stored ones keep their decisions, open ones the build no
/// longer lists are dropped.
async fn write_ambiguities(c: &impl GenericClient, t: &Target, list: &[Ambiguity]) -> Res<()> {
    let at = "write history ambiguities";
    let edition: Vec<&str> = list.iter().map(|a| a.edition.as_str()).collect();
    let code: Vec<&str> = list.iter().map(|a| a.code.as_str()).collect();
    let kind: Vec<&str> = list.iter().map(|a| kind_str(a.kind)).collect();
    let name: Vec<&str> = list.iter().map(|a| a.name.as_str()).collect();
    let level: Vec<&str> = list.iter().map(|a| a.level.as_str()).collect();
    let candidates: Vec<String> = list
        .iter()
        .map(|a| {
            a.candidates
                .iter()
                .map(AdminCode::as_str)
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    let recorded: Vec<&str> = list.iter().map(|a| a.recorded.as_str()).collect();
    c.execute(
        "WITH seen AS (
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                                  $6::text[], $7::text[]) AS x(e, c, k, n, l, cand, r)
         ), gone AS (
             DELETE FROM civmap.history_ambiguities a WHERE a.status = 'open' AND NOT EXISTS (
                 SELECT 1 FROM seen WHERE seen.e = a.edition AND seen.c = a.code AND seen.k = a.kind)
         )
         INSERT INTO civmap.history_ambiguities (edition, code, kind, name, level, candidates, recorded)
         SELECT e, c, k, n, l, COALESCE(string_to_array(NULLIF(cand, ''), ','), '{}'), r FROM seen
         ON CONFLICT (edition, code, kind) DO UPDATE SET
             name = excluded.name, level = excluded.level,
             candidates = excluded.candidates, recorded = excluded.recorded",
        &[&edition, &code, &kind, &name, &level, &candidates, &recorded],
    )
    .await
    .map_err(|x| store(t, at, x))?;
    Ok(())
}

/// One writer of the history at a time (import or confirm); readers see the old history
/// until commit.
async fn lock_history(c: &impl GenericClient, t: &Target, at: &str) -> Res<()> {
    c.batch_execute(
        "LOCK TABLE civmap.history_editions, civmap.history_edition_rows, civmap.history_units,
              civmap.history_unit_versions, civmap.history_successions,
              civmap.history_ambiguities IN SHARE ROW EXCLUSIVE MODE",
    )
    .await
    .map_err(|e| store(t, at, e))?;
    Ok(())
}

pub(super) async fn import(
    s: &PgAccounts,
    file: EditionFile,
    audit: AuditRecord,
) -> Res<ImportOutcome> {
    let (t, at) = (&s.target, "import history edition");
    let mut g = s.client().await?;
    let tx = begin(&mut g, t, at).await?;
    lock_history(&tx, t, at).await?;
    let stored_editions = read_editions(&tx, t).await?;
    let seq = stored_editions.len();
    let confirmed = read_confirmed(&tx, t).await?;
    let rebuilt = rebuild(stored_editions, &file.edition, &confirmed)?;
    write_edition(&tx, t, &file, seq, &audit.who).await?;
    write_history(&tx, t, &rebuilt).await?;
    let outcome = outcome_of(&file, &rebuilt, seq + 1);
    let audit = audit.after(serde_json::to_value(&outcome).unwrap_or_default());
    insert_audit(&tx, t, &audit).await?;
    // the deferred constraint triggers run here: a refusal rolls everything back
    tx.commit().await.map_err(|e| store(t, at, e))?;
    Ok(outcome)
}

pub(super) async fn editions(s: &PgAccounts) -> Res<Vec<Edition>> {
    let g = s.client().await?;
    Ok(read_editions(g.as_ref().expect("connected"), &s.target).await?)
}

pub(super) async fn edition_list(s: &PgAccounts) -> Res<Vec<StoredEdition>> {
    let (t, at) = (&s.target, "read history editions");
    let g = s.client().await?;
    let rows = g
        .as_ref()
        .expect("connected")
        .query(
            "SELECT id, date::text, row_count, source_file, imported_by
             FROM civmap.history_editions ORDER BY seq",
            &[],
        )
        .await
        .map_err(|e| store(t, at, e))?;
    rows.iter()
        .map(|r| {
            Ok(StoredEdition {
                id: r.get(0),
                date: stored(&t.shown, "date", Date::parse(r.get(1)))?,
                rows: r.get::<_, i32>(2) as usize,
                source_file: r.get(3),
                imported_by: r.get(4),
            })
        })
        .collect()
}

pub(super) async fn units(s: &PgAccounts) -> Res<Vec<Unit>> {
    let links = successions(s).await?;
    let (t, at) = (&s.target, "read history units");
    let g = s.client().await?;
    let c = g.as_ref().expect("connected");
    let ids = c
        .query("SELECT id FROM civmap.history_units ORDER BY id", &[])
        .await
        .map_err(|e| store(t, at, e))?;
    let mut units: Vec<Unit> = ids
        .iter()
        .map(|r| Unit {
            id: UnitId(r.get::<_, i32>(0) as u32),
            versions: Vec::new(),
            supersedes: Vec::new(),
            superseded_by: Vec::new(),
        })
        .collect();
    let rows = c
        .query(
            "SELECT unit, code, name, level, kind, parent_unit, valid_from::text, valid_to::text
             FROM civmap.history_unit_versions ORDER BY unit, seq",
            &[],
        )
        .await
        .map_err(|e| store(t, at, e))?;
    let shown = &t.shown;
    for r in &rows {
        let to: Option<&str> = r.get(7);
        let v = UnitVersion {
            code: stored(shown, "code", AdminCode::parse(r.get(1)))?,
            name: r.get(2),
            level: stored(shown, "level", AdminLevel::parse(r.get(3)))?,
            kind: r.get(4),
            parent: r.get::<_, Option<i32>>(5).map(|p| UnitId(p as u32)),
            valid_from: stored(shown, "valid_from", Date::parse(r.get(6)))?,
            valid_to: to
                .map(|d| stored(shown, "valid_to", Date::parse(d)))
                .transpose()?,
        };
        if let Some(u) = units.get_mut(r.get::<_, i32>(0) as usize) {
            u.versions.push(v);
        }
    }
    link(&mut units, &links);
    Ok(units)
}

pub(super) async fn successions(s: &PgAccounts) -> Res<Vec<Succession>> {
    let (t, at) = (&s.target, "read history successions");
    let g = s.client().await?;
    let rows = g
        .as_ref()
        .expect("connected")
        .query(
            "SELECT from_unit, to_unit, event, date::text FROM civmap.history_successions
             ORDER BY from_unit, to_unit",
            &[],
        )
        .await
        .map_err(|e| store(t, at, e))?;
    rows.iter()
        .map(|r| {
            Ok(Succession {
                from_unit: r.get::<_, i32>(0) as u32,
                to_unit: r.get::<_, i32>(1) as u32,
                event: stored(&t.shown, "event", parse_event(r.get(2)))?,
                date: stored(&t.shown, "date", Date::parse(r.get(3)))?,
            })
        })
        .collect()
}

const AMBIGUITY_COLS: &str = "id, edition, code, kind, name, level, candidates, recorded, \
                              status, choice, note, decided_by";

fn read_ambiguity(shown: &str, r: &Row) -> Result<StoredAmbiguity, AccountsError> {
    let candidates: Vec<String> = r.get(6);
    Ok(StoredAmbiguity {
        id: r.get(0),
        ambiguity: Ambiguity {
            kind: stored(shown, "kind", parse_kind(r.get(3)))?,
            edition: r.get(1),
            code: stored(shown, "code", AdminCode::parse(r.get(2)))?,
            name: r.get(4),
            level: stored(shown, "level", AdminLevel::parse(r.get(5)))?,
            candidates: candidates
                .iter()
                .map(|c| stored(shown, "candidate", AdminCode::parse(c)))
                .collect::<Result<_, _>>()?,
            recorded: r.get(7),
        },
        status: r.get(8),
        choice: r.get(9),
        note: r.get(10),
        decided_by: r.get(11),
    })
}

pub(super) async fn ambiguities(s: &PgAccounts, open_only: bool) -> Res<Vec<StoredAmbiguity>> {
    let g = s.client().await?;
    let filter = if open_only {
        "WHERE status = 'open'"
    } else {
        ""
    };
    read_ambiguities(g.as_ref().expect("connected"), &s.target, filter).await
}

/// The decided ambiguities, by id.
async fn read_confirmed(c: &impl GenericClient, t: &Target) -> Res<Vec<StoredAmbiguity>> {
    read_ambiguities(c, t, "WHERE status = 'confirmed'").await
}

/// The ambiguities a `WHERE` clause (or none) selects, by id.
async fn read_ambiguities(
    c: &impl GenericClient,
    t: &Target,
    filter: &str,
) -> Res<Vec<StoredAmbiguity>> {
    let at = "read history ambiguities";
    let rows = c
        .query(
            &format!(
                "SELECT {AMBIGUITY_COLS} FROM civmap.history_ambiguities {filter} ORDER BY id"
            ),
            &[],
        )
        .await
        .map_err(|e| store(t, at, e))?;
    Ok(rows
        .iter()
        .map(|r| read_ambiguity(&t.shown, r))
        .collect::<Result<_, _>>()?)
}

pub(super) async fn confirm(
    s: &PgAccounts,
    id: i64,
    choice: String,
    note: Option<String>,
    audit: AuditRecord,
) -> Res<StoredAmbiguity> {
    let (t, at) = (&s.target, "confirm history ambiguity");
    let mut g = s.client().await?;
    let tx = begin(&mut g, t, at).await?;
    lock_history(&tx, t, at).await?;
    let row = tx
        .query_opt(
            &format!(
                "SELECT {AMBIGUITY_COLS} FROM civmap.history_ambiguities WHERE id = $1 FOR UPDATE"
            ),
            &[&id],
        )
        .await
        .map_err(|e| store(t, at, e))?
        .ok_or(HistoryStoreError::UnknownAmbiguity(id))?;
    let before = read_ambiguity(&t.shown, &row)?;
    let after = decide(before.clone(), choice, note, &audit.who)?;
    tx.execute(
        "UPDATE civmap.history_ambiguities
         SET status = $2, choice = $3, note = $4, decided_by = $5, decided_at = now() WHERE id = $1",
        &[&id, &after.status, &after.choice, &after.note, &after.decided_by],
    )
    .await
    .map_err(|e| store(t, at, e))?;
    // the history with every decision applied, this one included
    let confirmed = read_confirmed(&tx, t).await?;
    let rebuilt = rebuild_all(read_editions(&tx, t).await?, &confirmed)?;
    write_history(&tx, t, &rebuilt).await?;
    let audit = audit
        .before(ambiguity_json(&before))
        .after(ambiguity_json(&after));
    insert_audit(&tx, t, &audit).await?;
    tx.commit().await.map_err(|e| store(t, at, e))?;
    Ok(after)
}

pub(super) async fn counts(s: &PgAccounts) -> Res<TableCounts> {
    let (t, at) = (&s.target, "count history rows");
    let g = s.client().await?;
    let r = g
        .as_ref()
        .expect("connected")
        .query_one(
            "SELECT (SELECT count(*) FROM civmap.history_editions),
                    (SELECT count(*) FROM civmap.history_edition_rows),
                    (SELECT count(*) FROM civmap.history_units),
                    (SELECT count(*) FROM civmap.history_unit_versions),
                    (SELECT count(*) FROM civmap.history_successions),
                    (SELECT count(*) FROM civmap.history_ambiguities)",
            &[],
        )
        .await
        .map_err(|e| store(t, at, e))?;
    let n = |i: usize| r.get::<_, i64>(i) as usize;
    Ok(TableCounts {
        editions: n(0),
        edition_rows: n(1),
        units: n(2),
        versions: n(3),
        successions: n(4),
        ambiguities: n(5),
    })
}
