// Small SVG charts for the indicators panel: one horizontal bar per indicator (its value) with
// ticks at the 2022 and 2025 targets. Plain SVG: a dozen bars need no chart library.

const SVG = 'http://www.w3.org/2000/svg';

/**
 * @param {string} tag
 * @param {Record<string, string | number>} attrs
 * @param {string} [text]
 */
function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * A value in its unit (`count`, `share` 0–1 or `per_1000`, as the indicators route says).
 * @param {number | null | undefined} value
 * @param {string | undefined} unit
 */
function number(value, unit) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '–';
  if (unit === 'share') return `${(value * 100).toFixed(1)}%`;
  if (unit === 'per_1000') return `${value.toLocaleString('zh-CN', { maximumFractionDigits: 1 })}‰`;
  return value.toLocaleString('zh-CN', { maximumFractionDigits: 2 });
}

/**
 * A chart of `indicators` ([{name, value, target_2022, target_2025, pass}]): the bar is the
 * value (green when it passes, amber when not), the dashed tick the 2022 target and the solid
 * tick the 2025 target.
 * @param {import('./planner-state.js').Indicator[]} indicators
 */
export function indicatorChart(indicators) {
  const width = 300;
  const barWidth = 232;
  const rowHeight = 44;
  const chart = svg('svg', {
    class: 'indicator-chart',
    viewBox: `0 0 ${width} ${rowHeight * indicators.length + 4}`,
    role: 'img',
    'aria-label': '指标与目标 Indicators against their 2022 and 2025 targets',
  });
  indicators.forEach((indicator, i) => {
    const y = i * rowHeight + 2;
    const u = indicator.unit;
    const values = [indicator.value, indicator.target_2022, indicator.target_2025].flatMap((v) =>
      typeof v === 'number' && Number.isFinite(v) ? [v] : []
    );
    const max = Math.max(...values, 1e-9) * 1.1;
    const x = (/** @type {number} */ v) => (Math.max(0, v) / max) * barWidth;
    const row = svg('g', { 'data-indicator': indicator.id || indicator.name });
    row.append(svg('title', {}, `${indicator.name}: ${number(indicator.value, u)} (2022 ${number(indicator.target_2022, u)}, 2025 ${number(indicator.target_2025, u)})`));
    // Name above its bar; value right of it; targets below.
    row.append(svg('text', { x: 0, y: y + 10, class: 'indicator-name' }, indicator.name));
    row.append(svg('rect', { x: 0, y: y + 15, width: barWidth, height: 11, fill: '#f0f4f8' }));
    if (typeof indicator.value === 'number') {
      row.append(
        svg('rect', {
          x: 0,
          y: y + 15,
          width: Math.max(1, x(indicator.value)),
          height: 11,
          fill: indicator.pass === true ? '#3f9142' : indicator.pass === false ? '#f0b429' : '#9aa5b1',
          class: 'indicator-value',
        })
      );
    }
    for (const [key, dash] of /** @type {const} */ ([['target_2022', '3 2'], ['target_2025', '']])) {
      const target = indicator[key];
      if (typeof target === 'number') {
        row.append(svg('line', { x1: x(target), x2: x(target), y1: y + 12, y2: y + 29, stroke: '#1f2933', 'stroke-width': 1.5, 'stroke-dasharray': dash, class: key }));
      }
    }
    row.append(svg('text', { x: barWidth + 5, y: y + 24 }, `${number(indicator.value, u)}${indicator.pass === true ? ' ✓' : indicator.pass === false ? ' ✗' : ''}`));
    row.append(svg('text', { x: 0, y: y + 38, class: 'indicator-targets' }, `目标 target 2022 ${number(indicator.target_2022, u)} (- -) · 2025 ${number(indicator.target_2025, u)} (—)`));
    chart.append(row);
  });
  return chart;
}
