// The surveyor view (边界 Surveyor tab): for the chosen level, the boundary lines between
// neighbouring units with their lengths on the CGCS2000 ellipsoid (GET /api/v1/boundaries),
// the topology validation of every level with its error list (GET /api/v1/validation), the
// boundary markers coloured by status with their inspections (GET /api/v1/markers), and, for
// surveyors, a survey diff (POST /api/v1/survey/diff) and GIS exports (GET /api/v1/export/…).
// Everything shown is the routes' answer; when a route answers with an error, its box says so
// with the HTTP status instead of drawing anything.
//
// The lines, validation and markers are public; the diff and the exports are for surveyors
// (and admins), shown only while one is signed in (account.js tells `setCanSurvey`), and a
// sign-out forgets the diff the page held. The server enforces the roles (401/403).
//
// What the view says about itself, for the browser tests: each box (`#survey-lines`,
// `#survey-validation`, `#survey-markers`, `#survey-diff`) has `data-state` `loading`, then
// `ready` or `error`; its rows carry the ids, codes and measures of the answer (survey-report.js).
//
// This module wires the view and owns its loads and clicks; the pieces live beside it:
// survey-map.js (layers), survey-report.js (boxes and popups), survey-diff.js, survey-export.js.
import { describeError, getJson, withQuery } from './api.js';
import { byId } from './dom.js';
import { LAYER } from './layers.js';
import { bboxOf } from './planner-map.js';
import { unavailable } from './planner-report.js';
import { wireSurveyDiff } from './survey-diff.js';
import { wireSurveyExports } from './survey-export.js';
import { addSurveyLayers, EMPTY, formatLength, selectError, setSurveyData, showSurveyLayers, SURVEY_LAYER, SURVEY_SOURCE } from './survey-map.js';
import { findingPopup, linePopup, markerPopup, renderLines, renderMarkerLegend, renderValidation } from './survey-report.js';

/** @typedef {import('./survey-report.js').LineProps} LineProps */
/** @typedef {import('./survey-report.js').Finding} Finding */
/** @typedef {GeoJSON.Feature<GeoJSON.Geometry, LineProps>} LineFeature */

/**
 * What the view holds (read by the page's test hook only, besides this module).
 * @typedef {object} SurveyState
 * @property {boolean} active the tab is open
 * @property {boolean} started the layers are added and the first loads asked for
 * @property {boolean} canSurvey a surveyor (or admin) is signed in
 * @property {Map<string, LineFeature>} lines the drawn level's lines by id
 * @property {Finding[]} findings the drawn errors, then the excepted ones (the map's `index`)
 * @property {Map<string, GeoJSON.Feature>} markers the register by marker number
 * @property {number} loads finished loads, any box
 */

/**
 * @typedef {object} SurveyOptions
 * @property {maplibregl.Map} map
 * @property {import('./planner-whatif.js').ClickInterceptor[]} clickInterceptors
 * @property {Record<string, () => void>} onTab tab activation hooks by tab id
 * @property {Record<string, () => void>} onLeaveTab tab deactivation hooks by tab id
 * @property {(text: string, isError?: boolean) => void} setStatus
 */

/** Pixels around a click that still hit a line or a marker. */
const CLICK_SLOP_PX = 5;
const FLY = { padding: 60, maxZoom: 15, duration: 800 };

/**
 * Wires the surveyor tab. Returns its state (for the page's test hook) and the switch for the
 * surveyor-only controls.
 * @param {SurveyOptions} options
 * @returns {{ state: SurveyState, setCanSurvey: (allowed: boolean) => void }}
 */
export function wireSurvey({ map, clickInterceptors, onTab, onLeaveTab, setStatus }) {
  const levelSelect = byId('survey-level', HTMLSelectElement);
  const linesBox = byId('survey-lines', HTMLElement);
  const validationBox = byId('survey-validation', HTMLElement);
  const validationCounts = byId('survey-validation-counts', HTMLElement);
  const markersBox = byId('survey-markers', HTMLElement);
  const markerLegend = byId('survey-marker-legend', HTMLElement);
  const markerCount = byId('survey-marker-count', HTMLElement);
  const hint = byId('survey-hint', HTMLElement);
  const diffBox = byId('survey-diff-box', HTMLElement);
  const exportGroup = byId('survey-export-actions', HTMLElement);

  /** @type {SurveyState} */
  const state = { active: false, started: false, canSurvey: false, lines: new Map(), findings: [], markers: new Map(), loads: 0 };
  const popup = new maplibregl.Popup({ closeButton: true, closeOnClick: false, maxWidth: '380px' });
  /** @param {[[number, number], [number, number]]} bounds */
  const fitTo = (bounds) => map.fitBounds(bounds, FLY);

  /** The latest load asked for, per box. @type {Map<HTMLElement, number>} */
  const sequence = new Map();
  /**
   * Runs `load` for `box` unless a newer load of the same box started meanwhile; the box says
   * `loading`, then `ready`, or `error` with what failed and its HTTP status.
   * @param {HTMLElement} box
   * @param {string} what
   * @param {() => Promise<() => void>} load resolves to the drawing of its answer
   * @param {() => void} onError clears what the box had drawn on the map
   */
  async function loadInto(box, what, load, onError) {
    const mine = (sequence.get(box) || 0) + 1;
    sequence.set(box, mine);
    box.dataset.state = 'loading';
    box.setAttribute('aria-busy', 'true');
    try {
      const draw = await load();
      if (sequence.get(box) !== mine) return;
      draw();
      box.dataset.state = 'ready';
    } catch (error) {
      if (sequence.get(box) !== mine) return;
      box.textContent = '';
      box.append(unavailable(what, error));
      box.dataset.state = 'error';
      onError();
      setStatus(`${what}: ${describeError(error)}`, true);
    } finally {
      if (sequence.get(box) === mine) {
        box.removeAttribute('aria-busy');
        state.loads += 1;
      }
    }
  }

  /** @param {LineFeature} f */
  function showLine(f) {
    const coords = lineCoordinates(f.geometry);
    const middle = coords[Math.floor(coords.length / 2)];
    fitTo(bboxOf(/** @type {any} */ (f.geometry)));
    if (middle) popup.setLngLat(/** @type {[number, number]} */ ([middle[0], middle[1]])).setDOMContent(linePopup(f.properties)).addTo(map);
  }

  /** @param {Finding} f @param {number} index */
  function showFinding(f, index) {
    const bounds = bboxOf(/** @type {any} */ (f.geometry));
    selectError(map, index);
    fitTo(bounds);
    const centre = /** @type {[number, number]} */ ([(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]);
    popup.setLngLat(centre).setDOMContent(findingPopup(f)).addTo(map);
  }

  function loadLines() {
    const level = levelSelect.value;
    linesBox.dataset.level = level;
    return loadInto(
      linesBox,
      '界线 Boundary lines',
      async () => {
        /** @type {GeoJSON.FeatureCollection<GeoJSON.Geometry, LineProps>} */
        const body = await getJson(withQuery('/api/v1/boundaries', { level }));
        return () => {
          state.lines = new Map(body.features.map((f) => [f.properties.id, f]));
          const labelled = body.features.map((f) => ({ ...f, properties: { ...f.properties, label: formatLength(f.properties.length_m) } }));
          setSurveyData(map, SURVEY_SOURCE.lines, { type: 'FeatureCollection', features: labelled });
          renderLines(linesBox, level, body.features, showLine);
        };
      },
      () => {
        state.lines = new Map();
        setSurveyData(map, SURVEY_SOURCE.lines, EMPTY);
      }
    );
  }

  function loadValidation() {
    return loadInto(
      validationBox,
      '拓扑检查 Validation',
      async () => {
        /** @type {import('./survey-report.js').ValidationReport} */
        const report = await getJson('/api/v1/validation');
        return () => {
          const excepted = report.excepted || [];
          state.findings = [...report.errors, ...excepted];
          /** @type {GeoJSON.Feature[]} */
          const features = state.findings
            .map((f, index) => ({ type: /** @type {const} */ ('Feature'), geometry: f.geometry, properties: { index, rule: f.rule, excepted: index >= report.errors.length } }))
            .filter((f) => f.geometry);
          setSurveyData(map, SURVEY_SOURCE.errors, { type: 'FeatureCollection', features });
          selectError(map, -1);
          renderValidation(validationBox, validationCounts, report, showFinding);
        };
      },
      () => {
        state.findings = [];
        validationCounts.textContent = '';
        setSurveyData(map, SURVEY_SOURCE.errors, EMPTY);
      }
    );
  }

  function loadMarkers() {
    return loadInto(
      markersBox,
      '界桩 Markers',
      async () => {
        /** @type {GeoJSON.FeatureCollection} */
        const body = await getJson('/api/v1/markers');
        return () => {
          state.markers = new Map(body.features.map((f) => [String(f.properties?.number), f]));
          setSurveyData(map, SURVEY_SOURCE.markers, body);
          renderMarkerLegend(markerLegend, markerCount, body.features);
          markersBox.textContent = body.features.length ? '' : '登记簿中没有界桩 No markers in the register';
          markersBox.dataset.markers = String(body.features.length);
        };
      },
      () => {
        state.markers = new Map();
        markerLegend.textContent = '';
        markerCount.textContent = '';
        setSurveyData(map, SURVEY_SOURCE.markers, EMPTY);
      }
    );
  }

  async function refreshAll() {
    setStatus('加载边界数据 Loading boundary data…');
    await Promise.all([loadLines(), loadValidation(), loadMarkers()]);
    const failed = [linesBox, validationBox, markersBox].filter((b) => b.dataset.state === 'error').length;
    if (failed === 0) setStatus('边界数据已更新 Boundary data updated');
  }

  levelSelect.addEventListener('change', () => {
    popup.remove();
    loadLines();
  });
  byId('survey-reload', HTMLButtonElement).addEventListener('click', () => {
    popup.remove();
    refreshAll();
  });

  // A click in the survey view on a marker, an error, a changed line or a boundary line opens
  // its popup (the page's own copy of the answer, so nested fields such as inspections are
  // whole); anything else falls through to the page's unit popup.
  clickInterceptors.push((event) => {
    if (!state.active) return false;
    const { x, y } = event.point;
    const order = [SURVEY_LAYER.markers, SURVEY_LAYER.errorPoint, SURVEY_LAYER.diffLines, SURVEY_LAYER.errorLine, SURVEY_LAYER.errorFill, SURVEY_LAYER.lines];
    const hits = map.queryRenderedFeatures(
      [
        [x - CLICK_SLOP_PX, y - CLICK_SLOP_PX],
        [x + CLICK_SLOP_PX, y + CLICK_SLOP_PX],
      ],
      { layers: order }
    );
    for (const layer of order) {
      const hit = hits.find((h) => h.layer.id === layer);
      if (!hit) continue;
      const content = popupFor(layer, hit.properties);
      if (!content) continue;
      popup.setLngLat(event.lngLat).setDOMContent(content).addTo(map);
      return true;
    }
    return false;
  });

  /**
   * @param {string} layer
   * @param {Record<string, any>} props the rendered feature's properties
   */
  function popupFor(layer, props) {
    if (layer === SURVEY_LAYER.markers) {
      const marker = state.markers.get(String(props.number));
      return marker && marker.properties ? markerPopup(marker.properties) : null;
    }
    if (layer === SURVEY_LAYER.lines) {
      const line = state.lines.get(String(props.id));
      return line ? linePopup(line.properties) : null;
    }
    if (layer === SURVEY_LAYER.diffLines) return diff.popup(Number(props.index));
    const finding = state.findings[Number(props.index)];
    return finding ? findingPopup(finding) : null;
  }

  const diff = wireSurveyDiff({
    map,
    form: byId('survey-diff-form', HTMLFormElement),
    fileInput: byId('survey-file', HTMLInputElement),
    runButton: byId('survey-diff-run', HTMLButtonElement),
    clearButton: byId('survey-diff-clear', HTMLButtonElement),
    box: byId('survey-diff', HTMLElement),
    fitTo,
    setStatus,
  });
  wireSurveyExports({
    group: exportGroup,
    formatSelect: byId('survey-export-format', HTMLSelectElement),
    crsSelect: byId('survey-export-crs', HTMLSelectElement),
    level: () => levelSelect.value,
    setStatus,
  });

  // In the survey view the facilities step aside (markers are the points that matter); the
  // legend's choice comes back when the view closes.
  /** @type {maplibregl.FilterSpecification | null | undefined} */
  let facilityFilter;
  onTab['tab-survey'] = () => {
    state.active = true;
    if (!state.started) {
      state.started = true;
      addSurveyLayers(map);
      refreshAll();
    }
    showSurveyLayers(map, true);
    if (map.getLayer(LAYER.facilities)) {
      facilityFilter = map.getFilter(LAYER.facilities) || null;
      map.setFilter(LAYER.facilities, ['==', ['get', 'category'], '']);
    }
  };
  onLeaveTab['tab-survey'] = () => {
    state.active = false;
    popup.remove();
    if (state.started) showSurveyLayers(map, false);
    if (facilityFilter !== undefined) map.setFilter(LAYER.facilities, facilityFilter);
    facilityFilter = undefined;
  };

  /**
   * Shows the diff and export controls to a surveyor, and the hint to everyone else; losing
   * them (sign-out) forgets the diff shown.
   * @param {boolean} allowed
   */
  function setCanSurvey(allowed) {
    const lost = state.canSurvey && !allowed;
    state.canSurvey = allowed;
    diffBox.hidden = !allowed;
    exportGroup.hidden = !allowed;
    hint.hidden = allowed;
    if (lost && state.started) diff.clear();
  }
  setCanSurvey(false);
  return { state, setCanSurvey };
}

/**
 * The vertices of a line (the first part of a multi-line).
 * @param {GeoJSON.Geometry} geometry
 * @returns {number[][]}
 */
function lineCoordinates(geometry) {
  if (geometry.type === 'LineString') return geometry.coordinates;
  if (geometry.type === 'MultiLineString') return geometry.coordinates[0] || [];
  return [];
}
