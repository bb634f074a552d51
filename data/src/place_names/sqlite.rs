//! The names tables in `accounts.sqlite` (`names.sqlite.sql`), written through the accounts
//! store's IMMEDIATE transactions with their audit rows.

use rusqlite::{params, OptionalExtension, Transaction};

use super::{
    announcement_number, app_json, Announcement, HeritageEntry, NamesStoreError, Step,
    StoredApplication, StoredName, StoredReview,
};
use crate::accounts::now_ms;
use crate::accounts::sqlite::{err, insert_audit, SqliteAccounts};
use crate::accounts::AuditRecord;

type Res<T> = Result<T, NamesStoreError>;

fn store(shown: &str, at: &str, e: impl std::fmt::Display) -> NamesStoreError {
    err(shown, at, e).into()
}

const APP_COLS: &str = "id, place, current_name, proposed_name, reason, applicant, submitted, \
    status, findings, notice_from, notice_until, decided_by, decided_on, decision_note, \
    heritage_override";

fn read_app(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredApplication> {
    let findings: String = r.get(8)?;
    Ok(StoredApplication {
        id: r.get(0)?,
        place: r.get(1)?,
        current_name: r.get(2)?,
        proposed_name: r.get(3)?,
        reason: r.get(4)?,
        applicant: r.get(5)?,
        submitted: r.get(6)?,
        status: r.get(7)?,
        findings: serde_json::from_str(&findings).unwrap_or_default(),
        notice_from: r.get(9)?,
        notice_until: r.get(10)?,
        decided_by: r.get(11)?,
        decided_on: r.get(12)?,
        decision_note: r.get(13)?,
        heritage_override: r.get(14)?,
        reviews: Vec::new(),
    })
}

const NAME_COLS: &str =
    "id, place, name, name_type, lang, valid_from, valid_to, approval_ref, reading, application";

fn read_name(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredName> {
    Ok(StoredName {
        id: r.get(0)?,
        place: r.get(1)?,
        name: r.get(2)?,
        name_type: r.get(3)?,
        lang: r.get(4)?,
        valid_from: r.get(5)?,
        valid_to: r.get(6)?,
        approval_ref: r.get(7)?,
        reading: r.get(8)?,
        application: r.get(9)?,
    })
}

const ANN_COLS: &str =
    "number, application, date, place, old_name, new_name, unit, reason, approval_ref";

fn read_ann(r: &rusqlite::Row<'_>) -> rusqlite::Result<Announcement> {
    Ok(Announcement {
        number: r.get(0)?,
        application: r.get(1)?,
        date: r.get(2)?,
        place: r.get(3)?,
        old_name: r.get(4)?,
        new_name: r.get(5)?,
        unit: r.get(6)?,
        reason: r.get(7)?,
        approval_ref: r.get(8)?,
    })
}

const HERITAGE_COLS: &str = "name, place, category, note, listed_by, listed_on";

fn read_heritage(r: &rusqlite::Row<'_>) -> rusqlite::Result<HeritageEntry> {
    Ok(HeritageEntry {
        name: r.get(0)?,
        place: r.get(1)?,
        category: r.get(2)?,
        note: r.get(3)?,
        listed_by: r.get(4)?,
        listed_on: r.get(5)?,
    })
}

pub(super) async fn create_application(
    s: &SqliteAccounts,
    mut app: StoredApplication,
    audit: AuditRecord,
) -> Res<StoredApplication> {
    s.write("create naming application", move |tx, shown| {
        let at = "create naming application";
        tx.execute(
            "INSERT INTO name_applications (place, current_name, proposed_name, reason, applicant,
                 submitted, status, findings, heritage_override, created_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                app.place,
                app.current_name,
                app.proposed_name,
                app.reason,
                app.applicant,
                app.submitted,
                app.status,
                app.findings.to_string(),
                app.heritage_override,
                now_ms()
            ],
        )
        .map_err(|e| store(shown, at, e))?;
        app.id = tx.last_insert_rowid();
        let audit = audit.after(app_json(&app));
        let audit = AuditRecord {
            target: format!("name_application:{}", app.id),
            ..audit
        };
        insert_audit(tx, &audit).map_err(|e| store(shown, "audit", e))?;
        Ok(app)
    })
    .await
}

fn status_of(tx: &Transaction<'_>, shown: &str, id: i64) -> Res<String> {
    tx.query_row(
        "SELECT status FROM name_applications WHERE id = ?1",
        [id],
        |r| r.get(0),
    )
    .optional()
    .map_err(|e| store(shown, "read naming application", e))?
    .ok_or(NamesStoreError::NoApplication(id))
}

fn insert_name(tx: &Transaction<'_>, shown: &str, n: &StoredName) -> Res<()> {
    tx.execute(
        "INSERT INTO name_records (place, name, name_type, lang, valid_from, valid_to,
             approval_ref, reading, application, created_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            n.place,
            n.name,
            n.name_type,
            n.lang,
            n.valid_from,
            n.valid_to,
            n.approval_ref,
            n.reading,
            n.application,
            now_ms()
        ],
    )
    .map_err(|e| store(shown, "write name record", e))?;
    Ok(())
}

pub(super) async fn step(
    s: &SqliteAccounts,
    st: Step,
    audit: AuditRecord,
) -> Res<Option<Announcement>> {
    s.write("naming workflow step", move |tx, shown| {
        let at = "naming workflow step";
        let a = &st.app;
        let now = status_of(tx, shown, a.id)?;
        if now != st.from_status {
            return Err(NamesStoreError::Conflict {
                id: a.id,
                expected: st.from_status.clone(),
                now,
            });
        }
        tx.execute(
            "UPDATE name_applications SET status = ?2, notice_from = ?3, notice_until = ?4,
                 decided_by = ?5, decided_on = ?6, decision_note = ?7
             WHERE id = ?1",
            params![
                a.id,
                a.status,
                a.notice_from,
                a.notice_until,
                a.decided_by,
                a.decided_on,
                a.decision_note
            ],
        )
        .map_err(|e| store(shown, at, e))?;
        if let Some(r) = &st.review {
            tx.execute(
                "INSERT INTO application_reviews (application, who, verdict, comment, on_day, created_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![a.id, r.who, r.verdict, r.comment, r.on, now_ms()],
            )
            .map_err(|e| store(shown, "write review", e))?;
        }
        let mut filed = None;
        if let Some(w) = &st.approval {
            let ended = tx
                .execute(
                    "UPDATE name_records SET name_type = 'former', valid_to = ?3
                     WHERE place = ?1 AND lang = ?2 AND name_type = 'standard' AND valid_to IS NULL",
                    params![w.standard.place, w.standard.lang, w.standard.valid_from],
                )
                .map_err(|e| store(shown, "end standard name", e))?;
            if ended == 0 {
                if let Some(f) = &w.former {
                    insert_name(tx, shown, f)?;
                }
            }
            insert_name(tx, shown, &w.standard)?;
            let year = w.announcement.date.get(..4).unwrap_or("0000").to_owned();
            let n: i64 = tx
                .query_row(
                    "SELECT count(*) FROM announcements WHERE substr(date, 1, 4) = ?1",
                    [&year],
                    |r| r.get(0),
                )
                .map_err(|e| store(shown, "number announcement", e))?;
            let mut ann = w.announcement.clone();
            ann.number = announcement_number(&ann.date, n + 1);
            tx.execute(
                &format!(
                    "INSERT INTO announcements ({ANN_COLS}, created_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
                ),
                params![
                    ann.number,
                    ann.application,
                    ann.date,
                    ann.place,
                    ann.old_name,
                    ann.new_name,
                    ann.unit,
                    ann.reason,
                    ann.approval_ref,
                    now_ms()
                ],
            )
            .map_err(|e| store(shown, "file announcement", e))?;
            filed = Some(ann);
        }
        let mut after = app_json(a);
        if let Some(ann) = &filed {
            after["announcement"] = serde_json::to_value(ann).unwrap_or_default();
        }
        insert_audit(tx, &audit.after(after)).map_err(|e| store(shown, "audit", e))?;
        Ok(filed)
    })
    .await
}

pub(super) async fn applications(s: &SqliteAccounts) -> Res<Vec<StoredApplication>> {
    let shown = s.shown();
    s.with("read naming applications", move |c| {
        let at = "read naming applications";
        let mut st = c
            .prepare(&format!(
                "SELECT {APP_COLS} FROM name_applications ORDER BY id"
            ))
            .map_err(|e| store(&shown, at, e))?;
        let mut apps = st
            .query_map([], read_app)
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| store(&shown, at, e))?;
        let mut st = c
            .prepare(
                "SELECT application, who, verdict, comment, on_day FROM application_reviews
                 ORDER BY id",
            )
            .map_err(|e| store(&shown, at, e))?;
        let reviews = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    StoredReview {
                        who: r.get(1)?,
                        verdict: r.get(2)?,
                        comment: r.get(3)?,
                        on: r.get(4)?,
                    },
                ))
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| store(&shown, at, e))?;
        for (id, r) in reviews {
            if let Some(a) = apps.iter_mut().find(|a| a.id == id) {
                a.reviews.push(r);
            }
        }
        Ok(apps)
    })
    .await
}

async fn all<T: Send + 'static>(
    s: &SqliteAccounts,
    at: &'static str,
    sql: String,
    read: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Res<Vec<T>> {
    let shown = s.shown();
    s.with(at, move |c| {
        let mut st = c.prepare(&sql).map_err(|e| store(&shown, at, e))?;
        st.query_map([], read)
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| store(&shown, at, e))
    })
    .await
}

pub(super) async fn records(s: &SqliteAccounts) -> Res<Vec<StoredName>> {
    let sql = format!("SELECT {NAME_COLS} FROM name_records ORDER BY id");
    all(s, "read name records", sql, read_name).await
}

pub(super) async fn announcements(s: &SqliteAccounts) -> Res<Vec<Announcement>> {
    let sql = format!("SELECT {ANN_COLS} FROM announcements ORDER BY date, number");
    all(s, "read announcements", sql, read_ann).await
}

pub(super) async fn heritage(s: &SqliteAccounts) -> Res<Vec<HeritageEntry>> {
    let sql = format!("SELECT {HERITAGE_COLS} FROM heritage_list ORDER BY name");
    all(s, "read heritage list", sql, read_heritage).await
}

fn find_heritage(tx: &Transaction<'_>, shown: &str, name: &str) -> Res<Option<HeritageEntry>> {
    tx.query_row(
        &format!("SELECT {HERITAGE_COLS} FROM heritage_list WHERE name = ?1"),
        [name],
        read_heritage,
    )
    .optional()
    .map_err(|e| store(shown, "read heritage list", e))
}

pub(super) async fn list_heritage(
    s: &SqliteAccounts,
    e: HeritageEntry,
    audit: AuditRecord,
) -> Res<HeritageEntry> {
    s.write("list heritage name", move |tx, shown| {
        if find_heritage(tx, shown, &e.name)?.is_some() {
            return Err(NamesStoreError::AlreadyListed(e.name.clone()));
        }
        tx.execute(
            &format!("INSERT INTO heritage_list ({HERITAGE_COLS}, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
            params![e.name, e.place, e.category, e.note, e.listed_by, e.listed_on, now_ms()],
        )
        .map_err(|x| store(shown, "list heritage name", x))?;
        insert_audit(tx, &audit).map_err(|x| store(shown, "audit", x))?;
        Ok(e)
    })
    .await
}

pub(super) async fn unlist_heritage(
    s: &SqliteAccounts,
    name: String,
    audit: AuditRecord,
) -> Res<HeritageEntry> {
    s.write("unlist heritage name", move |tx, shown| {
        let e = find_heritage(tx, shown, &name)?.ok_or(NamesStoreError::NotListed(name.clone()))?;
        tx.execute("DELETE FROM heritage_list WHERE name = ?1", [&name])
            .map_err(|x| store(shown, "unlist heritage name", x))?;
        let audit = audit.before(serde_json::to_value(&e).unwrap_or_default());
        insert_audit(tx, &audit).map_err(|x| store(shown, "audit", x))?;
        Ok(e)
    })
    .await
}
