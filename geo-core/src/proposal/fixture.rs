//! A small district for the tests: two townships of two square communities each, in a row
//! west to east, 0.01° a side.
//!
//! ```text
//!   T1 330106001000        T2 330106002000
//! | C 001001 | C 001002 | C 002001 | C 002002 |
//! ```

use geo::{polygon, LineString, MultiPolygon, Point};

use crate::survey::lines::{boundary_lines, BoundaryLine};
use crate::survey::markers::{Marker, MarkerKind, MarkerStatus};
use crate::{
    AdminCode, AdminLevel, AdminUnit, Doorplate, Facility, FacilityAttributes, FacilityCategory,
};

pub(crate) const CELL: f64 = 0.01;

pub(crate) fn c(s: &str) -> AdminCode {
    AdminCode::parse(s).unwrap()
}

pub(crate) fn at(x: f64, y: f64) -> geo::Coord<f64> {
    geo::coord! { x: 120.0 + CELL * x, y: 30.0 + CELL * y }
}

pub(crate) fn rect(x0: f64, x1: f64) -> MultiPolygon<f64> {
    let (a, b) = (at(x0, 0.0), at(x1, 1.0));
    MultiPolygon(vec![
        polygon![(x: a.x, y: a.y), (x: b.x, y: a.y), (x: b.x, y: b.y), (x: a.x, y: b.y)],
    ])
}

fn unit(
    code: &str,
    level: AdminLevel,
    parent: Option<&str>,
    x0: f64,
    x1: f64,
    n: u64,
) -> AdminUnit {
    AdminUnit {
        code: c(code),
        name: format!("单元{code}"),
        level,
        parent: parent.map(c),
        kind: String::new(),
        geometry: rect(x0, x1),
        population: 100 * n,
        elderly: 20 * n,
        synthetic: true,
    }
}

pub(crate) fn admin() -> Vec<AdminUnit> {
    use AdminLevel::*;
    vec![
        unit("330100000000", City, None, 0.0, 4.0, 4),
        unit("330106000000", District, Some("330100000000"), 0.0, 4.0, 4),
        unit("330106001000", Township, Some("330106000000"), 0.0, 2.0, 2),
        unit("330106002000", Township, Some("330106000000"), 2.0, 4.0, 2),
        unit("330106001001", Community, Some("330106001000"), 0.0, 1.0, 1),
        unit("330106001002", Community, Some("330106001000"), 1.0, 2.0, 1),
        unit("330106002001", Community, Some("330106002000"), 2.0, 3.0, 1),
        unit("330106002002", Community, Some("330106002000"), 3.0, 4.0, 1),
    ]
}

/// One doorplate in the middle of each community (10 residents, 3 elderly), and a second
/// in the west quarter of the first (30 residents, 6 elderly).
pub(crate) fn doorplates() -> Vec<Doorplate> {
    let d = |id: u64, x: f64, code: &str, residents, elderly| Doorplate {
        id,
        road: "测试路".into(),
        number: id as u32,
        location: Point::from(at(x, 0.5)),
        residents,
        elderly,
        community: Some(c(code)),
        synthetic: true,
    };
    vec![
        d(1, 0.5, "330106001001", 10, 3),
        d(2, 1.5, "330106001002", 10, 3),
        d(3, 2.5, "330106002001", 10, 3),
        d(4, 3.5, "330106002002", 10, 3),
        d(5, 0.25, "330106001001", 30, 6),
    ]
}

/// A home-care centre and a social-work station in community 001002.
pub(crate) fn facilities() -> Vec<Facility> {
    let f = |id: &str, category| Facility {
        id: id.into(),
        name: id.into(),
        category,
        location: Point::from(at(1.4, 0.5)),
        address: String::new(),
        admin_code: Some(c("330106001002")),
        attributes: FacilityAttributes::default(),
        synthetic: true,
    };
    vec![
        f("hc1", FacilityCategory::HomeCareCentre),
        f("sw1", FacilityCategory::SocialWorkStation),
    ]
}

pub(crate) fn lines() -> Vec<BoundaryLine> {
    boundary_lines(&admin())
}

/// A marker on every line between two communities.
pub(crate) fn markers(lines: &[BoundaryLine]) -> Vec<Marker> {
    lines
        .iter()
        .filter(|l| l.level == AdminLevel::Community && l.right.is_some())
        .enumerate()
        .map(|(k, l)| {
            let p = l.geometry.0[0];
            Marker {
                number: format!("M{k:03}A"),
                line: l.id.clone(),
                lon: p.x,
                lat: p.y,
                kind: MarkerKind::A,
                status: MarkerStatus::Intact,
                inspections: Vec::new(),
            }
        })
        .collect()
}

/// A line running north across the row at `x` cells.
pub(crate) fn north_at(x: f64) -> LineString<f64> {
    LineString::from(vec![at(x, -0.5), at(x, 1.5)])
}
