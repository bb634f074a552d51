//! `civmap export admin|boundaries|markers|validation`: one layer to a file a GIS opens
//! (GeoPackage, Shapefile, GeoJSON, CSV) in EPSG:4490 or a CGCS2000 3° Gauss–Krüger zone.

use std::path::PathBuf;

use anyhow::bail;
use civmap_data::export::{self, layers, ExportCrs, ExportFormat, FeatureTable};
use civmap_geo_core::{AdminLevel, Dataset};
use clap::ValueEnum;

use super::dataset::{load, runtime};
use super::CityArgs;

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
    /// Only units of this level (admin; default all levels).
    #[arg(long, value_parser = super::parse::level)]
    level: Option<AdminLevel>,
    /// Output file (written to a temporary file, then renamed into place).
    #[arg(short = 'o', long)]
    output: PathBuf,
    /// Read this data directory instead of the default city.
    #[arg(long, conflicts_with = "db")]
    data: Option<PathBuf>,
    /// Read this PostGIS database instead of the default city.
    #[arg(long)]
    db: Option<String>,
    #[command(flatten)]
    city: CityArgs,
}

fn parse_crs(s: &str) -> Result<ExportCrs, String> {
    ExportCrs::parse(s).map_err(|e| e.to_string())
}

/// Builds the layer's table and writes it.
pub fn run(a: ExportArgs) -> anyhow::Result<()> {
    let ds = match &a.db {
        Some(url) => runtime()?.block_on(async {
            let store = civmap_data::postgis::PgStore::connect(url).await?;
            anyhow::Ok(store.load().await?)
        })?,
        None => load(a.data.as_deref(), &a.city)?,
    };
    let table = table(a.layer, &ds, a.level)?;
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

/// The table of a layer.
fn table(
    layer: ExportLayer,
    ds: &Dataset,
    level: Option<AdminLevel>,
) -> anyhow::Result<FeatureTable> {
    match layer {
        ExportLayer::Admin => {
            let name = layers::admin_table_name(level);
            Ok(layers::admin_table(
                name,
                ds.admin
                    .iter()
                    .filter(|u| level.is_none_or(|l| u.level == l)),
            ))
        }
        // lead: the layers below are built by survey::lines, survey::markers' store and
        // survey::validate; when they merge, call layers::boundaries_table(&lines),
        // layers::markers_table(&register) and layers::findings_table(&report.errors) here.
        ExportLayer::Boundaries | ExportLayer::Markers | ExportLayer::Validation => bail!(
            "{layer:?} export needs the survey {} module, which this build does not have yet",
            match layer {
                ExportLayer::Boundaries => "lines",
                ExportLayer::Markers => "marker register",
                _ => "validator",
            }
        ),
    }
}
