//! Answers "as they stood that day" (`as_of=YYYY-MM-DD`, issue 15): the day resolves to the
//! edition of the division list in force ([`AsOf`]), and each past edition gets one
//! [`AsOfView`], built on first use: its units with their codes, names, parents and levels,
//! shapes from today's polygons ([`GeometryReconstructor`]: `current`, `reconstructed` or
//! `unknown`, never a shape without saying so) and an [`AdminIndex`] for point lookups — the
//! same index today's answers use, so a lookup costs what today's does.
//!
//! A day on or after the newest edition is today's data: the ordinary path, no view.
//! Today's polygons are the served admin units, so the views live beside them in
//! `LiveData` and an admin edit drops them ([`AsOfViews`]).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use civmap_geo_core::history::{Date, GeometryReconstructor, GeometrySource, History};
use civmap_geo_core::index::{AdminIndex, SpatialIndex};
use civmap_geo_core::{AdminCode, AdminUnit, Dataset};
use civmap_tiles::AdminTopology;
use serde::Serialize;
use utoipa::ToSchema;

use crate::service::history::history;
use crate::service::ServiceError;

/// What an `as_of` parameter asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOf {
    /// Today's data (no `as_of`, or a day on or after the newest edition).
    Today,
    /// The edition at this index of [`History::editions`], asked for on `day`.
    Past {
        /// Index of the edition in force.
        edition: usize,
        /// The day asked for.
        day: Date,
    },
}

impl AsOf {
    /// Reads `as_of` (parameter `param`): absent → today; not `YYYY-MM-DD` → 400; before the
    /// first edition → 422, naming the parameter.
    ///
    /// ```
    /// use civmap_server::service::as_of::AsOf;
    /// assert_eq!(AsOf::parse("as_of", None).unwrap(), AsOf::Today);
    /// assert_eq!(AsOf::parse("as_of", Some("2999-01-01")).unwrap(), AsOf::Today);
    /// assert!(matches!(AsOf::parse("as_of", Some("2020-12-31")).unwrap(), AsOf::Past { .. }));
    /// assert!(AsOf::parse("as_of", Some("1990-01-01")).is_err());
    /// assert!(AsOf::parse("as_of", Some("yesterday")).is_err());
    /// ```
    pub fn parse(param: &str, raw: Option<&str>) -> Result<Self, ServiceError> {
        let Some(raw) = raw else {
            return Ok(Self::Today);
        };
        let day = Date::parse(raw.trim()).map_err(|e| {
            ServiceError::invalid(param, format!("{raw:?} is not a YYYY-MM-DD day: {e}"))
        })?;
        Self::on(param, day)
    }

    /// The edition in force on `day`.
    pub fn on(param: &str, day: Date) -> Result<Self, ServiceError> {
        let h = history()?;
        let snapshot = h
            .as_of(day)
            .map_err(|e| ServiceError::out_of_range(param, e.to_string()))?;
        let edition = edition_index(h, snapshot.edition_id())?;
        if edition + 1 == h.editions().len() {
            Ok(Self::Today)
        } else {
            Ok(Self::Past { edition, day })
        }
    }
}

fn edition_index(h: &History, id: &str) -> Result<usize, ServiceError> {
    h.editions()
        .iter()
        .position(|e| e.id == id)
        .ok_or_else(|| ServiceError::internal(format!("edition {id} has no index")))
}

/// Which edition answered, as answers carry it (`as_of` member).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AsOfBody {
    /// The day asked for, `YYYY-MM-DD`.
    pub date: String,
    /// The edition in force that day, e.g. `NBS2020`.
    pub edition: String,
    /// Its cut-off day.
    pub edition_date: String,
    /// What in the answer is not as of that day (e.g. doorplates and roads are today's).
    pub notes: Vec<String>,
}

/// How a past unit's shape was obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeSource {
    /// `current`, `reconstructed` or `unknown`.
    pub source: GeometrySource,
    /// Today's codes whose polygons it was made from.
    pub from_codes: Vec<AdminCode>,
}

impl ShapeSource {
    /// The API name of the source.
    pub fn name(&self) -> &'static str {
        match self.source {
            GeometrySource::Current => "current",
            GeometrySource::Reconstructed => "reconstructed",
            GeometrySource::Unknown => "unknown",
        }
    }

    /// `from_codes` as strings.
    pub fn from_code_strings(&self) -> Vec<String> {
        self.from_codes
            .iter()
            .map(|c| c.as_str().to_owned())
            .collect()
    }
}

/// The divisions of one past edition with shapes from today's polygons.
#[derive(Debug)]
pub struct AsOfView {
    /// Edition id.
    pub edition: String,
    /// Its cut-off day.
    pub date: Date,
    /// Its units, by code; an `unknown` shape is an empty geometry.
    pub units: Vec<AdminUnit>,
    /// How each unit's shape was obtained, same order.
    pub sources: Vec<ShapeSource>,
    /// A point inside each unit's shape (`None` when unknown), same order: search answers.
    pub points: Vec<Option<(f64, f64)>>,
    /// Point lookups over `units`.
    pub index: AdminIndex,
    /// The surveyors' products of these units (measures, boundary lines, findings), built
    /// on first use by the survey service (type-erased: that module reads it).
    pub survey: OnceLock<Arc<dyn std::any::Any + Send + Sync>>,
    /// The admin layers' inputs for tiles, built on first use ([`AsOfView::tiles`]).
    tiles: OnceLock<Arc<AsOfTiles>>,
    by_code: HashMap<String, usize>,
    /// For each character, the units whose name has it (ascending): a search looks only
    /// at the units holding the query's rarest character.
    by_char: HashMap<char, Vec<u32>>,
}

impl AsOfView {
    /// Builds the view of `edition` from today's units (`today`, coded as the newest edition).
    /// Population and elderly of a reconstructed unit are the sums over the units it was
    /// made from; of an unknown one, 0.
    pub fn build(h: &History, edition: usize, today: &[AdminUnit]) -> Result<Self, ServiceError> {
        let info = h
            .editions()
            .get(edition)
            .ok_or_else(|| ServiceError::internal(format!("no edition {edition}")))?;
        let snapshot = h
            .edition(&info.id)
            .ok_or_else(|| ServiceError::internal(format!("no snapshot of {}", info.id)))?;
        let by_today_code: HashMap<&str, &AdminUnit> =
            today.iter().map(|u| (u.code.as_str(), u)).collect();
        let rebuild = GeometryReconstructor::new(h, today);
        let mut units = Vec::with_capacity(snapshot.units().len());
        let mut sources = Vec::with_capacity(snapshot.units().len());
        for su in snapshot.units() {
            let past = rebuild
                .geometry_of(su.unit, info.date)
                .map_err(ServiceError::internal)?;
            let parts = past
                .from_codes
                .iter()
                .filter_map(|c| by_today_code.get(c.as_str()));
            let (population, elderly) =
                parts.fold((0, 0), |(p, e), u| (p + u.population, e + u.elderly));
            units.push(AdminUnit {
                code: su.code.clone(),
                name: su.name.clone(),
                level: su.level,
                parent: su.parent_code.clone(),
                kind: su.kind.clone(),
                geometry: past
                    .geometry
                    .unwrap_or_else(|| geo::MultiPolygon(Vec::new())),
                population,
                elderly,
                synthetic: past.synthetic,
            });
            sources.push(ShapeSource {
                source: past.source,
                from_codes: past.from_codes,
            });
        }
        let by_code = units
            .iter()
            .enumerate()
            .map(|(i, u)| (u.code.as_str().to_owned(), i))
            .collect();
        let mut by_char: HashMap<char, Vec<u32>> = HashMap::new();
        for (i, u) in units.iter().enumerate() {
            let mut seen: Vec<char> = u.name.chars().collect();
            seen.sort_unstable();
            seen.dedup();
            for ch in seen {
                by_char.entry(ch).or_default().push(i as u32);
            }
        }
        let points = units
            .iter()
            .map(|u| {
                use geo::InteriorPoint;
                u.geometry.interior_point().map(|p| (p.x(), p.y()))
            })
            .collect();
        Ok(Self {
            edition: info.id.clone(),
            date: info.date,
            points,
            index: AdminIndex::build(&units),
            survey: OnceLock::new(),
            tiles: OnceLock::new(),
            units,
            sources,
            by_code,
            by_char,
        })
    }

    /// The units whose name may contain `q`, or whose code is `q`, ascending: those holding
    /// the query's rarest character (every unit for an empty query).
    pub fn name_candidates(&self, q: &str) -> Vec<usize> {
        let rarest = q
            .chars()
            .map(|ch| self.by_char.get(&ch).map_or(&[][..], Vec::as_slice))
            .min_by_key(|v| v.len());
        let mut out: Vec<usize> = match rarest {
            Some(v) => v.iter().map(|&i| i as usize).collect(),
            None => (0..self.units.len()).collect(),
        };
        if let Some(i) = self.index_of(q) {
            if let Err(at) = out.binary_search(&i) {
                out.insert(at, i);
            }
        }
        out
    }

    /// The position of the unit with `code` in `units`.
    pub fn index_of(&self, code: &str) -> Option<usize> {
        self.by_code.get(code).copied()
    }

    /// The unit with `code` in this edition, with its shape's source.
    pub fn by_code(&self, code: &str) -> Option<(&AdminUnit, &ShapeSource)> {
        self.by_code
            .get(code)
            .map(|&i| (&self.units[i], &self.sources[i]))
    }

    /// The inputs of this edition's `admin` and `admin_label` tile layers: a dataset holding
    /// a copy of its units with known shapes, and their arc topology (built on first use,
    /// blocking; a few seconds).
    pub fn tiles(&self) -> Arc<AsOfTiles> {
        self.tiles
            .get_or_init(|| {
                let admin: Vec<AdminUnit> = self
                    .units
                    .iter()
                    .filter(|u| !u.geometry.0.is_empty())
                    .cloned()
                    .collect();
                let topology = AdminTopology::build(&admin);
                Arc::new(AsOfTiles {
                    data: Dataset {
                        admin,
                        ..Dataset::default()
                    },
                    index: SpatialIndex::default(),
                    topology,
                })
            })
            .clone()
    }

    /// The `as_of` member of an answer from this view for `day`.
    pub fn body(&self, day: Date, notes: &[&str]) -> AsOfBody {
        AsOfBody {
            date: day.to_string(),
            edition: self.edition.clone(),
            edition_date: self.date.to_string(),
            notes: notes.iter().map(|n| (*n).to_owned()).collect(),
        }
    }

    /// Heap bytes held, approximately: the coordinates of the units' shapes twice (the
    /// units and the index's copy), codes and names.
    pub fn heap_bytes(&self) -> usize {
        use geo::CoordsIter;
        let coords: usize = self.units.iter().map(|u| u.geometry.coords_count()).sum();
        let text: usize = self
            .units
            .iter()
            .map(|u| u.name.len() + u.kind.len() + 48)
            .sum();
        let from: usize = self.sources.iter().map(|s| s.from_codes.len() * 24).sum();
        coords * std::mem::size_of::<geo::Coord<f64>>() * 2 + text + from
    }
}

/// What the admin tile layers of a past edition are rendered from.
#[derive(Debug)]
pub struct AsOfTiles {
    /// The edition's units with a known shape (no other layer).
    pub data: Dataset,
    /// An empty index (the admin layers read the topology).
    pub index: SpatialIndex,
    /// Their shared-border arc topology.
    pub topology: AdminTopology,
}

/// One edition's view, or why it could not be built, once built.
type ViewSlot = OnceLock<Result<Arc<AsOfView>, String>>;

/// The views of the past editions over one state of today's units, each built once, on
/// first use. Replaced (not cleared) on an admin edit, so a reader holding the old one
/// finishes with a consistent view.
#[derive(Debug, Default)]
pub struct AsOfViews {
    views: OnceLock<Vec<ViewSlot>>,
}

impl AsOfViews {
    /// The view of edition `edition` over `today` (the served admin units), built on the first
    /// call (blocking: the first build of an edition takes a few hundred ms).
    pub fn view(&self, edition: usize, today: &[AdminUnit]) -> Result<Arc<AsOfView>, ServiceError> {
        let h = history()?;
        let slots = self
            .views
            .get_or_init(|| (0..h.editions().len()).map(|_| OnceLock::new()).collect());
        let slot = slots
            .get(edition)
            .ok_or_else(|| ServiceError::internal(format!("no edition {edition}")))?;
        slot.get_or_init(|| {
            AsOfView::build(h, edition, today)
                .map(Arc::new)
                .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(ServiceError::internal)
    }

    /// The views built so far.
    pub fn built(&self) -> Vec<Arc<AsOfView>> {
        self.views
            .get()
            .into_iter()
            .flatten()
            .filter_map(|s| s.get()?.as_ref().ok().cloned())
            .collect()
    }
}
