//! CSV exports of the planners' answers (`?format=csv`, `civmap coverage report`).
//!
//! Why these choices: the files go into reports written in Excel on Chinese Windows
//! machines, which read a CSV without a byte-order mark as GBK and show mojibake, so every
//! file starts with the UTF-8 BOM. Every row carries its unit's full chain (district,
//! township, community codes and names, as far as the unit goes down) so that a table can
//! be filtered or pivoted by district without a second lookup. The query's parameters are
//! in the file name (and in constant columns where a table has them), never in a comment
//! line, so the file stays a plain rectangular table for any CSV reader.

use std::collections::HashMap;

use civmap_geo_core::{AdminLevel, AdminUnit};

use super::{CoverageAnswer, GapCollection, IndicatorsAnswer, SitingAnswer};
use crate::service::ServiceError;

/// The UTF-8 byte-order mark every export starts with.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The chain columns every export carries, in order.
pub const CHAIN_COLUMNS: [&str; 6] = [
    "district_code",
    "district_name",
    "township_code",
    "township_name",
    "community_code",
    "community_name",
];

/// A CSV file: its suggested name (parameters in it) and its bytes (BOM first).
#[derive(Debug, Clone)]
pub struct CsvFile {
    /// ASCII file name, e.g. `coverage_elder_canteen_15min_walk_standard_township.csv`.
    pub filename: String,
    /// UTF-8 with BOM.
    pub bytes: Vec<u8>,
}

/// District, township and community of admin units, looked up by code.
#[derive(Debug)]
pub struct Chains<'a> {
    admin: &'a [AdminUnit],
    by_code: HashMap<&'a str, usize>,
}

impl<'a> Chains<'a> {
    /// Over the dataset's units.
    pub fn new(admin: &'a [AdminUnit]) -> Self {
        Self {
            admin,
            by_code: admin
                .iter()
                .enumerate()
                .map(|(i, u)| (u.code.as_str(), i))
                .collect(),
        }
    }

    /// `[district code, district name, township code, township name, community code,
    /// community name]` of the unit `code` (itself included; empty above its level or for
    /// an unknown code).
    pub fn of(&self, code: &str) -> [String; 6] {
        let mut out: [String; 6] = Default::default();
        let mut cur = self.by_code.get(code).copied();
        let mut steps = 0;
        while let Some(i) = cur {
            let u = &self.admin[i];
            let slot = match u.level {
                AdminLevel::District => Some(0),
                AdminLevel::Township => Some(2),
                AdminLevel::Community => Some(4),
                AdminLevel::City => None,
            };
            if let Some(s) = slot {
                out[s] = u.code.as_str().to_owned();
                out[s + 1] = u.name.clone();
            }
            steps += 1;
            if steps > self.admin.len() {
                break;
            }
            cur = u
                .parent
                .as_ref()
                .and_then(|p| self.by_code.get(p.as_str()).copied());
        }
        out
    }
}

/// A CSV writer that starts with the UTF-8 BOM (for spreadsheet programs).
pub(crate) fn writer() -> csv::Writer<Vec<u8>> {
    csv::Writer::from_writer(BOM.to_vec())
}

/// The written file, named `filename`.
pub(crate) fn finish(w: csv::Writer<Vec<u8>>, filename: String) -> Result<CsvFile, ServiceError> {
    let bytes = w
        .into_inner()
        .map_err(|e| ServiceError::internal(e.error()))?;
    Ok(CsvFile { filename, bytes })
}

fn header(w: &mut csv::Writer<Vec<u8>>, head: &[&str], tail: &[&str]) -> Result<(), ServiceError> {
    let cols: Vec<&str> = head
        .iter()
        .chain(CHAIN_COLUMNS.iter())
        .chain(tail.iter())
        .copied()
        .collect();
    w.write_record(cols).map_err(ServiceError::internal)
}

fn row(
    w: &mut csv::Writer<Vec<u8>>,
    head: Vec<String>,
    chain: [String; 6],
    tail: Vec<String>,
) -> Result<(), ServiceError> {
    w.write_record(head.into_iter().chain(chain).chain(tail))
        .map_err(ServiceError::internal)
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// A file-name piece: ASCII letters, digits, `.`, `-` and `_` only.
fn part(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn scenario_part(s: &Option<String>) -> String {
    s.as_deref()
        .map(|id| format!("_scenario-{}", part(id)))
        .unwrap_or_default()
}

/// Columns of the coverage export.
pub const COVERAGE_HEAD: [&str; 8] = [
    "category", "minutes", "mode", "profile", "scenario", "level", "code", "name",
];
/// Figures of the coverage export (after the chain columns).
pub const COVERAGE_TAIL: [&str; 7] = [
    "population",
    "covered_population",
    "elderly",
    "covered_elderly",
    "share_elderly",
    "share_population",
    "covered_elderly_delta",
];

/// `GET /api/v1/coverage?format=csv` and `civmap coverage report --format csv`.
pub fn coverage_csv(a: &CoverageAnswer, chains: &Chains<'_>) -> Result<CsvFile, ServiceError> {
    let mut w = writer();
    header(&mut w, &COVERAGE_HEAD, &COVERAGE_TAIL)?;
    for u in &a.units {
        row(
            &mut w,
            vec![
                a.category.clone(),
                a.minutes.to_string(),
                a.mode.clone(),
                a.profile.clone(),
                a.scenario.clone().unwrap_or_default(),
                u.level.clone(),
                u.code.clone(),
                u.name.clone(),
            ],
            chains.of(&u.code),
            vec![
                u.population.to_string(),
                u.covered_population.to_string(),
                u.elderly.to_string(),
                u.covered_elderly.to_string(),
                u.share_elderly.to_string(),
                u.share_population.to_string(),
                opt(u.covered_elderly_delta),
            ],
        )?;
    }
    let name = format!(
        "coverage_{}_{}min_{}_{}_{}{}.csv",
        part(&a.category),
        a.minutes,
        a.mode,
        a.profile,
        a.level,
        scenario_part(&a.scenario)
    );
    finish(w, name)
}

/// `GET /api/v1/coverage/gaps?format=csv` (one page, as asked).
pub fn gaps_csv(
    g: &GapCollection,
    query: &str,
    chains: &Chains<'_>,
) -> Result<CsvFile, ServiceError> {
    let mut w = writer();
    header(
        &mut w,
        &["rank", "category", "minutes", "mode", "scenario"],
        &[
            "elderly",
            "population",
            "doorplates",
            "cells",
            "centroid_lon",
            "centroid_lat",
        ],
    )?;
    for f in &g.features {
        let p = &f.properties;
        let code = p.admin.as_ref().map(|a| a.code.as_str()).unwrap_or("");
        let (lon, lat) = (p.centroid_lon, p.centroid_lat);
        row(
            &mut w,
            vec![
                p.rank.to_string(),
                p.category.clone(),
                p.minutes.to_string(),
                p.mode.clone(),
                g.scenario.clone().unwrap_or_default(),
            ],
            chains.of(code),
            vec![
                p.elderly.map_or_else(String::new, |v| v.to_string()),
                p.population.map_or_else(String::new, |v| v.to_string()),
                p.doorplates.to_string(),
                p.cells.to_string(),
                format!("{lon:.6}"),
                format!("{lat:.6}"),
            ],
        )?;
    }
    finish(
        w,
        format!(
            "gaps_{}{}_offset{}_limit{}.csv",
            part(query),
            scenario_part(&g.scenario),
            g.offset,
            g.features.len()
        ),
    )
}

/// `GET /api/v1/indicators?format=csv`: one row per unit and indicator.
pub fn indicators_csv(a: &IndicatorsAnswer, chains: &Chains<'_>) -> Result<CsvFile, ServiceError> {
    let mut w = writer();
    header(
        &mut w,
        &["level", "code", "name", "profile", "scenario"],
        &[
            "elderly",
            "indicator",
            "indicator_name",
            "value_unit",
            "value",
            "numerator",
            "denominator",
            "target_2022",
            "target_2025",
            "pass",
        ],
    )?;
    for u in &a.units {
        for i in &u.indicators {
            row(
                &mut w,
                vec![
                    u.level.clone(),
                    u.code.clone(),
                    u.name.clone(),
                    a.profile.clone(),
                    a.scenario.clone().unwrap_or_default(),
                ],
                chains.of(&u.code),
                vec![
                    u.elderly.to_string(),
                    i.id.clone(),
                    i.name_zh.clone(),
                    i.unit.clone(),
                    opt(i.value),
                    i.numerator.to_string(),
                    opt(i.denominator),
                    opt(i.target_2022),
                    opt(i.target_2025),
                    opt(i.pass),
                ],
            )?;
        }
    }
    finish(
        w,
        format!(
            "indicators_{}_{}{}.csv",
            a.level,
            a.profile,
            scenario_part(&a.scenario)
        ),
    )
}

/// `POST /api/v1/siting?format=csv`.
pub fn siting_csv(a: &SitingAnswer, chains: &Chains<'_>) -> Result<CsvFile, ServiceError> {
    let mut w = writer();
    header(
        &mut w,
        &[
            "rank", "category", "minutes", "profile", "scenario", "area", "lon", "lat",
        ],
        &[
            "nearest_address",
            "nearest_doorplate_m",
            "newly_covered_elderly",
            "cumulative_newly_covered_elderly",
        ],
    )?;
    for f in &a.features {
        let p = &f.properties;
        let code = p
            .community
            .as_ref()
            .or(p.township.as_ref())
            .or(p.district.as_ref())
            .map(|c| c.code.as_str())
            .unwrap_or("");
        row(
            &mut w,
            vec![
                p.rank.to_string(),
                p.category.clone(),
                p.minutes.to_string(),
                a.profile.clone(),
                a.scenario.clone().unwrap_or_default(),
                a.area.clone().unwrap_or_default(),
                format!("{:.6}", p.lon),
                format!("{:.6}", p.lat),
            ],
            chains.of(code),
            vec![
                p.nearest_address.clone().unwrap_or_default(),
                opt(p.nearest_doorplate_m.map(|m| format!("{m:.1}"))),
                p.newly_covered_elderly.to_string(),
                p.cumulative_newly_covered_elderly.to_string(),
            ],
        )?;
    }
    finish(
        w,
        format!(
            "siting_{}_{}min_k{}_{}{}{}.csv",
            part(&a.category),
            a.minutes,
            a.k,
            a.profile,
            a.area
                .as_deref()
                .map(|c| format!("_area-{}", part(c)))
                .unwrap_or_default(),
            scenario_part(&a.scenario)
        ),
    )
}

impl CsvFile {
    /// Serialises an answer as CSV with the unit chains of `admin`.
    pub fn of<T>(
        answer: &T,
        admin: &[AdminUnit],
        f: impl FnOnce(&T, &Chains<'_>) -> Result<CsvFile, ServiceError>,
    ) -> Result<CsvFile, ServiceError> {
        f(answer, &Chains::new(admin))
    }
}
