// The planner's map layers: the choropleth (each unit coloured by the share of its elderly
// covered), service areas, gaps, closed facilities and suggested sites.
//
// Why feature-state: the choropleth is drawn from the admin polygons already in the vector
// tiles, coloured by a `share` feature-state set per unit id (the tile contract: an admin
// feature's id is its 12-digit code as a number, see README "Vector tiles"). A new report
// changes only the states; the style, and so every loaded tile's buckets, stay as they are,
// where rebuilding a `match` expression with thousands of codes re-evaluated the layer.
import { LAYER } from './layers.js';

/** @typedef {{ source: string, sourceLayer?: string }} DataSource */

/** @type {GeoJSON.FeatureCollection} */
export const EMPTY = { type: 'FeatureCollection', features: [] };

/** Share of elderly covered → colour, in five classes (red → green): `[upper bound, colour]`. */
export const RAMP = /** @type {const} */ ([
  [0.2, '#d7301f'],
  [0.4, '#fc8d59'],
  [0.6, '#fdcc8a'],
  [0.8, '#a6d96a'],
  [Infinity, '#1a9641'],
]);

export const CHOROPLETH = 'planner-choropleth';
const PLANNER_LAYERS = [CHOROPLETH, 'coverage-area', 'coverage-gaps', 'coverage-gaps-line', 'whatif-closed', 'siting', 'siting-rank'];

const SHARE = ['feature-state', 'share'];
const HAS_SHARE = ['==', ['typeof', SHARE], 'number'];
/** `['step', share, c0, 0.2, c1, …]`: a share below a class's upper bound takes its colour. */
const SHARE_COLOUR = ['step', SHARE, RAMP[0][1], ...RAMP.slice(1).flatMap(([, colour], i) => [RAMP[i][0], colour])];

/**
 * The feature id a unit's code has in the tiles (its digits as a number), or null when the code
 * is not one (an imported unit with another code scheme has no id in the tiles either).
 * @param {string} code
 */
export function unitFeatureId(code) {
  return /^\d{1,15}$/.test(code) ? Number(code) : null;
}

/**
 * @param {maplibregl.Map} map
 * @param {DataSource} admin the admin polygons' source (and source layer for vector tiles)
 */
export function addPlannerLayers(map, admin) {
  const from = admin.sourceLayer ? { source: admin.source, 'source-layer': admin.sourceLayer } : { source: admin.source };
  map.addLayer(
    {
      id: CHOROPLETH,
      type: 'fill',
      ...from,
      // The report's level is set with the first report; no level matches '' until then.
      filter: ['==', ['get', 'level'], ''],
      paint: {
        'fill-color': /** @type {any} */ (['case', HAS_SHARE, SHARE_COLOUR, 'rgba(0,0,0,0)']),
        'fill-opacity': /** @type {any} */ (['case', HAS_SHARE, 0.45, 0]),
      },
    },
    LAYER.plannerAnchor
  );
  map.addSource('coverage-area', { type: 'geojson', data: EMPTY });
  map.addLayer({ id: 'coverage-area', type: 'fill', source: 'coverage-area', paint: { 'fill-color': '#1f5f99', 'fill-opacity': 0.28 } }, LAYER.plannerAnchor);
  map.addSource('coverage-gaps', { type: 'geojson', data: EMPTY });
  map.addLayer({ id: 'coverage-gaps', type: 'fill', source: 'coverage-gaps', paint: { 'fill-color': '#b42318', 'fill-opacity': 0.08 } }, LAYER.plannerAnchor);
  map.addLayer({ id: 'coverage-gaps-line', type: 'line', source: 'coverage-gaps', paint: { 'line-color': '#b42318', 'line-width': 1.6, 'line-dasharray': [3, 2] } }, LAYER.plannerAnchor);
  map.addSource('whatif-closed', { type: 'geojson', data: EMPTY });
  map.addLayer({ id: 'whatif-closed', type: 'circle', source: 'whatif-closed', paint: { 'circle-radius': 7, 'circle-color': '#ffffff', 'circle-stroke-color': '#b42318', 'circle-stroke-width': 3 } });
  map.addSource('siting', { type: 'geojson', data: EMPTY });
  map.addLayer({ id: 'siting', type: 'circle', source: 'siting', paint: { 'circle-radius': 10, 'circle-color': '#7c5e10', 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2 } });
  map.addLayer({
    id: 'siting-rank',
    type: 'symbol',
    source: 'siting',
    layout: { 'text-field': ['to-string', ['get', 'rank']], 'text-font': ['Noto Sans CJK SC', 'sans-serif'], 'text-size': 12, 'text-allow-overlap': true },
    paint: { 'text-color': '#ffffff' },
  });
}

/**
 * Shows or hides the planner's layers and what-if markers.
 * @param {maplibregl.Map} map
 * @param {maplibregl.Marker[]} markers
 * @param {boolean} visible
 */
export function showPlannerLayers(map, markers, visible) {
  for (const id of PLANNER_LAYERS) {
    if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', visible ? 'visible' : 'none');
  }
  for (const marker of markers) marker.getElement().hidden = !visible;
}

/**
 * Colours the units of `units` (those with elderly and a share) by their share, and nothing
 * else: the previous report's states are removed first. With `units` null the choropleth is
 * cleared. Returns how many units were coloured.
 * @param {maplibregl.Map} map
 * @param {DataSource} admin
 * @param {string} level the report's level (units of other levels are not drawn)
 * @param {import('./planner-state.js').CoverageUnit[] | null} units
 */
export function paintChoropleth(map, admin, level, units) {
  const target = admin.sourceLayer ? { source: admin.source, sourceLayer: admin.sourceLayer } : { source: admin.source };
  map.removeFeatureState(target);
  let painted = 0;
  for (const u of units || []) {
    const id = unitFeatureId(u.code);
    if (id === null || typeof u.share_elderly !== 'number' || !(u.elderly > 0)) continue;
    map.setFeatureState({ ...target, id }, { share: u.share_elderly });
    painted += 1;
  }
  map.setFilter(CHOROPLETH, ['==', ['get', 'level'], painted > 0 ? level : '']);
  return painted;
}

/**
 * A GeoJSON source of the planner's (they are all GeoJSON).
 * @param {maplibregl.Map} map
 * @param {string} id
 * @returns {maplibregl.GeoJSONSource}
 */
export function geojsonSource(map, id) {
  const source = map.getSource(id);
  if (!source) throw new Error(`planner: no map source ${id} (the planner's layers are not added)`);
  return /** @type {maplibregl.GeoJSONSource} */ (source);
}

/**
 * The bounding box of a GeoJSON geometry's coordinates, as `[[w, s], [e, n]]`.
 * @param {{ coordinates: any }} geometry
 * @returns {[[number, number], [number, number]]}
 */
export function bboxOf(geometry) {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  /** @param {any} coords */
  const walk = (coords) => {
    if (typeof coords[0] === 'number') {
      minX = Math.min(minX, coords[0]);
      maxX = Math.max(maxX, coords[0]);
      minY = Math.min(minY, coords[1]);
      maxY = Math.max(maxY, coords[1]);
    } else coords.forEach(walk);
  };
  walk(geometry.coordinates);
  return [[minX, minY], [maxX, maxY]];
}
