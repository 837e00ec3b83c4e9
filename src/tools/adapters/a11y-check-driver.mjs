// Runs inside one sandboxed invocation: starts the app on a free port, waits for `GET /healthz`,
// launches the machine's Chromium through playwright-core, crawls the app's pages breadth-first from
// `/` (plus the listed ones), runs axe-core on each and takes a screenshot, then writes
// `a11y-check.json` into the scratch dir.
// argv: <scratch dir> <json: { kind, start, healthTimeoutMs, chromium, standard, seeds, maxPages,
//   budgetMs, launchTimeoutMs, navigationTimeoutMs, settleTimeoutMs, axeTimeoutMs, screenshotMaxBytes }>
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { launchChromium } from '../chromium-launch.mjs';
import { freePort, startApp, stopApp, waitHealthy } from './driver-support.mjs';

const [scratch, specJson] = process.argv.slice(2);
const spec = JSON.parse(specJson);
const resultFile = join(scratch, 'a11y-check.json');
const startedAt = Date.now();

const requireHere = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(requireHere.resolve('axe-core/axe.min.js'), 'utf8');
const versions = {
  axeCore: JSON.parse(readFileSync(requireHere.resolve('axe-core/package.json'), 'utf8')).version,
  playwrightCore: JSON.parse(readFileSync(requireHere.resolve('playwright-core/package.json'), 'utf8'))
    .version,
  browser: '',
};

const VIEWPORT = { width: 1280, height: 800 };
const HTML = /^(text\/html|application\/xhtml\+xml)\b/i;
const LIST = { targets: 5, html: 3, htmlChars: 2_000 };

function firstLine(error) {
  return String(error?.message ?? error).split('\n')[0];
}

/** `/path?query` of a URL (no fragment): what identifies a page of the app. */
function pathOf(url) {
  return `${url.pathname}${url.search}`;
}

/** A same-origin page worth visiting, as its path; undefined for anything else. */
function crawlable(href, origin) {
  let url;
  try {
    url = new URL(href);
  } catch {
    return undefined;
  }
  if (url.origin !== origin) return undefined;
  if (url.pathname === '/api' || url.pathname.startsWith('/api/')) return undefined;
  return pathOf(url);
}

/** axe's target of one node: selectors per frame (and per shadow root), joined the way Playwright pierces them. */
function selectorOf(target) {
  return target.map((part) => (Array.isArray(part) ? part.join(' >>> ') : part)).join(' >>> ');
}

function violationOf(v) {
  return {
    id: v.id,
    impact: v.impact ?? null,
    help: v.help,
    helpUrl: v.helpUrl,
    tags: v.tags,
    nodes: v.nodes.length,
    targets: v.nodes.slice(0, LIST.targets).map((n) => selectorOf(n.target)),
    html: v.nodes.slice(0, LIST.html).map((n) => String(n.html ?? '').slice(0, LIST.htmlChars)),
  };
}

/** Rejects after `ms` (the caller closes the page, which ends whatever was stuck). */
async function within(ms, what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * axe-core in every frame (axe talks to the frames' copies by postMessage; without one in a frame,
 * axe.run waits for it). `evaluate` runs in the page's main world through the DevTools protocol, so a
 * page's Content-Security-Policy cannot block it, unlike an inline <script> tag.
 */
async function runAxe(page) {
  for (const frame of page.frames()) {
    try {
      await frame.evaluate(AXE_SOURCE);
    } catch {
      // A frame that went away while we injected.
    }
  }
  return page.evaluate(
    (values) => window.axe.run(document, { runOnly: { type: 'tag', values } }),
    spec.standard,
  );
}

/** Full page, or the viewport alone when the full page is over the cap; none when even that is. */
async function screenshotOf(page) {
  const full = await page.screenshot({ fullPage: true, type: 'png', timeout: spec.navigationTimeoutMs });
  if (full.length <= spec.screenshotMaxBytes) return full;
  const viewport = await page.screenshot({ fullPage: false, type: 'png', timeout: spec.navigationTimeoutMs });
  return viewport.length <= spec.screenshotMaxBytes ? viewport : undefined;
}

/** PNG width and height from its IHDR chunk (bytes 16..23). */
function pngSize(png) {
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** A page that counts as failing: it did not load, or axe could not check it. No violations invented. */
function failing(path, url, status, error, extra = {}) {
  return { path, url, status, ...extra, error, violations: [], passes: 0, incomplete: 0 };
}

/**
 * One tab for the whole crawl: reusing it lets the renderer reuse axe's compiled code (measured on a
 * loaded 2-core machine: ~1 s to inject axe into a fresh tab, ~0.2 s into a reused one). After anything
 * unexpected (a stuck axe.run, a crashed renderer) the tab is thrown away and the next page gets a new one.
 */
function tabOf(context) {
  let current;
  return {
    async page() {
      if (current === undefined || current.isClosed()) current = await context.newPage();
      return current;
    },
    async discard() {
      const page = current;
      current = undefined;
      await page?.close().catch(() => {});
    },
  };
}

/**
 * One page: status, links, axe, screenshot. `{ skip }` for a response that is not an HTML page (a
 * JSON body, an image, a download); a page that did not load gets its status and an error, no axe.
 * Once the time budget has passed (the browser is being closed under it), it throws instead: the page
 * was not checked, which is not the same as failing.
 */
async function visit(tab, baseUrl, path, deadline) {
  const url = `${baseUrl}${path}`;
  const page = await tab.page();
  let response;
  try {
    response = await page.goto(url, { waitUntil: 'load', timeout: spec.navigationTimeoutMs });
  } catch (error) {
    if (deadline.passed) throw error;
    await tab.discard();
    const message = firstLine(error);
    if (/Download is starting/i.test(message)) return { skip: 'a download, not a page' };
    return failing(path, url, null, `navigation failed: ${message}`);
  }
  const status = response ? response.status() : null;
  if (status !== null && (status < 200 || status > 299)) return failing(path, url, status, `HTTP ${status}`);
  const contentType = response?.headers()['content-type'] ?? '';
  if (response && !HTML.test(contentType)) return { skip: `not HTML (${contentType || 'no content-type'})` };
  // `load` does not wait for what the page's scripts fetch afterwards (the generated apps render their
  // lists, and any links in them, from fetch calls): wait until the network has been quiet for 500 ms,
  // so axe checks what a visitor sees, not the empty shell. A page that keeps polling is checked as it
  // is after settleTimeoutMs.
  await page.waitForLoadState('networkidle', { timeout: spec.settleTimeoutMs }).catch(() => {});
  const links = await page.$$eval('a[href]', (anchors) => anchors.map((a) => a.href));
  const title = await page.title();
  const titled = title ? { title } : {};
  let results;
  try {
    results = await within(spec.axeTimeoutMs, 'axe.run', runAxe(page));
  } catch (error) {
    if (deadline.passed) throw error;
    await tab.discard();
    return failing(path, url, status, `axe-core failed: ${firstLine(error)}`, { ...titled, links });
  }
  const png = await screenshotOf(page);
  const screenshot = png && {
    mediaType: 'image/png',
    ...pngSize(png),
    bytes: png.length,
    base64: png.toString('base64'),
  };
  return {
    path,
    url,
    status,
    ...titled,
    violations: results.violations.map(violationOf),
    passes: results.passes.length,
    incomplete: results.incomplete.length,
    ...(screenshot ? { screenshot } : {}),
    links,
  };
}

/**
 * Breadth-first from the seeds over same-origin `<a href>` links, at most `maxPages` pages, until the
 * time budget runs out. Pages found but not checked are returned with the reason.
 */
async function crawl(context, baseUrl, deadline) {
  const origin = new URL(baseUrl).origin;
  const tab = tabOf(context);
  const queue = [];
  const seen = new Set();
  const enqueue = (path) => {
    if (path === undefined || seen.has(path)) return;
    seen.add(path);
    queue.push(path);
  };
  for (const seed of spec.seeds) enqueue(crawlable(`${baseUrl}${seed}`, origin));
  const pages = [];
  let reason = `the ${spec.maxPages}-page limit`;
  while (queue.length > 0 && pages.length < spec.maxPages) {
    if (deadline.passed) {
      reason = 'the time budget';
      break;
    }
    const path = queue.shift();
    let page;
    try {
      page = await visit(tab, baseUrl, path, deadline);
    } catch (error) {
      if (deadline.passed) {
        queue.unshift(path);
        reason = 'the time budget';
        break;
      }
      await tab.discard();
      page = failing(path, `${baseUrl}${path}`, null, `check failed: ${firstLine(error)}`);
    }
    if (page.skip) continue;
    const { links = [], ...recorded } = page;
    pages.push(recorded);
    for (const href of links) enqueue(crawlable(href, origin));
  }
  return { pages, ...(queue.length > 0 ? { unvisited: { paths: queue, reason } } : {}) };
}

async function launch() {
  return launchChromium(spec.chromium, join(scratch, 'chromium-profile'), {
    viewport: VIEWPORT,
    timeoutMs: spec.launchTimeoutMs,
  });
}

async function check() {
  if (spec.kind !== 'service') {
    return {
      versions,
      baseUrl: null,
      pages: [],
      startError: `not a service (package.json ideamine.kind is "${spec.kind}")`,
    };
  }
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const state = startApp({ start: spec.start, port, scratch });
  try {
    const problem = await waitHealthy(state, baseUrl, spec.healthTimeoutMs);
    if (problem) return { versions, baseUrl, pages: [], startError: `${problem}\n${state.output}`.trim() };
    const context = await launch();
    versions.browser = context.browser()?.version() ?? 'unknown';
    // At the budget, closing the browser ends whatever page is stuck; the crawl keeps what it has.
    const deadline = { passed: false };
    const remaining = spec.budgetMs - (Date.now() - startedAt);
    const timer = setTimeout(
      () => {
        deadline.passed = true;
        context.close().catch(() => {});
      },
      Math.max(0, remaining),
    );
    try {
      return { versions, baseUrl, ...(await crawl(context, baseUrl, deadline)) };
    } finally {
      clearTimeout(timer);
      await within(10_000, 'closing Chromium', context.close()).catch(() => {});
    }
  } finally {
    await stopApp(state);
  }
}

let exitCode = 0;
try {
  writeFileSync(resultFile, JSON.stringify(await check()));
} catch (error) {
  process.stderr.write(`${error?.stack ?? String(error)}\n`);
  writeFileSync(resultFile, JSON.stringify({ error: String(error?.message ?? error).slice(0, 8_000) }));
  exitCode = 1;
}
// Exit now: a Chromium helper or an idle socket that lingers must not keep the invocation alive.
process.exit(exitCode);
