//! `civmap coverage report`: the numbers of `GET /api/v1/coverage`, from the same coverage
//! service, as CSV or GeoJSON on stdout.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use civmap_geo_core::coverage::{CoverageMode, WalkProfile};
use civmap_geo_core::{AdminLevel, FacilityCategory};
use clap::ValueEnum;
use serde_json::{json, Value};

use super::dataset::{load, runtime};
use super::{progress, CityArgs};
use crate::service::coverage::export::{coverage_csv, CsvFile};
use crate::service::coverage::{Budgets, CoverageAnswer, CoverageQuery, CoverageService};
use crate::service::geojson::AdminFeature;
use crate::service::{DataService, StoreKind};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ReportFormat {
    Csv,
    Geojson,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ReportMode {
    Walk,
    Straight,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ReportProfile {
    Standard,
    Elderly,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Facility category, e.g. elder_canteen.
    #[arg(long, value_parser = super::parse::category)]
    category: FacilityCategory,
    /// Time limit in minutes (0 < M <= 120).
    #[arg(long, default_value_t = 15.0, value_parser = super::parse::minutes)]
    minutes: f64,
    /// city, district, township or community.
    #[arg(long, default_value = "township", value_parser = super::parse::level)]
    level: AdminLevel,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Csv)]
    format: ReportFormat,
    /// walk (along the network) or straight (geodesic circle).
    #[arg(long, value_enum, default_value_t = ReportMode::Walk)]
    mode: ReportMode,
    /// standard (1.0 m/s) or elderly (0.8 m/s).
    #[arg(long, value_enum, default_value_t = ReportProfile::Standard)]
    profile: ReportProfile,
    /// Report on this data directory instead of the default city.
    #[arg(long)]
    data: Option<PathBuf>,
    #[command(flatten)]
    city: CityArgs,
}

/// Computes the report through the coverage service and writes it to stdout.
pub fn report(a: ReportArgs) -> anyhow::Result<()> {
    let bar = progress::spinner();
    bar.set_message("loading data");
    let ds = load(a.data.as_deref(), &a.city)?;
    bar.set_message("indexing and building the coverage engine (snapping doorplates)");
    let data = Arc::new(DataService::new(ds, StoreKind::DataDir));
    // no time budget on the command line: the user waits as long as it takes
    let coverage = Arc::new(CoverageService::with_budgets(
        data.clone(),
        Budgets::unlimited(),
    ));
    let q = CoverageQuery {
        category: a.category,
        minutes: a.minutes,
        mode: match a.mode {
            ReportMode::Walk => CoverageMode::Walk,
            ReportMode::Straight => CoverageMode::Straight,
        },
        profile: match a.profile {
            ReportProfile::Standard => WalkProfile::standard(),
            ReportProfile::Elderly => WalkProfile::elderly(),
        },
        scenario: None,
    };
    let answer = runtime()?.block_on(async {
        // the engine build is waited for without the HTTP routes' 15 s limit
        coverage.start_build();
        while !coverage.ready() {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        coverage.coverage(&q, a.level).await
    })?;
    bar.finish_and_clear();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match a.format {
        ReportFormat::Csv => write_csv(&mut out, &answer, &data)?,
        ReportFormat::Geojson => write_geojson(&mut out, &answer, &data, a.level)?,
    }
    out.flush()?;
    Ok(())
}

/// The same file as `GET /api/v1/coverage?format=csv`: BOM, unit chain columns.
fn write_csv(
    out: &mut impl Write,
    answer: &CoverageAnswer,
    data: &DataService,
) -> anyhow::Result<()> {
    let file = CsvFile::of(answer, &data.read().data.data().admin, coverage_csv)?;
    out.write_all(&file.bytes)?;
    Ok(())
}

fn write_geojson(
    out: &mut impl Write,
    answer: &CoverageAnswer,
    data: &DataService,
    level: AdminLevel,
) -> anyhow::Result<()> {
    let live = data.read();
    let synthetic = live.doorplates_synthetic();
    let geometry: HashMap<&str, AdminFeature> = live
        .data
        .data()
        .admin_at_level(level)
        .map(|u| (u.code.as_str(), AdminFeature::new(u)))
        .collect();
    let features: Vec<Value> = answer
        .units
        .iter()
        .map(|u| {
            let mut props = serde_json::to_value(u).unwrap_or(Value::Null);
            props["synthetic"] = json!(synthetic);
            json!({"type": "Feature",
                "geometry": geometry.get(u.code.as_str()).map(|f| json!(f.geometry)).unwrap_or(Value::Null),
                "properties": props})
        })
        .collect();
    let fc = json!({"type": "FeatureCollection", "features": features,
        "category": answer.category, "minutes": answer.minutes, "mode": answer.mode,
        "profile": answer.profile, "level": answer.level, "total": answer.total});
    serde_json::to_writer(&mut *out, &fc)?;
    writeln!(out)?;
    Ok(())
}
