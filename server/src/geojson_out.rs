//! Model records → GeoJSON (RFC 7946) bodies. Coordinates are rounded to 1e-7° (~1 cm),
//! which keeps bodies small without moving anything a map can show.

use civmap_geo_core::{AdminUnit, Facility};
use geo::MapCoords;
use serde_json::{json, Map, Value};

fn round7(x: f64) -> f64 {
    (x * 1e7).round() / 1e7
}

fn geometry<G>(g: &G) -> Value
where
    G: MapCoords<f64, f64>,
    for<'a> geojson::Geometry: From<&'a G::Output>,
{
    let rounded = g.map_coords(|c| geo::Coord {
        x: round7(c.x),
        y: round7(c.y),
    });
    serde_json::to_value(geojson::Geometry::from(&rounded)).unwrap_or(Value::Null)
}

/// One admin unit as a GeoJSON feature.
pub fn admin_feature(u: &AdminUnit) -> Value {
    json!({
        "type": "Feature",
        "id": u.code.as_str(),
        "geometry": geometry(&u.geometry),
        "properties": {
            "code": u.code.as_str(),
            "name": u.name,
            "level": u.level.as_str(),
            "parent": u.parent.as_ref().map(|p| p.as_str()),
            "kind": u.kind,
            "population": u.population,
            "elderly": u.elderly,
            "synthetic": u.synthetic,
        }
    })
}

/// A FeatureCollection of admin units, serialised.
pub fn admin_collection(units: &[&AdminUnit]) -> Vec<u8> {
    let fc = json!({"type": "FeatureCollection", "features": units.iter().map(|u| admin_feature(u)).collect::<Vec<_>>()});
    serde_json::to_vec(&fc).unwrap_or_default()
}

/// One facility as a GeoJSON feature.
pub fn facility_feature(f: &Facility, distance_m: Option<f64>) -> Value {
    let mut props = Map::new();
    props.insert("id".into(), json!(f.id));
    props.insert("name".into(), json!(f.name));
    props.insert("category".into(), json!(f.category.id()));
    props.insert("address".into(), json!(f.address));
    props.insert(
        "admin_code".into(),
        json!(f.admin_code.as_ref().map(|c| c.as_str())),
    );
    let a = &f.attributes;
    if a.hub {
        props.insert("hub".into(), json!(true));
    }
    if a.delivery {
        props.insert("delivery".into(), json!(true));
    }
    if a.demonstration {
        props.insert("demonstration".into(), json!(true));
    }
    if let Some(b) = a.beds {
        props.insert("beds".into(), json!(b));
    }
    if let Some(b) = a.nursing_beds {
        props.insert("nursing_beds".into(), json!(b));
    }
    props.insert("synthetic".into(), json!(f.synthetic));
    if let Some(d) = distance_m {
        props.insert("distance_m".into(), json!((d * 1000.0).round() / 1000.0));
    }
    json!({
        "type": "Feature",
        "id": f.id,
        "geometry": geometry(&f.location),
        "properties": props,
    })
}
