//! Oracle: the survey measures against PostGIS geography on the whole default city.
//!
//! - every admin unit's area and perimeter (CGCS2000, geographiclib) equal
//!   `ST_Area(geography)` / `ST_Perimeter(geography)` within 1e-6 relative;
//! - every boundary line's length equals `ST_Length(geography)` within 1e-6 relative;
//! - the lines between two districts add up to their shared border as PostGIS finds it:
//!   the part of one district's boundary within 1e-7° (≈1 cm, the snapping distance) of
//!   the other's, `ST_Length(ST_Intersection(ST_Boundary(a), ST_Buffer(ST_Boundary(b),
//!   1e-7))::geography)` — within 1e-6 relative plus 5 cm for the buffer's overshoot of
//!   at most 1 cm at each end.
//!
//! PostGIS measures on WGS84 (1/f = 298.257223563), civmap on CGCS2000
//! (1/f = 298.257222101): the flattenings differ by 1.6e-11, which moves lengths and areas
//! by about 5e-9 relative — far inside the 1e-6 tolerance.
//!
//! Geometries go to PostGIS as WKT with Rust's shortest round-trip decimals, so both
//! sides measure the very same doubles.

#[path = "common/pg.rs"]
mod pg;

use std::collections::BTreeMap;
use std::fmt::Write;

use civmap_data::synthetic::{generate, GeneratorConfig};
use civmap_geo_core::crs::GaussKruger;
use civmap_geo_core::survey::lines::boundary_lines;
use civmap_geo_core::survey::measure::UnitMeasures;
use civmap_geo_core::{AdminLevel, Dataset};
use geo::{LineString, MultiPolygon};

fn ring_wkt(out: &mut String, ls: &LineString<f64>) {
    out.push('(');
    for (i, c) in ls.0.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{} {}", c.x, c.y);
    }
    out.push(')');
}

fn multipolygon_wkt(mp: &MultiPolygon<f64>) -> String {
    let mut s = String::from("MULTIPOLYGON(");
    for (i, p) in mp.0.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push('(');
        ring_wkt(&mut s, p.exterior());
        for r in p.interiors() {
            s.push(',');
            ring_wkt(&mut s, r);
        }
        s.push(')');
    }
    s.push(')');
    s
}

fn linestring_wkt(ls: &LineString<f64>) -> String {
    let mut s = String::from("LINESTRING");
    ring_wkt(&mut s, ls);
    s
}

fn assert_close(what: &str, ours: f64, theirs: f64, rel: f64, abs: f64) {
    assert!(
        (ours - theirs).abs() <= rel * theirs.abs() + abs,
        "{what}: civmap {ours} vs PostGIS {theirs} (relative {:e})",
        (ours - theirs).abs() / theirs.abs()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn measures_and_lines_agree_with_postgis_geography() {
    let db = pg::TestDb::create().await;
    let ds: Dataset = generate(&GeneratorConfig::default(), &mut |_| {}).unwrap();
    let client = db.client().await;
    client
        .batch_execute(
            "CREATE TABLE units (code text PRIMARY KEY, level text, geom geometry(MultiPolygon, 4326));
             CREATE TABLE lines (id text PRIMARY KEY, geom geometry(LineString, 4326));",
        )
        .await
        .unwrap();
    let insert_unit = client
        .prepare("INSERT INTO units VALUES ($1, $2, ST_GeomFromText($3, 4326))")
        .await
        .unwrap();
    for u in &ds.admin {
        client
            .execute(
                &insert_unit,
                &[
                    &u.code.as_str(),
                    &u.level.as_str(),
                    &multipolygon_wkt(&u.geometry),
                ],
            )
            .await
            .unwrap();
    }
    let lines = boundary_lines(&ds.admin);
    let insert_line = client
        .prepare("INSERT INTO lines VALUES ($1, ST_GeomFromText($2, 4326))")
        .await
        .unwrap();
    for l in &lines {
        client
            .execute(&insert_line, &[&l.id, &linestring_wkt(&l.geometry)])
            .await
            .unwrap();
    }

    // units
    let gk = GaussKruger::hangzhou();
    let rows = client
        .query(
            "SELECT code, ST_Area(geom::geography), ST_Perimeter(geom::geography) FROM units",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), ds.admin.len());
    let theirs: BTreeMap<String, (f64, f64)> = rows
        .iter()
        .map(|r| (r.get::<_, String>(0), (r.get(1), r.get(2))))
        .collect();
    for u in &ds.admin {
        let m = UnitMeasures::of(&u.geometry, &gk);
        let (area_m2, perimeter_m) = theirs[u.code.as_str()];
        assert_close(&format!("{} area", u.code), m.area_m2, area_m2, 1e-6, 0.0);
        assert_close(
            &format!("{} perimeter", u.code),
            m.perimeter_m,
            perimeter_m,
            1e-6,
            0.0,
        );
    }

    // lines
    let rows = client
        .query("SELECT id, ST_Length(geom::geography) FROM lines", &[])
        .await
        .unwrap();
    assert_eq!(rows.len(), lines.len());
    let theirs: BTreeMap<String, f64> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    for l in &lines {
        assert_close(
            &format!("line {}", l.id),
            l.length_m,
            theirs[&l.id],
            1e-6,
            0.0,
        );
    }

    // shared district borders
    let mut pairs: BTreeMap<(String, String), f64> = BTreeMap::new();
    for l in lines.iter().filter(|l| l.level == AdminLevel::District) {
        if let Some(r) = &l.right {
            *pairs
                .entry((l.left.as_str().to_owned(), r.as_str().to_owned()))
                .or_default() += l.length_m;
        }
    }
    assert!(pairs.len() >= 13, "only {} district pairs", pairs.len());
    let shared = client
        .prepare(
            "SELECT ST_Length(ST_Intersection(ST_Boundary(a.geom),
                                              ST_Buffer(ST_Boundary(b.geom), 1e-7))::geography)
             FROM units a, units b WHERE a.code = $1 AND b.code = $2",
        )
        .await
        .unwrap();
    for ((a, b), ours) in &pairs {
        let theirs: f64 = client.query_one(&shared, &[a, b]).await.unwrap().get(0);
        assert_close(&format!("border {a}|{b}"), *ours, theirs, 1e-6, 0.05);
    }
    eprintln!(
        "{} units, {} lines, {} district pairs agree with PostGIS",
        ds.admin.len(),
        lines.len(),
        pairs.len()
    );
}
