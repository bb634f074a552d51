// The planner's what-if mode: add facilities (a map click in add mode, or adopting a suggested
// site), move them or existing ones (drag a marker) and close existing ones (from a facility's
// popup). Every edit POSTs the whole scenario to /api/v1/scenarios and redraws the planner
// with the id it answers (an empty scenario is no scenario).
import { postJson } from './api.js';
import { el } from './dom.js';
import { geojsonSource } from './planner-map.js';
import { unavailable } from './planner-report.js';
import { emptyScenario, scenarioIsEmpty } from './planner-state.js';

/** @typedef {import('./planner-state.js').PlannerState} PlannerState */
/** @typedef {(event: maplibregl.MapMouseEvent) => boolean} ClickInterceptor */
/** @typedef {(props: Record<string, any>, lonLat: [number, number], popup: maplibregl.Popup) => HTMLElement | null} FacilityAction */

/**
 * @typedef {object} WhatIfContext
 * @property {maplibregl.Map} map
 * @property {PlannerState} state
 * @property {() => string} category the category chosen in the planner
 * @property {HTMLElement} scenarioBox
 * @property {HTMLButtonElement} addButton
 * @property {HTMLButtonElement} resetButton
 * @property {(text: string, isError?: boolean) => void} setStatus
 * @property {() => Promise<void>} refresh redraws the planner for `state.scenarioId`
 * @property {ClickInterceptor[]} clickInterceptors the page's map-click hooks
 * @property {FacilityAction[]} facilityActions the page's facility-popup hooks
 */

/**
 * Wires the what-if controls; returns what the rest of the planner uses.
 * @param {WhatIfContext} ctx
 */
export function wireWhatIf(ctx) {
  const { map, state, scenarioBox, addButton, resetButton } = ctx;

  /** Registers the scenario with the server and redraws; a failure shows in the what-if box. */
  async function applyScenario() {
    if (scenarioIsEmpty(state.scenario)) {
      state.scenarioId = null;
    } else {
      try {
        const answer = await postJson('/api/v1/scenarios', state.scenario);
        // Signed out while the scenario was on its way: it is not shown any more.
        if (!state.canPlan) return;
        state.scenarioId = answer.id;
      } catch (error) {
        scenarioBox.hidden = false;
        scenarioBox.textContent = '';
        scenarioBox.append(unavailable('情景 Scenario', error));
        return;
      }
    }
    drawClosed();
    await ctx.refresh();
  }

  function drawClosed() {
    geojsonSource(map, 'whatif-closed').setData({ type: 'FeatureCollection', features: [...state.closed.values()] });
  }

  /**
   * @param {[number, number]} lonLat
   * @param {string} colour
   * @param {(lonLat: [number, number]) => void} onMoved
   */
  function draggableMarker(lonLat, colour, onMoved) {
    const marker = new maplibregl.Marker({ color: colour, draggable: true }).setLngLat(lonLat).addTo(map);
    marker.on('dragend', () => {
      const { lng, lat } = marker.getLngLat();
      onMoved([lng, lat]);
    });
    state.markers.push(marker);
    return marker;
  }

  /** Adds a facility of the chosen category at a point, with a marker to drag it. */
  function addFacility(/** @type {[number, number]} */ [lon, lat]) {
    const entry = { category: ctx.category(), lon, lat, name: `新增 New ${state.scenario.add.length + 1}` };
    state.scenario.add.push(entry);
    draggableMarker([lon, lat], '#2680c2', ([x, y]) => {
      entry.lon = x;
      entry.lat = y;
      applyScenario();
    });
    applyScenario();
  }

  function setAddMode(/** @type {boolean} */ on) {
    state.adding = on;
    addButton.setAttribute('aria-pressed', String(on));
    map.getCanvas().style.cursor = on ? 'crosshair' : '';
  }
  addButton.addEventListener('click', () => setAddMode(!state.adding));
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && state.adding) setAddMode(false);
  });
  ctx.clickInterceptors.push((event) => {
    if (!state.active || !state.canPlan || !state.adding) return false;
    setAddMode(false);
    addFacility([event.lngLat.lng, event.lngLat.lat]);
    return true;
  });

  ctx.facilityActions.push((props, lonLat, popup) => {
    if (!state.active || !state.canPlan || !props.id) return null;
    /** @type {string} */
    const id = props.id;
    const box = el('span');
    const move = el('button', { type: 'button', text: '移动 Move' });
    move.addEventListener('click', () => {
      popup.remove();
      draggableMarker(lonLat, '#7c5e10', ([lon, lat]) => {
        const existing = state.scenario.move.find((m) => m.id === id);
        if (existing) Object.assign(existing, { lon, lat });
        else state.scenario.move.push({ id, lon, lat });
        applyScenario();
      });
      ctx.setStatus('拖动标记到新位置 Drag the marker to the new place');
    });
    const close = el('button', { type: 'button', text: '关闭 Close' });
    close.addEventListener('click', () => {
      popup.remove();
      if (!state.scenario.close.includes(id)) state.scenario.close.push(id);
      state.closed.set(id, { type: 'Feature', geometry: { type: 'Point', coordinates: lonLat }, properties: { id } });
      applyScenario();
    });
    box.append(move, close);
    return box;
  });

  /** Forgets the scenario on the page: no edits, no markers, no closed rings, no id. */
  function discard() {
    state.scenario = emptyScenario();
    state.scenarioId = null;
    for (const marker of state.markers) marker.remove();
    state.markers = [];
    state.closed.clear();
    if (state.started) drawClosed();
  }

  resetButton.addEventListener('click', () => {
    discard();
    applyScenario();
  });

  return { addFacility, setAddMode, discard };
}
