// The map's base layers: administrative boundaries by level, their Chinese labels, facilities
// by category and doorplates, with the legend's toggles.
//
// Why labels need no glyph server: the style has no `glyphs` URL, so MapLibre GL JS (≥ 5) draws
// every label character in the browser from the fonts named in `text-font` (through TinySDF),
// Chinese and Latin alike; `localIdeographFontFamily` names the CJK font for the default stack.
// The page works offline, and Chinese names render with the system's Noto Sans CJK.
//
// Layers take their data through `DataSources` (source id and, for vector tiles, the source
// layer), so the same layer definitions serve GeoJSON and vector-tile sources.
import { byId } from './dom.js';

/** @typedef {import('./planner.js').Category} Category */
/** @typedef {{ source: string, sourceLayer?: string }} DataSource */
/**
 * Where each kind of data comes from (null when there is none).
 * @typedef {{ admin: DataSource, adminLabel: DataSource, facilities: DataSource, doorplates: DataSource | null, levels: string[] }} DataSources
 */
/** @typedef {maplibregl.FilterSpecification} Filter */

/**
 * Fixed colours per facility category id, whatever order the server lists them in.
 * @type {Record<string, string>}
 */
const CATEGORY_COLOURS = {
  elder_canteen: '#e6194b',
  home_care_centre: '#f58231',
  elder_care_institution: '#9a6324',
  health_elder_union: '#bfa100',
  children_home: '#3cb44b',
  child_welfare_institution: '#008080',
  minor_protection_station: '#42d4f4',
  neighbourhood_centre: '#4363d8',
  social_work_station: '#911eb4',
  marriage_registry: '#f032e6',
  relief_station: '#800000',
  funeral_service: '#333333',
};
/** Categories the server adds later get these, in order. */
const EXTRA_COLOURS = ['#808000', '#000075', '#aaffc3', '#dcbeff', '#ffd8b1', '#a9a9a9'];

/** The font stack for labels: CSS font families the browser draws with. */
export const LABEL_FONT = ['Noto Sans CJK SC', 'sans-serif'];
export const LOCAL_IDEOGRAPH_FONT = 'Noto Sans CJK SC, sans-serif';

export const LEVELS = ['district', 'township', 'community'];

/** Layer ids other modules refer to. */
export const LAYER = {
  districtFill: 'admin-fill-district',
  hit: (/** @type {string} */ level) => `admin-hit-${level}`,
  line: (/** @type {string} */ level) => `admin-line-${level}`,
  label: (/** @type {string} */ level) => `admin-label-${level}`,
  doorplates: 'doorplates',
  doorplateLabels: 'doorplate-labels',
  facilities: 'facilities',
  highlightLine: 'highlight-line',
  highlightFill: 'highlight-fill',
  /** Planner layers go below this one (boundaries and points stay on top). */
  plannerAnchor: 'admin-line-community',
};

/** @type {Record<string, { color: string, width: any }>} */
const LINE_STYLE = {
  district: { color: '#3e4c59', width: ['interpolate', ['linear'], ['zoom'], 8, 1.8, 12, 3.5] },
  township: { color: '#7b8794', width: ['interpolate', ['linear'], ['zoom'], 9, 0.5, 13, 1.4] },
  community: { color: '#9aa5b1', width: ['interpolate', ['linear'], ['zoom'], 12, 0.4, 15, 1] },
};
/** @type {Record<string, { minzoom: number, maxzoom: number, size: any, colour: string, halo: number }>} */
const LABEL_STYLE = {
  district: { minzoom: 7, maxzoom: 12, size: ['interpolate', ['linear'], ['zoom'], 7, 12, 11, 16], colour: '#1f2933', halo: 2 },
  township: { minzoom: 10, maxzoom: 15, size: 12, colour: '#323f4b', halo: 1.6 },
  community: { minzoom: 13, maxzoom: 24, size: 11, colour: '#52606d', halo: 1.4 },
};

/**
 * @param {string} categoryId
 * @param {Category[]} categories
 */
export function colourFor(categoryId, categories) {
  if (Object.hasOwn(CATEGORY_COLOURS, categoryId)) {
    return CATEGORY_COLOURS[categoryId];
  }
  const extras = categories.filter((c) => !Object.hasOwn(CATEGORY_COLOURS, c.id));
  const index = extras.findIndex((c) => c.id === categoryId);
  return EXTRA_COLOURS[Math.max(index, 0) % EXTRA_COLOURS.length];
}

/**
 * @param {Category[]} categories
 * @returns {any} a `match` expression
 */
function categoryColourExpression(categories) {
  /** @type {unknown[]} */
  const expression = ['match', ['get', 'category']];
  for (const c of categories) {
    expression.push(c.id, colourFor(c.id, categories));
  }
  expression.push('#7b8794');
  return expression;
}

/**
 * `{source, 'source-layer'?}` for a layer definition.
 * @param {DataSource} ref
 * @returns {{ source: string, 'source-layer'?: string }}
 */
function from(ref) {
  return ref.sourceLayer ? { source: ref.source, 'source-layer': ref.sourceLayer } : { source: ref.source };
}

/** @returns {Filter} */
const levelIs = (/** @type {string} */ level) => ['==', ['get', 'level'], level];

/**
 * Adds the base layers. `sources` maps `admin`, `adminLabel`, `facilities` and `doorplates` to
 * `{source, sourceLayer?}` (or null when there is no such data).
 * @param {maplibregl.Map} map
 * @param {DataSources} sources
 * @param {Category[]} categories
 */
export function addBaseLayers(map, sources, categories) {
  const admin = from(sources.admin);
  const levels = LEVELS.filter((level) => sources.levels.includes(level));

  map.addLayer({
    id: LAYER.districtFill,
    type: 'fill',
    ...admin,
    filter: levelIs('district'),
    paint: { 'fill-color': '#dbe7f0', 'fill-opacity': 0.55 },
  });
  // Transparent fills: only so that clicks and hovers find the unit under the pointer.
  for (const level of levels) {
    map.addLayer({
      id: LAYER.hit(level),
      type: 'fill',
      ...admin,
      filter: levelIs(level),
      paint: { 'fill-color': '#000000', 'fill-opacity': 0 },
    });
  }
  // Deepest level first, so district lines draw over township lines.
  for (const level of ['community', 'township', 'district']) {
    map.addLayer({
      id: LAYER.line(level),
      type: 'line',
      ...admin,
      filter: levelIs(level),
      layout: { 'line-join': 'round', visibility: levels.includes(level) ? 'visible' : 'none' },
      paint: { 'line-color': LINE_STYLE[level].color, 'line-width': LINE_STYLE[level].width },
    });
  }
  map.addLayer({
    id: LAYER.highlightFill,
    type: 'fill',
    ...admin,
    filter: ['==', ['get', 'code'], ''],
    paint: { 'fill-color': '#f0b429', 'fill-opacity': 0.18 },
  });
  map.addLayer({
    id: LAYER.highlightLine,
    type: 'line',
    ...admin,
    filter: ['==', ['get', 'code'], ''],
    layout: { 'line-join': 'round' },
    paint: { 'line-color': '#de911d', 'line-width': 3.5 },
  });

  if (sources.doorplates) {
    map.addLayer({
      id: LAYER.doorplates,
      type: 'circle',
      ...from(sources.doorplates),
      minzoom: 15,
      paint: {
        'circle-color': '#616e7c',
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 15, 1.5, 18, 3.5],
      },
    });
    map.addLayer({
      id: LAYER.doorplateLabels,
      type: 'symbol',
      ...from(sources.doorplates),
      minzoom: 17,
      layout: {
        'text-field': ['to-string', ['get', 'number']],
        'text-font': LABEL_FONT,
        'text-size': 10,
        'text-offset': [0, 0.9],
        'text-optional': true,
      },
      paint: { 'text-color': '#52606d', 'text-halo-color': '#ffffff', 'text-halo-width': 1.2 },
    });
  }

  map.addLayer({
    id: LAYER.facilities,
    type: 'circle',
    ...from(sources.facilities),
    paint: {
      'circle-color': categoryColourExpression(categories),
      'circle-radius': ['interpolate', ['linear'], ['zoom'], 7, 1.6, 10, 3, 14, 6],
      'circle-stroke-color': '#ffffff',
      'circle-stroke-width': ['interpolate', ['linear'], ['zoom'], 7, 0, 10, 0.6, 14, 1],
      'circle-opacity': 0.9,
    },
  });

  const label = from(sources.adminLabel);
  for (const level of levels) {
    const style = LABEL_STYLE[level];
    map.addLayer({
      id: LAYER.label(level),
      type: 'symbol',
      ...label,
      minzoom: style.minzoom,
      maxzoom: style.maxzoom,
      filter: levelIs(level),
      layout: {
        'text-field': ['get', 'name'],
        'text-font': LABEL_FONT,
        'text-size': style.size,
        'text-max-width': 8,
        'text-padding': 4,
      },
      paint: {
        'text-color': style.colour,
        'text-halo-color': '#ffffff',
        'text-halo-width': style.halo,
      },
    });
  }
}

/**
 * Shows or hides layers.
 * @param {maplibregl.Map} map
 * @param {string[]} layerIds
 * @param {boolean} visible
 */
export function setVisible(map, layerIds, visible) {
  for (const id of layerIds) {
    if (map.getLayer(id)) {
      map.setLayoutProperty(id, 'visibility', visible ? 'visible' : 'none');
    }
  }
}

/**
 * Outlines the unit with this code (or nothing for null).
 * @param {maplibregl.Map} map
 * @param {string | null} code
 */
export function highlightUnit(map, code) {
  /** @type {Filter} */
  const filter = ['==', ['get', 'code'], code || ''];
  map.setFilter(LAYER.highlightLine, filter);
  map.setFilter(LAYER.highlightFill, filter);
}

/**
 * The checkboxes under `root` that match `selector`.
 * @param {ParentNode} root
 * @param {string} selector
 * @returns {HTMLInputElement[]}
 */
function checkboxes(root, selector) {
  return [...root.querySelectorAll(selector)].filter((node) => node instanceof HTMLInputElement);
}

/** Hides or shows the `<label>` around a legend checkbox. */
function showLabelOf(/** @type {HTMLInputElement} */ box, /** @type {boolean} */ shown) {
  const label = box.closest('label');
  if (label) label.hidden = !shown;
}

/**
 * Wires the legend: boundary levels, labels, doorplates and facility categories.
 * @param {maplibregl.Map} map
 * @param {DataSources} sources
 * @param {Category[]} categories
 */
export function wireLegend(map, sources, categories) {
  const hasLevel = (/** @type {string} */ level) => sources.levels.includes(level);
  const labelToggle = byId('toggle-labels', HTMLInputElement);
  for (const box of checkboxes(document, 'input[data-level]')) {
    const level = box.dataset.level || '';
    showLabelOf(box, hasLevel(level));
    box.addEventListener('change', () => {
      const labels = labelToggle.checked;
      setVisible(map, [LAYER.line(level), LAYER.hit(level)], box.checked);
      setVisible(map, [LAYER.label(level)], box.checked && labels);
      if (level === 'district') {
        setVisible(map, [LAYER.districtFill], box.checked);
      }
    });
  }
  labelToggle.addEventListener('change', () => {
    for (const box of checkboxes(document, 'input[data-level]')) {
      setVisible(map, [LAYER.label(box.dataset.level || '')], labelToggle.checked && box.checked);
    }
  });
  const doorplates = byId('toggle-doorplates', HTMLInputElement);
  showLabelOf(doorplates, Boolean(sources.doorplates));
  doorplates.addEventListener('change', () => {
    setVisible(map, [LAYER.doorplates, LAYER.doorplateLabels], doorplates.checked);
  });

  const enabled = new Set(categories.map((c) => c.id));
  const applyFilter = () =>
    map.setFilter(LAYER.facilities, ['in', ['get', 'category'], ['literal', [...enabled]]]);
  const list = byId('category-list', HTMLElement);
  list.textContent = '';
  let total = 0;
  for (const c of categories) {
    total += c.count || 0;
    const label = document.createElement('label');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = true;
    box.dataset.category = c.id;
    box.addEventListener('change', () => {
      if (box.checked) enabled.add(c.id);
      else enabled.delete(c.id);
      applyFilter();
    });
    const swatch = document.createElement('span');
    swatch.className = 'swatch dot';
    swatch.style.background = colourFor(c.id, categories);
    const name = document.createElement('span');
    name.textContent = `${c.name_zh} ${c.name_en}`;
    const count = document.createElement('span');
    count.className = 'count';
    count.textContent = typeof c.count === 'number' ? c.count.toLocaleString('zh-CN') : '';
    label.append(box, swatch, name, count);
    list.append(label);
  }
  byId('facility-count', HTMLElement).textContent = `(${total.toLocaleString('zh-CN')})`;
  const setAll = (/** @type {boolean} */ checked) => {
    for (const box of checkboxes(list, 'input[data-category]')) {
      box.checked = checked;
      const id = box.dataset.category || '';
      if (checked) enabled.add(id);
      else enabled.delete(id);
    }
    applyFilter();
  };
  byId('show-all', HTMLButtonElement).addEventListener('click', () => setAll(true));
  byId('show-none', HTMLButtonElement).addEventListener('click', () => setAll(false));
  applyFilter();
}
