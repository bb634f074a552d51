//! Boundary lines of the whole default city: every unit's perimeter is the sum of its
//! lines' lengths, and lines end only at junctions (three or more line ends) or close.

use std::collections::HashMap;

use civmap_data::synthetic::{generate, GeneratorConfig};
use civmap_geo_core::survey::lines::boundary_lines;
use civmap_geo_core::survey::measure::geodesic_perimeter_m;
use civmap_geo_core::AdminLevel;

#[test]
fn lines_cover_every_perimeter_and_end_at_junctions() {
    let ds = generate(&GeneratorConfig::default(), &mut |_| {}).expect("the generator runs");
    let lines = boundary_lines(&ds.admin);
    for level in AdminLevel::ALL {
        assert!(lines.iter().any(|l| l.level == level), "no lines at {level}");
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
        assert!((s - p).abs() <= 1e-6 * p, "{} ({}): lines {s} m vs perimeter {p} m", u.code, u.level);
    }
    // junctions: per level, every open line's end is the end of >= 3 line ends
    let mut ends: HashMap<(AdminLevel, u64, u64), usize> = HashMap::new();
    for l in &lines {
        let c = &l.geometry.0;
        if c.first() == c.last() {
            continue;
        }
        for p in [c[0], c[c.len() - 1]] {
            *ends.entry((l.level, p.x.to_bits(), p.y.to_bits())).or_default() += 1;
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
    let districts = lines.iter().filter(|l| l.level == AdminLevel::District && l.right.is_some()).count();
    eprintln!("{} lines, {districts} between districts", lines.len());
}
