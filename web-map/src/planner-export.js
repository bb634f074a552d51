// Downloads of the planner's tables as the server's own CSV exports (`format=csv` on
// /api/v1/coverage, /coverage/gaps, /indicators and POST /siting): UTF-8 with a BOM so that
// spreadsheet programs read the Chinese names right, every unit's district/township/community
// chain, and the query's parameters in the file name the server gives. Why not build the CSV
// here: the report must hold the same numbers and columns as `civmap coverage report`.
import { HttpError, noteStatus } from './api.js';

/**
 * The file name of a `Content-Disposition` header, or `fallback`.
 * @param {string | null} disposition
 * @param {string} fallback
 */
export function fileNameOf(disposition, fallback) {
  const match = disposition && /filename="([^"]+)"/.exec(disposition);
  return match ? match[1] : fallback;
}

/**
 * Fetches a CSV export (GET, or POST with a JSON `body`) and saves it as a file.
 * @param {string} url with `format=csv` already in it (or in `body`)
 * @param {unknown} [body]
 */
export async function downloadCsv(url, body) {
  /** @type {RequestInit} */
  const init = body === undefined ? {} : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
  const response = await fetch(url, init);
  noteStatus(url, response.status);
  if (!response.ok) {
    let apiMessage = '';
    try {
      const error = await response.json();
      apiMessage = error && error.error && error.error.message ? error.error.message : '';
    } catch {
      // Not a JSON error body; the status says enough.
    }
    throw new HttpError(url, response.status, apiMessage);
  }
  const blob = await response.blob();
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = fileNameOf(response.headers.get('Content-Disposition'), 'civmap.csv');
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}
