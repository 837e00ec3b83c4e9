import { readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import type { AccessibilityScan } from '../../core/schemas/accessibility-report.ts';
import { prlimitArgs } from '../limits.ts';
import { runTool } from '../runner.ts';
import { probeSandbox } from '../sandbox.ts';
import { a11yCheck, countViolations, maskValue, safeHtml, seedPaths } from './a11y-check.ts';
import { collectingRecorder, writeProject } from './fixtures.test-support.ts';

// Real Chromium (Debian's, at /usr/bin/chromium here and in CI), a real app, the real runner: nothing
// is skipped when Chromium is missing; the tool then fails and so does every test that runs it.

const sandbox = await probeSandbox();
const sandboxed = sandbox.kind === 'bwrap' || process.env['CI'] === 'true';
const requireHere = createRequire(import.meta.url);
const axeVersion = (
  JSON.parse(await readFile(requireHere.resolve('axe-core/package.json'), 'utf8')) as {
    version: string;
  }
).version;

/** A 1x1 transparent PNG, served as /logo.png. */
const LOGO_PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><main><h1>${title}</h1>${body}</main></body></html>`;
}

const ACCESSIBLE_BODY = `<p>Welcome.</p>
<img src="/logo.png" alt="Company logo" width="40" height="40">
<form><label for="email">Email</label><input id="email" name="email" type="email"><button type="submit">Subscribe</button></form>`;

/**
 * A node:http app (built-ins only) that serves `routes` as HTML by path (query included), answers
 * /healthz, /logo.png, a JSON API (/api/v1/late 300 ms late) and a JSON file, drops the connection on
 * /broken, else 404. Pages under /strict come with a Content-Security-Policy that forbids inline scripts.
 */
function server(routes: Record<string, string>): string {
  return `import { createServer } from 'node:http';
const routes = ${JSON.stringify(routes)};
const logo = Buffer.from(${JSON.stringify(LOGO_PNG)}, 'base64');
const server = createServer((req, res) => {
  const path = req.url;
  if (path === '/healthz') return res.writeHead(200).end('ok');
  if (path.startsWith('/logo.png')) return res.writeHead(200, { 'content-type': 'image/png' }).end(logo);
  if (path === '/api/v1/late')
    return setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"href":"/late"}'), 300);
  if (path.startsWith('/api/') || path === '/data.json')
    return res.writeHead(200, { 'content-type': 'application/json' }).end('{"items":[]}');
  if (path === '/broken') return req.socket.destroy();
  const html = routes[path];
  if (html === undefined) return res.writeHead(404, { 'content-type': 'text/html' }).end('<p>not found</p>');
  const csp = path.startsWith('/strict') ? { 'content-security-policy': "script-src 'self'" } : {};
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...csp }).end(html);
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;
}

function servicePackage(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    name: 'site',
    type: 'module',
    scripts: { start: 'node src/server.js' },
    ideamine: { kind: 'service', ...extra },
  });
}

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function check(files: Record<string, string>, input: Record<string, unknown> = {}) {
  const workspace = await writeProject(files);
  dirs.push(workspace);
  const recorder = collectingRecorder();
  const run = await runTool(a11yCheck, input, { workspace, allowlist: ['a11y-check'], recorder });
  expect(recorder.invocations).toEqual([run.invocation]);
  if (sandboxed) expect(run.invocation.sandbox.kind).toBe('bwrap');
  return run;
}

function site(routes: Record<string, string>, pkg = servicePackage()): Record<string, string> {
  return { 'package.json': pkg, 'src/server.js': server(routes) };
}

function only(scan: AccessibilityScan, path: string) {
  const found = scan.pages.find((p) => p.path === path);
  expect(found, `page ${path} in ${scan.pages.map((p) => p.path).join(', ')}`).toBeDefined();
  return found!;
}

const LONG = 240_000;

describe('a11y-check (axe-core in Chromium, in the sandbox)', () => {
  it(
    'finds no serious or critical violation on an accessible page, with its status and a PNG screenshot',
    async () => {
      const { output: scan, invocation } = await check(site({ '/': page('Home', ACCESSIBLE_BODY) }), {
        commit: 'abc123',
      });
      expect(scan.tool).toBe(`a11y-check@${axeVersion}`);
      expect(invocation.toolVersion).toBe(axeVersion);
      expect(scan.versions.axeCore).toBe(axeVersion);
      expect(scan.versions.playwrightCore).toMatch(/^\d+\.\d+\.\d+/);
      expect(scan.versions.browser).toMatch(/^\d+\.\d+/);
      expect(scan).toMatchObject({
        commit: 'abc123',
        standard: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'],
      });
      expect(scan.startError).toBeUndefined();
      expect(scan.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(scan.pages.map((p) => p.path)).toEqual(['/']);
      const home = only(scan, '/');
      expect(home).toMatchObject({ status: 200, title: 'Home', url: `${scan.baseUrl}/` });
      expect(home.error).toBeUndefined();
      expect(home.passes).toBeGreaterThan(5);
      expect(home.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
      expect(scan.counts).toMatchObject({ critical: 0, serious: 0 });
      expect(scan.counts).toEqual(countViolations(scan.pages));
      const shot = home.screenshot!;
      const png = Buffer.from(shot.base64, 'base64');
      expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
      expect(shot).toMatchObject({ mediaType: 'image/png', width: 1280, bytes: png.length });
      expect(shot.height).toBeGreaterThanOrEqual(800);
      // RLIMIT_DATA applies to Chromium as to every tool; RLIMIT_AS does not (see a11y-check.ts).
      expect(invocation.argv.some((a) => a.startsWith('--data='))).toBe(true);
      expect(invocation.argv.some((a) => a.startsWith('--as='))).toBe(false);
      expect(invocation.limits.addressSpaceMb).toBeUndefined();
    },
    LONG,
  );

  it(
    'rates an image without alt text critical (image-alt) and counts it, with secrets masked in the HTML',
    async () => {
      const token = 'ghp_0123456789abcdefghijklmnopqrstuvwxyzAB';
      // The third image is inside a same-origin frame: axe checks frames too (it is injected into each).
      const body = `<img src="/logo.png"><img src="/logo.png?token=${token}"><p>Text</p>
<iframe src="/frame" title="Embedded logo"></iframe>`;
      const frame = '<!doctype html><html lang="en"><title>Frame</title><img src="/logo.png"></html>';
      const { output: scan } = await check(site({ '/': page('Logo', body), '/frame': frame }));
      const home = only(scan, '/');
      expect(home.status).toBe(200);
      const imageAlt = home.violations.find((v) => v.id === 'image-alt');
      expect(imageAlt).toMatchObject({ impact: 'critical', nodes: 3 });
      expect(imageAlt!.tags).toContain('wcag2a');
      expect(imageAlt!.helpUrl).toMatch(/image-alt/);
      expect(imageAlt!.targets).toHaveLength(3);
      expect(imageAlt!.targets.filter((t) => t.startsWith('iframe >>> '))).toHaveLength(1);
      expect(imageAlt!.html).toHaveLength(3);
      expect(imageAlt!.html?.[0]).toBe('<img src="/logo.png">');
      expect(imageAlt!.html?.[1]).toContain(maskValue(token));
      expect(JSON.stringify(scan)).not.toContain(token);
      expect(scan.counts.critical).toBeGreaterThanOrEqual(1);
      expect(scan.counts).toEqual(countViolations(scan.pages));
    },
    LONG,
  );

  it(
    'crawls linked same-origin pages breadth-first (links scripts add after load too) and the listed pages',
    async () => {
      const links = [
        '<a href="/about">About</a>',
        '<a href="/about#team">Team</a>',
        '<a href="/about?tab=2">About, tab 2</a>',
        '<a href="/api/v1/items">API</a>',
        '<a href="/data.json">Data</a>',
        '<a href="http://example.com/elsewhere">Elsewhere</a>',
      ].join(' ');
      // A link the page renders from an API answer that comes 300 ms after `load`, as the generated
      // apps render their lists: read only at `load`, the crawl would miss /late.
      const late = `<script>fetch('/api/v1/late').then((r) => r.json()).then(({ href }) => {
  const a = document.createElement('a'); a.href = href; a.textContent = 'Late';
  document.querySelector('nav').append(a);
});</script>`;
      const { output: scan } = await check(
        site(
          {
            '/': page('Home', `<nav>${links}</nav>${late}`),
            '/about': page(
              'About',
              '<p>About us. <a href="/">Home</a> <a href="/deep">Deep</a> <a href="/strict">Strict</a></p>',
            ),
            '/about?tab=2': page('About tab 2', '<p>More.</p>'),
            '/late': page('Late', '<p>Linked by a script.</p>'),
            '/deep': page('Deep', '<p>Found from /about.</p>'),
            // Its CSP forbids inline scripts, which an injected <script> tag (addScriptTag) would be.
            '/strict': page('Strict', '<img src="/logo.png">'),
            '/unlinked': page('Unlinked', '<p>Only listed.</p>'),
          },
          servicePackage({ pages: ['/unlinked'] }),
        ),
      );
      // Seeds first (`/`, then the listed page), then links in breadth-first order; the fragment is
      // the same page, /api/ and JSON are not pages, another origin is not the app.
      expect(scan.pages.map((p) => p.path)).toEqual([
        '/',
        '/unlinked',
        '/about',
        '/about?tab=2',
        '/late',
        '/deep',
        '/strict',
      ]);
      for (const p of scan.pages) {
        expect(p.status).toBe(200);
        expect(p.error).toBeUndefined();
        expect(p.screenshot?.mediaType).toBe('image/png');
      }
      expect(only(scan, '/about').title).toBe('About');
      // axe ran despite the page's CSP (it is evaluated through the DevTools protocol, not a tag).
      expect(only(scan, '/strict').violations.map((v) => v.id)).toEqual(['image-alt']);
      expect(scan.unvisited).toBeUndefined();
    },
    LONG,
  );

  it(
    'records a linked page that answers 404, or drops the connection, as failing, with no violations invented',
    async () => {
      const links = '<a href="/missing">Missing</a> <a href="/broken">Broken</a> <a href="/ok">Fine</a>';
      const { output: scan } = await check(
        site({ '/': page('Home', `<p>${links}</p>`), '/ok': page('Fine', '<p>ok</p>') }),
      );
      expect(scan.pages.map((p) => p.path)).toEqual(['/', '/missing', '/broken', '/ok']);
      expect(only(scan, '/missing')).toMatchObject({
        status: 404,
        error: 'HTTP 404',
        violations: [],
        passes: 0,
      });
      expect(only(scan, '/missing').screenshot).toBeUndefined();
      const broken = only(scan, '/broken');
      expect(broken.status).toBeNull();
      expect(broken.error).toMatch(/^navigation failed: .*ERR_EMPTY_RESPONSE/);
      expect(broken.violations).toEqual([]);
      expect(only(scan, '/ok')).toMatchObject({ status: 200 });
    },
    LONG,
  );

  it(
    'stops at the page limit and says which pages it did not check',
    async () => {
      const links = ['/a', '/b', '/c'].map((p) => `<a href="${p}">${p}</a>`).join(' ');
      const routes: Record<string, string> = { '/': page('Home', `<p>${links}</p>`) };
      for (const p of ['/a', '/b', '/c']) routes[p] = page(p, '<p>x</p>');
      const { output: scan } = await check(site(routes), { maxPages: 2 });
      expect(scan.pages.map((p) => p.path)).toEqual(['/', '/a']);
      expect(scan.unvisited).toEqual({ count: 2, paths: ['/b', '/c'], reason: 'the 2-page limit' });
    },
    LONG,
  );

  it(
    'takes the viewport alone when the full page would be a PNG over ~1.5 MB',
    async () => {
      // Random pixels below the fold do not compress: the full page is several MB, the viewport is not.
      const noise = `<div style="height:800px">Above the fold</div>
<canvas id="noise" width="1280" height="1200" aria-hidden="true"></canvas>
<script>
const c = document.getElementById('noise').getContext('2d');
const img = c.createImageData(1280, 1200);
for (let i = 0; i < img.data.length; i++) img.data[i] = i % 4 === 3 ? 255 : Math.floor(Math.random() * 256);
c.putImageData(img, 0, 0);
</script>`;
      const { output: scan } = await check(site({ '/': page('Noise', noise) }));
      const shot = only(scan, '/').screenshot!;
      expect(shot).toMatchObject({ width: 1280, height: 800 });
      expect(shot.bytes).toBeLessThanOrEqual(1_572_864);
      expect(Buffer.from(shot.base64, 'base64').subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    },
    LONG,
  );

  it(
    'stops at its time budget with a report (not a timeout) when a page never finishes loading',
    async () => {
      const hanging = `import { createServer } from 'node:http';
const server = createServer((req, res) => {
  if (req.url === '/healthz') return res.writeHead(200).end('ok');
  if (req.url === '/') return res.writeHead(200, { 'content-type': 'text/html' })
    .end('<!doctype html><html lang="en"><title>Home</title><main><h1>Home</h1><a href="/slow">Slow</a></main></html>');
  res.writeHead(200, { 'content-type': 'text/html' }).write('<!doctype html><p>never ends');
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;
      // 40 s in all: the driver's budget is 25 s (15 s kept to wind down), shorter than the 30 s
      // navigation timeout, so /slow is still loading when the budget ends.
      const { output: scan, invocation } = await check(
        { 'package.json': servicePackage(), 'src/server.js': hanging },
        { timeoutMs: 40_000 },
      );
      expect(invocation.timedOut).toBe(false);
      expect(scan.pages.map((p) => p.path)).not.toContain('/slow');
      expect(scan.unvisited).toMatchObject({ reason: 'the time budget' });
      expect(scan.unvisited!.paths).toContain(scan.pages.length === 0 ? '/' : '/slow');
    },
    LONG,
  );

  it(
    'holds a page to the memory limit: its allocations fail, and the crawl goes on',
    async () => {
      // 48 × 64 MB = 3 GB; RLIMIT_DATA is 256 + 1024 MB per process, so the renderer's ArrayBuffers
      // fail near 1 GB (the renderer has ~400 MB of its own). A renderer that crashes instead is also
      // held, and the next page gets a new one.
      const hog = `<script>const keep = [];
try { for (let i = 0; i < 48; i++) { const a = new Uint8Array(64 * 1024 * 1024); a.fill(1); keep.push(a); }
  document.title = 'allocated ' + keep.length; }
catch (e) { document.title = 'failed at ' + keep.length + ': ' + e.message; }</script>`;
      const { output: scan, invocation } = await check(
        site({ '/': page('Hog', `<a href="/b">B</a>${hog}`), '/b': page('B', '<p>b</p>') }),
        { memoryMb: 256 },
      );
      expect(invocation.limits).toMatchObject({ memoryMb: 256, dataMb: 1280 });
      const home = only(scan, '/');
      expect(home.title).not.toBe('allocated 48');
      if (home.title?.startsWith('failed at')) {
        expect(home.title).toMatch(/^failed at \d+: Array buffer allocation failed/);
        expect(Number(/\d+/.exec(home.title)?.[0])).toBeLessThan(20);
      } else expect(home.error).toMatch(/crash/i);
      expect(only(scan, '/b')).toMatchObject({ status: 200, title: 'B' });
      expect(only(scan, '/b').error).toBeUndefined();
    },
    LONG,
  );

  it(
    'fails with a clear message when the runner kills the driver at the time limit',
    async () => {
      const neverHealthy = `import { createServer } from 'node:http';
createServer((req, res) => res.writeHead(503).end()).listen(Number(process.env.PORT), '127.0.0.1');
`;
      const workspace = await writeProject({
        'package.json': servicePackage(),
        'src/server.js': neverHealthy,
      });
      dirs.push(workspace);
      const recorder = collectingRecorder();
      const run = runTool(
        a11yCheck,
        { timeoutMs: 8_000, healthTimeoutMs: 60_000 },
        { workspace, allowlist: ['a11y-check'], recorder },
      );
      await expect(run).rejects.toThrow(/the a11y-check driver wrote no result \(it timed out\)/);
      expect(recorder.invocations).toHaveLength(1);
      expect(recorder.invocations[0]).toMatchObject({
        timedOut: true,
        error: expect.stringContaining('timed out'),
      });
    },
    LONG,
  );

  it(
    'reports startError and no pages when the app never becomes healthy',
    async () => {
      const unhealthy = `import { createServer } from 'node:http';
console.error('warming up forever');
createServer((req, res) => res.writeHead(503).end()).listen(Number(process.env.PORT), '127.0.0.1');
`;
      const { output: scan } = await check(
        { 'package.json': servicePackage(), 'src/server.js': unhealthy },
        { healthTimeoutMs: 1_000 },
      );
      expect(scan.startError).toMatch(/GET \/healthz did not answer 200 within 1000 ms/);
      expect(scan.startError).toContain('warming up forever');
      expect(scan.pages).toEqual([]);
      expect(scan.counts).toEqual({ critical: 0, serious: 0, moderate: 0, minor: 0 });
      expect(scan.versions.browser).toBe('');
    },
    LONG,
  );

  it(
    'does not start a command-line product',
    async () => {
      const pkg = JSON.stringify({ name: 'cli', bin: 'src/cli.js', ideamine: { kind: 'cli' } });
      const { output: scan } = await check({ 'package.json': pkg, 'src/cli.js': 'console.log(1);\n' });
      expect(scan).toMatchObject({
        baseUrl: null,
        pages: [],
        startError: 'not a service (package.json ideamine.kind is "cli")',
      });
    },
    LONG,
  );
});

describe('a11y-check parts', () => {
  it('seeds the crawl with / and the listed paths', () => {
    expect(seedPaths({})).toEqual(['/']);
    expect(seedPaths({ ideamine: { pages: ['/help', 'nope', 3, '/', '/help'] } })).toEqual(['/', '/help']);
  });

  it('masks secret-looking values in HTML snippets and cuts them to 300 characters', () => {
    expect(safeHtml('<input type="hidden" name="csrf" value="abcdef">')).toBe(
      '<input type="hidden" name="csrf" value="abcd…6">',
    );
    expect(safeHtml('<input type="text" value="Search">')).toBe('<input type="text" value="Search">');
    const key = 'sk-live0123456789abcdef';
    expect(safeHtml(`<div data-key="${key}">`)).toBe(`<div data-key="${maskValue(key)}">`);
    const digest = 'a3f9c2e1b4d5a6f7e8d9c0b1a2f3e4d5c6b7a8f9';
    expect(safeHtml(`<img src="/i.png?sig=${digest}">`)).toBe(`<img src="/i.png?sig=${maskValue(digest)}">`);
    const bem = 'navigation__item--active-highlighted';
    expect(safeHtml(`<li class="${bem}">`)).toBe(`<li class="${bem}">`);
    expect(safeHtml(`<a href="/x">${'y'.repeat(20)}</a>${'<p>z</p>'.repeat(100)}`)).toHaveLength(300);
  });

  it('counts violated rules per page by impact, not elements', () => {
    const v = (id: string, impact: 'critical' | 'minor' | null, nodes: number) => ({
      id,
      impact,
      help: '',
      helpUrl: '',
      tags: [],
      nodes,
      targets: [],
    });
    const pages = [
      {
        path: '/',
        url: '',
        status: 200,
        violations: [v('image-alt', 'critical', 7), v('x', null, 1)],
        passes: 1,
        incomplete: 0,
      },
      {
        path: '/b',
        url: '',
        status: 200,
        violations: [v('image-alt', 'critical', 1), v('y', 'minor', 3)],
        passes: 1,
        incomplete: 0,
      },
    ];
    expect(countViolations(pages)).toEqual({ critical: 2, serious: 0, moderate: 0, minor: 1 });
  });

  it('leaves RLIMIT_AS off only when the limits have no address-space cap', () => {
    const bounded = prlimitArgs('/usr/bin/prlimit', {
      timeoutMs: 1,
      memoryMb: 1,
      dataMb: 1,
      addressSpaceMb: 2,
    });
    expect(bounded).toEqual(['/usr/bin/prlimit', '--data=1048576', '--as=2097152', '--']);
    const unbounded = prlimitArgs('/usr/bin/prlimit', { timeoutMs: 1, memoryMb: 1, dataMb: 1 });
    expect(unbounded).toEqual(['/usr/bin/prlimit', '--data=1048576', '--']);
  });
});
