// Downloads of the planner's tables as the server's own CSV exports (`format=csv` on
// /api/v1/coverage, /coverage/gaps, /indicators and POST /siting): UTF-8 with a BOM so that
// spreadsheet programs read the Chinese names right, every unit's district/township/community
// chain, and the query's parameters in the file name the server gives. Why not build the CSV
// here: the report must hold the same numbers and columns as `civmap coverage report`.
import { downloadFile } from './download.js';

/**
 * Fetches a CSV export (GET, or POST with a JSON `body`) and saves it as a file.
 * @param {string} url with `format=csv` already in it (or in `body`)
 * @param {unknown} [body]
 */
export async function downloadCsv(url, body) {
  await downloadFile(url, { body, fallbackName: 'civmap.csv' });
}
