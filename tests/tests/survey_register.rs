//! The survey register (markers, versions, inspections, validation exceptions) on both
//! stores — `accounts.sqlite` in a directory and PostGIS — with the same checks: every
//! write's audit row and its before/after, history and restore, uniqueness, every
//! validation error, and atomicity (a write whose audit row fails leaves nothing behind).

#[path = "common/pg.rs"]
mod pg;
#[path = "common/saboteur.rs"]
mod saboteur;

use civmap_data::accounts::{AccountStore, AuditQuery, AuditRecord};
use civmap_data::register::{
    MarkerChange, MarkerQuery, NewException, NewMarker, RegisterError, SurveyRegister,
};
use civmap_geo_core::survey::markers::{Inspection, MarkerKind, MarkerStatus};
use civmap_geo_core::survey::Rule;
use civmap_geo_core::AdminCode;

const M1: &str = "330102-330105-001A";

fn new_marker(number: &str, lon: f64, lat: f64) -> NewMarker {
    NewMarker {
        number: number.into(),
        line: "L-330102-330105".into(),
        lon,
        lat,
        kind: MarkerKind::A,
        status: MarkerStatus::Intact,
    }
}

fn rec(who: &str, action: &str, number: &str) -> AuditRecord {
    AuditRecord::new(who, action, format!("marker:{number}"))
}

fn inspection(date: &str, status: MarkerStatus, offset_m: Option<f64>) -> Inspection {
    Inspection {
        date: date.into(),
        inspector: "张工".into(),
        status,
        offset_m,
        note: None,
    }
}

async fn audit_rows(store: &AccountStore) -> Vec<civmap_data::accounts::AuditEntry> {
    store
        .audit_log(&AuditQuery {
            limit: 1000,
            ..AuditQuery::default()
        })
        .await
        .unwrap()
}

fn field_of(r: Result<impl std::fmt::Debug, RegisterError>) -> &'static str {
    match r {
        Err(RegisterError::Invalid { field, .. }) => field,
        other => panic!("expected a field error, got {other:?}"),
    }
}

/// The whole life of markers and exceptions; the same on both stores.
async fn exercise(store: &AccountStore) {
    let reg: SurveyRegister = store.register();
    let m = reg
        .create_marker(
            new_marker(M1, 120.105, 30.205),
            rec("li", "marker.create", M1),
        )
        .await
        .unwrap();
    assert_eq!((m.version, m.retired_ms), (1, None));
    let rows = audit_rows(store).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].record.action, "marker.create");
    assert_eq!(rows[0].record.before, None);
    let after = rows[0].record.after.as_ref().unwrap();
    assert_eq!(
        (after["number"].as_str(), after["lon"].as_f64()),
        (Some(M1), Some(120.105))
    );

    // uniqueness
    let dup = reg
        .create_marker(new_marker(M1, 120.1, 30.2), rec("li", "marker.create", M1))
        .await;
    assert!(matches!(dup, Err(RegisterError::Exists(_))), "{dup:?}");

    // every validation error names its field, and writes nothing
    let bad = |f: &dyn Fn(&mut NewMarker)| {
        let mut m = new_marker("9A", 120.1, 30.2);
        f(&mut m);
        m
    };
    let cases: Vec<(NewMarker, &str)> = vec![
        (bad(&|m| m.number = "9 A".into()), "number"),
        (bad(&|m| m.number = "-9A".into()), "number"),
        (bad(&|m| m.kind = MarkerKind::Q), "number"),
        (
            bad(&|m| m.number = format!("{}A", "1".repeat(40))),
            "number",
        ),
        (bad(&|m| m.line = " ".into()), "line"),
        (bad(&|m| m.line = "x".repeat(81)), "line"),
        (bad(&|m| m.lon = f64::NAN), "lon"),
        (bad(&|m| m.lon = 140.0), "lon"),
        (bad(&|m| m.lat = 60.0), "lat"),
        (bad(&|m| m.lat = f64::INFINITY), "lat"),
    ];
    for (m, field) in cases {
        let shown = format!("{m:?}");
        let r = reg.create_marker(m, rec("li", "marker.create", "9A")).await;
        assert_eq!(field_of(r), field, "{shown}");
    }
    let today = civmap_data::register::today_in_china();
    for (i, field) in [
        (inspection("2024-13-01", MarkerStatus::Intact, None), "date"),
        (inspection("24-01-01", MarkerStatus::Intact, None), "date"),
        (inspection("2999-01-01", MarkerStatus::Intact, None), "date"),
        (
            inspection("2024-01-01", MarkerStatus::Moved, Some(-0.1)),
            "offset_m",
        ),
        (
            inspection("2024-01-01", MarkerStatus::Moved, Some(f64::NAN)),
            "offset_m",
        ),
        (
            Inspection {
                inspector: "".into(),
                ..inspection("2024-01-01", MarkerStatus::Intact, None)
            },
            "inspector",
        ),
    ] {
        let r = reg
            .add_inspection(M1, i, rec("li", "marker.inspect", M1))
            .await;
        assert_eq!(field_of(r), field);
    }
    let r = reg
        .update_marker(M1, MarkerChange::default(), rec("li", "marker.update", M1))
        .await;
    assert_eq!(field_of(r), "body");
    let r = reg
        .update_marker(
            M1,
            MarkerChange {
                lat: Some(30.3),
                ..Default::default()
            },
            rec("li", "marker.update", M1),
        )
        .await;
    assert_eq!(field_of(r), "lon");
    assert_eq!(
        audit_rows(store).await.len(),
        1,
        "refused writes leave no audit row"
    );
    assert!(reg.marker("9A").await.unwrap().is_none());

    // a move: version 2, with before/after
    let moved = reg
        .update_marker(
            M1,
            MarkerChange {
                lon: Some(120.106),
                lat: Some(30.206),
                ..Default::default()
            },
            rec("wang", "marker.update", M1),
        )
        .await
        .unwrap();
    assert_eq!((moved.version, moved.marker.lon), (2, 120.106));
    let row = &audit_rows(store).await[0];
    assert_eq!(row.record.action, "marker.update");
    assert_eq!(row.record.before.as_ref().unwrap()["lon"], 120.105);
    assert_eq!(row.record.after.as_ref().unwrap()["lon"], 120.106);
    assert_eq!(row.record.after.as_ref().unwrap()["version"], 2);

    // an inspection today takes the status (version 3); an older one does not
    let i = reg
        .add_inspection(
            M1,
            inspection(&today, MarkerStatus::Damaged, Some(0.4)),
            rec("wang", "marker.inspect", M1),
        )
        .await
        .unwrap();
    assert_eq!((i.version, i.marker.status), (3, MarkerStatus::Damaged));
    let i = reg
        .add_inspection(
            M1,
            inspection("2020-02-29", MarkerStatus::Intact, None),
            rec("wang", "marker.inspect", M1),
        )
        .await
        .unwrap();
    assert_eq!((i.version, i.marker.status), (3, MarkerStatus::Damaged));
    let got = reg.marker(M1).await.unwrap().unwrap();
    let dates: Vec<&str> = got
        .marker
        .inspections
        .iter()
        .map(|i| i.date.as_str())
        .collect();
    assert_eq!(dates, ["2020-02-29", today.as_str()]);
    assert_eq!(got.marker.inspections[1].offset_m, Some(0.4));
    assert_eq!(got.marker.inspections[1].inspector, "张工");
    assert_eq!(got.version, 3);

    // history: contiguous versions, the last one open
    let h = reg.history(M1).await.unwrap();
    let actions: Vec<&str> = h.iter().map(|v| v.action.as_str()).collect();
    assert_eq!(actions, ["create", "update", "inspect"]);
    for w in h.windows(2) {
        assert_eq!(w[0].valid_to_ms, Some(w[1].valid_from_ms), "{w:?}");
    }
    assert_eq!(h[2].valid_to_ms, None);
    assert_eq!(
        (h[0].lon, h[1].lon, h[1].who.as_str()),
        (120.105, 120.106, "wang")
    );

    // retire: out of the register, not deleted
    let r = reg
        .retire_marker(M1, rec("wang", "marker.retire", M1))
        .await
        .unwrap();
    assert!(r.retired_ms.is_some());
    assert!(reg
        .markers(&MarkerQuery::default())
        .await
        .unwrap()
        .is_empty());
    let h = reg.history(M1).await.unwrap();
    assert!(h.iter().all(|v| v.valid_to_ms.is_some()), "{h:?}");
    for r in [
        reg.update_marker(
            M1,
            MarkerChange {
                status: Some(MarkerStatus::Lost),
                ..Default::default()
            },
            rec("wang", "marker.update", M1),
        )
        .await
        .map(|_| ()),
        reg.retire_marker(M1, rec("wang", "marker.retire", M1))
            .await
            .map(|_| ()),
    ] {
        assert!(matches!(r, Err(RegisterError::Retired(_))), "{r:?}");
    }
    let dup = reg
        .create_marker(new_marker(M1, 120.1, 30.2), rec("li", "marker.create", M1))
        .await;
    assert!(
        matches!(dup, Err(RegisterError::Exists(_))),
        "numbers are never reused"
    );

    // restore version 1: a new version equal to it, back in the register
    let r = reg
        .restore_marker(M1, 7, rec("wang", "marker.restore", M1))
        .await;
    assert!(
        matches!(r, Err(RegisterError::NoVersion { version: 7, .. })),
        "{r:?}"
    );
    let back = reg
        .restore_marker(M1, 1, rec("wang", "marker.restore", M1))
        .await
        .unwrap();
    assert_eq!(back.version, 4);
    assert_eq!(
        (
            back.marker.lon,
            back.marker.lat,
            back.marker.status,
            back.retired_ms
        ),
        (120.105, 30.205, MarkerStatus::Intact, None)
    );
    let row = &audit_rows(store).await[0];
    assert_eq!(row.record.action, "marker.restore");
    assert_eq!(row.record.before.as_ref().unwrap()["lon"], 120.106);
    assert_eq!(row.record.after.as_ref().unwrap()["lon"], 120.105);
    let h = reg.history(M1).await.unwrap();
    assert_eq!(h.len(), 4);
    assert_eq!((h[3].action.as_str(), h[3].valid_to_ms), ("restore", None));

    // list filters
    reg.create_marker(
        NewMarker {
            line: "L-other".into(),
            status: MarkerStatus::Lost,
            ..new_marker("5-2A", 121.5, 29.5)
        },
        rec("li", "marker.create", "5-2A"),
    )
    .await
    .unwrap();
    let count = |q: MarkerQuery| {
        let reg = reg.clone();
        async move { reg.markers(&q).await.unwrap().len() }
    };
    assert_eq!(count(MarkerQuery::default()).await, 2);
    let bbox = Some([120.0, 30.0, 120.2, 30.3]);
    assert_eq!(
        count(MarkerQuery {
            bbox,
            ..Default::default()
        })
        .await,
        1
    );
    let line = Some("L-other".to_owned());
    assert_eq!(
        count(MarkerQuery {
            line,
            ..Default::default()
        })
        .await,
        1
    );
    let status = Some(MarkerStatus::Intact);
    assert_eq!(
        count(MarkerQuery {
            status,
            ..Default::default()
        })
        .await,
        1
    );
    let listed = reg.markers(&MarkerQuery::default()).await.unwrap();
    assert_eq!(listed[0].marker.number, "330102-330105-001A");
    assert_eq!(
        listed[0].marker.inspections.len(),
        2,
        "lists carry inspections"
    );
    let r = reg
        .markers(&MarkerQuery {
            bbox: Some([121.0, 30.0, 120.0, 31.0]),
            ..Default::default()
        })
        .await;
    assert_eq!(field_of(r), "bbox");

    // exceptions: recorded, listed, withdrawn (never deleted)
    let codes = vec![
        AdminCode::parse("330102001002").unwrap(),
        AdminCode::parse("330102001001").unwrap(),
        AdminCode::parse("330102001002").unwrap(),
    ];
    let x = reg
        .add_exception(
            NewException {
                rule: Rule::Gap,
                codes: codes.clone(),
                marker: None,
                why: "2019 agreement".into(),
                expires: Some("2099-12-31".into()),
            },
            AuditRecord::new("wang", "exception.add", "exception:gap"),
        )
        .await
        .unwrap();
    assert_eq!(x.exception.codes.len(), 2, "sorted and deduplicated");
    assert_eq!(
        (x.exception.who.as_str(), x.exception.created.as_str()),
        ("wang", today.as_str())
    );
    for (e, field) in [
        (
            NewException {
                codes: vec![],
                ..x_new(&codes)
            },
            "codes",
        ),
        (
            NewException {
                why: " ".into(),
                ..x_new(&codes)
            },
            "why",
        ),
        (
            NewException {
                expires: Some("2020-01-01".into()),
                ..x_new(&codes)
            },
            "expires",
        ),
        (
            NewException {
                expires: Some("2020-1-1".into()),
                ..x_new(&codes)
            },
            "expires",
        ),
        (
            NewException {
                marker: Some(M1.into()),
                ..x_new(&codes)
            },
            "marker",
        ),
        (
            NewException {
                rule: Rule::MarkerOffLine,
                ..x_new(&codes)
            },
            "marker",
        ),
    ] {
        let r = reg
            .add_exception(
                e,
                AuditRecord::new("wang", "exception.add", "exception:gap"),
            )
            .await;
        assert_eq!(field_of(r), field);
    }
    let off_line = reg
        .add_exception(
            NewException {
                rule: Rule::MarkerOffLine,
                codes: vec![],
                marker: Some(M1.into()),
                ..x_new(&codes)
            },
            AuditRecord::new("wang", "exception.add", "exception:marker_off_line"),
        )
        .await
        .unwrap();
    assert_eq!(reg.exceptions(false).await.unwrap().len(), 2);
    let w = reg
        .withdraw_exception(
            x.exception.id,
            AuditRecord::new("li", "exception.withdraw", "exception:1"),
        )
        .await
        .unwrap();
    assert_eq!(w.withdrawn_by.as_deref(), Some("li"));
    let again = reg
        .withdraw_exception(
            x.exception.id,
            AuditRecord::new("li", "exception.withdraw", "exception:1"),
        )
        .await;
    assert!(
        matches!(again, Err(RegisterError::Withdrawn(_))),
        "{again:?}"
    );
    let none = reg
        .withdraw_exception(
            424242,
            AuditRecord::new("li", "exception.withdraw", "exception:424242"),
        )
        .await;
    assert!(
        matches!(none, Err(RegisterError::NoException(424242))),
        "{none:?}"
    );
    let live = reg.exceptions(false).await.unwrap();
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].exception.id, off_line.exception.id);
    let all = reg.exceptions(true).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].exception.expires.as_deref(), Some("2099-12-31"));
    assert_eq!(all[0].withdrawn_by.as_deref(), Some("li"));
    let row = &audit_rows(store).await[0];
    assert_eq!(row.record.action, "exception.withdraw");
    assert!(row.record.before.as_ref().unwrap()["withdrawn_by"].is_null());
    assert_eq!(row.record.after.as_ref().unwrap()["withdrawn_by"], "li");
}

fn x_new(codes: &[AdminCode]) -> NewException {
    NewException {
        rule: Rule::Gap,
        codes: codes.to_vec(),
        marker: None,
        why: "agreed".into(),
        expires: None,
    }
}

/// With the store refusing every audit row by `saboteur`, each of their writes fails and
/// leaves no trace: the register is as it was, and no audit row was written.
async fn atomicity(store: &AccountStore) {
    let reg = store.register();
    let before = audit_rows(store).await.len();
    let history_before = reg.history(M1).await.unwrap();
    let bad = "ATOM-1A";
    let r = reg
        .create_marker(
            new_marker(bad, 120.1, 30.2),
            rec("saboteur", "marker.create", bad),
        )
        .await;
    assert!(matches!(r, Err(RegisterError::Store { .. })), "{r:?}");
    assert!(
        reg.marker(bad).await.unwrap().is_none(),
        "the marker row was rolled back"
    );
    assert!(
        matches!(reg.history(bad).await, Err(RegisterError::NoMarker(_))),
        "versions rolled back"
    );
    let r = reg
        .update_marker(
            M1,
            MarkerChange {
                lon: Some(120.2),
                lat: Some(30.3),
                ..Default::default()
            },
            rec("saboteur", "marker.update", M1),
        )
        .await;
    assert!(matches!(r, Err(RegisterError::Store { .. })), "{r:?}");
    let r = reg
        .add_inspection(
            M1,
            inspection("2021-01-01", MarkerStatus::Lost, None),
            rec("saboteur", "marker.inspect", M1),
        )
        .await;
    assert!(matches!(r, Err(RegisterError::Store { .. })), "{r:?}");
    let r = reg
        .retire_marker(M1, rec("saboteur", "marker.retire", M1))
        .await;
    assert!(matches!(r, Err(RegisterError::Store { .. })), "{r:?}");
    let r = reg
        .add_exception(
            x_new(&[AdminCode::parse("330102001001").unwrap()]),
            rec("saboteur", "exception.add", "x"),
        )
        .await;
    assert!(matches!(r, Err(RegisterError::Store { .. })), "{r:?}");
    assert_eq!(
        reg.history(M1).await.unwrap(),
        history_before,
        "no version was added or ended"
    );
    let m = reg.marker(M1).await.unwrap().unwrap();
    assert_eq!(
        (m.marker.lon, m.marker.inspections.len(), m.retired_ms),
        (120.105, 2, None)
    );
    assert_eq!(reg.exceptions(true).await.unwrap().len(), 2);
    assert_eq!(audit_rows(store).await.len(), before, "no audit row");
}

#[tokio::test]
async fn sqlite_register_is_audited_reversible_and_atomic() {
    let dir = tempfile::tempdir().unwrap();
    let store = AccountStore::open_dir(dir.path()).unwrap();
    exercise(&store).await;
    saboteur::plant_sqlite(&dir.path().join("accounts.sqlite"));
    atomicity(&store).await;
    // reopening keeps everything (the register schema is applied again, idempotently)
    drop(store);
    let store = AccountStore::open_dir(dir.path()).unwrap();
    assert_eq!(store.register().history(M1).await.unwrap().len(), 4);
}

#[tokio::test]
async fn an_accounts_file_from_before_the_register_gains_its_tables() {
    let dir = tempfile::tempdir().unwrap();
    let conn = rusqlite::Connection::open(dir.path().join("accounts.sqlite")).unwrap();
    conn.execute_batch(include_str!("../../data/migrations/accounts.sqlite.sql"))
        .unwrap();
    conn.execute(
        "INSERT INTO audit (at_ms, who, action, target) VALUES (1, 'old', 'user.add', 'user:x')",
        [],
    )
    .unwrap();
    drop(conn);
    let store = AccountStore::open_dir(dir.path()).unwrap();
    store
        .register()
        .create_marker(
            new_marker("1A", 120.1, 30.2),
            rec("li", "marker.create", "1A"),
        )
        .await
        .unwrap();
    let rows = audit_rows(&store).await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].record.who, "old");
}

#[tokio::test(flavor = "multi_thread")]
async fn postgis_register_is_audited_reversible_and_atomic() {
    let db = pg::TestDb::create().await;
    let store = AccountStore::connect_pg(&db.url).await.unwrap();
    exercise(&store).await;
    let c = db.client().await;
    saboteur::plant_pg(&c).await;
    atomicity(&store).await;
    // the database's own checks back the store's
    let e = c
        .batch_execute(
            "INSERT INTO civmap.markers (number, line, lon, lat, kind, status, version)
             VALUES ('bad number', 'L', 120, 30, 'A', 'intact', 1)",
        )
        .await
        .expect_err("a bad number must be refused by the table too");
    assert!(format!("{e:?}").contains("check"), "{e:?}");
    let n: i64 = c
        .query_one("SELECT count(*) FROM civmap.marker_versions", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 5, "4 versions of M1, 1 of the second marker");
}
