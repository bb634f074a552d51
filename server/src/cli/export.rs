//! `civmap export admin|boundaries|markers|validation`: one layer to a file a GIS opens
//! (GeoPackage, Shapefile, GeoJSON, CSV) in EPSG:4490 or a CGCS2000 3° Gauss–Krüger zone.

use std::path::PathBuf;

use civmap_data::export::{self, ExportCrs, ExportFormat};
use civmap_geo_core::AdminLevel;
use clap::ValueEnum;

use super::dataset::{load, runtime};
use super::user::{token_ttl, AccountsArgs};
use super::CityArgs;
use crate::service::coverage::Budgets;
use crate::service::survey_tables::{layer_table, SurveyLayer};
use crate::service::{AppState, IdentityService, StoreKind};

/// The layers `civmap export` writes.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportLayer {
    /// Admin units (code, name, level, parent, kind, population, elderly, area_m2,
    /// perimeter_m, gk_area_m2).
    Admin,
    /// Boundary lines (id, level, left, right, length_m).
    Boundaries,
    /// The boundary-marker register.
    Markers,
    /// Validation errors.
    Validation,
}

/// File formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    /// GeoPackage.
    Gpkg,
    /// ESRI Shapefile (.shp, .shx, .dbf, .prj, .cpg).
    Shp,
    /// GeoJSON.
    Geojson,
    /// CSV with a WKT column (and .prj, .csvt).
    Csv,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The layer.
    #[arg(value_enum)]
    layer: ExportLayer,
    /// File format.
    #[arg(long, value_enum)]
    format: FormatArg,
    /// Output CRS: EPSG:4490 (CGCS2000 lon/lat) or a CGCS2000 3-degree Gauss-Kruger zone
    /// EPSG:4513..4554 (EPSG:4549 = CM 120E, Hangzhou).
    #[arg(long, default_value = "EPSG:4490", value_parser = parse_crs)]
    crs: ExportCrs,
    /// Only units (or lines) of this level (default all levels).
    #[arg(long, value_parser = super::parse::level)]
    level: Option<AdminLevel>,
    /// Output file (written to a temporary file, then renamed into place).
    #[arg(short = 'o', long)]
    output: PathBuf,
    /// Where the data and the register (markers, exceptions) live: a data directory,
    /// PostGIS, or the embedded default's state directory.
    #[command(flatten)]
    store: AccountsArgs,
    #[command(flatten)]
    city: CityArgs,
}

fn parse_crs(s: &str) -> Result<ExportCrs, String> {
    ExportCrs::parse(s).map_err(|e| e.to_string())
}

/// The served state of these flags: the dataset, with the register of the same store.
pub(super) async fn state_of(store: &AccountsArgs, city: &CityArgs) -> anyhow::Result<AppState> {
    let (ds, kind) = match &store.db {
        Some(url) => {
            let pg = civmap_data::postgis::PgStore::connect(url).await?;
            (pg.load().await?, StoreKind::Postgis)
        }
        None => {
            let kind = if store.data.is_some() {
                StoreKind::DataDir
            } else {
                StoreKind::Embedded
            };
            (load(store.data.as_deref(), city)?, kind)
        }
    };
    let accounts = store.open().await?;
    Ok(AppState::build(
        ds,
        kind,
        IdentityService::new(accounts, token_ttl(12)),
        Budgets::default(),
    ))
}

/// Builds the layer's table and writes it.
pub fn run(a: ExportArgs) -> anyhow::Result<()> {
    let layer = match a.layer {
        ExportLayer::Admin => SurveyLayer::Admin,
        ExportLayer::Boundaries => SurveyLayer::Boundaries,
        ExportLayer::Markers => SurveyLayer::Markers,
        ExportLayer::Validation => SurveyLayer::Validation,
    };
    let table = runtime()?.block_on(async {
        let state = state_of(&a.store, &a.city).await?;
        anyhow::Ok(layer_table(&state, layer, a.level).await?)
    })?;
    let format = match a.format {
        FormatArg::Gpkg => ExportFormat::GeoPackage,
        FormatArg::Shp => ExportFormat::Shapefile,
        FormatArg::Geojson => ExportFormat::GeoJson,
        FormatArg::Csv => ExportFormat::Csv,
    };
    export::write(&table, format, a.crs, &a.output)?;
    eprintln!(
        "{} features of {} written to {} ({})",
        table.rows.len(),
        table.name,
        a.output.display(),
        a.crs
    );
    Ok(())
}
