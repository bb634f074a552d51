// Suggested sites: POST /api/v1/siting for the chosen category, walking time and scenario,
// drawn as ranked points and listed with the elderly each newly covers; a site can be flown
// to or adopted into the what-if scenario.
import { postJson } from './api.js';
import { formatCount } from './details.js';
import { el } from './dom.js';
import { downloadCsv } from './planner-export.js';
import { bboxOf, geojsonSource } from './planner-map.js';
import { unavailable } from './planner-report.js';

/** How many sites to ask for. */
const SITING_K = 5;

/**
 * @typedef {{ lon: number, lat: number, newly_covered_elderly: number, nearest_address?: string | null,
 *   township?: { name: string } | null }} Site
 */

/**
 * Siting answers as sites `[{lon, lat, newly_covered_elderly}]`, from a list or GeoJSON.
 * @param {any} body
 * @returns {Site[]}
 */
export function normaliseSites(body) {
  const list = Array.isArray(body) ? body : body.sites || body.features || [];
  return list.map((/** @type {any} */ site) => {
    const p = site.properties || site;
    const [lon, lat] = site.geometry ? site.geometry.coordinates : [site.lon, site.lat];
    return { ...p, lon, lat, newly_covered_elderly: p.newly_covered_elderly ?? p.elderly };
  });
}

/**
 * Asks for sites and shows them in `box` and on the map.
 * @param {{ map: maplibregl.Map, box: HTMLElement, addFacility: (lonLat: [number, number]) => void }} ctx
 * @param {{ category: string, minutes: string, scenario: string | null, area?: string | null }} params
 */
export async function suggestSites({ map, box, addFacility }, params) {
  box.hidden = false;
  box.textContent = '';
  box.append(el('p', { class: 'muted', text: '计算中 Computing…' }));
  /** @type {Record<string, unknown>} */
  const body = { category: params.category, minutes: Number(params.minutes), k: SITING_K };
  if (params.scenario) body.scenario = params.scenario;
  if (params.area) body.area = params.area;
  let sites;
  try {
    sites = normaliseSites(await postJson('/api/v1/siting', body));
  } catch (error) {
    box.textContent = '';
    box.append(unavailable('建议选址 Suggested sites', error));
    return;
  }
  geojsonSource(map, 'siting').setData({
    type: 'FeatureCollection',
    features: sites.map((s, i) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: [s.lon, s.lat] }, properties: { rank: i + 1, elderly: s.newly_covered_elderly } })),
  });
  box.textContent = '';
  const total = sites.reduce((sum, s) => sum + (s.newly_covered_elderly || 0), 0);
  box.append(el('p', { class: 'card-title', text: `建议选址 Suggested sites (${sites.length}): +${formatCount(total)} 老年人 elderly` }));
  const list = el('ol', { id: 'siting-list', class: 'gap-list' });
  for (const s of sites) {
    const where = [s.township ? s.township.name : '', s.nearest_address || ''].filter(Boolean).join(' ');
    const go = el('button', { type: 'button', text: `+${formatCount(s.newly_covered_elderly)} 老年人 elderly${where ? ` · ${where}` : ''}` });
    go.addEventListener('click', () => map.flyTo({ center: [s.lon, s.lat], zoom: 15 }));
    const adopt = el('button', { type: 'button', text: '采纳 Adopt', title: '加入情景 Add to the what-if scenario' });
    adopt.addEventListener('click', () => addFacility([s.lon, s.lat]));
    list.append(el('li', { 'data-elderly': String(s.newly_covered_elderly) }, go, ' ', adopt));
  }
  box.append(list);
  const exportButton = el('button', { type: 'button', id: 'export-siting-csv', text: '导出选址 CSV' });
  exportButton.addEventListener('click', () => {
    downloadCsv('/api/v1/siting?format=csv', body).catch((error) => {
      box.append(unavailable('导出 Export', error));
    });
  });
  box.append(exportButton);
  if (sites.length > 0) map.fitBounds(bboxOf({ coordinates: sites.map((s) => [s.lon, s.lat]) }), { padding: 80, maxZoom: 14 });
}

/** Clears the sites from the map and hides their box (the choice they answered changed). */
export function clearSites(/** @type {maplibregl.Map} */ map, /** @type {HTMLElement} */ box) {
  geojsonSource(map, 'siting').setData({ type: 'FeatureCollection', features: [] });
  box.hidden = true;
}
