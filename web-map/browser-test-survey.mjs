// The surveyor view's browser suites, run through browser-test.mjs (`--suite surveyor` and
// `--suite surveyor-damaged`), which passes in its shared helpers (`kit`): opening the page in
// test mode, checks, pixel reads, map waits.
//
// surveyor (the default city): anonymous, the 边界 Surveyor tab opens by keyboard and shows the
// boundary lines, validation and markers but no diff or exports; a district line clicked on
// the map shows the length the API gives; the validation list says plainly that there are no
// errors (the API's answer). Signed in as CIVMAP_E2E_SURVEYOR (password in
// CIVMAP_E2E_SURVEYOR_PASSWORD) through the header's form: two markers created through the
// API are drawn in their status's legend colour, a survey with one township line bent 10 m is
// diffed and lists exactly that line and the two townships beside it, and an export downloads
// with the server's file name and type.
//
// surveyor-damaged (a server on a damaged copy of the frame): the error list shows every error
// the API reports, in its order, with its rule and codes, the counts per rule, and a click on
// an error flies the map to it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Degrees of latitude and longitude per metre near Hangzhou (30°N), for the 10 m bend. */
const M_PER_DEG_LAT = 110_852;
const mPerDegLon = (lat) => 111_320 * Math.cos((lat * Math.PI) / 180);
const BEND_M = 10;

/** Waits until a survey box has answered; fails with its text when it says an error. */
export async function waitForBox(kit, page, id) {
  await page.waitForFunction((box) => ['ready', 'error'].includes(document.getElementById(box).dataset.state), id, { timeout: kit.TIMEOUT_MS });
  const state = await page.getAttribute(`#${id}`, 'data-state');
  kit.check(state === 'ready', `#${id} failed: ${await page.textContent(`#${id}`)}`);
}

/** GET a JSON route from inside the page (with its cookie); fails on a non-200 answer. */
export async function pageJson(kit, page, path, init) {
  const answer = await page.evaluate(
    async ([p, i]) => {
      const r = await fetch(p, i || undefined);
      const text = await r.text();
      return { status: r.status, text };
    },
    [path, init || null]
  );
  kit.check(answer.status >= 200 && answer.status < 300, `${init && init.method ? init.method : 'GET'} ${path}: HTTP ${answer.status} ${answer.text.slice(0, 300)}`);
  return answer.text ? JSON.parse(answer.text) : null;
}

/** The validation box against the API's report: counts, rows in order, rules and codes. */
async function checkValidationList(kit, page, validation) {
  const shown = await page.evaluate(() => {
    const box = document.getElementById('survey-validation');
    const rows = (selector) => [...document.querySelectorAll(selector)].map((li) => ({ rule: li.dataset.rule, codes: li.dataset.codes, marker: li.dataset.marker || null, text: li.textContent }));
    return {
      errors: Number(box.dataset.errors),
      excepted: Number(box.dataset.excepted),
      none: document.getElementById('survey-no-errors')?.textContent || null,
      rows: rows('#survey-error-list > li'),
      exceptedRows: rows('#survey-excepted-list > li'),
      counts: Object.fromEntries([...document.querySelectorAll('#survey-rule-counts li')].map((li) => [li.dataset.rule, Number(li.dataset.count)])),
    };
  });
  kit.check(shown.errors === validation.errors.length, `the page shows ${shown.errors} errors, the API reports ${validation.errors.length}`);
  kit.check(shown.excepted === (validation.excepted || []).length, `the page shows ${shown.excepted} excepted errors, the API ${(validation.excepted || []).length}`);
  if (validation.errors.length === 0) {
    kit.check(shown.none === '无拓扑错误 No errors', `no errors, and the list says "${shown.none}"`);
    kit.check(shown.rows.length === 0, `no errors, and the list has ${shown.rows.length} rows`);
  } else {
    kit.check(shown.none === null, 'the list says there are no errors while the API reports some');
    const listed = Math.min(validation.errors.length, 300);
    kit.check(shown.rows.length === listed, `${shown.rows.length} rows for ${validation.errors.length} errors`);
    validation.errors.slice(0, listed).forEach((e, i) => {
      const row = shown.rows[i];
      kit.check(row.rule === e.rule && row.codes === e.codes.join(',') && row.marker === (e.marker || null), `error row ${i}: ${JSON.stringify(row)}, the API: ${e.rule} ${e.codes} ${e.marker || ''}`);
      kit.check(row.text.includes(e.detail), `error row ${i} lacks its detail "${e.detail}": ${row.text}`);
    });
    const counted = {};
    for (const e of validation.errors) counted[e.rule] = (counted[e.rule] || 0) + 1;
    const expectedCounts = Object.fromEntries(Object.entries(validation.counts || counted).filter(([, n]) => n > 0));
    kit.check(JSON.stringify(Object.entries(shown.counts).sort()) === JSON.stringify(Object.entries(expectedCounts).sort()), `counts per rule: page ${JSON.stringify(shown.counts)}, API ${JSON.stringify(expectedCounts)}`);
  }
  return shown;
}

/** The vertices of a line feature's first part. */
const lineCoords = (line) => (line.geometry.type === 'MultiLineString' ? line.geometry.coordinates[0] : line.geometry.coordinates);

/** The middle vertex of a line feature, away from its junction ends. */
function middleVertex(line) {
  const coords = lineCoords(line);
  if (coords.length >= 3) return coords[Math.floor(coords.length / 2)];
  return [(coords[0][0] + coords[1][0]) / 2, (coords[0][1] + coords[1][1]) / 2];
}

/** The ends `[a, b]` of a line's longest segment (in degrees, which is enough to choose). */
function longestSegment(line) {
  const coords = lineCoords(line);
  const length = (i) => Math.hypot(coords[i + 1][0] - coords[i][0], coords[i + 1][1] - coords[i][1]);
  let best = 0;
  for (let i = 1; i < coords.length - 1; i += 1) if (length(i) > length(best)) best = i;
  return [coords[best], coords[best + 1]];
}

/** The point a share `t` of the way from `a` to `b`. */
const along = (a, b, t) => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];

/**
 * A survey of the townships with the line `line` bent: its longest segment gets a new vertex
 * 10 m off its midpoint (at right angles), in both townships' rings, so the line's ends (the
 * junctions with other lines) and every other line stay where they are.
 */
function bendLine(kit, townships, line) {
  const [a, b] = longestSegment(line);
  const lat = (a[1] + b[1]) / 2;
  const dx = (b[0] - a[0]) * mPerDegLon(lat);
  const dy = (b[1] - a[1]) * M_PER_DEG_LAT;
  const length = Math.hypot(dx, dy);
  const bent = [(a[0] + b[0]) / 2 + ((-dy / length) * BEND_M) / mPerDegLon(lat), lat + ((dx / length) * BEND_M) / M_PER_DEG_LAT];
  // Within 2e-7° (2 cm): the lines may be built from snapped vertices.
  const same = (p, q) => Math.abs(p[0] - q[0]) < 2e-7 && Math.abs(p[1] - q[1]) < 2e-7;
  let inserted = 0;
  const survey = {
    type: 'FeatureCollection',
    features: townships.features.map((f) => {
      const code = f.properties.code;
      if (code !== line.properties.left && code !== line.properties.right) return { type: 'Feature', geometry: f.geometry, properties: { code, name: f.properties.name } };
      const polygons = f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates;
      const changed = polygons.map((rings) =>
        rings.map((ring) => {
          const out = [];
          for (let i = 0; i < ring.length; i += 1) {
            out.push(ring[i]);
            const next = ring[i + 1];
            if (next && ((same(ring[i], a) && same(next, b)) || (same(ring[i], b) && same(next, a)))) {
              out.push(bent);
              inserted += 1;
            }
          }
          return out;
        })
      );
      return { type: 'Feature', geometry: f.geometry.type === 'Polygon' ? { type: 'Polygon', coordinates: changed[0] } : { type: 'MultiPolygon', coordinates: changed }, properties: { code, name: f.properties.name } };
    }),
  };
  // Null when the segment is not a ring edge of both sides (a line along a district border
  // takes the district's finer vertices).
  return inserted === 2 ? { survey, bent } : null;
}

export const SURVEY_SUITES = {
  /** The surveyor view on the default city (see the top of this file). */
  async surveyor(kit, { browser, url, artifacts, problems, report }) {
    const name = process.env.CIVMAP_E2E_SURVEYOR;
    const password = process.env.CIVMAP_E2E_SURVEYOR_PASSWORD;
    kit.check(name && password, 'the surveyor suite needs CIVMAP_E2E_SURVEYOR and CIVMAP_E2E_SURVEYOR_PASSWORD');
    const expectedErrors = {};
    report.expected_http_errors = expectedErrors;
    const { page, debug, context } = await kit.openMap(browser, url, { width: 1280, height: 800 }, problems, kit.EXPECTED_HTTP_ERRORS.surveyor, expectedErrors);
    const surveyorOnly = ['#survey-diff-box', '#survey-export-actions', '#survey-file', '[data-export-layer="boundaries"]'];
    const visibleOf = async (selectors) => {
      const shown = [];
      for (const selector of selectors) if (await page.isVisible(selector)) shown.push(selector);
      return shown;
    };

    // The tab by keyboard: ← from 查询 Explore wraps round to the last tab, 调整 Proposals, and
    // two more ← (past 地名 Names) reach 边界 Surveyor.
    await page.focus('#tab-explore');
    await page.keyboard.press('ArrowLeft');
    kit.check((await page.getAttribute('#tab-proposals', 'aria-selected')) === 'true', '← from the first tab does not select the last, 调整 Proposals');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    kit.check((await page.getAttribute('#tab-survey', 'aria-selected')) === 'true', '← ← from 调整 Proposals does not select 边界 Surveyor');
    kit.check(await page.evaluate(() => document.activeElement && document.activeElement.id === 'tab-survey'), 'the focus did not move to the 边界 Surveyor tab');
    kit.check(await page.isVisible('#view-survey') && !(await page.isVisible('#view-explore')) && !(await page.isVisible('#view-planner')), 'the surveyor tab does not show (only) its view');
    kit.check((await visibleOf(surveyorOnly)).length === 0, `an anonymous visitor sees ${await visibleOf(surveyorOnly)}`);
    kit.check(await page.isVisible('#survey-hint'), 'an anonymous visitor sees no hint to sign in as a surveyor');

    // Boundary lines of the districts: the card counts the API's lines, and a district line
    // clicked on the map shows the API's length (CGCS2000) in its popup.
    await waitForBox(kit, page, 'survey-lines');
    const lines = await pageJson(kit, page, '/api/v1/boundaries?level=district');
    const inner = lines.features.filter((f) => f.properties.right !== null && f.properties.level === 'district');
    report.district_lines = { all: lines.features.length, inner: inner.length };
    kit.check(inner.length > 0, 'the API gives no line between two districts');
    kit.check((await page.getAttribute('#survey-lines', 'data-lines')) === String(lines.features.length), `the card counts ${await page.getAttribute('#survey-lines', 'data-lines')} lines, the API ${lines.features.length}`);
    const line = inner.slice().sort((x, y) => y.properties.length_m - x.properties.length_m)[0];
    const at = middleVertex(line);
    await page.evaluate(([{ map }, centre]) => map.jumpTo({ center: centre, zoom: 13 }), [debug, at]);
    await kit.waitForMapIdle(page, debug);
    const px = await kit.project(page, debug, at);
    await page.mouse.click(px[0], px[1]);
    await page.waitForSelector('.maplibregl-popup .survey-popup[data-kind="line"]', { timeout: kit.TIMEOUT_MS });
    const popup = await page.$eval('.maplibregl-popup .survey-popup', (p) => ({ id: p.dataset.id, length: p.dataset.lengthM, text: p.textContent }));
    report.line_popup = { id: popup.id, length_m: popup.length, api_length_m: line.properties.length_m };
    kit.check(popup.id === line.properties.id, `clicked line ${line.properties.id} at ${at}, the popup shows ${popup.id}`);
    kit.check(popup.length === String(line.properties.length_m), `the popup's length ${popup.length} m, the API's ${line.properties.length_m} m`);
    kit.check(popup.text.includes(line.properties.length_m.toFixed(2)) && popup.text.includes(line.properties.left_name || line.properties.left), `the popup reads "${popup.text}"`);
    const listed = await page.getAttribute(`#survey-line-list li[data-id="${line.properties.id}"]`, 'data-length-m');
    kit.check(listed === String(line.properties.length_m), `the list gives ${line.properties.id} ${listed} m`);
    const labels = await page.evaluate(({ map }) => map.queryRenderedFeatures({ layers: ['survey-lines-label'] }).map((f) => f.properties.label), debug);
    kit.check(labels.length > 0, 'no length labels drawn along the lines');
    await page.screenshot({ path: join(artifacts, 'survey-lines.png') });

    // Validation of the default city: the API's answer, which must be 0 errors, said plainly.
    await waitForBox(kit, page, 'survey-validation');
    const validation = await pageJson(kit, page, '/api/v1/validation');
    report.validation = { valid: validation.valid, errors: validation.errors.length, excepted: (validation.excepted || []).length };
    await checkValidationList(kit, page, validation);
    kit.check(validation.valid === true && validation.errors.length === 0, `the default city reports ${validation.errors.length} errors`);

    // Sign in as the surveyor through the header's form.
    const who = await kit.signIn(page, name, password);
    report.signed_in = who;
    kit.check(who.name === name && who.role === 'surveyor', `the header says ${JSON.stringify(who)}`);
    kit.check((await visibleOf(surveyorOnly)).length === surveyorOnly.length, `a surveyor sees only ${await visibleOf(surveyorOnly)}`);
    kit.check(!(await page.isVisible('#survey-hint')), 'a surveyor still sees the hint to sign in');

    // Markers: two created through the API on the district line, drawn in their status's colour.
    const stamp = Date.now().toString(36).toUpperCase();
    // On the line's longest segment, 40 % and 60 % of the way along: on the line, apart, and
    // both in one view.
    const [segA, segB] = longestSegment(line);
    const spots = [along(segA, segB, 0.4), along(segA, segB, 0.6)];
    const created = [];
    for (const [i, status] of ['damaged', 'lost'].entries()) {
      // Register numbers end with their type code (`…-003A`).
      const marker = { number: `E2E-${stamp}-${i + 1}A`, line: line.properties.id, lon: spots[i][0], lat: spots[i][1], kind: 'A', status };
      await pageJson(kit, page, '/api/v1/markers', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(marker) });
      created.push(marker);
    }
    report.markers_created = created.map((m) => m.number);
    await page.click('#survey-reload');
    await page.waitForFunction((n) => document.getElementById('survey-markers').dataset.state !== 'loading' && [...document.querySelectorAll('#survey-marker-legend li')].length > 0 && document.getElementById('survey-markers').dataset.markers !== undefined && Number(document.getElementById('survey-markers').dataset.markers) >= n, created.length, { timeout: kit.TIMEOUT_MS });
    await waitForBox(kit, page, 'survey-markers');
    const register = await pageJson(kit, page, '/api/v1/markers');
    const legend = await page.$$eval('#survey-marker-legend li', (items) => Object.fromEntries(items.map((li) => [li.dataset.status, { count: Number(li.dataset.count), colour: li.dataset.colour }])));
    report.marker_legend = legend;
    for (const status of ['intact', 'damaged', 'moved', 'lost', 'obscured']) {
      const n = register.features.filter((f) => f.properties.status === status).length;
      kit.check(legend[status] && legend[status].count === n, `the legend counts ${legend[status] && legend[status].count} ${status} markers, the API ${n}`);
    }
    kit.check(new Set(Object.values(legend).map((l) => l.colour)).size === Object.keys(legend).length, `two statuses share a colour: ${JSON.stringify(legend)}`);
    for (const m of created) kit.check(register.features.some((f) => f.properties.number === m.number && f.properties.status === m.status), `the register lacks ${m.number} (${m.status})`);
    // Framed right of the panel (≈ 360 px) and above the notice.
    await page.evaluate(([{ map }, [p, q]]) => map.fitBounds([[Math.min(p[0], q[0]), Math.min(p[1], q[1])], [Math.max(p[0], q[0]), Math.max(p[1], q[1])]], { padding: { left: 460, right: 80, top: 80, bottom: 160 }, maxZoom: 14, animate: false }), [debug, spots]);
    await kit.waitForMapIdle(page, debug);
    const drawnAt = [];
    for (const m of created) drawnAt.push(await kit.project(page, debug, [m.lon, m.lat]));
    // Moved out of the way: the popup, the tooltip and the pointer.
    await page.evaluate(() => document.querySelectorAll('.maplibregl-popup').forEach((p) => p.remove()));
    await page.mouse.move(5, 795);
    const shot = await page.screenshot({ path: join(artifacts, 'survey-markers.png') });
    const pixels = await kit.pixelsAt(page, shot, drawnAt);
    const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    report.marker_pixels = {};
    created.forEach((m, i) => {
      const [x, y] = drawnAt[i];
      const onScreen = x > 360 && x < 1270 && y > 10 && y < 790;
      kit.check(onScreen, `marker ${m.number} is drawn off the map's free area at ${drawnAt[i]}`);
      const want = rgb(legend[m.status].colour);
      const got = pixels.at[i];
      report.marker_pixels[m.number] = { status: m.status, pixel: got, legend: want };
      kit.check(got.every((v, k) => Math.abs(v - want[k]) <= 24), `marker ${m.number} (${m.status}) is drawn ${got}, its legend colour is ${want}`);
    });
    await page.mouse.click(drawnAt[0][0], drawnAt[0][1]);
    await page.waitForSelector('.maplibregl-popup .survey-popup[data-kind="marker"]', { timeout: kit.TIMEOUT_MS });
    const markerPopup = await page.$eval('.maplibregl-popup .survey-popup', (p) => ({ number: p.dataset.number, status: p.dataset.status }));
    kit.check(markerPopup.number === created[0].number && markerPopup.status === created[0].status, `clicked ${created[0].number}, the popup shows ${JSON.stringify(markerPopup)}`);

    // Survey diff: the townships with one township line bent 10 m. The page lists exactly
    // that line and the two townships beside it, as the API answers the same file.
    const townships = await pageJson(kit, page, '/api/v1/admin?level=township');
    const townshipLines = await pageJson(kit, page, '/api/v1/boundaries?level=township');
    // The longest line between two townships whose longest segment is an edge of both.
    const candidates = townshipLines.features.filter((f) => f.properties.right !== null).sort((x, y) => y.properties.length_m - x.properties.length_m);
    const target = candidates.find((f) => bendLine(kit, townships, f) !== null);
    kit.check(target, `none of ${candidates.length} township lines has a segment that is an edge of both its townships`);
    // A file that is not GeoJSON is refused on the page, naming the file.
    await page.setInputFiles('#survey-file', { name: 'not-a-survey.json', mimeType: 'application/json', buffer: Buffer.from('{"type": "Feature"') });
    await page.click('#survey-diff-run');
    await page.waitForFunction(() => document.getElementById('survey-diff').dataset.state === 'error', null, { timeout: kit.TIMEOUT_MS });
    const refused = await page.textContent('#survey-diff');
    report.diff_bad_file = refused;
    kit.check(refused.includes('not-a-survey.json') && refused.includes('not JSON'), `a broken file is said as "${refused}"`);
    const { survey, bent } = bendLine(kit, townships, target);
    report.diff_target = { id: target.properties.id, left: target.properties.left, right: target.properties.right, bent };
    await page.setInputFiles('#survey-file', { name: 'survey-bent.geojson', mimeType: 'application/geo+json', buffer: Buffer.from(JSON.stringify(survey)) });
    await page.click('#survey-diff-run');
    await waitForBox(kit, page, 'survey-diff');
    const shownDiff = await page.evaluate(() => ({
      units: [...document.querySelectorAll('#survey-diff-units tr[data-code]')].map((r) => ({ code: r.dataset.code, status: r.dataset.status })),
      lines: [...document.querySelectorAll('#survey-diff-lines li')].map((li) => ({ id: li.dataset.id, left: li.dataset.left, right: li.dataset.right, status: li.dataset.status, hausdorff: Number(li.dataset.hausdorffM) })),
    }));
    report.diff_shown = shownDiff;
    const sides = [target.properties.left, target.properties.right].sort();
    kit.check(JSON.stringify(shownDiff.units.map((u) => u.code).sort()) === JSON.stringify(sides) && shownDiff.units.every((u) => u.status === 'changed'), `the diff lists units ${JSON.stringify(shownDiff.units)}, expected ${sides} changed`);
    kit.check(shownDiff.lines.length === 1, `the diff lists ${shownDiff.lines.length} lines: ${JSON.stringify(shownDiff.lines)}`);
    const moved = shownDiff.lines[0];
    kit.check([moved.left, moved.right].sort().join() === sides.join() && moved.status === 'changed', `the diff's line is ${JSON.stringify(moved)}, expected ${sides}`);
    kit.check(moved.id === '' || moved.id === target.properties.id, `the diff's line has id ${moved.id}, the register's ${target.properties.id}`);
    kit.check(Math.abs(moved.hausdorff - BEND_M) < 0.2, `the bent line's Hausdorff distance is ${moved.hausdorff} m, not ${BEND_M} m`);
    const serverDiff = await pageJson(kit, page, '/api/v1/survey/diff', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(survey) });
    kit.check(serverDiff.lines.length === shownDiff.lines.length && serverDiff.units.length === shownDiff.units.length, `the API's diff has ${serverDiff.units.length} units and ${serverDiff.lines.length} lines, the page ${shownDiff.units.length} and ${shownDiff.lines.length}`);
    kit.check(String(serverDiff.lines[0].hausdorff_m) === String(moved.hausdorff), `the page's Hausdorff ${moved.hausdorff}, the API's ${serverDiff.lines[0].hausdorff_m}`);
    // The same survey as a GeoPackage (written by GDAL's ogr2ogr): posted as a multipart form,
    // the same lines and units.
    const gpkgDir = mkdtempSync(join(tmpdir(), 'civmap-survey-'));
    try {
      writeFileSync(join(gpkgDir, 'survey.geojson'), JSON.stringify(survey));
      execFileSync('ogr2ogr', ['-f', 'GPKG', join(gpkgDir, 'survey-bent.gpkg'), join(gpkgDir, 'survey.geojson'), '-nln', 'survey'], { stdio: 'pipe' });
      await page.setInputFiles('#survey-file', { name: 'survey-bent.gpkg', mimeType: 'application/geopackage+sqlite3', buffer: readFileSync(join(gpkgDir, 'survey-bent.gpkg')) });
    } finally {
      rmSync(gpkgDir, { recursive: true, force: true });
    }
    const [gpkgRequest] = await Promise.all([page.waitForRequest((r) => new URL(r.url()).pathname === '/api/v1/survey/diff', { timeout: kit.TIMEOUT_MS }), page.click('#survey-diff-run')]);
    kit.check((gpkgRequest.headers()['content-type'] || '').startsWith('multipart/form-data'), `a GeoPackage is posted as ${gpkgRequest.headers()['content-type']}`);
    // (The submit handler says `loading` before its first await, so the box is not the last
    // answer's any more once the click returns.)
    await waitForBox(kit, page, 'survey-diff');
    const gpkgDiff = await page.evaluate(() => ({
      file: document.querySelector('#survey-diff .card-title')?.textContent,
      units: [...document.querySelectorAll('#survey-diff-units tr[data-code]')].map((r) => r.dataset.code).sort(),
      lines: [...document.querySelectorAll('#survey-diff-lines li')].map((li) => [li.dataset.left, li.dataset.right].sort().join('|')),
    }));
    report.diff_gpkg = gpkgDiff;
    kit.check(gpkgDiff.file === 'survey-bent.gpkg', `the panel shows ${gpkgDiff.file}, not the GeoPackage's diff`);
    kit.check(JSON.stringify(gpkgDiff.units) === JSON.stringify(sides) && gpkgDiff.lines.length === 1 && gpkgDiff.lines[0] === sides.join('|'), `the GeoPackage's diff: ${JSON.stringify(gpkgDiff)}`);
    await page.click('#survey-diff-lines li button');
    await kit.waitForMapIdle(page, debug);
    const diffDrawn = await page.evaluate(({ map }) => map.queryRenderedFeatures({ layers: ['survey-diff-lines'] }).length, debug);
    kit.check(diffDrawn > 0, 'the moved line is not drawn on the map');
    await page.screenshot({ path: join(artifacts, 'survey-diff.png') });

    // Export: the boundary lines as a GeoPackage in the GK zone, downloaded with the session.
    await page.selectOption('#survey-export-format', 'gpkg');
    await page.selectOption('#survey-export-crs', 'EPSG:4549');
    const [answer, download] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/export/boundaries', { timeout: kit.TIMEOUT_MS }),
      page.waitForEvent('download', { timeout: kit.TIMEOUT_MS }),
      page.click('[data-export-layer="boundaries"]'),
    ]);
    const headers = answer.headers();
    const query = new URL(answer.url()).searchParams;
    const bytes = Buffer.concat(await (await download.createReadStream()).toArray());
    report.export = { status: answer.status(), type: headers['content-type'], disposition: headers['content-disposition'], file: download.suggestedFilename(), bytes: bytes.length };
    kit.check(answer.status() === 200, `the export answered HTTP ${answer.status()}`);
    kit.check(query.get('format') === 'gpkg' && query.get('crs') === 'EPSG:4549' && query.get('level') === 'district', `the export asked ${answer.url()}`);
    kit.check(/attachment/.test(headers['content-disposition'] || '') && /\.gpkg"?$/.test(headers['content-disposition'] || ''), `Content-Disposition: ${headers['content-disposition']}`);
    kit.check(download.suggestedFilename().endsWith('.gpkg'), `the download is named ${download.suggestedFilename()}`);
    kit.check(bytes.subarray(0, 16).toString('latin1') === 'SQLite format 3\u0000', 'the GeoPackage is not an SQLite file');

    // Sign out: the diff and the exports go, and so does the diff drawn.
    await page.click('#sign-out');
    await page.waitForFunction(() => document.getElementById('account').dataset.state === 'anonymous', null, { timeout: kit.TIMEOUT_MS });
    kit.check((await visibleOf(surveyorOnly)).length === 0, `after signing out the page still shows ${await visibleOf(surveyorOnly)}`);
    const diffAfter = await page.evaluate(({ map }) => map.getSource('survey-diff').serialize().data.features.length, debug);
    kit.check(diffAfter === 0, 'the diff stays drawn after signing out');
    await context.close();
  },

  /** The validation list on a damaged frame (see the top of this file). */
  async 'surveyor-damaged'(kit, { browser, url, artifacts, problems, report }) {
    const { page, debug, context } = await kit.openMap(browser, url, { width: 1280, height: 800 }, problems, kit.EXPECTED_HTTP_ERRORS['surveyor-damaged']);
    await page.click('#tab-survey');
    await waitForBox(kit, page, 'survey-validation');
    const validation = await pageJson(kit, page, '/api/v1/validation');
    const shown = await checkValidationList(kit, page, validation);
    report.validation = { valid: validation.valid, errors: validation.errors.length, counts: shown.counts };
    kit.check(validation.errors.length > 0 && validation.valid === false, `the damaged frame reports ${validation.errors.length} errors`);
    // Each error is drawn: as many error features on the map's source as the API reports.
    const drawn = await page.evaluate(({ map }) => map.getSource('survey-errors').serialize().data.features.length, debug);
    kit.check(drawn === validation.errors.length + (validation.excepted || []).length, `${drawn} errors on the map for ${validation.errors.length}`);
    // A click on an error row flies the map to it and outlines it.
    const pick = validation.errors.findIndex((e) => e.geometry && e.geometry.type !== 'Point') >= 0 ? validation.errors.findIndex((e) => e.geometry && e.geometry.type !== 'Point') : 0;
    await page.click(`#survey-error-list li[data-index="${pick}"] button`);
    await page.waitForFunction(({ map }) => map.isMoving(), debug, { timeout: kit.TIMEOUT_MS }).catch(() => {});
    await kit.waitForMapIdle(page, debug);
    const where = await page.evaluate(([{ map }, geometry]) => {
      const flat = [];
      const walk = (c) => (typeof c[0] === 'number' ? flat.push(c) : c.forEach(walk));
      walk(geometry.coordinates);
      const b = map.getBounds();
      return { inside: flat.every(([x, y]) => b.contains([x, y])), zoom: map.getZoom(), selected: JSON.stringify(map.getFilter('survey-errors-selected')) };
    }, [debug, validation.errors[pick].geometry]);
    report.flew_to_error = { index: pick, rule: validation.errors[pick].rule, ...where };
    kit.check(where.inside, `after a click on error ${pick} the map does not show it`);
    kit.check(where.selected.includes(String(pick)), `error ${pick} is not outlined: ${where.selected}`);
    const popupRule = await page.getAttribute('.maplibregl-popup .survey-popup[data-kind="finding"]', 'data-rule');
    kit.check(popupRule === validation.errors[pick].rule, `the error popup shows ${popupRule}`);
    await page.screenshot({ path: join(artifacts, 'survey-validation-damaged.png') });
    await context.close();
  },
};
