//! The names tables in PostGIS (migration `0007_names.sql`), written through the accounts
//! store's connection, each write in one transaction with its audit row.

use tokio_postgres::{GenericClient, Row};

use super::{
    announcement_number, app_json, Announcement, HeritageEntry, NamesStoreError, ServedRename,
    ServedTable, Step, StoredApplication, StoredName, StoredReview,
};
use crate::accounts::pg::{db, insert_audit, PgAccounts};
use crate::accounts::AuditRecord;
use crate::postgis::target::Target;

type Res<T> = Result<T, NamesStoreError>;

fn store(t: &Target, at: &str, e: tokio_postgres::Error) -> NamesStoreError {
    db(t, at, e).into()
}

const APP_COLS: &str = "id, place, current_name, proposed_name, reason, applicant, \
    submitted::text, status, findings::text, notice_from::text, notice_until::text, \
    decided_by, decided_on::text, decision_note, heritage_override";

fn read_app(r: &Row) -> StoredApplication {
    let findings: String = r.get(8);
    StoredApplication {
        id: r.get(0),
        place: r.get(1),
        current_name: r.get(2),
        proposed_name: r.get(3),
        reason: r.get(4),
        applicant: r.get(5),
        submitted: r.get(6),
        status: r.get(7),
        findings: serde_json::from_str(&findings).unwrap_or_default(),
        notice_from: r.get(9),
        notice_until: r.get(10),
        decided_by: r.get(11),
        decided_on: r.get(12),
        decision_note: r.get(13),
        heritage_override: r.get(14),
        reviews: Vec::new(),
    }
}

const NAME_COLS: &str = "id, place, name, name_type, lang, valid_from::text, valid_to::text, \
    approval_ref, reading, application";

fn read_name(r: &Row) -> StoredName {
    StoredName {
        id: r.get(0),
        place: r.get(1),
        name: r.get(2),
        name_type: r.get(3),
        lang: r.get(4),
        valid_from: r.get(5),
        valid_to: r.get(6),
        approval_ref: r.get(7),
        reading: r.get(8),
        application: r.get(9),
    }
}

const ANN_COLS: &str =
    "number, application, date::text, place, old_name, new_name, unit, reason, approval_ref";

fn read_ann(r: &Row) -> Announcement {
    Announcement {
        number: r.get(0),
        application: r.get(1),
        date: r.get(2),
        place: r.get(3),
        old_name: r.get(4),
        new_name: r.get(5),
        unit: r.get(6),
        reason: r.get(7),
        approval_ref: r.get(8),
    }
}

const HERITAGE_COLS: &str = "name, place, category, note, listed_by, listed_on::text";

fn read_heritage(r: &Row) -> HeritageEntry {
    HeritageEntry {
        name: r.get(0),
        place: r.get(1),
        category: r.get(2),
        note: r.get(3),
        listed_by: r.get(4),
        listed_on: r.get(5),
    }
}

/// The `civmap_changes` payload of an approved name (`civmap_data::postgis::Change::Names`).
const NAMES_PAYLOAD: &str = r#"{"op":"names"}"#;

pub(super) async fn create_application(
    s: &PgAccounts,
    mut app: StoredApplication,
    audit: AuditRecord,
) -> Res<StoredApplication> {
    let (t, at) = (&s.target, "create naming application");
    let mut g = s.client().await?;
    let tx = g
        .as_mut()
        .expect("connected")
        .transaction()
        .await
        .map_err(|e| store(t, at, e))?;
    let row = tx
        .query_one(
            "INSERT INTO civmap.name_applications (place, current_name, proposed_name, reason,
                 applicant, submitted, status, findings, heritage_override)
             VALUES ($1, $2, $3, $4, $5, $6::text::date, $7, $8::text::jsonb, $9)
             RETURNING id",
            &[
                &app.place,
                &app.current_name,
                &app.proposed_name,
                &app.reason,
                &app.applicant,
                &app.submitted,
                &app.status,
                &app.findings.to_string(),
                &app.heritage_override,
            ],
        )
        .await
        .map_err(|e| store(t, at, e))?;
    app.id = row.get(0);
    let audit = AuditRecord {
        target: format!("name_application:{}", app.id),
        ..audit.after(app_json(&app))
    };
    insert_audit(&tx, t, &audit).await?;
    tx.commit().await.map_err(|e| store(t, at, e))?;
    Ok(app)
}

async fn insert_name(c: &impl GenericClient, t: &Target, n: &StoredName) -> Res<()> {
    c.execute(
        "INSERT INTO civmap.name_records (place, name, name_type, lang, valid_from, valid_to,
             approval_ref, reading, application)
         VALUES ($1, $2, $3, $4, $5::text::date, $6::text::date, $7, $8, $9)",
        &[
            &n.place,
            &n.name,
            &n.name_type,
            &n.lang,
            &n.valid_from,
            &n.valid_to,
            &n.approval_ref,
            &n.reading,
            &n.application,
        ],
    )
    .await
    .map_err(|e| store(t, "write name record", e))?;
    Ok(())
}

pub(super) async fn step(
    s: &PgAccounts,
    st: Step,
    audit: AuditRecord,
) -> Res<Option<Announcement>> {
    let (t, at) = (&s.target, "naming workflow step");
    let mut g = s.client().await?;
    let tx = g
        .as_mut()
        .expect("connected")
        .transaction()
        .await
        .map_err(|e| store(t, at, e))?;
    let a = &st.app;
    let now: String = tx
        .query_opt(
            "SELECT status FROM civmap.name_applications WHERE id = $1 FOR UPDATE",
            &[&a.id],
        )
        .await
        .map_err(|e| store(t, at, e))?
        .ok_or(NamesStoreError::NoApplication(a.id))?
        .get(0);
    if now != st.from_status {
        return Err(NamesStoreError::Conflict {
            id: a.id,
            expected: st.from_status.clone(),
            now,
        });
    }
    tx.execute(
        "UPDATE civmap.name_applications SET status = $2, notice_from = $3::text::date,
             notice_until = $4::text::date, decided_by = $5, decided_on = $6::text::date,
             decision_note = $7
         WHERE id = $1",
        &[
            &a.id,
            &a.status,
            &a.notice_from,
            &a.notice_until,
            &a.decided_by,
            &a.decided_on,
            &a.decision_note,
        ],
    )
    .await
    .map_err(|e| store(t, at, e))?;
    if let Some(r) = &st.review {
        tx.execute(
            "INSERT INTO civmap.application_reviews (application, who, verdict, comment, on_day)
             VALUES ($1, $2, $3, $4, $5::text::date)",
            &[&a.id, &r.who, &r.verdict, &r.comment, &r.on],
        )
        .await
        .map_err(|e| store(t, "write review", e))?;
    }
    let mut filed = None;
    if let Some(w) = &st.approval {
        let ended = tx
            .execute(
                "UPDATE civmap.name_records SET name_type = 'former', valid_to = $3::text::date
                 WHERE place = $1 AND lang = $2 AND name_type = 'standard' AND valid_to IS NULL",
                &[&w.standard.place, &w.standard.lang, &w.standard.valid_from],
            )
            .await
            .map_err(|e| store(t, "end standard name", e))?;
        if ended == 0 {
            if let Some(f) = &w.former {
                insert_name(&tx, t, f).await?;
            }
        }
        insert_name(&tx, t, &w.standard).await?;
        if let Some(r) = &w.served {
            rename_served(&tx, t, r).await?;
        }
        // every follower re-reads the registry once this commits (a road's rename changes
        // no served row, so no row trigger would say it)
        tx.execute("SELECT pg_notify('civmap_changes', $1)", &[&NAMES_PAYLOAD])
            .await
            .map_err(|e| store(t, "notify followers", e))?;
        // one numberer at a time
        tx.batch_execute("LOCK TABLE civmap.announcements IN SHARE ROW EXCLUSIVE MODE")
            .await
            .map_err(|e| store(t, "number announcement", e))?;
        let year = w.announcement.date.get(..4).unwrap_or("0000").to_owned();
        let n: i64 = tx
            .query_one(
                "SELECT count(*) FROM civmap.announcements WHERE to_char(date, 'YYYY') = $1",
                &[&year],
            )
            .await
            .map_err(|e| store(t, "number announcement", e))?
            .get(0);
        let mut ann = w.announcement.clone();
        ann.number = announcement_number(&ann.date, n + 1);
        tx.execute(
            &format!(
                "INSERT INTO civmap.announcements ({ANN_COLS})
                 VALUES ($1, $2, $3::text::date, $4, $5, $6, $7, $8, $9)"
            )
            .replace("date::text", "date"),
            &[
                &ann.number,
                &ann.application,
                &ann.date,
                &ann.place,
                &ann.old_name,
                &ann.new_name,
                &ann.unit,
                &ann.reason,
                &ann.approval_ref,
            ],
        )
        .await
        .map_err(|e| store(t, "file announcement", e))?;
        filed = Some(ann);
    }
    let mut after = app_json(a);
    if let Some(ann) = &filed {
        after["announcement"] = serde_json::to_value(ann).unwrap_or_default();
    }
    insert_audit(&tx, t, &audit.after(after)).await?;
    tx.commit().await.map_err(|e| store(t, at, e))?;
    Ok(filed)
}

/// Renames the served record in its data table (its row trigger notifies the followers).
async fn rename_served(c: &impl GenericClient, t: &Target, r: &ServedRename) -> Res<()> {
    let key = match r.table {
        ServedTable::AdminUnits => "code",
        ServedTable::Facilities | ServedTable::Landmarks => "id",
    };
    let table = r.table.as_str();
    let n = c
        .execute(
            &format!("UPDATE civmap.{table} SET name = $2 WHERE {key} = $1"),
            &[&r.id, &r.name],
        )
        .await
        .map_err(|e| store(t, "rename the served record", e))?;
    if n != 1 {
        return Err(NamesStoreError::NoServedRecord {
            table,
            id: r.id.clone(),
        });
    }
    Ok(())
}

async fn all<T>(s: &PgAccounts, at: &str, sql: &str, read: fn(&Row) -> T) -> Res<Vec<T>> {
    let t = &s.target;
    let g = s.client().await?;
    let rows = g
        .as_ref()
        .expect("connected")
        .query(sql, &[])
        .await
        .map_err(|e| store(t, at, e))?;
    Ok(rows.iter().map(read).collect())
}

pub(super) async fn applications(s: &PgAccounts) -> Res<Vec<StoredApplication>> {
    let sql = format!("SELECT {APP_COLS} FROM civmap.name_applications ORDER BY id");
    let mut apps = all(s, "read naming applications", &sql, read_app).await?;
    let reviews = all(
        s,
        "read reviews",
        "SELECT application, who, verdict, comment, on_day::text
         FROM civmap.application_reviews ORDER BY id",
        |r| {
            (
                r.get::<_, i64>(0),
                StoredReview {
                    who: r.get(1),
                    verdict: r.get(2),
                    comment: r.get(3),
                    on: r.get(4),
                },
            )
        },
    )
    .await?;
    for (id, r) in reviews {
        if let Some(a) = apps.iter_mut().find(|a| a.id == id) {
            a.reviews.push(r);
        }
    }
    Ok(apps)
}

pub(super) async fn records(s: &PgAccounts) -> Res<Vec<StoredName>> {
    let sql = format!("SELECT {NAME_COLS} FROM civmap.name_records ORDER BY id");
    all(s, "read name records", &sql, read_name).await
}

pub(super) async fn announcements(s: &PgAccounts) -> Res<Vec<Announcement>> {
    let sql = format!("SELECT {ANN_COLS} FROM civmap.announcements ORDER BY date, number");
    all(s, "read announcements", &sql, read_ann).await
}

pub(super) async fn heritage(s: &PgAccounts) -> Res<Vec<HeritageEntry>> {
    let sql = format!("SELECT {HERITAGE_COLS} FROM civmap.heritage_list ORDER BY name");
    all(s, "read heritage list", &sql, read_heritage).await
}

async fn find_heritage(
    c: &impl GenericClient,
    t: &Target,
    name: &str,
) -> Res<Option<HeritageEntry>> {
    let row = c
        .query_opt(
            &format!("SELECT {HERITAGE_COLS} FROM civmap.heritage_list WHERE name = $1 FOR UPDATE"),
            &[&name],
        )
        .await
        .map_err(|e| store(t, "read heritage list", e))?;
    Ok(row.as_ref().map(read_heritage))
}

pub(super) async fn list_heritage(
    s: &PgAccounts,
    e: HeritageEntry,
    audit: AuditRecord,
) -> Res<HeritageEntry> {
    let (t, at) = (&s.target, "list heritage name");
    let mut g = s.client().await?;
    let tx = g
        .as_mut()
        .expect("connected")
        .transaction()
        .await
        .map_err(|x| store(t, at, x))?;
    let inserted = tx
        .execute(
            "INSERT INTO civmap.heritage_list (name, place, category, note, listed_by, listed_on)
             VALUES ($1, $2, $3, $4, $5, $6::text::date) ON CONFLICT (name) DO NOTHING",
            &[
                &e.name,
                &e.place,
                &e.category,
                &e.note,
                &e.listed_by,
                &e.listed_on,
            ],
        )
        .await
        .map_err(|x| store(t, at, x))?;
    if inserted == 0 {
        return Err(NamesStoreError::AlreadyListed(e.name));
    }
    insert_audit(&tx, t, &audit).await?;
    tx.commit().await.map_err(|x| store(t, at, x))?;
    Ok(e)
}

pub(super) async fn unlist_heritage(
    s: &PgAccounts,
    name: &str,
    audit: AuditRecord,
) -> Res<HeritageEntry> {
    let (t, at) = (&s.target, "unlist heritage name");
    let mut g = s.client().await?;
    let tx = g
        .as_mut()
        .expect("connected")
        .transaction()
        .await
        .map_err(|x| store(t, at, x))?;
    let e = find_heritage(&tx, t, name)
        .await?
        .ok_or_else(|| NamesStoreError::NotListed(name.to_owned()))?;
    tx.execute("DELETE FROM civmap.heritage_list WHERE name = $1", &[&name])
        .await
        .map_err(|x| store(t, at, x))?;
    let audit = audit.before(serde_json::to_value(&e).unwrap_or_default());
    insert_audit(&tx, t, &audit).await?;
    tx.commit().await.map_err(|x| store(t, at, x))?;
    Ok(e)
}
