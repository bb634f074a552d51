// Details of what the user picked: a search result's card, the facility or unit under a click
// (a popup with its full address), and the reverse lookup of a clicked point ("which community
// am I in": the admin chain, the nearest doorplate and the road).
import { describeError, getJson, withQuery } from './api.js';
import { asOf } from './as-of.js';
import { el } from './dom.js';
import { KIND_NAMES } from './search.js';

/** @typedef {{ level: string, code: string, name: string, synthetic?: boolean }} ChainUnit */

/** @type {Record<string, string>} */
export const LEVEL_NAMES = {
  city: '市 City',
  district: '区县 District',
  township: '乡镇街道 Township',
  community: '社区村 Community',
};

/** @param {unknown} value */
export function formatCount(value) {
  return typeof value === 'number' ? value.toLocaleString('zh-CN') : '–';
}

/** @param {unknown} synthetic */
function syntheticTag(synthetic) {
  return synthetic === true ? el('span', { class: 'synthetic-tag', text: '合成 synthetic' }) : null;
}

/**
 * A popup's two-column table.
 * @param {string[][]} rows `[heading, value]` pairs
 * @example
 * table([['代码 Code', '330106000000']]) // <table class="popup-table">…</table>
 */
export function table(rows) {
  return el(
    'table',
    { class: 'popup-table' },
    ...rows.map(([head, value]) => el('tr', {}, el('th', { text: head }), el('td', { text: value })))
  );
}

/**
 * The card for a chosen search result.
 * @param {HTMLElement} container
 * @param {any} feature a point feature of /api/v1/search
 */
export function showPlace(container, feature) {
  const p = feature.properties;
  const [lon, lat] = feature.geometry.coordinates;
  container.textContent = '';
  container.append(
    el('p', { class: 'card-title', text: p.name }),
    table([
      ['类型 Kind', KIND_NAMES[p.kind] || p.kind],
      ['地址 Address', p.label || '–'],
      ...(p.code ? [['代码 Code', p.code]] : []),
      ['坐标 Lon, lat', `${lon.toFixed(5)}, ${lat.toFixed(5)}`],
    ]),
  );
  const tag = syntheticTag(p.synthetic);
  if (tag) container.append(tag);
  container.hidden = false;
}

/**
 * The admin chain as a full address prefix: 浙江省杭州市西湖区北山街道宝石社区.
 * @param {ChainUnit[]} chain
 */
export function chainLabel(chain) {
  return `浙江省${chain.map((unit) => unit.name).join('')}`;
}

/**
 * GET /api/v1/reverse for a point and renders the answer into `container`, whose `data-lon` and
 * `data-lat` say which point it is about (the page's own record of the click, read by tests).
 * @param {HTMLElement} container
 * @param {{ lng: number, lat: number }} lngLat
 */
export async function showHere(container, lngLat) {
  const { lng, lat } = lngLat;
  container.dataset.lon = String(lng);
  container.dataset.lat = String(lat);
  container.textContent = '';
  container.append(el('p', { class: 'muted', text: '查询中 Looking up…' }));
  let body;
  try {
    body = await getJson(withQuery('/api/v1/reverse', { lon: lng.toFixed(6), lat: lat.toFixed(6), as_of: asOf() }));
  } catch (error) {
    container.textContent = '';
    container.append(el('p', { class: 'error', text: `反查失败 Reverse lookup failed: ${describeError(error)}` }));
    return null;
  }
  container.textContent = '';
  /** @type {ChainUnit[]} */
  const chain = body.chain || [];
  if (chain.length === 0) {
    container.append(el('p', { class: 'card-title', text: '杭州市外 Outside Hangzhou' }));
    return body;
  }
  const deepest = chain[chain.length - 1];
  container.append(
    el('p', { class: 'card-title', id: 'here-title', text: `你在 You are in: ${deepest.name}` }),
    el(
      'ol',
      { class: 'chain' },
      ...chain.map((unit) =>
        el(
          'li',
          { 'data-level': unit.level, 'data-code': unit.code },
          el('span', { class: 'muted', text: `${LEVEL_NAMES[unit.level] || unit.level} ` }),
          unit.name
        )
      )
    )
  );
  const rows = [['地址 Address', chainLabel(chain)]];
  if (body.doorplate) {
    const d = body.doorplate;
    rows.push(['最近门牌 Nearest doorplate', `${d.address || d.label || ''} (${Math.round(d.distance_m)} m)`]);
  }
  if (body.road && body.road.name) {
    rows.push(['道路 Road', `${body.road.name} (${Math.round(body.road.distance_m)} m)`]);
  }
  rows.push(['坐标 Lon, lat', `${lng.toFixed(5)}, ${lat.toFixed(5)}`]);
  container.append(table(rows));
  const tag = syntheticTag(chain.some((unit) => unit.synthetic));
  if (tag) container.append(tag);
  return body;
}

/**
 * A facility's full address. Tile coordinates are rounded to the tile grid, so first the
 * facility's own record (by id, in a small box around the point) gives its exact position and
 * street address; then the gazetteer's label for the facility at that position (searched by
 * name near it); else the admin chain of the point followed by the street address.
 * @param {Record<string, any>} props
 * @param {[number, number]} lonLat
 */
async function facilityAddress(props, [lon, lat]) {
  const pad = 5e-4;
  let exact = [lon, lat];
  let street = props.address || '';
  try {
    const box = [lon - pad, lat - pad, lon + pad, lat + pad].map((v) => v.toFixed(6)).join(',');
    const records = await getJson(
      withQuery('/api/v1/facilities', { bbox: box, category: props.category, limit: 200 })
    );
    const record = (records.features || []).find((/** @type {any} */ f) => f.properties.id === props.id);
    if (record) {
      exact = record.geometry.coordinates;
      street = record.properties.address || street;
    }
  } catch {
    // Keep the tile's position.
  }
  const near = { lon: exact[0].toFixed(6), lat: exact[1].toFixed(6) };
  try {
    const hits = await getJson(
      withQuery('/api/v1/search', { q: props.name, kind: 'facility', limit: 5, ...near })
    );
    const same = (hits.features || []).find((/** @type {any} */ f) => {
      const [flon, flat] = f.geometry.coordinates;
      return f.properties.name === props.name && Math.abs(flon - exact[0]) < 1e-6 && Math.abs(flat - exact[1]) < 1e-6;
    });
    if (same && same.properties.label) return same.properties.label;
  } catch {
    // Fall through to the chain below.
  }
  const reverse = await getJson(withQuery('/api/v1/reverse', near));
  return `${chainLabel(reverse.chain || [])}${street}`;
}

const FACILITY_FIELDS = [
  ['hub', '枢纽 Hub'],
  ['delivery', '送餐 Delivery'],
  ['demonstration', '示范 Demonstration'],
  ['beds', '床位 Beds'],
  ['nursing_beds', '护理床位 Nursing beds'],
];

/**
 * Popup content for a facility; the full address is filled in when it arrives.
 * @param {Record<string, any>} props
 * @param {[number, number]} lngLat
 * @param {Record<string, { name_zh: string, name_en: string }>} categoriesById
 * @param {((props: Record<string, any>, lngLat: [number, number]) => HTMLElement | null) | null} actions
 */
export function facilityPopup(props, lngLat, categoriesById, actions) {
  const category = categoriesById[props.category];
  const address = el('td', { class: 'facility-address', text: props.address || '…' });
  const rows = [['类别 Category', category ? `${category.name_zh} / ${category.name_en}` : props.category]];
  for (const [key, name] of FACILITY_FIELDS) {
    if (props[key] !== undefined && props[key] !== null && props[key] !== false) {
      rows.push([name, props[key] === true ? '是 yes' : String(props[key])]);
    }
  }
  const body = table(rows);
  body.prepend(el('tr', {}, el('th', { text: '地址 Address' }), address));
  facilityAddress(props, lngLat)
    .then((label) => {
      address.textContent = label;
    })
    .catch((error) => {
      address.textContent = `${props.address || ''} (${describeError(error)})`;
    });
  return el(
    'div',
    { class: 'popup' },
    el('p', { class: 'popup-title', text: props.name || '(无名称 unnamed)' }),
    body,
    syntheticTag(props.synthetic),
    actions ? actions(props, lngLat) : null
  );
}

/**
 * Popup content for an administrative unit.
 * @param {Record<string, any>} props
 */
export function adminPopup(props) {
  return el(
    'div',
    { class: 'popup' },
    el('p', { class: 'popup-title', text: props.name || props.code }),
    table([
      ['层级 Level', LEVEL_NAMES[props.level] || props.level || '–'],
      ['代码 Code', props.code || '–'],
      ['人口 Population', formatCount(props.population)],
      ['老年人 Elderly (60+)', formatCount(props.elderly)],
    ]),
    syntheticTag(props.synthetic)
  );
}

/**
 * Popup content for a doorplate (门牌).
 * @param {Record<string, any>} props
 */
export function doorplatePopup(props) {
  return el(
    'div',
    { class: 'popup' },
    el('p', { class: 'popup-title', text: props.label || `${props.road || ''}${props.number ?? ''}号` }),
    table([
      ['道路 Road', props.road || '–'],
      ['门牌号 Number', props.number === undefined ? '–' : String(props.number)],
    ]),
    syntheticTag(props.synthetic)
  );
}
