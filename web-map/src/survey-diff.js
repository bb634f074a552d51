// The survey diff panel: a surveyor picks a survey file (GeoJSON, or a GeoPackage), the page
// posts it to POST /api/v1/survey/diff (GeoJSON as a JSON body, a GeoPackage as the `file`
// field of a multipart form) and lists what the server found changed against the register:
// units added, removed or changed (Δ area, Hausdorff distance) and boundary lines moved, which
// the map draws highlighted with their Hausdorff distance. A file that is not what it claims
// to be, or an answer that is an error, is said in the panel with the file's name or the HTTP
// status.
import { describeError, postForm, postJson } from './api.js';
import { formatCount, table } from './details.js';
import { el } from './dom.js';
import { bboxOf } from './planner-map.js';
import { unavailable } from './planner-report.js';
import { EMPTY, setSurveyData, SURVEY_SOURCE } from './survey-map.js';

const DIFF_URL = '/api/v1/survey/diff';

/**
 * @typedef {{ code: string, name?: string | null, status: string, delta_area_m2?: number | null, delta_area_pct?: number | null, hausdorff_m?: number | null, max_offset_m?: number | null }} UnitChange
 * @typedef {{ id?: string | null, left: string, right: string | null, status: string, hausdorff_m?: number | null, max_offset_m?: number | null, delta_length_m?: number | null, geometry?: GeoJSON.Geometry | null }} LineChange
 * @typedef {{ units: UnitChange[], lines: LineChange[] }} SurveyDiff
 */

/** @type {Record<string, string>} */
const STATUS_NAMES = { added: '新增 added', removed: '删除 removed', changed: '变化 changed' };

/** @param {number | null | undefined} v @param {number} digits */
const fixed = (v, digits) => (typeof v === 'number' ? v.toFixed(digits) : '–');
/** @param {number | null | undefined} v @param {number} digits */
const signed = (v, digits) => (typeof v === 'number' ? `${v > 0 ? '+' : ''}${v.toFixed(digits)}` : '–');

/**
 * The diff answer with each unit's and line's `status` (docs/API.md; geo-core's model calls it
 * `change`, so either is read), and empty lists where the answer has none.
 * @param {any} body
 * @returns {SurveyDiff}
 */
export function normaliseDiff(body) {
  /** @param {any} x */
  const withStatus = (x) => ({ ...x, status: x.status ?? x.change });
  return { units: (body.units || []).map(withStatus), lines: (body.lines || []).map(withStatus) };
}

/**
 * The request body of a survey file: a multipart form for a GeoPackage, else the parsed
 * GeoJSON FeatureCollection. Rejects, naming the file, when a GeoJSON file is not one.
 * @param {File} file
 * @returns {Promise<{ form: FormData } | { json: unknown }>}
 */
export async function surveyBody(file) {
  if (/\.gpkg$/i.test(file.name)) {
    const form = new FormData();
    form.append('file', file, file.name);
    return { form };
  }
  let parsed;
  try {
    parsed = JSON.parse(await file.text());
  } catch (error) {
    throw new Error(`${file.name}: 不是 JSON not JSON (${error instanceof Error ? error.message : error})`);
  }
  if (!parsed || parsed.type !== 'FeatureCollection' || !Array.isArray(parsed.features)) {
    throw new Error(`${file.name}: 不是 GeoJSON FeatureCollection not a GeoJSON FeatureCollection (type ${parsed && parsed.type})`);
  }
  return { json: parsed };
}

/**
 * @typedef {object} DiffPanel
 * @property {maplibregl.Map} map
 * @property {HTMLFormElement} form
 * @property {HTMLInputElement} fileInput
 * @property {HTMLButtonElement} runButton
 * @property {HTMLButtonElement} clearButton
 * @property {HTMLElement} box
 * @property {(bounds: [[number, number], [number, number]]) => void} fitTo
 * @property {(text: string, isError?: boolean) => void} setStatus
 */

/**
 * Wires the diff panel; returns `clear`, which forgets the answer shown (sign-out).
 * @param {DiffPanel} panel
 */
export function wireSurveyDiff({ map, form, fileInput, runButton, clearButton, box, fitTo, setStatus }) {
  let asked = 0;
  /** @type {SurveyDiff | null} */
  let shown = null;

  function clear() {
    asked += 1;
    shown = null;
    box.textContent = '';
    box.dataset.state = 'idle';
    clearButton.disabled = true;
    setSurveyData(map, SURVEY_SOURCE.diff, EMPTY);
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const file = fileInput.files && fileInput.files[0];
    if (!file) {
      box.textContent = '';
      box.dataset.state = 'error';
      box.append(el('p', { class: 'error', text: '请选择测量成果文件 Choose a survey file (.geojson, .json or .gpkg)' }));
      fileInput.focus();
      return;
    }
    const mine = (asked += 1);
    box.dataset.state = 'loading';
    box.setAttribute('aria-busy', 'true');
    runButton.disabled = true;
    setStatus(`比对 Comparing ${file.name}…`);
    try {
      const body = await surveyBody(file);
      const diff = normaliseDiff('form' in body ? await postForm(DIFF_URL, body.form) : await postJson(DIFF_URL, body.json));
      if (mine !== asked) return;
      shown = diff;
      renderDiff(box, file.name, diff, fitTo);
      drawDiff(map, diff);
      box.dataset.state = 'ready';
      clearButton.disabled = false;
      setStatus(`比对完成 Compared ${file.name}`);
    } catch (error) {
      if (mine !== asked) return;
      box.textContent = '';
      box.dataset.state = 'error';
      box.append(unavailable(`测量比对 Survey diff of ${file.name}`, error));
      shown = null;
      setSurveyData(map, SURVEY_SOURCE.diff, EMPTY);
      setStatus(`比对失败 Survey diff failed: ${describeError(error)}`, true);
    } finally {
      if (mine === asked) box.removeAttribute('aria-busy');
      runButton.disabled = false;
    }
  });
  clearButton.addEventListener('click', clear);
  /**
   * The popup of the drawn line at `index` of the diff shown, or null.
   * @param {number} index
   */
  const popup = (index) => (shown && shown.lines[index] ? lineChangePopup(shown.lines[index]) : null);
  return { clear, popup };
}

/**
 * A moved line's popup: its sides and how far it moved.
 * @param {LineChange} line
 */
function lineChangePopup(line) {
  return el(
    'div',
    { class: 'popup survey-popup', 'data-kind': 'line-change', 'data-id': line.id ?? '', 'data-hausdorff-m': String(line.hausdorff_m ?? '') },
    el('p', { class: 'popup-title', text: `界线${STATUS_NAMES[line.status] || line.status} Line ${line.status}` }),
    table([
      ['左 Left', line.left],
      ['右 Right', line.right ?? '外边界 outer border'],
      ['Hausdorff', `${fixed(line.hausdorff_m, 2)} m`],
      ['最大偏移 Max offset', `${fixed(line.max_offset_m, 2)} m`],
      ['Δ长度 Δlength', `${signed(line.delta_length_m, 2)} m`],
      ...(line.id ? [['编号 Id', line.id]] : []),
    ])
  );
}

/**
 * Draws the changed lines that have a geometry, labelled with their Hausdorff distance.
 * @param {maplibregl.Map} map
 * @param {SurveyDiff} diff
 */
function drawDiff(map, diff) {
  /** @type {GeoJSON.Feature[]} */
  const features = [];
  diff.lines.forEach((line, index) => {
    if (!line.geometry) return;
    features.push({
      type: 'Feature',
      geometry: line.geometry,
      properties: { index, id: line.id ?? null, status: line.status, hausdorff_m: line.hausdorff_m ?? null, label: `Hausdorff ${fixed(line.hausdorff_m, 1)} m` },
    });
  });
  setSurveyData(map, SURVEY_SOURCE.diff, { type: 'FeatureCollection', features });
}

/**
 * The diff's lists: a summary, the changed units as a table and the moved lines with fly-to.
 * @param {HTMLElement} box
 * @param {string} fileName
 * @param {SurveyDiff} diff
 * @param {(bounds: [[number, number], [number, number]]) => void} fitTo
 */
export function renderDiff(box, fileName, diff, fitTo) {
  box.textContent = '';
  box.dataset.units = String(diff.units.length);
  box.dataset.lines = String(diff.lines.length);
  /** @param {{ status: string }[]} list @param {string} status */
  const count = (list, status) => list.filter((x) => x.status === status).length;
  const byStatus = (/** @type {{ status: string }[]} */ list) =>
    ['added', 'removed', 'changed'].map((s) => `${formatCount(count(list, s))} ${STATUS_NAMES[s]}`).join(', ');
  box.append(
    el('p', { class: 'card-title', text: fileName }),
    el('p', { text: `单元 Units: ${byStatus(diff.units)}` }),
    el('p', { text: `界线 Lines: ${byStatus(diff.lines)}` })
  );
  if (diff.units.length === 0 && diff.lines.length === 0) {
    box.append(el('p', { id: 'survey-diff-none', class: 'survey-ok', text: '与登记一致 No differences from the register' }));
    return;
  }
  if (diff.units.length) {
    const head = el('tr', {}, ...['单元 Unit', '状态 Status', 'Δ面积 Δarea m² (%)', 'Hausdorff m'].map((h) => el('th', { text: h })));
    const rows = diff.units.map((u) =>
      el(
        'tr',
        { 'data-code': u.code, 'data-status': u.status, 'data-hausdorff-m': String(u.hausdorff_m ?? '') },
        el('td', { text: u.name ? `${u.name} ${u.code}` : u.code }),
        el('td', { text: STATUS_NAMES[u.status] || u.status }),
        el('td', { text: `${signed(u.delta_area_m2, 1)} (${signed(u.delta_area_pct, 3)}%)` }),
        el('td', { text: fixed(u.hausdorff_m, 2) })
      )
    );
    box.append(el('table', { id: 'survey-diff-units', class: 'rollup-table' }, head, ...rows));
  }
  if (diff.lines.length) {
    const list = el('ol', { id: 'survey-diff-lines', class: 'gap-list survey-findings', 'aria-label': '移动的界线 Moved lines' });
    for (const line of diff.lines) {
      const sides = line.right === null ? `${line.left} · 外边界 outer border` : `${line.left} | ${line.right}`;
      const text = `${sides} — ${STATUS_NAMES[line.status] || line.status}, Hausdorff ${fixed(line.hausdorff_m, 2)} m, 最大偏移 max offset ${fixed(line.max_offset_m, 2)} m, Δ长度 Δlength ${signed(line.delta_length_m, 2)} m`;
      const attrs = { 'data-left': line.left, 'data-right': line.right ?? '', 'data-status': line.status, 'data-hausdorff-m': String(line.hausdorff_m ?? ''), 'data-id': line.id ?? '' };
      const geometry = line.geometry;
      if (geometry) {
        const button = el('button', { type: 'button', text });
        button.addEventListener('click', () => fitTo(bboxOf(/** @type {any} */ (geometry))));
        list.append(el('li', attrs, button));
      } else list.append(el('li', { ...attrs, text }));
    }
    box.append(list);
  }
}
