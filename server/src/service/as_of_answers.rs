//! Search through time: the unit names of a past edition (`/api/v1/search?as_of=`).

use civmap_geo_core::gazetteer::PlaceKind;
use civmap_geo_core::AdminUnit;

use crate::service::as_of::{AsOf, AsOfView};
use crate::service::data::DataService;
use crate::service::gazetteer::{MatchBody, PlaceCollection, PlaceFeature, PlaceProperties};
use crate::service::geojson::{CollectionTag, FeatureTag, Geometry};
use crate::service::ServiceError;

/// What a past search does not date.
const SEARCH_NOTE: &str = "only the admin units of that edition are searched, by name (exact, prefix, then part) or code; roads, facilities, doorplates and landmarks are today's and not searched as of a past day";

/// How well a unit's name or code matches the query: 3 exact, 2 prefix, 1 part, `None`.
fn match_rank(u: &AdminUnit, q: &str) -> Option<u8> {
    if u.name == q || u.code.as_str() == q {
        Some(3)
    } else if u.name.starts_with(q) {
        Some(2)
    } else if u.name.contains(q) {
        Some(1)
    } else {
        None
    }
}

/// A point for unit `i` of the view: inside its shape, else inside its nearest ancestor's
/// with a shape (said by `geometry_source: unknown`).
fn place_point(view: &AsOfView, i: usize) -> Option<(f64, f64)> {
    let mut at = i;
    for _ in 0..=civmap_geo_core::AdminLevel::ALL.len() {
        if let Some(p) = view.points[at] {
            return Some(p);
        }
        let parent = view.units[at].parent.as_ref()?;
        at = view.index_of(parent.as_str())?;
    }
    None
}

impl DataService {
    /// Searches the admin unit names of the edition in force on a past day (today's ranked
    /// search otherwise). `kinds` may only ask for admin units then.
    pub fn search_as_of(
        &self,
        text: &str,
        limit: usize,
        near: Option<(f64, f64)>,
        kinds: Vec<PlaceKind>,
        as_of: AsOf,
    ) -> Result<PlaceCollection, ServiceError> {
        let AsOf::Past { edition, day } = as_of else {
            return self.search(text, limit, near, kinds);
        };
        if kinds.iter().any(|k| *k != PlaceKind::Admin) {
            return Err(ServiceError::invalid(
                "kind",
                "as of a past day only admin units are searched: leave out kind or give kind=admin",
            ));
        }
        let q = text.trim();
        if q.is_empty() {
            return Err(ServiceError::invalid("q", "empty"));
        }
        let view = self.as_of_view(edition)?;
        let mut hits: Vec<(u8, usize)> = view
            .name_candidates(q)
            .into_iter()
            .filter_map(|i| match_rank(&view.units[i], q).map(|r| (r, i)))
            .collect();
        hits.sort_by(|a, b| {
            let (ua, ub) = (&view.units[a.1], &view.units[b.1]);
            b.0.cmp(&a.0)
                .then(ua.level.cmp(&ub.level))
                .then(ua.code.cmp(&ub.code))
        });
        let features = hits
            .into_iter()
            .filter_map(|(rank, i)| {
                let (lon, lat) = place_point(&view, i)?;
                Some(feature(&view, i, rank, lon, lat))
            })
            .take(limit)
            .collect();
        Ok(PlaceCollection {
            tag: CollectionTag::FeatureCollection,
            features,
            as_of: Some(view.body(day, &[SEARCH_NOTE])),
        })
    }
}

fn feature(view: &AsOfView, i: usize, rank: u8, lon: f64, lat: f64) -> PlaceFeature {
    let u = &view.units[i];
    let parent_name = |level| {
        let mut at = u.parent.as_ref();
        while let Some((p, _)) = at.and_then(|c| view.by_code(c.as_str())) {
            if p.level == level {
                return Some(p.name.clone());
            }
            at = p.parent.as_ref();
        }
        None
    };
    let (kind, score) = match rank {
        3 => ("exact", 1.0),
        2 => ("prefix", 0.8),
        _ => ("partial", 0.5),
    };
    PlaceFeature {
        tag: FeatureTag::Feature,
        geometry: Geometry::point(lon, lat),
        properties: PlaceProperties {
            name: u.name.clone(),
            kind: PlaceKind::Admin.as_str().to_owned(),
            code: Some(u.code.as_str().to_owned()),
            label: u.name.clone(),
            score,
            synthetic: u.synthetic,
            how: MatchBody {
                kind: kind.to_owned(),
                distance: None,
                former: None,
                // that edition's names are the units' standard names of the day
                name_type: Some("standard".to_owned()),
            },
            district: parent_name(civmap_geo_core::AdminLevel::District),
            township: parent_name(civmap_geo_core::AdminLevel::Township),
            extent: None,
            numbers: None,
            quality: None,
            matched: None,
            unmatched: None,
            geometry_source: Some(view.sources[i].name().to_owned()),
        },
    }
}
