//! Home-care coverage (15 min walk) that crosses the Qiantang: covered doorplates on the
//! north bank (上城 拱墅 西湖 余杭 临平) whose nearest centre is on the south bank (滨江 萧山),
//! and the reverse. 钱塘区 and 富阳区 straddle the river and are left out. Zero since the
//! generator respects water (the bridges are longer than 15 minutes' walk, 900 m).
//! `cargo run -p civmap-data --example qiantang_leak`
use civmap_data::synthetic::{generate, GeneratorConfig};
use civmap_geo_core::coverage::{CoverageEngine, CoverageMode, WalkProfile};
use civmap_geo_core::FacilityCategory;
fn main() {
    let ds = generate(&GeneratorConfig::default(), &mut |_| {}).unwrap();
    let engine = CoverageEngine::new(&ds);
    let src: Vec<(u32, f64, f64, String)> = ds
        .facilities
        .iter()
        .enumerate()
        .filter(|(_, f)| f.category == FacilityCategory::HomeCareCentre)
        .map(|(i, f)| {
            (
                i as u32,
                f.location.x(),
                f.location.y(),
                f.admin_code.as_ref().unwrap().as_str()[..6].to_string(),
            )
        })
        .collect();
    let s: Vec<(u32, f64, f64)> = src.iter().map(|x| (x.0, x.1, x.2)).collect();
    let r = engine
        .coverage(&s, 15.0, &WalkProfile::standard(), CoverageMode::Walk)
        .unwrap();
    let north = ["330102", "330105", "330106", "330110", "330113"];
    let south = ["330108", "330109"];
    let (mut n, mut e) = (0, 0u64);
    for (i, d) in ds.doorplates.iter().enumerate() {
        if !r.covered[i] {
            continue;
        }
        let home = &d.community.as_ref().unwrap().as_str()[..6];
        let from = &src[r.nearest_source[i] as usize].3;
        let cross = (north.contains(&home) && south.contains(&from.as_str()))
            || (south.contains(&home) && north.contains(&from.as_str()));
        if cross {
            n += 1;
            e += u64::from(d.elderly);
        }
    }
    println!("covered across the Qiantang: {n} doorplates, {e} elderly");
}
