// The planner's report boxes: the coverage summary, the what-if comparison, the gap list and
// the indicator charts, each drawn from a coverage route's answer (docs/API.md), and the text a
// box shows when its route failed.
import { describeError, HttpError } from './api.js';
import { indicatorChart } from './charts.js';
import { formatCount, LEVEL_NAMES } from './details.js';
import { el } from './dom.js';
import { bboxOf, RAMP } from './planner-map.js';

/** @typedef {import('./planner-state.js').CoverageReport} CoverageReport */
/** @typedef {import('./planner-state.js').IndicatorUnit} IndicatorUnit */
/** @typedef {import('./planner-state.js').PlannerState} PlannerState */

/** The gap list shows the largest this many. */
const GAPS_LISTED = 50;

/** @param {number | null | undefined} share */
function percent(share) {
  return typeof share === 'number' ? `${(share * 100).toFixed(1)}%` : '–';
}

/**
 * A box's text when its route failed: "not available" for 404/501, the error otherwise.
 * @param {string} what
 * @param {unknown} error
 */
export function unavailable(what, error) {
  const missing = error instanceof HttpError && (error.status === 404 || error.status === 501);
  return el('p', {
    class: 'error unavailable',
    'data-status': error instanceof HttpError ? String(error.status) : 'network',
    text: missing ? `${what}: 服务器未提供 not available on this server (${describeError(error)})` : `${what}: ${describeError(error)}`,
  });
}

/**
 * The indicators answer as `[{code, name, level, indicators: [...]}]`, whatever its wrapping.
 * @param {any} body
 * @returns {IndicatorUnit[]}
 */
export function normaliseIndicators(body) {
  const units = Array.isArray(body) ? body : body.units || body.features || [];
  return units.map((/** @type {any} */ unit) => {
    const u = unit.properties || unit;
    let list = u.indicators || [];
    if (!Array.isArray(list)) list = Object.entries(list).map(([id, v]) => ({ id, ...v }));
    return {
      code: u.code,
      name: u.name,
      level: u.level,
      indicators: list.map((/** @type {any} */ i) => ({ ...i, name: i.name_zh || i.name || i.id })),
    };
  });
}

/**
 * @param {HTMLElement} box
 * @param {CoverageReport} report
 * @param {{ category: string, minutes: string, level: string }} shown what the report is of
 */
export function renderSummary(box, report, shown) {
  const total = report.total || {};
  box.textContent = '';
  const covered = el('span', { class: 'big-number', id: 'coverage-total', text: formatCount(total.covered_elderly) });
  covered.dataset.covered = String(total.covered_elderly);
  covered.dataset.elderly = String(total.elderly);
  box.append(
    el('p', { class: 'card-title', text: `${shown.category} · ${shown.minutes} 分钟 min 步行 walk` }),
    el('p', {}, covered, ` / ${formatCount(total.elderly)} 老年人 elderly covered (${percent(total.share_elderly)})`),
    el('p', {
      class: 'muted',
      text: `人口 Population ${formatCount(total.covered_population)} / ${formatCount(total.population)} · ${report.units.length} ${LEVEL_NAMES[/** @type {keyof typeof LEVEL_NAMES} */ (shown.level)] || shown.level}`,
    }),
    el('div', { class: 'ramp', 'aria-hidden': 'true' }, ...RAMP.map(([, c]) => el('span', { style: `background:${c}` }))),
    el('div', { class: 'ramp-labels' }, el('span', { text: '0%' }), el('span', { text: '老年人覆盖率 share of elderly covered' }), el('span', { text: '100%' }))
  );
}

/**
 * The what-if box: the edits and, with both reports, the change in covered elderly.
 * @param {HTMLElement} box
 * @param {PlannerState} state
 */
export function renderScenario(box, state) {
  box.textContent = '';
  const { add, move, close } = state.scenario;
  box.append(el('p', { class: 'card-title', text: `情景 What-if: +${add.length} 新增 added · ${move.length} 移动 moved · ${close.length} 关闭 closed` }));
  const before = state.baseline && state.baseline.total.covered_elderly;
  const after = state.report && state.report.total.covered_elderly;
  if (typeof before === 'number' && typeof after === 'number') {
    const delta = after - before;
    const deltaEl = el('span', { id: 'scenario-delta', class: delta >= 0 ? 'delta-up' : 'delta-down', text: `${delta >= 0 ? '+' : ''}${formatCount(delta)}` });
    deltaEl.dataset.delta = String(delta);
    box.append(el('p', {}, `覆盖老年人 Covered elderly: ${formatCount(before)} → ${formatCount(after)} (`, deltaEl, ')'));
  }
}

/**
 * The gap list, largest uncovered elderly first; a gap's button fits the map to it. Person
 * counts are for planners only: the public answer has none, and then each gap is named by its
 * uncovered doorplates, in the server's order (largest first all the same). `measure`, when
 * given, is the list heading's note of which count it shows.
 * @param {HTMLElement} list
 * @param {GeoJSON.FeatureCollection} collection
 * @param {(bounds: [[number, number], [number, number]]) => void} fitTo
 * @param {HTMLElement} [measure]
 */
export function renderGaps(list, collection, fitTo, measure) {
  list.textContent = '';
  /** @param {GeoJSON.Feature} f */
  const elderlyOf = (f) => Number((f.properties && f.properties.elderly) || 0);
  const features = (collection.features || []).slice().sort((a, b) => elderlyOf(b) - elderlyOf(a));
  const people = features.some((f) => f.properties && typeof f.properties.elderly === 'number');
  list.dataset.counts = people ? 'people' : 'doorplates';
  if (measure) measure.textContent = people ? '(未覆盖老年人 uncovered elderly)' : '(未覆盖门牌 uncovered doorplates)';
  if (features.length === 0) list.append(el('li', { class: 'muted', text: '无缺口 No gaps' }));
  features.slice(0, GAPS_LISTED).forEach((feature, i) => {
    const p = feature.properties || {};
    const where = p.admin && p.admin.name ? p.admin.name : '';
    const count = typeof p.elderly === 'number' ? `${formatCount(p.elderly)} 老年人 elderly` : `${formatCount(p.doorplates)} 门牌 doorplates`;
    const button = el('button', { type: 'button', text: `${count}${where ? ` · ${where}` : ''}` });
    button.addEventListener('click', () => fitTo(bboxOf(/** @type {any} */ (feature.geometry))));
    const item = el('li', typeof p.elderly === 'number' ? { 'data-elderly': String(p.elderly) } : { 'data-doorplates': String(p.doorplates) }, button);
    if (typeof p.population === 'number') item.append(el('span', { class: 'muted', text: ` (${formatCount(p.population)} 居民 residents)` }));
    list.append(item);
    if (i === 0) item.dataset.largest = 'true';
  });
  if (features.length > GAPS_LISTED) list.append(el('li', { class: 'muted', text: `… ${features.length - GAPS_LISTED} more` }));
}

/**
 * The indicators: a township picker (grouped under districts) and the chosen township's chart.
 * The choice is kept in `state.indicatorUnit` across refreshes.
 * @param {HTMLElement} box
 * @param {PlannerState} state
 */
export function renderIndicators(box, state) {
  box.textContent = '';
  const units = state.indicators;
  if (units.length === 0) {
    box.append(el('p', { class: 'muted', text: '无指标 No indicators' }));
    return;
  }
  // Townships grouped under their districts (the first six digits of the code).
  const select = /** @type {HTMLSelectElement} */ (el('select', { id: 'indicator-unit', 'aria-label': '乡镇街道 Township' }));
  /** @type {Map<string, HTMLElement>} */
  const groups = new Map();
  for (const u of units) {
    const district = `${u.code.slice(0, 6)}000000`;
    let group = groups.get(district);
    if (!group) {
      group = el('optgroup', { label: state.districtNames.get(district) || district });
      groups.set(district, group);
    }
    group.append(el('option', { value: u.code, text: u.name }));
  }
  select.append(...groups.values());
  const kept = state.indicatorUnit;
  if (kept && units.some((u) => u.code === kept)) select.value = kept;
  const chartBox = el('div', { class: 'indicator-unit' });
  const draw = () => {
    state.indicatorUnit = select.value;
    const unit = units.find((u) => u.code === select.value) || units[0];
    chartBox.textContent = '';
    const judged = unit.indicators.filter((i) => i.pass === true || i.pass === false);
    const passed = judged.filter((i) => i.pass).length;
    const unjudged = unit.indicators.length - judged.length;
    const heading = `${unit.name}: ${passed}/${judged.length} 达标 pass${unjudged ? ` · ${unjudged} 无2025目标 no 2025 target` : ''}`;
    chartBox.append(el('h3', { text: heading }), indicatorChart(unit.indicators));
  };
  select.addEventListener('change', draw);
  box.append(select, chartBox);
  draw();
}

/** The indicators the city and district cards show, in order, with short labels. */
const ROLLUP_INDICATORS = [
  ['home_care_15min_share', '15分钟居家养老 Home care 15 min'],
  ['nursing_bed_share', '护理型床位 Nursing beds'],
  ['beds_per_1000_elderly', '每千老人床位 Beds / 1,000 elderly'],
  ['neighbourhood_centre', '邻里中心 Neighbourhood centres'],
  ['hub_canteen_with_delivery', '中心食堂 Hub canteens (townships)'],
  ['meal_point', '助餐点 Meal points (communities)'],
];

/**
 * An indicator's value as text: a share in %, a count or per-1,000 as a number, with its
 * numerator/denominator and the 2025 target.
 * @param {import('./planner-state.js').Indicator | undefined} i
 */
function rollupText(i) {
  if (!i) return '–';
  const value = i.unit === 'share' ? percent(i.value) : typeof i.value === 'number' ? formatCount(Math.round(i.value * 10) / 10) : '–';
  const parts = typeof i.denominator === 'number' ? ` (${formatCount(i.numerator ?? 0)}/${formatCount(i.denominator)})` : '';
  const target = typeof i.target_2025 === 'number' ? ` → ${i.unit === 'share' ? percent(i.target_2025) : formatCount(i.target_2025)}` : '';
  return `${value}${parts}${target}`;
}

/**
 * The city card (the plan's city-level figures against their targets) and one row per
 * district, from `GET /api/v1/indicators?level=city` and `level=district`.
 * @param {HTMLElement} box
 * @param {IndicatorUnit[]} city
 * @param {IndicatorUnit[]} districts
 */
export function renderRollups(box, city, districts) {
  box.textContent = '';
  const find = (/** @type {IndicatorUnit} */ u, /** @type {string} */ id) => u.indicators.find((i) => i.id === id);
  for (const c of city) {
    const card = el('div', { class: 'card rollup-card', 'data-code': c.code });
    card.append(el('p', { class: 'card-title', text: `${c.name} 全市 City` }));
    const list = el('dl', { class: 'rollup-list' });
    for (const [id, label] of ROLLUP_INDICATORS) {
      const i = find(c, id);
      const pass = i && typeof i.pass === 'boolean' ? (i.pass ? ' ✓' : ' ✗') : '';
      list.append(el('dt', { text: label }), el('dd', { 'data-id': id, text: `${rollupText(i)}${pass}` }));
    }
    card.append(list);
    box.append(card);
  }
  if (districts.length === 0) return;
  const table = el('table', { class: 'rollup-table', id: 'district-cards' });
  const head = el('tr', {}, el('th', { text: '区县 District' }));
  for (const [, label] of ROLLUP_INDICATORS.slice(0, 4)) head.append(el('th', { text: label }));
  table.append(head);
  for (const d of districts) {
    const row = el('tr', { 'data-code': d.code }, el('td', { text: d.name }));
    for (const [id] of ROLLUP_INDICATORS.slice(0, 4)) row.append(el('td', { text: rollupText(find(d, id)) }));
    table.append(row);
  }
  box.append(table);
}
