//! Query-string parsing shared by the routes: repeated keys (`category=a&category=b`),
//! numbers with ranges, bounding boxes — each failure names its parameter.

use civmap_geo_core::{AdminLevel, FacilityCategory};

use super::ApiError;

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

    /// Fails on any key not in `known`, so that typos (`catgory=`) do not pass silently.
    pub fn only(&self, known: &[&str]) -> Result<(), ApiError> {
        match self.0.iter().find(|(k, _)| !known.contains(&k.as_str())) {
            Some((k, _)) => Err(ApiError::bad(
                k,
                format!("unknown parameter; this route takes: {}", known.join(", ")),
            )),
            None => Ok(()),
        }
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
