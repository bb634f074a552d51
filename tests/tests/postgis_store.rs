//! The PostGIS store against a real PostgreSQL 15 + PostGIS: round trips, transactions,
//! migrations, live change notifications and errors that name what is wrong.
//!
//! Needs `CIVMAP_TEST_PG_URL` (scripts/test.sh sets it up; by hand:
//! `eval $(bash scripts/pg-cluster.sh start)`). Each test works in a database of its own.

#[path = "common/pg.rs"]
mod pg;

use std::time::{Duration, Instant};

use civmap_data::postgis::{listen, Change, ChangeTable, PgStore};
use civmap_data::synthetic::{generate, GeneratorConfig};
use civmap_geo_core::{
    AdminCode, AdminLevel, AdminUnit, Dataset, DatasetMeta, Doorplate, Facility,
    FacilityAttributes, FacilityCategory, Landmark, WalkNetwork,
};
use geo::{coord, polygon, MultiPolygon, Point};
use pg::{DedicatedCluster, TestDb};
use tokio::sync::mpsc;

/// A small city with every layer and every optional field both set and unset.
fn small_city() -> Dataset {
    let code = |s: &str| AdminCode::parse(s).unwrap();
    let square = |x: f64, y: f64, d: f64| {
        MultiPolygon(vec![polygon![
            (x: x, y: y), (x: x + d, y: y), (x: x + d, y: y + d), (x: x, y: y + d)
        ]])
    };
    let admin = vec![
        AdminUnit {
            code: code("330100000000"),
            name: "杭州市".into(),
            level: AdminLevel::City,
            parent: None,
            kind: "city".into(),
            geometry: square(120.0, 30.0, 0.5),
            population: 12_000_000,
            elderly: 2_000_000,
            synthetic: false,
        },
        AdminUnit {
            code: code("330106000000"),
            name: "西湖区".into(),
            level: AdminLevel::District,
            parent: Some(code("330100000000")),
            kind: String::new(),
            geometry: MultiPolygon(vec![
                polygon![
                    exterior: [(x: 120.1, y: 30.2), (x: 120.2, y: 30.2), (x: 120.2, y: 30.3), (x: 120.1, y: 30.3)],
                    interiors: [[(x: 120.12, y: 30.22), (x: 120.13, y: 30.22), (x: 120.13, y: 30.23)]],
                ],
                polygon![(x: 120.3, y: 30.2), (x: 120.31, y: 30.2), (x: 120.3, y: 30.21)],
            ]),
            population: 1_100_000,
            elderly: 200_000,
            synthetic: true,
        },
    ];
    let facility =
        |id: &str, category, lon: f64, attributes, admin_code: Option<AdminCode>| Facility {
            id: id.into(),
            name: format!("设施 {id}"),
            category,
            location: Point::new(lon, 30.25 + lon / 1e4),
            address: if admin_code.is_some() {
                "文三路12号".into()
            } else {
                String::new()
            },
            admin_code,
            attributes,
            synthetic: id.ends_with('s'),
        };
    let facilities = vec![
        facility(
            "f1",
            FacilityCategory::ElderCanteen,
            120.151_234_567_890_12,
            FacilityAttributes {
                hub: true,
                delivery: true,
                ..Default::default()
            },
            Some(code("330106000000")),
        ),
        facility(
            "f2s",
            FacilityCategory::ElderCareInstitution,
            120.16,
            FacilityAttributes {
                beds: Some(120),
                nursing_beds: Some(80),
                ..Default::default()
            },
            None,
        ),
        facility(
            "f3",
            FacilityCategory::HomeCareCentre,
            120.17,
            FacilityAttributes {
                demonstration: true,
                ..Default::default()
            },
            Some(code("330106001001")),
        ),
    ];
    let doorplates = (0..5u64)
        .map(|i| Doorplate {
            id: 1000 - i * 7,
            road: "文三路".into(),
            number: i as u32 * 2 + 1,
            location: Point::new(120.15 + i as f64 * 1e-4, 30.27),
            residents: 10 + i as u32,
            elderly: i as u32,
            community: (i % 2 == 0).then(|| code("330106001001")),
            synthetic: true,
        })
        .collect();
    let landmarks = vec![Landmark {
        id: "osm:node/123".into(),
        name: "武林广场".into(),
        kind: "place=square".into(),
        location: Point::new(120.164, 30.272),
        synthetic: false,
    }];
    let mut network = WalkNetwork::default();
    let a = network.add_node(coord! { x: 120.15, y: 30.27 });
    let b = network.add_node(coord! { x: 120.151, y: 30.27 });
    let c = network.add_node(coord! { x: 120.151, y: 30.271 });
    let r1 = network.intern_road("文三路");
    network.intern_road("unused");
    let r3 = network.intern_road("文三路");
    network.add_edge(a, b, Some(r1));
    network.add_edge(b, c, None);
    network.add_edge(c, a, Some(r3));
    network.synthetic = true;
    Dataset {
        meta: DatasetMeta {
            name: "small test city".into(),
            seed: Some(7),
            scale: None,
            attribution: vec!["© test".into()],
        },
        admin,
        facilities,
        doorplates,
        landmarks,
        network,
    }
}

/// Where two datasets first differ (assert_eq! would print a million records).
fn first_difference(a: &Dataset, b: &Dataset) -> Option<String> {
    fn vecs<T: PartialEq + std::fmt::Debug>(name: &str, a: &[T], b: &[T]) -> Option<String> {
        if a.len() != b.len() {
            return Some(format!("{name}: {} vs {} records", a.len(), b.len()));
        }
        a.iter()
            .zip(b)
            .position(|(x, y)| x != y)
            .map(|i| format!("{name}[{i}]:\n  {:?}\nvs\n  {:?}", a[i], b[i]))
    }
    if a.meta != b.meta {
        return Some(format!("meta: {:?} vs {:?}", a.meta, b.meta));
    }
    if a.network.synthetic != b.network.synthetic {
        return Some("network.synthetic".into());
    }
    vecs("admin", &a.admin, &b.admin)
        .or_else(|| vecs("facilities", &a.facilities, &b.facilities))
        .or_else(|| vecs("doorplates", &a.doorplates, &b.doorplates))
        .or_else(|| vecs("landmarks", &a.landmarks, &b.landmarks))
        .or_else(|| vecs("network.nodes", &a.network.nodes, &b.network.nodes))
        .or_else(|| vecs("network.edges", &a.network.edges, &b.network.edges))
        .or_else(|| {
            vecs(
                "network.road_names",
                &a.network.road_names,
                &b.network.road_names,
            )
        })
}

fn assert_same(loaded: &Dataset, pushed: &Dataset) {
    if let Some(d) = first_difference(loaded, pushed) {
        panic!("loaded dataset differs from the pushed one: {d}");
    }
    assert!(loaded == pushed);
}

async fn count(client: &tokio_postgres::Client, table: &str) -> i64 {
    client
        .query_one(&format!("SELECT count(*) FROM civmap.{table}"), &[])
        .await
        .unwrap()
        .get(0)
}

async fn push_quietly(store: &mut PgStore, ds: &Dataset) -> Result<(), civmap_data::DataError> {
    store.push(ds, &mut |_, _, _| {}).await.map(|_| ())
}

async fn next_change(rx: &mut mpsc::Receiver<Change>, within: Duration) -> Change {
    tokio::time::timeout(within, rx.recv())
        .await
        .unwrap_or_else(|_| panic!("no change within {within:?}"))
        .expect("listener stopped")
}

#[tokio::test(flavor = "multi_thread")]
async fn push_then_load_round_trips_the_default_city() {
    let db = TestDb::create().await;
    let t = Instant::now();
    let ds = generate(&GeneratorConfig::default(), &mut |_| {}).expect("generate the default city");
    eprintln!(
        "generated the default city in {:.1?}: {:?}",
        t.elapsed(),
        ds.counts()
    );

    let mut store = PgStore::connect(&db.url).await.unwrap();
    let mut layers = Vec::new();
    let started = Instant::now();
    let summary = store
        .push(&ds, &mut |layer, done, total| {
            if done == total {
                eprintln!("  {layer}: {total} done at {:.2?}", started.elapsed());
                layers.push((layer.to_owned(), total));
            }
        })
        .await
        .unwrap();
    eprintln!("push: {:.2?} ({:?})", summary.elapsed, summary.counts);
    assert_eq!(summary.counts, ds.counts());
    assert!(layers
        .iter()
        .any(|(l, n)| l == "doorplates" && *n == ds.doorplates.len() as u64));

    let t = Instant::now();
    let loaded = store.load().await.unwrap();
    eprintln!("load: {:.2?}", t.elapsed());
    assert_same(&loaded, &ds);

    let client = db.client().await;
    for (table, n) in [
        ("admin_units", ds.admin.len()),
        ("facilities", ds.facilities.len()),
        ("doorplates", ds.doorplates.len()),
        ("landmarks", ds.landmarks.len()),
        ("network_nodes", ds.network.nodes.len()),
        ("network_edges", ds.network.edges.len()),
        ("network_roads", ds.network.road_names.len()),
    ] {
        assert_eq!(
            count(&client, table).await,
            n as i64,
            "rows in civmap.{table}"
        );
    }
    // The geometry is PostGIS's own: typed, SRID 4326, valid where it must be.
    let row = client
        .query_one(
            "SELECT count(*) FILTER (WHERE ST_SRID(geom) <> 4326 OR ST_IsEmpty(geom)),
                    (SELECT count(*) FROM civmap.network_edges e
                       JOIN civmap.network_nodes s ON s.id = e.source
                      WHERE NOT ST_Equals(ST_StartPoint(e.geom), s.geom))
               FROM civmap.doorplates",
            &[],
        )
        .await
        .unwrap();
    assert_eq!((row.get::<_, i64>(0), row.get::<_, i64>(1)), (0, 0));
    assert!(
        summary.elapsed < Duration::from_secs(60),
        "push took {:?}",
        summary.elapsed
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn push_is_one_transaction_and_a_failed_push_keeps_the_old_data() {
    let db = TestDb::create().await;
    let mut store = PgStore::connect(&db.url).await.unwrap();
    let good = small_city();
    push_quietly(&mut store, &good).await.unwrap();

    // The model allows more nursing beds than beds; the schema does not. The bad record
    // is the last one of its layer, after others have already been copied.
    let mut bad = good.clone();
    bad.doorplates.push(Doorplate {
        id: 1,
        ..bad.doorplates[0].clone()
    });
    let mut broken = bad.facilities[1].clone();
    broken.id = "f9-broken".into();
    broken.attributes.nursing_beds = Some(500);
    bad.facilities.push(broken);
    let err = push_quietly(&mut store, &bad)
        .await
        .unwrap_err()
        .to_string();
    eprintln!("{err}");
    assert!(err.contains("facilities"), "{err}");
    assert!(
        err.contains("f9-broken"),
        "the error should name the record: {err}"
    );
    assert!(
        err.contains("nursing_beds"),
        "the error should name the constraint: {err}"
    );

    assert_same(&store.load().await.unwrap(), &good);
    let client = db.client().await;
    assert_eq!(
        count(&client, "doorplates").await,
        good.doorplates.len() as i64
    );

    // The store is still usable after the failure, and an empty push empties every table.
    push_quietly(&mut store, &Dataset::default()).await.unwrap();
    assert_same(&store.load().await.unwrap(), &Dataset::default());
}

#[tokio::test(flavor = "multi_thread")]
async fn migrations_are_idempotent() {
    let db = TestDb::create().await;
    let a = PgStore::connect(&db.url).await.unwrap();
    let b = PgStore::connect(&db.url).await.unwrap();
    // Concurrent first runs wait for each other; later runs change nothing.
    let (ra, rb) = tokio::join!(a.migrate(), b.migrate());
    ra.unwrap();
    rb.unwrap();
    a.migrate().await.unwrap();
    let client = db.client().await;
    let versions: Vec<i32> = client
        .query(
            "SELECT version FROM civmap.schema_migrations ORDER BY version",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(versions, civmap_data::postgis::schema_versions());
    let objects = "SELECT (SELECT count(*) FROM pg_tables WHERE schemaname = 'civmap'),
                          (SELECT count(*) FROM pg_indexes WHERE schemaname = 'civmap'),
                          (SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                             JOIN pg_namespace n ON n.oid = c.relnamespace
                            WHERE n.nspname = 'civmap' AND NOT t.tgisinternal)";
    let before = client.query_one(objects, &[]).await.unwrap();
    let before: (i64, i64, i64) = (before.get(0), before.get(1), before.get(2));
    assert_eq!(
        before.2, 16,
        "4 row and 4 truncate change triggers, the audit log's 2 append-only triggers, the doorplate aliases' 1, the history's 2 constraint triggers, the name reviews' and announcements' 2 append-only triggers and the scenarios' 1"
    );

    // Applying the SQL itself again (as a migration tool without our bookkeeping would)
    // is harmless too, and so is a push, which migrates first and rebuilds the indexes.
    client
        .batch_execute(include_str!("../../data/migrations/0001_init.sql"))
        .await
        .unwrap();
    let mut c = PgStore::connect(&db.url).await.unwrap();
    push_quietly(&mut c, &small_city()).await.unwrap();
    let after = client.query_one(objects, &[]).await.unwrap();
    assert_eq!(before, (after.get(0), after.get(1), after.get(2)));
    assert_same(&a.load().await.unwrap(), &small_city());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_sql_update_of_a_facility_is_notified_within_a_second() {
    let db = TestDb::create().await;
    let mut store = PgStore::connect(&db.url).await.unwrap();
    push_quietly(&mut store, &small_city()).await.unwrap();

    let (tx, mut rx) = mpsc::channel(16);
    let url = db.url.clone();
    let listener = tokio::spawn(async move { listen(&url, tx).await });
    // The first message says LISTEN is in effect (and that the receiver should reload).
    assert_eq!(
        next_change(&mut rx, Duration::from_secs(10)).await,
        Change::Reload
    );

    let client = db.client().await;
    let t = Instant::now();
    client
        .execute(
            "UPDATE civmap.facilities SET geom = ST_SetSRID(ST_MakePoint(120.2, 30.3), 4326) WHERE id = 'f1'",
            &[],
        )
        .await
        .unwrap();
    let change = next_change(&mut rx, Duration::from_secs(1)).await;
    eprintln!("UPDATE notified in {:?}", t.elapsed());
    assert_eq!(
        change,
        Change::Upsert {
            table: ChangeTable::Facilities,
            key: "f1".into()
        }
    );
    assert!(t.elapsed() < Duration::from_secs(1));
    let f = store
        .facility("f1")
        .await
        .unwrap()
        .expect("f1 is still there");
    assert_eq!(f.location, Point::new(120.2, 30.3));
    assert_eq!(f.name, small_city().facilities[0].name);

    let t = Instant::now();
    client
        .execute("DELETE FROM civmap.facilities WHERE id = 'f3'", &[])
        .await
        .unwrap();
    assert_eq!(
        next_change(&mut rx, Duration::from_secs(1)).await,
        Change::Delete {
            table: ChangeTable::Facilities,
            key: "f3".into()
        }
    );
    assert!(t.elapsed() < Duration::from_secs(1));
    assert_eq!(store.facility("f3").await.unwrap(), None);

    // A key change is a delete of the old key and an upsert of the new one; other layers
    // are keyed by code and numeric id.
    client
        .batch_execute(
            "UPDATE civmap.landmarks SET id = 'osm:node/124' WHERE id = 'osm:node/123';
             UPDATE civmap.admin_units SET name = '西湖' WHERE code = '330106000000';
             UPDATE civmap.doorplates SET residents = 99 WHERE id = 1000;",
        )
        .await
        .unwrap();
    let mut got = Vec::new();
    for _ in 0..4 {
        got.push(next_change(&mut rx, Duration::from_secs(1)).await);
    }
    assert_eq!(
        got,
        [
            Change::Delete {
                table: ChangeTable::Landmarks,
                key: "osm:node/123".into()
            },
            Change::Upsert {
                table: ChangeTable::Landmarks,
                key: "osm:node/124".into()
            },
            Change::Upsert {
                table: ChangeTable::Admin,
                key: "330106000000".into()
            },
            Change::Upsert {
                table: ChangeTable::Doorplates,
                key: "1000".into()
            },
        ]
    );
    assert_eq!(
        store
            .admin_unit("330106000000")
            .await
            .unwrap()
            .unwrap()
            .name,
        "西湖"
    );
    assert_eq!(store.doorplate(1000).await.unwrap().unwrap().residents, 99);
    assert!(store.landmark("osm:node/124").await.unwrap().is_some());

    // A push sends one reload, not a change per row.
    push_quietly(&mut store, &small_city()).await.unwrap();
    assert_eq!(
        next_change(&mut rx, Duration::from_secs(2)).await,
        Change::Reload
    );
    assert!(
        tokio::time::timeout(Duration::from_millis(300), rx.recv())
            .await
            .is_err(),
        "a push must not notify row by row"
    );

    // Dropping the receiver ends the listener cleanly.
    drop(rx);
    client
        .execute("DELETE FROM civmap.facilities WHERE id = 'f1'", &[])
        .await
        .unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(15), listener)
        .await
        .expect("listen ends once its receiver is gone");
    assert!(matches!(ended, Ok(Ok(()))), "{ended:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn listen_returns_an_error_when_the_database_goes_away() {
    let mut cluster = DedicatedCluster::start();
    let (tx, mut rx) = mpsc::channel(16);
    let url = cluster.url.clone();
    let listener = tokio::spawn(async move { listen(&url, tx).await });
    assert_eq!(
        next_change(&mut rx, Duration::from_secs(10)).await,
        Change::Reload
    );

    let t = Instant::now();
    cluster.stop();
    let result = tokio::time::timeout(Duration::from_secs(5), listener)
        .await
        .expect("listen must notice the lost connection within a few seconds")
        .unwrap();
    eprintln!("listen ended {:?} after the stop: {result:?}", t.elapsed());
    let err = result
        .expect_err("a lost connection is an error")
        .to_string();
    assert!(
        err.contains("127.0.0.1"),
        "the error names the database: {err}"
    );

    // Connecting to a database that is not there says which one.
    let err = PgStore::connect(&cluster.url)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("127.0.0.1") && err.contains("civmap_test"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn loading_a_row_with_a_bad_value_names_table_key_and_column() {
    let db = TestDb::create().await;
    let mut store = PgStore::connect(&db.url).await.unwrap();
    push_quietly(&mut store, &small_city()).await.unwrap();
    let client = db.client().await;

    // What a QGIS user might leave behind: an EMPTY point (the column type allows it).
    client
        .execute(
            "UPDATE civmap.facilities SET geom = 'SRID=4326;POINT EMPTY'::geometry WHERE id = 'f2s'",
            &[],
        )
        .await
        .unwrap();
    for err in [
        store.load().await.unwrap_err().to_string(),
        store.facility("f2s").await.unwrap_err().to_string(),
    ] {
        eprintln!("{err}");
        assert!(err.contains("civmap.facilities"), "names the table: {err}");
        assert!(err.contains("\"f2s\""), "names the key: {err}");
        assert!(err.contains("\"geom\""), "names the column: {err}");
        assert!(err.contains("EMPTY"), "says what is wrong: {err}");
    }
    client
        .execute("DELETE FROM civmap.facilities WHERE id = 'f2s'", &[])
        .await
        .unwrap();

    // A gap in the node ids would shift every edge: refused, naming the node.
    client
        .batch_execute(
            "DELETE FROM civmap.network_edges; DELETE FROM civmap.network_nodes WHERE id = 1",
        )
        .await
        .unwrap();
    let err = store.load().await.unwrap_err().to_string();
    assert!(
        err.contains("civmap.network_nodes") && err.contains("\"2\"") && err.contains("\"id\""),
        "{err}"
    );

    // Passwords never show in errors.
    let url = pg::with_database(&db.url, "nope").replace("postgres@", "postgres:s3cret@");
    let err = PgStore::connect(&url).await.unwrap_err().to_string();
    assert!(!err.contains("s3cret") && err.contains("***"), "{err}");
}
