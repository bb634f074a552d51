// The planner's view of a change proposal's impact (调整 Proposals tab, issue 15): the list of
// proposals (GET /api/v1/proposals, planners and surveyors) and, for the one opened
// (GET /api/v1/proposals/{id}), a table of its impact report — people and elderly moved,
// records re-parented, every affected unit before and after (population, elderly, area,
// 15-minute home-care coverage of the elderly, indicators passed), codes created and retired,
// boundary lines, markers and former names — and a before/after map.
//
// The map draws GET /api/v1/proposals/{id}/shapes: "before" is today's polygon of every
// unit the change touches, "after" every unit as the proposal's branch writes it (a split's
// two parts, a merged unit's union, a transfer's two townships and the recoded community).
// An approved proposal's change is live, so it has no branch to draw any more: its "after"
// is then the affected units as they are now (GET /api/v1/admin/{code}) and "before" is
// empty. A split also shows its cut line.
//
// What the view says about itself, for the browser tests: `#proposals-list` and
// `#proposal-impact` have `data-state` `loading`, then `ready` or `error`; the impact card
// carries `data-id`, `data-moved-population`, `data-moved-elderly`, `data-before-features`
// and `data-after-features`; each unit row is a `tr[data-code]`.
import { describeError, getJson } from './api.js';
import { byId, el } from './dom.js';
import { bboxOf } from './planner-map.js';

/** @type {GeoJSON.FeatureCollection} */
const EMPTY = { type: 'FeatureCollection', features: [] };
const SOURCE = { before: 'proposal-before', after: 'proposal-after', line: 'proposal-line' };

/** @param {number | null | undefined} n */
const fmt = (n) => (n === null || n === undefined ? '—' : Math.round(n).toLocaleString('zh-CN'));
/** @param {number | null | undefined} s */
const pct = (s) => (s === null || s === undefined ? '—' : `${(s * 100).toFixed(1)}%`);

/**
 * A table with a header row.
 * @param {string[]} head
 * @param {HTMLElement[]} rows
 */
function table(head, rows) {
  return el('table', { class: 'impact-table' }, el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { text: h })))), el('tbody', {}, ...rows));
}

/**
 * A before → after cell.
 * @param {number | null | undefined} before
 * @param {number | null | undefined} after
 * @param {(n: number | null | undefined) => string} show
 */
function change(before, after, show) {
  const cls = before === null || before === undefined || after === null || after === undefined || before === after ? '' : after > before ? 'delta-up' : 'delta-down';
  return el('td', { class: cls, text: `${show(before)} → ${show(after)}` });
}

/** @param {any} side a unit's side of the report, or null where it does not exist */
const km2 = (side) => (side ? side.area_m2 / 1e6 : null);

/** @param {any} side */
const passed = (side) => (side ? `${side.indicators.filter((/** @type {any} */ i) => i.pass).length}/${side.indicators.length}` : '—');

/**
 * The impact report as a table and lists.
 * @param {any} p the proposal
 */
function impactNodes(p) {
  const i = p.impact;
  const unitRows = i.units.map((/** @type {any} */ u) =>
    el(
      'tr',
      { 'data-code': u.code },
      el('td', { text: `${(u.after || u.before).name} ${u.code} (${u.level})` }),
      change(u.before?.population, u.after?.population, fmt),
      change(u.before?.elderly, u.after?.elderly, fmt),
      change(km2(u.before), km2(u.after), (n) => (n === null || n === undefined ? '—' : n.toFixed(2))),
      change(u.before?.home_care_15min?.share_elderly, u.after?.home_care_15min?.share_elderly, pct),
      el('td', { text: `${passed(u.before)} → ${passed(u.after)}` }),
    ),
  );
  const lines = i.lines;
  const lineCounts = Object.keys(lines).map((k) => `${k} ${lines[k].length}`).join(' · ');
  return [
    el('p', { class: 'card-title', text: `#${p.id} ${p.kind} · ${p.status} · ${p.valid ? '✓ 校验通过 valid' : '✗ 校验未过 invalid'}` }),
    el('p', { class: 'muted', text: `${p.proposed_by} ${p.proposed_at}${p.effective ? ` · 生效 effective ${p.effective}` : ''}` }),
    table(
      ['迁移 Moved', '人口 Population', '老年人 Elderly'],
      [
        el('tr', { 'data-moved': 'census' }, el('td', { text: '普查 Census' }), el('td', { text: fmt(i.moved.census_population) }), el('td', { text: fmt(i.moved.census_elderly) })),
        el('tr', { 'data-moved': 'doorplates' }, el('td', { text: '门牌 Doorplates' }), el('td', { text: fmt(i.moved.doorplate_residents) }), el('td', { text: fmt(i.moved.doorplate_elderly) })),
      ],
    ),
    el('p', { text: `改隶 Re-parented: ${i.doorplates.length} 门牌 doorplates · ${i.facilities.length} 设施 facilities` }),
    table(['单位 Unit', '人口 Pop.', '老年人 Elderly', 'km²', '15分钟覆盖 Covered', '指标 Indicators'], unitRows),
    el('p', { 'data-codes': 'created', text: `新代码 Created: ${i.codes.created.join(' ') || '—'}` }),
    el('p', { 'data-codes': 'retired', text: `撤销代码 Retired: ${i.codes.retired.join(' ') || '—'}` }),
    el('p', { text: `界线 Lines: ${lineCounts}` }),
    el('p', { text: `界桩 Markers: ${i.markers_orphaned.length} 失效 orphaned · ${i.markers_relinked.length} 改挂 relinked` }),
    el('p', { text: `曾用名 Former names: ${i.former_names.map((/** @type {any} */ f) => `${f.name} (${f.former_code} → ${f.code})`).join('; ') || '—'}` }),
    p.status === 'approved'
      ? el('p', { class: 'hint', text: `已批准（${p.effective} 生效）：地图显示调整后的现状 Approved (effective ${p.effective}): the map shows the affected units as they are now` })
      : null,
    i.findings.length ? el('p', { class: 'error', text: `校验问题 Findings: ${i.findings.map((/** @type {any} */ f) => f.rule).join(', ')}` }) : null,
  ].filter((n) => n !== null);
}

/**
 * A collection with `side` set on every feature.
 * @param {GeoJSON.Feature[]} features
 * @param {string} side
 * @returns {GeoJSON.FeatureCollection}
 */
function sided(features, side) {
  return { type: 'FeatureCollection', features: features.map((f) => ({ ...f, properties: { ...f.properties, side } })) };
}

/**
 * The before and after feature collections of a proposal (see the top of this file).
 * @param {any} p the proposal
 * @returns {Promise<{ before: GeoJSON.FeatureCollection, after: GeoJSON.FeatureCollection }>}
 */
async function sidesOf(p) {
  if (p.status !== 'approved') {
    const shapes = await getJson(`/api/v1/proposals/${p.id}/shapes`);
    return { before: sided(shapes.before.features, 'before'), after: sided(shapes.after.features, 'after') };
  }
  const codes = p.impact.units.filter((/** @type {any} */ u) => u.after).map((/** @type {any} */ u) => u.code);
  const now = await Promise.all(codes.map((/** @type {string} */ code) => getJson(`/api/v1/admin/${code}`)));
  return { before: sided([], 'before'), after: sided(now, 'after') };
}

/**
 * A split's cut line as GeoJSON, from the request as the server keeps it: a GeoJSON
 * LineString, `[[lon, lat], …]` or `[{x, y}, …]`; null when it is none of them.
 * @param {any} line
 * @returns {GeoJSON.LineString | null}
 */
function cutLine(line) {
  if (line && line.type === 'LineString') return line;
  if (!Array.isArray(line)) return null;
  const coordinates = line.map((pt) => (Array.isArray(pt) ? [pt[0], pt[1]] : [pt.x, pt.y]));
  return coordinates.every((c) => Number.isFinite(c[0]) && Number.isFinite(c[1])) ? { type: 'LineString', coordinates } : null;
}

/** Padding for fitting the units, clear of the panel where it sits beside the map. */
function fitPadding() {
  const panel = document.getElementById('panel');
  const beside = panel !== null && !matchMedia('(max-width: 640px)').matches;
  return { top: 60, bottom: 60, right: 60, left: beside ? panel.offsetWidth + 40 : 60 };
}

/** @param {maplibregl.Map} map */
function addLayers(map) {
  for (const id of Object.values(SOURCE)) map.addSource(id, { type: 'geojson', data: EMPTY });
  map.addLayer({ id: 'proposal-before-fill', type: 'fill', source: SOURCE.before, paint: { 'fill-color': '#de911d', 'fill-opacity': 0.25 } });
  map.addLayer({ id: 'proposal-before-line', type: 'line', source: SOURCE.before, paint: { 'line-color': '#b44d12', 'line-width': 2, 'line-dasharray': [2, 2] } });
  map.addLayer({ id: 'proposal-after-fill', type: 'fill', source: SOURCE.after, paint: { 'fill-color': '#2680c2', 'fill-opacity': 0.25 } });
  map.addLayer({ id: 'proposal-after-line', type: 'line', source: SOURCE.after, paint: { 'line-color': '#0b4f8a', 'line-width': 1.5 } });
  map.addLayer({ id: 'proposal-cut', type: 'line', source: SOURCE.line, paint: { 'line-color': '#ab091e', 'line-width': 3 } });
}

/**
 * Wires the proposals tab.
 * @param {{ map: maplibregl.Map, onTab: Record<string, () => void>, onLeaveTab: Record<string, () => void>, setStatus: (text: string, isError?: boolean) => void }} options
 */
export function wireProposals({ map, onTab, onLeaveTab, setStatus }) {
  const hint = byId('proposals-hint', HTMLElement);
  const box = byId('proposals-box', HTMLElement);
  const list = byId('proposals-list', HTMLElement);
  const impact = byId('proposal-impact', HTMLElement);
  const sides = byId('proposal-side', HTMLFieldSetElement);
  const state = { allowed: false, active: false, layers: false, open: /** @type {number | null} */ (null) };

  const side = () => /** @type {HTMLInputElement | null} */ (sides.querySelector('input:checked'))?.value || 'after';
  function showSides() {
    if (!state.layers) return;
    const which = state.active ? side() : 'none';
    for (const [id, shown] of [
      ['proposal-before-fill', which === 'before' || which === 'both'],
      ['proposal-before-line', which === 'before' || which === 'both'],
      ['proposal-after-fill', which === 'after' || which === 'both'],
      ['proposal-after-line', which === 'after' || which === 'both'],
      ['proposal-cut', which !== 'none'],
    ]) {
      map.setLayoutProperty(/** @type {string} */ (id), 'visibility', shown ? 'visible' : 'none');
    }
    impact.dataset.side = which;
  }
  sides.addEventListener('change', showSides);

  /** @param {number} id */
  async function open(id) {
    state.open = id;
    for (const li of list.querySelectorAll('li')) li.setAttribute('aria-current', String(li.getAttribute('data-id') === String(id)));
    impact.hidden = false;
    impact.dataset.state = 'loading';
    impact.dataset.id = String(id);
    try {
      const p = await getJson(`/api/v1/proposals/${id}`);
      const { before, after } = await sidesOf(p);
      if (!state.layers) {
        addLayers(map);
        state.layers = true;
      }
      /** @type {maplibregl.GeoJSONSource} */ (map.getSource(SOURCE.before)).setData(before);
      /** @type {maplibregl.GeoJSONSource} */ (map.getSource(SOURCE.after)).setData(after);
      const cut = p.kind === 'split' ? cutLine(p.request.line) : null;
      /** @type {maplibregl.GeoJSONSource} */ (map.getSource(SOURCE.line)).setData(cut ? { type: 'Feature', geometry: cut, properties: {} } : EMPTY);
      sides.disabled = false;
      showSides();
      impact.replaceChildren(...impactNodes(p));
      Object.assign(impact.dataset, {
        movedPopulation: String(p.impact.moved.census_population ?? ''),
        movedElderly: String(p.impact.moved.census_elderly ?? ''),
        beforeFeatures: String(before.features.length),
        afterFeatures: String(after.features.length),
        state: 'ready',
      });
      const all = [...before.features, ...after.features];
      if (all.length) {
        const boxes = all.map((f) => bboxOf(/** @type {GeoJSON.Polygon} */ (f.geometry)));
        map.fitBounds([[Math.min(...boxes.map((b) => b[0][0])), Math.min(...boxes.map((b) => b[0][1]))], [Math.max(...boxes.map((b) => b[1][0])), Math.max(...boxes.map((b) => b[1][1]))]], { padding: fitPadding(), maxZoom: 15, duration: 800 });
      }
    } catch (error) {
      impact.replaceChildren(el('p', { class: 'error', text: `调整方案 Proposal ${id}: ${describeError(error)}` }));
      impact.dataset.state = 'error';
    }
  }

  async function loadList() {
    list.dataset.state = 'loading';
    try {
      const answer = await getJson('/api/v1/proposals');
      list.replaceChildren(
        ...answer.proposals.map((/** @type {any} */ p) => {
          const button = el('button', { type: 'button', text: `#${p.id} ${p.kind} · ${p.status} · ${p.valid ? '✓' : '✗'} · ${p.proposed_by}` });
          button.addEventListener('click', () => open(p.id));
          return el('li', { 'data-id': String(p.id), 'data-status': p.status, 'aria-current': String(p.id === state.open) }, button);
        }),
      );
      if (answer.proposals.length === 0) list.replaceChildren(el('li', { class: 'muted', text: '无调整方案 No proposals' }));
      list.dataset.state = 'ready';
    } catch (error) {
      list.replaceChildren(el('li', { class: 'error', text: describeError(error) }));
      list.dataset.state = 'error';
      setStatus(`调整方案 Proposals: ${describeError(error)}`, true);
    }
  }
  byId('proposals-reload', HTMLButtonElement).addEventListener('click', () => loadList());

  onTab['tab-proposals'] = () => {
    state.active = true;
    showSides();
    if (state.allowed) loadList();
  };
  onLeaveTab['tab-proposals'] = () => {
    state.active = false;
    showSides();
  };

  /** @param {boolean} allowed a planner, surveyor or admin is signed in */
  function setCanSee(allowed) {
    state.allowed = allowed;
    hint.hidden = allowed;
    box.hidden = !allowed;
    if (allowed && state.active) loadList();
    if (!allowed) {
      state.open = null;
      list.replaceChildren();
      impact.hidden = true;
      sides.disabled = true;
      if (state.layers) for (const id of Object.values(SOURCE)) /** @type {maplibregl.GeoJSONSource} */ (map.getSource(id)).setData(EMPTY);
    }
  }
  return { setCanSee, state };
}
