//! Township and community polygons, population and elderly: the administrative half of the
//! synthetic city, in the local plane until [`CityPlan::admin_units`].

use civmap_geo_core::{AdminLevel, AdminUnit};
use geo::{Area, Coord, MultiPolygon};
use rand::Rng;
pub(crate) use rand_distr_free::normal;

use super::plane::LocalPlane;
use super::seeds::best_candidate_seeds;
use super::urban_field::UrbanField;
use super::voronoi::partition;
use super::water::Water;
use super::{allocate_capped, allocate_exact, rng_for};
use crate::hangzhou::{DivisionRow, HangzhouFrame, RealDistrict};
use crate::DataError;

/// Standard normal draws without an extra crate (Box–Muller).
pub(crate) mod rand_distr_free {
    use rand::Rng;
    pub fn normal<R: Rng>(rng: &mut R) -> f64 {
        let u1: f64 = rng.gen_range(f64::EPSILON..1.0);
        let u2: f64 = rng.gen();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// A district in the plan.
#[derive(Debug, Clone)]
pub struct DistrictPlan {
    pub real: RealDistrict,
    /// Boundary in plane metres.
    pub poly: MultiPolygon<f64>,
    pub townships: Vec<usize>,
}

/// A township in the plan.
#[derive(Debug, Clone)]
pub struct TownshipPlan {
    pub row: DivisionRow,
    pub district: usize,
    pub poly: MultiPolygon<f64>,
    pub seed: Coord<f64>,
    pub communities: Vec<usize>,
}

/// A community or village in the plan.
#[derive(Debug, Clone)]
pub struct CommunityPlan {
    pub row: DivisionRow,
    pub township: usize,
    pub district: usize,
    pub poly: MultiPolygon<f64>,
    pub seed: Coord<f64>,
    /// Urban intensity at the seed.
    pub urban: f64,
    pub population: u64,
    pub elderly: u64,
}

/// The whole admin plan in plane metres.
#[derive(Debug, Clone)]
pub struct CityPlan {
    pub city: DivisionRow,
    pub city_geometry: MultiPolygon<f64>,
    pub districts: Vec<DistrictPlan>,
    pub townships: Vec<TownshipPlan>,
    pub communities: Vec<CommunityPlan>,
    pub field: UrbanField,
    pub seed: u64,
}

fn is_urban_kind(kind: &str) -> bool {
    matches!(kind, "subdistrict" | "community" | "special_living_area")
}

/// Seeds for `rows` inside `poly`: urban kinds first, packed where the field is high; the
/// rest spread evenly. Returns seeds in the order of `rows`.
fn seeds_for(
    rows: &[&DivisionRow],
    poly: &MultiPolygon<f64>,
    field: &UrbanField,
    water: &Water,
    rng: &mut impl Rng,
) -> Vec<Coord<f64>> {
    let (urban, rural): (Vec<usize>, Vec<usize>) =
        (0..rows.len()).partition(|&i| is_urban_kind(&rows[i].kind));
    let mut placed = Vec::with_capacity(rows.len());
    let urban_pref = |c: Coord<f64>| (0.03 + field.at(c)).powf(1.5);
    let land = |c: Coord<f64>| !water.is_wet(c);
    best_candidate_seeds(poly, urban.len(), &mut placed, 24, &urban_pref, &land, rng);
    best_candidate_seeds(poly, rural.len(), &mut placed, 24, &|_| 1.0, &land, rng);
    let mut out = vec![Coord { x: 0.0, y: 0.0 }; rows.len()];
    for (k, &i) in urban.iter().chain(rural.iter()).enumerate() {
        out[i] = placed[k];
    }
    out
}

/// Partitions the real districts, allots population and elderly.
pub fn plan_city(
    frame: &HangzhouFrame,
    plane: &LocalPlane,
    field: &UrbanField,
    water: &Water,
    seed: u64,
) -> Result<CityPlan, DataError> {
    let mut plan = CityPlan {
        city: frame.city.clone(),
        city_geometry: plane.mp_to_plane(&frame.city_geometry),
        districts: Vec::new(),
        townships: Vec::new(),
        communities: Vec::new(),
        field: field.clone(),
        seed,
    };
    for (di, d) in frame.districts.iter().enumerate() {
        let poly = plane.mp_to_plane(&d.geometry);
        let rows: Vec<&DivisionRow> = frame
            .townships
            .iter()
            .filter(|t| t.parent == d.code)
            .collect();
        let mut rng = rng_for(seed, "township-seeds", di as u64);
        let seeds = seeds_for(&rows, &poly, field, water, &mut rng);
        let cells = partition(&poly, &seeds);
        let mut tids = Vec::new();
        for ((row, cell), s) in rows.iter().zip(cells).zip(seeds) {
            tids.push(plan.townships.len());
            plan.townships.push(TownshipPlan {
                row: (*row).clone(),
                district: di,
                poly: cell,
                seed: s,
                communities: vec![],
            });
        }
        plan.districts.push(DistrictPlan {
            real: d.clone(),
            poly,
            townships: tids,
        });
    }
    for ti in 0..plan.townships.len() {
        let t = &plan.townships[ti];
        let rows: Vec<&DivisionRow> = frame
            .communities
            .iter()
            .filter(|c| c.parent == t.row.code)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let mut rng = rng_for(seed, "community-seeds", ti as u64);
        let seeds = seeds_for(&rows, &t.poly, field, water, &mut rng);
        let cells = partition(&t.poly, &seeds);
        let (district, mut cids) = (t.district, Vec::new());
        for ((row, cell), s) in rows.iter().zip(cells).zip(seeds) {
            cids.push(plan.communities.len());
            plan.communities.push(CommunityPlan {
                row: (*row).clone(),
                township: ti,
                district,
                poly: cell,
                seed: s,
                urban: field.at(s),
                population: 0,
                elderly: 0,
            });
        }
        plan.townships[ti].communities = cids;
    }
    allot_people(&mut plan, frame)?;
    Ok(plan)
}

/// Population per community summing exactly to each district's census figure; elderly
/// summing exactly to the city's 60+ total, with higher shares away from the centres.
fn allot_people(plan: &mut CityPlan, frame: &HangzhouFrame) -> Result<(), DataError> {
    let mut rng = rng_for(plan.seed, "population", 0);
    let mut share = vec![0.0; plan.communities.len()];
    for d in &plan.districts {
        let members: Vec<usize> = d
            .townships
            .iter()
            .flat_map(|&t| plan.townships[t].communities.iter().copied())
            .collect();
        if members.is_empty() {
            return Err(DataError::invalid(
                "generator",
                format!("district {}", d.real.code),
                None,
                "has no communities",
            ));
        }
        let weights: Vec<f64> = members
            .iter()
            .map(|&c| {
                let cp = &plan.communities[c];
                let kind = match cp.row.kind.as_str() {
                    "community" => 2.5,
                    "special_living_area" => 0.3,
                    _ => 1.0,
                };
                let area_km2 = (cp.poly.unsigned_area() / 1e6).clamp(0.05, 200.0);
                kind * (0.08 + cp.urban).powf(1.3)
                    * area_km2.powf(0.25)
                    * (0.3 * normal(&mut rng)).exp()
            })
            .collect();
        let pops = allocate_exact(d.real.population, &weights);
        for (&c, p) in members.iter().zip(pops) {
            plan.communities[c].population = p;
            let village = if plan.communities[c].row.kind == "village" {
                0.03
            } else {
                0.0
            };
            let u = plan.communities[c].urban;
            share[c] =
                (0.12 + 0.11 * (1.0 - u) + village + 0.015 * normal(&mut rng)).clamp(0.06, 0.4);
        }
    }
    let weights: Vec<f64> = plan
        .communities
        .iter()
        .zip(&share)
        .map(|(c, s)| c.population as f64 * s)
        .collect();
    let caps: Vec<u64> = plan.communities.iter().map(|c| c.population).collect();
    let elderly = allocate_capped(frame.elderly_total, &weights, &caps);
    for (c, e) in plan.communities.iter_mut().zip(elderly) {
        c.elderly = e;
    }
    Ok(())
}

impl CityPlan {
    /// Converts the plan into model records (WGS84), top down.
    pub fn admin_units(&self, plane: &LocalPlane) -> Vec<AdminUnit> {
        let mut out = Vec::with_capacity(
            1 + self.districts.len() + self.townships.len() + self.communities.len(),
        );
        let t_pop = |t: &TownshipPlan| -> (u64, u64) {
            t.communities.iter().fold((0, 0), |(p, e), &c| {
                (
                    p + self.communities[c].population,
                    e + self.communities[c].elderly,
                )
            })
        };
        let d_pop = |d: &DistrictPlan| -> (u64, u64) {
            d.townships
                .iter()
                .map(|&t| t_pop(&self.townships[t]))
                .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
        };
        let (cp, ce) = self
            .districts
            .iter()
            .map(d_pop)
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        out.push(AdminUnit {
            code: self.city.code.clone(),
            name: self.city.name.clone(),
            level: AdminLevel::City,
            parent: None,
            kind: "city".into(),
            geometry: plane.mp_to_lon_lat(&self.city_geometry),
            population: cp,
            elderly: ce,
            synthetic: false,
        });
        for d in &self.districts {
            let (p, e) = d_pop(d);
            out.push(AdminUnit {
                code: d.real.code.clone(),
                name: d.real.name.clone(),
                level: AdminLevel::District,
                parent: Some(self.city.code.clone()),
                kind: d.real.kind.clone(),
                geometry: d.real.geometry.clone(),
                population: p,
                elderly: e,
                synthetic: false,
            });
        }
        for t in &self.townships {
            let (p, e) = t_pop(t);
            out.push(unit(
                &t.row,
                AdminLevel::Township,
                plane.mp_to_lon_lat(&t.poly),
                p,
                e,
            ));
        }
        for c in &self.communities {
            out.push(unit(
                &c.row,
                AdminLevel::Community,
                plane.mp_to_lon_lat(&c.poly),
                c.population,
                c.elderly,
            ));
        }
        out
    }
}

fn unit(
    row: &DivisionRow,
    level: AdminLevel,
    geometry: MultiPolygon<f64>,
    population: u64,
    elderly: u64,
) -> AdminUnit {
    AdminUnit {
        code: row.code.clone(),
        name: row.name.clone(),
        level,
        parent: Some(row.parent.clone()),
        kind: row.kind.clone(),
        geometry,
        population,
        elderly,
        synthetic: true,
    }
}
