// Browser tests of the web map in a real headless Chromium (Debian's, through playwright-core),
// run by tests/tests/web_map_browser.rs against a real `civmap serve`:
//
//   node browser-test.mjs URL ARTIFACTS_DIR --suite public|phone|planner|surveyor|surveyor-damaged|as-of|names|proposals
//
// The planner suite signs in through the page as CIVMAP_E2E_PLANNER (a planner account the
// caller created, e.g. with `civmap user add NAME --role planner --password-stdin`) with the
// password in CIVMAP_E2E_PLANNER_PASSWORD, the surveyor suite likewise as CIVMAP_E2E_SURVEYOR
// (password in CIVMAP_E2E_SURVEYOR_PASSWORD); the public and phone suites stay anonymous. The
// surveyor suites live in browser-test-survey.mjs; the place-name officer's (`names`, which also
// signs in as CIVMAP_E2E_ADMIN with CIVMAP_E2E_ADMIN_PASSWORD) and the change proposals'
// (`proposals`) suites in browser-test-views.mjs.
//
// Each suite fails on any console error, page error or failed request, checks what the page
// shows against the server's own JSON answers (not against numbers written here), saves
// screenshots into ARTIFACTS_DIR and prints one JSON line of measurements on stdout.
//
// The page is opened in its test mode (`?debug`, see the top of src/app.js): the suites reach
// the map and the planner's state through the `debug` object that app.js exports then (held
// here as a JSHandle and passed into page functions), and read what the page chose and looked
// up from its `data-*` attributes. The page keeps nothing on `window`.
// Exit status 0 when every check passed, 1 otherwise (each failure on stderr), 2 on bad usage.
// CIVMAP_CHROMIUM overrides the browser (default /usr/bin/chromium).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { SURVEY_SUITES } from './browser-test-survey.mjs';
import { VIEW_SUITES } from './browser-test-views.mjs';

const USAGE = 'usage: node browser-test.mjs URL ARTIFACTS_DIR --suite public|phone|planner|surveyor|surveyor-damaged|as-of|names|proposals';
const TIMEOUT_MS = 60_000;

class CheckFailed extends Error {}
function check(condition, message) {
  if (!condition) throw new CheckFailed(message);
}

function parseArgs(argv) {
  const positional = [];
  let suite = null;
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--suite') suite = argv[(i += 1)];
    else if (argv[i].startsWith('--')) throw new Error(`unknown option ${argv[i]}`);
    else positional.push(argv[i]);
  }
  if (positional.length !== 2) throw new Error(`expected URL and ARTIFACTS_DIR, got ${positional.length} arguments`);
  if (!SUITES[suite]) throw new Error(`--suite: expected one of ${Object.keys(SUITES).join(', ')}, got ${suite}`);
  return { url: positional[0], artifacts: positional[1], suite };
}

/**
 * The HTTP errors a suite expects the page to meet, by path → statuses. Chromium logs every
 * 4xx answer to a fetch as a console error; these, and only these, are the page working:
 * GET /api/v1/me answers 401 to every anonymous visitor (the page's start-up check), and the
 * planner suite's deliberate wrong password (401) and throttled name (429) at sign-in, and
 * its siting request after the session's cookie is gone (401).
 */
const EXPECTED_HTTP_ERRORS = {
  public: { '/api/v1/me': [401] },
  phone: { '/api/v1/me': [401] },
  planner: { '/api/v1/me': [401], '/api/v1/auth/session': [401, 429], '/api/v1/siting': [401] },
  surveyor: { '/api/v1/me': [401] },
  'surveyor-damaged': { '/api/v1/me': [401] },
  'as-of': { '/api/v1/me': [401] },
  names: { '/api/v1/me': [401] },
  proposals: { '/api/v1/me': [401] },
};

/** Whether a console message is one of `expected`'s HTTP errors (see EXPECTED_HTTP_ERRORS). */
function isExpectedHttpError(message, expected) {
  const match = /the server responded with a status of (\d{3})/.exec(message.text());
  if (!match || !message.location().url) return false;
  const statuses = expected[new URL(message.location().url).pathname];
  return Boolean(statuses && statuses.includes(Number(match[1])));
}

/**
 * Opens the page (in test mode) at a viewport size and waits until the map is ready; returns
 * the page, its `debug` hook and timings. `expected` lists the HTTP errors that are not
 * problems (see EXPECTED_HTTP_ERRORS); `seen` counts them by `status path`.
 */
async function openMap(browser, url, viewport, problems, expected = {}, seen = {}) {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    if (isExpectedHttpError(message, expected)) {
      const key = `${/status of (\d{3})/.exec(message.text())[1]} ${new URL(message.location().url).pathname}`;
      seen[key] = (seen[key] || 0) + 1;
      return;
    }
    problems.push(`console error: ${message.text()} (${message.location().url || ''})`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => {
    // Requests the page itself cancels are the page working: an autocomplete superseded by a
    // newer keystroke, a tile MapLibre no longer needs after the view moved.
    const cancellable = ['/api/v1/autocomplete', '/tiles/'].some((part) => request.url().includes(part));
    if (request.failure()?.errorText === 'net::ERR_ABORTED' && cancellable) return;
    problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`);
  });
  const t0 = Date.now();
  const testUrl = new URL(url);
  testUrl.searchParams.set('debug', '1');
  const response = await page.goto(testUrl.href, { waitUntil: 'load', timeout: TIMEOUT_MS });
  check(response && response.ok(), `page: HTTP ${response ? response.status() : 'no response'}`);
  await page.waitForFunction(() => ['ready', 'error'].includes(document.documentElement.dataset.civmapState), null, { timeout: TIMEOUT_MS });
  const loadWallMs = Date.now() - t0;
  const error = await page.evaluate(() => document.documentElement.dataset.civmapError);
  check(!error, `data-civmap-error: ${error}`);
  const pageMs = Number(await page.evaluate(() => document.documentElement.dataset.civmapLoadMs));
  // The same module instance the page runs: imports are cached by URL.
  const debug = await page.evaluateHandle(async () => (await import('/assets/app.js')).debug);
  check(await debug.evaluate((d) => Boolean(d && d.map)), 'the page in test mode (?debug) exports no debug.map');
  // The start-up sign-in check has answered (a fresh browser context has no session).
  await page.waitForFunction(() => document.getElementById('account').dataset.state !== 'checking', null, { timeout: TIMEOUT_MS });
  check((await page.getAttribute('#account', 'data-state')) === 'anonymous', 'a fresh browser is not anonymous');
  check(await page.isVisible('#sign-in'), 'an anonymous visitor sees no 登录 Sign in button');
  return { context, page, debug, loadWallMs, pageMs };
}

/** RGB of screenshot pixels at CSS-pixel points, decoded by the page itself (no PNG library). */
async function pixelsAt(page, png, points) {
  return page.evaluate(
    async ({ data, points }) => {
      const image = new Image();
      image.src = `data:image/png;base64,${data}`;
      await image.decode();
      const canvas = document.createElement('canvas');
      canvas.width = image.width;
      canvas.height = image.height;
      const ctx = canvas.getContext('2d');
      ctx.drawImage(image, 0, 0);
      const whole = ctx.getImageData(0, 0, image.width, image.height).data;
      let nonBackground = 0;
      for (let i = 0; i < whole.length; i += 4) {
        // The style's background is #eef2f5.
        if (Math.abs(whole[i] - 0xee) + Math.abs(whole[i + 1] - 0xf2) + Math.abs(whole[i + 2] - 0xf5) > 12) nonBackground += 1;
      }
      return {
        at: points.map(([x, y]) => Array.from(ctx.getImageData(Math.round(x), Math.round(y), 1, 1).data.slice(0, 3))),
        nonBackgroundShare: nonBackground / (whole.length / 4),
      };
    },
    { data: png.toString('base64'), points }
  );
}

const isBackground = ([r, g, b]) => Math.abs(r - 0xee) + Math.abs(g - 0xf2) + Math.abs(b - 0xf5) <= 12;

/** The options the search list shows, in order. */
async function searchOptions(page, text) {
  const input = page.locator('#search-input');
  await input.fill('');
  await input.focus();
  const answered = page.waitForResponse((r) => r.url().includes('/api/v1/autocomplete') && r.url().includes(encodeURIComponent(text)), { timeout: TIMEOUT_MS });
  await page.keyboard.type(text, { delay: 30 });
  await answered;
  await page.waitForFunction(
    (query) => {
      const list = document.getElementById('search-results');
      return !list.hidden && list.querySelector('[role="option"], .empty') && document.getElementById('search-input').value === query;
    },
    text,
    { timeout: TIMEOUT_MS }
  );
  return page.$$eval('#search-results [role="option"]', (options) => options.map((o) => o.dataset.name));
}

async function mapState(page, debug) {
  return page.evaluate(({ map }) => ({ center: map.getCenter().toArray(), zoom: map.getZoom(), moving: map.isMoving() }), debug);
}

async function waitForMapIdle(page, debug) {
  await page.waitForFunction(({ map }) => !map.isMoving() && map.loaded(), debug, { timeout: TIMEOUT_MS });
}

/** Screen pixel `[x, y]` of `[lon, lat]`. */
async function project(page, debug, lonLat) {
  return page.evaluate(([{ map }, p]) => (({ x, y }) => [x, y])(map.project(p)), [debug, lonLat]);
}

/** What the page says it chose last (the place card's data attributes), or null. */
async function lastChoice(page) {
  return page.evaluate(() => {
    const d = document.getElementById('place-details').dataset;
    return d.name === undefined ? null : { name: d.name, kind: d.kind, code: d.code, center: [Number(d.lon), Number(d.lat)], zoom: Number(d.zoom) };
  });
}

/** Waits until the map has flown to the place the page chose last; returns that choice. */
async function checkFlewToChoice(page, debug, name) {
  await page.waitForFunction((n) => document.getElementById('place-details').dataset.name === n, name, { timeout: TIMEOUT_MS });
  await waitForMapIdle(page, debug);
  const choice = await lastChoice(page);
  const after = await mapState(page, debug);
  check(Math.abs(after.center[0] - choice.center[0]) < 1e-3 && Math.abs(after.center[1] - choice.center[1]) < 1e-3, `the map did not fly to ${name}: centre ${after.center}, expected ${choice.center}`);
  check(Math.abs(after.zoom - choice.zoom) < 0.05, `zoom ${after.zoom} at ${name}, expected ${choice.zoom}`);
  return { choice, after };
}

/**
 * The server builds its walking network after it starts listening (coverage answers 503 until
 * then); waiting for it keeps that one-off build out of page timings and gives the planner a
 * real first answer. Returns the milliseconds waited.
 */
async function waitForCoverageEngine(url) {
  const start = Date.now();
  for (;;) {
    const answer = await fetch(new URL('/api/v1/coverage?category=home_care_centre&minutes=15', url));
    await answer.arrayBuffer();
    if (answer.status === 200) return Date.now() - start;
    check(answer.status === 503 && Date.now() - start < 300_000, `GET /api/v1/coverage: HTTP ${answer.status}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

const SUITES = {
  /** 1280×800: draws, search by Chinese and pinyin initials, keyboard choice, reverse lookup. */
  async public({ browser, url, artifacts, problems, report }) {
    report.coverage_warm_up_ms = await waitForCoverageEngine(url);
    // Load time, twice in fresh browser contexts (empty browser cache): first against the
    // server's cold tile cache, then warm. `load_wall_ms` runs from navigation to the map's
    // first idle with its data; `load_page_ms` from the page script's start to that idle.
    const first = await openMap(browser, url, { width: 1280, height: 800 }, problems, EXPECTED_HTTP_ERRORS.public);
    report.load_cold_tiles = { wall_ms: first.loadWallMs, page_ms: first.pageMs };
    await first.context.close();
    const { page, debug, context, loadWallMs, pageMs } = await openMap(browser, url, { width: 1280, height: 800 }, problems, EXPECTED_HTTP_ERRORS.public);
    report.load_wall_ms = loadWallMs;
    report.load_page_ms = pageMs;

    // The canvas draws: districts are coloured where Hangzhou is, background outside it.
    const inside = await project(page, debug, [120.0778, 30.2188]);
    const outside = await project(page, debug, [121.4, 29.95]);
    const shot = await page.screenshot({ path: join(artifacts, 'map-desktop.png') });
    const pixels = await pixelsAt(page, shot, [inside, outside]);
    report.non_background_share = Number(pixels.nonBackgroundShare.toFixed(3));
    check(!isBackground(pixels.at[0]), `no district drawn at 西湖区 (${inside}): pixel ${pixels.at[0]}`);
    check(isBackground(pixels.at[1]), `outside Hangzhou (${outside}) is not background: pixel ${pixels.at[1]}`);
    check(pixels.nonBackgroundShare > 0.2, `only ${pixels.nonBackgroundShare} of the screenshot is drawn`);

    // The attribution credits what the map shows (Tianditu's boundaries, in the form its terms
    // ask for) and nothing it does not (no OpenStreetMap data, no basemap).
    const attribution = await page.textContent('.maplibregl-ctrl-attrib-inner');
    report.attribution = attribution;
    check(attribution.includes('数据来源：天地图'), `the attribution lacks 数据来源：天地图: ${attribution}`);
    check(!/OpenStreetMap|basemap/i.test(attribution), `the attribution credits a source the map does not show: ${attribution}`);

    // Search: 西湖 and xhq both list 西湖区 first.
    for (const query of ['西湖', 'xhq']) {
      const names = await searchOptions(page, query);
      report[`search_${query}`] = names.slice(0, 3);
      check(names[0] === '西湖区', `typing ${query} lists ${JSON.stringify(names)}, not 西湖区 first`);
    }
    const input = page.locator('#search-input');
    check((await input.getAttribute('aria-expanded')) === 'true', 'the combobox does not say it is expanded');

    // Keyboard: ↓ makes the first option active, Enter flies there.
    await page.keyboard.press('ArrowDown');
    const activeId = await input.getAttribute('aria-activedescendant');
    check(activeId === 'search-option-0', `after ↓ the active option is ${activeId}`);
    check(
      (await page.getAttribute('#search-option-0', 'aria-selected')) === 'true',
      'the first option is not aria-selected after ↓'
    );
    await page.keyboard.press('Enter');
    const { after } = await checkFlewToChoice(page, debug, '西湖区');
    report.flew_to = { center: after.center.map((v) => Number(v.toFixed(4))), zoom: Number(after.zoom.toFixed(2)) };
    check((await input.getAttribute('aria-expanded')) === 'false', 'the list stays open after choosing');
    check((await page.textContent('#place-details')).includes('浙江省杭州市西湖区'), 'the details card lacks the full address');
    // Escape clears the box once the list is closed.
    await page.keyboard.press('Escape');
    check((await input.inputValue()) === '', 'Escape with the list closed does not clear the box');
    await page.screenshot({ path: join(artifacts, 'map-search-xihu.png') });

    // One Enter, with the list showing and no option highlighted, goes to the first option.
    const listed = await searchOptions(page, '滨江');
    report.search_滨江 = listed.slice(0, 3);
    check(listed.length > 0 && listed[0] !== '西湖区', `typing 滨江 lists ${JSON.stringify(listed)}`);
    check((await input.getAttribute('aria-activedescendant')) === null, 'an option is highlighted before any ↓');
    await page.keyboard.press('Enter');
    await checkFlewToChoice(page, debug, listed[0]);
    check((await input.getAttribute('aria-expanded')) === 'false', 'the list stays open after one Enter');
    // One Enter before anything is listed for the text: a full search, and the map goes to its
    // first result (the server's own, near the map's centre).
    await page.keyboard.press('Escape');
    const query = '上城区';
    const expected = await page.evaluate(async ([{ map }, q]) => {
      const [lon, lat] = map.getCenter().toArray();
      const r = await fetch(`/api/v1/search?q=${encodeURIComponent(q)}&limit=15&lon=${lon.toFixed(5)}&lat=${lat.toFixed(5)}`);
      return (await r.json()).features.map((f) => f.properties.name);
    }, [debug, query]);
    check(expected.length > 0, `the server finds nothing for ${query}`);
    await input.fill(query);
    await page.keyboard.press('Enter');
    await checkFlewToChoice(page, debug, expected[0]);
    report.one_enter = { listed: listed[0], searched: expected[0] };
    await page.keyboard.press('Escape');

    // Click: the reverse panel shows the chain the server gives for the clicked point.
    const target = await project(page, debug, [120.13, 30.26]);
    await page.mouse.click(target[0], target[1]);
    await page.waitForSelector('#here li[data-level="community"]', { timeout: TIMEOUT_MS });
    const clicked = await page.evaluate(() => ['lon', 'lat'].map((k) => Number(document.getElementById('here').dataset[k])));
    const clickedPx = await project(page, debug, clicked);
    report.reverse_at = { target, clicked, clickedPx };
    check(Math.hypot(clickedPx[0] - target[0], clickedPx[1] - target[1]) < 2, `the page looked up ${clicked} (${clickedPx}), not the clicked pixel ${target}`);
    const reverse = await page.evaluate(async ([lon, lat]) => {
      const r = await fetch(`/api/v1/reverse?lon=${lon.toFixed(6)}&lat=${lat.toFixed(6)}`);
      return r.json();
    }, clicked);
    const shown = await page.$$eval('#here li[data-level]', (items) => items.map((li) => [li.dataset.level, li.dataset.code, li.textContent]));
    report.reverse_chain = shown.map((s) => s[2]);
    check(reverse.chain.length === 4, `the server's chain at ${clicked} has ${reverse.chain.length} levels`);
    check(shown.length === reverse.chain.length, `the panel shows ${shown.length} levels, the server ${reverse.chain.length}`);
    reverse.chain.forEach((unit, i) => {
      check(shown[i][0] === unit.level && shown[i][1] === unit.code && shown[i][2].includes(unit.name), `level ${i}: panel ${shown[i]}, server ${unit.level} ${unit.code} ${unit.name}`);
    });
    const hereText = await page.textContent('#here');
    check(hereText.includes(reverse.doorplate.address), `the panel lacks the nearest doorplate ${reverse.doorplate.address}`);
    await waitForMapIdle(page, debug);
    await page.screenshot({ path: join(artifacts, 'map-reverse.png') });
    await context.close();
  },

  /** A phone-sized viewport: the panel starts collapsed to its search box and expands. */
  /**
   * The date picker (issue 15): picking the 2020 edition redraws the boundaries with 下城区
   * (gone since 2021, its shape rebuilt from today's townships), and a click in it names
   * 下城区 in the chain; today's map has no 下城区.
   */
  async 'as-of'({ browser, url, artifacts, problems, report }) {
    const { page, debug, context } = await openMap(browser, url, { width: 1280, height: 800 }, problems, EXPECTED_HTTP_ERRORS['as-of']);
    await page.waitForFunction(() => !(/** @type {HTMLSelectElement} */ (document.getElementById('as-of')).disabled), null, { timeout: TIMEOUT_MS });
    const options = await page.$$eval('#as-of option', (os) => os.map((o) => o.value));
    report.as_of_options = options;
    check(options[0] === '' && options.includes('2020-06-30'), `the picker offers ${JSON.stringify(options)}`);
    await page.evaluate(({ map }) => map.jumpTo({ center: [120.18, 30.29], zoom: 11.5 }), debug);
    await waitForMapIdle(page, debug);
    const adminNames = () => page.evaluate(({ map }) => map.querySourceFeatures('civmap', { sourceLayer: 'admin' }).map((f) => f.properties.name), debug);
    const today = await adminNames();
    check(today.includes('拱墅区') && !today.includes('下城区'), `today's map shows ${JSON.stringify([...new Set(today)])}`);
    await page.selectOption('#as-of', '2020-06-30');
    await page.waitForFunction(() => document.getElementById('as-of').dataset.asOf === '2020-06-30', null, { timeout: TIMEOUT_MS });
    await page.waitForFunction(
      ({ map }) => map.querySourceFeatures('civmap', { sourceLayer: 'admin' }).some((f) => f.properties.name === '下城区'),
      debug,
      { timeout: TIMEOUT_MS }
    );
    await waitForMapIdle(page, debug);
    const label = await page.evaluate(({ map }) => {
      const f = map.querySourceFeatures('civmap', { sourceLayer: 'admin_label' }).find((x) => x.properties.name === '下城区');
      return f && f.geometry.type === 'Point' ? f.geometry.coordinates : null;
    }, debug);
    check(label, 'no 下城区 label as of 2020-06-30');
    report.xiacheng_label = label;
    await page.screenshot({ path: join(artifacts, 'map-as-of-2020.png') });
    const at = await project(page, debug, label);
    await page.mouse.click(at[0], at[1]);
    await page.waitForFunction(() => [...document.querySelectorAll('#here li')].some((li) => li.textContent.includes('下城区')), null, { timeout: TIMEOUT_MS });
    report.reverse_as_of = await page.$$eval('#here li', (lis) => lis.map((li) => li.textContent));
    // back to today: 下城区 leaves the map
    await page.selectOption('#as-of', '');
    await page.waitForFunction(
      ({ map }) => map.loaded() && !map.querySourceFeatures('civmap', { sourceLayer: 'admin' }).some((f) => f.properties.name === '下城区'),
      debug,
      { timeout: TIMEOUT_MS }
    );
    await context.close();
  },

  async phone({ browser, url, artifacts, problems, report }) {
    const viewport = { width: 390, height: 844 };
    const { page, context, loadWallMs } = await openMap(browser, url, viewport, problems, EXPECTED_HTTP_ERRORS.phone);
    report.load_wall_ms = loadWallMs;
    check(await page.isHidden('#panel-body'), 'the panel body is open on a phone at start');
    const box = await page.locator('#search-input').boundingBox();
    check(box && box.y >= 0 && box.y + box.height <= viewport.height && box.width > 250, `the search box is not usable on a phone: ${JSON.stringify(box)}`);
    const panel = await page.locator('#panel').boundingBox();
    check(panel.height < viewport.height * 0.3, `the collapsed panel covers ${panel.height}px of ${viewport.height}`);
    await page.screenshot({ path: join(artifacts, 'map-phone.png') });
    const names = await searchOptions(page, 'xhq');
    check(names[0] === '西湖区', `on a phone, xhq lists ${JSON.stringify(names)}`);
    await page.keyboard.press('Escape');
    await page.click('#panel-toggle');
    check(await page.isVisible('#panel-body'), 'the panel toggle does not open the panel');
    check((await page.getAttribute('#panel-toggle', 'aria-expanded')) === 'true', 'the toggle does not say it is expanded');
    const open = await page.locator('#panel').boundingBox();
    check(open.height <= viewport.height * 0.6, `the open panel covers ${open.height}px of ${viewport.height}`);
    await page.screenshot({ path: join(artifacts, 'map-phone-panel.png') });
    await context.close();
  },

  /**
   * The planner view. Anonymous: coverage and a gap list without person counts, no what-if,
   * siting or export controls but the hint to sign in. Sign-in through the header's form (a
   * wrong password and a throttled name first, each said inline with the API's message). As
   * the planner: a category shows coverage (the count the server gives, areas drawn), the gap
   * list is sorted, indicators are charted, a what-if facility in the largest gap raises the
   * covered count, suggested sites are listed and the report exports as CSV. Sign-out through
   * the header hides the planner's controls again and ends the session.
   */
  async planner({ browser, url, artifacts, problems, report }) {
    const plannerName = process.env.CIVMAP_E2E_PLANNER;
    const plannerPassword = process.env.CIVMAP_E2E_PLANNER_PASSWORD;
    check(plannerName && plannerPassword, 'the planner suite needs CIVMAP_E2E_PLANNER and CIVMAP_E2E_PLANNER_PASSWORD');
    report.coverage_warm_up_ms = await waitForCoverageEngine(url);
    const expectedErrors = {};
    report.expected_http_errors = expectedErrors;
    const { page, debug, context } = await openMap(browser, url, { width: 1280, height: 800 }, problems, EXPECTED_HTTP_ERRORS.planner, expectedErrors);
    /** The planner's current scenario id, read through the page's test hook. */
    const scenarioIdNow = () => page.evaluate(({ planner }) => planner.scenarioId, debug);
    const serverCoverage = async (query) => {
      const answer = await page.evaluate(async (q) => {
        const r = await fetch(`/api/v1/coverage?${q}`);
        return { status: r.status, body: await r.json() };
      }, query);
      check(answer.status === 200, `GET /api/v1/coverage?${query}: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer.body;
    };
    const waitForCovered = async (expected) => {
      await page.waitForFunction(
        (value) => {
          const total = document.getElementById('coverage-total');
          const failed = document.querySelector('#coverage-summary .unavailable');
          return (total && total.dataset.covered === String(value)) || failed;
        },
        expected,
        { timeout: TIMEOUT_MS }
      );
      const failed = await page.$('#coverage-summary .unavailable');
      check(!failed, `coverage unavailable: ${failed && (await failed.textContent())}`);
    };

    /** The planner's finished refreshes, to wait for the redraw a sign-in or sign-out starts. */
    const versionNow = () => page.evaluate(({ planner }) => planner.version, debug);
    const plannerOnly = ['#whatif-add', '#whatif-reset', '#suggest-sites', '#siting-area', '#export-csv', '#export-gaps-csv', '#export-indicators-csv'];
    const visibleOf = async (selectors) => {
      const shown = [];
      for (const selector of selectors) if (await page.isVisible(selector)) shown.push(selector);
      return shown;
    };

    await page.click('#tab-planner');
    check(await page.isVisible('#view-planner'), 'the planner tab does not show the planner view');
    const category = 'home_care_centre';
    await page.selectOption('#planner-category', category);
    const query = `category=${category}&minutes=15&level=township&mode=walk`;
    const baseline = await serverCoverage(query);
    report.baseline_covered_elderly = baseline.total.covered_elderly;
    report.elderly = baseline.total.elderly;
    await waitForCovered(baseline.total.covered_elderly);
    check(baseline.total.covered_elderly > 0, 'the server covers no elderly at all');

    // Anonymous: the coverage above, the gaps without person counts (as the server answers
    // the public), the hint, and none of the planner's controls.
    await page.waitForSelector('#gap-list[data-counts] li', { timeout: TIMEOUT_MS });
    check((await visibleOf(plannerOnly)).length === 0, `an anonymous visitor sees planner controls: ${await visibleOf(plannerOnly)}`);
    check(!(await page.isVisible('#scenario')) && !(await page.isVisible('#siting')), 'an anonymous visitor sees the what-if or siting box');
    check(await page.isVisible('#planner-hint'), 'an anonymous visitor sees no hint to sign in as a planner');
    const hint = await page.textContent('#planner-hint');
    check(hint.includes('Sign in as a planner for what-if and siting'), `the hint says: ${hint}`);
    const publicGaps = await page.evaluate(async (q) => (await (await fetch(`/api/v1/coverage/gaps?${q}`)).json()).features, query);
    check(publicGaps.length > 0 && publicGaps.every((f) => f.properties.elderly === undefined && f.properties.population === undefined), 'the public gap answer carries person counts');
    const anonymousGaps = await page.$$eval('#gap-list li[data-doorplates]', (items) => items.map((li) => ({ doorplates: li.dataset.doorplates, text: li.textContent })));
    report.anonymous_gaps_listed = anonymousGaps.length;
    check((await page.getAttribute('#gap-list', 'data-counts')) === 'doorplates', 'the anonymous gap list does not say it counts doorplates');
    check(anonymousGaps.length === Math.min(publicGaps.length, 50), `${anonymousGaps.length} gaps listed for ${publicGaps.length} answered`);
    for (const [i, g] of anonymousGaps.entries()) {
      check(g.doorplates === String(publicGaps[i].properties.doorplates), `gap ${i + 1} lists ${g.doorplates} doorplates, the server says ${publicGaps[i].properties.doorplates}`);
      check(!/undefined|NaN|null|–/.test(g.text), `gap ${i + 1} reads "${g.text}"`);
    }
    check((await page.$$('#gap-list li[data-elderly]')).length === 0, 'the anonymous gap list shows elderly counts');
    await page.screenshot({ path: join(artifacts, 'planner-anonymous.png') });

    // Sign in through the header's form. A wrong password first: the API's own message,
    // inline, and still anonymous.
    await page.click('#sign-in');
    check(await page.isVisible('#sign-in-form'), '登录 Sign in does not open the form');
    check((await page.getAttribute('#sign-in', 'aria-expanded')) === 'true', 'the sign-in button does not say the form is open');
    check(await page.evaluate(() => document.activeElement && document.activeElement.id === 'sign-in-name'), 'the form does not put the focus in its name field');
    const wrong = await fetch(new URL('/api/v1/auth/session', url), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: plannerName, password: `${plannerPassword}-wrong` }),
    });
    const wrongBody = await wrong.json();
    check(wrong.status === 401 && wrongBody.error && wrongBody.error.message, `a wrong password: HTTP ${wrong.status} ${JSON.stringify(wrongBody)}`);
    await page.fill('#sign-in-name', plannerName);
    await page.fill('#sign-in-password', `${plannerPassword}-wrong`);
    await page.click('#sign-in-submit');
    await page.waitForSelector('#sign-in-error:not([hidden])', { timeout: TIMEOUT_MS });
    const wrongText = await page.textContent('#sign-in-error');
    report.sign_in_wrong_password = wrongText;
    check(wrongText.includes(wrongBody.error.message), `the form says "${wrongText}", the API "${wrongBody.error.message}"`);
    check((await page.getAttribute('#account', 'data-state')) === 'anonymous', 'a wrong password signed in');
    check(await page.isVisible('#sign-in-form'), 'the form closed after a wrong password');
    await page.screenshot({ path: join(artifacts, 'sign-in-error.png') });

    // A name throttled by the server (MAX_FAILURES wrong passwords): 429 and its message,
    // which says when to retry.
    const throttled = 'nobody-e2e';
    let answer = null;
    for (let i = 0; i < 20; i += 1) {
      answer = await fetch(new URL('/api/v1/auth/session', url), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: throttled, password: 'not-the-password' }) });
      await answer.arrayBuffer();
      if (answer.status === 429) break;
      check(answer.status === 401, `login as ${throttled}: HTTP ${answer.status}`);
    }
    check(answer.status === 429, `20 failed logins for ${throttled} are not throttled (HTTP ${answer.status})`);
    await page.fill('#sign-in-name', throttled);
    await page.fill('#sign-in-password', 'not-the-password');
    await page.click('#sign-in-submit');
    await page.waitForFunction(() => /retry in \d+ s/.test(document.getElementById('sign-in-error').textContent || ''), null, { timeout: TIMEOUT_MS });
    report.sign_in_throttled = await page.textContent('#sign-in-error');
    check(report.sign_in_throttled.includes('Too many attempts'), `the form's 429 text: ${report.sign_in_throttled}`);

    // The right password: the header names the planner, the controls appear, the hint goes,
    // and the planner redraws with the gaps' person counts.
    const beforeSignIn = await versionNow();
    await page.fill('#sign-in-name', plannerName);
    await page.fill('#sign-in-password', plannerPassword);
    await page.click('#sign-in-submit');
    await page.waitForFunction(() => document.getElementById('account').dataset.state === 'signed-in', null, { timeout: TIMEOUT_MS });
    const who = await page.evaluate(() => ({ ...document.getElementById('account-who').dataset, text: document.getElementById('account-who').textContent }));
    report.signed_in = who;
    check(who.name === plannerName && who.role === 'planner', `the header says ${JSON.stringify(who)}`);
    check(await page.isVisible('#account-who') && who.text.includes(plannerName) && who.text.includes('planner'), `the header shows "${who.text}"`);
    check(await page.isVisible('#sign-out'), 'no 退出 Sign out button when signed in');
    check(!(await page.isVisible('#sign-in-form')) && !(await page.isVisible('#sign-in')), 'the sign-in form or button is still shown');
    check((await page.inputValue('#sign-in-password')) === '', 'the password stays in the form after signing in');
    const me = await page.evaluate(async () => {
      const r = await fetch('/api/v1/me');
      return { status: r.status, body: await r.json() };
    });
    check(me.status === 200 && me.body.name === plannerName && me.body.role === 'planner', `GET /api/v1/me when signed in: ${JSON.stringify(me)}`);
    check((await visibleOf(plannerOnly)).length === plannerOnly.length, `a planner sees only ${await visibleOf(plannerOnly)}`);
    check(!(await page.isVisible('#planner-hint')), 'a planner still sees the hint to sign in');
    const header = await page.locator('.panel-head').boundingBox();
    check(header.height < 60, `the signed-in header is ${header.height}px high`);
    await page.waitForFunction(([{ planner }, v]) => planner.version > v && document.getElementById('gap-list').dataset.counts === 'people', [debug, beforeSignIn], { timeout: TIMEOUT_MS });
    await waitForCovered(baseline.total.covered_elderly);

    // Areas and the choropleth are drawn; the choropleth's units are the report's level, each
    // carrying its share (feature-state on the tile feature whose id is the unit's code) as the
    // server gives it.
    await page.evaluate(({ map }) => map.jumpTo({ center: [120.17, 30.27], zoom: 10.5 }), debug);
    await waitForMapIdle(page, debug);
    const drawn = await page.evaluate(({ map }) => {
      const count = (id) => map.queryRenderedFeatures({ layers: [id] }).length;
      const painted = map.queryRenderedFeatures({ layers: ['planner-choropleth'] }).map((f) => ({ id: f.id, code: f.properties.code, level: f.properties.level, share: f.state.share }));
      return { areas: count('coverage-area'), gaps: count('coverage-gaps'), painted };
    }, debug);
    const shares = new Map(baseline.units.filter((u) => typeof u.share_elderly === 'number' && u.elderly > 0).map((u) => [u.code, u.share_elderly]));
    const coloured = new Set(drawn.painted.filter((f) => typeof f.share === 'number').map((f) => f.code));
    report.drawn = { areas: drawn.areas, gaps: drawn.gaps, choropleth_features: drawn.painted.length, coloured_units: coloured.size };
    check(drawn.areas > 0, 'no service areas drawn');
    check(coloured.size > 0, 'no unit coloured by coverage');
    for (const f of drawn.painted) {
      check(f.level === 'township', `the township choropleth draws a ${f.level} (${f.code})`);
      check(f.id === Number(f.code), `the tile feature of ${f.code} has id ${f.id}, not its code`);
      check(f.share === shares.get(f.code), `${f.code} is coloured for a share of ${f.share}, the server says ${shares.get(f.code)}`);
    }

    // The gap list, largest uncovered elderly first.
    const gaps = await page.$$eval('#gap-list li[data-elderly]', (items) => items.map((li) => Number(li.dataset.elderly)));
    report.gaps_listed = gaps.length;
    check(gaps.length > 0, 'no gaps listed');
    check(gaps.every((v, i) => i === 0 || gaps[i - 1] >= v), `gaps not sorted by uncovered elderly: ${gaps.slice(0, 10)}`);

    // Indicators are charted.
    await page.waitForSelector('#indicators svg.indicator-chart, #indicators .unavailable', { timeout: TIMEOUT_MS });
    const indicatorError = await page.$('#indicators .unavailable');
    check(!indicatorError, `indicators unavailable: ${indicatorError && (await indicatorError.textContent())}`);
    report.indicator_bars = await page.$$eval('#indicators .indicator-value', (bars) => bars.length);
    check(report.indicator_bars > 0, 'the indicator chart has no bars');
    await page.screenshot({ path: join(artifacts, 'planner.png') });

    // What-if: a facility in the middle of the largest gap covers more elderly.
    const gapPoint = await page.evaluate(async (q) => {
      const body = await (await fetch(`/api/v1/coverage/gaps?${q}`)).json();
      const largest = body.features.slice().sort((a, b) => b.properties.elderly - a.properties.elderly)[0];
      const ring = largest.geometry.type === 'Polygon' ? largest.geometry.coordinates[0] : largest.geometry.coordinates[0][0];
      const n = ring.length - 1;
      return [ring.slice(0, n).reduce((s, c) => s + c[0], 0) / n, ring.slice(0, n).reduce((s, c) => s + c[1], 0) / n];
    }, query);
    report.what_if_at = gapPoint;
    await page.evaluate(([{ map }, center]) => map.jumpTo({ center, zoom: 14 }), [debug, gapPoint]);
    await waitForMapIdle(page, debug);
    const px = await project(page, debug, gapPoint);
    await page.click('#whatif-add');
    check((await page.getAttribute('#whatif-add', 'aria-pressed')) === 'true', 'the add button is not pressed');
    await page.mouse.click(px[0], px[1]);
    await page.waitForFunction(({ planner }) => planner.scenarioId && document.getElementById('scenario-delta'), debug, { timeout: TIMEOUT_MS });
    const scenarioId = await scenarioIdNow();
    const withScenario = await serverCoverage(`${query}&scenario=${encodeURIComponent(scenarioId)}`);
    await waitForCovered(withScenario.total.covered_elderly);
    const delta = Number(await page.getAttribute('#scenario-delta', 'data-delta'));
    report.what_if = { scenario: scenarioId, covered_elderly: withScenario.total.covered_elderly, delta };
    check(withScenario.total.covered_elderly > baseline.total.covered_elderly, `adding a facility in the largest gap did not raise coverage (${baseline.total.covered_elderly} → ${withScenario.total.covered_elderly})`);
    check(delta === withScenario.total.covered_elderly - baseline.total.covered_elderly, `the page shows a change of ${delta}`);
    await waitForMapIdle(page, debug);
    await page.screenshot({ path: join(artifacts, 'planner-what-if.png') });

    // Move: drag the added facility's marker; the page shows the server's count for the new
    // scenario.
    const marker = await page.locator('.maplibregl-marker').first().boundingBox();
    const from = [marker.x + marker.width / 2, marker.y + marker.height / 2];
    const beforeMove = await scenarioIdNow();
    await page.mouse.move(from[0], from[1]);
    await page.mouse.down();
    await page.mouse.move(from[0] + 120, from[1] + 60, { steps: 8 });
    await page.mouse.up();
    await page.waitForFunction(([{ planner }, old]) => planner.scenarioId !== old, [debug, beforeMove], { timeout: TIMEOUT_MS });
    const moved = await page.evaluate(({ planner }) => ({ id: planner.scenarioId, add: planner.scenario.add[0] }), debug);
    check(Math.abs(moved.add.lon - gapPoint[0]) > 1e-4, `dragging the marker did not move the added facility: ${JSON.stringify(moved.add)}`);
    const afterMove = await serverCoverage(`${query}&scenario=${encodeURIComponent(moved.id)}`);
    await waitForCovered(afterMove.total.covered_elderly);
    report.what_if_moved = { scenario: moved.id, covered_elderly: afterMove.total.covered_elderly };

    // Close: a facility of the category, from its popup; the page shows the server's count.
    await page.evaluate(({ map }) => map.jumpTo({ center: [120.16, 30.27], zoom: 14 }), debug);
    await waitForMapIdle(page, debug);
    const facility = await page.evaluate(([{ map }, cat]) => {
      // One clear of the side panel (left) and the notice (bottom).
      const f = map.queryRenderedFeatures({ layers: ['facilities'] }).find((x) => {
        const p = map.project(x.geometry.coordinates);
        return x.properties.category === cat && p.x > 420 && p.x < 1200 && p.y > 150 && p.y < 650;
      });
      if (!f) return null;
      const p = map.project(f.geometry.coordinates);
      return { id: f.properties.id, x: p.x, y: p.y };
    }, [debug, category]);
    check(facility, `no ${category} drawn around 120.16,30.27 at zoom 14`);
    const beforeClose = await scenarioIdNow();
    await page.mouse.click(facility.x, facility.y);
    await page.click('.maplibregl-popup button:has-text("关闭 Close")', { timeout: TIMEOUT_MS });
    // the close is local at once; wait for the new scenario the server created for it and
    // for the report drawn from that scenario
    await page.waitForFunction(
      ([{ planner }, id, old]) => planner.scenario.close.includes(id) && planner.scenarioId !== old && planner.report && planner.report.scenario === planner.scenarioId,
      [debug, facility.id, beforeClose],
      { timeout: TIMEOUT_MS }
    );
    const closedId = await scenarioIdNow();
    const afterClose = await serverCoverage(`${query}&scenario=${encodeURIComponent(closedId)}`);
    await waitForCovered(afterClose.total.covered_elderly);
    report.what_if_closed = { facility: facility.id, scenario: closedId, covered_elderly: afterClose.total.covered_elderly };
    check(afterClose.total.covered_elderly <= afterMove.total.covered_elderly, `closing ${facility.id} raised coverage (${afterMove.total.covered_elderly} → ${afterClose.total.covered_elderly})`);

    // Suggested sites.
    await page.click('#suggest-sites');
    await page.waitForSelector('#siting-list li, #siting .unavailable', { timeout: TIMEOUT_MS });
    const sitingError = await page.$('#siting .unavailable');
    check(!sitingError, `siting unavailable: ${sitingError && (await sitingError.textContent())}`);
    const sites = await page.$$eval('#siting-list li', (items) => items.map((li) => Number(li.dataset.elderly)));
    report.sites = sites;
    check(sites.length > 0 && sites.length <= 5, `suggested ${sites.length} sites for k=5`);
    check(sites.every((v) => v > 0), `a suggested site covers no new elderly: ${sites}`);

    // CSV export of the report on screen: the server's export (BOM, unit chain, parameters in the name).
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: TIMEOUT_MS }), page.click('#export-csv')]);
    const csv = (await (await download.createReadStream()).toArray()).join('');
    check(csv.startsWith('\ufeff'), 'the CSV starts with a UTF-8 BOM');
    const lines = csv.replace(/^\ufeff/, '').trim().split(/\r?\n/);
    report.csv = { file: download.suggestedFilename(), lines: lines.length };
    check(lines[0].startsWith('category,minutes,mode,profile,scenario,level,code,name,district_code,district_name'), `CSV header: ${lines[0]}`);
    check(lines.length === afterClose.units.length + 1, `CSV has ${lines.length - 1} rows for ${afterClose.units.length} units`);
    check(lines[1].split(',')[4] === closedId, `the CSV rows do not name scenario ${closedId}: ${lines[1]}`);
    check(download.suggestedFilename().startsWith('coverage_') && download.suggestedFilename().includes(closedId), `CSV file name ${download.suggestedFilename()}`);
    // The city card: the plan's city figures (roll-ups) against their targets.
    const cityCard = await page.$eval('#rollups .rollup-card', (card) => card.textContent || '').catch(() => '');
    report.city_card = cityCard;
    check(cityCard.includes('邻里中心') && cityCard.includes('护理型床位'), `city card: ${cityCard}`);

    // Sign out through the header: the controls, the what-if and the sites go, the page
    // forgets the scenario and redraws without it, and the session is over on the server.
    const beforeSignOut = await versionNow();
    await page.click('#sign-out');
    await page.waitForFunction(() => document.getElementById('account').dataset.state === 'anonymous', null, { timeout: TIMEOUT_MS });
    check(await page.isVisible('#sign-in') && !(await page.isVisible('#sign-out')) && !(await page.isVisible('#account-who')), 'the header still looks signed in');
    check((await visibleOf(plannerOnly)).length === 0, `after signing out the page still shows ${await visibleOf(plannerOnly)}`);
    check(!(await page.isVisible('#scenario')) && !(await page.isVisible('#siting')), 'the what-if or siting box stays after signing out');
    check(await page.isVisible('#planner-hint'), 'no hint to sign in after signing out');
    const forgotten = await page.evaluate(({ planner }) => ({ id: planner.scenarioId, edits: planner.scenario.add.length + planner.scenario.move.length + planner.scenario.close.length, markers: document.querySelectorAll('.maplibregl-marker').length }), debug);
    check(forgotten.id === null && forgotten.edits === 0 && forgotten.markers === 0, `the page keeps the scenario after signing out: ${JSON.stringify(forgotten)}`);
    await page.waitForFunction(([{ planner }, v]) => planner.version > v && document.getElementById('gap-list').dataset.counts === 'doorplates', [debug, beforeSignOut], { timeout: TIMEOUT_MS });
    await waitForCovered(baseline.total.covered_elderly);
    const meAfter = await page.evaluate(async () => (await fetch('/api/v1/me')).status);
    check(meAfter === 401, `GET /api/v1/me after signing out: HTTP ${meAfter}`);
    await page.screenshot({ path: join(artifacts, 'planner-signed-out.png') });

    // A session that ends while the page is open (its cookie expired: the browser drops it):
    // the next planner request answers 401, the page notices, becomes anonymous and asks to
    // sign in again.
    await page.click('#sign-in');
    await page.fill('#sign-in-name', plannerName);
    await page.fill('#sign-in-password', plannerPassword);
    await page.click('#sign-in-submit');
    await page.waitForFunction(() => document.getElementById('account').dataset.state === 'signed-in', null, { timeout: TIMEOUT_MS });
    check(await page.isVisible('#suggest-sites'), 'signed in again, no 建议选址 Suggest sites');
    await context.clearCookies();
    await page.click('#suggest-sites');
    await page.waitForFunction(() => document.getElementById('account').dataset.state === 'anonymous', null, { timeout: TIMEOUT_MS });
    check((await visibleOf(plannerOnly)).length === 0, `after the session ended the page still shows ${await visibleOf(plannerOnly)}`);
    check(await page.isVisible('#sign-in-form'), 'the page does not ask to sign in again when the session ended');
    const endedText = await page.textContent('#sign-in-error');
    report.session_ended = endedText;
    check(endedText.includes('Your session has ended'), `the form says "${endedText}" when the session ended`);
    check(expectedErrors['401 /api/v1/auth/session'] === 1 && expectedErrors['429 /api/v1/auth/session'] === 1 && expectedErrors['401 /api/v1/siting'] === 1, `the page's expected HTTP errors: ${JSON.stringify(expectedErrors)}`);
    await context.close();
  },
};

/**
 * Signs in through the header's form and waits until the header says who is signed in;
 * returns what it says (`{name, role}`).
 */
async function signIn(page, name, password) {
  await page.click('#sign-in');
  await page.fill('#sign-in-name', name);
  await page.fill('#sign-in-password', password);
  await page.click('#sign-in-submit');
  await page.waitForFunction(() => document.getElementById('account').dataset.state === 'signed-in', null, { timeout: TIMEOUT_MS });
  return page.evaluate(() => ({ ...document.getElementById('account-who').dataset }));
}

/** What the surveyor and view suites (browser-test-survey.mjs, -views.mjs) use of this file. */
const KIT = { check, openMap, pixelsAt, waitForMapIdle, project, searchOptions, signIn, TIMEOUT_MS, EXPECTED_HTTP_ERRORS };
for (const [name, suite] of Object.entries({ ...SURVEY_SUITES, ...VIEW_SUITES })) SUITES[name] = (options) => suite(KIT, options);

async function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`browser-test: ${error.message}\n${USAGE}`);
    return 2;
  }
  mkdirSync(options.artifacts, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CIVMAP_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  const problems = [];
  const report = { suite: options.suite };
  try {
    await SUITES[options.suite]({ browser, ...options, problems, report });
  } catch (error) {
    problems.push(error instanceof CheckFailed ? `check failed: ${error.message}` : `error: ${error.stack || error}`);
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(report));
  for (const problem of problems) console.error(problem);
  return problems.length === 0 ? 0 : 1;
}

process.exitCode = await main();
