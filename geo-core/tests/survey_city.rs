//! Survey geometry on the whole default city: every unit's perimeter is the sum of its
//! lines' lengths, lines end only at junctions (three or more line ends) or close, and a
//! survey that moves one township border by 10 m reports exactly that line and the two
//! townships beside it.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use civmap_data::synthetic::{generate, GeneratorConfig};
use civmap_geo_core::crs::GaussKruger;
use civmap_geo_core::survey::diff::{diff_survey, ChangeKind, SurveyUnit};
use civmap_geo_core::survey::lines::boundary_lines;
use civmap_geo_core::survey::measure::geodesic_perimeter_m;
use civmap_geo_core::survey::snap::SNAP_DEG;
use civmap_geo_core::{AdminLevel, AdminUnit, Dataset};
use geo::{Coord, LineString, MultiPolygon, Polygon};

fn city() -> &'static Dataset {
    static DS: OnceLock<Dataset> = OnceLock::new();
    DS.get_or_init(|| {
        generate(&GeneratorConfig::default(), &mut |_| {}).expect("the generator runs")
    })
}

#[test]
fn lines_cover_every_perimeter_and_end_at_junctions() {
    let ds = city();
    let lines = boundary_lines(&ds.admin);
    for level in AdminLevel::ALL {
        assert!(
            lines.iter().any(|l| l.level == level),
            "no lines at {level}"
        );
    }
    // perimeters
    let mut sums: HashMap<&str, f64> = HashMap::new();
    for l in &lines {
        *sums.entry(l.left.as_str()).or_default() += l.length_m;
        if let Some(r) = &l.right {
            *sums.entry(r.as_str()).or_default() += l.length_m;
        }
    }
    for u in &ds.admin {
        let p = geodesic_perimeter_m(&u.geometry);
        let s = sums.get(u.code.as_str()).copied().unwrap_or(0.0);
        assert!(
            (s - p).abs() <= 1e-6 * p,
            "{} ({}): lines {s} m vs perimeter {p} m",
            u.code,
            u.level
        );
    }
    // junctions: per level, every open line's end is the end of >= 3 line ends
    let mut ends: HashMap<(AdminLevel, u64, u64), usize> = HashMap::new();
    for l in &lines {
        let c = &l.geometry.0;
        if c.first() == c.last() {
            continue;
        }
        for p in [c[0], c[c.len() - 1]] {
            *ends
                .entry((l.level, p.x.to_bits(), p.y.to_bits()))
                .or_default() += 1;
        }
    }
    for ((level, x, y), n) in &ends {
        assert!(
            *n >= 3,
            "{level}: a line ends at ({}, {}) where only {n} line ends meet",
            f64::from_bits(*x),
            f64::from_bits(*y)
        );
    }
    // ids are unique and deterministic
    let again = boundary_lines(&ds.admin);
    assert_eq!(lines, again);
    let mut ids: Vec<&str> = lines.iter().map(|l| l.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), lines.len());
    let districts = lines
        .iter()
        .filter(|l| l.level == AdminLevel::District && l.right.is_some())
        .count();
    eprintln!("{} lines, {districts} between districts", lines.len());
}

/// The point 10 m (`offset_m`) to the left of the middle of the straight line `a`→`b`,
/// in the zone's metres.
fn bulge(a: Coord<f64>, b: Coord<f64>, gk: &GaussKruger, offset_m: f64) -> Coord<f64> {
    let (pa, pb) = (gk.forward(a), gk.forward(b));
    let d = pb - pa;
    let left = Coord { x: -d.y, y: d.x } / d.x.hypot(d.y);
    gk.inverse((pa + pb) / 2.0 + left * offset_m)
}

/// `mp` with `m` inserted into every ring edge joining `a` and `b` (either way, within the
/// snapping distance).
fn insert_vertex(
    mp: &MultiPolygon<f64>,
    a: Coord<f64>,
    b: Coord<f64>,
    m: Coord<f64>,
) -> (MultiPolygon<f64>, usize) {
    let near = |p: Coord<f64>, q: Coord<f64>| (p.x - q.x).hypot(p.y - q.y) <= SNAP_DEG;
    let mut count = 0;
    let mut ring = |r: &LineString<f64>| {
        let mut out = Vec::with_capacity(r.0.len() + 1);
        for w in r.0.windows(2) {
            out.push(w[0]);
            if (near(w[0], a) && near(w[1], b)) || (near(w[0], b) && near(w[1], a)) {
                out.push(m);
                count += 1;
            }
        }
        out.extend(r.0.last());
        LineString::from(out)
    };
    let polys =
        mp.0.iter()
            .map(|p| {
                Polygon::new(
                    ring(p.exterior()),
                    p.interiors().iter().map(&mut ring).collect(),
                )
            })
            .collect();
    (MultiPolygon(polys), count)
}

#[test]
fn a_survey_moving_one_border_by_ten_metres_reports_that_line_and_its_two_units() {
    let ds = city();
    let gk = GaussKruger::hangzhou();
    // a district's townships, and a long, gently bending border between two of them
    let districts: Vec<&AdminUnit> = ds
        .admin
        .iter()
        .filter(|u| u.level == AdminLevel::District)
        .collect();
    let (townships, line) = districts
        .iter()
        .find_map(|d| {
            let ts: Vec<AdminUnit> = ds
                .admin
                .iter()
                .filter(|u| u.level == AdminLevel::Township && u.parent.as_ref() == Some(&d.code))
                .cloned()
                .collect();
            let lines = boundary_lines(&ts);
            let line = lines
                .into_iter()
                .find(|l| l.right.is_some() && l.length_m > 1_000.0)?;
            Some((ts, line))
        })
        .expect("some district has a township border over 1 km");
    // the border between two townships moved 10 m to one side in its middle: a vertex
    // added to both polygons (the synthetic borders are straight between junctions)
    let pts = &line.geometry.0;
    let (a, b) = (pts[0], pts[pts.len() - 1]);
    assert_eq!(pts.len(), 2, "a straight border");
    let m = bulge(a, b, &gk, 10.0);
    let beside: HashSet<_> = [line.left.clone(), line.right.clone().unwrap()]
        .into_iter()
        .collect();
    let survey: Vec<SurveyUnit> = townships
        .iter()
        .map(|t| SurveyUnit {
            code: t.code.clone(),
            name: Some(t.name.clone()),
            geometry: if beside.contains(&t.code) {
                let (g, n) = insert_vertex(&t.geometry, a, b, m);
                assert_eq!(n, 1, "{}: the border is one edge", t.code);
                g
            } else {
                t.geometry.clone()
            },
        })
        .collect();
    let d = diff_survey(&ds.admin, &survey, &gk, 1.0);
    let units: Vec<(&str, ChangeKind)> = d
        .units
        .iter()
        .map(|u| (u.code.as_str(), u.change))
        .collect();
    let mut expected: Vec<&str> = beside.iter().map(|c| c.as_str()).collect();
    expected.sort_unstable();
    assert_eq!(
        units,
        expected
            .iter()
            .map(|c| (*c, ChangeKind::Changed))
            .collect::<Vec<_>>()
    );
    assert_eq!(d.unchanged_units.len(), townships.len() - 2);
    let lines: Vec<(&str, ChangeKind)> =
        d.lines.iter().map(|l| (l.id.as_str(), l.change)).collect();
    assert_eq!(lines, [(line.id.as_str(), ChangeKind::Changed)], "{d:#?}");
    let h = d.lines[0].hausdorff_m.unwrap();
    assert!((h - 10.0).abs() <= 0.5, "line moved by {h} m");
    assert!((d.lines[0].max_offset_m.unwrap() - 10.0).abs() <= 0.5);
    for u in &d.units {
        let h = u.hausdorff_m.unwrap();
        assert!((h - 10.0).abs() <= 0.5, "{}: {h} m", u.code);
        // one gains what the other loses
        assert!(u.delta_area_m2.unwrap().abs() > 1_000.0);
    }
    let sum: f64 = d.units.iter().map(|u| u.delta_area_m2.unwrap()).sum();
    assert!(
        sum.abs() < 1e-3 * d.units[0].delta_area_m2.unwrap().abs(),
        "areas: {sum}"
    );
    eprintln!("moved {} ({:.0} m) by {h:.3} m", line.id, line.length_m);
}
