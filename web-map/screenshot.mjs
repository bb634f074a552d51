// Opens the web map in a real headless Chromium and saves a 1280×800 screenshot, failing if the
// page logged a console error or threw. Used by people checking the page and by browser tests.
//
//   node screenshot.mjs URL OUTPUT.png [--wait-ready] [--timeout-ms N]
//
// --wait-ready waits for `<html data-civmap-state="ready">` (set by app.js once the map is idle
// with its data); it fails early on `data-civmap-state="error"` (the message in
// `data-civmap-error`). Without it, the screenshot is taken once the page's load event has fired.
// CIVMAP_CHROMIUM overrides the browser (default /usr/bin/chromium).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const USAGE = 'usage: node screenshot.mjs URL OUTPUT.png [--wait-ready] [--timeout-ms N]';

function parseArgs(argv) {
  const positional = [];
  const options = { waitReady: false, timeoutMs: 60_000 };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--wait-ready') {
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
        problems.push(`console error: ${message.text()}${where.url ? ` (${where.url})` : ''}`);
      }
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) =>
      problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`)
    );

    const response = await page.goto(options.url, {
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
