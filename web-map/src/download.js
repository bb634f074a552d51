// Downloads of the server's own export files (the planner's CSV reports, the surveyor's
// GeoPackage, Shapefile, GeoJSON and CSV layers) through `fetch`, so that a failure is said on
// the page with its HTTP status instead of the browser saving an error body as the file. The
// session cookie goes with the page's same-origin fetches, so role-gated exports need no code
// here; the file name is the one the server gives in `Content-Disposition`.
import { httpErrorOf, noteStatus } from './api.js';

/**
 * The file name of a `Content-Disposition` header, or `fallback`.
 * @param {string | null} disposition
 * @param {string} fallback
 * @example
 * fileNameOf('attachment; filename="boundaries_district.gpkg"', 'civmap') // 'boundaries_district.gpkg'
 */
export function fileNameOf(disposition, fallback) {
  const match = disposition && /filename="([^"]+)"/.exec(disposition);
  return match ? match[1] : fallback;
}

/**
 * Fetches an export (GET, or POST with a JSON `body`) and saves it as a file. Resolves to the
 * name it was saved under; rejects with an `HttpError` when the server refuses.
 * @param {string} url
 * @param {{ body?: unknown, fallbackName: string }} options `fallbackName` when the server
 *   gives no file name
 * @returns {Promise<string>}
 */
export async function downloadFile(url, { body, fallbackName }) {
  /** @type {RequestInit} */
  const init = body === undefined ? {} : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
  const response = await fetch(url, init);
  noteStatus(url, response.status);
  if (!response.ok) throw await httpErrorOf(url, response);
  const blob = await response.blob();
  const name = fileNameOf(response.headers.get('Content-Disposition'), fallbackName);
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  return name;
}
