// The date picker (issue 15): "as it stood on" one of the editions of the division list
// (GET /api/v1/editions). Picking a past edition reloads the admin tiles with `as_of=` (their
// boundaries and labels are that edition's; facilities and doorplates stay today's) and sends
// the same `as_of` with the search and click (reverse) queries. `#as-of[data-as-of]` says what
// the map shows ('' for today), once its tiles are asked for.
import { getJson } from './api.js';

let current = '';

/** The day the map shows, `YYYY-MM-DD`, or '' for today. */
export function asOf() {
  return current;
}

/**
 * Fills the picker and wires it to the map's `civmap` vector source.
 * @param {maplibregl.Map} map
 * @param {string[]} tiles today's tile URL templates
 */
export async function wireAsOf(map, tiles) {
  const select = /** @type {HTMLSelectElement} */ (document.getElementById('as-of'));
  /** @type {{ editions: { id: string, date: string }[] }} */
  const { editions } = await getJson('/api/v1/editions');
  // the newest edition is today's data: the pickable past is the editions before it
  for (const e of editions.slice(0, -1).reverse()) {
    const option = document.createElement('option');
    option.value = e.date;
    option.textContent = `${e.date} (${e.id})`;
    select.append(option);
  }
  select.addEventListener('change', () => {
    current = select.value;
    const suffix = current ? `?as_of=${current}` : '';
    const source = /** @type {{ setTiles(urls: string[]): unknown }} */ (/** @type {unknown} */ (map.getSource('civmap')));
    source.setTiles(tiles.map((url) => `${url}${suffix}`));
    select.dataset.asOf = current;
  });
  select.dataset.asOf = '';
  select.disabled = false;
}
