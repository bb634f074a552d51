//! The surveyors' layers as tables a GIS opens: admin units with their measures, boundary
//! lines, the marker register and the validation errors — for `GET /api/v1/export/{layer}`
//! downloads and the OGC API collections. Shapefiles (and CSV with its `.prj`/`.csvt`)
//! are several files, so they download as one stored ZIP.

use std::path::Path;

use civmap_data::export::layers::{self, BoundaryLineRecord};
use civmap_data::export::{self, ExportCrs, ExportFormat, FeatureTable};
use civmap_geo_core::survey::lines::BoundaryLine;
use civmap_geo_core::{AdminCode, AdminLevel};
use geo::LineString;

use crate::service::{AppState, ServiceError};

/// A layer surveyors export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SurveyLayer {
    /// Admin units with CGCS2000 measures.
    Admin,
    /// Boundary lines.
    Boundaries,
    /// The marker register.
    Markers,
    /// Validation errors (all levels; exceptions left out).
    Validation,
}

impl SurveyLayer {
    /// The API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Boundaries => "boundaries",
            Self::Markers => "markers",
            Self::Validation => "validation",
        }
    }

    /// Parses the API name.
    pub fn parse(s: &str) -> Result<Self, ServiceError> {
        match s {
            "admin" => Ok(Self::Admin),
            "boundaries" => Ok(Self::Boundaries),
            "markers" => Ok(Self::Markers),
            "validation" => Ok(Self::Validation),
            other => Err(ServiceError::invalid(
                "layer",
                format!("{other:?}: one of admin, boundaries, markers, validation"),
            )),
        }
    }
}

/// A boundary line as the export tables read it.
#[derive(Debug)]
pub struct LineRecord<'a>(pub &'a BoundaryLine);

impl BoundaryLineRecord for LineRecord<'_> {
    fn id(&self) -> &str {
        &self.0.id
    }
    fn level(&self) -> AdminLevel {
        self.0.level
    }
    fn left(&self) -> &AdminCode {
        &self.0.left
    }
    fn right(&self) -> Option<&AdminCode> {
        self.0.right.as_ref()
    }
    fn geometry(&self) -> &LineString<f64> {
        &self.0.geometry
    }
    fn length_m(&self) -> f64 {
        self.0.length_m
    }
    fn gk_length_m(&self) -> f64 {
        self.0.gk_length_m
    }
}

/// The table of a layer as the server holds it now (`level` narrows admin units and
/// boundary lines).
pub async fn layer_table(
    s: &AppState,
    layer: SurveyLayer,
    level: Option<AdminLevel>,
) -> Result<FeatureTable, ServiceError> {
    let markers = match layer {
        SurveyLayer::Markers | SurveyLayer::Validation => s.register.markers_for_checks().await?,
        _ => Vec::new(),
    };
    let exceptions = match layer {
        SurveyLayer::Validation => s.register.exceptions_in_force().await?,
        _ => Vec::new(),
    };
    let data = s.data.clone();
    tokio::task::spawn_blocking(move || {
        Ok(match layer {
            SurveyLayer::Admin => {
                let live = data.read();
                layers::admin_table(
                    layers::admin_table_name(level),
                    live.data
                        .data()
                        .admin
                        .iter()
                        .filter(|u| level.is_none_or(|l| u.level == l)),
                )
            }
            SurveyLayer::Boundaries => {
                let p = data.survey_products()?;
                let lines: Vec<LineRecord<'_>> = p
                    .lines
                    .iter()
                    .filter(|l| level.is_none_or(|v| l.level == v))
                    .map(LineRecord)
                    .collect();
                layers::boundaries_table(&lines)
            }
            SurveyLayer::Markers => layers::markers_table(&markers),
            SurveyLayer::Validation => {
                let p = data.survey_products()?;
                let levels = level.map_or(AdminLevel::ALL.to_vec(), |l| vec![l]);
                let today = crate::service::survey_diff::today();
                let report = p.report(&levels, Some(&markers), &exceptions, &today);
                layers::findings_table(&report.errors)
            }
        })
    })
    .await
    .map_err(ServiceError::internal)?
}

/// A finished download.
#[derive(Debug)]
pub struct Download {
    /// File name for `Content-Disposition`.
    pub filename: String,
    /// Media type.
    pub content_type: &'static str,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// Writes a table in a format and CRS, and reads it back as one download.
pub fn download(
    table: &FeatureTable,
    format: ExportFormat,
    crs: ExportCrs,
) -> Result<Download, ServiceError> {
    let dir = tempfile::tempdir().map_err(ServiceError::internal)?;
    let stem = format!("{}_epsg{}", table.name, crs.epsg());
    let path = dir.path().join(format!("{stem}.{}", format.extension()));
    export::write(table, format, crs, &path).map_err(ServiceError::internal)?;
    let read = |p: &Path| std::fs::read(p).map_err(ServiceError::internal);
    Ok(match format {
        ExportFormat::GeoPackage => Download {
            filename: format!("{stem}.gpkg"),
            content_type: "application/geopackage+sqlite3",
            bytes: read(&path)?,
        },
        ExportFormat::GeoJson => Download {
            filename: format!("{stem}.geojson"),
            content_type: "application/geo+json",
            bytes: read(&path)?,
        },
        ExportFormat::Shapefile | ExportFormat::Csv => {
            let mut files = Vec::new();
            let mut names: Vec<_> = std::fs::read_dir(dir.path())
                .map_err(ServiceError::internal)?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .collect();
            names.sort();
            for p in names {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                files.push((name, read(&p)?));
            }
            Download {
                filename: format!("{stem}.{}.zip", format.extension()),
                content_type: "application/zip",
                bytes: stored_zip(&files),
            }
        }
    })
}

/// A ZIP archive of files stored without compression (what every unzip and GDAL's
/// `/vsizip/` read), names flagged UTF-8.
pub fn stored_zip(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in files {
        let mut crc = flate2::Crc::new();
        crc.update(data);
        let crc = crc.sum();
        let offset = out.len() as u32;
        let size = data.len() as u32;
        let header = |sig: u32, central_entry: bool| {
            let mut h = Vec::new();
            h.extend_from_slice(&sig.to_le_bytes());
            if central_entry {
                h.extend_from_slice(&20u16.to_le_bytes()); // made by
            }
            h.extend_from_slice(&20u16.to_le_bytes()); // needed to extract
            h.extend_from_slice(&0x0800u16.to_le_bytes()); // UTF-8 names
            h.extend_from_slice(&0u16.to_le_bytes()); // stored
            h.extend_from_slice(&0u16.to_le_bytes()); // time
            h.extend_from_slice(&0x21u16.to_le_bytes()); // date: 1980-01-01
            h.extend_from_slice(&crc.to_le_bytes());
            h.extend_from_slice(&size.to_le_bytes());
            h.extend_from_slice(&size.to_le_bytes());
            h.extend_from_slice(&(name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // extra
            if central_entry {
                h.extend_from_slice(&0u16.to_le_bytes()); // comment
                h.extend_from_slice(&0u16.to_le_bytes()); // disk
                h.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
                h.extend_from_slice(&0u32.to_le_bytes()); // external attributes
                h.extend_from_slice(&offset.to_le_bytes());
            }
            h.extend_from_slice(name.as_bytes());
            h
        };
        out.extend(header(0x0403_4b50, false));
        out.extend_from_slice(data);
        central.extend(header(0x0201_4b50, true));
    }
    let central_offset = out.len() as u32;
    let n = files.len() as u16;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]); // disks
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&central_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// `GET /api/v1/export/{layer}`: the layer's file, with its audit row (`audit`, to which
/// the file, row count, CRS and size are added).
pub async fn export(
    s: &AppState,
    audit: civmap_data::accounts::AuditRecord,
    layer: SurveyLayer,
    level: Option<AdminLevel>,
    format: ExportFormat,
    crs: ExportCrs,
) -> Result<Download, ServiceError> {
    let table = layer_table(s, layer, level).await?;
    let rows = table.rows.len();
    let file = tokio::task::spawn_blocking(move || download(&table, format, crs))
        .await
        .map_err(ServiceError::internal)??;
    s.identity
        .audit(audit.after(serde_json::json!({
            "file": file.filename, "rows": rows, "crs": crs.to_string(), "bytes": file.bytes.len()
        })))
        .await?;
    Ok(file)
}
