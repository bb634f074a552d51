// Opens the web map in a real headless Chromium and saves a 1280×800 screenshot, failing if the
// page logged a console error or threw. Used by people checking the page and by browser tests.
//
//   node screenshot.mjs URL OUTPUT.png [--wait-ready] [--scene explore|planner] [--timeout-ms N]
//
// --wait-ready waits for `<html data-civmap-state="ready">` (set by app.js once the map is idle
// with its data); it fails early on `data-civmap-state="error"` (the message in
// `data-civmap-error`). Without it, the screenshot is taken once the page's load event has fired.
// --scene (implies --wait-ready; opens the page in its test mode, `?debug`) sets up what the
// README's screenshots show: `explore` (docs/img/map.png) searches 西湖区 and goes there with one
// Enter, looks up a clicked point and opens a facility's popup; `planner` (docs/img/planner.png)
// opens the planner for home-care centres and 15 minutes over the city centre.
//
//   node screenshot.mjs http://127.0.0.1:8080/ ../docs/img/map.png --scene explore
// CIVMAP_CHROMIUM overrides the browser (default /usr/bin/chromium).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const USAGE = 'usage: node screenshot.mjs URL OUTPUT.png [--wait-ready] [--scene explore|planner] [--timeout-ms N]';
const SCENES = ['explore', 'planner'];

function parseArgs(argv) {
  const positional = [];
  const options = { waitReady: false, scene: null, timeoutMs: 60_000 };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--wait-ready') {
      options.waitReady = true;
    } else if (arg === '--scene') {
      options.scene = argv[(i += 1)];
      if (!SCENES.includes(options.scene)) {
        throw new Error(`--scene: expected one of ${SCENES.join(', ')}, got ${options.scene}`);
      }
      options.waitReady = true;
    } else if (arg === '--timeout-ms') {
      options.timeoutMs = Number(argv[(i += 1)]);
      if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) {
        throw new Error('--timeout-ms: expected a positive number of milliseconds');
      }
    } else if (arg.startsWith('--')) {
      throw new Error(`unknown option ${arg}`);
    } else {
      positional.push(arg);
    }
  }
  if (positional.length !== 2) {
    throw new Error(`expected URL and OUTPUT.png, got ${positional.length} arguments`);
  }
  [options.url, options.output] = positional;
  return options;
}

/** Waits until the map (through the page's test hook) has stopped moving and drawn. */
async function mapIdle(page, debug, timeout) {
  await page.waitForFunction(({ map }) => !map.isMoving() && map.loaded(), debug, { timeout });
}

async function debugHook(page) {
  const debug = await page.evaluateHandle(async () => (await import('/assets/app.js')).debug);
  if (!(await debug.evaluate((d) => Boolean(d && d.map)))) throw new Error('the page exports no debug.map (test mode)');
  return debug;
}

const SCENE_SETUP = {
  async explore(page, timeout) {
    const debug = await debugHook(page);
    await page.locator('#search-input').fill('西湖区');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.getElementById('place-details').dataset.name === '西湖区', null, { timeout });
    await mapIdle(page, debug, timeout);
    // The reverse lookup of a point in 西湖区.
    const here = await page.evaluate(({ map }) => map.project([120.1297, 30.2603]), debug);
    await page.mouse.click(here.x, here.y);
    await page.waitForSelector('#here li[data-level="community"]', { timeout });
    // The popup of the facility drawn nearest the map's middle right of the panel.
    const facility = await page.evaluate(({ map }) => {
      const target = { x: 760, y: 300 };
      let best = null;
      for (const f of map.queryRenderedFeatures({ layers: ['facilities'] })) {
        const p = map.project(f.geometry.coordinates);
        const d = Math.hypot(p.x - target.x, p.y - target.y);
        if (!best || d < best.d) best = { x: p.x, y: p.y, d };
      }
      return best;
    }, debug);
    if (!facility) throw new Error('no facility drawn for the explore scene');
    await page.mouse.click(facility.x, facility.y);
    await page.waitForFunction(() => {
      const address = document.querySelector('.maplibregl-popup .facility-address');
      return address && !address.textContent.endsWith('…');
    }, null, { timeout });
    await mapIdle(page, debug, timeout);
  },
  async planner(page, timeout) {
    const debug = await debugHook(page);
    await page.click('#tab-planner');
    await page.selectOption('#planner-category', 'home_care_centre');
    // Drawn for the chosen category (the summary's title names it), not the first one's.
    await page.waitForFunction(() => {
      const summary = document.getElementById('coverage-summary');
      const title = summary.querySelector('.card-title');
      const chosen = document.getElementById('planner-category').selectedOptions[0].text.split(' ')[0];
      return !summary.hasAttribute('aria-busy') && title && title.textContent.startsWith(chosen) && document.getElementById('coverage-total');
    }, null, { timeout });
    await page.evaluate(({ map }) => map.jumpTo({ center: [120.2, 30.27], zoom: 10.8 }), debug);
    await mapIdle(page, debug, timeout);
  },
};

async function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`screenshot: ${error.message}\n${USAGE}`);
    return 2;
  }

  const userDataDir = mkdtempSync(join(tmpdir(), 'civmap-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CIVMAP_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--enable-unsafe-swiftshader',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });

  const problems = [];
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => {
      if (message.type() === 'error') {
        const where = message.location();
        // Chromium logs the 401 of the page's start-up sign-in check (GET /api/v1/me, see
        // src/account.js) as an error: that is every anonymous visitor, not a problem.
        const anonymousCheck = /status of 401/.test(message.text()) && where.url && new URL(where.url).pathname === '/api/v1/me';
        if (anonymousCheck) return;
        problems.push(`console error: ${message.text()}${where.url ? ` (${where.url})` : ''}`);
      }
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) =>
      problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`)
    );

    const url = new URL(options.url);
    if (options.scene) url.searchParams.set('debug', '1');
    const response = await page.goto(url.href, {
      waitUntil: 'load',
      timeout: options.timeoutMs,
    });
    if (!response || !response.ok()) {
      problems.push(`page: HTTP ${response ? response.status() : 'no response'} for ${options.url}`);
    }

    if (options.waitReady) {
      await page.waitForFunction(() => ['ready', 'error'].includes(document.documentElement.dataset.civmapState), null, {
        timeout: options.timeoutMs,
      });
      const error = await page.evaluate(() => document.documentElement.dataset.civmapError);
      if (error) {
        problems.push(`data-civmap-error: ${error}`);
      }
    }

    if (options.scene && problems.length === 0) {
      await SCENE_SETUP[options.scene](page, options.timeoutMs);
    }

    await page.screenshot({ path: options.output, fullPage: false });
    console.log(`screenshot: saved ${options.output}`);
  } catch (error) {
    problems.push(`screenshot: ${error.message}`);
  } finally {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }

  for (const problem of problems) {
    console.error(problem);
  }
  return problems.length === 0 ? 0 : 1;
}

process.exitCode = await main();
