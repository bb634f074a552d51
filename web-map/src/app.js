// civmap web map: Hangzhou's administrative units, places and civil-affairs facilities on a
// MapLibre map, with search, reverse lookup and (in planner.js) the planner view.
//
// Why it looks like this: the page is embedded into the civmap server and must work with no
// internet, so the style has no external sources and no glyph URL (labels are drawn by the
// browser, see layers.js) and all data comes from the same origin. No bundler: the browser
// loads these ES modules as they are. Tests wait for `window.civmapReady === true`; a failure
// to load sets `window.civmapError`. `window.civmap` exposes the map to tests and to curious
// people at the console.
import { describeError, getJson } from './api.js';
import { adminPopup, doorplatePopup, facilityPopup, showHere, showPlace } from './details.js';
import { addBaseLayers, highlightUnit, LAYER, LEVELS, LOCAL_IDEOGRAPH_FONT, wireLegend } from './layers.js';
import { wirePlanner } from './planner.js';
import { wireSearch } from './search.js';

const HANGZHOU_CENTRE = [119.9, 29.95];
const START_ZOOM = 8;
const ATTRIBUTION =
  'Boundaries © 天地图 Tianditu · NBS 2023 codes · 2020 census · © OpenStreetMap contributors · synthetic layers by civmap';

window.civmapReady = false;
const started = performance.now();

const statusEl = document.getElementById('status');
const tooltipEl = document.getElementById('tooltip');

export function setStatus(text, isError) {
  statusEl.textContent = text;
  statusEl.classList.toggle('error', Boolean(isError));
}

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

async function loadData() {
  const [categories, tilejson] = await Promise.all([
    getJson('/api/v1/categories'),
    getJson('/tiles/all.json'),
  ]);
  return { categories, tilejson };
}

function addSources(data) {
  const t = data.tilejson;
  map.addSource('civmap', {
    type: 'vector',
    // Absolute URLs: MapLibre fetches tiles from a worker, where a relative URL has no base.
    // (Not through `new URL`, which would percent-encode the template's braces.)
    tiles: t.tiles.map((url) => (/^https?:\/\//.test(url) ? url : `${window.location.origin}${url}`)),
    minzoom: t.minzoom ?? 0,
    maxzoom: t.maxzoom ?? 16,
    bounds: t.bounds,
  });
}

// ---- picked place and clicked point markers ----------------------------------------------

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

function setPicked(features) {
  map.getSource('picked').setData({ type: 'FeatureCollection', features });
}

function point(lonLat, role) {
  return { type: 'Feature', geometry: { type: 'Point', coordinates: lonLat }, properties: { role } };
}

/** The level of a 12-digit statistical code: 3301 06 000 000 is a district, … 002 000 a township. */
export function levelOfCode(code) {
  if (!/^\d{12}$/.test(code || '')) return null;
  if (code.slice(4) === '00000000') return 'city';
  if (code.slice(6) === '000000') return 'district';
  if (code.slice(9) === '000') return 'township';
  return 'community';
}

const ZOOM_FOR = { city: 8, district: 10.5, township: 12.5, community: 14.5 };

/** Flies to a search result, outlines it when it is a unit and shows its card. */
function choosePlace(feature) {
  const p = feature.properties;
  const center = feature.geometry.coordinates;
  const level = p.kind === 'admin' ? levelOfCode(p.code) : null;
  const zoom = level ? ZOOM_FOR[level] : p.kind === 'road' ? 15.5 : 17;
  highlightUnit(map, level ? p.code : null);
  setPicked([point(center, 'picked')]);
  showPlace(document.getElementById('place-details'), feature);
  window.civmapLastChoice = { name: p.name, kind: p.kind, code: p.code, center, zoom };
  map.flyTo({ center, zoom, essential: true, duration: 1200 });
}

// ---- clicks -------------------------------------------------------------------------------

const categoriesById = {};
/** Click handlers that may take a click before the default (the planner's what-if mode). */
export const clickInterceptors = [];
/** Extra buttons for facility popups (the planner's move/close). */
export const facilityActions = [];
/** Called with the properties of a unit clicked on the map (the planner's indicators). */
export const unitClickListeners = [];

function visible(id) {
  return map.getLayer(id) && map.getLayoutProperty(id, 'visibility') !== 'none';
}

/** The topmost thing under a point: a facility, else the deepest visible unit. */
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

function wireClicks() {
  map.on('click', (event) => {
    if (clickInterceptors.some((intercept) => intercept(event))) return;
    const feature = featureAt(event.point);
    if (feature && feature.layer.id === LAYER.facilities) {
      const where = feature.geometry.coordinates.slice(0, 2);
      popup
        .setLngLat(where)
        .setDOMContent(facilityPopup(feature.properties, where, categoriesById, actionsFor))
        .addTo(map);
    } else if (feature && feature.layer.id === LAYER.doorplates) {
      const where = feature.geometry.coordinates.slice(0, 2);
      popup.setLngLat(where).setDOMContent(doorplatePopup(feature.properties)).addTo(map);
    } else if (feature) {
      popup.setLngLat(event.lngLat).setDOMContent(adminPopup(feature.properties)).addTo(map);
      for (const listener of unitClickListeners) listener(feature.properties);
    } else {
      popup.remove();
    }
    // In the planner view a click is about facilities and units; the reverse lookup is the
    // explore view's.
    if (document.getElementById('tab-explore').getAttribute('aria-selected') === 'true') {
      setPicked([point([event.lngLat.lng, event.lngLat.lat], 'here')]);
      showHere(document.getElementById('here'), event.lngLat);
    }
  });

  map.on('mousemove', (event) => {
    const feature = featureAt(event.point);
    const isFacility = Boolean(feature) && feature.layer.id === LAYER.facilities;
    const adding = document.getElementById('whatif-add').getAttribute('aria-pressed') === 'true';
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

const panelToggle = document.getElementById('panel-toggle');
const panelBody = document.getElementById('panel-body');

function setPanelOpen(open) {
  panelBody.hidden = !open;
  panelToggle.setAttribute('aria-expanded', String(open));
  panelToggle.textContent = open ? '▾' : '▸';
}
panelToggle.addEventListener('click', () => setPanelOpen(panelBody.hidden));
if (window.matchMedia('(max-width: 640px)').matches) setPanelOpen(false);

const tabs = [...document.querySelectorAll('[role="tab"]')];
/** Tab activation hooks by tab id (the planner starts when its tab opens). */
export const onTab = {};

export function selectTab(tab) {
  for (const t of tabs) {
    const selected = t === tab;
    t.setAttribute('aria-selected', String(selected));
    t.tabIndex = selected ? 0 : -1;
    document.getElementById(t.getAttribute('aria-controls')).hidden = !selected;
  }
  if (onTab[tab.id]) onTab[tab.id]();
}

for (const tab of tabs) {
  tab.addEventListener('click', () => selectTab(tab));
  tab.addEventListener('keydown', (event) => {
    const shown = tabs.filter((t) => !t.hidden);
    const index = shown.indexOf(tab);
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
    addBaseLayers(map, SOURCES, data.categories);
    addMarkerLayers();
    wireLegend(map, SOURCES, data.categories);
    wireClicks();
    wireSearch({
      input: document.getElementById('search-input'),
      list: document.getElementById('search-results'),
      near: () => map.getCenter().toArray(),
      onChoose: choosePlace,
      onStatus: setStatus,
    });
    wirePlanner({
      map,
      categories: data.categories,
      sources: SOURCES,
      clickInterceptors,
      facilityActions,
      unitClickListeners,
      onTab,
      setStatus,
    });
    window.civmap = { map, categories: data.categories, sources: SOURCES };
    const facilities = data.categories.reduce((sum, c) => sum + (c.count || 0), 0);
    setStatus(`${facilities.toLocaleString('zh-CN')} 设施 facilities · 矢量瓦片 vector tiles`);
    map.once('idle', () => {
      window.civmapLoadMs = Math.round(performance.now() - started);
      window.civmapReady = true;
    });
  } catch (error) {
    const message = describeError(error);
    window.civmapError = message;
    setStatus(`数据加载失败 Could not load data: ${message}`, true);
    console.warn('civmap: could not load data:', message);
  }
});
