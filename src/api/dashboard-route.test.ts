import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../observability/logger.ts';
import type { ApiEnv } from './auth.ts';
import { registerDashboardAssets } from './dashboard-route.ts';
import { errorResponse } from './http-errors.ts';
import { RouteTable } from './route-table.ts';

function app(): Hono<ApiEnv> {
  const hono = new Hono<ApiEnv>();
  hono.onError((error, c) => errorResponse(error, c, silentLogger));
  registerDashboardAssets(new RouteTable(hono, { maxBodyBytes: 1024, guards: [] }));
  return hono;
}

describe('dashboard assets', () => {
  const server = app();

  it('serves the page at / with a same-origin-only Content-Security-Policy', async () => {
    const res = await server.request('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect(await res.text()).toContain('<script type="module" src="/dashboard/app.js"></script>');
  });

  it('serves its modules and the two libraries from node_modules, nothing else', async () => {
    const app = await server.request('/dashboard/app.js');
    expect(app.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await app.text()).toContain("from './vendor/lit-html.js'");
    expect(await (await server.request('/dashboard/vendor/lit-html.js')).text()).toContain('litHtmlVersions');
    expect(await (await server.request('/dashboard/vendor/uPlot.esm.js')).text()).toContain(
      'export { uPlot as default }',
    );
    expect((await server.request('/dashboard/vendor/uPlot.min.css')).headers.get('content-type')).toBe(
      'text/css; charset=utf-8',
    );
    expect((await server.request('/dashboard/nope.js')).status).toBe(404);
    expect((await server.request('/dashboard/vendor/app.js')).status).toBe(404);
    expect((await server.request('/dashboard/..%2Fpackage.json')).status).toBe(400);
    expect((await server.request('/dashboard/vendor/..%2F..%2Fpackage.json')).status).toBe(400);
  });
});
