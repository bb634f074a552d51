//! Past shapes of Hangzhou's divisions from today's polygons (the default synthetic city on
//! the real 2023 frame), each tagged with how it was obtained.

use std::collections::{BTreeSet, HashMap};

use civmap_data::hangzhou;
use civmap_data::synthetic::{generate, GeneratorConfig};
use civmap_geo_core::history::{Date, GeometryReconstructor, GeometrySource, History};
use civmap_geo_core::AdminLevel;
use geo::{Area, MultiPolygon};

fn area(mp: &MultiPolygon<f64>) -> f64 {
    mp.unsigned_area()
}

#[test]
fn past_shapes_are_current_reconstructed_or_unknown_and_say_so() {
    let ds = generate(&GeneratorConfig::default(), &mut |_| {}).expect("the generator runs");
    let (h, _) = History::build(hangzhou::editions().unwrap()).unwrap();
    let today: HashMap<&str, &MultiPolygon<f64>> = ds
        .admin
        .iter()
        .map(|u| (u.code.as_str(), &u.geometry))
        .collect();
    let r = GeometryReconstructor::new(&h, &ds.admin);
    let day = Date::parse("2020-12-31").unwrap();
    let then = h.as_of(day).unwrap();
    let unit = |code: &str| then.by_code(code).unwrap().unit;

    // 下城区: gone today; the union of today's polygons of the townships it had then
    let xc = r.geometry_of(unit("330103000000"), day).unwrap();
    assert_eq!(xc.source, GeometrySource::Reconstructed);
    let want: BTreeSet<String> = then
        .children(unit("330103000000"))
        .iter()
        .map(|c| h.latest().by_unit(c.unit).unwrap().code.to_string())
        .collect();
    let got: BTreeSet<String> = xc.from_codes.iter().map(|c| c.to_string()).collect();
    assert_eq!(got, want);
    assert!(
        got.contains("330105014000"),
        "长庆街道 under its code of today"
    );
    assert!(
        xc.synthetic,
        "the township polygons are synthetic and the answer says so"
    );
    let parts: f64 = want.iter().map(|c| area(today[c.as_str()])).sum();
    let xc_area = area(xc.geometry.as_ref().unwrap());
    assert!(
        (xc_area - parts).abs() <= 1e-6 * parts,
        "{xc_area} vs {parts}"
    );

    // 拱墅区 then + 下城区 then = 拱墅区 today (the 2021 merger, nothing else moved in)
    let gs = r.geometry_of(unit("330105000000"), day).unwrap();
    assert_eq!(gs.source, GeometrySource::Reconstructed);
    let gs_today = area(today["330105000000"]);
    let sum = area(gs.geometry.as_ref().unwrap()) + xc_area;
    assert!(
        (sum - gs_today).abs() <= 1e-3 * gs_today,
        "{sum} vs {gs_today}"
    );

    // 西湖区 did not change: today's polygon, as it is
    let xh = r.geometry_of(unit("330106000000"), day).unwrap();
    assert_eq!(xh.source, GeometrySource::Current);
    assert_eq!(xh.geometry.as_ref(), Some(today["330106000000"]));

    // 上城区 took most of 江干区 in 2021: its 2020 shape is smaller than today's
    let sc = r.geometry_of(unit("330102000000"), day).unwrap();
    assert_eq!(sc.source, GeometrySource::Reconstructed);
    assert!(area(sc.geometry.as_ref().unwrap()) < 0.8 * area(today["330102000000"]));

    // a village abolished before 2020 has no polygon today: unknown, and no shape
    let d2019 = Date::parse("2019-12-31").unwrap();
    let s2019 = h.as_of(d2019).unwrap();
    let gone = s2019
        .units()
        .iter()
        .find(|u| u.level == AdminLevel::Community && h.latest().by_unit(u.unit).is_none())
        .expect("a village that ended");
    let g = r.geometry_of(gone.unit, d2019).unwrap();
    assert_eq!(g.source, GeometrySource::Unknown);
    assert!(g.geometry.is_none() && g.from_codes.is_empty());
}
