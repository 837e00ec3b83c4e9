import { z } from 'zod';
import { ErrorClass, ErrorCode, IdeaMineError } from '../../core/errors.ts';
import { createMetricsHandler } from '../../observability/metrics.ts';
import type { Runtime } from '../../runtime.ts';
import { pingDatabase } from '../../storage/health.ts';
import { problem, type RouteTable } from '../route-table.ts';

const HealthSchema = z.object({ ok: z.literal(true) }).meta({ id: 'Health' });
const ReadySchema = z.object({ ok: z.literal(true), database: z.string() }).meta({ id: 'Ready' });

/** Liveness and readiness (no token: load balancers probe them) and Prometheus metrics (admin). */
export function registerHealthRoutes(routes: RouteTable, rt: Runtime): void {
  const metrics = createMetricsHandler(rt);
  routes.add(
    {
      method: 'get',
      path: '/healthz',
      summary: 'The process is up',
      tag: 'health',
      scopes: 'public',
      responses: { 200: { description: 'alive', schema: HealthSchema } },
    },
    (c) => c.json({ ok: true as const }),
  );
  routes.add(
    {
      method: 'get',
      path: '/readyz',
      summary: 'The process can reach its database',
      tag: 'health',
      scopes: 'public',
      responses: {
        200: { description: 'ready', schema: ReadySchema },
        503: problem('the database does not answer'),
      },
    },
    async (c) => {
      try {
        await pingDatabase(rt.db);
      } catch (error) {
        throw new IdeaMineError(
          ErrorCode.storageUnavailable,
          `the database does not answer (${rt.db.driver})`,
          {
            errorClass: ErrorClass.transient,
            cause: error,
          },
        );
      }
      return c.json({ ok: true as const, database: rt.db.driver });
    },
  );
  routes.add(
    {
      method: 'get',
      path: '/metrics',
      summary: 'Prometheus metrics (text exposition format)',
      tag: 'health',
      scopes: ['admin'],
      responses: { 200: { description: 'metrics', contentType: 'text/plain; version=0.0.4' } },
    },
    async (c) => {
      const m = await metrics();
      return c.body(m.body, 200, { 'Content-Type': m.contentType });
    },
  );
}
