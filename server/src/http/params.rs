//! Query-string parsing shared by the routes: repeated keys (`category=a&category=b`),
//! numbers with ranges, bounding boxes — each failure names its parameter.

use civmap_geo_core::{AdminLevel, FacilityCategory};

use crate::http::error::ApiError;

/// Parameters that may be given more than once (their values add up).
pub const REPEATABLE: &[&str] = &["category", "kind"];

/// The decoded query string as ordered pairs.
#[derive(Debug, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Parses a raw query string.
    pub fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        let raw = raw.unwrap_or("");
        let pairs = serde_urlencoded::from_str::<Vec<(String, String)>>(raw)
            .map_err(|e| ApiError::bad("query", format!("cannot decode the query string: {e}")))?;
        // the decoder replaces invalid UTF-8 with U+FFFD: refuse it unless the client sent
        // that character itself
        let sent_replacement =
            raw.to_ascii_lowercase().contains("%ef%bf%bd") || raw.contains('\u{FFFD}');
        if !sent_replacement {
            if let Some((k, _)) = pairs
                .iter()
                .find(|(k, v)| k.contains('\u{FFFD}') || v.contains('\u{FFFD}'))
            {
                return Err(ApiError::bad(k, "not valid UTF-8 after percent-decoding"));
            }
        }
        Ok(Params(pairs))
    }

    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `key`, comma-separated values split.
    pub fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// Fails on any key not in `known`, so that typos (`catgory=`) do not pass silently,
    /// and on a single-valued key given twice (`q=a&q=b`: which one was meant?). Only the
    /// keys of [`REPEATABLE`] may repeat.
    pub fn only(&self, known: &[&str]) -> Result<(), ApiError> {
        if let Some((k, _)) = self.0.iter().find(|(k, _)| !known.contains(&k.as_str())) {
            return Err(ApiError::bad(
                k,
                if known.is_empty() {
                    "unknown parameter; this route takes none".to_owned()
                } else {
                    format!("unknown parameter; this route takes: {}", known.join(", "))
                },
            ));
        }
        for (i, (k, _)) in self.0.iter().enumerate() {
            if !REPEATABLE.contains(&k.as_str()) && self.0[..i].iter().any(|(p, _)| p == k) {
                return Err(ApiError::bad(
                    k,
                    "given more than once; this parameter takes one value",
                ));
            }
        }
        Ok(())
    }

    /// An integer in `min..=max`, or `default` when absent.
    pub fn int(&self, key: &str, default: u64, min: u64, max: u64) -> Result<u64, ApiError> {
        let Some(v) = self.get(key) else {
            return Ok(default);
        };
        let n: u64 = v
            .trim()
            .parse()
            .map_err(|_| ApiError::bad(key, format!("expected a whole number, got {v:?}")))?;
        if !(min..=max).contains(&n) {
            return Err(ApiError::range(
                key,
                format!("must be between {min} and {max}, got {n}"),
            ));
        }
        Ok(n)
    }

    /// `bbox=minlon,minlat,maxlon,maxlat`, validated.
    pub fn bbox(&self, key: &str) -> Result<Option<[f64; 4]>, ApiError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let parts: Vec<&str> = v.split(',').collect();
        if parts.len() != 4 {
            return Err(ApiError::bad(
                key,
                format!(
                    "expected 4 numbers minlon,minlat,maxlon,maxlat, got {}",
                    parts.len()
                ),
            ));
        }
        let mut b = [0.0; 4];
        for (i, p) in parts.iter().enumerate() {
            b[i] = p
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| {
                    ApiError::bad(
                        key,
                        format!("number {} is not a finite number: {p:?}", i + 1),
                    )
                })?;
        }
        if !(-180.0..=180.0).contains(&b[0]) || !(-180.0..=180.0).contains(&b[2]) {
            return Err(ApiError::range(
                key,
                "longitudes must be within [-180, 180]",
            ));
        }
        if !(-90.0..=90.0).contains(&b[1]) || !(-90.0..=90.0).contains(&b[3]) {
            return Err(ApiError::range(key, "latitudes must be within [-90, 90]"));
        }
        if b[0] > b[2] || b[1] > b[3] {
            return Err(ApiError::range(key, "expected minlon <= maxlon and minlat <= maxlat (order: minlon,minlat,maxlon,maxlat)"));
        }
        Ok(Some(b))
    }

    /// Facility categories from repeated/comma-separated `key`; empty = all.
    pub fn categories(&self, key: &str) -> Result<Vec<FacilityCategory>, ApiError> {
        self.all(key)
            .into_iter()
            .map(|s| {
                s.parse::<FacilityCategory>()
                    .map_err(|e| ApiError::bad(key, e.to_string()))
            })
            .collect()
    }

    /// `as_of=YYYY-MM-DD`: the edition in force that day (today's data when absent or on or
    /// after the newest edition); 400 malformed, 422 before the first edition.
    pub fn as_of(&self) -> Result<crate::service::as_of::AsOf, ApiError> {
        Ok(crate::service::as_of::AsOf::parse(
            "as_of",
            self.get("as_of"),
        )?)
    }

    /// An admin level.
    pub fn level(&self, key: &str) -> Result<Option<AdminLevel>, ApiError> {
        self.get(key)
            .map(|v| AdminLevel::parse(v).map_err(|e| ApiError::bad(key, e.to_string())))
            .transpose()
    }
}

impl Params {
    /// A required finite number.
    pub fn float(&self, key: &str) -> Result<f64, ApiError> {
        let v = self
            .get(key)
            .ok_or_else(|| ApiError::bad(key, "required"))?;
        v.trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| ApiError::bad(key, format!("expected a finite number, got {v:?}")))
    }

    /// `lon` and `lat` (in the CRS named by `crs`: wgs84 (default), cgcs2000, gcj02, bd09),
    /// range-checked and converted to WGS84.
    pub fn lon_lat(&self) -> Result<(f64, f64), ApiError> {
        let (lon, lat) = (self.float("lon")?, self.float("lat")?);
        if !(-180.0..=180.0).contains(&lon) {
            return Err(ApiError::range(
                "lon",
                format!("must be within [-180, 180], got {lon}"),
            ));
        }
        if !(-90.0..=90.0).contains(&lat) {
            return Err(ApiError::range(
                "lat",
                format!("must be within [-90, 90], got {lat}"),
            ));
        }
        use civmap_geo_core::crs::BuiltinCrs;
        let crs = match self.get("crs").map(|c| c.trim().to_ascii_lowercase()) {
            None => BuiltinCrs::Wgs84,
            Some(c) => match c.as_str() {
                "wgs84" | "epsg:4326" => BuiltinCrs::Wgs84,
                "cgcs2000" | "epsg:4490" => BuiltinCrs::Cgcs2000,
                "gcj02" => BuiltinCrs::Gcj02,
                "bd09" => BuiltinCrs::Bd09,
                other => {
                    return Err(ApiError::bad(
                        "crs",
                        format!("unknown crs {other:?}; use wgs84, cgcs2000, gcj02 or bd09"),
                    ))
                }
            },
        };
        let c = crs.to_wgs84(geo::Coord { x: lon, y: lat });
        Ok((c.x, c.y))
    }
}

/// The coverage parameters (`category`, `minutes`, `mode`, `profile`, `level`).
impl Params {
    /// `category`: exactly one, required.
    pub fn one_category(&self) -> Result<FacilityCategory, ApiError> {
        match self.categories("category")?.as_slice() {
            [c] => Ok(*c),
            [] => Err(ApiError::bad(
                "category",
                format!("required; one of: {}", FacilityCategory::ids().join(", ")),
            )),
            _ => Err(ApiError::bad("category", "give exactly one category")),
        }
    }

    /// `minutes` in (0, 120], default 15.
    pub fn minutes(&self) -> Result<f64, ApiError> {
        if self.get("minutes").is_none() {
            return Ok(15.0);
        }
        check_minutes(self.float("minutes")?)
    }

    /// `mode=walk|straight` (default `default`).
    pub fn mode(&self, default: &str) -> Result<civmap_geo_core::coverage::CoverageMode, ApiError> {
        use civmap_geo_core::coverage::CoverageMode;
        match self.get("mode").map(str::trim).unwrap_or(default) {
            "walk" => Ok(CoverageMode::Walk),
            "straight" => Ok(CoverageMode::Straight),
            other => Err(ApiError::bad(
                "mode",
                if default == "walk" {
                    format!("expected walk or straight, got {other:?}")
                } else {
                    format!("expected straight or walk, got {other:?}")
                },
            )),
        }
    }

    /// `profile=standard|elderly` (1.0 / 0.8 m/s), default standard.
    pub fn profile(&self) -> Result<civmap_geo_core::coverage::WalkProfile, ApiError> {
        profile_named(self.get("profile"), "profile")
    }

    /// `level`, default township.
    pub fn level_or_township(&self) -> Result<AdminLevel, ApiError> {
        Ok(self.level("level")?.unwrap_or(AdminLevel::Township))
    }
}

/// How an answer is rendered: JSON (or GeoJSON) or a CSV export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The typed answer as JSON or GeoJSON (the default).
    Json,
    /// UTF-8 CSV with a BOM (`text/csv`).
    Csv,
}

/// `format=json|csv` (default json), naming `param` when unknown.
pub fn format_named(v: Option<&str>, param: &str) -> Result<Format, ApiError> {
    match v.map(str::trim).unwrap_or("json") {
        "json" | "geojson" => Ok(Format::Json),
        "csv" => Ok(Format::Csv),
        other => Err(ApiError::bad(
            param,
            format!("expected json or csv, got {other:?}"),
        )),
    }
}

impl Params {
    /// `format=json|csv`, default json.
    pub fn format(&self) -> Result<Format, ApiError> {
        format_named(self.get("format"), "format")
    }
}

/// A time limit in (0, 120] minutes.
pub fn check_minutes(m: f64) -> Result<f64, ApiError> {
    use crate::service::coverage::MAX_MINUTES;
    if m > 0.0 && m <= MAX_MINUTES {
        Ok(m)
    } else {
        Err(ApiError::range(
            "minutes",
            format!("must be > 0 and <= {MAX_MINUTES}, got {m}"),
        ))
    }
}

/// A walking profile by name (`standard` or `elderly`), default standard.
pub fn profile_named(
    v: Option<&str>,
    param: &str,
) -> Result<civmap_geo_core::coverage::WalkProfile, ApiError> {
    use civmap_geo_core::coverage::WalkProfile;
    match v.map(str::trim).unwrap_or("standard") {
        "standard" | "default" => Ok(WalkProfile::standard()),
        "elderly" => Ok(WalkProfile::elderly()),
        other => Err(ApiError::bad(
            param,
            format!("expected standard (1.0 m/s) or elderly (0.8 m/s), got {other:?}"),
        )),
    }
}
