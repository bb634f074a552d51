// The planner view: for a facility category and a walking time (15 or 20 minutes), the
// service areas and the gaps on the map, each unit coloured by the share of its elderly
// covered, the gap list (largest uncovered elderly first) with fly-to, the plan indicators as
// charts, a what-if mode (add, move and close facilities → POST /api/v1/scenarios → the same
// routes with `scenario=ID`), suggested sites (POST /api/v1/siting) and a CSV export of the
// report on screen. Everything shown comes from the coverage routes of docs/API.md; when a
// route answers with an error, its box says so with the HTTP status instead of drawing
// anything.
import { describeError, getJson, HttpError, postJson, withQuery } from './api.js';
import { indicatorChart } from './charts.js';
import { el, formatCount, LEVEL_NAMES } from './details.js';
import { LAYER } from './layers.js';

const EMPTY = { type: 'FeatureCollection', features: [] };
/** Share of elderly covered → colour, in five classes (red → green). */
const RAMP = [
  [0.2, '#d7301f'],
  [0.4, '#fc8d59'],
  [0.6, '#fdcc8a'],
  [0.8, '#a6d96a'],
  [Infinity, '#1a9641'],
];
const SITING_K = 5;
const WARMING_UP_RETRY_MS = 3000;
const AREA_CELL_M = 100;

const PLANNER_LAYERS = ['planner-choropleth', 'coverage-area', 'coverage-gaps', 'coverage-gaps-line', 'whatif-closed', 'siting', 'siting-rank'];

export function shareColour(share) {
  return RAMP.find(([upper]) => share < upper)[1];
}

function percent(share) {
  return typeof share === 'number' ? `${(share * 100).toFixed(1)}%` : '–';
}

/** A box's text when its route failed: "not available" for 404/501, the error otherwise. */
function unavailable(what, error) {
  const missing = error instanceof HttpError && (error.status === 404 || error.status === 501);
  return el('p', {
    class: 'error unavailable',
    'data-status': error instanceof HttpError ? String(error.status) : 'network',
    text: missing
      ? `${what}: 服务器未提供 not available on this server (${describeError(error)})`
      : `${what}: ${describeError(error)}`,
  });
}

function bboxOf(geometry) {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  const walk = (coords) => {
    if (typeof coords[0] === 'number') {
      minX = Math.min(minX, coords[0]);
      maxX = Math.max(maxX, coords[0]);
      minY = Math.min(minY, coords[1]);
      maxY = Math.max(maxY, coords[1]);
    } else coords.forEach(walk);
  };
  walk(geometry.coordinates);
  return [[minX, minY], [maxX, maxY]];
}

/** The indicators answer as `[{code, name, level, indicators: [...]}]`, whatever its wrapping. */
function normaliseIndicators(body) {
  const units = Array.isArray(body) ? body : body.units || body.features || [];
  return units.map((unit) => {
    const u = unit.properties || unit;
    let list = u.indicators || [];
    if (!Array.isArray(list)) list = Object.entries(list).map(([id, v]) => ({ id, ...v }));
    return {
      code: u.code,
      name: u.name,
      level: u.level,
      indicators: list.map((i) => ({ ...i, name: i.name_zh || i.name || i.id })),
    };
  });
}

/** Siting answers as sites `[{lon, lat, newly_covered_elderly}]`, from a list or GeoJSON. */
function normaliseSites(body) {
  const list = Array.isArray(body) ? body : body.sites || body.features || [];
  return list.map((site) => {
    const p = site.properties || site;
    const [lon, lat] = site.geometry ? site.geometry.coordinates : [site.lon, site.lat];
    return { ...p, lon, lat, newly_covered_elderly: p.newly_covered_elderly ?? p.elderly };
  });
}

export function wirePlanner({ map, categories, sources, clickInterceptors, facilityActions, unitClickListeners, onTab, setStatus }) {
  const $ = (id) => document.getElementById(id);
  const categorySelect = $('planner-category');
  const minutesSelect = $('planner-minutes');
  const levelSelect = $('planner-level');
  const summaryBox = $('coverage-summary');
  const scenarioBox = $('scenario');
  const sitingBox = $('siting');
  const gapList = $('gap-list');
  const indicatorsBox = $('indicators');
  const addButton = $('whatif-add');
  const resetButton = $('whatif-reset');

  for (const c of categories) {
    categorySelect.append(el('option', { value: c.id, text: `${c.name_zh} ${c.name_en}` }));
  }
  const state = {
    active: false,
    started: false,
    scenario: { add: [], move: [], close: [] },
    scenarioId: null,
    baseline: null,
    report: null,
    indicators: [],
    markers: [],
    refreshing: 0,
    districtNames: new Map(),
  };
  async function loadDistrictNames() {
    try {
      const body = await getJson('/api/v1/admin?level=district');
      for (const f of body.features) state.districtNames.set(f.properties.code, f.properties.name);
    } catch {
      // Groups then show district codes instead of names.
    }
  }
  window.civmapPlanner = state;

  const params = () => ({
    category: categorySelect.value,
    minutes: minutesSelect.value,
    level: levelSelect.value,
    scenario: state.scenarioId,
  });
  const scenarioEmpty = () => state.scenario.add.length + state.scenario.move.length + state.scenario.close.length === 0;

  // ---- layers ----
  function addLayers() {
    const admin = sources.admin.sourceLayer ? { source: sources.admin.source, 'source-layer': sources.admin.sourceLayer } : { source: sources.admin.source };
    map.addLayer(
      { id: 'planner-choropleth', type: 'fill', ...admin, filter: ['==', ['get', 'code'], ''], paint: { 'fill-color': '#cccccc', 'fill-opacity': 0.45 } },
      LAYER.plannerAnchor
    );
    map.addSource('coverage-area', { type: 'geojson', data: EMPTY });
    map.addLayer({ id: 'coverage-area', type: 'fill', source: 'coverage-area', paint: { 'fill-color': '#1f5f99', 'fill-opacity': 0.28 } }, LAYER.plannerAnchor);
    map.addSource('coverage-gaps', { type: 'geojson', data: EMPTY });
    map.addLayer({ id: 'coverage-gaps', type: 'fill', source: 'coverage-gaps', paint: { 'fill-color': '#b42318', 'fill-opacity': 0.08 } }, LAYER.plannerAnchor);
    map.addLayer({ id: 'coverage-gaps-line', type: 'line', source: 'coverage-gaps', paint: { 'line-color': '#b42318', 'line-width': 1.6, 'line-dasharray': [3, 2] } }, LAYER.plannerAnchor);
    map.addSource('whatif-closed', { type: 'geojson', data: EMPTY });
    map.addLayer({ id: 'whatif-closed', type: 'circle', source: 'whatif-closed', paint: { 'circle-radius': 7, 'circle-color': '#ffffff', 'circle-stroke-color': '#b42318', 'circle-stroke-width': 3 } });
    map.addSource('siting', { type: 'geojson', data: EMPTY });
    map.addLayer({ id: 'siting', type: 'circle', source: 'siting', paint: { 'circle-radius': 10, 'circle-color': '#7c5e10', 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2 } });
    map.addLayer({
      id: 'siting-rank',
      type: 'symbol',
      source: 'siting',
      layout: { 'text-field': ['to-string', ['get', 'rank']], 'text-font': ['Noto Sans CJK SC', 'sans-serif'], 'text-size': 12, 'text-allow-overlap': true },
      paint: { 'text-color': '#ffffff' },
    });
  }

  function showLayers(visible) {
    for (const id of PLANNER_LAYERS) {
      if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', visible ? 'visible' : 'none');
    }
    for (const marker of state.markers) marker.getElement().hidden = !visible;
  }

  function paintChoropleth(report) {
    const units = report.units.filter((u) => typeof u.share_elderly === 'number' && u.elderly > 0);
    if (units.length === 0) {
      map.setFilter('planner-choropleth', ['==', ['get', 'code'], '']);
      return;
    }
    const colour = ['match', ['get', 'code']];
    for (const u of units) colour.push(u.code, shareColour(u.share_elderly));
    colour.push('rgba(0,0,0,0)');
    map.setPaintProperty('planner-choropleth', 'fill-color', colour);
    map.setFilter('planner-choropleth', ['in', ['get', 'code'], ['literal', units.map((u) => u.code)]]);
  }

  // ---- the report boxes ----
  function renderSummary(report) {
    const total = report.total || {};
    const category = categories.find((c) => c.id === categorySelect.value);
    summaryBox.textContent = '';
    const covered = el('span', { class: 'big-number', id: 'coverage-total', text: formatCount(total.covered_elderly) });
    covered.dataset.covered = String(total.covered_elderly);
    covered.dataset.elderly = String(total.elderly);
    summaryBox.append(
      el('p', { class: 'card-title', text: `${category ? category.name_zh : categorySelect.value} · ${minutesSelect.value} 分钟 min 步行 walk` }),
      el('p', {}, covered, ` / ${formatCount(total.elderly)} 老年人 elderly covered (${percent(total.share_elderly)})`),
      el('p', { class: 'muted', text: `人口 Population ${formatCount(total.covered_population)} / ${formatCount(total.population)} · ${report.units.length} ${LEVEL_NAMES[levelSelect.value]}` }),
      el('div', { class: 'ramp', 'aria-hidden': 'true' }, ...RAMP.map(([, c]) => el('span', { style: `background:${c}` }))),
      el('div', { class: 'ramp-labels' }, el('span', { text: '0%' }), el('span', { text: '老年人覆盖率 share of elderly covered' }), el('span', { text: '100%' }))
    );
  }

  function renderScenario() {
    if (scenarioEmpty()) {
      scenarioBox.hidden = true;
      resetButton.disabled = true;
      return;
    }
    resetButton.disabled = false;
    scenarioBox.hidden = false;
    scenarioBox.textContent = '';
    const { add, move, close } = state.scenario;
    scenarioBox.append(el('p', { class: 'card-title', text: `情景 What-if: +${add.length} 新增 added · ${move.length} 移动 moved · ${close.length} 关闭 closed` }));
    if (state.baseline && state.report) {
      const before = state.baseline.total.covered_elderly;
      const after = state.report.total.covered_elderly;
      const delta = after - before;
      const deltaEl = el('span', { id: 'scenario-delta', class: delta >= 0 ? 'delta-up' : 'delta-down', text: `${delta >= 0 ? '+' : ''}${formatCount(delta)}` });
      deltaEl.dataset.delta = String(delta);
      scenarioBox.append(el('p', {}, `覆盖老年人 Covered elderly: ${formatCount(before)} → ${formatCount(after)} (`, deltaEl, ')'));
    }
  }

  function renderGaps(collection) {
    gapList.textContent = '';
    const features = (collection.features || []).slice().sort((a, b) => (b.properties.elderly || 0) - (a.properties.elderly || 0));
    if (features.length === 0) {
      gapList.append(el('li', { class: 'muted', text: '无缺口 No gaps' }));
    }
    features.slice(0, 50).forEach((feature, i) => {
      const p = feature.properties;
      const where = p.admin && p.admin.name ? p.admin.name : '';
      const button = el('button', { type: 'button', text: `${formatCount(p.elderly)} 老年人 elderly${where ? ` · ${where}` : ''}` });
      button.addEventListener('click', () => {
        map.fitBounds(bboxOf(feature.geometry), { padding: 60, maxZoom: 15.5 });
      });
      const item = el('li', { 'data-elderly': String(p.elderly) }, button);
      if (typeof p.population === 'number') item.append(el('span', { class: 'muted', text: ` (${formatCount(p.population)} 居民 residents)` }));
      gapList.append(item);
      if (i === 0) item.dataset.largest = 'true';
    });
    if (features.length > 50) gapList.append(el('li', { class: 'muted', text: `… ${features.length - 50} more` }));
  }

  function renderIndicators() {
    indicatorsBox.textContent = '';
    const units = state.indicators;
    if (units.length === 0) {
      indicatorsBox.append(el('p', { class: 'muted', text: '无指标 No indicators' }));
      return;
    }
    // Townships grouped under their districts (the first six digits of the code).
    const select = el('select', { id: 'indicator-unit', 'aria-label': '乡镇街道 Township' });
    const groups = new Map();
    for (const u of units) {
      const district = `${u.code.slice(0, 6)}000000`;
      if (!groups.has(district)) {
        groups.set(district, el('optgroup', { label: state.districtNames.get(district) || district }));
      }
      groups.get(district).append(el('option', { value: u.code, text: u.name }));
    }
    select.append(...groups.values());
    if (state.indicatorUnit && units.some((u) => u.code === state.indicatorUnit)) select.value = state.indicatorUnit;
    const chartBox = el('div', { class: 'indicator-unit' });
    const draw = () => {
      state.indicatorUnit = select.value;
      const unit = units.find((u) => u.code === select.value);
      chartBox.textContent = '';
      const judged = unit.indicators.filter((i) => i.pass === true || i.pass === false);
      const passed = judged.filter((i) => i.pass).length;
      const unjudged = unit.indicators.length - judged.length;
      const heading = `${unit.name}: ${passed}/${judged.length} 达标 pass${unjudged ? ` · ${unjudged} 无2025目标 no 2025 target` : ''}`;
      chartBox.append(el('h3', { text: heading }), indicatorChart(unit.indicators));
    };
    select.addEventListener('change', draw);
    indicatorsBox.append(select, chartBox);
    draw();
  }

  // ---- loading ----
  async function refresh() {
    const mine = (state.refreshing += 1);
    const p = params();
    setStatus('计算覆盖 Computing coverage…');
    summaryBox.setAttribute('aria-busy', 'true');
    const coverage = getJson(withQuery('/api/v1/coverage', { ...p, mode: 'walk' }));
    // 100 m cells: a city-wide overview in ~2 MB rather than the default 25 m's ~16 MB.
    const area = getJson(withQuery('/api/v1/coverage/area', { category: p.category, minutes: p.minutes, scenario: p.scenario, cell_m: AREA_CELL_M }));
    const gaps = getJson(withQuery('/api/v1/coverage/gaps', p));
    // The plan's indicators are per township (the route also serves communities).
    const indicators = getJson(withQuery('/api/v1/indicators', { level: 'township', scenario: p.scenario }));
    const baseline = p.scenario ? getJson(withQuery('/api/v1/coverage', { ...p, scenario: null, mode: 'walk' })) : coverage;
    const settled = await Promise.allSettled([coverage, area, gaps, indicators, baseline]);
    if (mine !== state.refreshing) return;
    const [c, a, g, ind, base] = settled;
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
      renderSummary(c.value);
      paintChoropleth(c.value);
    } else {
      state.report = null;
      summaryBox.textContent = '';
      summaryBox.append(unavailable('覆盖 Coverage', c.reason));
      map.setFilter('planner-choropleth', ['==', ['get', 'code'], '']);
    }
    if (a.status === 'fulfilled') map.getSource('coverage-area').setData(a.value);
    else {
      map.getSource('coverage-area').setData(EMPTY);
      summaryBox.append(unavailable('服务范围 Service areas', a.reason));
    }
    if (g.status === 'fulfilled') {
      map.getSource('coverage-gaps').setData(g.value);
      renderGaps(g.value);
    } else {
      map.getSource('coverage-gaps').setData(EMPTY);
      gapList.textContent = '';
      gapList.append(el('li', {}, unavailable('缺口 Gaps', g.reason)));
    }
    if (ind.status === 'fulfilled') {
      state.indicators = normaliseIndicators(ind.value);
      renderIndicators();
    } else {
      indicatorsBox.textContent = '';
      indicatorsBox.append(unavailable('指标 Indicators', ind.reason));
    }
    renderScenario();
    // The baseline is the coverage request itself when there is no scenario: count it once.
    const failed = settled.slice(0, 4).filter((s) => s.status === 'rejected').length;
    setStatus(failed ? `${failed} 项不可用 parts unavailable` : '覆盖已更新 Coverage updated', failed > 0);
    state.ready = true;
    window.civmapPlannerVersion = (window.civmapPlannerVersion || 0) + 1;
  }

  // ---- what-if ----
  async function applyScenario() {
    if (scenarioEmpty()) {
      state.scenarioId = null;
    } else {
      try {
        const answer = await postJson('/api/v1/scenarios', state.scenario);
        state.scenarioId = answer.id;
      } catch (error) {
        scenarioBox.hidden = false;
        scenarioBox.textContent = '';
        scenarioBox.append(unavailable('情景 Scenario', error));
        return;
      }
    }
    drawClosed();
    await refresh();
  }

  function draggableMarker(lonLat, colour, onMoved) {
    const marker = new maplibregl.Marker({ color: colour, draggable: true }).setLngLat(lonLat).addTo(map);
    marker.on('dragend', () => {
      const { lng, lat } = marker.getLngLat();
      onMoved([lng, lat]);
    });
    state.markers.push(marker);
    return marker;
  }

  function addFacility([lon, lat]) {
    const entry = { category: categorySelect.value, lon, lat, name: `新增 New ${state.scenario.add.length + 1}` };
    state.scenario.add.push(entry);
    draggableMarker([lon, lat], '#2680c2', ([x, y]) => {
      entry.lon = x;
      entry.lat = y;
      applyScenario();
    });
    applyScenario();
  }

  const closedFeatures = new Map();
  function drawClosed() {
    map.getSource('whatif-closed').setData({ type: 'FeatureCollection', features: [...closedFeatures.values()] });
  }

  function setAddMode(on) {
    state.adding = on;
    addButton.setAttribute('aria-pressed', String(on));
    map.getCanvas().style.cursor = on ? 'crosshair' : '';
  }
  addButton.addEventListener('click', () => setAddMode(!state.adding));
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && state.adding) setAddMode(false);
  });
  clickInterceptors.push((event) => {
    if (!state.active || !state.adding) return false;
    setAddMode(false);
    addFacility([event.lngLat.lng, event.lngLat.lat]);
    return true;
  });

  facilityActions.push((props, lonLat, popup) => {
    if (!state.active || !props.id) return null;
    const box = el('span');
    const move = el('button', { type: 'button', text: '移动 Move' });
    move.addEventListener('click', () => {
      popup.remove();
      draggableMarker(lonLat, '#7c5e10', ([lon, lat]) => {
        const existing = state.scenario.move.find((m) => m.id === props.id);
        if (existing) Object.assign(existing, { lon, lat });
        else state.scenario.move.push({ id: props.id, lon, lat });
        applyScenario();
      });
      setStatus('拖动标记到新位置 Drag the marker to the new place');
    });
    const close = el('button', { type: 'button', text: '关闭 Close' });
    close.addEventListener('click', () => {
      popup.remove();
      if (!state.scenario.close.includes(props.id)) state.scenario.close.push(props.id);
      closedFeatures.set(props.id, { type: 'Feature', geometry: { type: 'Point', coordinates: lonLat }, properties: { id: props.id } });
      applyScenario();
    });
    box.append(move, close);
    return box;
  });

  unitClickListeners.push((props) => {
    if (!state.active) return;
    const select = document.getElementById('indicator-unit');
    if (select && [...select.options].some((o) => o.value === props.code)) {
      select.value = props.code;
      select.dispatchEvent(new Event('change'));
    }
  });

  resetButton.addEventListener('click', () => {
    state.scenario = { add: [], move: [], close: [] };
    for (const marker of state.markers) marker.remove();
    state.markers = [];
    closedFeatures.clear();
    applyScenario();
  });

  // ---- suggested sites ----
  $('suggest-sites').addEventListener('click', async () => {
    sitingBox.hidden = false;
    sitingBox.textContent = '';
    sitingBox.append(el('p', { class: 'muted', text: '计算中 Computing…' }));
    const body = { category: categorySelect.value, minutes: Number(minutesSelect.value), k: SITING_K };
    if (state.scenarioId) body.scenario = state.scenarioId;
    let sites;
    try {
      sites = normaliseSites(await postJson('/api/v1/siting', body));
    } catch (error) {
      sitingBox.textContent = '';
      sitingBox.append(unavailable('建议选址 Suggested sites', error));
      return;
    }
    map.getSource('siting').setData({
      type: 'FeatureCollection',
      features: sites.map((s, i) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: [s.lon, s.lat] }, properties: { rank: i + 1, elderly: s.newly_covered_elderly } })),
    });
    sitingBox.textContent = '';
    const total = sites.reduce((sum, s) => sum + (s.newly_covered_elderly || 0), 0);
    sitingBox.append(el('p', { class: 'card-title', text: `建议选址 Suggested sites (${sites.length}): +${formatCount(total)} 老年人 elderly` }));
    const list = el('ol', { id: 'siting-list', class: 'gap-list' });
    sites.forEach((s) => {
      const go = el('button', { type: 'button', text: `+${formatCount(s.newly_covered_elderly)} 老年人 elderly` });
      go.addEventListener('click', () => map.flyTo({ center: [s.lon, s.lat], zoom: 15 }));
      const adopt = el('button', { type: 'button', text: '采纳 Adopt', title: '加入情景 Add to the what-if scenario' });
      adopt.addEventListener('click', () => addFacility([s.lon, s.lat]));
      list.append(el('li', { 'data-elderly': String(s.newly_covered_elderly) }, go, ' ', adopt));
    });
    sitingBox.append(list);
    if (sites.length > 0) {
      const b = bboxOf({ coordinates: sites.map((s) => [s.lon, s.lat]) });
      map.fitBounds(b, { padding: 80, maxZoom: 14 });
    }
  });

  // ---- CSV export ----
  $('export-csv').addEventListener('click', () => {
    if (!state.report) {
      setStatus('无报告可导出 No report to export', true);
      return;
    }
    const quote = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v ?? ''));
    const columns = ['code', 'name', 'level', 'population', 'covered_population', 'elderly', 'covered_elderly', 'share_elderly'];
    const p = params();
    const lines = [
      ['category', 'minutes', 'scenario', ...columns].join(','),
      ...state.report.units.map((u) => [p.category, p.minutes, p.scenario || '', ...columns.map((c) => u[c])].map(quote).join(',')),
    ];
    const blob = new Blob([`\ufeff${lines.join('\n')}\n`], { type: 'text/csv;charset=utf-8' });
    const link = el('a', { href: URL.createObjectURL(blob), download: `civmap-coverage-${p.category}-${p.minutes}min-${p.level}${p.scenario ? `-${p.scenario}` : ''}.csv` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  });

  for (const select of [categorySelect, minutesSelect, levelSelect]) {
    select.addEventListener('change', () => {
      map.getSource('siting').setData(EMPTY);
      sitingBox.hidden = true;
      // A scenario's added facilities take the category chosen when they were added.
      refresh();
    });
  }

  // In the planner view the map shows only the chosen category's facilities; the legend's
  // choice comes back with the explore view.
  let legendFilter = null;
  function showCategoryOnly(on) {
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
      addLayers();
      loadDistrictNames().then(refresh);
    }
    showLayers(true);
  };
  onTab['tab-explore'] = () => {
    state.active = false;
    setAddMode(false);
    showCategoryOnly(false);
    if (state.started) showLayers(false);
  };
}
