// The search box: an ARIA 1.2 combobox over /api/v1/autocomplete (as you type, debounced) and
// /api/v1/search (Enter with nothing shown for the text), accepting Chinese, pinyin, initials
// and English. Keys: ↓/↑ move through the options; one Enter goes to the highlighted option,
// else to the first option listed for the text in the box, else runs a full search and goes
// to its first result; Escape closes the list and then clears the box. Choosing an option
// hands its feature to `onChoose` (the page flies there and shows its details).
import { describeError, getJson, withQuery } from './api.js';
import { asOf } from './as-of.js';

const DEBOUNCE_MS = 120;
const AUTOCOMPLETE_LIMIT = 8;
const SEARCH_LIMIT = 15;

/** Chinese and English names for the gazetteer's kinds. */
/** @type {Record<string, string>} */
export const KIND_NAMES = {
  admin: '行政区 Area',
  road: '道路 Road',
  facility: '设施 Facility',
  doorplate: '门牌 Address',
  landmark: '地标 Landmark',
};

/**
 * Wires the combobox. `near()` gives `[lon, lat]` to bias full searches toward (the map centre);
 * `onChoose(feature)` runs when a result is chosen.
 * @param {object} options
 * @param {HTMLInputElement} options.input
 * @param {HTMLElement} options.list
 * @param {() => [number, number]} options.near
 * @param {(feature: any) => void} options.onChoose
 * @param {(text: string, isError?: boolean) => void} options.onStatus
 */
export function wireSearch({ input, list, near, onChoose, onStatus }) {
  /** @type {any[]} the features the list shows */
  let results = [];
  /** The text the list's results answer (the box may have changed since). */
  let shownQuery = '';
  let active = -1;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  let sequence = 0;
  /** @type {AbortController | null} */
  let inFlight = null;

  /** @param {boolean} isOpen */
  function open(isOpen) {
    list.hidden = !isOpen;
    input.setAttribute('aria-expanded', String(isOpen));
    if (!isOpen) setActive(-1);
  }

  /** @param {number} index */
  function setActive(index) {
    active = index;
    const options = list.querySelectorAll('[role="option"]');
    options.forEach((option, i) => option.setAttribute('aria-selected', String(i === index)));
    if (index >= 0 && options[index]) {
      input.setAttribute('aria-activedescendant', options[index].id);
      options[index].scrollIntoView({ block: 'nearest' });
    } else {
      input.removeAttribute('aria-activedescendant');
    }
  }

  /**
   * @param {any[]} features
   * @param {string} query
   */
  function render(features, query) {
    results = features;
    shownQuery = query;
    list.textContent = '';
    if (features.length === 0) {
      const empty = document.createElement('li');
      empty.className = 'empty';
      empty.setAttribute('role', 'presentation');
      empty.textContent = `无结果 No match for “${query}”`;
      list.append(empty);
    }
    features.forEach((feature, i) => {
      const p = feature.properties;
      const option = document.createElement('li');
      option.id = `search-option-${i}`;
      option.setAttribute('role', 'option');
      option.setAttribute('aria-selected', 'false');
      option.dataset.name = p.name;
      option.dataset.kind = p.kind;
      const name = document.createElement('span');
      name.className = 'option-name';
      name.textContent = p.name;
      const kind = document.createElement('span');
      kind.className = `option-kind kind-${p.kind}`;
      kind.textContent = KIND_NAMES[p.kind] || p.kind;
      const label = document.createElement('span');
      label.className = 'option-label';
      label.textContent = p.label || '';
      option.append(name, kind, label);
      // mousedown, not click: the input would lose focus (and the list close) first.
      option.addEventListener('mousedown', (event) => {
        event.preventDefault();
        choose(i);
      });
      list.append(option);
    });
    // A new list has nothing highlighted: Enter then goes to its first option.
    setActive(-1);
    open(true);
  }

  /**
   * Fetches `url` and lists its features; false when a newer request superseded it or it failed.
   * @param {string} url
   * @param {string} query
   */
  async function run(url, query) {
    const mine = (sequence += 1);
    if (inFlight) inFlight.abort();
    const controller = new AbortController();
    inFlight = controller;
    try {
      const body = await getJson(url, { signal: controller.signal });
      if (mine !== sequence) return false;
      render(body.features || [], query);
      return true;
    } catch (error) {
      if (error instanceof Error && error.name === 'AbortError') return false;
      onStatus(`搜索失败 Search failed: ${describeError(error)}`, true);
      return false;
    }
  }

  function autocomplete() {
    const query = input.value.trim();
    if (!query) {
      sequence += 1;
      results = [];
      list.textContent = '';
      open(false);
      return;
    }
    run(withQuery('/api/v1/autocomplete', { q: query, limit: AUTOCOMPLETE_LIMIT }), query);
  }

  /** Runs a full search for the text in the box and goes to its first result. */
  async function searchAndGo() {
    const query = input.value.trim();
    if (!query) return;
    clearTimeout(timer);
    const [lon, lat] = near();
    // as of a past day the server searches that edition's unit names (no bias point)
    const url = asOf()
      ? withQuery('/api/v1/search', { q: query, limit: SEARCH_LIMIT, as_of: asOf() })
      : withQuery('/api/v1/search', { q: query, limit: SEARCH_LIMIT, lon: lon.toFixed(5), lat: lat.toFixed(5) });
    if ((await run(url, query)) && results.length > 0 && input.value.trim() === query) {
      choose(0);
    }
  }

  /** @param {number} index */
  function choose(index) {
    const feature = results[index];
    if (!feature) return;
    input.value = feature.properties.name;
    open(false);
    onChoose(feature);
  }

  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(autocomplete, DEBOUNCE_MS);
  });
  input.addEventListener('keydown', (event) => {
    const count = results.length;
    switch (event.key) {
      case 'ArrowDown':
        event.preventDefault();
        if (list.hidden && count > 0) open(true);
        if (count > 0) setActive((active + 1) % count);
        break;
      case 'ArrowUp':
        event.preventDefault();
        if (list.hidden && count > 0) open(true);
        if (count > 0) setActive(active <= 0 ? count - 1 : active - 1);
        break;
      case 'Enter':
        event.preventDefault();
        if (!list.hidden && active >= 0) choose(active);
        else if (!list.hidden && results.length > 0 && shownQuery === input.value.trim()) choose(0);
        else searchAndGo();
        break;
      case 'Escape':
        if (!list.hidden) {
          event.preventDefault();
          open(false);
        } else if (input.value) {
          event.preventDefault();
          input.value = '';
        }
        break;
      default:
        break;
    }
  });
  input.addEventListener('blur', () => open(false));
  input.addEventListener('focus', () => {
    if (results.length > 0 && input.value.trim()) open(true);
  });
}
