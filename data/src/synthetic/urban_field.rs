//! How urban a place is, from 0 (mountain village) to 1 (West Lake's shore): one smooth field
//! that drives every density of the synthetic city — township and community sizes, people
//! per community, street spacing, doorplates — so that they agree with each other.
//!
//! The centres are real places (public knowledge, approximate to ~1 km): the historic core
//! at 武林广场, the newer centres of 滨江, 萧山, 未来科技城, 临平, 下沙, and the county seats.

use geo::Coord;

use super::plane::LocalPlane;

/// `(lon, lat, radius_km, weight, name)` of each urban centre.
const CENTRES: &[(f64, f64, f64, f64, &str)] = &[
    (120.165, 30.275, 9.0, 1.0, "武林广场"),
    (120.100, 30.285, 4.0, 0.8, "西溪"),
    (120.210, 30.205, 4.5, 0.85, "滨江"),
    (120.265, 30.175, 5.0, 0.8, "萧山城厢"),
    (120.020, 30.285, 4.0, 0.7, "未来科技城"),
    (120.300, 30.420, 4.0, 0.7, "临平"),
    (120.340, 30.310, 4.0, 0.7, "下沙"),
    (119.960, 30.050, 3.5, 0.6, "富阳富春"),
    (119.720, 30.235, 3.0, 0.55, "临安锦城"),
    (119.690, 29.800, 2.5, 0.5, "桐庐城南"),
    (119.040, 29.605, 2.5, 0.45, "千岛湖"),
    (119.285, 29.480, 2.5, 0.5, "新安江"),
];

/// The urban-intensity field over a plane.
#[derive(Debug, Clone)]
pub struct UrbanField {
    centres: Vec<(Coord<f64>, f64, f64)>,
}

impl UrbanField {
    /// Hangzhou's field in the given plane.
    pub fn hangzhou(plane: &LocalPlane) -> Self {
        Self {
            centres: CENTRES
                .iter()
                .map(|&(lon, lat, r_km, w, _)| {
                    (plane.to_plane(Coord { x: lon, y: lat }), r_km * 1000.0, w)
                })
                .collect(),
        }
    }

    /// Urban intensity in [0, 1] at a plane point (metres).
    pub fn at(&self, p: Coord<f64>) -> f64 {
        self.centres
            .iter()
            .map(|&(c, r, w)| {
                let d = ((p.x - c.x).powi(2) + (p.y - c.y).powi(2)).sqrt();
                w * (-d / r).exp()
            })
            .fold(0.0, f64::max)
    }
}
