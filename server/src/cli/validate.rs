//! `civmap validate [FILE]`: the topology validator's report on a file of admin units
//! (GeoJSON or GeoPackage), or on the served units (`--data`, `--db`, the default city) with
//! the register's markers and exceptions. Exit status 1 when the frame is invalid.

use std::path::PathBuf;

use civmap_data::crs::InputCrs;
use civmap_data::import::{import_file, ImportFormat, ImportLayer};
use civmap_geo_core::survey::validate::{ValidateOptions, Validator};
use civmap_geo_core::survey::ValidationReport;
use civmap_geo_core::AdminLevel;
use clap::ValueEnum;

use super::dataset::runtime;
use super::export::state_of;
use super::user::AccountsArgs;
use super::CityArgs;
use crate::service::survey::ValidationAnswer;
use crate::service::survey_diff::today;

/// Report formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReportFormat {
    /// One line per error, then a summary.
    Text,
    /// The JSON of `GET /api/v1/validation`.
    Json,
}

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// A file of admin units (GeoJSON with code, name, level, parent; or a GeoPackage);
    /// without it, the served units with the register's markers and exceptions.
    file: Option<PathBuf>,
    /// Check one level only (default: all).
    #[arg(long, value_parser = super::parse::level)]
    level: Option<AdminLevel>,
    /// The CRS of a GeoJSON FILE (a GeoPackage names its own).
    #[arg(long, default_value = "wgs84", value_parser = super::parse::crs)]
    crs: InputCrs,
    /// Output format (stdout).
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    format: ReportFormat,
    #[command(flatten)]
    store: AccountsArgs,
    #[command(flatten)]
    city: CityArgs,
}

/// Runs the validator; `Ok(false)` when the frame has errors.
pub fn run(a: ValidateArgs) -> anyhow::Result<bool> {
    let levels = a.level.map_or(AdminLevel::ALL.to_vec(), |l| vec![l]);
    let (report, markers) = match &a.file {
        Some(path) => {
            let units = read_units(path, &a.crs)?;
            let findings = Validator::new(&units, ValidateOptions::default()).validate(&levels);
            (ValidationReport::new(findings, &[], &today()), None)
        }
        None => runtime()?.block_on(async {
            let state = state_of(&a.store, &a.city).await?;
            let markers = state.register.markers_for_checks().await?;
            let exceptions = state.register.exceptions_in_force().await?;
            let products = tokio::task::block_in_place(|| state.data.survey_products())?;
            let report = products.report(&levels, Some(&markers), &exceptions, &today());
            anyhow::Ok((report, Some(markers.len())))
        })?,
    };
    let answer = ValidationAnswer::new(&report, &levels, markers);
    match a.format {
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&answer)?),
        ReportFormat::Text => {
            for e in &answer.errors {
                let measure = match (e.area_m2, e.width_m) {
                    (Some(a), Some(w)) => format!(" ({a:.1} m², {w:.2} m wide)"),
                    (Some(a), None) => format!(" ({a:.1} m²)"),
                    _ => String::new(),
                };
                println!(
                    "{}\t{}\t{}{measure}\t{}",
                    e.rule,
                    e.level.as_deref().unwrap_or("-"),
                    e.codes.join(","),
                    e.detail
                );
            }
            println!(
                "{}: {} error(s), {} accepted by exceptions, {} expired exception(s); levels {}",
                if answer.valid { "valid" } else { "INVALID" },
                answer.errors.len(),
                answer.excepted.len(),
                answer.expired.len(),
                answer.levels.join(",")
            );
        }
    }
    Ok(answer.valid)
}

fn read_units(
    path: &std::path::Path,
    crs: &InputCrs,
) -> anyhow::Result<Vec<civmap_geo_core::AdminUnit>> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ext == "gpkg" {
        let bytes = std::fs::read(path)?;
        let survey = crate::service::survey_diff::parse_geopackage(&bytes, None)?;
        return Ok(survey
            .into_iter()
            .map(|s| civmap_geo_core::AdminUnit {
                level: s.code.level_hint(),
                name: s.name.unwrap_or_default(),
                parent: None,
                kind: String::new(),
                geometry: s.geometry,
                population: 0,
                elderly: 0,
                synthetic: false,
                code: s.code,
            })
            .collect());
    }
    let imported = import_file(
        ImportFormat::Geojson,
        path,
        Some(ImportLayer::Admin),
        crs,
        &mut |_, _| {},
    )?;
    Ok(imported.admin)
}
