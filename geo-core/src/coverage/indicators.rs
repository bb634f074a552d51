//! The civil-affairs plan's indicators per township or community: does each unit have the
//! facilities the plan asks of it, how much of its elderly population lives within the
//! home-care service circle, and how its elder-care beds compare with the targets.
//!
//! Why here: the figures are sums over facilities rolled up the admin tree plus two
//! coverage reports, all pure computation; the server only resolves a scenario into the
//! facility list and the reports it passes in, so an indicator under a scenario is computed
//! exactly as the base one. Definitions, formulas and the sources of the targets are in
//! `docs/indicators.md`.
//!
//! ```
//! use civmap_geo_core::coverage::{plan_indicators, CoverageReport, CoverageTotals, IndicatorId};
//! use civmap_geo_core::{AdminCode, AdminLevel, AdminUnit, Facility, FacilityAttributes,
//!     FacilityCategory};
//! use geo::{MultiPolygon, Point};
//!
//! let unit = |code: &str, level, parent: Option<&str>| AdminUnit {
//!     code: AdminCode::parse(code).unwrap(), name: code.into(), level,
//!     parent: parent.map(|p| AdminCode::parse(p).unwrap()), kind: String::new(),
//!     geometry: MultiPolygon(vec![]), population: 100, elderly: 20, synthetic: true,
//! };
//! let admin = vec![
//!     unit("330102001000", AdminLevel::Township, None),
//!     unit("330102001001", AdminLevel::Community, Some("330102001000")),
//! ];
//! let station = Facility {
//!     id: "sw1".into(), name: "社工站".into(), category: FacilityCategory::SocialWorkStation,
//!     location: Point::new(120.17, 30.25), address: String::new(),
//!     admin_code: Some(AdminCode::parse("330102001001").unwrap()),
//!     attributes: FacilityAttributes::default(), synthetic: true,
//! };
//! let empty = CoverageReport { units: vec![], total: CoverageTotals::default() };
//! let rows = plan_indicators(&admin, &[station], &empty, &empty, AdminLevel::Township);
//! let sw = rows[0].indicators.iter().find(|i| i.id == IndicatorId::SocialWorkStation).unwrap();
//! assert_eq!((sw.value, sw.pass), (Some(1.0), Some(true)));
//! ```

use std::collections::HashMap;

use serde::Serialize;

use super::CoverageReport;
use crate::{AdminCode, AdminLevel, AdminUnit, Facility, FacilityCategory};

/// Which indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorId {
    /// Hub canteens (中心食堂) that deliver meals in the township (target ≥ 1).
    HubCanteenWithDelivery,
    /// Elder canteens or meal points in the community (target ≥ 1); for a township, the
    /// share of its communities that have one (target 100%).
    MealPoint,
    /// Children's homes (儿童之家) in the unit (target ≥ 1).
    ChildrenHome,
    /// Social-work stations (社会工作站) in the township (target ≥ 1).
    SocialWorkStation,
    /// Share of the unit's elderly within a 15-minute walk of a home-care centre.
    HomeCare15MinShare,
    /// Share of the unit's elderly within a 20-minute walk of a home-care centre.
    HomeCare20MinShare,
    /// Nursing beds (护理型床位) as a share of elder-care institution beds.
    NursingBedShare,
    /// Elder-care institution beds per 1,000 elderly residents.
    BedsPer1000Elderly,
    /// Neighbourhood centres (邻里中心) in the unit; the city's 2025 target is 300 (180
    /// today). District and city rows only.
    NeighbourhoodCentre,
}

impl IndicatorId {
    /// The id used in the API, e.g. `nursing_bed_share`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HubCanteenWithDelivery => "hub_canteen_with_delivery",
            Self::MealPoint => "meal_point",
            Self::ChildrenHome => "children_home",
            Self::SocialWorkStation => "social_work_station",
            Self::HomeCare15MinShare => "home_care_15min_share",
            Self::HomeCare20MinShare => "home_care_20min_share",
            Self::NursingBedShare => "nursing_bed_share",
            Self::BedsPer1000Elderly => "beds_per_1000_elderly",
            Self::NeighbourhoodCentre => "neighbourhood_centre",
        }
    }
}

/// One indicator of one unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Indicator {
    /// Which indicator.
    pub id: IndicatorId,
    /// Chinese name.
    pub name_zh: &'static str,
    /// What `value` counts: `count`, `share` (0–1) or `per_1000`.
    pub unit: &'static str,
    /// The unit's value; `None` when it is undefined (no beds, no elderly).
    pub value: Option<f64>,
    /// What the value is made of: the count itself (`count`), the numerator of a share
    /// (communities with a meal point, covered elderly, nursing beds) or the beds of
    /// `per_1000`. A parent's numerator is the sum of its children's, which is what makes
    /// district and city roll-ups checkable.
    pub numerator: u64,
    /// The denominator of a share or of `per_1000` (communities, elderly, beds); `None`
    /// for a count.
    pub denominator: Option<u64>,
    /// Target for 2022, when the plan gives one.
    pub target_2022: Option<f64>,
    /// Target for 2025, when the plan gives one.
    pub target_2025: Option<f64>,
    /// `value >= target_2025`; `None` when either is missing.
    pub pass: Option<bool>,
}

/// A unit's indicators.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitIndicators {
    /// 12-digit code.
    pub code: AdminCode,
    /// Name.
    pub name: String,
    /// Level (township or community).
    pub level: AdminLevel,
    /// Elderly residents (the unit's own figure), the denominator of beds per 1,000.
    pub elderly: u64,
    /// The indicators that apply at this level.
    pub indicators: Vec<Indicator>,
}

/// `(covered elderly, elderly)` per unit code.
fn share_of(report: &CoverageReport) -> HashMap<&AdminCode, (u64, u64)> {
    report
        .units
        .iter()
        .map(|u| (&u.code, (u.covered_elderly, u.elderly)))
        .collect()
}

/// Nursing-bed share target for 2025 (60%), as the civil-affairs plan sets it.
pub const NURSING_BED_SHARE_2025: f64 = 0.60;

/// The city's neighbourhood centres (邻里中心) planned for 2025.
pub const NEIGHBOURHOOD_CENTRES_2025: u64 = 300;

/// What an indicator is computed from: a count, or a numerator over a denominator.
#[derive(Debug, Clone, Copy)]
enum Measure {
    Count(u64),
    Share(u64, u64),
    Per1000(u64, u64),
}

fn indicator(
    id: IndicatorId,
    name_zh: &'static str,
    measure: Measure,
    target_2022: Option<f64>,
    target_2025: Option<f64>,
) -> Indicator {
    let (unit, value, numerator, denominator) = match measure {
        Measure::Count(n) => ("count", Some(n as f64), n, None),
        Measure::Share(n, d) => ("share", (d > 0).then(|| n as f64 / d as f64), n, Some(d)),
        Measure::Per1000(n, d) => (
            "per_1000",
            (d > 0).then(|| n as f64 * 1000.0 / d as f64),
            n,
            Some(d),
        ),
    };
    Indicator {
        id,
        name_zh,
        unit,
        value,
        numerator,
        denominator,
        target_2022,
        target_2025,
        pass: value.zip(target_2025).map(|(v, t)| v >= t - 1e-12),
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    hub_delivery: u64,
    canteens: u64,
    children_homes: u64,
    social_work: u64,
    neighbourhood_centres: u64,
    beds: u64,
    nursing_beds: u64,
}

/// Indicators of every unit of `level`, in the order of `admin`.
///
/// Township and community rows check each unit against the plan. District and city rows
/// are **roll-ups** computed from the same facility and coverage records: the share of
/// townships with a hub canteen that delivers and with a social-work station, the share of
/// communities with a meal point and with a children's home, the neighbourhood centres
/// (city target 300 for 2025), the home-care walking shares, the nursing-bed share (target
/// 60%) and beds per 1,000 elderly. Every value carries its numerator and denominator, and
/// a district's are the sums of its townships' (a city's of its districts'), so the
/// roll-up equals the sum of its parts by construction; `tests` check it.
///
/// `facilities` are the facilities in force (a scenario's edits already applied); each
/// counts for the unit named by its `admin_code` and all that unit's ancestors.
/// `home_care_15` and `home_care_20` are walking-coverage reports of home-care centres at
/// 15 and 20 minutes over every level (`report(result, None)`); a unit missing from them
/// has no value for those shares.
pub fn plan_indicators(
    admin: &[AdminUnit],
    facilities: &[Facility],
    home_care_15: &CoverageReport,
    home_care_20: &CoverageReport,
    level: AdminLevel,
) -> Vec<UnitIndicators> {
    let by_code: HashMap<&AdminCode, usize> = admin
        .iter()
        .enumerate()
        .map(|(i, u)| (&u.code, i))
        .collect();
    let chain = |start: usize| {
        let mut out = vec![start];
        let mut cur = start;
        while let Some(&p) = admin[cur].parent.as_ref().and_then(|c| by_code.get(c)) {
            if out.contains(&p) {
                break;
            }
            out.push(p);
            cur = p;
        }
        out
    };
    let mut counts = vec![Counts::default(); admin.len()];
    for f in facilities {
        let Some(&u) = f.admin_code.as_ref().and_then(|c| by_code.get(c)) else {
            continue;
        };
        for a in chain(u) {
            let c = &mut counts[a];
            match f.category {
                FacilityCategory::ElderCanteen => {
                    c.canteens += 1;
                    if f.attributes.hub && f.attributes.delivery {
                        c.hub_delivery += 1;
                    }
                }
                FacilityCategory::ChildrenHome => c.children_homes += 1,
                FacilityCategory::SocialWorkStation => c.social_work += 1,
                FacilityCategory::NeighbourhoodCentre => c.neighbourhood_centres += 1,
                FacilityCategory::ElderCareInstitution => {
                    c.beds += u64::from(f.attributes.beds.unwrap_or(0));
                    c.nursing_beds += u64::from(f.attributes.nursing_beds.unwrap_or(0));
                }
                _ => {}
            }
        }
    }
    // Per ancestor: communities [with a meal point, with a children's home, all] and
    // townships [with a hub canteen that delivers, with a social-work station, all].
    let mut communities = vec![[0u64; 3]; admin.len()];
    let mut townships = vec![[0u64; 3]; admin.len()];
    for (i, u) in admin.iter().enumerate() {
        let (tally, has) = match u.level {
            AdminLevel::Community => (
                &mut communities,
                [counts[i].canteens > 0, counts[i].children_homes > 0],
            ),
            AdminLevel::Township => (
                &mut townships,
                [counts[i].hub_delivery > 0, counts[i].social_work > 0],
            ),
            _ => continue,
        };
        for a in chain(i).into_iter().skip(1) {
            tally[a][0] += u64::from(has[0]);
            tally[a][1] += u64::from(has[1]);
            tally[a][2] += 1;
        }
    }
    let (s15, s20) = (share_of(home_care_15), share_of(home_care_20));
    let covered = |s: &HashMap<&AdminCode, (u64, u64)>, code: &AdminCode| {
        let (n, d) = s.get(code).copied().unwrap_or((0, 0));
        Measure::Share(n, d)
    };
    admin
        .iter()
        .enumerate()
        .filter(|(_, u)| u.level == level)
        .map(|(i, u)| {
            let c = counts[i];
            let mut list = Vec::new();
            let roll_up = matches!(u.level, AdminLevel::District | AdminLevel::City);
            let township = u.level == AdminLevel::Township;
            if roll_up {
                let [hub, social, all_t] = townships[i];
                let [meal, children, all_c] = communities[i];
                list.push(indicator(
                    IndicatorId::HubCanteenWithDelivery,
                    "乡镇（街道）中心食堂（含送餐）覆盖率",
                    Measure::Share(hub, all_t),
                    None,
                    Some(1.0),
                ));
                list.push(indicator(
                    IndicatorId::MealPoint,
                    "社区（村）老年助餐点覆盖率",
                    Measure::Share(meal, all_c),
                    None,
                    Some(1.0),
                ));
                list.push(indicator(
                    IndicatorId::ChildrenHome,
                    "儿童之家覆盖率（社区、村）",
                    Measure::Share(children, all_c),
                    None,
                    Some(1.0),
                ));
                list.push(indicator(
                    IndicatorId::SocialWorkStation,
                    "乡镇（街道）社会工作站覆盖率",
                    Measure::Share(social, all_t),
                    None,
                    Some(1.0),
                ));
                list.push(indicator(
                    IndicatorId::NeighbourhoodCentre,
                    "邻里中心",
                    Measure::Count(c.neighbourhood_centres),
                    None,
                    (u.level == AdminLevel::City).then_some(NEIGHBOURHOOD_CENTRES_2025 as f64),
                ));
            } else if township {
                list.push(indicator(
                    IndicatorId::HubCanteenWithDelivery,
                    "乡镇（街道）中心食堂（含送餐）",
                    Measure::Count(c.hub_delivery),
                    None,
                    Some(1.0),
                ));
                let [with, _, all] = communities[i];
                list.push(indicator(
                    IndicatorId::MealPoint,
                    "社区（村）老年助餐点覆盖率",
                    Measure::Share(with, all),
                    None,
                    Some(1.0),
                ));
            } else {
                list.push(indicator(
                    IndicatorId::MealPoint,
                    "社区（村）老年助餐点",
                    Measure::Count(c.canteens),
                    None,
                    Some(1.0),
                ));
            }
            if !roll_up {
                list.push(indicator(
                    IndicatorId::ChildrenHome,
                    "儿童之家",
                    Measure::Count(c.children_homes),
                    None,
                    Some(1.0),
                ));
            }
            if township {
                list.push(indicator(
                    IndicatorId::SocialWorkStation,
                    "乡镇（街道）社会工作站",
                    Measure::Count(c.social_work),
                    None,
                    Some(1.0),
                ));
            }
            list.push(indicator(
                IndicatorId::HomeCare15MinShare,
                "15分钟居家养老服务圈老年人覆盖率",
                covered(&s15, &u.code),
                None,
                None,
            ));
            list.push(indicator(
                IndicatorId::HomeCare20MinShare,
                "20分钟居家养老服务圈老年人覆盖率",
                covered(&s20, &u.code),
                None,
                None,
            ));
            list.push(indicator(
                IndicatorId::NursingBedShare,
                "养老机构护理型床位占比",
                Measure::Share(c.nursing_beds, c.beds),
                None,
                Some(NURSING_BED_SHARE_2025),
            ));
            list.push(indicator(
                IndicatorId::BedsPer1000Elderly,
                "每千名老年人养老机构床位数",
                Measure::Per1000(c.beds, u.elderly),
                None,
                None,
            ));
            UnitIndicators {
                code: u.code.clone(),
                name: u.name.clone(),
                level: u.level,
                elderly: u.elderly,
                indicators: list,
            }
        })
        .collect()
}
