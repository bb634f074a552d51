// The planner view: for a facility category and a walking time (15 or 20 minutes), the
// service areas and the gaps on the map, each unit coloured by the share of its elderly
// covered, the gap list (largest uncovered elderly first) with fly-to, the plan indicators as
// charts, a what-if mode (add, move and close facilities → POST /api/v1/scenarios → the same
// routes with `scenario=ID`), suggested sites (POST /api/v1/siting) and a CSV export of the
// report on screen. Everything shown comes from the coverage routes of docs/API.md; when a
// route answers with an error, its box says so with the HTTP status instead of drawing
// anything.
//
// The coverage, summary, gap list and indicators are public; the what-if, siting and CSV
// exports are for planners (and admins), shown only while one is signed in (account.js tells
// `setCanPlan`), and a sign-out forgets the scenario and the sites the page held. The server
// enforces the roles (401/403); hiding the controls only keeps the page honest about them.
//
// This module wires the view together and owns the refresh; the pieces live beside it:
// planner-state.js (the one state object), planner-map.js (layers, feature-state choropleth),
// planner-report.js (the boxes), planner-whatif.js, planner-siting.js and planner-export.js.
import { describeError, getJson, HttpError, withQuery } from './api.js';
import { byId, el } from './dom.js';
import { LAYER } from './layers.js';
import { downloadCsv } from './planner-export.js';
import { addPlannerLayers, EMPTY, geojsonSource, paintChoropleth, showPlannerLayers } from './planner-map.js';
import { normaliseIndicators, renderGaps, renderIndicators, renderRollups, renderScenario, renderSummary, unavailable } from './planner-report.js';
import { clearSites, suggestSites } from './planner-siting.js';
import { createPlannerState, scenarioIsEmpty } from './planner-state.js';
import { wireWhatIf } from './planner-whatif.js';

const WARMING_UP_RETRY_MS = 3000;
/** 100 m cells: a city-wide overview in ~2 MB rather than the default 25 m's ~16 MB. */
const AREA_CELL_M = 100;

/** @typedef {import('./planner-state.js').PlannerState} PlannerState */
/** @typedef {import('./planner-state.js').PlannerParams} PlannerParams */
/** @typedef {{ id: string, name_zh: string, name_en: string, count?: number }} Category */

/**
 * @typedef {object} PlannerOptions
 * @property {maplibregl.Map} map
 * @property {Category[]} categories
 * @property {{ admin: import('./planner-map.js').DataSource }} sources
 * @property {import('./planner-whatif.js').ClickInterceptor[]} clickInterceptors
 * @property {import('./planner-whatif.js').FacilityAction[]} facilityActions
 * @property {((props: Record<string, any>) => void)[]} unitClickListeners
 * @property {Record<string, () => void>} onTab tab activation hooks by tab id
 * @property {Record<string, () => void>} onLeaveTab tab deactivation hooks by tab id
 * @property {(text: string, isError?: boolean) => void} setStatus
 */

/**
 * Wires the planner tab. Returns its state (read by the page's test hook only) and the switch
 * for the planner-only controls.
 * @param {PlannerOptions} options
 * @returns {{ state: PlannerState, setCanPlan: (allowed: boolean) => void }}
 */
export function wirePlanner({ map, categories, sources, clickInterceptors, facilityActions, unitClickListeners, onTab, onLeaveTab, setStatus }) {
  const categorySelect = byId('planner-category', HTMLSelectElement);
  const minutesSelect = byId('planner-minutes', HTMLSelectElement);
  const levelSelect = byId('planner-level', HTMLSelectElement);
  const summaryBox = byId('coverage-summary', HTMLElement);
  const scenarioBox = byId('scenario', HTMLElement);
  const sitingBox = byId('siting', HTMLElement);
  const gapList = byId('gap-list', HTMLElement);
  const indicatorsBox = byId('indicators', HTMLElement);
  const rollupsBox = byId('rollups', HTMLElement);
  const sitingArea = byId('siting-area', HTMLSelectElement);
  const resetButton = byId('whatif-reset', HTMLButtonElement);
  const gapsMeasure = byId('gaps-measure', HTMLElement);
  const plannerHint = byId('planner-hint', HTMLElement);
  const plannerOnly = [byId('planner-whatif-actions', HTMLElement), byId('planner-export-actions', HTMLElement)];

  for (const c of categories) {
    categorySelect.append(el('option', { value: c.id, text: `${c.name_zh} ${c.name_en}` }));
  }
  const state = createPlannerState();

  /** @returns {PlannerParams} */
  const params = () => ({
    category: categorySelect.value,
    minutes: minutesSelect.value,
    level: levelSelect.value,
    scenario: state.scenarioId,
  });

  async function loadDistrictNames() {
    try {
      const body = await getJson('/api/v1/admin?level=district');
      for (const f of body.features) {
        state.districtNames.set(f.properties.code, f.properties.name);
        // Siting can be limited to one district (`area`): its sites never leave it.
        sitingArea.append(el('option', { value: f.properties.code, text: f.properties.name }));
      }
    } catch {
      // Groups then show district codes instead of names.
    }
  }

  function showScenario() {
    const empty = !state.canPlan || scenarioIsEmpty(state.scenario);
    resetButton.disabled = empty;
    scenarioBox.hidden = empty;
    if (!empty) renderScenario(scenarioBox, state);
  }

  /** Asks every coverage route for the current choice and redraws what answers. */
  async function refresh() {
    const mine = (state.refreshing += 1);
    const p = params();
    setStatus('计算覆盖 Computing coverage…');
    summaryBox.setAttribute('aria-busy', 'true');
    const coverage = getJson(withQuery('/api/v1/coverage', { ...p, mode: 'walk' }));
    const area = getJson(withQuery('/api/v1/coverage/area', { category: p.category, minutes: p.minutes, scenario: p.scenario, cell_m: AREA_CELL_M }));
    const gaps = getJson(withQuery('/api/v1/coverage/gaps', p));
    // The plan's indicators are per township (the route also serves communities).
    const indicators = getJson(withQuery('/api/v1/indicators', { level: 'township', scenario: p.scenario }));
    const baseline = p.scenario ? getJson(withQuery('/api/v1/coverage', { ...p, scenario: null, mode: 'walk' })) : coverage;
    // District and city cards: roll-ups of the same records as the township rows.
    const city = getJson(withQuery('/api/v1/indicators', { level: 'city', scenario: p.scenario }));
    const districts = getJson(withQuery('/api/v1/indicators', { level: 'district', scenario: p.scenario }));
    const settled = await Promise.allSettled([coverage, area, gaps, indicators, baseline, city, districts]);
    if (mine !== state.refreshing) return;
    const [c, a, g, ind, base, cityInd, districtInd] = settled;
    summaryBox.removeAttribute('aria-busy');
    // 503 while the server builds its walking network on start-up: say so and ask again.
    if (c.status === 'rejected' && c.reason instanceof HttpError && c.reason.status === 503) {
      summaryBox.textContent = '';
      summaryBox.append(el('p', { class: 'muted', text: `服务器正在准备步行网络 The server is preparing the walking network… (${describeError(c.reason)})` }));
      setTimeout(() => {
        if (mine === state.refreshing && state.active) refresh();
      }, WARMING_UP_RETRY_MS);
      return;
    }
    if (c.status === 'fulfilled') {
      state.report = c.value;
      state.baseline = base.status === 'fulfilled' ? base.value : null;
      const category = categories.find((x) => x.id === p.category);
      renderSummary(summaryBox, c.value, { category: category ? category.name_zh : p.category, minutes: p.minutes, level: p.level });
      paintChoropleth(map, sources.admin, p.level, c.value.units);
    } else {
      state.report = null;
      summaryBox.textContent = '';
      summaryBox.append(unavailable('覆盖 Coverage', c.reason));
      paintChoropleth(map, sources.admin, p.level, null);
    }
    if (a.status === 'fulfilled') geojsonSource(map, 'coverage-area').setData(a.value);
    else {
      geojsonSource(map, 'coverage-area').setData(EMPTY);
      summaryBox.append(unavailable('服务范围 Service areas', a.reason));
    }
    if (g.status === 'fulfilled') {
      geojsonSource(map, 'coverage-gaps').setData(g.value);
      renderGaps(gapList, g.value, (bounds) => map.fitBounds(bounds, { padding: 60, maxZoom: 15.5 }), gapsMeasure);
    } else {
      geojsonSource(map, 'coverage-gaps').setData(EMPTY);
      gapList.textContent = '';
      gapList.append(el('li', {}, unavailable('缺口 Gaps', g.reason)));
    }
    if (ind.status === 'fulfilled') {
      state.indicators = normaliseIndicators(ind.value);
      renderIndicators(indicatorsBox, state);
    } else {
      indicatorsBox.textContent = '';
      indicatorsBox.append(unavailable('指标 Indicators', ind.reason));
    }
    if (cityInd.status === 'fulfilled' && districtInd.status === 'fulfilled') {
      renderRollups(rollupsBox, normaliseIndicators(cityInd.value), normaliseIndicators(districtInd.value));
    } else {
      rollupsBox.textContent = '';
      rollupsBox.append(unavailable('汇总 Roll-ups', cityInd.status === 'rejected' ? cityInd.reason : districtInd.status === 'rejected' ? districtInd.reason : null));
    }
    showScenario();
    // The baseline is the coverage request itself when there is no scenario: count it once.
    const failed = settled.slice(0, 4).filter((s) => s.status === 'rejected').length;
    setStatus(failed ? `${failed} 项不可用 parts unavailable` : '覆盖已更新 Coverage updated', failed > 0);
    state.version += 1;
  }

  const whatIf = wireWhatIf({
    map,
    state,
    category: () => categorySelect.value,
    scenarioBox,
    addButton: byId('whatif-add', HTMLButtonElement),
    resetButton,
    setStatus,
    refresh,
    clickInterceptors,
    facilityActions,
  });

  unitClickListeners.push((props) => {
    if (!state.active) return;
    const select = document.getElementById('indicator-unit');
    if (select instanceof HTMLSelectElement && [...select.options].some((o) => o.value === props.code)) {
      select.value = props.code;
      select.dispatchEvent(new Event('change'));
    }
  });

  byId('suggest-sites', HTMLButtonElement).addEventListener('click', () => {
    suggestSites({ map, box: sitingBox, addFacility: whatIf.addFacility }, { ...params(), area: sitingArea.value || null });
  });

  // Each table's download is the server's CSV export of the same query (docs/API.md).
  /** @type {[string, () => string][]} */
  const exports = [
    ['export-csv', () => withQuery('/api/v1/coverage', { ...params(), mode: 'walk', format: 'csv' })],
    ['export-gaps-csv', () => withQuery('/api/v1/coverage/gaps', { ...params(), limit: 10000, format: 'csv' })],
    ['export-indicators-csv', () => withQuery('/api/v1/indicators', { level: 'township', scenario: params().scenario, format: 'csv' })],
  ];
  for (const [id, url] of exports) {
    byId(id, HTMLButtonElement).addEventListener('click', () => {
      downloadCsv(url()).catch((error) => setStatus(`导出失败 Export failed: ${describeError(error)}`, true));
    });
  }

  sitingArea.addEventListener('change', () => clearSites(map, sitingBox));
  for (const select of [categorySelect, minutesSelect, levelSelect]) {
    select.addEventListener('change', () => {
      clearSites(map, sitingBox);
      // A scenario's added facilities take the category chosen when they were added.
      refresh();
    });
  }

  // In the planner view the map shows only the chosen category's facilities; the legend's
  // choice comes back with the explore view.
  /** @type {maplibregl.FilterSpecification | null} */
  let legendFilter = null;
  function showCategoryOnly(/** @type {boolean} */ on) {
    if (on) {
      if (legendFilter === null) legendFilter = map.getFilter(LAYER.facilities) || ['all'];
      map.setFilter(LAYER.facilities, ['==', ['get', 'category'], categorySelect.value]);
    } else if (legendFilter !== null) {
      map.setFilter(LAYER.facilities, legendFilter);
      legendFilter = null;
    }
  }
  categorySelect.addEventListener('change', () => {
    if (state.active) showCategoryOnly(true);
  });

  onTab['tab-planner'] = () => {
    state.active = true;
    showCategoryOnly(true);
    if (!state.started) {
      state.started = true;
      addPlannerLayers(map, sources.admin);
      loadDistrictNames().then(refresh);
    }
    showPlannerLayers(map, state.markers, true);
  };
  onLeaveTab['tab-planner'] = () => {
    state.active = false;
    whatIf.setAddMode(false);
    showCategoryOnly(false);
    if (state.started) showPlannerLayers(map, state.markers, false);
  };

  /**
   * Shows the what-if, siting and export controls to a planner, and the hint to everyone
   * else. Losing them (sign-out) forgets the scenario and the sites; any change redraws,
   * because the gaps' person counts and the scenario depend on who asks.
   * @param {boolean} allowed
   */
  function setCanPlan(allowed) {
    const changed = allowed !== state.canPlan;
    state.canPlan = allowed;
    for (const group of plannerOnly) group.hidden = !allowed;
    plannerHint.hidden = allowed;
    if (!changed) return;
    if (!allowed) {
      whatIf.setAddMode(false);
      whatIf.discard();
      scenarioBox.hidden = true;
      resetButton.disabled = true;
      if (state.started) clearSites(map, sitingBox);
      else sitingBox.hidden = true;
    }
    if (state.started) refresh();
  }
  // Anonymous until account.js says otherwise.
  setCanPlan(false);
  return { state, setCanPlan };
}
