// The surveyor's GIS exports: one button per layer (units, boundary lines, markers, validation
// errors), in the format and CRS chosen beside them, each a download of
// GET /api/v1/export/{layer}?format=…&crs=…[&level=…] made with the session's cookie (the
// route needs a surveyor). The server writes the files (GeoPackage, a zipped Shapefile,
// GeoJSON, CSV) and names them; a refusal is said in the status line with its HTTP status.
import { describeError, withQuery } from './api.js';
import { downloadFile } from './download.js';

/** The layers whose export follows the view's level (markers have none). */
const LEVELLED = new Set(['admin', 'boundaries', 'validation']);
/** The file ending per format, for a server that names no file. */
/** @type {Record<string, string>} */
const ENDINGS = { gpkg: 'gpkg', shp: 'zip', geojson: 'geojson', csv: 'csv' };

/**
 * The export URL of `layer` in `format` and `crs` at `level`.
 * @param {string} layer admin, boundaries, markers or validation
 * @param {{ format: string, crs: string, level: string }} choice
 * @example
 * exportUrl('boundaries', { format: 'gpkg', crs: 'EPSG:4549', level: 'district' })
 * // '/api/v1/export/boundaries?format=gpkg&crs=EPSG%3A4549&level=district'
 */
export function exportUrl(layer, { format, crs, level }) {
  return withQuery(`/api/v1/export/${encodeURIComponent(layer)}`, { format, crs, level: LEVELLED.has(layer) ? level : null });
}

/**
 * @typedef {object} ExportControls
 * @property {HTMLElement} group holds the buttons (`data-export-layer` names each one's layer)
 * @property {HTMLSelectElement} formatSelect
 * @property {HTMLSelectElement} crsSelect
 * @property {() => string} level the view's level
 * @property {(text: string, isError?: boolean) => void} setStatus
 */

/**
 * Wires the export buttons.
 * @param {ExportControls} controls
 */
export function wireSurveyExports({ group, formatSelect, crsSelect, level, setStatus }) {
  for (const button of group.querySelectorAll('button[data-export-layer]')) {
    if (!(button instanceof HTMLButtonElement)) continue;
    const layer = button.dataset.exportLayer || '';
    button.addEventListener('click', async () => {
      const choice = { format: formatSelect.value, crs: crsSelect.value, level: level() };
      button.disabled = true;
      button.setAttribute('aria-busy', 'true');
      setStatus(`导出 Exporting ${layer} (${choice.format}, ${choice.crs})…`);
      try {
        const name = await downloadFile(exportUrl(layer, choice), { fallbackName: `${layer}.${ENDINGS[choice.format] || choice.format}` });
        setStatus(`已导出 Exported ${name}`);
      } catch (error) {
        setStatus(`导出失败 Export of ${layer} failed: ${describeError(error)}`, true);
      } finally {
        button.disabled = false;
        button.removeAttribute('aria-busy');
      }
    });
  }
}
