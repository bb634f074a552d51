//! Facilities sited the way the plan's figures say they stand, with the gaps real cities
//! have: ~2,300 elder canteens/meal points (a hub with delivery in most townships),
//! ~2,800 home-care centres (214 demonstration), 329 elder-care institutions with 73.9 beds
//! per 1,000 elderly (~56% nursing), children's homes in most communities, ~180
//! neighbourhood centres, social-work stations in most townships, and the city's
//! registries, relief stations and funeral services. Facilities stand at a doorplate of
//! their community and take its address. Counts scale with the generator's `scale`.

use civmap_geo_core::{Facility, FacilityAttributes, FacilityCategory as Cat};
use geo::{Coord, Point};
use rand::seq::SliceRandom;
use rand::Rng;

use super::admin::{normal, CityPlan};
use super::doorplates::PlacedDoorplates;
use super::plane::LocalPlane;
use super::water::Water;
use super::{allocate_exact, rng_for, GeneratorConfig};

/// Elder canteens and meal points in the city (2025-04 press conference: "2300余家").
pub const ELDER_CANTEENS: usize = 2_300;
/// Home-care service centres.
pub const HOME_CARE_CENTRES: usize = 2_800;
/// Demonstration home-care centres among them.
pub const DEMONSTRATION_CENTRES: usize = 214;
/// Elder-care institutions.
pub const INSTITUTIONS: usize = 329;
/// Beds per 1,000 elderly.
pub const BEDS_PER_1000_ELDERLY: f64 = 73.9;
/// Share of nursing beds.
pub const NURSING_SHARE: f64 = 0.56;
/// Neighbourhood centres.
pub const NEIGHBOURHOOD_CENTRES: usize = 180;

struct Siting<'a> {
    plan: &'a CityPlan,
    plates: &'a PlacedDoorplates,
    plane: &'a LocalPlane,
    water: &'a Water,
    out: Vec<Facility>,
}

impl Siting<'_> {
    fn add(
        &mut self,
        cat: Cat,
        community: usize,
        name: String,
        attributes: FacilityAttributes,
        rng: &mut impl Rng,
    ) {
        let c = &self.plan.communities[community];
        let plates = &self.plates.by_community[community];
        let (location, address) = match plates.choose(rng) {
            Some(&i) => {
                let d = &self.plates.records[i as usize];
                let jitter = Coord {
                    x: rng.gen_range(-4e-5..4e-5),
                    y: rng.gen_range(-4e-5..4e-5),
                };
                let moved = d.location.0 + jitter;
                // a plate can stand near the shore: never let the jitter step into water
                let at = if self.water.is_wet(self.plane.to_plane(moved)) {
                    d.location.0
                } else {
                    moved
                };
                (Point(at), d.address())
            }
            None => (Point(self.plane.to_lon_lat(c.seed)), String::new()),
        };
        let n = self.out.len() + 1;
        self.out.push(Facility {
            id: format!("{}-{n:05}", cat.id()),
            name,
            category: cat,
            location,
            address,
            admin_code: Some(c.row.code.clone()),
            attributes,
            synthetic: true,
        });
    }

    fn township_name(&self, community: usize) -> &str {
        &self.plan.townships[self.plan.communities[community].township]
            .row
            .name
    }
}

fn short(name: &str) -> &str {
    for suf in ["社区居委会", "村委会", "居委会", "社区", "街道", "村"] {
        if let Some(s) = name.strip_suffix(suf) {
            if !s.is_empty() {
                return s;
            }
        }
    }
    name
}

/// Picks `n` distinct indices from `0..weights.len()` with probability ∝ weight
/// (Efraimidis–Spirakis keys), in index order.
fn weighted_sample(weights: &[f64], n: usize, rng: &mut impl Rng) -> Vec<usize> {
    let mut keyed: Vec<(f64, usize)> = weights
        .iter()
        .enumerate()
        .filter(|(_, &w)| w > 0.0)
        .map(|(i, &w)| (rng.gen::<f64>().powf(1.0 / w), i))
        .collect();
    keyed.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut picked: Vec<usize> = keyed.into_iter().take(n).map(|(_, i)| i).collect();
    picked.sort_unstable();
    picked
}

/// Sites every category.
pub fn site(
    plan: &CityPlan,
    plates: &PlacedDoorplates,
    plane: &LocalPlane,
    water: &Water,
    cfg: &GeneratorConfig,
) -> Vec<Facility> {
    let mut s = Siting {
        plan,
        plates,
        plane,
        water,
        out: Vec::new(),
    };
    let k = cfg.scale as usize;
    let mut rng = rng_for(cfg.seed, "facilities", 0);
    let nc = plan.communities.len();
    let most_populous = |t: usize| {
        plan.townships[t]
            .communities
            .iter()
            .copied()
            .max_by_key(|&c| plan.communities[c].population)
    };
    // elder canteens: a hub with delivery in ~92% of townships, meal points elsewhere,
    // likelier in urban and older communities
    let mut canteens = 0;
    for round in 0..k {
        for t in 0..plan.townships.len() {
            if rng.gen_bool(0.92) {
                if let Some(c) = most_populous(t) {
                    let name = format!(
                        "{}中心老年食堂{}",
                        short(s.township_name(c)),
                        if round > 0 {
                            format!("（{}）", round + 1)
                        } else {
                            String::new()
                        }
                    );
                    let attrs = FacilityAttributes {
                        hub: true,
                        delivery: true,
                        ..Default::default()
                    };
                    s.add(Cat::ElderCanteen, c, name, attrs, &mut rng);
                    canteens += 1;
                }
            }
        }
    }
    let w: Vec<f64> = plan
        .communities
        .iter()
        .map(|c| (0.25 + c.urban) * (c.elderly as f64).sqrt())
        .collect();
    let meal_points = (ELDER_CANTEENS * k).saturating_sub(canteens);
    for c in weighted_sample(&w, meal_points.min(nc), &mut rng) {
        let attrs = FacilityAttributes {
            delivery: rng.gen_bool(0.2),
            ..Default::default()
        };
        s.add(
            Cat::ElderCanteen,
            c,
            format!("{}老年助餐点", short(&plan.communities[c].row.name)),
            attrs,
            &mut rng,
        );
    }
    for _ in nc..meal_points {
        let c = rng.gen_range(0..nc);
        s.add(
            Cat::ElderCanteen,
            c,
            format!("{}老年助餐点（分点）", short(&plan.communities[c].row.name)),
            FacilityAttributes::default(),
            &mut rng,
        );
    }
    // home-care centres: most communities; the demonstration ones where most elderly live
    let w: Vec<f64> = plan
        .communities
        .iter()
        .map(|c| 0.5 + c.urban + (c.elderly as f64 / 2_000.0))
        .collect();
    let hc = (HOME_CARE_CENTRES * k).min(nc * k);
    let mut picked: Vec<usize> = Vec::new();
    for _ in 0..k {
        picked.extend(weighted_sample(&w, hc / k, &mut rng));
    }
    let mut by_elderly = picked.clone();
    by_elderly.sort_by_key(|&c| std::cmp::Reverse(plan.communities[c].elderly));
    let demo: std::collections::HashSet<usize> = by_elderly
        .into_iter()
        .take(DEMONSTRATION_CENTRES * k)
        .collect();
    for c in picked {
        let attrs = FacilityAttributes {
            demonstration: demo.contains(&c),
            ..Default::default()
        };
        s.add(
            Cat::HomeCareCentre,
            c,
            format!(
                "{}居家养老服务照料中心",
                short(&plan.communities[c].row.name)
            ),
            attrs,
            &mut rng,
        );
    }
    // elder-care institutions with the city's beds
    let elderly_total: u64 = plan.communities.iter().map(|c| c.elderly).sum();
    let beds_total = (elderly_total as f64 * BEDS_PER_1000_ELDERLY / 1000.0).round() as u64;
    let n_inst = INSTITUTIONS * k;
    let w: Vec<f64> = plan
        .communities
        .iter()
        .map(|c| c.elderly as f64 * (0.4 + (1.0 - c.urban) * 0.6))
        .collect();
    let sites: Vec<usize> = (0..n_inst)
        .map(|i| weighted_sample(&w, 1, &mut rng_for(cfg.seed, "institution", i as u64))[0])
        .collect();
    let bed_w: Vec<f64> = (0..n_inst)
        .map(|_| (0.8 * normal(&mut rng)).exp())
        .collect();
    let beds = allocate_exact(beds_total, &bed_w);
    for (i, (&c, &b)) in sites.iter().zip(&beds).enumerate() {
        let nursing =
            ((b as f64) * (NURSING_SHARE + 0.12 * normal(&mut rng)).clamp(0.1, 1.0)).round() as u32;
        let attrs = FacilityAttributes {
            beds: Some(b as u32),
            nursing_beds: Some(nursing.min(b as u32)),
            ..Default::default()
        };
        let kind = if b > 600 {
            "社会福利院"
        } else if b > 200 {
            "颐养院"
        } else {
            "敬老院"
        };
        s.add(
            Cat::ElderCareInstitution,
            c,
            format!(
                "{}{}{}",
                short(s.township_name(c)),
                kind,
                if i % 7 == 3 { "（分院）" } else { "" }
            ),
            attrs,
            &mut rng,
        );
    }
    // per-community and per-township services
    for _ in 0..k {
        for c in 0..nc {
            let cp = &plan.communities[c];
            if rng.gen_bool((0.80 + 0.12 * cp.urban).min(0.97)) {
                s.add(
                    Cat::ChildrenHome,
                    c,
                    format!("{}儿童之家", short(&cp.row.name)),
                    FacilityAttributes::default(),
                    &mut rng,
                );
            }
        }
        for t in 0..plan.townships.len() {
            let Some(c) = most_populous(t) else { continue };
            let tn = short(&plan.townships[t].row.name).to_owned();
            if rng.gen_bool(0.90) {
                s.add(
                    Cat::SocialWorkStation,
                    c,
                    format!("{tn}社会工作站"),
                    FacilityAttributes::default(),
                    &mut rng,
                );
            }
            if rng.gen_bool(0.85) {
                s.add(
                    Cat::MinorProtectionStation,
                    c,
                    format!("{tn}未成年人保护工作站"),
                    FacilityAttributes::default(),
                    &mut rng,
                );
            }
            if rng.gen_bool(0.25) {
                s.add(
                    Cat::HealthElderUnion,
                    c,
                    format!("{tn}康养联合体"),
                    FacilityAttributes::default(),
                    &mut rng,
                );
            }
        }
    }
    // neighbourhood centres in the urban communities
    let w: Vec<f64> = plan
        .communities
        .iter()
        .map(|c| {
            if c.row.kind == "community" {
                c.urban.powi(2) * c.population as f64
            } else {
                0.0
            }
        })
        .collect();
    for c in weighted_sample(&w, NEIGHBOURHOOD_CENTRES * k, &mut rng) {
        s.add(
            Cat::NeighbourhoodCentre,
            c,
            format!("{}邻里中心", short(&plan.communities[c].row.name)),
            FacilityAttributes::default(),
            &mut rng,
        );
    }
    // one per district: marriage registry, funeral service, child welfare; relief stations
    // in the city and the counties
    for d in &plan.districts {
        let Some(c) = d
            .townships
            .iter()
            .filter_map(|&t| most_populous(t))
            .max_by_key(|&c| plan.communities[c].population)
        else {
            continue;
        };
        let dn = &d.real.name;
        s.add(
            Cat::MarriageRegistry,
            c,
            format!("{dn}婚姻登记处"),
            FacilityAttributes::default(),
            &mut rng,
        );
        s.add(
            Cat::ChildWelfareInstitution,
            c,
            format!("{dn}儿童福利院"),
            FacilityAttributes::default(),
            &mut rng,
        );
        let rural = d
            .townships
            .iter()
            .filter_map(|&t| most_populous(t))
            .min_by(|&a, &b| {
                plan.communities[a]
                    .urban
                    .total_cmp(&plan.communities[b].urban)
            })
            .unwrap_or(c);
        s.add(
            Cat::FuneralService,
            rural,
            format!("{dn}殡仪馆"),
            FacilityAttributes::default(),
            &mut rng,
        );
        if d.real.kind != "urban_district" || d.real.name == "上城区" {
            let name = if d.real.name == "上城区" {
                "杭州市救助管理站".to_owned()
            } else {
                format!("{dn}救助管理站")
            };
            s.add(
                Cat::ReliefStation,
                c,
                name,
                FacilityAttributes::default(),
                &mut rng,
            );
        }
    }
    s.out
}
