//! Oracle: civmap's R-tree answers against PostGIS on the whole default city — 10,000
//! seeded random queries of each kind. `within` ↔ `ST_DWithin` on geography, `nearest` ↔
//! `<->` kNN re-ranked by `ST_Distance` on geography, `admin_chain` ↔ `ST_Contains`.
//! Result sets and orders must be identical, distances equal within 1 mm.

#[path = "common/pg.rs"]
mod pg;

use civmap_data::postgis::PgStore;
use civmap_data::synthetic::{generate, GeneratorConfig};
use civmap_geo_core::index::SpatialIndex;
use civmap_geo_core::{AdminLevel, Dataset, FacilityCategory};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const QUERIES: usize = 10_000;

/// A random query point: half in the urban core, half anywhere in the city's bbox.
fn point(rng: &mut ChaCha8Rng) -> (f64, f64) {
    if rng.gen_bool(0.5) {
        (rng.gen_range(119.95..120.45), rng.gen_range(30.10..30.45))
    } else {
        (rng.gen_range(118.35..120.72), rng.gen_range(29.19..30.56))
    }
}

/// Compares two ranked answers: the same distances (1 mm) position by position, and the
/// same ids — where several records are within 1 mm of each other their order is a
/// tie-break convention (record index vs id), so such runs compare as sets. A run cut by a
/// `LIMIT` compares only by distance.
fn assert_same_ranking(
    what: &str,
    ours: &[(String, f64)],
    theirs: &[(String, f64)],
    truncated: bool,
) {
    assert_eq!(
        ours.len(),
        theirs.len(),
        "{what}: {} vs {} results",
        ours.len(),
        theirs.len()
    );
    let mut i = 0;
    while i < ours.len() {
        let mut j = i + 1;
        while j < ours.len() && (ours[j].1 - ours[i].1).abs() < 1e-3 {
            j += 1;
        }
        for k in i..j {
            assert!(
                (ours[k].1 - theirs[k].1).abs() < 1e-3,
                "{what}: distance {} vs {} at {k}",
                ours[k].1,
                theirs[k].1
            );
        }
        if !(truncated && j == ours.len()) {
            let mut a: Vec<&str> = ours[i..j].iter().map(|x| x.0.as_str()).collect();
            let mut b: Vec<&str> = theirs[i..j].iter().map(|x| x.0.as_str()).collect();
            a.sort_unstable();
            b.sort_unstable();
            assert_eq!(a, b, "{what}: ids at ranks {i}..{j}");
        }
        i = j;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_queries_of_each_kind_agree_with_postgis() {
    let db = pg::TestDb::create().await;
    let ds: Dataset = generate(&GeneratorConfig::default(), &mut |_| {}).unwrap();
    let mut store = PgStore::connect(&db.url).await.unwrap();
    store.push(&ds, &mut |_, _, _| {}).await.unwrap();
    let client = db.client().await;
    client
        .batch_execute("ANALYZE civmap.facilities; ANALYZE civmap.admin_units")
        .await
        .unwrap();
    let index = SpatialIndex::build(&ds);
    let mut rng = ChaCha8Rng::seed_from_u64(20_251_129);
    let cats = FacilityCategory::ALL;
    let id = |r: u32| ds.facilities[r as usize].id.clone();

    let within_sql = client
        .prepare(
            "SELECT id, ST_Distance(geom::geography, q::geography) AS d
             FROM civmap.facilities, ST_SetSRID(ST_MakePoint($1, $2), 4326) AS q
             WHERE category = $3 AND ST_DWithin(geom::geography, q::geography, $4)
             ORDER BY d, id",
        )
        .await
        .unwrap();
    let knn_sql = client
        .prepare(
            "SELECT id, d FROM (
               SELECT id, ST_Distance(geom::geography, q::geography) AS d
               FROM civmap.facilities, ST_SetSRID(ST_MakePoint($1, $2), 4326) AS q
               WHERE category = $3
               ORDER BY geom::geography <-> q::geography
               LIMIT $4::bigint + 16) c
             ORDER BY d, id LIMIT $4::bigint",
        )
        .await
        .unwrap();
    let admin_sql = client
        .prepare(
            "SELECT code::text, level FROM civmap.admin_units
             WHERE ST_Contains(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326))",
        )
        .await
        .unwrap();

    let (mut nonempty_within, mut chains) = (0, 0);
    for q in 0..QUERIES {
        let (lon, lat) = point(&mut rng);
        let cat = cats[rng.gen_range(0..cats.len())];
        // within
        let r: f64 = rng.gen_range(50.0..5_000.0);
        let ours: Vec<(String, f64)> = index
            .facilities()
            .within(lon, lat, r, Some(&[cat]))
            .unwrap()
            .into_iter()
            .map(|(i, d)| (id(i), d))
            .collect();
        let rows = client
            .query(&within_sql, &[&lon, &lat, &cat.id(), &r])
            .await
            .unwrap();
        let theirs: Vec<(String, f64)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        assert_same_ranking(
            &format!("within #{q} ({lon},{lat},{r},{cat})"),
            &ours,
            &theirs,
            false,
        );
        nonempty_within += usize::from(!ours.is_empty());
        // nearest
        let k: i64 = rng.gen_range(1..=20);
        let ours: Vec<(String, f64)> = index
            .facilities()
            .nearest(lon, lat, k as usize, Some(&[cat]))
            .unwrap()
            .into_iter()
            .map(|(i, d)| (id(i), d))
            .collect();
        let rows = client
            .query(&knn_sql, &[&lon, &lat, &cat.id(), &k])
            .await
            .unwrap();
        let theirs: Vec<(String, f64)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        assert_same_ranking(
            &format!("nearest #{q} ({lon},{lat},k={k},{cat})"),
            &ours,
            &theirs,
            true,
        );
        // admin chain
        let ours: Vec<String> = index
            .admin_chain(lon, lat)
            .unwrap()
            .into_iter()
            .map(|i| ds.admin[i as usize].code.to_string())
            .collect();
        let mut rows: Vec<(String, AdminLevel)> = client
            .query(&admin_sql, &[&lon, &lat])
            .await
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r.get::<_, String>(0),
                    AdminLevel::parse(r.get::<_, &str>(1)).unwrap(),
                )
            })
            .collect();
        rows.sort_by_key(|r| r.1);
        let theirs: Vec<String> = rows.into_iter().map(|r| r.0).collect();
        assert_eq!(ours, theirs, "admin chain #{q} at ({lon},{lat})");
        chains += usize::from(!ours.is_empty());
    }
    // the oracle compared real answers, not empty ones
    assert!(nonempty_within > QUERIES / 5, "{nonempty_within}");
    assert!(chains > QUERIES / 2, "{chains}");
}
