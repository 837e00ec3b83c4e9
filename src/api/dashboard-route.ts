import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { notFound, type RouteTable } from './route-table.ts';
import { ErrorResponseSchema } from './schemas.ts';

/**
 * The dashboard's static files, served at `/` (the page) and `/dashboard/…` (its modules, styles and
 * the two libraries it uses, lit-html and uPlot, taken from node_modules). Everything is read once at
 * start-up: no CDN and no file system access per request, and a name outside this set is a 404. The
 * page itself is public (it holds no data); everything it shows comes from the token-guarded API.
 */

const DASHBOARD_DIR = fileURLToPath(new URL('../../dashboard/', import.meta.url));
const requireHere = createRequire(import.meta.url);

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/**
 * Same-origin scripts only (no inline script, no eval); inline styles are allowed because lit-html
 * binds the Gantt bars' `style` attribute and uPlot sizes its canvas with it. `connect-src 'self'`:
 * the page can talk to this API and nothing else.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

interface Asset {
  body: Buffer;
  contentType: string;
}

/** The directory of an installed package (its exports may hide package.json, so walk up from its entry). */
function packageDir(name: string): string {
  let dir = dirname(requireHere.resolve(name));
  while (!dir.endsWith(`node_modules/${name}`)) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the directory of the ${name} package`);
    dir = up;
  }
  return dir;
}

/** The browser builds the dashboard imports, by the name it imports them under. */
function vendorFiles(): Record<string, string> {
  const lit = packageDir('lit-html');
  const uplot = packageDir('uplot');
  return {
    'lit-html.js': join(lit, 'lit-html.js'),
    'uPlot.esm.js': join(uplot, 'dist', 'uPlot.esm.js'),
    'uPlot.min.css': join(uplot, 'dist', 'uPlot.min.css'),
  };
}

function asset(path: string): Asset {
  return {
    body: readFileSync(path),
    contentType: CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
  };
}

/** Reads the dashboard's files and its vendored libraries; throws when one is missing. */
export function loadDashboardAssets(): { files: Map<string, Asset>; vendor: Map<string, Asset> } {
  const files = new Map<string, Asset>();
  for (const entry of readdirSync(DASHBOARD_DIR, { withFileTypes: true }))
    if (entry.isFile() && CONTENT_TYPES[extname(entry.name)])
      files.set(entry.name, asset(join(DASHBOARD_DIR, entry.name)));
  const vendor = new Map(Object.entries(vendorFiles()).map(([name, path]) => [name, asset(path)]));
  return { files, vendor };
}

const FileParams = z.strictObject({ file: z.string().regex(/^[A-Za-z0-9._-]+$/) });

function send(found: Asset | undefined, what: string): Response {
  if (!found) throw notFound(what);
  return new Response(new Uint8Array(found.body), {
    headers: { 'content-type': found.contentType, ...SECURITY_HEADERS },
  });
}

/** Mounts `GET /`, `GET /dashboard/:file` and `GET /dashboard/vendor/:file` (no token needed). */
export function registerDashboardAssets(routes: RouteTable): void {
  const { files, vendor } = loadDashboardAssets();
  const html = { description: 'the dashboard page', contentType: 'text/html' };
  routes.add(
    {
      method: 'get',
      path: '/',
      summary: 'The dashboard',
      tag: 'dashboard',
      scopes: 'public',
      responses: { 200: html },
    },
    () => send(files.get('index.html'), 'dashboard page'),
  );
  const fileRoute = (path: string, summary: string, from: Map<string, Asset>, what: string) =>
    routes.add(
      {
        method: 'get',
        path,
        summary,
        tag: 'dashboard',
        scopes: 'public',
        params: FileParams,
        responses: {
          200: { description: 'the file', contentType: 'text/javascript' },
          404: { description: 'no such file', schema: ErrorResponseSchema },
        },
      },
      (_c, { params }) => send(from.get(params.file), `${what} ${params.file}`),
    );
  fileRoute('/dashboard/:file', "One of the dashboard's scripts or styles", files, 'dashboard file');
  fileRoute(
    '/dashboard/vendor/:file',
    'A library the dashboard uses (lit-html, uPlot), served from node_modules',
    vendor,
    'dashboard library',
  );
}
