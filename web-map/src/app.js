// civmap web map: Hangzhou's administrative units, places and civil-affairs facilities on a
// MapLibre map, with search, reverse lookup and (in planner.js) the planner view.
//
// Why it looks like this: the page is embedded into the civmap server and must work with no
// internet, so the style has no external sources and no glyph URL (labels are drawn by the
// browser, see layers.js) and all data comes from the same origin. No bundler: the browser
// loads these ES modules as they are.
//
// What the page says about itself (nothing is kept on `window`):
// - `<html data-civmap-state>` is `loading`, then `ready` once the map is idle with its data
//   (`data-civmap-load-ms` then holds the milliseconds from this script's start), or `error`
//   with the message in `data-civmap-error`. screenshot.mjs and the browser tests wait on it.
// - The chosen search result's card (`#place-details`) carries `data-name`, `data-kind`,
//   `data-code`, `data-lon`, `data-lat` and `data-zoom` (where the map flies); the reverse
//   lookup's card (`#here`) carries the clicked point's `data-lon` and `data-lat`.
// - `#account[data-state]` is `checking` until GET /api/v1/me answers, then `anonymous` or
//   `signed-in` (`#account-who` then carries `data-name` and `data-role`).
// - Test mode: with `?debug` in the page's URL, the exported `debug` object holds the map and
//   the planner's state (`(await import('/assets/app.js')).debug`); without it, `debug` is null.
import { canPlan, canSurvey, wireAccount } from './account.js';
import { describeError, getJson } from './api.js';
import { wireAsOf } from './as-of.js';
import { adminPopup, doorplatePopup, facilityPopup, showHere, showPlace } from './details.js';
import { byId } from './dom.js';
import { addBaseLayers, highlightUnit, LAYER, LEVELS, LOCAL_IDEOGRAPH_FONT, wireLegend } from './layers.js';
import { wirePlanner } from './planner.js';
import { wireSearch } from './search.js';
import { wireSurvey } from './survey.js';
import { wireNames } from './names.js';
import { wireProposals } from './proposals.js';

/** @type {[number, number]} */
const HANGZHOU_CENTRE = [119.9, 29.95];
const START_ZOOM = 8;
/**
 * The sources of what the map shows, and only those (README "Data and licences", docs/data.md):
 * Tianditu's city and district boundaries, the NBS division codes and names, the Ministry of
 * Civil Affairs' township list (CC BY 4.0), the 2020 census figures the populations are split
 * from, and civmap's synthetic layers. There is no basemap and no OpenStreetMap data on it.
 */
const ATTRIBUTION = [
  '数据来源：天地图 Tianditu',
  'NBS 2023 division codes',
  'MCA township list (CC BY 4.0)',
  '2020 census',
  'synthetic layers: civmap',
].join(' · ');

const root = document.documentElement;
root.dataset.civmapState = 'loading';
const started = performance.now();

const statusEl = byId('status', HTMLElement);
const tooltipEl = byId('tooltip', HTMLElement);

/**
 * @param {string} text
 * @param {boolean} [isError]
 */
export function setStatus(text, isError) {
  statusEl.textContent = text;
  statusEl.classList.toggle('error', Boolean(isError));
}

// ---- account: asked at once, so the header says who is signed in while the map loads --------

/**
 * The planner's switch for its planner-only controls, once the planner is wired.
 * @type {((allowed: boolean) => void) | null}
 */
let setPlannerAccess = null;
/**
 * The surveyor view's switch for its surveyor-only controls, once the view is wired.
 * @type {((allowed: boolean) => void) | null}
 */
let setSurveyAccess = null;
/**
 * The names view's and the proposals view's switches, once they are wired.
 * @type {((who: import('./account.js').Identity | null) => void) | null}
 */
let setViewsAccess = null;
const account = wireAccount({
  onChange: (who) => {
    if (setPlannerAccess) setPlannerAccess(canPlan(who));
    if (setSurveyAccess) setSurveyAccess(canSurvey(who));
    if (setViewsAccess) setViewsAccess(who);
  },
  setStatus,
});

const map = new maplibregl.Map({
  container: 'map',
  center: HANGZHOU_CENTRE,
  zoom: START_ZOOM,
  minZoom: 5,
  maxZoom: 19,
  localIdeographFontFamily: LOCAL_IDEOGRAPH_FONT,
  // Compact (an ⓘ button) on narrow screens only.
  attributionControl: { customAttribution: ATTRIBUTION },
  style: {
    version: 8,
    name: 'civmap offline',
    sources: {},
    layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#eef2f5' } }],
  },
});
map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');

/**
 * The test hook: the map and (once wired) the planner's and the surveyor view's state, only
 * with `?debug` in the URL.
 * @type {{ map: maplibregl.Map, planner: import('./planner-state.js').PlannerState | null, survey: import('./survey.js').SurveyState | null } | null}
 */
export const debug = new URLSearchParams(location.search).has('debug') ? { map, planner: null, survey: null } : null;

/**
 * Where the data comes from (see layers.js): civmap's own vector tiles (`/tiles/all`: admin
 * polygons by level, label points, facilities, doorplates), so the page loads only what the
 * view needs. GeoJSON stays for what tiles do not hold: search and click markers and the
 * planner's coverage answers.
 */
const SOURCES = {
  admin: { source: 'civmap', sourceLayer: 'admin' },
  adminLabel: { source: 'civmap', sourceLayer: 'admin_label' },
  facilities: { source: 'civmap', sourceLayer: 'facilities' },
  doorplates: { source: 'civmap', sourceLayer: 'doorplates' },
  levels: ['district', 'township', 'community'],
};

/** @typedef {import('./planner.js').Category} Category */
/** @typedef {{ tiles: string[], minzoom?: number, maxzoom?: number, bounds?: [number, number, number, number] }} TileJson */

/** @returns {Promise<{ categories: Category[], tilejson: TileJson }>} */
async function loadData() {
  const [categories, tilejson] = await Promise.all([
    getJson('/api/v1/categories'),
    getJson('/tiles/all.json'),
  ]);
  return { categories, tilejson };
}

/**
 * Absolute URLs: MapLibre fetches tiles from a worker, where a relative URL has no base.
 * (Not through `new URL`, which would percent-encode the template's braces.)
 * @param {TileJson} t
 */
function absoluteTiles(t) {
  return t.tiles.map((url) => (/^https?:\/\//.test(url) ? url : `${location.origin}${url}`));
}

/** @param {{ tilejson: TileJson }} data */
function addSources(data) {
  const t = data.tilejson;
  map.addSource('civmap', {
    type: 'vector',
    tiles: absoluteTiles(t),
    minzoom: t.minzoom ?? 0,
    maxzoom: t.maxzoom ?? 16,
    bounds: t.bounds,
  });
}

// ---- picked place and clicked point markers ----------------------------------------------

/** @type {GeoJSON.FeatureCollection} */
const EMPTY = { type: 'FeatureCollection', features: [] };

function addMarkerLayers() {
  map.addSource('picked', { type: 'geojson', data: EMPTY });
  map.addLayer({
    id: 'picked',
    type: 'circle',
    source: 'picked',
    paint: {
      'circle-radius': ['match', ['get', 'role'], 'here', 5, 8],
      'circle-color': ['match', ['get', 'role'], 'here', '#2680c2', '#de911d'],
      'circle-stroke-color': '#ffffff',
      'circle-stroke-width': 2,
    },
  });
}

/** @param {GeoJSON.Feature[]} features */
function setPicked(features) {
  /** @type {maplibregl.GeoJSONSource} */ (map.getSource('picked')).setData({ type: 'FeatureCollection', features });
}

/**
 * @param {[number, number]} lonLat
 * @param {string} role
 * @returns {GeoJSON.Feature}
 */
function point(lonLat, role) {
  return { type: 'Feature', geometry: { type: 'Point', coordinates: lonLat }, properties: { role } };
}

/**
 * The level of a 12-digit statistical code: 3301 06 000 000 is a district, … 002 000 a township.
 * @param {string | undefined} code
 */
export function levelOfCode(code) {
  if (!code || !/^\d{12}$/.test(code)) return null;
  if (code.slice(4) === '00000000') return 'city';
  if (code.slice(6) === '000000') return 'district';
  if (code.slice(9) === '000') return 'township';
  return 'community';
}

/** @type {Record<string, number>} */
const ZOOM_FOR = { city: 8, district: 10.5, township: 12.5, community: 14.5 };

/**
 * Flies to a search result, outlines it when it is a unit and shows its card (which records
 * what was chosen and where the map flies, see the top of this file).
 * @param {any} feature a GeoJSON point feature of /api/v1/search or /api/v1/autocomplete
 */
function choosePlace(feature) {
  const p = feature.properties;
  /** @type {[number, number]} */
  const center = [feature.geometry.coordinates[0], feature.geometry.coordinates[1]];
  const level = p.kind === 'admin' ? levelOfCode(p.code) : null;
  const zoom = level ? ZOOM_FOR[level] : p.kind === 'road' ? 15.5 : 17;
  highlightUnit(map, level ? p.code : null);
  setPicked([point(center, 'picked')]);
  const card = byId('place-details', HTMLElement);
  showPlace(card, feature);
  Object.assign(card.dataset, { name: p.name, kind: p.kind, code: p.code || '', lon: String(center[0]), lat: String(center[1]), zoom: String(zoom) });
  map.flyTo({ center, zoom, essential: true, duration: 1200 });
}

// ---- clicks -------------------------------------------------------------------------------

/** @type {Record<string, any>} */
const categoriesById = {};
/**
 * Click handlers that may take a click before the default (the planner's what-if mode).
 * @type {import('./planner-whatif.js').ClickInterceptor[]}
 */
const clickInterceptors = [];
/**
 * Extra buttons for facility popups (the planner's move/close).
 * @type {import('./planner-whatif.js').FacilityAction[]}
 */
const facilityActions = [];
/**
 * Called with the properties of a unit clicked on the map (the planner's indicators).
 * @type {((props: Record<string, any>) => void)[]}
 */
const unitClickListeners = [];

/** @param {string} id */
function visible(id) {
  return Boolean(map.getLayer(id)) && map.getLayoutProperty(id, 'visibility') !== 'none';
}

/**
 * The topmost thing under a point: a facility, else the deepest visible unit.
 * @param {maplibregl.PointLike} pointPx
 */
function featureAt(pointPx) {
  const order = [LAYER.facilities, LAYER.doorplates, ...LEVELS.slice().reverse().map(LAYER.hit)].filter(visible);
  if (order.length === 0) return null;
  const hits = map.queryRenderedFeatures(pointPx, { layers: order });
  for (const id of order) {
    const hit = hits.find((h) => h.layer.id === id);
    if (hit) return hit;
  }
  return null;
}

const popup = new maplibregl.Popup({ closeButton: true, closeOnClick: false, maxWidth: '340px' });

/**
 * @param {Record<string, any>} props
 * @param {[number, number]} lngLat
 */
function actionsFor(props, lngLat) {
  if (facilityActions.length === 0) return null;
  const box = document.createElement('div');
  box.className = 'popup-actions';
  for (const make of facilityActions) {
    const node = make(props, lngLat, popup);
    if (node) box.append(node);
  }
  return box;
}

/**
 * A point feature's `[lon, lat]`.
 * @param {maplibregl.MapGeoJSONFeature} feature
 * @returns {[number, number]}
 */
function pointOf(feature) {
  const [lon, lat] = /** @type {GeoJSON.Point} */ (feature.geometry).coordinates;
  return [lon, lat];
}

function wireClicks() {
  map.on('click', (event) => {
    if (clickInterceptors.some((intercept) => intercept(event))) return;
    const feature = featureAt(event.point);
    if (feature && feature.layer.id === LAYER.facilities) {
      const where = pointOf(feature);
      popup
        .setLngLat(where)
        .setDOMContent(facilityPopup(feature.properties, where, categoriesById, actionsFor))
        .addTo(map);
    } else if (feature && feature.layer.id === LAYER.doorplates) {
      const where = pointOf(feature);
      popup.setLngLat(where).setDOMContent(doorplatePopup(feature.properties)).addTo(map);
    } else if (feature) {
      popup.setLngLat(event.lngLat).setDOMContent(adminPopup(feature.properties)).addTo(map);
      for (const listener of unitClickListeners) listener(feature.properties);
    } else {
      popup.remove();
    }
    // In the planner view a click is about facilities and units; the reverse lookup is the
    // explore view's.
    if (byId('tab-explore', HTMLButtonElement).getAttribute('aria-selected') === 'true') {
      setPicked([point([event.lngLat.lng, event.lngLat.lat], 'here')]);
      showHere(byId('here', HTMLElement), event.lngLat);
    }
  });

  map.on('mousemove', (event) => {
    const feature = featureAt(event.point);
    const isFacility = feature !== null && feature.layer.id === LAYER.facilities;
    const adding = byId('whatif-add', HTMLButtonElement).getAttribute('aria-pressed') === 'true';
    map.getCanvas().style.cursor = adding ? 'crosshair' : isFacility ? 'pointer' : '';
    if (!feature || !feature.properties.name) {
      tooltipEl.hidden = true;
      return;
    }
    tooltipEl.textContent = feature.properties.name;
    tooltipEl.style.left = `${event.point.x}px`;
    tooltipEl.style.top = `${event.point.y}px`;
    tooltipEl.hidden = false;
  });
  map.getCanvas().addEventListener('mouseleave', () => {
    tooltipEl.hidden = true;
  });
}

// ---- panel: collapse (phones) and tabs ------------------------------------------------------

const panelToggle = byId('panel-toggle', HTMLButtonElement);
const panelBody = byId('panel-body', HTMLElement);

/** @param {boolean} open */
function setPanelOpen(open) {
  panelBody.hidden = !open;
  panelToggle.setAttribute('aria-expanded', String(open));
  panelToggle.textContent = open ? '▾' : '▸';
}
panelToggle.addEventListener('click', () => setPanelOpen(panelBody.hidden === true));
if (matchMedia('(max-width: 640px)').matches) setPanelOpen(false);

const tabs = [...document.querySelectorAll('[role="tab"]')].map((t) => byId(t.id, HTMLButtonElement));
/**
 * Tab activation hooks by tab id (the planner starts when its tab opens).
 * @type {Record<string, () => void>}
 */
const onTab = {};
/**
 * Tab deactivation hooks by tab id (a view hides its layers when another tab opens).
 * @type {Record<string, () => void>}
 */
const onLeaveTab = {};

/** @param {HTMLButtonElement} tab */
function selectTab(tab) {
  for (const t of tabs) {
    const selected = t === tab;
    const wasSelected = t.getAttribute('aria-selected') === 'true';
    t.setAttribute('aria-selected', String(selected));
    t.tabIndex = selected ? 0 : -1;
    byId(t.getAttribute('aria-controls') || '', HTMLElement).hidden = !selected;
    if (wasSelected && !selected && onLeaveTab[t.id]) onLeaveTab[t.id]();
  }
  if (onTab[tab.id]) onTab[tab.id]();
}

for (const tab of tabs) {
  tab.addEventListener('click', () => selectTab(tab));
  tab.addEventListener('keydown', (event) => {
    const shown = tabs.filter((t) => !t.hidden);
    const index = shown.indexOf(tab);
    /** @type {HTMLButtonElement | null} */
    let next = null;
    if (event.key === 'ArrowRight') next = shown[(index + 1) % shown.length];
    if (event.key === 'ArrowLeft') next = shown[(index - 1 + shown.length) % shown.length];
    if (next) {
      event.preventDefault();
      next.focus();
      selectTab(next);
    }
  });
}

// ---- start ----------------------------------------------------------------------------------

setStatus('加载中 Loading…');
const dataLoaded = loadData();
// Handled in the 'load' listener; this only keeps an early failure from being reported as an
// unhandled rejection before the map has loaded.
dataLoaded.catch(() => {});

map.on('load', async () => {
  try {
    const data = await dataLoaded;
    for (const c of data.categories) categoriesById[c.id] = c;
    addSources(data);
    wireAsOf(map, absoluteTiles(data.tilejson)).catch((error) => setStatus(`日期 As of: ${describeError(error)}`));
    addBaseLayers(map, SOURCES, data.categories);
    addMarkerLayers();
    wireLegend(map, SOURCES, data.categories);
    wireClicks();
    wireSearch({
      input: byId('search-input', HTMLInputElement),
      list: byId('search-results', HTMLElement),
      near: () => /** @type {[number, number]} */ (map.getCenter().toArray()),
      onChoose: choosePlace,
      onStatus: setStatus,
    });
    const planner = wirePlanner({
      map,
      categories: data.categories,
      sources: SOURCES,
      clickInterceptors,
      facilityActions,
      unitClickListeners,
      onTab,
      onLeaveTab,
      setStatus,
    });
    setPlannerAccess = planner.setCanPlan;
    setPlannerAccess(canPlan(account.current()));
    if (debug) debug.planner = planner.state;
    const survey = wireSurvey({ map, clickInterceptors, onTab, onLeaveTab, setStatus });
    setSurveyAccess = survey.setCanSurvey;
    setSurveyAccess(canSurvey(account.current()));
    if (debug) debug.survey = survey.state;
    const names = wireNames({ setStatus, unitClickListeners });
    const proposals = wireProposals({ map, onTab, onLeaveTab, setStatus });
    setViewsAccess = (who) => {
      names.setWho(who);
      proposals.setCanSee(canPlan(who) || canSurvey(who));
    };
    setViewsAccess(account.current());
    const facilities = data.categories.reduce((sum, c) => sum + (c.count || 0), 0);
    setStatus(`${facilities.toLocaleString('zh-CN')} 设施 facilities · 矢量瓦片 vector tiles`);
    map.once('idle', () => {
      root.dataset.civmapLoadMs = String(Math.round(performance.now() - started));
      root.dataset.civmapState = 'ready';
    });
  } catch (error) {
    const message = describeError(error);
    root.dataset.civmapError = message;
    root.dataset.civmapState = 'error';
    setStatus(`数据加载失败 Could not load data: ${message}`, true);
    console.warn('civmap: could not load data:', message);
  }
});
