//! The name registry's stored part and the naming workflow on both stores —
//! `accounts.sqlite` in a directory and PostGIS (migration 0007) — with the same checks: a
//! rename through every step leaves the old name stored as `former` with its end date and
//! the new one as `standard` from that day, each step with its audit row, the announcement
//! numbered per year, a step that lost the race refused, reviews and announcements
//! append-only, and the heritage list with its audit rows.

#[path = "common/pg.rs"]
mod pg;

use civmap_data::accounts::{AccountStore, AuditQuery, AuditRecord};
use civmap_data::place_names::{
    Announcement, ApprovalWrite, HeritageEntry, NamesStoreError, Step, StoredApplication,
    StoredName, StoredReview,
};

const PLACE: &str = "unit/330105014000";

fn application() -> StoredApplication {
    StoredApplication {
        id: 0,
        place: PLACE.into(),
        current_name: Some("长庆街道".into()),
        proposed_name: "长庆新街道".into(),
        reason: "test".into(),
        applicant: "li".into(),
        submitted: "2026-01-05".into(),
        status: "checked".into(),
        findings: serde_json::json!([{"rule": "duplicate", "detail": "d", "clause": "c"}]),
        notice_from: None,
        notice_until: None,
        decided_by: None,
        decided_on: None,
        decision_note: None,
        heritage_override: false,
        reviews: Vec::new(),
    }
}

fn name(n: &str, t: &str, from: Option<&str>, to: Option<&str>) -> StoredName {
    StoredName {
        id: 0,
        place: PLACE.into(),
        name: n.into(),
        name_type: t.into(),
        lang: "zh-Hans".into(),
        valid_from: from.map(str::to_owned),
        valid_to: to.map(str::to_owned),
        approval_ref: Some("杭政函〔2026〕1号".into()),
        reading: None,
        application: None,
    }
}

fn rec(action: &str) -> AuditRecord {
    AuditRecord::new("admin", action, "name_application:x")
}

async fn actions(store: &AccountStore) -> Vec<String> {
    let mut rows = store
        .audit_log(&AuditQuery {
            limit: 100,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    rows.reverse();
    rows.into_iter().map(|r| r.record.action).collect()
}

/// One rename through every step, on either store.
async fn exercise(store: &AccountStore) {
    let names = store.place_names();
    let a = names
        .create_application(application(), rec("names.application.create"))
        .await
        .unwrap();
    assert!(a.id > 0);
    let mut next = a.clone();
    next.status = "reviewed".into();
    let review = StoredReview {
        who: "wang".into(),
        verdict: "support".into(),
        comment: "符合规范".into(),
        on: "2026-01-06".into(),
    };
    let step = |from: &str, app: &StoredApplication| Step {
        from_status: from.into(),
        app: app.clone(),
        review: None,
        approval: None,
    };
    let mut s = step("checked", &next);
    s.review = Some(review.clone());
    names
        .step(s, rec("names.application.review"))
        .await
        .unwrap();
    // a second writer that also started from `checked` lost the race
    let e = names
        .step(step("checked", &next), rec("names.application.review"))
        .await
        .unwrap_err();
    assert!(matches!(e, NamesStoreError::Conflict { .. }), "{e}");
    next.status = "notice".into();
    next.notice_from = Some("2026-01-07".into());
    next.notice_until = Some("2026-02-05".into());
    names
        .step(step("reviewed", &next), rec("names.application.notice"))
        .await
        .unwrap();
    next.status = "approved".into();
    next.decided_by = Some("admin".into());
    next.decided_on = Some("2026-02-06".into());
    let mut standard = name("长庆新街道", "standard", Some("2026-02-06"), None);
    standard.application = Some(a.id);
    let approval = ApprovalWrite {
        standard,
        former: Some(name("长庆街道", "former", None, Some("2026-02-06"))),
        announcement: Announcement {
            number: String::new(),
            application: a.id,
            date: "2026-02-06".into(),
            place: PLACE.into(),
            old_name: Some("长庆街道".into()),
            new_name: "长庆新街道".into(),
            unit: "杭州市民政局".into(),
            reason: "test".into(),
            approval_ref: "杭政函〔2026〕1号".into(),
        },
        served: None,
    };
    let mut s = step("notice", &next);
    s.approval = Some(approval);
    let filed = names
        .step(s, rec("names.application.approve"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(filed.number, "2026-0001");

    // the old name is stored as former with its end day, the new one as standard from it
    let records = names.records().await.unwrap();
    let former = records.iter().find(|r| r.name == "长庆街道").unwrap();
    assert_eq!(
        (former.name_type.as_str(), former.valid_to.as_deref()),
        ("former", Some("2026-02-06"))
    );
    let now = records.iter().find(|r| r.name == "长庆新街道").unwrap();
    assert_eq!(
        (
            now.name_type.as_str(),
            now.valid_from.as_deref(),
            now.valid_to.as_deref()
        ),
        ("standard", Some("2026-02-06"), None)
    );
    let apps = names.applications().await.unwrap();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0].status, "approved");
    assert_eq!(apps[0].reviews, vec![review]);
    assert_eq!(apps[0].findings[0]["rule"], "duplicate");
    assert_eq!(apps[0].notice_until.as_deref(), Some("2026-02-05"));
    let anns = names.announcements().await.unwrap();
    assert_eq!(anns.len(), 1);
    assert_eq!(anns[0].unit, "杭州市民政局");

    // a second rename ends the stored standard name instead of storing the old one again
    let b = names
        .create_application(application(), rec("names.application.create"))
        .await
        .unwrap();
    let mut nb = b.clone();
    nb.status = "approved".into();
    let later = Announcement {
        number: String::new(),
        application: b.id,
        date: "2026-05-01".into(),
        ..anns[0].clone()
    };
    let mut s = step("checked", &nb);
    s.approval = Some(ApprovalWrite {
        standard: name("长庆二街道", "standard", Some("2026-05-01"), None),
        former: Some(name("长庆新街道", "former", None, Some("2026-05-01"))),
        announcement: later,
        served: None,
    });
    let filed = names
        .step(s, rec("names.application.approve"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(filed.number, "2026-0002");
    let records = names.records().await.unwrap();
    let ended: Vec<_> = records.iter().filter(|r| r.name == "长庆新街道").collect();
    assert_eq!(ended.len(), 1, "{records:?}");
    assert_eq!(
        (
            ended[0].name_type.as_str(),
            ended[0].valid_from.as_deref(),
            ended[0].valid_to.as_deref()
        ),
        ("former", Some("2026-02-06"), Some("2026-05-01"))
    );

    // the heritage list
    let entry = HeritageEntry {
        name: "长庆二街道".into(),
        place: Some(PLACE.into()),
        category: "历史地名".into(),
        note: String::new(),
        listed_by: "admin".into(),
        listed_on: "2026-05-02".into(),
    };
    names
        .list_heritage(entry.clone(), rec("names.heritage.add"))
        .await
        .unwrap();
    let e = names
        .list_heritage(entry.clone(), rec("names.heritage.add"))
        .await
        .unwrap_err();
    assert!(matches!(e, NamesStoreError::AlreadyListed(_)), "{e}");
    assert_eq!(names.heritage().await.unwrap(), vec![entry]);
    names
        .unlist_heritage("长庆二街道", rec("names.heritage.remove"))
        .await
        .unwrap();
    assert!(names.heritage().await.unwrap().is_empty());
    let e = names
        .unlist_heritage("长庆二街道", rec("names.heritage.remove"))
        .await
        .unwrap_err();
    assert!(matches!(e, NamesStoreError::NotListed(_)), "{e}");

    // one audit row per write that happened (the refused ones left none)
    assert_eq!(
        actions(store).await,
        [
            "names.application.create",
            "names.application.review",
            "names.application.notice",
            "names.application.approve",
            "names.application.create",
            "names.application.approve",
            "names.heritage.add",
            "names.heritage.remove",
        ]
    );
}

#[tokio::test]
async fn sqlite_rename_keeps_the_old_name_with_its_date_and_every_step_audited() {
    let dir = tempfile::tempdir().unwrap();
    let store = AccountStore::open_dir(dir.path()).unwrap();
    exercise(&store).await;
    let conn = rusqlite::Connection::open(dir.path().join("accounts.sqlite")).unwrap();
    for sql in [
        "UPDATE application_reviews SET comment = 'x'",
        "DELETE FROM announcements",
    ] {
        let e = conn.execute(sql, []).unwrap_err();
        assert!(e.to_string().contains("append-only"), "{e}");
    }
    drop(conn);
    drop(store);
    let store = AccountStore::open_dir(dir.path()).unwrap();
    assert_eq!(store.place_names().records().await.unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn postgis_rename_keeps_the_old_name_with_its_date_and_every_step_audited() {
    let db = pg::TestDb::create().await;
    let store = AccountStore::connect_pg(&db.url).await.unwrap();
    exercise(&store).await;
    let c = db.client().await;
    let v: i32 = c
        .query_one(
            "SELECT version FROM civmap.schema_migrations WHERE version = 7",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(v, 7);
    for sql in [
        "UPDATE civmap.application_reviews SET comment = 'x'",
        "DELETE FROM civmap.announcements",
    ] {
        let e = c.batch_execute(sql).await.unwrap_err();
        assert!(format!("{e:?}").contains("append-only"), "{e:?}");
    }
    // one current standard name per place and language, enforced by the table too
    let e = c
        .batch_execute(&format!(
            "INSERT INTO civmap.name_records (place, name, name_type, lang)
             VALUES ('{PLACE}', '又一街道', 'standard', 'zh-Hans')"
        ))
        .await
        .unwrap_err();
    assert!(
        format!("{e:?}").contains("name_records_one_standard"),
        "{e:?}"
    );
}
