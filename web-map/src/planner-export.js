// The CSV export of the coverage report on screen: one row per unit, with the category,
// walking time and scenario it is for, UTF-8 with a BOM so that spreadsheet programs read the
// Chinese names right.

const COLUMNS = ['code', 'name', 'level', 'population', 'covered_population', 'elderly', 'covered_elderly', 'share_elderly'];

/** One CSV field, quoted when it holds a quote, comma or line break. */
function quote(/** @type {unknown} */ value) {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * The report as CSV text (header and one line per unit, `\n`-terminated).
 * @param {import('./planner-state.js').CoverageReport} report
 * @param {import('./planner-state.js').PlannerParams} params
 */
export function coverageCsv(report, params) {
  const lines = [
    ['category', 'minutes', 'scenario', ...COLUMNS].join(','),
    ...report.units.map((u) => {
      const unit = /** @type {Record<string, unknown>} */ (u);
      return [params.category, params.minutes, params.scenario || '', ...COLUMNS.map((c) => unit[c])].map(quote).join(',');
    }),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * Downloads the report as `civmap-coverage-CATEGORY-Nmin-LEVEL[-SCENARIO].csv`.
 * @param {import('./planner-state.js').CoverageReport} report
 * @param {import('./planner-state.js').PlannerParams} params
 */
export function downloadCoverageCsv(report, params) {
  const blob = new Blob([`\ufeff${coverageCsv(report, params)}`], { type: 'text/csv;charset=utf-8' });
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = `civmap-coverage-${params.category}-${params.minutes}min-${params.level}${params.scenario ? `-${params.scenario}` : ''}.csv`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}
