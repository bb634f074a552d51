// The surveyor view's boxes and popups: the boundary lines of the chosen level (count, total
// length, the list with fly-to), the validation report (counts per rule, the error list with
// fly-to, excepted errors and expired exceptions apart), the marker legend with counts per
// status, and the popups of a line, a marker and an error. Everything shown is the routes'
// answer as it came (docs/API.md "Boundary surveyors"); the elements carry `data-*` attributes
// (ids, codes, lengths, counts) that the browser tests compare with the same answers.
import { formatCount, LEVEL_NAMES, table } from './details.js';
import { el } from './dom.js';
import { formatLength, LEVEL_COLOURS, STATUS_COLOURS, UNKNOWN_STATUS_COLOUR } from './survey-map.js';

/**
 * A boundary line as GET /api/v1/boundaries answers it.
 * @typedef {{ id: string, level: string, left: string, left_name?: string | null, right: string | null, right_name?: string | null, length_m: number, gk_length_m?: number }} LineProps
 */
/**
 * One finding of GET /api/v1/validation (`exception` on excepted ones).
 * @typedef {{ rule: string, level?: string | null, codes: string[], marker?: string | null, geometry: GeoJSON.Geometry, area_m2?: number | null, width_m?: number | null, detail: string, exception?: number | string }} Finding
 */
/**
 * @typedef {{ valid: boolean, counts?: Record<string, number>, errors: Finding[], excepted?: Finding[], expired?: any[] }} ValidationReport
 */

/** People's names of the rule ids. */
/** @type {Record<string, string>} */
export const RULE_NAMES = {
  invalid_polygon: '无效多边形 Invalid polygon',
  overlap: '重叠 Overlap',
  gap: '缝隙 Gap',
  sliver: '狭长碎片 Sliver',
  child_outside_parent: '下级超出上级 Child outside parent',
  children_do_not_cover_parent: '下级未覆盖上级 Children do not cover parent',
  marker_off_line: '界桩偏离界线 Marker off its line',
  marker_out_of_sequence: '界桩编号不连续 Markers out of sequence',
  disconnected: '调整后形成飞地 Left in separate pieces',
};

/** People's names of the marker statuses. */
/** @type {Record<string, string>} */
export const STATUS_NAMES = {
  intact: '完好 intact',
  damaged: '损坏 damaged',
  moved: '移位 moved',
  lost: '丢失 lost',
  obscured: '掩埋遮挡 obscured',
};

/** How many list rows a box draws at most (the map and the exports have them all). */
const MAX_ROWS = 300;

/** @param {string} rule */
const ruleName = (rule) => RULE_NAMES[rule] || rule;

/** @param {number | null | undefined} value @param {number} digits */
const fixed = (value, digits) => (typeof value === 'number' ? value.toFixed(digits) : '–');

/**
 * A side of a line: its name and code, or the outer border.
 * @param {string | null} code
 * @param {string | null | undefined} name
 */
function side(code, name) {
  if (code === null || code === undefined) return '外边界 outer border';
  return name ? `${name} (${code})` : code;
}

/**
 * The boundary-lines card: how many lines the level has and how long they are, and the
 * longest ones as buttons (`onChoose` flies to one).
 * @param {HTMLElement} box
 * @param {string} level
 * @param {GeoJSON.Feature<GeoJSON.Geometry, LineProps>[]} lines
 * @param {(line: GeoJSON.Feature<GeoJSON.Geometry, LineProps>) => void} onChoose
 */
export function renderLines(box, level, lines, onChoose) {
  const total = lines.reduce((sum, f) => sum + f.properties.length_m, 0);
  const outer = lines.filter((f) => f.properties.right === null).length;
  box.textContent = '';
  box.dataset.lines = String(lines.length);
  box.dataset.totalLengthM = String(total);
  box.append(
    el('p', { class: 'card-title' }, el('span', { class: 'swatch line thick', style: `border-top-color: ${LEVEL_COLOURS[level] || '#3e4c59'}` }), ` ${LEVEL_NAMES[level] || level} 界线 boundary lines`),
    el('p', { text: `${formatCount(lines.length)} 条 lines (${formatCount(outer)} 外边界 on the outer border) · 总长 total ${formatLength(total)} (CGCS2000)` })
  );
  if (lines.length === 0) return;
  const sorted = lines.slice().sort((a, b) => b.properties.length_m - a.properties.length_m);
  const list = el('ol', { id: 'survey-line-list', class: 'gap-list', 'aria-label': '界线 按长度 Lines by length' });
  for (const f of sorted.slice(0, MAX_ROWS)) {
    const p = f.properties;
    const names = p.right === null ? `${p.left_name || p.left} · 外边界 outer border` : `${p.left_name || p.left} | ${p.right_name || p.right}`;
    list.append(
      el(
        'li',
        { 'data-id': p.id, 'data-length-m': String(p.length_m) },
        el('button', { type: 'button', text: `${names} — ${formatLength(p.length_m)}` })
      )
    );
    const button = /** @type {HTMLButtonElement} */ (list.lastElementChild?.firstElementChild);
    button.addEventListener('click', () => onChoose(f));
  }
  box.append(list);
  if (sorted.length > MAX_ROWS) box.append(el('p', { class: 'muted', text: `另有 ${sorted.length - MAX_ROWS} 条 and ${sorted.length - MAX_ROWS} more (地图上全部显示 all on the map)` }));
}

/**
 * A line's popup: its sides, its length on the CGCS2000 ellipsoid and in the GK plane, its id.
 * @param {LineProps} p
 */
export function linePopup(p) {
  return el(
    'div',
    { class: 'popup survey-popup', 'data-kind': 'line', 'data-id': p.id, 'data-length-m': String(p.length_m) },
    el('p', { class: 'popup-title', text: `${LEVEL_NAMES[p.level] || p.level} 界线 Boundary line` }),
    table([
      ['左 Left', side(p.left, p.left_name)],
      ['右 Right', side(p.right, p.right_name)],
      ['长度 Length', `${formatLength(p.length_m)} (${p.length_m.toFixed(2)} m, CGCS2000 椭球 ellipsoid)`],
      ...(typeof p.gk_length_m === 'number' ? [['高斯投影 GK', `${p.gk_length_m.toFixed(2)} m (EPSG:4549)`]] : []),
      ['编号 Id', p.id],
    ])
  );
}

/**
 * One finding as a list row: rule, codes, area, width and the detail; `onChoose` flies to it.
 * @param {Finding} f
 * @param {number} index its index in the drawn report (the map's `index` property)
 * @param {(f: Finding, index: number) => void} onChoose
 */
function findingRow(f, index, onChoose) {
  const measures = [
    typeof f.area_m2 === 'number' ? `${fixed(f.area_m2, 1)} m²` : null,
    typeof f.width_m === 'number' ? `宽 width ${fixed(f.width_m, 2)} m` : null,
  ].filter(Boolean);
  const button = el(
    'button',
    { type: 'button', class: 'survey-finding' },
    el('span', { class: 'survey-rule', text: ruleName(f.rule) }),
    el('span', { class: 'survey-codes', text: [f.level ? LEVEL_NAMES[f.level] || f.level : null, f.marker ? `界桩 ${f.marker}` : null, ...f.codes].filter(Boolean).join(' · ') }),
    measures.length ? el('span', { class: 'survey-measures', text: measures.join(' · ') }) : null,
    el('span', { class: 'survey-detail', text: f.detail })
  );
  button.addEventListener('click', () => onChoose(f, index));
  /** @type {Record<string, string>} */
  const attrs = { 'data-rule': f.rule, 'data-codes': f.codes.join(','), 'data-index': String(index), 'data-level': f.level || '' };
  if (f.marker) attrs['data-marker'] = f.marker;
  if (typeof f.area_m2 === 'number') attrs['data-area-m2'] = String(f.area_m2);
  if (typeof f.width_m === 'number') attrs['data-width-m'] = String(f.width_m);
  if (f.exception !== undefined) attrs['data-exception'] = String(f.exception);
  return el('li', attrs, button);
}

/**
 * The counts per rule: the report's own `counts` when it has them, else counted here.
 * @param {ValidationReport} report
 * @returns {[string, number][]}
 */
export function countsOf(report) {
  /** @type {Record<string, number>} */
  const counts = {};
  if (report.counts) Object.assign(counts, report.counts);
  else for (const f of report.errors) counts[f.rule] = (counts[f.rule] || 0) + 1;
  return Object.entries(counts).filter(([, n]) => n > 0);
}

/**
 * The validation box: counts per rule, the errors (or, plainly, that there are none), the
 * excepted errors and the expired exceptions apart. `offset` is where the excepted errors'
 * indexes start on the map (they follow the errors).
 * @param {HTMLElement} box
 * @param {HTMLElement} countsEl the summary's count
 * @param {ValidationReport} report
 * @param {(f: Finding, index: number) => void} onChoose
 */
export function renderValidation(box, countsEl, report, onChoose) {
  const excepted = report.excepted || [];
  const expired = report.expired || [];
  box.textContent = '';
  box.dataset.errors = String(report.errors.length);
  box.dataset.excepted = String(excepted.length);
  box.dataset.expired = String(expired.length);
  box.dataset.valid = String(report.valid);
  countsEl.textContent = `(${formatCount(report.errors.length)} 错误 errors${excepted.length ? `, ${formatCount(excepted.length)} 已豁免 excepted` : ''})`;
  if (report.errors.length === 0) {
    box.append(el('p', { id: 'survey-no-errors', class: 'survey-ok', text: '无拓扑错误 No errors' }));
  } else {
    const counts = el('ul', { id: 'survey-rule-counts', class: 'survey-counts', 'aria-label': '按规则计数 Counts per rule' });
    for (const [rule, n] of countsOf(report)) counts.append(el('li', { 'data-rule': rule, 'data-count': String(n), text: `${ruleName(rule)}: ${formatCount(n)}` }));
    const list = el('ol', { id: 'survey-error-list', class: 'gap-list survey-findings', 'aria-label': '拓扑错误 Errors' });
    report.errors.slice(0, MAX_ROWS).forEach((f, i) => list.append(findingRow(f, i, onChoose)));
    box.append(counts, list);
    if (report.errors.length > MAX_ROWS) box.append(el('p', { class: 'muted', text: `另有 ${report.errors.length - MAX_ROWS} 个 and ${report.errors.length - MAX_ROWS} more (导出 export them)` }));
  }
  if (excepted.length) {
    const list = el('ol', { id: 'survey-excepted-list', class: 'gap-list survey-findings' });
    excepted.slice(0, MAX_ROWS).forEach((f, i) => list.append(findingRow(f, report.errors.length + i, onChoose)));
    box.append(el('details', { class: 'survey-excepted' }, el('summary', { text: `已豁免 Excepted (${formatCount(excepted.length)})` }), list));
  }
  if (expired.length) {
    const list = el('ul', { id: 'survey-expired-list', class: 'survey-findings' });
    for (const x of expired) {
      const text = [x.rule ? ruleName(x.rule) : null, Array.isArray(x.codes) ? x.codes.join(' · ') : null, x.why, x.expires ? `至 until ${x.expires}` : null, x.who ? `(${x.who})` : null].filter(Boolean).join(' — ');
      list.append(el('li', { 'data-exception': String(x.id ?? x.exception ?? ''), text: text || JSON.stringify(x) }));
    }
    box.append(el('details', { class: 'survey-expired', open: '' }, el('summary', { class: 'error', text: `过期豁免 Expired exceptions (${formatCount(expired.length)})` }), list));
  }
}

/**
 * An error's popup.
 * @param {Finding} f
 */
export function findingPopup(f) {
  return el(
    'div',
    { class: 'popup survey-popup', 'data-kind': 'finding', 'data-rule': f.rule },
    el('p', { class: 'popup-title', text: ruleName(f.rule) }),
    table([
      ['单元 Units', f.codes.join(', ') || '–'],
      ...(f.marker ? [['界桩 Marker', f.marker]] : []),
      ...(typeof f.area_m2 === 'number' ? [['面积 Area', `${fixed(f.area_m2, 1)} m²`]] : []),
      ...(typeof f.width_m === 'number' ? [['宽度 Width', `${fixed(f.width_m, 2)} m`]] : []),
      ['说明 Detail', f.detail],
      ...(f.exception !== undefined ? [['豁免 Exception', String(f.exception)]] : []),
    ])
  );
}

/** @param {string} status */
export function statusColour(status) {
  return Object.hasOwn(STATUS_COLOURS, status) ? STATUS_COLOURS[status] : UNKNOWN_STATUS_COLOUR;
}

/**
 * The marker legend: each status's colour and how many markers have it.
 * @param {HTMLElement} legend
 * @param {HTMLElement} countEl the summary's count
 * @param {GeoJSON.Feature[]} markers
 */
export function renderMarkerLegend(legend, countEl, markers) {
  /** @type {Record<string, number>} */
  const counts = Object.fromEntries(Object.keys(STATUS_COLOURS).map((s) => [s, 0]));
  for (const m of markers) {
    const status = String(m.properties?.status);
    counts[status] = (counts[status] || 0) + 1;
  }
  legend.textContent = '';
  for (const [status, n] of Object.entries(counts)) {
    legend.append(
      el(
        'li',
        { 'data-status': status, 'data-count': String(n), 'data-colour': statusColour(status) },
        el('span', { class: 'swatch dot', style: `background: ${statusColour(status)}` }),
        ` ${STATUS_NAMES[status] || status}`,
        el('span', { class: 'count', text: formatCount(n) })
      )
    );
  }
  countEl.textContent = `(${formatCount(markers.length)})`;
}

/**
 * A marker's popup: its register entry and its inspections, newest first.
 * @param {Record<string, any>} p
 */
export function markerPopup(p) {
  const inspections = Array.isArray(p.inspections) ? p.inspections.slice().sort((/** @type {any} */ a, /** @type {any} */ b) => String(b.date).localeCompare(String(a.date))) : [];
  const history = inspections.length
    ? el(
        'table',
        { class: 'popup-table survey-inspections' },
        el('tr', {}, ...['日期 Date', '检查人 Inspector', '状态 Status', '偏移 Offset', '备注 Note'].map((h) => el('th', { text: h }))),
        ...inspections.map((/** @type {any} */ i) =>
          el(
            'tr',
            { 'data-date': String(i.date), 'data-status': String(i.status) },
            ...[i.date, i.inspector || '–', STATUS_NAMES[i.status] || i.status, typeof i.offset_m === 'number' ? `${i.offset_m.toFixed(2)} m` : '–', i.note || ''].map((v) => el('td', { text: String(v) }))
          )
        )
      )
    : el('p', { class: 'muted', text: '尚无巡检记录 No inspections yet' });
  return el(
    'div',
    { class: 'popup survey-popup', 'data-kind': 'marker', 'data-number': String(p.number), 'data-status': String(p.status) },
    el('p', { class: 'popup-title' }, el('span', { class: 'swatch dot', style: `background: ${statusColour(String(p.status))}` }), ` 界桩 Marker ${p.number}`),
    table([
      ['界线 Line', String(p.line)],
      ['类型 Kind', String(p.kind)],
      ['状态 Status', STATUS_NAMES[p.status] || String(p.status)],
      ['经纬度 Lon, lat', `${fixed(p.lon, 7)}, ${fixed(p.lat, 7)} (EPSG:4490)`],
      ['高斯坐标 GK x, y', `${fixed(p.x, 3)}, ${fixed(p.y, 3)} m (EPSG:4549)`],
    ]),
    el('p', { class: 'popup-subtitle', text: `巡检 Inspections (${inspections.length})` }),
    history
  );
}
