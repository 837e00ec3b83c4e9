import { Hono } from 'hono';
import type { Runtime } from '../runtime.ts';
import { type ApiEnv, type AuthMode, authenticate } from './auth.ts';
import { registerDashboardAssets } from './dashboard-route.ts';
import { errorResponse, HttpProblem } from './http-errors.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { rateLimit } from './rate-limit.ts';
import { RouteTable } from './route-table.ts';
import { registerDashboardRoutes } from './routes/dashboard-overview.ts';
import { registerEventRoutes } from './routes/events.ts';
import { registerHealthRoutes } from './routes/health.ts';
import { registerInspectRoutes } from './routes/inspect.ts';
import { registerInternalRoutes } from './routes/internal.ts';
import { registerRunRoutes } from './routes/runs.ts';
import { registerTaskRoutes } from './routes/tasks.ts';
import { registerTokenRoutes } from './routes/tokens.ts';
import { registerWaiverRoutes } from './routes/waivers.ts';
import type { RunDriver } from './run-driver.ts';

export interface ApiLimits {
  /** Largest request body accepted (413 above it). */
  maxBodyBytes: number;
  /** Sustained requests per minute per token (429 above it, after the burst). */
  ratePerMinute: number;
  rateBurst: number;
  sseHeartbeatMs: number;
  ssePollMs: number;
}

export const DEFAULT_API_LIMITS: ApiLimits = {
  maxBodyBytes: 1024 * 1024,
  ratePerMinute: 1_200,
  rateBurst: 200,
  sseHeartbeatMs: 15_000,
  ssePollMs: 2_000,
};

export interface ApiDeps {
  runtime: Runtime;
  /** `tokens` (default) for TCP; `trusted` only behind an access-controlled transport (unix socket). */
  auth?: AuthMode;
  limits?: Partial<ApiLimits>;
  /** Drives created and resumed runs in this process; without it they wait for `ideamine resume`. */
  driver?: RunDriver;
  /** Aborting it ends open event streams (server shutdown). */
  signal?: AbortSignal;
}

/**
 * The HTTP API as a Hono app, transport-free: `ideamine serve` puts it on TCP, the embedded owner on
 * a unix socket, tests on port 0. It holds no state but the per-process rate-limit buckets, so any
 * number of them can serve one Postgres.
 */
export function createApiApp(deps: ApiDeps): Hono<ApiEnv> {
  const limits = { ...DEFAULT_API_LIMITS, ...deps.limits };
  const rt = deps.runtime;
  const app = new Hono<ApiEnv>();
  app.onError((error, c) => errorResponse(error, c, rt.logger));
  app.notFound((c) =>
    errorResponse(new HttpProblem(404, 'NOT_FOUND', `no route ${c.req.method} ${c.req.path}`), c, rt.logger),
  );
  const routes = new RouteTable(app, {
    maxBodyBytes: limits.maxBodyBytes,
    guards: [
      authenticate(rt.db, deps.auth ?? 'tokens'),
      rateLimit({ perMinute: limits.ratePerMinute, burst: limits.rateBurst }),
    ],
  });
  registerHealthRoutes(routes, rt);
  registerRunRoutes(routes, rt, deps.driver);
  registerInspectRoutes(routes, rt);
  registerEventRoutes(routes, rt.db, {
    heartbeatMs: limits.sseHeartbeatMs,
    pollMs: limits.ssePollMs,
    signal: deps.signal,
  });
  registerTaskRoutes(routes, rt);
  registerInternalRoutes(routes, rt, deps.driver);
  registerTokenRoutes(routes, rt);
  registerWaiverRoutes(routes, rt);
  registerDashboardRoutes(routes, rt.db);
  registerDashboardAssets(routes);
  let document: unknown;
  routes.add(
    {
      method: 'get',
      path: '/openapi.json',
      summary: 'This API as an OpenAPI 3.1 document',
      tag: 'meta',
      scopes: 'public',
      responses: { 200: { description: 'the OpenAPI document', contentType: 'application/json' } },
    },
    (c) => c.json(document),
  );
  document = buildOpenApiDocument(routes.specs);
  return app;
}
