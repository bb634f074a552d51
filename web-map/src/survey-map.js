// The surveyor view's map layers: boundary lines coloured by level with their lengths along
// them, validation errors (a fill for area errors, a line for edge errors, a point for marker
// errors; excepted errors in grey), boundary markers (界桩) as circles coloured by status, and
// the survey diff's changed lines, highlighted with their Hausdorff distance.
//
// Why GeoJSON sources: every one of these is a route's answer for the view's level (the
// boundaries, the validation report, the marker register, a diff), small next to the vector
// tiles, and the page keeps the answer to look features up by id for popups and lists.
import { LABEL_FONT } from './layers.js';

/** @type {GeoJSON.FeatureCollection} */
export const EMPTY = { type: 'FeatureCollection', features: [] };

/**
 * Line colour per level of boundary line.
 * @type {Record<string, string>}
 */
export const LEVEL_COLOURS = { district: '#ad1457', township: '#1565c0', community: '#00897b' };

/**
 * Circle colour per marker status (the legend shows the same colours).
 * @type {Record<string, string>}
 */
export const STATUS_COLOURS = {
  intact: '#2e7d32',
  damaged: '#ef6c00',
  moved: '#6a1b9a',
  lost: '#c62828',
  obscured: '#757575',
};
/** A status the page does not know (a newer server) is drawn in this colour. */
export const UNKNOWN_STATUS_COLOUR = '#000000';

const ERROR_COLOUR = '#d62728';
const EXCEPTED_COLOUR = '#8b8b8b';
const DIFF_COLOUR = '#ff6f00';

/** Layer ids, for clicks (survey.js) and visibility. */
export const SURVEY_LAYER = {
  lines: 'survey-lines',
  lineLabels: 'survey-lines-label',
  errorFill: 'survey-errors-fill',
  errorLine: 'survey-errors-line',
  errorPoint: 'survey-errors-point',
  errorSelected: 'survey-errors-selected',
  markers: 'survey-markers',
  diffLines: 'survey-diff-lines',
  diffLabels: 'survey-diff-label',
};
const ALL_LAYERS = Object.values(SURVEY_LAYER);

/** The GeoJSON sources, by what they hold. */
export const SURVEY_SOURCE = { lines: 'survey-lines', errors: 'survey-errors', markers: 'survey-markers', diff: 'survey-diff' };

/** @param {string[]} type geometry types */
const geometryIs = (...type) => /** @type {maplibregl.FilterSpecification} */ (['in', ['geometry-type'], ['literal', type]]);
const ERROR_COLOUR_OF = /** @type {any} */ (['case', ['get', 'excepted'], EXCEPTED_COLOUR, ERROR_COLOUR]);

/**
 * Adds the survey layers above everything else, hidden until the view opens.
 * @param {maplibregl.Map} map
 */
export function addSurveyLayers(map) {
  for (const id of Object.values(SURVEY_SOURCE)) map.addSource(id, { type: 'geojson', data: EMPTY });
  const hidden = /** @type {const} */ ({ visibility: 'none' });
  const levelColour = /** @type {any} */ (['match', ['get', 'level'], ...Object.entries(LEVEL_COLOURS).flat(), '#3e4c59']);
  map.addLayer({
    id: SURVEY_LAYER.lines,
    type: 'line',
    source: SURVEY_SOURCE.lines,
    layout: { ...hidden, 'line-join': 'round', 'line-cap': 'round' },
    paint: { 'line-color': levelColour, 'line-width': ['interpolate', ['linear'], ['zoom'], 8, 2, 14, 4] },
  });
  map.addLayer({
    id: SURVEY_LAYER.lineLabels,
    type: 'symbol',
    source: SURVEY_SOURCE.lines,
    layout: {
      ...hidden,
      'symbol-placement': 'line',
      'text-field': ['get', 'label'],
      'text-font': LABEL_FONT,
      'text-size': 11,
      'symbol-spacing': 400,
    },
    paint: { 'text-color': levelColour, 'text-halo-color': '#ffffff', 'text-halo-width': 1.6 },
  });
  map.addLayer({
    id: SURVEY_LAYER.errorFill,
    type: 'fill',
    source: SURVEY_SOURCE.errors,
    filter: geometryIs('Polygon', 'MultiPolygon'),
    layout: hidden,
    paint: { 'fill-color': ERROR_COLOUR_OF, 'fill-opacity': 0.45 },
  });
  map.addLayer({
    id: SURVEY_LAYER.errorLine,
    type: 'line',
    source: SURVEY_SOURCE.errors,
    filter: geometryIs('Polygon', 'MultiPolygon', 'LineString', 'MultiLineString'),
    layout: hidden,
    paint: { 'line-color': ERROR_COLOUR_OF, 'line-width': 2.5 },
  });
  map.addLayer({
    id: SURVEY_LAYER.errorPoint,
    type: 'circle',
    source: SURVEY_SOURCE.errors,
    filter: geometryIs('Point', 'MultiPoint'),
    layout: hidden,
    paint: { 'circle-radius': 9, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': ERROR_COLOUR_OF, 'circle-stroke-width': 3 },
  });
  // The error chosen in the list, outlined over the rest (its `index` in the report).
  map.addLayer({
    id: SURVEY_LAYER.errorSelected,
    type: 'line',
    source: SURVEY_SOURCE.errors,
    filter: ['==', ['get', 'index'], -1],
    layout: hidden,
    paint: { 'line-color': '#ffd500', 'line-width': 4 },
  });
  map.addLayer({
    id: SURVEY_LAYER.diffLines,
    type: 'line',
    source: SURVEY_SOURCE.diff,
    layout: { ...hidden, 'line-join': 'round', 'line-cap': 'round' },
    paint: { 'line-color': DIFF_COLOUR, 'line-width': 6, 'line-opacity': 0.85 },
  });
  map.addLayer({
    id: SURVEY_LAYER.diffLabels,
    type: 'symbol',
    source: SURVEY_SOURCE.diff,
    layout: { ...hidden, 'symbol-placement': 'line', 'text-field': ['get', 'label'], 'text-font': LABEL_FONT, 'text-size': 12 },
    paint: { 'text-color': '#7a3500', 'text-halo-color': '#ffffff', 'text-halo-width': 2 },
  });
  map.addLayer({
    id: SURVEY_LAYER.markers,
    type: 'circle',
    source: SURVEY_SOURCE.markers,
    layout: hidden,
    paint: {
      'circle-radius': ['interpolate', ['linear'], ['zoom'], 8, 5, 14, 8],
      'circle-color': /** @type {any} */ (['match', ['get', 'status'], ...Object.entries(STATUS_COLOURS).flat(), UNKNOWN_STATUS_COLOUR]),
      'circle-stroke-color': '#ffffff',
      'circle-stroke-width': 2,
    },
  });
}

/**
 * Shows or hides every survey layer.
 * @param {maplibregl.Map} map
 * @param {boolean} visible
 */
export function showSurveyLayers(map, visible) {
  for (const id of ALL_LAYERS) {
    if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', visible ? 'visible' : 'none');
  }
}

/**
 * Replaces the data of one of the survey's sources.
 * @param {maplibregl.Map} map
 * @param {string} id one of SURVEY_SOURCE
 * @param {GeoJSON.FeatureCollection} data
 */
export function setSurveyData(map, id, data) {
  const source = map.getSource(id);
  if (!source) throw new Error(`survey: no map source ${id} (the survey's layers are not added)`);
  /** @type {maplibregl.GeoJSONSource} */ (source).setData(data);
}

/**
 * Outlines the error at `index` of the drawn report (-1: none).
 * @param {maplibregl.Map} map
 * @param {number} index
 */
export function selectError(map, index) {
  map.setFilter(SURVEY_LAYER.errorSelected, ['==', ['get', 'index'], index]);
}

/**
 * A length for people: metres below a kilometre, else kilometres.
 * @param {number} metres
 * @example
 * formatLength(812.34) // '812.3 m'
 * formatLength(12345.6) // '12.35 km'
 */
export function formatLength(metres) {
  return metres < 1000 ? `${metres.toFixed(1)} m` : `${(metres / 1000).toFixed(2)} km`;
}
