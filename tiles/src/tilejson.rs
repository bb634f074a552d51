//! TileJSON 3.0.0 documents for the tile sets: where the tiles are, which vector layers and
//! fields they hold, and at which zooms — what MapLibre reads before requesting any tile.

use serde_json::{json, Value};

use crate::layers::{TileSet, MAX_ZOOM};

/// Attribution every tile set carries.
pub const ATTRIBUTION: &str = "Basemap © Tianditu (天地图); boundaries and facilities: civmap (synthetic data on real boundaries); streets © OpenStreetMap contributors";

/// The TileJSON of a tile set. `tiles_url` is the full URL template
/// (`…/tiles/{set}/{z}/{x}/{y}.mvt[?query]`); `bounds` is `[w, s, e, n]` of the data.
///
/// ```
/// use civmap_tiles::{tilejson::tilejson, TileSet};
/// let tj = tilejson(TileSet::Admin, "http://h/tiles/admin/{z}/{x}/{y}.mvt", [119.0, 29.0, 121.0, 31.0]);
/// assert_eq!(tj["tilejson"], "3.0.0");
/// assert_eq!(tj["vector_layers"][0]["id"], "admin");
/// ```
pub fn tilejson(set: TileSet, tiles_url: &str, bounds: [f64; 4]) -> Value {
    let layers: Vec<Value> = set
        .layers()
        .iter()
        .map(|l| {
            let fields: serde_json::Map<String, Value> = l
                .fields
                .iter()
                .map(|(k, t)| ((*k).to_owned(), json!(t)))
                .collect();
            json!({
                "id": l.id,
                "description": l.description,
                "minzoom": l.min_zoom,
                "maxzoom": MAX_ZOOM,
                "fields": fields,
            })
        })
        .collect();
    let center_zoom = 10;
    json!({
        "tilejson": "3.0.0",
        "name": format!("civmap {set}"),
        "description": format!("civmap vector tiles: {}", set.layers().iter().map(|l| l.id).collect::<Vec<_>>().join(", ")),
        "version": env!("CARGO_PKG_VERSION"),
        "attribution": ATTRIBUTION,
        "scheme": "xyz",
        "tiles": [tiles_url],
        "minzoom": set.min_zoom(),
        "maxzoom": MAX_ZOOM,
        "bounds": bounds,
        "center": [(bounds[0] + bounds[2]) / 2.0, (bounds[1] + bounds[3]) / 2.0, center_zoom],
        "vector_layers": layers,
    })
}
