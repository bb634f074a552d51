//! The changes between two editions or days as flat rows — one per added, removed,
//! renamed, moved or recoded unit, with the history's event and its day — rendered as CSV
//! (`GET /api/v1/changes?format=csv`) or as a GeoJSON change layer (`format=geojson`), each
//! change a Feature with the unit's shape from [`GeometryReconstructor`] and a
//! `geometry_source` of `current`, `reconstructed` or `unknown` (then a null geometry).
//!
//! The rows are the JSON answer's lists in order (added, removed, renamed, moved,
//! recoded), so the CSV has exactly as many rows as the JSON answer has changes.

use civmap_geo_core::history::{
    Changes, Date, EventKind, GeometryReconstructor, GeometrySource, History, Snapshot, UnitId,
};
use civmap_geo_core::{AdminCode, AdminLevel, AdminUnit};
use serde::Serialize;
use utoipa::ToSchema;

use super::coverage::export::{finish, writer, CsvFile};
use super::geojson::{CollectionTag, FeatureTag, Geometry};
use super::history::{history, sides};
use super::ServiceError;

/// One change, flat.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ChangeRow {
    /// `added`, `removed`, `renamed`, `moved` or `recoded`.
    pub kind: &'static str,
    /// `city`, `district`, `township` or `community`.
    pub level: String,
    /// The unit's name (the later one for a renamed unit, the last one for a removed unit).
    pub name: String,
    /// Its code at the earlier side (empty when added).
    pub from_code: Option<String>,
    /// Its code at the later side (empty when removed).
    pub to_code: Option<String>,
    /// Its parent's code at the earlier side.
    pub from_parent: Option<String>,
    /// Its parent's code at the later side.
    pub to_parent: Option<String>,
    /// The history's event behind it (`created`, `abolished`, `merged`, `split`,
    /// `renamed`, `moved`, `recoded`), if one lies between the two sides.
    pub event: Option<String>,
    /// The event's day (the edition that first shows it), `YYYY-MM-DD`.
    pub date: Option<String>,
    /// The unit's stable id in the history (`u123`).
    pub unit: String,
}

/// A row with the unit and the day its shape is drawn for: the later side, or the earlier
/// for a removed unit.
#[derive(Debug, Clone, PartialEq)]
pub struct LocatedChange {
    /// The change.
    pub row: ChangeRow,
    /// The unit.
    pub id: UnitId,
    /// The day of its shape.
    pub day: Date,
}

fn code(c: &AdminCode) -> String {
    c.as_str().to_owned()
}

/// The event of `unit` between the sides that explains a change of kind `wanted`.
fn event_of(
    h: &History,
    unit: UnitId,
    after: Date,
    until: Date,
    wanted: &[EventKind],
) -> Option<(EventKind, Date)> {
    h.events_of(unit)
        .filter(|e| e.date > after && e.date <= until && wanted.contains(&e.kind))
        .last()
        .map(|e| (e.kind, e.date))
}

/// The changes from `a` to `b` as rows, in the JSON answer's order.
pub fn rows(h: &History, a: &Snapshot, b: &Snapshot, c: &Changes) -> Vec<LocatedChange> {
    let (t0, t1) = (a.date(), b.date());
    let row = |kind: &'static str,
               id: UnitId,
               wanted: &[EventKind],
               day: Date,
               names: (&str, AdminLevel)| {
        let before = a.by_unit(id);
        let after = b.by_unit(id);
        let ev = event_of(h, id, t0, t1, wanted);
        let row = ChangeRow {
            kind,
            level: names.1.as_str().to_owned(),
            name: names.0.to_owned(),
            from_code: before.map(|u| code(&u.code)),
            to_code: after.map(|u| code(&u.code)),
            from_parent: before.and_then(|u| u.parent_code.as_ref().map(code)),
            to_parent: after.and_then(|u| u.parent_code.as_ref().map(code)),
            event: ev.map(|e| e.0.as_str().to_owned()),
            date: ev.map(|e| e.1.to_string()),
            unit: id.to_string(),
        };
        LocatedChange { row, id, day }
    };
    let mut out = Vec::with_capacity(c.counts.added + c.counts.removed + c.counts.renamed);
    for u in &c.added {
        out.push(row(
            "added",
            u.unit,
            &[EventKind::Created],
            t1,
            (&u.name, u.level),
        ));
    }
    let ended = [EventKind::Abolished, EventKind::Merged, EventKind::Split];
    for u in &c.removed {
        out.push(row("removed", u.unit, &ended, t0, (&u.name, u.level)));
    }
    let at_b = |code: &AdminCode| b.by_code(code.as_str());
    for r in &c.renamed {
        if let Some(u) = at_b(&r.code) {
            out.push(row(
                "renamed",
                u.unit,
                &[EventKind::Renamed],
                t1,
                (&r.to_name, u.level),
            ));
        }
    }
    for (kind, list, wanted) in [
        ("moved", &c.moved, EventKind::Moved),
        ("recoded", &c.recoded, EventKind::Recoded),
    ] {
        for m in list {
            if let Some(u) = at_b(&m.to_code) {
                out.push(row(kind, u.unit, &[wanted], t1, (&m.name, u.level)));
            }
        }
    }
    out
}

/// The rows of the served history from `from` to `to` at `level`.
fn served_rows(
    from: &str,
    to: &str,
    level: Option<AdminLevel>,
) -> Result<(&'static History, Vec<LocatedChange>, String), ServiceError> {
    let h = history()?;
    let (a, b) = sides(h, from, to)?;
    let c = History::changes_between(a, b, level);
    let name = format!(
        "changes_{}_{}_{}",
        a.edition_id(),
        b.edition_id(),
        level.map_or("all", AdminLevel::as_str)
    );
    Ok((h, rows(h, a, b, &c), name))
}

/// `GET /api/v1/changes?format=csv`: one row per change (UTF-8 with BOM).
pub fn csv(from: &str, to: &str, level: Option<AdminLevel>) -> Result<CsvFile, ServiceError> {
    let (_, rows, name) = served_rows(from, to, level)?;
    let mut w = writer();
    let head = [
        "kind",
        "level",
        "name",
        "from_code",
        "to_code",
        "from_parent",
        "to_parent",
        "event",
        "date",
        "unit",
    ];
    w.write_record(head).map_err(ServiceError::internal)?;
    let o = |s: &Option<String>| s.clone().unwrap_or_default();
    for r in rows.iter().map(|l| &l.row) {
        w.write_record([
            r.kind.to_owned(),
            r.level.clone(),
            r.name.clone(),
            o(&r.from_code),
            o(&r.to_code),
            o(&r.from_parent),
            o(&r.to_parent),
            o(&r.event),
            o(&r.date),
            r.unit.clone(),
        ])
        .map_err(ServiceError::internal)?;
    }
    finish(w, format!("{name}.csv"))
}

/// `current`, `reconstructed` or `unknown`.
fn source_name(s: GeometrySource) -> &'static str {
    match s {
        GeometrySource::Current => "current",
        GeometrySource::Reconstructed => "reconstructed",
        GeometrySource::Unknown => "unknown",
    }
}

/// Properties of one change feature: the row and how its shape was obtained.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChangeProperties {
    /// The change.
    #[serde(flatten)]
    pub change: ChangeRow,
    /// `current` (today's polygon of the unchanged unit), `reconstructed` (the union of its
    /// children's shapes that day) or `unknown` (no shape; the geometry is null).
    pub geometry_source: String,
    /// The day the shape is drawn for.
    pub geometry_date: String,
    /// Whether any polygon it was made from is synthetic.
    pub synthetic: bool,
}

/// One change as a Feature.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChangeFeature {
    #[serde(rename = "type")]
    tag: FeatureTag,
    /// The shape, `null` when unknown.
    pub geometry: Option<Geometry>,
    /// The change.
    pub properties: ChangeProperties,
}

/// `GET /api/v1/changes?format=geojson`: the change layer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChangeLayer {
    #[serde(rename = "type")]
    tag: CollectionTag,
    /// One feature per change.
    pub features: Vec<ChangeFeature>,
}

/// The change layer from `from` to `to` at `level`, shapes from today's `admin` polygons.
pub fn geojson(
    admin: &[AdminUnit],
    from: &str,
    to: &str,
    level: Option<AdminLevel>,
) -> Result<ChangeLayer, ServiceError> {
    let (h, rows, _) = served_rows(from, to, level)?;
    let shapes = GeometryReconstructor::new(h, admin);
    let mut features = Vec::with_capacity(rows.len());
    for l in rows {
        let past = shapes
            .geometry_of(l.id, l.day)
            .map_err(ServiceError::internal)?;
        let geometry = past.geometry.as_ref().map(Geometry::from_geo);
        features.push(ChangeFeature {
            tag: FeatureTag::Feature,
            geometry,
            properties: ChangeProperties {
                geometry_source: source_name(past.source).to_owned(),
                geometry_date: l.day.to_string(),
                synthetic: past.synthetic,
                change: l.row,
            },
        });
    }
    Ok(ChangeLayer {
        tag: CollectionTag::FeatureCollection,
        features,
    })
}
