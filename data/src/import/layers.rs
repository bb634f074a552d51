//! Records → model types, the same rules for every format: which attributes are required,
//! which values are allowed, and that ids are unique within a file.

use std::collections::HashMap;

use civmap_geo_core::{
    AdminLevel, AdminUnit, Doorplate, Facility, FacilityAttributes, FacilityCategory, Landmark,
};
use geo::{MultiPolygon, Point};

use super::record::Record;
use super::{ImportLayer, ImportSummary, Imported};
use crate::DataError;

/// Collects the records of one point or area layer from one file.
#[derive(Debug)]
pub(super) struct Collector {
    layer: ImportLayer,
    /// Ids (or admin codes) seen so far → where they were first seen.
    seen: HashMap<String, String>,
    out: Imported,
}

impl Collector {
    /// A collector for `layer`; network is not a record layer and is refused.
    pub fn new(file: &str, layer: ImportLayer) -> Result<Self, DataError> {
        if layer == ImportLayer::Network {
            return Err(DataError::invalid(
                file,
                "file",
                None,
                "a walking network is imported from OSM PBF: use `civmap import osm FILE --layer network`",
            ));
        }
        Ok(Self {
            layer,
            seen: HashMap::new(),
            out: Imported::default(),
        })
    }

    /// Whether the layer's geometries are areas (admin) rather than points.
    pub fn wants_areas(&self) -> bool {
        self.layer == ImportLayer::Admin
    }

    /// The attribute that identifies a record of this layer.
    pub fn id_field(&self) -> &'static str {
        if self.layer == ImportLayer::Admin {
            "code"
        } else {
            "id"
        }
    }

    /// Reads the record's id and adds it to `rec.at` (`feature 3 (id "a-1")`), so that every
    /// later error about the record names it. Checks that it is present and unique.
    pub fn identify(&mut self, rec: &mut Record<'_>) -> Result<String, DataError> {
        let field = self.id_field();
        let id = match self.layer {
            ImportLayer::Admin => rec.code(field)?.map(|c| c.to_string()),
            ImportLayer::Doorplates => rec.u64(field)?.map(|n| n.to_string()),
            _ => rec.id_string(field)?,
        };
        let Some(id) = id else {
            return Err(rec.err(field, "missing (required)"));
        };
        rec.at = format!("{} ({field} {id:?})", rec.at);
        if let Some(first) = self.seen.get(&id) {
            return Err(rec.err(
                field,
                format!("duplicate {field} {id:?}, first used at {first}"),
            ));
        }
        self.seen.insert(id.clone(), rec.at.clone());
        Ok(id)
    }

    /// Adds a point record (facility, doorplate or landmark) already identified.
    pub fn add_point(
        &mut self,
        rec: &Record<'_>,
        id: String,
        location: Point<f64>,
    ) -> Result<(), DataError> {
        let synthetic = rec.bool("synthetic")?.unwrap_or(false);
        match self.layer {
            ImportLayer::Facilities => {
                let facility = facility(rec, id, location, synthetic)?;
                self.out.facilities.push(facility);
            }
            ImportLayer::Doorplates => {
                let doorplate = doorplate(rec, &id, location, synthetic)?;
                self.out.doorplates.push(doorplate);
            }
            ImportLayer::Landmarks => {
                let name = rec.required_string("name")?;
                let kind = rec
                    .string("kind")?
                    .filter(|k| !k.is_empty())
                    .unwrap_or_else(|| "landmark".to_owned());
                self.out.landmarks.push(Landmark {
                    id,
                    name,
                    kind,
                    location,
                    synthetic,
                });
            }
            ImportLayer::Admin | ImportLayer::Network => {
                return Err(rec.err(
                    "geometry",
                    "expected a Polygon or MultiPolygon geometry, found a Point",
                ))
            }
        }
        Ok(())
    }

    /// Adds an admin unit already identified (its id is its code).
    pub fn add_area(
        &mut self,
        rec: &Record<'_>,
        geometry: MultiPolygon<f64>,
    ) -> Result<(), DataError> {
        let code = rec
            .code("code")?
            .ok_or_else(|| rec.err("code", "missing (required)"))?;
        let name = rec.required_string("name")?;
        let level = match rec.string("level")? {
            Some(l) => AdminLevel::parse(&l).map_err(|e| rec.err("level", e.to_string()))?,
            None => code.level_hint(),
        };
        let parent = rec.code("parent")?;
        let kind = rec.string("kind")?.unwrap_or_default();
        let population = rec.u64("population")?;
        let elderly = rec.u64("elderly")?.unwrap_or(0);
        let population = population.unwrap_or(0);
        if elderly > population {
            return Err(rec.err(
                "elderly",
                format!("elderly ({elderly}) exceeds population ({population})"),
            ));
        }
        let synthetic = rec.bool("synthetic")?.unwrap_or(false);
        self.out.admin.push(AdminUnit {
            code,
            name,
            level,
            parent,
            kind,
            geometry,
            population,
            elderly,
            synthetic,
        });
        Ok(())
    }

    /// The records collected, with a summary.
    pub fn finish(self, mut summary: ImportSummary) -> Imported {
        let mut out = self.out;
        summary.imported =
            out.admin.len() + out.facilities.len() + out.doorplates.len() + out.landmarks.len();
        summary
            .counts
            .insert(self.layer.id().to_owned(), summary.imported);
        out.summary = summary;
        out
    }
}

fn facility(
    rec: &Record<'_>,
    id: String,
    location: Point<f64>,
    synthetic: bool,
) -> Result<Facility, DataError> {
    let name = rec.required_string("name")?;
    let category_id = rec.required_string("category")?;
    let category: FacilityCategory = category_id.parse().map_err(|_| {
        rec.err(
            "category",
            format!(
                "unknown category {category_id:?}; valid ids: {}",
                FacilityCategory::ids().join(", ")
            ),
        )
    })?;
    let beds = rec.u32("beds")?;
    let nursing_beds = rec.u32("nursing_beds")?;
    if let (Some(b), Some(n)) = (beds, nursing_beds) {
        if n > b {
            return Err(rec.err(
                "nursing_beds",
                format!("nursing_beds ({n}) exceeds beds ({b})"),
            ));
        }
    }
    let attributes = FacilityAttributes {
        hub: rec.bool("hub")?.unwrap_or(false),
        delivery: rec.bool("delivery")?.unwrap_or(false),
        demonstration: rec.bool("demonstration")?.unwrap_or(false),
        beds,
        nursing_beds,
    };
    Ok(Facility {
        id,
        name,
        category,
        location,
        address: rec.string("address")?.unwrap_or_default(),
        admin_code: rec.code("admin_code")?,
        attributes,
        synthetic,
    })
}

fn doorplate(
    rec: &Record<'_>,
    id: &str,
    location: Point<f64>,
    synthetic: bool,
) -> Result<Doorplate, DataError> {
    let id: u64 = id.parse().map_err(|_| {
        rec.err(
            "id",
            format!("expected a non-negative integer, found {id:?}"),
        )
    })?;
    let road = rec.required_string("road")?;
    let number = house_number(rec)?;
    let residents = rec.u32("residents")?.unwrap_or(0);
    let elderly = rec.u32("elderly")?.unwrap_or(0);
    if elderly > residents {
        return Err(rec.err(
            "elderly",
            format!("elderly ({elderly}) exceeds residents ({residents})"),
        ));
    }
    Ok(Doorplate {
        id,
        road,
        number,
        location,
        residents,
        elderly,
        community: rec.code("community")?,
        synthetic,
    })
}

/// `number`: an integer, or a string such as `"12"` or `"12号"`.
fn house_number(rec: &Record<'_>) -> Result<u32, DataError> {
    if let Some(s) = rec
        .props
        .get("number")
        .and_then(|v| v.as_str())
        .filter(|s| !s.trim().is_empty())
    {
        let t = s.trim();
        let digits = t.strip_suffix('号').unwrap_or(t).trim();
        return digits.parse::<u32>().map_err(|_| {
            rec.err(
                "number",
                format!("expected a house number such as 12 or \"12号\", found {s:?}"),
            )
        });
    }
    rec.u32("number")?
        .ok_or_else(|| rec.err("number", "missing (required)"))
}
